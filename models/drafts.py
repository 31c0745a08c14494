"""Drafts, their versions and attachments, decisions and publications (Art. 8, 9, 10, 14).

An approval (Decision with outcome APPROVE) records the content hash of exactly one version; a
Publication can only reference that version (先审后发). State changes are guarded transitions
(``models.transitions``, table ``TRANSITIONS``) so that two concurrent taps produce one decision.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from models.org import Account, Person
from models.transitions import transition


class Category(str, Enum):
    """Art. 8: the four ranges of content a post may belong to."""

    SERVICE = "1"  # 动态信息、宣传教育、服务信息、重要事项和行业动态
    IMAGE = "2"  # 形象宣传、文化建设、公益活动
    LEADER = "3"  # 经领导批准发布的信息
    WORK = "4"  # 结合工作需要认定需要发布或转发的信息


class DraftStatus(str, Enum):
    COMPOSING = "composing"  # preview shown, attachments may still arrive, not yet submitted
    PENDING = "pending"  # waiting for the department head
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    PUBLISHED = "published"


# Which states a draft may leave for which; every transition is checked against this table.
TRANSITIONS: dict[DraftStatus, frozenset[DraftStatus]] = {
    DraftStatus.PENDING: frozenset({DraftStatus.COMPOSING}),
    DraftStatus.CANCELLED: frozenset({DraftStatus.COMPOSING}),
    DraftStatus.APPROVED: frozenset({DraftStatus.PENDING}),
    DraftStatus.REJECTED: frozenset({DraftStatus.PENDING}),
    DraftStatus.WITHDRAWN: frozenset({DraftStatus.PENDING, DraftStatus.COMPOSING}),
    # 修改: a new version goes back to composing from any state that is not final.
    DraftStatus.COMPOSING: frozenset(
        {DraftStatus.COMPOSING, DraftStatus.PENDING, DraftStatus.APPROVED, DraftStatus.REJECTED}
    ),
    DraftStatus.PUBLISHED: frozenset({DraftStatus.APPROVED}),
}


class Outcome(str, Enum):
    APPROVE = "approve"
    REJECT = "reject"


class AttachmentKind(str, Enum):
    IMAGE = "image"
    FILE = "file"
    LINK = "link"


class Draft(Model):
    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="drafts", on_delete=fields.RESTRICT
    )
    account_id: int
    author: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="drafts", on_delete=fields.RESTRICT
    )
    author_id: int
    status = fields.CharEnumField(DraftStatus, max_length=16, default=DraftStatus.COMPOSING)
    version = fields.SmallIntField(default=1)  # number of the latest version
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "draft"
        # (status, updated_at, id, version, account_id): the approval sweep's and the digest's
        # pending drafts, read in the index alone (issue 19).
        indexes = (("author_id", "status"), ("status", "account_id"),
                   ("status", "updated_at", "id", "version", "account_id"))

    @property
    def ref(self) -> str:
        """The short reference people type: D12."""
        return f"D{self.id}"

    @classmethod
    async def transition(
        cls, draft_id: int, to: DraftStatus, now: datetime, *, at_version: int | None = None,
        **changes: Any,
    ) -> bool:
        """Move a draft to ``to`` if it is in an allowed state (and at ``at_version``); else False.

        A conditional UPDATE: of two concurrent callers exactly one sees True.
        """
        return await transition(cls, draft_id, to, TRANSITIONS,
                                where=None if at_version is None else {"version": at_version},
                                updated_at=now, **changes)


class DraftVersion(Model):
    id = fields.IntField(primary_key=True)
    draft: fields.ForeignKeyRelation[Draft] = fields.ForeignKeyField(
        "models.Draft", related_name="versions", on_delete=fields.CASCADE
    )
    draft_id: int
    number = fields.SmallIntField()
    category = fields.CharEnumField(Category, max_length=1, null=True)
    text = fields.TextField()
    content_hash = fields.CharField(max_length=64, default="")
    # Art. 13: what screening found at submission: [{word, level, context}]
    screening: list[dict[str, str]] = fields.JSONField(default=list)
    created_at = fields.DatetimeField()

    class Meta:
        table = "draft_version"
        unique_together = (("draft_id", "number"),)

    @property
    def title(self) -> str:
        return title_of(self.text)


class Attachment(Model):
    id = fields.IntField(primary_key=True)
    version: fields.ForeignKeyRelation[DraftVersion] = fields.ForeignKeyField(
        "models.DraftVersion", related_name="attachments", on_delete=fields.CASCADE
    )
    version_id: int
    kind = fields.CharEnumField(AttachmentKind, max_length=8)
    name = fields.CharField(max_length=255, default="")
    url = fields.CharField(max_length=2048, default="")
    mime = fields.CharField(max_length=128, default="")
    # Kept with the draft: platform media ids expire (WeCom: 3 days), the approval covers bytes.
    data = fields.BinaryField(null=True)
    sha256 = fields.CharField(max_length=64, default="")
    size = fields.IntField(default=0)
    # The readable text of a .txt or .docx file, read when it arrived, outside any transaction
    # (screening reads it at 提交审核); None for other files and for rows from before it was kept.
    text = fields.TextField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "attachment"


class Decision(Model):
    id = fields.IntField(primary_key=True)
    draft: fields.ForeignKeyRelation[Draft] = fields.ForeignKeyField(
        "models.Draft", related_name="decisions", on_delete=fields.CASCADE
    )
    draft_id: int
    version = fields.SmallIntField()
    decider: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="decisions", on_delete=fields.RESTRICT
    )
    decider_id: int
    outcome = fields.CharEnumField(Outcome, max_length=8)
    reason = fields.TextField(default="")
    content_hash = fields.CharField(max_length=64)
    decided_at = fields.DatetimeField()

    class Meta:
        table = "decision"
        # One decision per version, also at the database level.
        unique_together = (("draft_id", "version"),)


class Publication(Model):
    id = fields.IntField(primary_key=True)
    draft: fields.OneToOneRelation[Draft] = fields.OneToOneField(
        "models.Draft", related_name="publication", on_delete=fields.CASCADE
    )
    draft_id: int
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="publications", on_delete=fields.RESTRICT
    )
    account_id: int
    version = fields.SmallIntField()
    content_hash = fields.CharField(max_length=64)
    url = fields.CharField(max_length=2048)
    recorded_by: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="publications", on_delete=fields.RESTRICT
    )
    recorded_by_id: int
    published_at = fields.DatetimeField()
    # How it was recorded: "chat" (已发布 by a person), "wechat" (published through the bot,
    # PUBLISHJOBFINISH), "seen" (found on the platform or feed and matched, issue 17). For the
    # last two ``recorded_by`` is the person who asked to publish, or the draft's author.
    source = fields.CharField(max_length=8, default="chat", db_default="chat")

    class Meta:
        table = "publication"
        indexes = (("account_id", "published_at"),)


TITLE_MAX = 64


def title_of(text: str) -> str:
    """A draft's title: its first non-empty line, cut to TITLE_MAX characters."""
    for line in text.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= TITLE_MAX else line[: TITLE_MAX - 1] + "…"
    return ""


def excerpt_of(text: str, limit: int = 80) -> str:
    """The body after the title, on one line, cut to ``limit`` characters."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    body = " ".join(lines[1:]) if len(lines) > 1 else ""
    return body if len(body) <= limit else body[: limit - 1] + "…"


def content_hash(
    text: str, category: Category | None, attachments: Iterable[tuple[str, str, str, str]]
) -> str:
    """SHA-256 over a version's text, category and every attachment (kind, name, url, bytes hash).

    Canonical JSON, so the same content always gives the same hash on every database.
    """
    doc = {
        "text": text,
        "category": category.value if category else None,
        "attachments": [list(a) for a in attachments],
    }
    raw = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()
