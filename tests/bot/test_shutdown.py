"""Readiness and the stop (issue 19, point 3): ``/readyz`` says whether this instance should get
traffic; on SIGTERM it stops taking requests, finishes the work in hand within
``XMT_SHUTDOWN_TIMEOUT`` and releases what it could not finish, so another instance delivers it
at once and once. Art. 11-12's reminders and every approval card go through the outbox: a stop
must neither lose nor double them.

Time: the stop's budget is real time (a fraction of a second here); every wait in these tests is
on an event, bounded, never a sleep.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from tortoise import Tortoise
from tortoise.transactions import in_transaction

from bot import app as app_module
from bot.app import BOT, LIFECYCLE, Lifecycle, create_app
from bot.cards import Message, Text
from bot.org import import_file
from bot.outbox import Outbox
from models import OutboxMessage, OutboxStatus, Person
from tests.conftest import DEMO_ORG, make_settings
from tests.fakes import RecordingChannel

Client = Callable[..., Any]


@dataclass
class HangingChannel(RecordingChannel):
    """A platform that takes a send and answers only when ``answer`` is set."""

    entered: asyncio.Event = field(default_factory=asyncio.Event)
    answer: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, address: str, message: Message, *, key: str,
                   maybe_sent: bool = False) -> dict[str, Any]:
        self.entered.set()
        await self.answer.wait()
        return await super().send(address, message, key=key, maybe_sent=maybe_sent)


def app_for(channel: RecordingChannel, *, shutdown_timeout: float = 5.0) -> web.Application:
    return create_app(make_settings(simulator=False, shutdown_timeout=shutdown_timeout),
                      channels=[channel], manage_database=False, run_scheduler=False)


async def queue_one(app: web.Application, text: str) -> int:
    bot = app[BOT]
    now = datetime.now(UTC)
    person = await Person.get(code="zhangsan")
    async with in_transaction():
        await bot.outbox.send(person, Text(text), key=f"test:{text}", now=now)
    bot.outbox.wake()
    row = await OutboxMessage.get(key=f"test:{text}")
    return int(row.id)


@pytest.fixture
async def org(db: str) -> None:
    await import_file(DEMO_ORG, now=datetime(2026, 11, 2, 9, tzinfo=UTC))


# -- /readyz ---------------------------------------------------------------------------------------
async def test_ready_when_up_and_not_once_a_stop_began(org: None, aiohttp_client: Client) -> None:
    app = app_for(RecordingChannel())
    client: TestClient[Any, Any] = await aiohttp_client(app)
    ready = await client.get("/readyz")
    assert ready.status == 200 and await ready.json() == {"ready": True, "waiting": []}

    await app.shutdown()  # what aiohttp runs on SIGTERM once the listening sockets are closed
    stopping = await client.get("/readyz")
    assert stopping.status == 503 and (await stopping.json())["waiting"] == ["stopping"]
    refused = await client.post("/wecom/callback", data=b"<xml/>")
    assert refused.status == 503 and refused.headers["Retry-After"] == "1"
    assert (await client.get("/healthz")).status == 200  # alive all the same


async def test_not_ready_when_the_database_does_not_answer(
        org: None, aiohttp_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    # A worker round that meets the hung database is cut at the stop: a short budget.
    client: TestClient[Any, Any] = await aiohttp_client(app_for(RecordingChannel(), shutdown_timeout=0.3))
    connection = Tortoise.get_connection("default")
    never = asyncio.Event()

    async def hangs(*args: Any, **kwargs: Any) -> Any:
        await never.wait()

    monkeypatch.setattr(app_module, "READY_DB_TIMEOUT", 0.05)
    monkeypatch.setattr(connection, "execute_query", hangs)
    answer = await client.get("/readyz")
    assert answer.status == 503 and (await answer.json())["waiting"] == ["database"]
    monkeypatch.undo()
    assert (await client.get("/readyz")).status == 200


async def test_not_ready_while_a_worker_is_down(org: None, aiohttp_client: Client) -> None:
    app = app_for(RecordingChannel())
    client: TestClient[Any, Any] = await aiohttp_client(app)
    forever = asyncio.Event()

    async def runs() -> None:
        await forever.wait()

    app[BOT].supervisor.add("probe", runs, healthy=lambda: False)
    answer = await client.get("/readyz")
    assert answer.status == 503 and (await answer.json())["waiting"] == ["worker:probe"]
    await app[BOT].supervisor.stop("probe")


def test_the_stops_budget_counts_from_when_it_began() -> None:
    now = [100.0]
    lifecycle = Lifecycle(20.0, clock=lambda: now[0])
    assert lifecycle.remaining() == 20.0 and not lifecycle.stopping
    lifecycle.begin_stop()
    now[0] = 112.5
    lifecycle.begin_stop()  # a second signal does not restart the clock
    assert lifecycle.remaining() == 7.5
    now[0] = 140.0
    assert lifecycle.remaining() == 0.0


# -- the stop ------------------------------------------------------------------------------------
async def test_a_delivery_that_finishes_within_the_budget_is_completed(org: None) -> None:
    channel = HangingChannel()
    app = app_for(channel, shutdown_timeout=5.0)
    runner = web.AppRunner(app)
    await runner.setup()
    row_id = await queue_one(app, "在途的提醒")
    await asyncio.wait_for(channel.entered.wait(), 5)

    stop = asyncio.create_task(runner.cleanup())
    await asyncio.wait_for(app[LIFECYCLE].stopping_event.wait(), 5)
    channel.answer.set()  # the platform answers while the instance is stopping
    await asyncio.wait_for(stop, 10)
    row = await OutboxMessage.get(id=row_id)
    assert row.status == OutboxStatus.SENT and [s.key for s in channel.sent] == ["test:在途的提醒"]


async def test_a_delivery_cut_by_the_stop_is_released_and_delivered_once_elsewhere(org: None) -> None:
    channel = HangingChannel()  # never answers
    app = app_for(channel, shutdown_timeout=0.2)
    runner = web.AppRunner(app)
    await runner.setup()
    row_id = await queue_one(app, "被打断的提醒")
    await asyncio.wait_for(channel.entered.wait(), 5)

    await asyncio.wait_for(runner.cleanup(), 10)  # bounded by the budget, not by the platform
    row = await OutboxMessage.get(id=row_id)
    assert row.status == OutboxStatus.SENDING and row.attempts == 0
    assert row.claimed_until is not None and row.claimed_until <= datetime.now(UTC)  # released
    assert channel.sent == []

    # Another instance's worker claims it at once (not after the lease), knows the call may have
    # gone out, counts the cut attempt, and delivers it once.
    other = RecordingChannel()
    maybe: list[bool] = []
    original = other.send

    async def send(address: str, message: Message, *, key: str, maybe_sent: bool = False) -> Any:
        maybe.append(maybe_sent)
        return await original(address, message, key=key, maybe_sent=maybe_sent)

    other.send = send  # type: ignore[method-assign]
    elsewhere = Outbox([other], clock=lambda: datetime.now(UTC))
    assert await elsewhere.drain(datetime.now(UTC)) == 1
    row = await OutboxMessage.get(id=row_id)
    assert row.status == OutboxStatus.SENT and row.attempts == 2  # the cut call and this one
    assert [s.key for s in other.sent] == ["test:被打断的提醒"] and maybe == [True]
    assert await elsewhere.drain(datetime.now(UTC)) == 0


