"""发布 D12 / 发布到公众号: publishing an approved version on a WeChat official account through the
bot (issue 17; Art. 10 先审后发), and WeChat's word on how it ended (``PUBLISHJOBFINISH``).

Who may: the draft's author, an officer of the account's department, or its head (the people
who may publish the account's approved drafts). What: exactly the approved version — the draft
must be approved at its latest version with the content still matching the hash the head
approved; the account must be an operating WeChat official account whose AppID and AppSecret
are in the organisation file. A job is queued (one at a time per draft); the worker does the
rest (``bot.publish_jobs``). Imports no channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot import audit, texts
from bot.card_closing import close_card
from bot.cards import Button, Card, Payload
from bot.deps import Deps
from bot.draft_cards import load_view
from bot.events import PublishFinished, TextMessage
from bot.publications import approved_hash
from bot.publish_jobs import credentials, finish
from bot.publishing import PublishStatus
from bot.router import ActionCtx, Ctx, EventCtx, Router
from handlers.common import draft_from_args, stopped_text
from models import (
    AccountStatus,
    Decision,
    Draft,
    DraftStatus,
    JobStatus,
    Outcome,
    Person,
    Platform,
    PublishJob,
)
from models.publishing import ACTIVE

router = Router(name=__name__)


@dataclass(frozen=True)
class PublishDraft(Payload, prefix="pub"):
    draft: int
    version: int


def publish_card_id(draft_id: int, version: int) -> str:
    return f"pubd-{draft_id}-{version}"


@router.command(*texts.CMD_PUBLISH)
async def on_publish(ctx: Ctx[TextMessage], deps: Deps) -> None:
    if not ctx.args.strip():
        await ctx.reply(texts.PUBLISH_USAGE)
        return
    found = await draft_from_args(ctx, texts.CMD_PUBLISH[0])
    if found is None:
        return
    draft, _ = found
    await request(ctx, draft, draft.version)


@router.action(PublishDraft)
async def on_publish_tap(ctx: ActionCtx[PublishDraft], deps: Deps) -> None:
    draft = await Draft.get_or_none(id=ctx.payload.draft)
    if draft is None:
        await ctx.reply(texts.EXPIRED_BUTTON)
        return
    await request(ctx, draft, ctx.payload.version)


async def request(ctx: Ctx[Any], draft: Draft, version: int) -> None:
    view = await load_view(draft)
    account, department = view.account, view.department
    allowed = (draft.author_id == ctx.person.id or department.head_id == ctx.person.id
               or (ctx.person.is_officer and ctx.person.department_id == department.id))
    if not allowed:
        await ctx.reply(texts.publish_not_allowed(draft.ref))
        return
    if account.platform != Platform.WECHAT:
        await ctx.reply(texts.publish_not_wechat(account.name))
        return
    if account.status != AccountStatus.OPERATING:  # Art. 5
        await ctx.reply(stopped_text(account, texts.DOING_PUBLISH))
        return
    if credentials(account) is None:
        await ctx.reply(texts.publish_no_credentials(account.name))
        return
    active = await PublishJob.filter(draft_id=draft.id, status__in=ACTIVE).first()
    if active is not None:
        await ctx.reply(texts.publish_in_progress(draft.ref, active.ref))
        return
    if draft.status != DraftStatus.APPROVED:
        await ctx.reply(texts.cannot_publish(draft.ref, draft.status.value))
        return
    digest = await approved_hash(view)
    if digest is None or version != draft.version:
        await ctx.reply(texts.publish_changed(draft.ref))
        return
    job = await PublishJob.create(draft_id=draft.id, version=draft.version, content_hash=digest,
                                  account_id=account.id, requested_by_id=ctx.person.id,
                                  requested_at=ctx.now, next_attempt_at=ctx.now)
    await audit.record(ctx.person.code, "publish_requested", draft.ref,
                       {"job": job.ref, "version": draft.version, "hash": digest,
                        "account": account.name}, now=ctx.now)
    decision = await Decision.get(draft_id=draft.id, version=draft.version, outcome=Outcome.APPROVE)
    head = await Person.get(id=decision.decider_id)
    await close_card(ctx.outbox, publish_card(draft.ref, draft.id, draft.version, view.title, head.name,
                                              closing=True),
                     title=texts.closed_title(texts.draft_subject(draft.ref), texts.OUTCOME_PUBLISH_QUEUED),
                     status=texts.OUTCOME_PUBLISH_QUEUED, key=f"publish:{job.id}:card", now=ctx.now)
    await ctx.reply(texts.publish_queued(draft.ref, account.name, job.ref))


def publish_card(ref: str, draft_id: int, version: int, title: str, head: str, *,
                 closing: bool = False) -> Card:
    """Sent to the author when the head approves a version of a WeChat account's draft;
    ``closing``: as it reads once publishing was asked for (no instruction to tap any more)."""
    body = (texts.approved_card_closed if closing else texts.approved_card_body)(title, head)
    return Card(card_id=publish_card_id(draft_id, version), title=texts.approved_card_title(ref), body=body,
                buttons=(Button(texts.BUTTON_PUBLISH, PublishDraft(draft_id, version).pack(), "primary"),))


@router.public(PublishFinished)
async def on_publish_finished(ctx: EventCtx[PublishFinished], deps: Deps) -> None:
    """WeChat's PUBLISHJOBFINISH: the job it names, if it is one of ours, is finished."""
    event = ctx.event
    job = await PublishJob.get_or_none(publish_id=event.publish_id[:64],
                                       status__in=(JobStatus.SUBMITTED, JobStatus.UNCERTAIN))
    if job is None:
        deps.log.info("PUBLISHJOBFINISH for unknown or finished publish id %s", event.publish_id[:64])
        return
    await finish(job, PublishStatus(event.state, article_url=event.article_url, article_id=event.article_id,
                                    reason=event.reason, code=event.code), now=ctx.now, outbox=ctx.outbox)
