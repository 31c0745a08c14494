"""The stop (issue 19, point 3; ``/readyz``: tests/bot/test_readiness.py): on SIGTERM the
instance stops taking requests, finishes the work in hand within ``XMT_SHUTDOWN_TIMEOUT`` and
releases what it could not finish, so another instance takes it over at once and does it once.
Art. 11-12's reminders and every approval card go through the outbox: a stop must neither lose
nor double them; Art. 10's publication through WeChat must never be submitted twice.

Time: the stop's budget is real time (a fraction of a second here); every wait in these tests is
on an event or, for a real ``xmt serve`` process, a bounded poll; never a sleep."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
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
from tests.bot.test_cli import free_port
from tests.cluster import Process, run, start, wait_until
from tests.conftest import DEMO_ORG, World, make_settings, on_postgres
from tests.fake_wecom import FakeWeCom
from tests.fakes import RecordingChannel
from tests.wecom_callbacks import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN, WeComSender


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


# -- `xmt serve` under SIGTERM, a real process ---------------------------------------------------
SERVE_BUDGET = 1.0  # XMT_SHUTDOWN_TIMEOUT of the process under test


@pytest.mark.skipif(on_postgres(), reason="the process runs on a SQLite file of its own: the same "
                    "test on either suite run")
async def test_xmt_serve_stops_within_its_budget_with_work_in_hand(tmp_path: Path) -> None:
    """A real ``xmt serve`` with WeCom (the fake, in this process) and ``XMT_SHUTDOWN_TIMEOUT=1``.
    In hand at SIGTERM: a callback whose body is still arriving, and the reply to 李四's 帮助,
    which WeCom took and holds its answer to (``late``: recorded, answered a minute later). The
    process exits 0 within the budget and a margin, the reply's row released; the next start
    delivers it at once (well inside the 60 s lease it would otherwise wait out), and WeCom shows
    it once (the resend goes with the duplicate check and is dropped)."""
    fake = FakeWeCom(corp_id=CORP_ID, secret=SECRET)
    fake.agent_id, fake.timeout_delay = AGENT_ID, 60.0
    database = tmp_path / "serve.sqlite3"
    env = {"XMT_DATABASE_URL": f"sqlite://{database}", "XMT_SIMULATOR": "0",
           "XMT_WORDLIST_DIR": str(tmp_path / "words"), "XMT_SHUTDOWN_TIMEOUT": str(SERVE_BUDGET),
           "XMT_WECOM_CORP_ID": CORP_ID, "XMT_WECOM_AGENT_ID": str(AGENT_ID), "XMT_WECOM_SECRET": SECRET,
           "XMT_WECOM_TOKEN": TOKEN, "XMT_WECOM_AES_KEY": AES_KEY}
    sender = WeComSender(now=time.time())
    instances: list[Process] = []
    async with fake, aiohttp.ClientSession() as http:
        env["XMT_WECOM_API_BASE"] = fake.base_url
        imported = await run(["bot.cli", "org", "import", str(DEMO_ORG)], env=env, folder=tmp_path,
                             name="import")
        assert imported.proc.returncode == 0, imported.err
        try:
            port = free_port()
            first = await start(["bot.cli", "serve", "--port", str(port)], env=env, folder=tmp_path,
                                name="first")
            instances.append(first)
            await wait_until(lambda: ready(http, first, port), within=60, what="the first instance ready")

            fake.fail("message/send", "late")
            query, body = sender.envelope(sender.text("lisi", "帮助"))
            async with http.post(f"http://127.0.0.1:{port}/wecom/callback", params=query,
                                 data=body.encode()) as resp:
                assert resp.status == 200
            await wait_until(lambda: done(fake.calls["message/send"] == 1), within=20,
                             what="the reply's call reached WeCom")
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"POST /wecom/callback?{urlencode(query)} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         f"Content-Length: {len(body)}\r\n\r\n{body[:40]}".encode())
            await writer.drain()
            assert (await http.get(f"http://127.0.0.1:{port}/healthz")).status == 200  # head read by now

            stopped_at = time.monotonic()
            first.proc.send_signal(signal.SIGTERM)
            assert await first.wait(timeout=SERVE_BUDGET + 10) == 0, first.err[-3000:]
            took = time.monotonic() - stopped_at
            assert "Traceback" not in first.err and "1 deliveries cut short" in first.err, first.err[-3000:]
            await asyncio.wait_for(reader.read(), 5)  # the slow callback's connection was closed
            writer.close()
            print(f"\nxmt serve stopped {took:.2f} s after SIGTERM (budget {SERVE_BUDGET:g} s)")
            [(status, attempts)] = outbox_rows(database, "lisi")
            assert (status, attempts) == ("sending", 0) and len(to(fake, "lisi")) == 1

            second = await start(["bot.cli", "serve", "--port", str(port)], env=env, folder=tmp_path,
                                 name="second")
            instances.append(second)
            await wait_until(lambda: done(outbox_rows(database, "lisi") == [("sent", 2)]), within=30,
                             what="the released reply delivered by the next start")
            assert len(to(fake, "lisi")) == 1 and len(fake.duplicates) == 1  # shown once
            second.proc.send_signal(signal.SIGTERM)
            assert await second.wait(timeout=SERVE_BUDGET + 10) == 0, second.err[-3000:]
        finally:
            for instance in instances:
                instance.kill()


async def ready(http: aiohttp.ClientSession, process: Process, port: int) -> bool:
    assert process.proc.returncode is None, process.err[-3000:]
    try:
        async with http.get(f"http://127.0.0.1:{port}/readyz") as resp:
            return resp.status == 200
    except aiohttp.ClientConnectionError:
        return False  # still starting


async def done(value: bool) -> bool:
    return value


def outbox_rows(database: Path, person: str) -> list[tuple[str, int]]:
    with contextlib.closing(sqlite3.connect(database)) as conn:
        return [(str(s), int(a)) for s, a in conn.execute(
            "SELECT o.status, o.attempts FROM outbox_message o JOIN person p ON p.id = o.person_id "
            "WHERE p.code = ?", (person,))]


def to(fake: FakeWeCom, user: str) -> list[dict[str, Any]]:
    return [m for m in fake.sent if m["touser"] == user]
