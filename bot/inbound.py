"""Inbound events: dedupe, persist, then process in the background.

A channel's route calls ``Inbox.accept(event)`` inside the request: one INSERT of the event key
(unique) and payload, then the route answers the platform. ``accept`` returns False for a repeat
delivery. The work runs in a task: one transaction resolves the sender (by the ``Person`` column
the event's channel declares as its ``identity``; events from outside the organisation, routed
with ``router.public``, have none), runs the handler (which writes its state changes and outbox
rows) and marks the event done — all or nothing, so a crash mid-way leaves the event ``received``
and ``resume()`` processes it again after restart.

Nothing accepted is lost or stuck:
- Keys built from platform values are bounded (``bot.events.bounded_key``): a 10,000-character
  msgId cannot make the event, its replies or its failure notice overflow a key column.
- A row the database refuses fails only its own request: the group commit retries a failed
  batch row by row (``_GroupCommit``); only a real outage fails every request of the batch.
- An event whose handler fails is marked ``failed`` with the reason and the person is told once
  (the notice's outbox key is unique per event, and only the worker that moves the row from
  ``received`` to ``failed`` writes it). If even that cannot be written (an error text the
  database refuses, say), a minimal ``UPDATE … status = failed`` with a short reason runs in its
  own transaction.
- Events still ``received`` after a crash, a database hiccup or a bug of ours are picked up by
  ``resume()`` at start-up and by ``sweep_stuck(now)`` periodically: processed again if their
  payload still loads, else failed with the reason. Rows queued in this process are skipped
  (``_in_flight``); between instances the conditional claim in ``_process`` decides.

Each event processed leaves one log line (``xmt.inbound``, INFO; in JSON its fields are
``event_key``, ``channel``, ``kind``, ``person_id``, ``handler``, ``duration_ms``, ``result``) and
is counted in the figures (``bot.metrics.metrics_of``). The person is named
by their row id, never their name or platform id; what they wrote is never logged. Results:
``done`` (a handler ran), ``no_route``, ``stranger`` (nobody on file), ``failed``, ``elsewhere``
(another worker or instance claimed it first: logged at DEBUG).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from tortoise.transactions import in_transaction

from bot import audit, texts
from bot.cards import Text
from bot.deps import Deps
from bot.events import Event, FileMessage, bounded_key
from bot.metrics import metrics_of
from bot.router import Ctx, EventCtx, Route, Router
from bot.screening import readable_text
from bot.tasks import TaskRunner
from models import InboundEvent, InboundStatus, Person, Prompt

log = logging.getLogger("xmt.inbound")
PROCESSING_SLOTS = 4
STUCK_AFTER = timedelta(minutes=5)  # a received event older than this is not merely queued
SWEEP_LIMIT = 500  # rows one sweep takes on (the next sweep takes the rest)
ERROR_LIMIT = 2000  # characters of the reason kept on a failed event


def inbound_key(event: Event) -> str:
    """The event's dedupe key (``InboundEvent.key``): ``channel:key``, bounded to the column."""
    return bounded_key(event.channel, event.key)


def describe(exc: BaseException) -> str:
    """The reason stored on a failed event: type and message, cut to the column's budget and
    made storable (a platform's NUL or lone surrogate quoted in an exception message would make
    the database refuse the reason itself)."""
    try:
        text = f"{type(exc).__name__}: {exc}"
    except Exception:  # an exception whose __str__ fails
        text = type(exc).__name__
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode()[:ERROR_LIMIT]


@runtime_checkable
class Identifies(Protocol):
    """A channel whose senders are people of the organisation: ``identity`` is the ``Person``
    column holding their id there (``wecom_userid``, ``dingtalk_userid``, ``code``)."""

    name: str
    identity: str


DEFAULT_IDENTITY = "code"  # a channel that declares none (the simulator's stand-ins): the code


def identities(channels: Iterable[object]) -> dict[str, str]:
    """Channel name → the ``Person`` column its senders are found by, as each channel declares."""
    return {c.name: c.identity for c in channels if isinstance(c, Identifies)}


async def find_person(column: str, sender: str) -> Person | None:
    """The active person whose ``column`` (their id on a channel) is ``sender``."""
    if len(sender) > Person._meta.fields_map[column].max_length:  # type: ignore[attr-defined]
        return None  # nobody on file has it (and tortoise would refuse the filter)
    lookup: dict[str, Any] = {column: sender, "active": True}
    return await Person.get_or_none(**lookup)


@dataclasses.dataclass
class Outcome:
    """What processing one event came to: its log line and its figures."""

    result: str = "done"
    person_id: int | None = None
    handler: str = ""

    def took(self, route: Route) -> None:
        self.handler = route.name


class Inbox:
    def __init__(self, router: Router, deps: Deps, tasks: TaskRunner,
                 channels: Iterable[object] = ()) -> None:
        self.router = router
        # Per channel: the Person column a sender's id is looked up in (declared by the channel).
        self.identities = identities(channels)
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
        self._intake = _GroupCommit(self._stored, tasks)
        # Rows queued or being processed in this process: the stuck-event sweep leaves them be.
        self._in_flight: set[int] = set()

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
        self._spawn(row_id, event)

    def _spawn(self, row_id: int, event: Event) -> None:
        self._in_flight.add(row_id)
        self.tasks.spawn(self.process(row_id, event), name=f"inbound-{row_id}")

    async def resume(self) -> int:
        """At start-up: process every event acknowledged but not processed (after a crash or a
        stop). Returns how many were taken up (processed again or failed as unloadable)."""
        rows = await InboundEvent.filter(status=InboundStatus.RECEIVED).order_by("id")
        return await self._take_up(rows, self.deps.clock().astimezone(UTC))

    async def sweep_stuck(self, now: datetime, older_than: timedelta = STUCK_AFTER) -> int:
        """Periodically: events still ``received`` that arrived more than ``older_than`` before
        ``now`` and are not queued in this process are processed again (their payload loads)
        or failed with the reason (it does not). One query when nothing is stuck. Returns how
        many were taken up. Safe with several instances: the claim in ``_process`` is a
        conditional UPDATE, so an event another instance is processing is not done twice."""
        cutoff = now.astimezone(UTC) - older_than
        rows = await InboundEvent.filter(
            status=InboundStatus.RECEIVED, received_at__lt=cutoff,
        ).order_by("id").limit(SWEEP_LIMIT)
        taken = await self._take_up(rows, now.astimezone(UTC))
        if taken:
            log.warning("took up %d inbound events left unprocessed", taken)
        return taken

    async def _take_up(self, rows: list[InboundEvent], now: datetime) -> int:
        """Process again, or fail as unloadable, the rows not already queued in this process."""
        rows = [r for r in rows if r.id not in self._in_flight]
        for row in rows:
            try:
                event = Event.from_json(row.kind, row.payload)
            except Exception as exc:  # an unknown kind, a payload that no longer parses
                log.error("inbound event %s cannot be loaded (%s): marked failed", row.key, describe(exc))
                await self._mark_failed(row.id, now, f"unloadable: {describe(exc)}")
                continue
            self._spawn(row.id, event)
        return len(rows)

    async def process(self, row_id: int, event: Event) -> None:
        self._in_flight.add(row_id)
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
            self._in_flight.discard(row_id)

    async def _process(self, row_id: int, event: Event) -> None:
        # Stored and compared in UTC (SQLite compares the stored text); shown in local time.
        now = self.deps.clock().astimezone(UTC)
        started = time.perf_counter()
        outcome = Outcome()
        try:
            prepare = self.prepare.get(event.channel)
            if prepare is not None:
                event = await prepare(event)
            event = await read_file_text(event)
            async with in_transaction():
                claimed = await InboundEvent.filter(
                    id=row_id, status=InboundStatus.RECEIVED
                ).update(status=InboundStatus.DONE, processed_at=now)
                if not claimed:  # another worker or instance took it
                    outcome.result = "elsewhere"
                else:
                    await self.handle(event, now, row_id, outcome)
        except Exception as exc:
            log.exception("event %s failed", inbound_key(event))
            outcome.result = "failed"
            await self._failed(row_id, event, now, exc)
        self._record(event, outcome, time.perf_counter() - started)
        if outcome.result != "elsewhere":
            self.deps.outbox.wake()

    def _record(self, event: Event, outcome: Outcome, seconds: float) -> None:
        """The event's one log line and its figures (see the module's notes)."""
        ms = round(seconds * 1000, 1)
        fields = {"event_key": inbound_key(event), "channel": event.channel, "kind": event.kind,
                  "person_id": outcome.person_id, "handler": outcome.handler, "duration_ms": ms,
                  "result": outcome.result}
        log.log(logging.DEBUG if outcome.result == "elsewhere" else logging.INFO,
                "event %s %s: %s by %s for person %s in %.1f ms", fields["event_key"], event.kind,
                outcome.result, outcome.handler or "-", outcome.person_id, ms, extra=fields)
        metrics_of(self.deps).event(event.kind, outcome.result, seconds)

    async def handle(self, event: Event, now: datetime, row_id: int,
                     outcome: Outcome | None = None) -> None:
        """Route one event to its handler (inside the caller's transaction); ``outcome`` is told
        who sent it, which handler took it and how it ended."""
        outcome = outcome if outcome is not None else Outcome()
        public = self.router.public_route(event)
        if public is not None:  # from outside the organisation: nobody to look up
            outcome.took(public)
            await public.handler(EventCtx(event=event, now=now, outbox=self.deps.outbox,
                                          tz=self.deps.settings.tz,
                                          identity=self.identities.get(event.channel, DEFAULT_IDENTITY)),
                                 self.deps)
            return
        person = await self.sender(event)
        if person is None:
            outcome.result = "stranger"
            await self._stranger(event, now, row_id)
            return
        outcome.person_id = person.id
        prompt = await Prompt.get_or_none(person_id=person.id)
        if prompt is not None and prompt.expires_at <= now:
            await prompt.delete()
            prompt = None
        ctx: Ctx[Any] = Ctx(event=event, person=person, now=now, outbox=self.deps.outbox,
                            prompt=prompt, tz=self.deps.settings.tz)
        if not await self.router.dispatch(ctx, self.deps, outcome.took):
            outcome.result = "no_route"
            await ctx.reply(texts.EXPIRED_BUTTON if event.kind == "card_action"
                            else texts.UNKNOWN_COMMAND)

    async def sender(self, event: Event) -> Person | None:
        """The person who sent ``event``, found by the column its channel declares."""
        return await find_person(self.identities.get(event.channel, DEFAULT_IDENTITY), event.sender)

    async def _stranger(self, event: Event, now: datetime, row_id: int) -> None:
        """Someone not in the organisation: an audit line and a pointer to the Information
        Center, sent straight to the channel identity. What they wrote is not kept: the event
        row keeps only its key (for dedupe)."""
        await audit.record(bounded_key(event.channel, event.sender, limit=128), "stranger_message",
                           event.kind, now=now)
        await InboundEvent.filter(id=row_id).update(payload={})
        await self.deps.outbox.send_to_address(
            event.channel, event.sender, Text(texts.NOT_IN_ORG),
            key=bounded_key(event.channel, event.key, "stranger"), now=now,
        )

    async def _failed(self, row_id: int, event: Event, now: datetime, exc: Exception) -> None:
        """Mark the event failed with the reason and tell the person, together. Only the worker
        that moves the row from ``received`` to ``failed`` tells (once, whoever else retried
        it). If that cannot be written, the row is still marked failed, without the notice."""
        try:
            async with in_transaction():
                marked = await InboundEvent.filter(id=row_id, status=InboundStatus.RECEIVED).update(
                    status=InboundStatus.FAILED, processed_at=now, error=describe(exc),
                )
                if not marked:
                    return  # another worker or instance finished it meanwhile
                person = await self.sender(event)
                if person is not None:
                    await self.deps.outbox.send(
                        person, Text(texts.INTERNAL_ERROR),
                        key=bounded_key(event.channel, event.key, "error"),
                        now=now, channel=event.channel,
                    )
            return
        except Exception:
            log.exception("could not record failure of event %s", inbound_key(event))
        await self._mark_failed(row_id, now, f"{type(exc).__name__} (recording the failure failed)")

    @staticmethod
    async def _mark_failed(row_id: int, now: datetime, reason: str) -> None:
        """The minimal record: status and a short reason, in a transaction of its own. If even
        this fails (the database is down), the row stays ``received`` for the next sweep."""
        try:
            async with in_transaction():
                await InboundEvent.filter(id=row_id, status=InboundStatus.RECEIVED).update(
                    status=InboundStatus.FAILED, processed_at=now, error=reason[:ERROR_LIMIT],
                )
        except Exception:
            log.exception("could not mark inbound event %d failed: the next sweep takes it up", row_id)


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

    A batch is one statement, so one row the database refuses (a string its driver cannot
    encode, a value beyond a column) would fail every request of the batch: then the batch is
    written again row by row, and only the refused rows' requests fail. In an outage every row
    fails, and so does every request (the platforms deliver again).
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
            except Exception as exc:
                if len(batch) == 1:
                    self._writing = []
                    self._settle(*batch[0], exc)
                    continue
                # One row the database refuses, or the database is down: row by row, so that
                # only the refused rows' requests fail (all of them in an outage).
                log.warning("storing %d inbound events at once failed (%s): one by one",
                            len(batch), type(exc).__name__)
                while self._writing:
                    event, future = self._writing[0]
                    result = await self._insert_one(event)
                    del self._writing[0]
                    self._settle(event, future, result)
                continue
            self._writing = []  # (kept while cancelled: ``_writer_done`` fails them)
            for (event, future), row_id in zip(batch, ids, strict=True):
                self._settle(event, future, row_id)

    def _settle(self, event: Event, future: asyncio.Future[bool],
                result: int | BaseException | None) -> None:
        """Answer one request: stored (its processing starts), a repeat, or refused (the
        request fails, 5xx: the platform delivers it again)."""
        if isinstance(result, BaseException):
            if not future.done():
                future.set_exception(result)
            return
        if result is None:
            log.info("duplicate inbound event %s ignored", inbound_key(event))
        else:
            self._stored(result, event)
        if not future.done():  # done = the request was cancelled; the row stands
            future.set_result(result is not None)

    @staticmethod
    async def _insert_one(event: Event) -> int | BaseException | None:
        """One row on its own (``INSERT … ON CONFLICT DO NOTHING``, autocommitted): its id, None
        for a repeat (an earlier row of the same batch included), or why it was refused."""
        try:
            return (await insert_events([event]))[0]
        except Exception as exc:
            log.warning("inbound event %s refused by the database: %s", inbound_key(event),
                        describe(exc))
            return exc

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
    keys = [inbound_key(event) for event in events]
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


async def read_file_text(event: Event) -> Event:
    """A .txt or .docx file's text, read in a worker thread before the event's transaction opens:
    parsing a long .docx takes a third of a second, which inside the transaction would hold the
    database (SQLite: every other event) for as long. Other events pass unchanged."""
    if not isinstance(event, FileMessage) or event.data is None or event.text is not None:
        return event
    text = await asyncio.to_thread(readable_text, event.name, event.data)
    return event if text is None else dataclasses.replace(event, text=text)
