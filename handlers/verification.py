"""Verification (Art. 4, 认证): ``已认证 @账号`` records that the platform verified the account.
Imports no channel.
"""

from __future__ import annotations

from bot import audit, texts
from bot.events import TextMessage
from bot.router import Ctx, Deps, Router
from handlers.registry import own_account_from_args
from models import Account

router = Router(name=__name__)


@router.command(*texts.CMD_VERIFIED)
async def on_verified(ctx: Ctx[TextMessage], deps: Deps) -> None:
    found = await own_account_from_args(ctx, texts.VERIFIED_USAGE)
    if found is None:
        return
    account, _ = found
    if account.verified_at is not None:
        await ctx.reply(texts.already_verified(account.name))
        return
    await Account.filter(id=account.id, verified_at__isnull=True).update(verified_at=ctx.now)
    await audit.record(ctx.person.code, "account_verified", account.name, now=ctx.now)
    await ctx.reply(texts.verified(account.name))
