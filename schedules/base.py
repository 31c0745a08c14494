"""What every sweep shares: its opening (``@sweep``: working hours only, and the lock that keeps
two runs of one sweep from even trying at once), writing a reminder with its messages in one
transaction, and the cap on how many one run writes.

``@sweep(KIND)`` wraps a sweep's body, ``async def body(now, deps) -> int``: outside working hours
(``deps.calendar.is_open``) it returns 0 without a query (what falls due at night is written by the
first run after the opening), and when another run of the same kind holds the lock it returns 0
too; otherwise the body runs inside ``sweep_lock``, its reminders batched. The body is only the
sweep's own logic.

The unique reminder key (kind, subject, step, period) is the guarantee: a sweep run twice, late
or in two processes sends each reminder once. The lock only saves the work: on PostgreSQL a
transaction-scoped advisory lock taken with ``pg_try_advisory_xact_lock`` (the other instance
skips this run), in one process an asyncio lock per sweep.

Inside ``sweep_lock`` the reminders a run writes are batched: ``remind`` queues the reminder and
its messages, and every ``BATCH`` of them (and the rest when the run ends) are written in one
transaction, two multi-row INSERTs (reminders, outbox rows). Sweeps check which keys were sent
before they call ``remind``, so a batch meets a unique-key conflict only if another writer got in
between; then the batch is rolled back and written one reminder at a time as outside a sweep,
each deciding for itself. Why: one transaction per reminder cost four round trips (BEGIN, two
INSERTs, COMMIT) and made a run of 300 reminders take most of the 1 s budget
(``bench/sweeps.py``). A run that fails part-way loses the batch it had queued; the next run
writes it (the keys were never stored).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.cards import Message
from bot.deps import Deps
from models import Department, OutboxMessage, Person, Reminder

_local_locks: dict[str, asyncio.Lock] = {}
# Reminders one run writes at most (the most overdue first); the rest go out with the next run.
# A catch-up after a long outage comes in slices: each run stays well under a second, and the
# people at the other end are not flooded (WeCom drops more than 30 messages a minute per person).
MAX_PER_RUN = 300
BATCH = 50  # reminders written per transaction inside a sweep run


@asynccontextmanager
async def sweep_lock(kind: str) -> AsyncIterator[bool]:
    """Yield True if this run may go ahead (no other run of ``kind`` holds the lock); the
    reminders written meanwhile are batched (see the module's notes)."""
    if connections.get("default").capabilities.dialect == "postgres":
        key = int.from_bytes(hashlib.sha1(f"xmt-sweep:{kind}".encode(),
                                          usedforsecurity=False).digest()[:7], "big")
        async with in_transaction() as conn:
            rows = await conn.execute_query_dict("SELECT pg_try_advisory_xact_lock($1) AS ok", [key])
            mine = bool(rows[0]["ok"])
            async with _batched(mine):
                yield mine  # batches run as savepoints inside
        return
    lock = _local_locks.setdefault(kind, asyncio.Lock())
    if lock.locked():
        yield False
        return
    async with lock, _batched(True):
        yield True


SweepFn = Callable[[datetime, Deps], Awaitable[int]]


def sweep(kind: str) -> Callable[[SweepFn], SweepFn]:
    """The common opening of every sweep (see the module's notes): the decorated body runs only in
    working hours and only in the run that holds ``kind``'s lock; otherwise the sweep wrote 0."""
    def wrap(body: SweepFn) -> SweepFn:
        @functools.wraps(body)
        async def run(now: datetime, deps: Deps) -> int:
            if not deps.calendar.is_open(now):
                return 0
            async with sweep_lock(kind) as mine:
                if not mine:
                    return 0
                return await body(now, deps)
        return run
    return wrap


@dataclass(frozen=True)
class Send:
    to: Person | Department
    message: Message


@dataclass(frozen=True)
class _Queued:
    kind: str
    subject: str
    step: str
    period: str
    sends: Sequence[Send]
    deps: Deps
    now: datetime

    @property
    def key(self) -> str:
        return Reminder.make_key(self.kind, self.subject, self.step, self.period)

    def reminder(self) -> Reminder:
        """A new, unsaved row (one a failed batch tried to insert may count as saved)."""
        return Reminder(key=self.key, kind=self.kind, subject=self.subject, step=self.step,
                        period=self.period, created_at=self.now)

    def messages(self) -> list[OutboxMessage]:
        return [self.deps.outbox.build(send.to, send.message, key=f"rem:{self.key}:{n}",
                                       now=self.now) for n, send in enumerate(self.sends)]


_queue: ContextVar[list[_Queued] | None] = ContextVar("xmt_reminder_batch", default=None)


@asynccontextmanager
async def _batched(active: bool) -> AsyncIterator[None]:
    if not active:
        yield
        return
    queued: list[_Queued] = []
    token = _queue.set(queued)
    try:
        yield
        await _flush(queued)
    finally:
        _queue.reset(token)


async def remind(kind: str, subject: str, step: str, period: str, sends: Sequence[Send], *,
                 deps: Deps, now: datetime) -> bool:
    """Write the reminder and its messages in one transaction; False if it was sent before.
    Inside a sweep run: queued for the run's next batch, and True (the sweep checked the key)."""
    item = _Queued(kind, subject, step, period, sends, deps, now)
    queued = _queue.get()
    if queued is None:
        return await _write_one(item)
    queued.append(item)
    if len(queued) >= BATCH:
        await _flush(queued)
    return True


async def _write_one(item: _Queued) -> bool:
    try:
        async with in_transaction():
            await item.reminder().save()
            for row in item.messages():
                await row.save()
    except IntegrityError:
        return False
    return True


async def _flush(queued: list[_Queued]) -> None:
    items = list(queued)
    queued.clear()
    if not items:
        return
    try:
        async with in_transaction():
            await Reminder.bulk_create([item.reminder() for item in items])
            rows = [row for item in items for row in item.messages()]
            if rows:
                await OutboxMessage.bulk_create(rows)
    except IntegrityError:  # another writer got in between: each reminder decides for itself
        for item in items:
            await _write_one(item)


async def remind_many(kind: str, reminders: Sequence[tuple[str, str, str]],
                      sends: Sequence[tuple[Send, str]], *, deps: Deps, now: datetime) -> bool:
    """Write many reminders ``(subject, step, period)`` and the messages that tell of them
    (``(send, outbox key)``: one message may cover many reminders) in one transaction. False,
    and nothing written, if one of the reminders was written meanwhile by another writer: the
    caller's next run decides again from the table.

    The reminder rows go in as one prepared INSERT run over all of them (``executemany``, which
    binds row by row: no limit on parameters), not as model instances: building 20,000 tortoise
    models took 2 s of a kickoff's run; the rows are five strings and one time. The messages
    (one per person, far fewer) are the outbox's own rows, in one ``bulk_create``. Two
    statements whatever the number of accounts."""
    created = Reminder._meta.fields_map["created_at"].to_db_value(now, Reminder)
    values: list[list[Any]] = [[Reminder.make_key(kind, subject, step, period), kind, subject, step,
                                period, created] for subject, step, period in reminders]
    messages = [deps.outbox.build(send.to, send.message, key=key, now=now) for send, key in sends]
    try:
        async with in_transaction() as conn:
            if values:
                await conn.execute_many(_insert_reminders(conn.capabilities.dialect), values)
            if messages:
                await OutboxMessage.bulk_create(messages)
    except IntegrityError:
        return False
    return True


def _insert_reminders(dialect: str) -> str:
    """The reminder table's INSERT (``Reminder``'s columns; asyncpg numbers its parameters)."""
    return _INSERT_REMINDER_PG if dialect == "postgres" else _INSERT_REMINDER


_INSERT_REMINDER = ('INSERT INTO "reminder" ("key", "kind", "subject", "step", "period", "created_at") '
                    "VALUES (?, ?, ?, ?, ?, ?)")
_INSERT_REMINDER_PG = ('INSERT INTO "reminder" ("key", "kind", "subject", "step", "period", "created_at") '
                       "VALUES ($1, $2, $3, $4, $5, $6)")


async def sent_keys(keys: Iterable[str], chunk: int = 900) -> set[str]:
    """Which of ``keys`` are already in the reminder table (a few queries, whatever the data)."""
    wanted = list(dict.fromkeys(keys))
    found: set[str] = set()
    for i in range(0, len(wanted), chunk):
        rows = await Reminder.filter(key__in=wanted[i:i + chunk]).values_list("key", flat=True)
        found.update(str(k) for k in rows)
    return found
