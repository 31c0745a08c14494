"""The demo's first start (issue 14; Art. 5, 10, 11, 12 as the demo shows them): a few weeks of
work replayed through the real bot, so that on the first page view every ladder has something
to show — and the demo started with ``--at "2026-12-03 10:00"`` shows the annual review."""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tortoise import connections

from bot import demo, texts
from bot.app import BOT, LOCAL, create_app
from bot.channels.local.publisher import SimulatedPublisher
from models import Account, AccountStatus, Draft, DraftStatus, Inquiry, ReviewReport, ReviewStatus
from schedules import run_sweeps
from schedules.watch import watch_account_now
from tests.conftest import DEMO_ORG, make_settings

TZ = ZoneInfo("Asia/Shanghai")


async def test_the_replay_leaves_every_ladder_something_to_show(db: str, tmp_path: Path) -> None:
    now = datetime(2026, 12, 3, 10, 0, tzinfo=TZ)  # a Thursday, two days after the review closed
    clock = demo.DemoClock(lambda: now)
    app = create_app(make_settings(simulator=True, wordlist_dir=str(tmp_path)), manage_database=False,
                     run_worker=False, run_scheduler=False, clock=clock)
    bot, local = app[BOT], app[LOCAL]
    await demo.play(bot, local, clock, DEMO_ORG)
    assert clock.at is None  # the clock is the demo's own again

    published = await Draft.filter(status=DraftStatus.PUBLISHED).count()
    assert published == 10
    (waiting,) = await Draft.filter(status=DraftStatus.PENDING)
    assert waiting.updated_at.astimezone(TZ) == datetime(2026, 12, 2, 11, 3, tzinfo=TZ)
    accounts = {a.name: a for a in await Account.all()}
    assert accounts["某某头条"].last_published_at is not None
    assert accounts["某某头条"].last_published_at.astimezone(TZ).date().isoformat() == "2026-11-17"
    reports = {(r.account_id, r.status) for r in await ReviewReport.all()}
    assert reports == {(accounts["某某服务"].id, ReviewStatus.PASSED),
                       (accounts["某某发布"].id, ReviewStatus.SUBMITTED)}
    (question,) = await Inquiry.all()
    assert question.owner_id is None  # this morning's, not yet claimed
    # The chats are there for the page: 张三 sees his drafts and their outcomes.
    assert any(m.body.get("type") == "card" for m in local.messages({"zhangsan"}))
    conn = connections.get("default")
    if conn.capabilities.dialect == "sqlite":  # stored as the real clock stores it: UTC text
        _, rows = await conn.execute_query("SELECT sent_at FROM outbox_message WHERE sent_at IS NOT NULL")
        assert rows and {r[0][-6:] for r in rows} == {"+00:00"}

    counts = await run_sweeps(bot.deps, ["review", "cadence", "approvals"], now=now)
    await bot.outbox.drain(now)
    stopped = await Account.filter(status=AccountStatus.MUST_STOP).values_list("name", flat=True)
    assert stopped == ["某某头条"]  # no report by 30 November; the waiting one keeps running
    assert counts["cadence"] >= 1 and counts["approvals"] >= 1


async def test_the_demo_publishes_through_the_simulator_and_watches(db: str, tmp_path: Path) -> None:
    """Issue 17 in the demo: after the replay 某某发布 has the simulated API keys and has been read
    once (the watch's baseline), so 李四 approving 陈七's waiting draft brings 陈七 发布到公众号,
    and an article published by hand is reported at once. The history before stays as it was."""
    now = datetime(2026, 11, 26, 10, 0, tzinfo=TZ)
    clock = demo.DemoClock(lambda: now)
    app = create_app(make_settings(simulator=True, wordlist_dir=str(tmp_path)), manage_database=False,
                     run_worker=False, run_scheduler=False, clock=clock)
    bot, local = app[BOT], app[LOCAL]
    await demo.play(bot, local, clock, DEMO_ORG)
    assert isinstance(bot.deps.publisher, SimulatedPublisher)
    news = await Account.get(name=texts.DEMO_ACCOUNT_NEWS)
    assert news.wechat == demo.SIMULATED_WECHAT_KEYS and news.watched_at == now
    assert await Account.filter(watched_at__isnull=False).count() == 1  # the WeChat account only
    assert not [m for m in local.messages({"zhangsan"}) if str(m.body.get("card_id", "")).startswith("pubd-")]
    assert await demo.simulate_wechat_api() == 0  # given once; again after an import drops them

    r = demo.Replay(bot, local, clock)
    r._keys = itertools.count(1000)  # keys the replay did not use
    assert await r.tap(now, "lisi", "ap-", texts.BUTTON_APPROVE)
    [card] = [m.body for m in local.messages({"chenqi"})
              if str(m.body.get("card_id", "")).startswith("pubd-")]
    assert [b["label"] for b in card["buttons"]] == [texts.BUTTON_PUBLISH]
    clock.at = None

    bot.deps.publisher.publish_by_hand(news.name, "领导调研", "某某领导今日调研。")
    assert await watch_account_now(news.id, now, bot.deps) == 1
    await bot.outbox.drain(now)
    assert any(str(m.body.get("text", "")).startswith("【未经审核发布】") for m in local.messages({"lisi"}))
