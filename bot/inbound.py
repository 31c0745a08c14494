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

from tortoise.exceptions import IntegrityError
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

    async def accept(self, event: Event) -> bool:
        """Store the event (dedupe) and schedule its processing. False if seen before."""
        try:
            row = await InboundEvent.create(
                key=inbound_key(event)[:255],
                channel=event.channel,
                kind=event.kind,
                payload=event.to_json(),
                received_at=event.received_at,
            )
        except IntegrityError:
            log.info("duplicate inbound event %s ignored", inbound_key(event))
            return False
        self.tasks.spawn(self.process(row.id, event), name=f"inbound-{row.id}")
        return True

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
