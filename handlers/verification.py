"""Verification (Art. 4 第四条, 认证: "开通新媒体后，应及时申请认证"): ``已认证 @账号 链接`` records that
the platform verified the account, with evidence — a link to the page that shows it verified, or a
screenshot sent after a bare ``已认证 @账号`` (the bot asks for it). It is not taken on one word:
the Information Center supervises (Art. 2) and gets the evidence, one message per admin, the
screenshot as an image file it can open.

Who may: the people who may act for the account (``handlers.registry.may_act_for``). The record
(verified_at, verified_by_id, verify_evidence = the link or "截图", verify_image) is one conditional
UPDATE, so two people sending it at once record it once; the weekly reminders and the 4/8-week
escalation in ``schedules.verification`` end as soon as verified_at is set.

Links are checked by ``bot.links`` (as 注销 and 已发布 check theirs).
Imports no channel.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import Any

from bot import audit, texts
from bot.cards import Document, Text
from bot.deps import Deps
from bot.events import ImageMessage, LinkMessage, TextMessage
from bot.links import MAX_LINK, valid_link
from bot.prompts import PromptData
from bot.router import AnswerCtx, Ctx, Router
from handlers.common import own_account_from_args
from models import Account, AccountStatus, Department, Person
from models.org import info_center_admins
from models.transitions import set_once

router = Router(name=__name__)

def screenshot_name(name: str, mime: str) -> str:
    """``name`` (ending .png) with the extension of the image's own type, so it opens as what it is."""
    ext = mimetypes.guess_extension(mime) if mime.startswith("image/") else None
    return name.removesuffix(".png") + ext if ext else name


async def _record(ctx: Ctx[Any], account: Account, evidence: str, image: bytes | None,
                  mime: str = "image/png") -> None:
    if account.status == AccountStatus.CLOSED:
        await ctx.reply(texts.cannot_verify(account.name, account.status.value))
        return
    if not await set_once(Account, account.id, "verified_at", ctx.now, verified_by_id=ctx.person.id,
                          verify_evidence=evidence[:MAX_LINK], verify_image=image):
        await _already(ctx, account)
        return
    await audit.record(ctx.person.code, "account_verified", account.name, {"evidence": evidence},
                       now=ctx.now)
    dept = await Department.get(id=account.department_id)
    for admin in await info_center_admins(exclude={ctx.person.id}):
        await ctx.outbox.send(admin, Text(texts.verified_to_ic(account.name, dept.name, ctx.person.name,
                                                               evidence)),
                              key=f"verified:{account.id}:{admin.id}", now=ctx.now)
        if image is not None:
            await ctx.outbox.send(admin, Document(screenshot_name(texts.verify_screenshot_name(
                account.name), mime), image, mime),
                                  key=f"verified:{account.id}:{admin.id}:image", now=ctx.now)
    await ctx.reply(texts.verified(account.name))


async def _already(ctx: Ctx[Any], account: Account) -> None:
    fresh = await Account.get(id=account.id)
    by = await Person.get_or_none(id=fresh.verified_by_id) if fresh.verified_by_id else None
    at = ctx.local(fresh.verified_at) if fresh.verified_at else None
    await ctx.reply(texts.already_verified(account.name, at, by.name if by else ""))


@router.command(*texts.CMD_VERIFIED)
async def on_verified(ctx: Ctx[TextMessage], deps: Deps) -> None:
    found = await own_account_from_args(ctx, texts.VERIFIED_USAGE)
    if found is None:
        return
    account, rest = found
    if account.verified_at is not None:
        await _already(ctx, account)
        return
    if account.status == AccountStatus.CLOSED:
        await ctx.reply(texts.cannot_verify(account.name, account.status.value))
        return
    words = rest.split()
    if not words:  # Art. 4: not on one word — ask for the evidence
        await ctx.ask(VerifyEvidence(account.id), texts.ask_verify_evidence(account.name))
        return
    if not valid_link(words[0]):
        await ctx.reply(texts.bad_verify_link(words[0][:200], account.name))
        return
    await _record(ctx, account, words[0], None)


@dataclass(frozen=True)
class VerifyEvidence(PromptData, kind="verify_evidence"):
    """已认证 without evidence: a screenshot or a link proving ``account`` verified."""

    account: int


@router.on(ImageMessage, prompt=VerifyEvidence)
async def on_verify_image(ctx: AnswerCtx[ImageMessage, VerifyEvidence], deps: Deps) -> None:
    account = await Account.get_or_none(id=ctx.answering.account)
    if account is not None:
        await _record(ctx, account, texts.EVIDENCE_SCREENSHOT, ctx.event.data, ctx.event.mime)


@router.on(LinkMessage, prompt=VerifyEvidence)
async def on_verify_link_card(ctx: AnswerCtx[LinkMessage, VerifyEvidence], deps: Deps) -> None:
    await _answer_link(ctx, ctx.event.url.strip())


@router.on(TextMessage, prompt=VerifyEvidence)
async def on_verify_text(ctx: AnswerCtx[TextMessage, VerifyEvidence], deps: Deps) -> None:
    await _answer_link(ctx, ctx.event.text.strip())


async def _answer_link(ctx: AnswerCtx[Any, VerifyEvidence], said: str) -> None:
    account = await Account.get_or_none(id=ctx.answering.account)
    if account is None:
        return
    if said.casefold() in texts.CANCEL_WORDS:
        await ctx.reply(texts.EVIDENCE_CANCELLED)
        return
    word = said.split()[0] if said.split() else ""
    if not valid_link(word):  # the question stays open: a screenshot or a good link answers it
        await ctx.reply(texts.bad_verify_link(word[:200], account.name, prompted=True))
        await ctx.keep_prompt()
        return
    await _record(ctx, account, word, None)
