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
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from tortoise.transactions import in_transaction

from bot import outbox as outbox_module
from bot import texts
from bot.app import BOT, LIFECYCLE, Lifecycle, create_app
from bot.cards import Message, Text
from bot.org import import_file
from bot.outbox import Outbox
from bot.publish_jobs import PublishWorker
from bot.publishing import Article, Credentials, PublishedItem, PublishStatus
from models import Account, Draft, JobStatus, OutboxMessage, OutboxStatus, Person, PublishJob
from tests.conftest import DEMO_ORG, World, make_settings
from tests.fakes import RecordingChannel


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


# -- the stop ------------------------------------------------------------------------------------
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
    other, maybe = recording()
    elsewhere = Outbox([other], clock=lambda: datetime.now(UTC))
    assert await elsewhere.drain(datetime.now(UTC)) == 1
    row = await OutboxMessage.get(id=row_id)
    assert row.status == OutboxStatus.SENT and row.attempts == 2  # the cut call and this one
    assert [s.key for s in other.sent] == ["test:被打断的提醒"] and maybe == {"test:被打断的提醒": True}
    assert await elsewhere.drain(datetime.now(UTC)) == 0




async def test_claims_whose_call_never_started_go_back_as_they_were(
        org: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A round claims many rows and calls a few at a time: cut short, the rows still waiting
    their turn made no call, so they go back to ``pending`` with no attempt counted and are not
    sent as "maybe sent"; only the row being called keeps that knowledge."""
    monkeypatch.setattr(outbox_module, "CONCURRENCY", 1)
    channel = HangingChannel()
    app = app_for(channel, shutdown_timeout=0.2)
    runner = web.AppRunner(app)
    await runner.setup()
    now = datetime.now(UTC)
    async with in_transaction():
        for code in ("zhangsan", "lisi"):  # two lanes: both heads claimed in one round
            await app[BOT].outbox.send(await Person.get(code=code), Text(f"给{code}的提醒"),
                                       key=f"test:{code}", now=now)
    app[BOT].outbox.wake()
    await asyncio.wait_for(channel.entered.wait(), 5)
    await asyncio.wait_for(runner.cleanup(), 10)

    called, waiting = await OutboxMessage.filter(key__in=["test:zhangsan", "test:lisi"]).order_by("id")
    assert (called.status, called.attempts) == (OutboxStatus.SENDING, 0)
    assert called.claimed_until is not None and called.claimed_until <= datetime.now(UTC)
    assert (waiting.status, waiting.attempts, waiting.claimed_until) == (OutboxStatus.PENDING, 0, None)

    other, maybe = recording()
    assert await Outbox([other], clock=lambda: datetime.now(UTC)).drain(datetime.now(UTC)) == 2
    assert maybe == {"test:zhangsan": True, "test:lisi": False}
    sent = {r.key: (r.status, r.attempts) for r in await OutboxMessage.filter(key__startswith="test:")}
    assert sent == {"test:zhangsan": (OutboxStatus.SENT, 2), "test:lisi": (OutboxStatus.SENT, 1)}


def recording() -> tuple[RecordingChannel, dict[str, bool]]:
    """A channel that answers at once, and the ``maybe_sent`` each key was sent with."""
    channel, maybe = RecordingChannel(), {}
    original = channel.send

    async def send(address: str, message: Message, *, key: str, maybe_sent: bool = False) -> Any:
        maybe[key] = maybe_sent
        return await original(address, message, key=key, maybe_sent=maybe_sent)

    channel.send = send  # type: ignore[method-assign]
    return channel, maybe


# -- WeChat submissions (bot.publish_jobs: an interrupted submission is never made again) -----------
class HangingPublisher:
    """WeChat's publishing API answering ``freepublish/submit`` only when ``answer`` is set."""

    def __init__(self) -> None:
        self.entered, self.answer = asyncio.Event(), asyncio.Event()
        self.submitted: list[str] = []

    async def submit(self, credentials: Credentials, article: Article) -> str:
        self.entered.set()
        await self.answer.wait()
        self.submitted.append(article.title)
        return f"22474839{len(self.submitted):02d}"

    async def status(self, credentials: Credentials, publish_id: str) -> PublishStatus:
        return PublishStatus("publishing")

    async def published(self, credentials: Credentials, *, offset: int = 0, count: int = 20
                        ) -> tuple[list[PublishedItem], int]:
        return [], 0


async def queue_publications(world: World, titles: Sequence[str]) -> list[PublishJob]:
    """Approved drafts of 某某发布 (which has API credentials), each asked to be published."""
    await Account.filter(name="某某发布").update(wechat={"app_id": "wx3f5e7c9a1b2d4e6f",
                                                       "app_secret": "s" * 32})
    for title in titles:
        await world.say("zhangsan", f"投稿 @某某发布 1 {title}\n今年供暖从11月15日开始。")
        await world.tap("zhangsan", world.channel.last_card("zhangsan", "pv-"), "提交审核")
        await world.tap("lisi", world.channel.last_card("lisi", "ap-"), "通过")
        draft = await Draft.all().order_by("-id").first()
        assert draft is not None
        await world.say("zhangsan", f"发布 {draft.ref}")
    return list(await PublishJob.all().order_by("id"))


async def test_a_stopping_publish_worker_finishes_its_submission_and_starts_no_other(world: World) -> None:
    publisher = HangingPublisher()
    first, second = await queue_publications(world, ["冬季供暖通知", "春节值班安排"])
    worker = PublishWorker(publisher, world.bot.outbox, clock=lambda: world.clock.now)
    running = asyncio.create_task(worker.run_forever())
    await asyncio.wait_for(publisher.entered.wait(), 5)
    await worker.stop()
    publisher.answer.set()  # WeChat answers within the stop's budget
    await asyncio.wait_for(running, 5)
    assert publisher.submitted == ["冬季供暖通知"] and await worker.release_claims(world.clock.now) == 0
    states = [j.status for j in await PublishJob.filter(id__in=[first.id, second.id]).order_by("id")]
    assert states == [JobStatus.SUBMITTED, JobStatus.QUEUED]  # the next one waits for a running worker


async def test_a_submission_cut_by_the_stop_is_uncertain_at_once_and_never_made_again(world: World) -> None:
    publisher = HangingPublisher()  # never answers
    [job] = await queue_publications(world, ["冬季供暖通知"])
    worker = PublishWorker(publisher, world.bot.outbox, clock=lambda: world.clock.now)
    running = asyncio.create_task(worker.run_forever())
    await asyncio.wait_for(publisher.entered.wait(), 5)
    await worker.stop()
    running.cancel()  # the budget ran out (the supervisor cancels what did not return)
    with contextlib.suppress(asyncio.CancelledError):
        await running
    assert await worker.release_claims(world.clock.now) == 1
    cut = await PublishJob.get(id=job.id)
    assert (cut.status, cut.claimed_until) == (JobStatus.SUBMITTING, world.clock.now)

    # The next round on any instance, at once (not LEASE later): WeChat may have it, so it is
    # uncertain and the requester told; it is never submitted again.
    elsewhere = HangingPublisher()
    other = PublishWorker(elsewhere, world.bot.outbox, clock=lambda: world.clock.now)
    assert await other.run_once(world.clock.now) == 1
    await world.bot.outbox.drain(world.clock.now)
    assert (await PublishJob.get(id=job.id)).status == JobStatus.UNCERTAIN
    draft = await Draft.get(id=job.draft_id)
    assert world.last_text("zhangsan") == texts.publish_uncertain(draft.ref, "某某发布")
    assert publisher.submitted == elsewhere.submitted == [] and not elsewhere.entered.is_set()
