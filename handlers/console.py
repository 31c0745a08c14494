"""``登录后台``: a one-time link to the console (issue 18; Art. 2: the Information Center's
supervision of every account; Art. 6: a department head's of their own).

Only an Information Center admin or a department head gets one (``bot.console_access``); anyone
else is told who the console is for and what they can use instead. The link goes to the person's
own chat whatever chat they asked in (a reply always does), is valid ten minutes and usable once,
and asking again gives a new one (the old stays valid until it expires or is used)."""

from __future__ import annotations

from bot import audit, texts
from bot.console_access import LINK_MINUTES, access_of, issue_link
from bot.deps import Deps
from bot.events import TextMessage
from bot.router import Ctx, Router

router = Router(name=__name__)


@router.command(*texts.CMD_CONSOLE)
async def on_console(ctx: Ctx[TextMessage], deps: Deps) -> None:
    if await access_of(ctx.person) is None:
        await ctx.reply(texts.CONSOLE_NOT_ALLOWED)
        return
    token = await issue_link(ctx.person, ctx.now)
    await audit.record(ctx.person.code, "console_link_issued", ctx.person.code, {}, now=ctx.now)
    await ctx.reply(texts.console_link(f"{deps.settings.site_url}/console/login/{token}", LINK_MINUTES))
