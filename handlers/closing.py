"""Closing an account (Art. 5, 注销): ``已注销 @账号`` with a link or a screenshot of its deletion
on the platform. Imports no channel.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from bot import audit, texts
from bot.cards import Text
from bot.events import ImageMessage, TextMessage
from bot.router import Ctx, Deps, Router
from handlers.registry import own_account_from_args
from models import Account, AccountStatus, Prompt
from models.org import info_center_admins

router = Router(name=__name__)


async def _close(ctx: Ctx[Any], account: Account, evidence: str, image: bytes | None) -> None:
    if not await Account.filter(id=account.id, status=AccountStatus.MUST_STOP).update(
            status=AccountStatus.CLOSED, closed_at=ctx.now, closure_evidence=evidence[:2048],
            closure_image=image):
        fresh = await Account.get(id=account.id)
        await ctx.reply(texts.cannot_close(account.name, fresh.status.value))
        return
    await audit.record(ctx.person.code, "account_closed", account.name, {"evidence": evidence},
                       now=ctx.now)
    for admin in await info_center_admins():
        await ctx.outbox.send(admin, Text(texts.closed_to_ic(account.name, ctx.person.name, evidence)),
                              key=f"closed:{account.id}:{admin.id}", now=ctx.now)
    await ctx.reply(texts.closed(account.name))


@router.command(*texts.CMD_CLOSED)
async def on_closed(ctx: Ctx[TextMessage], deps: Deps) -> None:
    found = await own_account_from_args(ctx, texts.CLOSED_USAGE)
    if found is None:
        return
    account, rest = found
    if account.status != AccountStatus.MUST_STOP:
        await ctx.reply(texts.cannot_close(account.name, account.status.value))
        return
    link = rest.split()[0] if rest.split() else ""
    if link:
        parsed = urlparse(link)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            await ctx.reply(texts.bad_link(link))
            return
        await _close(ctx, account, link, None)
        return
    await ctx.ask("closure_evidence", {"account": account.id}, texts.ASK_CLOSURE_EVIDENCE)


@router.on(ImageMessage, prompt="closure_evidence")
async def on_closure_image(ctx: Ctx[ImageMessage], deps: Deps) -> None:
    assert ctx.prompt is not None
    await Prompt.filter(id=ctx.prompt.id).delete()
    account = await Account.get(id=int(ctx.prompt.data["account"]))
    await _close(ctx, account, texts.CLOSURE_SCREENSHOT, ctx.event.data)
