"""Inbound events: dedupe, persist, then process in the background.

A channel's route calls ``Inbox.accept(event)`` inside the request: one INSERT of the event key
(unique) and payload, then the route answers the platform. ``accept`` returns False for a repeat
delivery. The work runs in a task: one transaction resolves the sender, runs the handler (which
writes its state changes and outbox rows) and marks the event done — all or nothing, so a crash
mid-way leaves the event ``received`` and ``resume()`` processes it again after restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from bot import audit, texts
from bot.cards import Text
from bot.events import Event
from bot.router import Ctx, Deps, Router
from bot.tasks import TaskRunner
from models import InboundEvent, InboundStatus, Person, Prompt

log = logging.getLogger("xmt.inbound")
PROCESSING_SLOTS = 4


def inbound_key(event: Event) -> str:
    return f"{event.channel}:{event.key}"


async def find_person(channel: str, sender: str) -> Person | None:
    """Map a chat identity to a person. The local channel uses the person's code."""
    field = {"wecom": "wecom_userid", "dingtalk": "dingtalk_userid"}.get(channel, "code")
    lookup: dict[str, Any] = {field: sender, "active": True}
    return await Person.get_or_none(**lookup)


class Inbox:
    def __init__(self, router: Router, deps: Deps, tasks: TaskRunner) -> None:
        self.router = router
        self.deps = deps
        self.tasks = tasks
        # Per channel: complete an event before it is handled, outside the transaction
        # (e.g. download the bytes of an image whose platform media id expires in 3 days).
        self.prepare: dict[str, Callable[[Event], Awaitable[Event]]] = {}
        # At most this many events are processed at once. Unbounded, a burst of callbacks
        # queues hundreds of transactions on the database (SQLite's one connection, or the
        # PostgreSQL pool) and the one INSERT that acknowledges the next callback waits behind
        # them: bench/wecom_ingest.py measured acknowledgements 2-3x slower without this bound.
        self._slots = asyncio.Semaphore(PROCESSING_SLOTS)
        # One person's events are handled one after another, in the order they arrived: a
        # draft and the photo sent a second later must not race (the photo would find no draft).
        self._queues: dict[tuple[str, str], tuple[asyncio.Lock, list[int]]] = {}
        # Events from outside the organisation (no person to resolve): event type → handler.
        self.public: dict[type[Event], Callable[[Event, Deps, datetime], Awaitable[None]]] = {}
        self._intake = _GroupCommit(self._stored, tasks)

    async def accept(self, event: Event) -> bool:
        """Store the event (dedupe) and schedule its processing. False if seen before.

        Returns once the row is committed (the caller may then acknowledge the delivery).
        Callbacks that arrive together are committed together (``_GroupCommit``); the
        processing task is spawned by the commit itself, so a request cancelled while it waits
        (the platform hung up) loses nothing: the row is stored and processed all the same.
        Call it outside any transaction (routes do): the writer task it may start inherits the
        caller's context, tortoise's current transaction included.
        """
        return await self._intake.store(event)

    def _stored(self, row_id: int, event: Event) -> None:
        self.tasks.spawn(self.process(row_id, event), name=f"inbound-{row_id}")

    async def resume(self) -> int:
        """Process events that were acknowledged but not processed (after a crash)."""
        rows = await InboundEvent.filter(status=InboundStatus.RECEIVED).order_by("id")
        for row in rows:
            event = Event.from_json(row.kind, row.payload)
            self.tasks.spawn(self.process(row.id, event), name=f"inbound-{row.id}")
        return len(rows)

    async def process(self, row_id: int, event: Event) -> None:
        who = (event.channel, event.sender)
        lock, users = self._queues.setdefault(who, (asyncio.Lock(), [0]))
        users[0] += 1  # the lock is forgotten only when no task holds it or waits for it
        try:
            async with lock, self._slots:  # FIFO: tasks reach the lock in spawn order
                await self._process(row_id, event)
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._queues[who]

    async def _process(self, row_id: int, event: Event) -> None:
        # Stored and compared in UTC (SQLite compares the stored text); shown in local time.
        now = self.deps.clock().astimezone(UTC)
        try:
            prepare = self.prepare.get(event.channel)
            if prepare is not None:
                event = await prepare(event)
            async with in_transaction():
                claimed = await InboundEvent.filter(
                    id=row_id, status=InboundStatus.RECEIVED
                ).update(status=InboundStatus.DONE, processed_at=now)
                if not claimed:
                    return  # another worker or instance took it
                await self.handle(event, now, row_id)
        except Exception as exc:
            log.exception("event %s failed", inbound_key(event))
            await self._failed(row_id, event, now, exc)
        self.deps.outbox.wake()

    async def handle(self, event: Event, now: datetime, row_id: int) -> None:
        """Route one event to its handler (inside the caller's transaction)."""
        public = self.public.get(type(event))
        if public is not None:
            await public(event, self.deps, now)
            return
        person = await find_person(event.channel, event.sender)
        if person is None:
            await self._stranger(event, now, row_id)
            return
        prompt = await Prompt.get_or_none(person_id=person.id)
        if prompt is not None and prompt.expires_at <= now:
            await prompt.delete()
            prompt = None
        ctx: Ctx[Any] = Ctx(event=event, person=person, now=now, outbox=self.deps.outbox,
                            prompt=prompt, tz=self.deps.settings.tz)
        route = self.router.resolve(ctx)
        if route is None:
            log.info("no route for %s event from %s", event.kind, person.code)
            await ctx.reply(texts.EXPIRED_BUTTON if event.kind == "card_action"
                            else texts.UNKNOWN_COMMAND)
            return
        await route.handler(ctx, self.deps)

    async def _stranger(self, event: Event, now: datetime, row_id: int) -> None:
        """Someone not in the organisation: an audit line and a pointer to the Information
        Center, sent straight to the channel identity. What they wrote is not kept: the event
        row keeps only its key (for dedupe)."""
        await audit.record(f"{event.channel}:{event.sender}", "stranger_message", event.kind,
                           now=now)
        await InboundEvent.filter(id=row_id).update(payload={})
        await self.deps.outbox.send_to_address(
            event.channel, event.sender, Text(texts.NOT_IN_ORG),
            key=f"{inbound_key(event)}:stranger", now=now,
        )

    async def _failed(self, row_id: int, event: Event, now: datetime, exc: Exception) -> None:
        try:
            async with in_transaction():
                await InboundEvent.filter(id=row_id).update(
                    status=InboundStatus.FAILED, processed_at=now,
                    error=f"{type(exc).__name__}: {exc}"[:2000],
                )
                person = await find_person(event.channel, event.sender)
                if person is not None:
                    await self.deps.outbox.send(
                        person, Text(texts.INTERNAL_ERROR), key=f"{inbound_key(event)}:error",
                        now=now, channel=event.channel,
                    )
        except Exception:
            log.exception("could not record failure of event %s", inbound_key(event))


class _GroupCommit:
    """Stores inbound events in batches: one statement for every event that arrived while the
    previous batch was being written.

    Why: each acknowledgement needs its row committed first, and one INSERT per callback queues
    the callbacks one by one on the database (SQLite has one connection behind a lock, and every
    statement is a round trip to aiosqlite's thread). Under a burst the latency of the last
    callback was the sum of all the others' round trips: 50 callbacks in flight acknowledged at
    p99 ≈ 100 ms. A batch costs one round trip whatever its size, so latency stays flat as load
    grows (the group commit databases use for their own logs). ``bench/wecom_ingest.py``
    measures it.

    The statement is ``INSERT … ON CONFLICT (key) DO NOTHING RETURNING id, key`` (SQLite ≥ 3.35
    and PostgreSQL): atomic on its own, and it returns exactly the rows it inserted, so dedupe is
    decided by the unique key even against another process storing the same key at the same
    moment. A key repeated inside one batch is inserted once; its later copies answer False.
    """

    MAX_BATCH = 256  # 8 columns a row: far below both databases' limit on bound parameters

    def __init__(self, stored: Callable[[int, Event], None], tasks: TaskRunner) -> None:
        self._stored = stored
        self._tasks = tasks
        self._pending: list[tuple[Event, asyncio.Future[bool]]] = []
        self._writing: list[tuple[Event, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def store(self, event: Event) -> bool:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((event, future))
        if self._writer is None or self._writer.done():
            self._writer = self._tasks.spawn(self._write(), name="inbound-intake")
            self._writer.add_done_callback(self._writer_done)
        return await future

    async def _write(self) -> None:
        while self._pending:
            self._writing = batch = self._pending[: self.MAX_BATCH]
            del self._pending[: self.MAX_BATCH]
            try:
                ids = await insert_events([event for event, _ in batch])
            except Exception as exc:  # the database is down: every waiting request fails
                self._writing = []
                self._fail(batch, exc)
                continue
            self._writing = []  # (kept while cancelled: ``_writer_done`` fails them)
            for (event, future), row_id in zip(batch, ids, strict=True):
                if row_id is None:
                    log.info("duplicate inbound event %s ignored", inbound_key(event))
                else:
                    self._stored(row_id, event)
                if not future.done():  # done = the request was cancelled; the row stands
                    future.set_result(row_id is not None)

    def _writer_done(self, task: asyncio.Task[None]) -> None:
        """Cancelled at shutdown (even before it started): no request may wait for a write that
        will not come. They fail (500), the platform retries; a row the cancelled statement did
        commit is a repeat then, and ``resume()`` processes it at the next start."""
        if task.cancelled():
            self._fail(self._writing + self._pending, ConnectionAbortedError("shutting down"))
            self._writing, self._pending = [], []

    @staticmethod
    def _fail(batch: list[tuple[Event, asyncio.Future[bool]]], exc: BaseException) -> None:
        for _, future in batch:
            if not future.done():
                future.set_exception(exc)


async def insert_events(events: list[Event]) -> list[int | None]:
    """Store events in one statement; per event its new row id, or None for a repeat (a key
    stored before, or earlier in the list)."""
    meta = InboundEvent._meta
    keys = [inbound_key(event)[:255] for event in events]
    rows: dict[str, InboundEvent] = {}
    for key, event in zip(keys, events, strict=True):
        rows.setdefault(key, InboundEvent(key=key, channel=event.channel, kind=event.kind,
                                          payload=event.to_json(), received_at=event.received_at))
    db = meta.db
    sql, fields = _insert_sql(db, len(rows))
    values = [meta.fields_map[name].to_db_value(getattr(row, name), row)
              for row in rows.values() for name in fields]
    ids = {str(r["key"]): int(r["id"]) for r in await db.execute_query_dict(sql, values)}
    return [ids.pop(key, None) for key in keys]


_INSERT_SQL: dict[tuple[type[Any], int], tuple[str, list[str]]] = {}


def _insert_sql(db: Any, rows: int) -> tuple[str, list[str]]:
    """The statement for ``rows`` events and its fields in order, built once per size and
    dialect (tortoise's query builder costs about 1.5 ms for 50 rows, more than the statement
    itself)."""
    cached = _INSERT_SQL.get((db.query_class, rows))
    if cached is not None:
        return cached
    meta = InboundEvent._meta
    executor = db.executor_class(model=InboundEvent, db=db)
    fields: list[str] = list(executor.regular_columns)  # every column but the generated id
    query = db.query_class.into(meta.basetable).columns(
        *(meta.fields_db_projection[name] for name in fields))
    for row in range(rows):
        query = query.insert(*(executor.parameter(row * len(fields) + i)
                               for i in range(len(fields))))
    query = query.on_conflict("key").do_nothing().returning("id", "key")
    cached = _INSERT_SQL[(db.query_class, rows)] = (str(query), fields)
    return cached
