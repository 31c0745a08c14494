"""帮助, and the answer to anything no other handler took (included last)."""

from __future__ import annotations

from bot import texts
from bot.deps import Deps
from bot.events import TextMessage, UnsupportedMessage
from bot.router import Ctx, Router

router = Router(name=__name__)


@router.command(*texts.CMD_HELP)
async def on_help(ctx: Ctx[TextMessage], deps: Deps) -> None:
    await ctx.reply(texts.HELP)


@router.on(UnsupportedMessage)
async def on_unsupported(ctx: Ctx[UnsupportedMessage], deps: Deps) -> None:
    await ctx.reply(texts.unsupported_message(ctx.event.what))


@router.on(TextMessage)
async def on_unknown_text(ctx: Ctx[TextMessage], deps: Deps) -> None:
    deps.log.info("unrecognised text from %s", ctx.person.code)
    await ctx.reply(texts.UNKNOWN_COMMAND)
