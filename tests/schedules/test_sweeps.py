"""The reminder ladders, each sweep called with explicit times across days (the demo
organisation is imported on Thursday 2026-11-26 at 10:00, its accounts filed long before;
某某发布 posts every 2 working days, the others every 3). Art. 11 (第十一条): cadence days are
working days of the working calendar — weekends, holidays and 调休 make-up days — counted from
the later of filing, import and the last publication; more in tests/schedules/test_cadence_policy.py.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot import texts
from bot.deps import Deps
from models import OutboxMessage, Reminder
from schedules import run_sweeps
from schedules.approvals import urge_pending_approvals
from schedules.cadence import remind_posting_cadence
from schedules.digest import send_morning_digest
from tests.conftest import QueryCounter, World
from tests.handlers.test_drafts import submitted

TZ = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


async def sweep_at(world: World, when: datetime, sweep=remind_posting_cadence) -> int:  # type: ignore[no-untyped-def]
    world.clock.now = when
    n = await sweep(when, world.bot.deps)
    await world.settle()
    return n


async def test_cadence_ladder_due_late_zombie_each_once(world: World) -> None:
    assert await sweep_at(world, at(2026, 11, 27, 10, 0)) == 0  # 1 working day: nothing due
    assert await sweep_at(world, at(2026, 11, 28, 10, 0)) == 0  # Saturday: not a working day
    # Monday 09:00: two working days (Fri, Mon): 某某发布 is due; the others (3) are not
    assert await sweep_at(world, at(2026, 11, 30, 9, 0)) == 1
    assert await sweep_at(world, at(2026, 11, 30, 9, 10)) == 0  # never twice
    assert await sweep_at(world, at(2026, 12, 1, 9, 0)) == 2  # 3 working days: the others are due
    group = world.channel.texts_to("group:publicity")
    assert [t.split("（")[0] for t in group] == ["【发布提醒】「某某发布」已 2 个工作日没有发布新内容",
                                                "【发布提醒】「某某头条」已 3 个工作日没有发布新内容"]
    mentions = [m.mentions for m in world.channel.to("group:publicity")]  # type: ignore[union-attr]
    assert all(set(m) == {"zhangsan", "chenqi"} for m in mentions)
    assert world.texts("lisi") == []
    assert await sweep_at(world, at(2026, 12, 2, 9, 0)) == 1  # 4 = 2 + late_days: the head
    assert [t.split("，")[0] for t in world.texts("lisi")] == [
        "【更新逾期】「某某发布」已 4 个工作日没有更新"]
    assert len(world.channel.texts_to("group:service")) == 1
    # Thu 12-10 is 14 calendar but 10 working days: no zombie yet; Wed 12-16 is the 14th
    await sweep_at(world, at(2026, 12, 10, 10, 0))
    assert not [t for t in world.texts("wangwu") if t.startswith("【僵尸账号预警】")]
    await sweep_at(world, at(2026, 12, 16, 10, 0))
    await sweep_at(world, at(2026, 12, 16, 15, 0))
    zombie = [t for t in world.texts("wangwu") if t.startswith("【僵尸账号预警】")]
    assert sorted(t.split("」")[0] for t in zombie) == [
        "【僵尸账号预警】「某某发布", "【僵尸账号预警】「某某头条", "【僵尸账号预警】「某某服务"]
    assert "已 14 个工作日没有更新" in zombie[0]
    assert "负责人：李四；信息员：张三、陈七" in next(t for t in zombie if "某某发布" in t)
    assert await Reminder.filter(kind="cadence").count() == 9  # 3 accounts × 3 steps


async def test_a_holiday_moves_reminders_to_the_next_opening(world: World) -> None:
    """National Day 2026 (10-01 to 10-07) counts no day; Saturday 10-10 is a 调休 working day."""
    from models import Account

    await Account.filter(name="某某发布").update(created_at=at(2026, 9, 28, 10, 0))
    await Account.filter(name__in=["某某头条", "某某服务"]).update(created_at=at(2026, 10, 7, 10, 0))
    assert await sweep_at(world, at(2026, 9, 30, 17, 0)) == 1  # due on the last day before
    assert await sweep_at(world, at(2026, 10, 2, 10, 0)) == 0  # National Day: nothing goes out
    assert await sweep_at(world, at(2026, 10, 8, 9, 0)) == 0  # 3 working days: not late yet
    assert await sweep_at(world, at(2026, 10, 9, 9, 0)) == 1  # 4: late
    assert world.texts("lisi") == [texts.cadence_late("某某发布", 4, 2, ["张三", "陈七"])]
    assert await sweep_at(world, at(2026, 10, 10, 9, 0)) == 2  # the make-up Saturday counts


async def test_a_publication_resets_the_ladder(world: World) -> None:
    world.clock.now = at(2026, 11, 30, 9, 30)
    await submitted(world)
    await world.tap("lisi", world.channel.last_card("lisi", "ap-"), "通过")
    await world.say("zhangsan", "已发布 D1 https://mp.example.org/s/1")
    assert await sweep_at(world, at(2026, 11, 30, 10, 0)) == 0  # the others: 2 working days
    assert await sweep_at(world, at(2026, 12, 1, 10, 0)) == 2  # the others are due; 发布: 1 day
    assert not await Reminder.filter(subject="1").exists()
    assert await sweep_at(world, at(2026, 12, 2, 10, 0)) == 1  # 发布 due again, a new cycle
    due = await Reminder.filter(subject="1", step="due").order_by("id")
    assert len(due) == 1 and due[0].period.startswith("20261130")


async def test_approval_ladder_and_a_decision_ends_it(world: World) -> None:
    draft = await submitted(world)  # Thursday 10:00
    world.clock.now = at(2026, 11, 26, 13, 59)
    assert await urge_pending_approvals(world.clock.now, world.bot.deps) == 0
    assert await sweep_at(world, at(2026, 11, 26, 14, 0), urge_pending_approvals) == 1
    assert texts.urge_head("D1", "冬季供暖服务指南", "张三", 4, again=False) in world.texts("lisi")
    assert len(world.channel.cards_to("lisi")) == 2  # the card again
    assert await sweep_at(world, at(2026, 11, 26, 17, 0), urge_pending_approvals) == 0
    assert await sweep_at(world, at(2026, 11, 27, 10, 0), urge_pending_approvals) == 1  # 9 h = 1 day
    assert any(t.startswith("【再次催办】") for t in world.texts("lisi"))
    # Friday 18:00 → Monday: the weekend does not count; 2 working days reached Monday 10:00
    assert await sweep_at(world, at(2026, 11, 30, 9, 30), urge_pending_approvals) == 0
    assert await sweep_at(world, at(2026, 11, 30, 10, 0), urge_pending_approvals) == 1
    assert any(t.startswith("【审核超时】宣传科的稿件 D1") for t in world.texts("wangwu"))
    # a decision: every copy of the card closes, and nothing more is urged
    await world.tap("lisi", world.channel.last_card("lisi", "ap-"), "通过")
    assert all(not world.channel.card_state("lisi", c.card_id).buttons
               for c in world.channel.cards_to("lisi"))
    assert await sweep_at(world, at(2026, 12, 8, 10, 0), urge_pending_approvals) == 0
    assert draft.id == 1


async def test_a_catch_up_urges_once_with_the_highest_step_and_counts_working_hours(world: World) -> None:
    """Issue 14: started days later, the head got 催办 and 再次催办 as two identical cards and a
    digest in clock hours beside urgings in working hours. Now: one urging (the highest step due,
    the lower recorded as passed over), the escalation to the Information Center, and every
    "waited" in working hours."""
    await submitted(world)  # Thursday 2026-11-26 10:00
    assert await sweep_at(world, at(2026, 12, 3, 10, 0), urge_pending_approvals) == 2  # urge2, escalate
    urgings = [t for t in world.texts("lisi") if t.startswith("【")]
    assert len(urgings) == 1 and urgings[0].startswith("【再次催办】")
    assert len(world.channel.cards_to("lisi")) == 2  # the original card and one copy, not two
    assert any(t.startswith("【审核超时】宣传科的稿件 D1") for t in world.texts("wangwu"))
    passed_over = await Reminder.get(kind="approval", step="urge1")
    assert passed_over.subject == "1"
    assert await sweep_at(world, at(2026, 12, 3, 11, 0), urge_pending_approvals) == 0
    hours = urgings[0].split("已 ")[1].split(" 个工作小时")[0]
    assert await sweep_at(world, at(2026, 12, 4, 9, 0), send_morning_digest) == 1
    digest = next(t for t in world.texts("lisi") if t.startswith("早上好"))
    waited = digest.split("已等待 ")[1].split(" 个工作小时")[0]
    assert int(hours) < int(waited) < 72  # 6 working days of working hours; clock hours: 191


async def test_night_submission_is_urged_in_working_hours_only(world: World) -> None:
    world.clock.now = at(2026, 11, 27, 16, 0)  # Friday 16:00
    await submitted(world)
    assert await sweep_at(world, at(2026, 11, 28, 23, 0), urge_pending_approvals) == 0  # 2 h so far
    assert await sweep_at(world, at(2026, 11, 30, 11, 0), urge_pending_approvals) == 1  # 2 + 2 h


async def test_digest_once_per_working_morning_and_nothing_when_empty(world: World) -> None:
    assert await sweep_at(world, at(2026, 11, 26, 9, 5), send_morning_digest) == 0  # nothing pending
    world.clock.now = at(2026, 11, 26, 16, 0)
    await submitted(world)
    assert await sweep_at(world, at(2026, 11, 26, 22, 0), send_morning_digest) == 0  # closed
    assert await sweep_at(world, at(2026, 11, 27, 9, 0), send_morning_digest) == 1
    assert await sweep_at(world, at(2026, 11, 27, 11, 0), send_morning_digest) == 0
    digest = [t for t in world.texts("lisi") if t.startswith("早上好")]
    assert len(digest) == 1 and "D1《冬季供暖服务指南》· 某某发布 · 张三" in digest[0]
    assert await sweep_at(world, at(2026, 11, 28, 9, 0), send_morning_digest) == 0  # Saturday


async def test_two_runs_at_once_write_each_reminder_once(world: World) -> None:
    when = at(2026, 12, 2, 10, 0)
    world.clock.now = when
    results = await asyncio.gather(*(remind_posting_cadence(when, world.bot.deps) for _ in range(3)))
    assert sum(results) == 4
    await world.settle()
    assert await Reminder.filter(kind="cadence").count() == 4
    keys = await OutboxMessage.filter(key__startswith="rem:").values_list("key", flat=True)
    assert len(keys) == len(set(keys))


async def test_restart_across_a_due_time_sends_once(world: World) -> None:
    """Down over the weekend: the first run after the restart sends what fell due, once."""
    from bot.app import build_bot
    from tests.conftest import make_settings
    from tests.fakes import RecordingChannel

    channel2 = RecordingChannel()
    bot2 = build_bot(make_settings(), [channel2], clock=world.clock)
    world.clock.now = at(2026, 12, 2, 9, 10)
    counts = await run_sweeps(bot2.deps, ["cadence"], now=world.clock.now)
    assert counts["cadence"] == 4
    await bot2.outbox.drain(world.clock.now)
    again = await run_sweeps(bot2.deps, ["cadence"], now=world.clock.now)
    await bot2.outbox.drain(world.clock.now)
    assert again["cadence"] == 0
    assert len(channel2.texts_to("lisi")) == 1  # the one late notice


async def test_scheduler_triggers_each_sweep_coalesced_one_at_a_time(world: World) -> None:
    from schedules import SWEEPS, build_scheduler

    scheduler = build_scheduler(world.bot.deps)
    scheduler.start(paused=True)  # job defaults apply once the scheduler runs
    jobs = {job.id: job for job in scheduler.get_jobs()}
    scheduler.shutdown(wait=False)
    assert set(jobs) == set(SWEEPS) | {"retention"}  # retention: daily at 03:30, not a sweep
    for name in SWEEPS:
        job = jobs[name]
        assert job.coalesce is True and job.max_instances == 1
        assert job.trigger.interval.total_seconds() == 60 * world.bot.settings.sweep_every_minutes
    assert str(scheduler.timezone) == "Asia/Shanghai"
    # Each cycle runs the review first, then the rest in order (a stop before any "please post").
    order = sorted(SWEEPS, key=lambda name: jobs[name].next_run_time)
    assert order == list(SWEEPS) and order[0] == "review"


async def test_on_the_day_accounts_must_stop_nobody_is_asked_to_post_on_them(world: World) -> None:
    """Art. 5, 11: 1 December, an account with no report, silent for weeks: run in one go, the
    sweeps stop it and tell its people so — no 【发布提醒】 or 【更新逾期】 about it that day."""
    from models import Account

    await Account.all().update(created_at=at(2026, 1, 5, 10, 0), last_published_at=at(2026, 11, 2, 10, 0))
    when = at(2026, 12, 1, 10, 0)
    world.clock.now = when
    await run_sweeps(world.bot.deps, now=when)
    await world.settle()
    assert (await Account.get(name="某某头条")).status.value == "must_stop"
    about = [t for who in ("lisi", "chenqi") for t in world.texts(who) if "「某某头条」" in t]
    assert about and all(not t.startswith(("【发布提醒】", "【更新逾期】")) for t in about)
    group = [t for t in world.channel.texts_to("group:publicity") if "「某某头条」" in t]
    assert group == []


async def test_a_scheduled_run_logs_what_it_wrote_and_is_quiet_otherwise(
    world: World, caplog: pytest.LogCaptureFixture,
) -> None:
    from schedules import build_scheduler

    scheduler = build_scheduler(world.bot.deps)
    job = scheduler.get_job("cadence")
    world.clock.now = at(2026, 12, 2, 9, 0)
    with caplog.at_level(logging.INFO, logger=world.bot.deps.log.name):
        await job.func()
        await job.func()  # nothing more is due
    lines = [r.getMessage() for r in caplog.records if r.name == world.bot.deps.log.name]
    assert lines == ["sweep cadence wrote 4 reminders"]


async def test_a_run_writes_its_reminders_in_batches(world: World, queries: QueryCounter) -> None:
    world.clock.now = at(2026, 12, 2, 9, 0)
    queries.statements.clear()
    assert await remind_posting_cadence(world.clock.now, world.bot.deps) == 4
    inserts = [s.split("(")[0] for s in queries.statements if s.startswith("INSERT")]
    assert inserts == ['INSERT INTO "reminder" ', 'INSERT INTO "outbox_message" ']
    assert await OutboxMessage.filter(key__startswith="rem:cadence:").count() == 4


async def test_a_batch_that_meets_a_stored_key_is_written_one_by_one(world: World) -> None:
    from bot.cards import Text
    from bot.reminders import Send, remind
    from models import Person
    from schedules.base import sweep_lock

    person = await Person.get(code="zhangsan")
    deps, now = world.bot.deps, world.clock.now
    # Outside a sweep run: written at once. Then a run that did not see it queues it again.
    assert await remind("t", "a", "s", "1", [Send(person, Text("A"))], deps=deps, now=now)
    async with sweep_lock("t") as mine:
        assert mine
        await remind("t", "a", "s", "1", [Send(person, Text("A again"))], deps=deps, now=now)
        await remind("t", "b", "s", "1", [Send(person, Text("B"))], deps=deps, now=now)
        assert await Reminder.filter(kind="t").count() == 1  # queued, not written yet
    assert await Reminder.filter(kind="t").count() == 2
    rows = await OutboxMessage.filter(key__startswith="rem:t:").order_by("id")
    assert [r.body["text"] for r in rows] == ["A", "B"]


async def test_the_sweep_decorator_runs_the_body_in_working_hours_and_one_run_at_a_time(
        world: World) -> None:
    from schedules.base import sweep

    calls: list[datetime] = []
    started, release = asyncio.Event(), asyncio.Event()

    @sweep("t-decorator")
    async def body(now: datetime, deps: Deps) -> int:
        calls.append(now)
        started.set()
        await release.wait()
        return 7

    deps = world.bot.deps
    assert await body(at(2026, 12, 5, 10, 0), deps) == 0  # a Saturday: the body is not called
    assert await body(at(2026, 12, 2, 22, 0), deps) == 0  # a workday's night
    assert calls == []
    first = asyncio.create_task(body(at(2026, 12, 2, 10, 0), deps))
    await started.wait()
    assert await body(at(2026, 12, 2, 10, 0), deps) == 0  # the first run holds the lock
    release.set()
    assert await first == 7
    assert calls == [at(2026, 12, 2, 10, 0)]
    assert body.__name__ == "body"
