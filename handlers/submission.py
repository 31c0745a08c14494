"""提交审核 and 取消 of a draft being composed (Art. 10: 先审后发; Art. 13, 14: screening).

提交审核 fixes the content hash of the version (text, category, every attachment's bytes), screens
everything that will be published (``handlers.attachments.screened_text``, run off the event loop)
and sends the approval card to the department's head; the head never approves their own draft.
A draft blocked by screening for classified content (Art. 13) never reaches the approver: its
preview closes as 已拦截 with each word in its sentence, and it is told to the Information Center
and to the account's 主管领导 (Art. 14), who answers for the account. A stopped account (Art. 5)
takes no submission. Every state change is a guarded transition. Imports no channel.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from bot import audit, texts
from bot.card_closing import close_card
from bot.cards import Text
from bot.deps import Deps
from bot.draft_cards import CancelDraft, DraftView, SubmitDraft, approval_card, load_view, preview_card
from bot.router import ActionCtx, Ctx, Router
from bot.screening import Level
from handlers.attachments import screened_text
from handlers.common import stopped_text
from handlers.drafts import CategoryChoice, ask_category
from models import AccountStatus, Draft, DraftStatus, DraftVersion, Person
from models.org import info_center_admins

router = Router(name=__name__)


async def _own_composing(ctx: Ctx[Any], draft_id: int, version: int) -> Draft | None:
    draft = await Draft.get_or_none(id=draft_id)
    if draft is None or draft.author_id != ctx.person.id:
        await ctx.reply(texts.NOT_YOUR_CARD)
        return None
    if draft.version != version:
        await ctx.reply(texts.stale_version(draft.ref, draft.version))
        return None
    if draft.status != DraftStatus.COMPOSING:
        await ctx.reply(texts.not_pending(draft.ref, draft.status.value)
                        if draft.status != DraftStatus.PENDING
                        else texts.submitted(draft.ref, texts.HEAD_PLACEHOLDER))
        return None
    return draft


@router.action(SubmitDraft)
async def on_submit(ctx: ActionCtx[SubmitDraft], deps: Deps) -> None:
    p = ctx.payload
    draft = await _own_composing(ctx, p.draft, p.version)
    if draft is None:
        return
    view = await load_view(draft)
    if view.account.status != AccountStatus.OPERATING:
        await ctx.reply(stopped_text(view.account, texts.DOING_SUBMIT))
        return
    if view.version.category is None:
        await ask_category(ctx, draft, draft.version)
        return
    head = await Person.get_or_none(id=view.department.head_id or 0, active=True)
    if head is None:
        await ctx.reply(texts.no_head(view.department.name))
        return
    if head.id == ctx.person.id:
        await ctx.reply(texts.head_cannot_self_approve(view.department.name))
        return
    digest = view.computed_hash()
    # The .docx text is parsed in a worker thread: a big file would stop the event loop.
    hits = deps.wordlists.screener().screen(await asyncio.to_thread(screened_text, view))
    found = [{"word": h.word, "level": h.level.value, "context": h.context} for h in hits]
    if any(h.level == Level.BLOCK for h in hits):  # Art. 13: never reaches the approver
        words = sorted({h.word for h in hits if h.level == Level.BLOCK})
        if any(h.get("level") == "block" for h in view.version.screening or []):
            await ctx.reply(texts.draft_blocked(draft.ref, words))  # a stale tap: alerted once
            return
        await DraftVersion.filter(id=view.version.id).update(screening=found)
        await audit.record(ctx.person.code, "draft_blocked", draft.ref,
                           {"version": p.version, "words": words}, now=ctx.now)
        await ctx.reply(texts.draft_blocked(draft.ref, words))
        admins = await info_center_admins()
        await _close_blocked(ctx, view, found, [a.name for a in admins])
        for admin in admins:
            await ctx.outbox.send(admin, Text(texts.blocked_to_ic(
                draft.ref, view.account.name, ctx.person.name, words)),
                key=f"blocked:{draft.id}:{p.version}:{admin.id}", now=ctx.now)
        leader = await Person.get_or_none(id=view.account.leader_id or 0, active=True)
        if leader is not None and leader.id != ctx.person.id and leader.id not in {a.id for a in admins}:
            await ctx.outbox.send(leader, Text(texts.blocked_to_leader(
                draft.ref, view.account.name, ctx.person.name, words)),
                key=f"blocked:{draft.id}:{p.version}:leader:{leader.id}", now=ctx.now)
        return
    if not await Draft.transition(draft.id, DraftStatus.PENDING, ctx.now, at_version=p.version):
        await ctx.reply(texts.EXPIRED_BUTTON)
        return
    await DraftVersion.filter(id=view.version.id).update(content_hash=digest, screening=found)
    view.version.content_hash = digest
    view.version.screening = found
    await close_card(ctx.outbox, preview_card(view),
                     title=texts.closed_title(texts.draft_subject(draft.ref), texts.OUTCOME_SUBMITTED),
                     status=texts.card_submitted(ctx.local_now), key=f"submitted:{draft.id}:{p.version}",
                     now=ctx.now)
    await ctx.outbox.send(head, approval_card(view),
                          key=f"approval:{draft.id}:{p.version}:{head.id}", now=ctx.now)
    await audit.record(ctx.person.code, "draft_submitted", draft.ref,
                       {"version": p.version, "hash": digest, "account": view.account.name,
                        "category": view.version.category.value, "approver": head.code},
                       now=ctx.now)
    await ctx.reply(texts.submitted(draft.ref, head.name))


async def _close_blocked(ctx: Ctx[Any], view: DraftView, found: list[dict[str, str]],
                         admins: list[str]) -> None:
    """Art. 13: the blocked draft's preview says 已拦截, shows each blocked word in its sentence
    and how to ask the Information Center (an exception for a legitimate sentence), and loses
    its buttons: a second 提交审核 would only be blocked again."""
    notes = tuple(texts.blocked_note(h["word"], h["context"]) for h in found if h["level"] == "block")
    card = dataclasses.replace(preview_card(view),
                               highlights=(*notes, texts.blocked_help(view.ref, admins)))
    await close_card(ctx.outbox, card,
                     title=texts.closed_title(texts.draft_subject(view.ref), texts.OUTCOME_BLOCKED),
                     status=texts.card_blocked(ctx.local_now),
                     key=f"blocked:pv:{view.draft.id}:{view.version.number}", now=ctx.now)


@router.action(CancelDraft)
async def on_cancel(ctx: ActionCtx[CancelDraft], deps: Deps) -> None:
    p = ctx.payload
    draft = await _own_composing(ctx, p.draft, p.version)
    if draft is None:
        return
    if not await Draft.transition(draft.id, DraftStatus.CANCELLED, ctx.now, at_version=p.version):
        await ctx.reply(texts.EXPIRED_BUTTON)
        return
    view = await load_view(draft)
    await close_card(ctx.outbox, preview_card(view),
                     title=texts.closed_title(texts.draft_subject(draft.ref), texts.OUTCOME_CANCELLED),
                     status=texts.card_cancelled(ctx.local_now), key=f"cancelled:{draft.id}:{p.version}",
                     now=ctx.now)
    await ctx.close_prompt(CategoryChoice)
    await audit.record(ctx.person.code, "draft_cancelled", draft.ref, {"version": p.version},
                       now=ctx.now)
    await ctx.reply(texts.cancelled(draft.ref))
