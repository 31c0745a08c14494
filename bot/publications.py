"""Recording that an approved version was published (Art. 10 先审后发, Art. 11 cadence): one piece
for every way the bot learns it — ``已发布 D12 链接`` from a person (``handlers.publication``),
WeChat's ``PUBLISHJOBFINISH`` for a version published through the bot, and the watch finding it
on the platform or in the feed (``bot.publish_jobs``, ``schedules.watch``; issue 17).

The draft moves to published (a guarded transition: of two ways that learn it at once, one
records it), the account's last publication moves forward (the cadence counts from it), an audit
line is written and the department's group chat is told. Inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tortoise.expressions import Q

from bot import audit, texts
from bot.cards import Text
from bot.draft_cards import DraftView
from models import Account, Decision, Draft, DraftStatus, Outcome, Publication

if TYPE_CHECKING:
    from bot.outbox import Outbox


async def approved_hash(view: DraftView) -> str | None:
    """The hash the head approved for the latest version, if the content still matches it."""
    decision = await Decision.get_or_none(draft_id=view.draft.id, version=view.version.number,
                                          outcome=Outcome.APPROVE)
    if decision is None:
        return None
    current = view.computed_hash()
    if decision.content_hash != current or view.version.content_hash != current:
        return None
    return current


async def record(view: DraftView, digest: str, url: str, *, recorded_by_id: int, actor: str,
                 at: datetime, now: datetime, outbox: Outbox, source: str = "chat") -> bool:
    """Record the publication of ``view``'s version at ``at`` (False if the draft is no longer
    approved at that version: someone else recorded it, or it was revised)."""
    draft = view.draft
    if not await Draft.transition(draft.id, DraftStatus.PUBLISHED, now, at_version=view.version.number):
        return False
    await Publication.create(draft_id=draft.id, account_id=view.account.id,
                             version=view.version.number, content_hash=digest, url=url,
                             recorded_by_id=recorded_by_id, published_at=at, source=source)
    await Account.filter(Q(last_published_at__isnull=True) | Q(last_published_at__lt=at),
                         id=view.account.id).update(last_published_at=at)
    await audit.record(actor, "draft_published", draft.ref,
                       {"version": view.version.number, "hash": digest, "url": url,
                        "account": view.account.name, "source": source}, now=now)
    await outbox.send(
        view.department,
        Text(texts.published_to_group(view.account.name, draft.ref, view.title, view.author.name, url)),
        key=f"published:group:{draft.id}", now=now,
    )
    return True
