"""What every sweep shares: the working calendar, the lock that keeps two runs of one sweep from
even trying at once, writing a reminder with its messages in one transaction, and the cap on
how many one run writes.

The unique reminder key (kind, subject, step, period) is the guarantee: a sweep run twice, late
or in two processes sends each reminder once. The lock only saves the work: on PostgreSQL a
transaction-scoped advisory lock taken with ``pg_try_advisory_xact_lock`` (the other instance
skips this run), in one process an asyncio lock per sweep.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.cards import Message
from bot.router import Deps
from models import Department, Person, Reminder
from schedules.calendar import WorkCalendar

_local_locks: dict[str, asyncio.Lock] = {}
# Reminders one run writes at most (the most overdue first); the rest go out with the next run.
# A catch-up after a long outage comes in slices: each run stays well under a second, and the
# people at the other end are not flooded (WeCom drops more than 30 messages a minute per person).
MAX_PER_RUN = 300


def calendar(deps: Deps) -> WorkCalendar:
    return WorkCalendar.parse(deps.settings.tz, deps.settings.work_hours)


@asynccontextmanager
async def sweep_lock(kind: str) -> AsyncIterator[bool]:
    """Yield True if this run may go ahead (no other run of ``kind`` holds the lock)."""
    if connections.get("default").capabilities.dialect == "postgres":
        key = int.from_bytes(hashlib.sha1(f"xmt-sweep:{kind}".encode(),
                                          usedforsecurity=False).digest()[:7], "big")
        async with in_transaction() as conn:
            rows = await conn.execute_query_dict("SELECT pg_try_advisory_xact_lock($1) AS ok", [key])
            yield bool(rows[0]["ok"])  # per-item writes run as savepoints inside
        return
    lock = _local_locks.setdefault(kind, asyncio.Lock())
    if lock.locked():
        yield False
        return
    async with lock:
        yield True


@dataclass(frozen=True)
class Send:
    to: Person | Department
    message: Message


async def remind(kind: str, subject: str, step: str, period: str, sends: Sequence[Send], *,
                 deps: Deps, now: datetime) -> bool:
    """Write the reminder and its messages in one transaction; False if it was sent before."""
    key = Reminder.make_key(kind, subject, step, period)
    try:
        async with in_transaction():
            await Reminder.create(key=key, kind=kind, subject=subject, step=step, period=period,
                                  created_at=now)
            for n, send in enumerate(sends):
                await deps.outbox.send(send.to, send.message, key=f"rem:{key}:{n}", now=now)
    except IntegrityError:
        return False
    return True


async def sent_keys(keys: Iterable[str], chunk: int = 900) -> set[str]:
    """Which of ``keys`` are already in the reminder table (a few queries, whatever the data)."""
    wanted = list(dict.fromkeys(keys))
    found: set[str] = set()
    for i in range(0, len(wanted), chunk):
        rows = await Reminder.filter(key__in=wanted[i:i + chunk]).values_list("key", flat=True)
        found.update(str(k) for k in rows)
    return found
