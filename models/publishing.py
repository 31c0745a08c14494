"""Publishing through the bot and watching what accounts published (issue 17, Art. 10, 11, 13).

A ``PublishJob`` is an approved version on its way to a WeChat official account: queued by
``发布 D1`` (or the card's button), submitted by the publish worker outside any transaction,
finished by WeChat's ``PUBLISHJOBFINISH`` event or by polling ``freepublish/get``. A job that was
being submitted when the process died is never submitted again (WeChat would publish it twice):
it is marked ``uncertain`` and the watch settles it (``bot.publish_jobs``).

A ``SeenItem`` is one item an account's platform or feed shows as published, recorded once per
(account, source id): matched to an approved version (then a ``Publication`` exists for it), or
published without approval (Art. 10), reported once and counted in the account's year.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from models.transitions import transition


class JobStatus(str, Enum):
    QUEUED = "queued"  # waiting for the worker (or for a retry after a temporary failure)
    SUBMITTING = "submitting"  # the worker is uploading and submitting it
    SUBMITTED = "submitted"  # WeChat has the job (publish_id): waiting for its result
    PUBLISHED = "published"
    FAILED = "failed"  # refused, or WeChat's job failed (reason kept)
    UNCERTAIN = "uncertain"  # interrupted while submitting: settled by the watch, never resubmitted


JOB_TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.SUBMITTING: frozenset({JobStatus.QUEUED}),
    JobStatus.QUEUED: frozenset({JobStatus.SUBMITTING}),  # a temporary failure before WeChat had it
    JobStatus.SUBMITTED: frozenset({JobStatus.SUBMITTING}),
    JobStatus.PUBLISHED: frozenset({JobStatus.SUBMITTED, JobStatus.UNCERTAIN}),
    JobStatus.FAILED: frozenset({JobStatus.QUEUED, JobStatus.SUBMITTING, JobStatus.SUBMITTED,
                                 JobStatus.UNCERTAIN}),
    JobStatus.UNCERTAIN: frozenset({JobStatus.SUBMITTING}),
}
ACTIVE = (JobStatus.QUEUED, JobStatus.SUBMITTING, JobStatus.SUBMITTED, JobStatus.UNCERTAIN)


class PublishJob(Model):
    """An approved version being published on a WeChat official account through the bot."""

    id = fields.IntField(primary_key=True)
    draft_id = fields.IntField(db_index=True)
    version = fields.SmallIntField()
    content_hash = fields.CharField(max_length=64)  # the approved hash: what must go out
    account_id = fields.IntField()
    requested_by_id = fields.IntField()
    requested_at = fields.DatetimeField()
    status = fields.CharEnumField(JobStatus, max_length=12, default=JobStatus.QUEUED)
    attempts = fields.SmallIntField(default=0)
    next_attempt_at = fields.DatetimeField()
    claimed_until = fields.DatetimeField(null=True)
    publish_id = fields.CharField(max_length=64, null=True, db_index=True)
    article_url = fields.CharField(max_length=2048, default="")
    reason = fields.CharField(max_length=500, default="")  # why it failed, for the officer
    last_error = fields.CharField(max_length=2000, default="")
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "publish_job"
        indexes = (("status", "next_attempt_at"),)

    @property
    def ref(self) -> str:
        return f"P{self.id}"

    @classmethod
    async def transition(cls, job_id: int, to: JobStatus, *, frm: tuple[JobStatus, ...] | None = None,
                         **changes: Any) -> bool:
        return await transition(cls, job_id, to, JOB_TRANSITIONS, frm=frm, **changes)


class SeenItem(Model):
    """One published item seen on an account's platform or feed."""

    id = fields.IntField(primary_key=True)
    account_id = fields.IntField()
    source = fields.CharField(max_length=8)  # "wechat" (freepublish/batchget) | "feed"
    source_id = fields.CharField(max_length=255)
    title = fields.CharField(max_length=255, default="")
    url = fields.CharField(max_length=2048, default="")
    published_at = fields.DatetimeField(null=True)
    seen_at = fields.DatetimeField()
    draft_id = fields.IntField(null=True)  # matched: the approved draft it is
    matched_by = fields.CharField(max_length=8, default="")  # link | text | title
    score = fields.FloatField(null=True)
    # Art. 13 after publication: what the word lists found in the published text.
    screening: list[dict[str, str]] = fields.JSONField(default=list)

    class Meta:
        table = "seen_item"
        unique_together = (("account_id", "source_id"),)
        indexes = (("account_id", "published_at"),)

    @property
    def unapproved(self) -> bool:
        return self.draft_id is None
