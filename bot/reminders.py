"""Reminders written once: a reminder row (kind, subject, step, period — its unique key is the
guarantee) and the messages that tell of it, in one transaction. The sweeps write them
(``schedules``), and so does a handler that tells what a sweep would otherwise tell later (a
不合格 told with its reason, ``bot.judging``): both need this, so it lives below both.

``remind`` writes one reminder; inside ``batched`` (a sweep run holds it, see
``schedules.base.sweep_lock``) it queues, and every ``BATCH`` of them (and the rest when the run
ends) are written in one transaction, two multi-row INSERTs (reminders, outbox rows). Sweeps check
which keys were sent before they call ``remind`` (``Reminder.sent``), so a batch meets a unique-key
conflict only if another writer got in between; then the batch is rolled back and written one
reminder at a time, each deciding for itself. Why: one transaction per reminder cost four round
trips (BEGIN, two INSERTs, COMMIT) and made a run of 300 reminders take most of the 1 s budget
(``bench/sweeps.py``). A run that fails part-way loses the batch it had queued; the next run
writes it (the keys were never stored). ``remind_many`` writes many reminders and the few
messages that tell of them in two statements.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.cards import Message
from bot.deps import Deps
from models import Department, OutboxMessage, Person, Reminder

#: The reminder kinds (``Reminder.kind``) that more than the sweep writing them reads.
CADENCE = "cadence"  # schedules.cadence; the year's figures and the registry count its late steps
REVIEW = "review"  # schedules.review; bot.judging writes its failure notices
INQUIRY = "inquiry"  # schedules.inquiries
BATCH = 50  # reminders written per transaction inside a sweep run


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
async def batched(active: bool) -> AsyncIterator[None]:
    """While active, ``remind`` queues and every ``BATCH`` reminders are written in one
    transaction (a sweep run: ``schedules.base.sweep_lock``); the rest when the block ends."""
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
