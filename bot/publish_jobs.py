"""Publishing approved versions on WeChat official accounts through the bot (issue 17; Art. 10
先审后发): the worker that carries a ``PublishJob`` from queued to WeChat, and ``finish``, which
records how it ended.

- ``发布 D12`` (``handlers.publishing``) queues a job in the handler's transaction; nothing slow
  happens there. The worker (``PublishWorker.run_once``, every few seconds, and at once when a job
  is queued) claims due jobs with a lease, builds the article from exactly the approved version
  (refusing it if the content no longer has the approved hash) and calls ``Publisher.submit``
  outside any transaction. WeChat's ``publish_id`` is stored: the job is *submitted*.
- A temporary failure (``PublishThrottled``, ``PublishError``, a network error) puts the job back
  in the queue with a backoff, up to ``MAX_ATTEMPTS``; a refusal (``PublishRefused``: API not
  authorised, IP not on the allow-list, a body WeChat refuses) fails it and the requester is told
  WeChat's reason.
- **Never twice**: ``freepublish/submit`` is not idempotent, so a job whose lease ran out while it
  was being submitted (the process died) is not submitted again: it becomes *uncertain*, the
  requester is told, and the watch settles it when the article shows up in the account's
  published list (``schedules.watch``); after ``UNCERTAIN_FOR`` it is failed with that reason.
- How it ends: WeChat pushes ``PUBLISHJOBFINISH`` to the account's callback
  (``handlers.publishing``); a job submitted ``POLL_AFTER`` ago without it is polled with
  ``Publisher.status``. Either way ``finish`` records the publication (``bot.publications``:
  the draft published, the cadence moved, the group told) or the failure, and tells the requester.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tortoise.transactions import in_transaction

from bot import audit, texts
from bot.cards import Text
from bot.draft_cards import DraftView, load_view
from bot.publications import record
from bot.publishing import (
    Article,
    Credentials,
    Image,
    Publisher,
    PublishError,
    PublishRefused,
    PublishStatus,
    PublishUncertain,
)
from models import Account, AttachmentKind, Draft, JobStatus, Person, PublishJob

if TYPE_CHECKING:
    from bot.outbox import Outbox

log = logging.getLogger("xmt.publish")

LEASE = timedelta(minutes=5)
POLL_AFTER = timedelta(minutes=5)
UNCERTAIN_FOR = timedelta(hours=24)
MAX_ATTEMPTS = 8
POLL_SECONDS = 5.0
BATCH = 20


def credentials(account: Account) -> Credentials | None:
    """The account's API identity from the organisation file, if it has one."""
    wechat = account.wechat or {}
    app_id, secret = str(wechat.get("app_id", "")), str(wechat.get("app_secret", ""))
    return Credentials(account.name, app_id, secret) if app_id and secret else None


def article(view: DraftView) -> Article:
    """The approved version as an article: its text made HTML by a library, its images (the
    first is the cover), its first link as 阅读原文 (``bot.article_html``)."""
    from bot.article_html import article_from

    images = [Image(a.name or f"image{i}.jpg", a.data or b"", a.mime or "image/jpeg")
              for i, a in enumerate(view.attachments) if a.kind == AttachmentKind.IMAGE and a.data]
    links = [a.url for a in view.attachments if a.kind == AttachmentKind.LINK and a.url]
    return article_from(view.version.text, images, links, view.author.name)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


async def finish(job: PublishJob, status: PublishStatus, *, now: datetime, outbox: Outbox) -> bool:
    """Record how ``job`` ended (inside the caller's transaction). False if it had already ended
    (the event and the poll both told it) or ``status`` says it has not."""
    if status.state not in ("published", "failed"):
        return False
    account = await Account.get(id=job.account_id)
    requester = await Person.get(id=job.requested_by_id)
    draft = await Draft.get(id=job.draft_id)
    if status.state == "failed":
        if not await PublishJob.transition(job.id, JobStatus.FAILED, finished_at=now,
                                           reason=status.reason[:500]):
            return False
        await audit.record("wechat", "publish_failed", draft.ref,
                           {"job": job.ref, "code": status.code, "reason": status.reason[:200]}, now=now)
        await outbox.send(requester, Text(texts.publish_failed(draft.ref, account.name, status.reason)),
                          key=f"publish:{job.id}:failed", now=now)
        return True
    if not await PublishJob.transition(job.id, JobStatus.PUBLISHED, finished_at=now,
                                       article_url=status.article_url[:2048]):
        return False
    view = await load_view(draft, job.version)
    recorded = await record(view, job.content_hash, status.article_url, recorded_by_id=requester.id,
                            actor="wechat", at=now, now=now, outbox=outbox, source="wechat")
    if not recorded:  # revised or recorded by hand meanwhile: the job still says what went out
        log.warning("publish job %s finished but %s was not approved at v%s any more",
                    job.ref, draft.ref, job.version)
    await outbox.send(requester, Text(texts.publish_done(draft.ref, account.name, status.article_url)),
                      key=f"publish:{job.id}:done", now=now)
    return True


class PublishWorker:
    """Carries queued jobs to WeChat and polls submitted ones. One per process; several
    processes share the work through the conditional claims."""

    def __init__(self, publisher: Publisher, outbox: Outbox, *, clock: Callable[[], datetime]) -> None:
        self.publisher = publisher
        self.outbox = outbox
        self.clock = clock
        self._wake = asyncio.Event()
        self._stopping = False
        self._submitting: set[int] = set()  # jobs this process is submitting right now

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def release_claims(self, now: datetime) -> int:
        """On a stop that cut a submission short: its lease ends now, so the next round on any
        instance finds it interrupted at once and makes it UNCERTAIN (WeChat may have it: never
        submitted again, looked for in the published list), instead of after ``LEASE``."""
        ids, self._submitting = sorted(self._submitting), set()
        if not ids:
            return 0
        return await PublishJob.filter(id__in=ids, status=JobStatus.SUBMITTING).update(claimed_until=now)

    async def run_forever(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                await self.run_once(self.clock())
            except Exception:
                log.exception("publish worker round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=POLL_SECONDS)

    async def run_once(self, now: datetime) -> int:
        """One round: interrupted submissions made uncertain, due jobs submitted, submitted jobs
        without news polled. Returns how many jobs it moved."""
        moved = await self._interrupted(now)
        for job in await PublishJob.filter(status=JobStatus.QUEUED, next_attempt_at__lte=now
                                           ).order_by("id").limit(BATCH):
            if self._stopping:  # a stop began: no new submission (the rest stay queued)
                break
            if await PublishJob.transition(job.id, JobStatus.SUBMITTING, frm=(JobStatus.QUEUED,),
                                           claimed_until=now + LEASE, attempts=job.attempts + 1):
                job.attempts += 1
                self._submitting.add(job.id)
                await self._submit(job, now)
                self._submitting.discard(job.id)  # not when cut short (cancelled): release_claims's
                moved += 1
        for job in await PublishJob.filter(status=JobStatus.SUBMITTED, claimed_until__lte=now
                                           ).order_by("id").limit(BATCH):
            moved += await self._poll(job, now)
        self.outbox.wake()
        return moved

    async def _interrupted(self, now: datetime) -> int:
        moved = 0
        for job in await PublishJob.filter(status=JobStatus.SUBMITTING, claimed_until__lte=now):
            async with in_transaction():
                if not await PublishJob.transition(job.id, JobStatus.UNCERTAIN, frm=(JobStatus.SUBMITTING,),
                                                   claimed_until=now + UNCERTAIN_FOR):
                    continue
                draft, account = await Draft.get(id=job.draft_id), await Account.get(id=job.account_id)
                await self.outbox.send(await Person.get(id=job.requested_by_id),
                                       Text(texts.publish_uncertain(draft.ref, account.name)),
                                       key=f"publish:{job.id}:uncertain", now=now)
                await audit.record("wechat", "publish_uncertain", draft.ref, {"job": job.ref}, now=now)
            moved += 1
        for job in await PublishJob.filter(status=JobStatus.UNCERTAIN, claimed_until__lte=now):
            async with in_transaction():
                moved += await finish(job, PublishStatus("failed", reason=texts.PUBLISH_NOT_FOUND),
                                      now=now, outbox=self.outbox)
        return moved

    async def _submit(self, job: PublishJob, now: datetime) -> None:
        account = await Account.get(id=job.account_id)
        draft = await Draft.get(id=job.draft_id)
        creds = credentials(account)
        view = await load_view(draft, job.version)
        if creds is None or draft.version != job.version or view.computed_hash() != job.content_hash:
            reason = (texts.publish_no_credentials(account.name) if creds is None
                      else texts.publish_changed(draft.ref))
            async with in_transaction():
                await finish(job, PublishStatus("failed", reason=reason), now=now, outbox=self.outbox)
            return
        try:
            publish_id = await self.publisher.submit(creds, article(view))
        except PublishUncertain as exc:  # WeChat may have it: never submitted again
            async with in_transaction():
                if await PublishJob.transition(job.id, JobStatus.UNCERTAIN, frm=(JobStatus.SUBMITTING,),
                                               claimed_until=now + UNCERTAIN_FOR, last_error=str(exc)[:2000]):
                    await self.outbox.send(await Person.get(id=job.requested_by_id),
                                           Text(texts.publish_uncertain(draft.ref, account.name)),
                                           key=f"publish:{job.id}:uncertain", now=now)
                    await audit.record("wechat", "publish_uncertain", draft.ref, {"job": job.ref}, now=now)
            return
        except PublishRefused as exc:
            async with in_transaction():
                await finish(job, PublishStatus("failed", reason=exc.reason or str(exc), code=exc.code),
                             now=now, outbox=self.outbox)
            return
        except (TimeoutError, PublishError, OSError) as exc:
            # Not submitted (WeChat refused the call, or it never reached WeChat): safe to retry.
            await self._later(job, now, exc)
            return
        async with in_transaction():
            if await PublishJob.transition(job.id, JobStatus.SUBMITTED, frm=(JobStatus.SUBMITTING,),
                                           publish_id=publish_id[:64], claimed_until=now + POLL_AFTER):
                await self.outbox.send(await Person.get(id=job.requested_by_id),
                                       Text(texts.publish_submitted(draft.ref, account.name)),
                                       key=f"publish:{job.id}:submitted", now=now)
                await audit.record("wechat", "publish_submitted", draft.ref,
                                   {"job": job.ref, "publish_id": publish_id[:64]}, now=now)

    async def _later(self, job: PublishJob, now: datetime, exc: BaseException) -> None:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if job.attempts >= MAX_ATTEMPTS:
            async with in_transaction():
                await finish(job, PublishStatus("failed", reason=texts.PUBLISH_GAVE_UP), now=now,
                             outbox=self.outbox)
            return
        await PublishJob.transition(job.id, JobStatus.QUEUED, frm=(JobStatus.SUBMITTING,),
                                    next_attempt_at=now + backoff(job.attempts), claimed_until=None,
                                    last_error=error)

    async def _poll(self, job: PublishJob, now: datetime) -> int:
        account = await Account.get(id=job.account_id)
        creds = credentials(account)
        if creds is None or job.publish_id is None:
            return 0
        try:
            status = await self.publisher.status(creds, job.publish_id)
        except (TimeoutError, PublishError, OSError) as exc:
            log.warning("publish job %s: status poll failed: %s", job.ref, exc)
            await PublishJob.filter(id=job.id).update(claimed_until=now + POLL_AFTER)
            return 0
        if status.state == "publishing":
            await PublishJob.filter(id=job.id).update(claimed_until=now + POLL_AFTER)
            return 0
        async with in_transaction():
            return int(await finish(job, status, now=now, outbox=self.outbox))
