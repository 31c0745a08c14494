"""/metrics (issue 19, bot/metrics.py): the figures after the inbox, the outbox and the sweeps ran;
really signed WeCom callbacks into the app and GET /metrics on its own port and on one of its
own; refusals counted by reason; the scrape's statements counted; nothing personal in the
output."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from bot.app import BOT, LIFECYCLE, Bot, create_app
from bot.cards import Text
from bot.channels.wecom.channel import WeComChannel
from bot.channels.wecom.client import WeComClient
from bot.metrics import SCRAPE_QUERIES, Metrics
from bot.org import import_file
from models import Account, InboundEvent, OutboxMessage, OutboxStatus, Person
from schedules.base import sweep
from schedules.verification import remind_unverified
from schedules.watch import watch_publications
from tests.conftest import DEMO_ORG, ROOT, QueryCounter, World, make_settings
from tests.fake_wecom import FakeWeCom
from tests.fakes import FakeClock
from tests.wecom_callbacks import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN, WeComSender, wecom_settings

HELP = "帮助"
DRAFT = "投稿 @某某发布 1 冬季供暖服务指南\n今年供暖季自11月15日开始。"


def value(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def scraped(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of an exposition: (name, labels) → value (parsed as Prometheus would)."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the registry, driven through the existing fixtures ----------------------------------------------
async def test_events_sends_and_sweeps_are_counted(world: World) -> None:
    m = world.bot.outbox.metrics
    await world.say("zhangsan", HELP)
    await world.say("mallory", HELP)  # nobody on file
    assert value(m, "xmt_events_total", kind="text", result="done") == 1
    assert value(m, "xmt_events_total", kind="text", result="stranger") == 1
    assert value(m, "xmt_event_duration_seconds_count") == 2
    assert value(m, "xmt_sends_total", channel="local", result="sent") == 2
    world.channel.fail_next = 1
    await world.say("zhangsan", HELP)
    assert value(m, "xmt_sends_total", channel="local", result="retried") == 1
    await world.bot.outbox.drain(world.clock.advance(seconds=5))
    assert value(m, "xmt_sends_total", channel="local", result="sent") == 3
    world.channel.refuse_next = 1
    await world.say("zhangsan", HELP)  # dead at once; the Information Center admin is told
    assert value(m, "xmt_sends_total", channel="local", result="dead") == 1
    notices = await OutboxMessage.filter(key__startswith="dead:").count()  # one per admin
    assert notices >= 1 and value(m, "xmt_sends_total", channel="local", result="sent") == 3 + notices

    written = await remind_unverified(world.clock.now, world.bot.deps)  # Thursday 10:00: open
    assert value(m, "xmt_sweep_duration_seconds_count", sweep="verify") == 1
    assert value(m, "xmt_sweep_reminders_total", sweep="verify") == written > 0
    await remind_unverified(world.clock.now.replace(hour=22), world.bot.deps)  # closed: no run
    assert value(m, "xmt_sweep_duration_seconds_count", sweep="verify") == 1

    @sweep("broken")
    async def broken(now: datetime, deps: Any) -> int:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        await broken(world.clock.now, world.bot.deps)
    assert value(m, "xmt_sweep_failures_total", sweep="broken") == 1
    assert value(m, "xmt_sweep_duration_seconds_count", sweep="broken") == 1


async def test_the_watch_is_measured_as_the_other_sweeps(world: World) -> None:
    """The watch opens itself (its lock is per chunk): a run with a source to read is measured;
    without one, or out of hours, there is no run to measure."""
    m = world.bot.outbox.metrics
    feed = (ROOT / "tests" / "data" / "feeds" / "atom.xml").read_bytes()

    async def fetch(url: str) -> bytes:
        return feed

    await watch_publications(world.clock.now, world.bot.deps)  # no publisher nor feed reader
    assert value(m, "xmt_sweep_duration_seconds_count", sweep="watch") == 0
    await Account.filter(name="某某头条").update(feed_url="https://rmt.example.cn/feed.xml")
    deps = dataclasses.replace(world.bot.deps, fetch_feed=fetch)
    await watch_publications(world.clock.now.replace(hour=22), deps)  # closed
    assert value(m, "xmt_sweep_duration_seconds_count", sweep="watch") == 0
    assert await watch_publications(world.clock.now, deps) == 0  # the baseline: nothing reported
    assert value(m, "xmt_sweep_duration_seconds_count", sweep="watch") == 1
    assert value(m, "xmt_sweep_failures_total", sweep="watch") == 0


async def test_a_scrape_reads_the_database_in_a_fixed_number_of_statements(
        world: World, queries: QueryCounter) -> None:
    now = world.clock.now
    m = world.bot.outbox.metrics
    zhangsan = await Person.get(code="zhangsan")
    await InboundEvent.create(key="wecom:late", channel="wecom", kind="text", payload={},
                              received_at=now - timedelta(seconds=90))
    outbox = world.bot.outbox
    # Due 400 s ago on the local channel, never tried: 400 s late.
    await outbox.send(zhangsan, Text("x"), key="due", now=now - timedelta(seconds=400), channel="local")
    # Queued two hours ago for the next working hour, not due yet: not late.
    await outbox.send(zhangsan, Text("x"), key="held", now=now - timedelta(hours=2), channel="local",
                      not_before=now + timedelta(hours=1))
    # Queued 900 s ago for any channel, tried twice, its next attempt ahead: 900 s late.
    row = await outbox.send(zhangsan, Text("x"), key="tried", now=now - timedelta(seconds=900))
    await OutboxMessage.filter(id=row.id).update(attempts=2, next_attempt_at=now + timedelta(minutes=5))
    dead = await outbox.send(zhangsan, Text("x"), key="dead", now=now - timedelta(days=3))
    await OutboxMessage.filter(id=dead.id).update(status=OutboxStatus.DEAD, attempts=8)

    before = queries.count
    text = (await m.exposition(now)).decode()
    assert queries.count - before == SCRAPE_QUERIES == 2
    samples = scraped(text)

    def at(name: str, **labels: str) -> float:
        return samples[(name, frozenset(labels.items()))]

    assert at("xmt_inbox_unprocessed") == 1 and at("xmt_inbox_lag_seconds") == 90
    assert at("xmt_outbox_depth", channel="local") == 2 and at("xmt_outbox_depth", channel="any") == 1
    assert at("xmt_outbox_oldest_age_seconds", channel="local") == 400
    assert at("xmt_outbox_oldest_age_seconds", channel="any") == 900
    assert at("xmt_dead_letters") == 1

    # Fifty more waiting rows in more lanes, channels and attempts: the same statements.
    for i in range(50):
        queued = await outbox.send(zhangsan, Text("x"), key=f"more{i}", now=now,
                                   channel=("local", "wecom", None)[i % 3])
        await OutboxMessage.filter(id=queued.id).update(attempts=i % 5, lane=f"p:{i}")
    before = queries.count
    await m.exposition(now)
    assert queries.count - before == SCRAPE_QUERIES
    world.clock.advance(hours=2)  # past the held row's hour: every row delivered
    await world.settle()
    await InboundEvent.filter(key="wecom:late").delete()
    samples = scraped((await m.exposition(world.clock.now)).decode())
    for channel in ("local", "any"):  # back to 0 (not gone: an alert's series stays)
        assert at("xmt_outbox_depth", channel=channel) == 0
        assert at("xmt_outbox_oldest_age_seconds", channel=channel) == 0
    assert at("xmt_inbox_lag_seconds") == 0 and at("xmt_dead_letters") == 1


# -- HTTP: signed callbacks in, /metrics out -------------------------------------------------------------
class Served:
    def __init__(self, client: TestClient, fake: FakeWeCom, clock: FakeClock) -> None:  # type: ignore[type-arg]
        self.client, self.fake, self.clock = client, fake, clock
        self.sender = WeComSender(now=clock.now.timestamp())

    @property
    def bot(self) -> Bot:
        bot: Bot = self.client.app[BOT]
        return bot

    async def say(self, user: str, text: str) -> int:
        status = await self.sender.post(self.client, self.sender.text(user, text))
        await self.bot.tasks.join()
        await self.bot.outbox.drain(self.clock.now)
        return status


@pytest.fixture
async def served(db: str, aiohttp_client: Any) -> AsyncIterator[Served]:
    """The app with the WeCom channel (its client on a fake WeCom) and /metrics on its own port."""
    fake = FakeWeCom(corp_id=CORP_ID, secret=SECRET)
    await fake.start()
    fake.agent_id = AGENT_ID
    clock = FakeClock()
    channel = WeComChannel(WeComClient(base=fake.base_url, corp_id=CORP_ID, secret=SECRET, timeout=1.0),
                           AGENT_ID)
    settings = make_settings(**wecom_settings(api_base=fake.base_url), metrics_port=8080, port=8080)
    app = create_app(settings, channels=[channel], manage_database=False, run_scheduler=False,
                     run_worker=False, clock=clock)
    client = await aiohttp_client(app)
    await import_file(DEMO_ORG, now=clock.now)
    yield Served(client, fake, clock)
    await channel.client.close()
    await fake.stop()


async def test_callbacks_refusals_and_api_calls_reach_metrics_on_the_bot_port(
        served: Served, queries: QueryCounter) -> None:
    s = served
    assert await s.say("zhangsan", HELP) == 200
    assert await s.say("zhangsan", DRAFT) == 200
    s.fake.fail("message/send", -1)  # 系统繁忙 once: retried
    assert await s.say("lisi", HELP) == 200
    await s.bot.outbox.drain(s.clock.advance(seconds=5))
    # Refusals, one of each reason the verification layer and the body cap give.
    query, body = s.sender.envelope(s.sender.text("zhangsan", HELP))
    post = s.client.post
    forged = {**query, "msg_signature": "0" * 40}
    assert (await post("/wecom/callback", params=forged, data=body)).status == 403
    assert await s.sender.post(s.client, s.sender.text("zhangsan", HELP),
                               timestamp=s.sender.now - 3600) == 403
    assert (await post("/wecom/callback", data=body)).status == 403
    assert (await post("/wecom/callback", params=query, data=b"not xml at all")).status == 400
    assert (await post("/wecom/callback", params=query, data=b"A" * (65 * 1024))).status == 413
    assert (await s.client.get("/healthz")).status == 200  # not a callback: not counted

    before = queries.count
    resp = await s.client.get("/metrics")
    assert queries.count - before == SCRAPE_QUERIES
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = await resp.text()
    samples = scraped(text)

    def at(name: str, **labels: str) -> float:
        return samples.get((name, frozenset(labels.items())), 0.0)

    assert at("xmt_callbacks_total", platform="wecom", result="ok") == 3
    assert at("xmt_callbacks_total", platform="wecom", result="refused") == 5
    for reason in ("signature", "stale_timestamp", "unsigned", "malformed", "too_large"):
        assert at("xmt_callback_refusals_total", platform="wecom", reason=reason) == 1, reason
    assert at("xmt_events_total", kind="text", result="done") == 3
    assert at("xmt_sends_total", channel="wecom", result="retried") == 1
    assert at("xmt_sends_total", channel="wecom", result="sent") >= 3
    assert at("xmt_platform_api_duration_seconds_count", platform="wecom", path="gettoken") == 1
    assert at("xmt_platform_api_duration_seconds_count", platform="wecom", path="message/send") >= 4
    assert at("xmt_platform_api_errors_total", platform="wecom", code="-1") == 1
    assert at("xmt_inbox_lag_seconds") == 0 and at("xmt_dead_letters") == 0

    # Nothing personal: no name, id, phone, department, account or message, no secret.
    org = DEMO_ORG.read_text(encoding="utf-8")
    people = ["王五", "赵六", "李四", "张三", "陈七", "周八", "吴九", "wangwu", "zhaoliu", "lisi",
              "zhangsan", "chenqi", "zhouba", "wujiu", "zhangsan_wx", "13800000", "010-8000",
              "100000007", "信息中心", "宣传科", "服务中心", "info-center", "publicity", "某某发布",
              "某某头条", "某某服务"]
    assert all(word in org for word in people)
    ids = [str(p) for p in await Person.all().values_list("id", flat=True)]
    replies = [(m.get("text") or m.get("markdown") or {}).get("content", "")
               or m["template_card"]["main_title"]["title"] for m in s.fake.sent]
    assert len(replies) >= 3
    messages = [HELP, "冬季供暖", "今年供暖季", *(r[:8] for r in replies)]
    leaks = [w for w in [*people, SECRET, TOKEN, AES_KEY, CORP_ID, *messages] if w in text]
    assert not leaks, leaks
    assert not [i for i in ids if f'"{i}"' in text]  # no label value is a person's row id


async def test_metrics_on_a_port_of_their_own(db: str, aiohttp_client: Any) -> None:
    port = free_port()
    clock = FakeClock()
    settings = make_settings(simulator=True, metrics_port=port, metrics_host="127.0.0.1")
    app = create_app(settings, manage_database=False, run_scheduler=False, run_worker=False, clock=clock)
    client = await aiohttp_client(app)
    assert (await client.get("/metrics")).status == 404  # not on the bot's own port
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/metrics") as resp:
            assert resp.status == 200
            samples = scraped(await resp.text())
    assert samples[("xmt_inbox_unprocessed", frozenset())] == 0
    await client.close()  # the app's stop closes the listener with it
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(f"http://127.0.0.1:{port}/metrics")


async def test_no_metrics_unless_a_port_is_set(db: str, aiohttp_client: Any) -> None:
    app = create_app(make_settings(simulator=True), manage_database=False, run_scheduler=False,
                     run_worker=False)
    client = await aiohttp_client(app)
    assert (await client.get("/metrics")).status == 404


async def test_a_callback_refused_while_stopping_is_counted_as_such(served: Served) -> None:
    served.client.app[LIFECYCLE].begin_stop()
    assert await served.say("zhangsan", HELP) == 503  # the platform delivers it again, elsewhere
    resp = await served.client.get("/metrics")  # still answered: monitoring sees the stop
    samples = scraped(await resp.text())
    assert samples[("xmt_callback_refusals_total", frozenset({("platform", "wecom"),
                                                              ("reason", "stopping")}))] == 1
    assert samples[("xmt_callbacks_total", frozenset({("platform", "wecom"), ("result", "refused")}))] == 1
