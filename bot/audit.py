"""The audit log (Art. 6, 14): append-only rows, each hashing the one before.

``record`` is called inside the transaction of the change it describes, so the trail and the
state never disagree. On PostgreSQL a transaction-scoped advisory lock serialises appends (two
concurrent transactions must not both chain onto the same previous row); SQLite transactions
are already serialised. ``verify`` recomputes the chain and names the first row that differs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from bot import texts
from models import AuditEvent

GENESIS = "0" * 64
_ADVISORY_KEY = 0x786D7461  # "xmta"


def _canonical_time(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_hash(
    prev_hash: str, at: datetime, actor: str, action: str, subject: str, detail: dict[str, Any]
) -> str:
    doc = [prev_hash, _canonical_time(at), actor, action, subject, detail]
    raw = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


async def record(
    actor: str, action: str, subject: str = "", detail: dict[str, Any] | None = None, *,
    now: datetime,
) -> AuditEvent:
    """Append one audit row (joins the caller's transaction if there is one)."""
    detail = detail or {}
    at = now.replace(microsecond=now.microsecond)  # stored as given; hashed at µs precision
    async with in_transaction() as conn:
        if conn.capabilities.dialect == "postgres":
            await conn.execute_query("SELECT pg_advisory_xact_lock($1)", [_ADVISORY_KEY])
        last = await AuditEvent.all().order_by("-id").only("hash").first()
        prev = last.hash if last else GENESIS
        return await AuditEvent.create(
            at=at, actor=actor, action=action, subject=subject, detail=detail, prev_hash=prev,
            hash=row_hash(prev, at, actor, action, subject, detail),
        )


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    rows: int
    bad_id: int | None = None
    reason: str = ""


async def verify(batch: int = 5000) -> VerifyResult:
    """Walk the chain in id order; report the first row whose hash or link is wrong."""
    prev = GENESIS
    count = 0
    last_id = 0
    while True:
        rows = await AuditEvent.filter(id__gt=last_id).order_by("id").limit(batch)
        if not rows:
            return VerifyResult(True, count)
        for row in rows:
            if row.prev_hash != prev:
                return VerifyResult(False, count, row.id, texts.AUDIT_REASON_LINK)
            expected = row_hash(prev, row.at, row.actor, row.action, row.subject, row.detail)
            if row.hash != expected:
                return VerifyResult(False, count, row.id, texts.AUDIT_REASON_HASH)
            prev = row.hash
            count += 1
            last_id = row.id
