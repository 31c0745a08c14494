"""Heads' side of the post flow (Art. 6, 10): 通过 / 驳回 taps and the reason for a rejection.

Only the department's head decides, never the author. The decision is a conditional UPDATE of
the draft (``pending`` at this version → approved/rejected): two taps, or two heads at once, give
one decision; the loser is told who decided and when. Imports no channel.

Art. 5: nothing is decided for an account that is not operating (must stop after the annual
review, suspended, closed). Its pending drafts were voided and their cards closed when it
stopped (``handlers.drafts.void_pending_drafts``); a tap on a copy of a card still showing its
buttons (a chat that missed the update) is refused saying why the account stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot import audit, texts
from bot.card_closing import close_card, close_used_cards
from bot.cards import Button, Card, Text
from bot.deps import Deps
from bot.draft_cards import (
    Approve,
    ConfirmApprove,
    Reject,
    approval_card,
    confirm_card_prefix,
    load_view,
    needs_confirmation,
    screening_notes,
)
from bot.events import TextMessage, bounded_key
from bot.prompts import PromptData
from bot.publish_jobs import credentials
from bot.router import ActionCtx, AnswerCtx, Ctx, Router
from handlers.common import stopped_text
from handlers.decisions import given_reason
from handlers.publishing import publish_card
from models import AccountStatus, Decision, Draft, DraftStatus, Outcome, Person, Platform

router = Router(name=__name__)


@dataclass(frozen=True)
class RejectReason(PromptData, kind="reject_reason"):
    """Asked of the head who rejected ``draft`` at ``version``: why (the author is told)."""

    draft: int
    version: int


async def _decide(ctx: Ctx[Any], draft_id: int, version: int, outcome: Outcome, *,
                  confirmed: bool = False) -> None:
    draft = await Draft.get_or_none(id=draft_id)
    if draft is None or not 1 <= version <= draft.version:  # a forged or foreign payload
        await ctx.reply(texts.EXPIRED_BUTTON)
        return
    view = await load_view(draft, version)
    if view.account.status != AccountStatus.OPERATING:
        await ctx.reply(stopped_text(view.account, texts.DOING_APPROVE))
        return
    if draft.author_id == ctx.person.id:
        await audit.record(ctx.person.code, "decision_refused", draft.ref,
                           {"reason": "author", "version": version}, now=ctx.now)
        await ctx.reply(texts.author_cannot_decide(draft.ref))
        return
    if view.department.head_id != ctx.person.id:
        await audit.record(ctx.person.code, "decision_refused", draft.ref,
                           {"reason": "not_head", "version": version}, now=ctx.now)
        await ctx.reply(texts.only_head_decides(draft.ref, view.department.name))
        return
    if outcome == Outcome.APPROVE and needs_confirmation(view) and not confirmed:
        await ctx.reply(Card(
            card_id=confirm_card_prefix(draft.id, version) + bounded_key(ctx.event.key, limit=64),
            title=texts.confirm_title(draft.ref), body=texts.CONFIRM_BODY,
            highlights=screening_notes(view),
            buttons=(Button(texts.BUTTON_CONFIRM, ConfirmApprove(draft.id, version).pack(), "danger"),)))
        return
    to = DraftStatus.APPROVED if outcome == Outcome.APPROVE else DraftStatus.REJECTED
    if not await Draft.transition(draft.id, to, ctx.now, at_version=version):
        await _lost(ctx, draft.id, version)
        return
    await Decision.create(draft_id=draft.id, version=version, decider_id=ctx.person.id,
                          outcome=outcome, content_hash=view.version.content_hash,
                          decided_at=ctx.now)
    status = (texts.card_approved if outcome == Outcome.APPROVE else texts.card_rejected)(
        ctx.person.name, ctx.local_now)
    title = texts.closed_title(texts.draft_subject(draft.ref), texts.OUTCOME_APPROVED
                               if outcome == Outcome.APPROVE else texts.OUTCOME_REJECTED)
    await close_card(ctx.outbox, approval_card(view), title=title, status=status,
                     key=f"decided:{draft.id}:{version}", now=ctx.now)
    await close_used_cards(ctx.outbox, confirm_card_prefix(draft.id, version), title=title,
                           status=status, key=f"decided:apc:{draft.id}:{version}", now=ctx.now)
    await audit.record(ctx.person.code, f"draft_{to.value}", draft.ref,
                       {"version": version, "hash": view.version.content_hash}, now=ctx.now)
    key = f"decision:{draft.id}:{version}"
    if outcome == Outcome.APPROVE:
        # A WeChat official account the bot can publish to: the author gets 发布到公众号.
        await ctx.outbox.send(view.author, publish_card(draft.ref, draft.id, version, view.title,
                                                        ctx.person.name)
                              if view.account.platform == Platform.WECHAT and credentials(view.account)
                              else Text(texts.approved_to_author(draft.ref, view.title, ctx.person.name)),
                              key=f"{key}:author", now=ctx.now)
        await ctx.reply(texts.approved_to_head(draft.ref))
    else:
        await ctx.outbox.send(view.author, Text(
            texts.rejected_to_author(draft.ref, view.title, ctx.person.name)),
            key=f"{key}:author", now=ctx.now)
        # One message: the tap is confirmed and the reason asked for together.
        await ctx.ask(RejectReason(draft.id, version), texts.rejected_to_head(draft.ref))


async def _lost(ctx: Ctx[Any], draft_id: int, version: int) -> None:
    """The tap lost a race or came late: say who decided, or why nothing can be decided."""
    draft = await Draft.get(id=draft_id)
    decision = await Decision.get_or_none(draft_id=draft_id, version=version)
    if decision is not None:
        decider = await Person.get(id=decision.decider_id)
        await ctx.reply(texts.already_decided(draft.ref, decision.outcome.value, decider.name,
                                              ctx.local(decision.decided_at)))
    elif draft.version != version:
        await ctx.reply(texts.stale_version(draft.ref, draft.version))
    else:
        await ctx.reply(texts.not_pending(draft.ref, draft.status.value))


@router.action(Approve)
async def on_approve(ctx: ActionCtx[Approve], deps: Deps) -> None:
    p = ctx.payload
    await _decide(ctx, p.draft, p.version, Outcome.APPROVE)


@router.action(ConfirmApprove)
async def on_confirm(ctx: ActionCtx[ConfirmApprove], deps: Deps) -> None:
    p = ctx.payload
    await _decide(ctx, p.draft, p.version, Outcome.APPROVE, confirmed=True)


@router.action(Reject)
async def on_reject(ctx: ActionCtx[Reject], deps: Deps) -> None:
    p = ctx.payload
    await _decide(ctx, p.draft, p.version, Outcome.REJECT)


@router.on(TextMessage, prompt=RejectReason)
async def on_reject_reason(ctx: AnswerCtx[TextMessage, RejectReason], deps: Deps) -> None:
    draft_id, version = ctx.answering.draft, ctx.answering.version
    draft = await Draft.get(id=draft_id)
    author = await Person.get(id=draft.author_id)
    reason = given_reason(ctx.event.text, 2000)
    key = f"reason:{draft_id}:{version}"
    if not reason:
        await ctx.outbox.send(author, Text(texts.reject_reason_skipped_to_author(draft.ref)),
                              key=key, now=ctx.now)
        await ctx.reply(texts.REJECT_REASON_SKIPPED)
        return
    await Decision.filter(draft_id=draft_id, version=version).update(reason=reason)
    await audit.record(ctx.person.code, "reject_reason", draft.ref,
                       {"version": version, "reason": reason}, now=ctx.now)
    await ctx.outbox.send(author, Text(texts.reject_reason_to_author(draft.ref, reason)),
                          key=key, now=ctx.now)
    await ctx.reply(texts.REJECT_REASON_SENT)
