"""Art. 12 (第十二条: 相应单位、部门应及时回复；如不能即时回复，应承诺答复期限): the inquiry
reminder ladder, driven through the router with a hand-moved clock across working days, weekends,
the National Day holiday and a make-up Saturday of the official calendar, each sweep called with
an explicit ``now``. Proves: every rung (unclaimed → officers, head, Information Center; claimed
without a deadline → owner, head; committed → owner, head, Information Center) fires once at its
threshold and not a minute earlier, an answer or a claim or a commitment ends what it should, and
咨询统计 counts as overdue exactly what the ladder escalated to the head. A sweep with nothing to
do costs the same few queries for 3 or 60 open inquiries.

Demo organisation: 某某发布 belongs to 宣传科 (officers 张三 zhangsan, 陈七 chenqi; head 李四 lisi);
the Information Center is 王五 wangwu (head) and 赵六 zhaoliu; 9:00–18:00, so a working day is 9 h.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import texts
from bot.inquiry_ladder import RUNGS, Times, cuts, holds, is_overdue, pending, reached, times_now
from bot.workdays import WorkCalendar
from models import Account, Inquiry, InquiryStatus, Reminder
from schedules.inquiries import remind_inquiry_deadlines
from tests.conftest import QueryCounter, World

TZ = ZoneInfo("Asia/Shanghai")
QUESTION = "咨询 @某某发布 今年供暖什么时候开始？来自 热线"
IC = ("wangwu", "zhaoliu")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


async def run(world: World, when: datetime) -> int:
    world.clock.now = when
    n = await remind_inquiry_deadlines(when, world.bot.deps)
    await world.settle()
    return n


async def ask(world: World, when: datetime) -> None:
    world.clock.now = when
    await world.say("zhangsan", QUESTION)


async def claim(world: World, who: str, when: datetime) -> None:
    world.clock.now = when
    await world.tap(who, world.channel.last_card(who, "inq-"), "认领")


async def commit(world: World, who: str, when: datetime, choice: str) -> None:
    world.clock.now = when
    await world.tap(who, world.channel.last_card(who, "inq-"), "承诺时限")
    await world.tap(who, world.channel.last_card(who, "inqd-"), choice)


async def overdue_in_stats(world: World, when: datetime) -> str:
    """The 逾期 figure 宣传科's head sees."""
    world.clock.now = when
    await world.say("lisi", "咨询统计")
    line = world.last_text("lisi").splitlines()[1]
    assert line.startswith("宣传科：")
    return line.split("逾期 ")[1].split("，")[0]


async def steps() -> list[str]:
    return [r.step for r in await Reminder.filter(kind="inquiry").order_by("id")]


async def test_unclaimed_officers_then_head_then_information_center_over_a_weekend(world: World) -> None:
    await ask(world, at(2026, 11, 26, 10, 0))  # Thursday
    assert await run(world, at(2026, 11, 26, 11, 59)) == 0
    assert await run(world, at(2026, 11, 26, 12, 0)) == 1  # 2 working hours: the officers
    for officer in ("zhangsan", "chenqi"):
        assert world.last_text(officer) == texts.inquiry_unclaimed("Q1", "某某发布")
    assert await run(world, at(2026, 11, 26, 17, 59)) == 0
    assert await overdue_in_stats(world, at(2026, 11, 26, 17, 59)) == "0"
    # 1 working day = 9 h: 8 h on Thursday, the 9th on Friday at 10:00
    assert await run(world, at(2026, 11, 27, 9, 59)) == 0
    assert await run(world, at(2026, 11, 27, 10, 0)) == 1
    assert world.last_text("lisi") == texts.inquiry_unclaimed_head(
        "Q1", "某某发布", at(2026, 11, 26, 10, 0), ["张三", "陈七"])
    assert "11月26日 10:00 收到" in world.last_text("lisi")
    assert await overdue_in_stats(world, at(2026, 11, 27, 10, 0)) == "1"  # the head was told: overdue
    # 2 working days = 18 h: Friday's close gives 17 h; the weekend does not count → Monday 10:00
    assert await run(world, at(2026, 11, 28, 11, 0)) == 0  # Saturday: closed
    assert await run(world, at(2026, 11, 30, 9, 59)) == 0
    assert await run(world, at(2026, 11, 30, 10, 0)) == 1
    for admin in IC:
        assert world.last_text(admin) == texts.inquiry_unclaimed_ic(
            "Q1", "某某发布", "宣传科", at(2026, 11, 26, 10, 0), "李四")
    assert await run(world, at(2026, 12, 7, 10, 0)) == 0  # each rung once
    assert await steps() == ["unclaimed", "unclaimed_head", "unclaimed_ic"]
    assert sum(t.startswith("【咨询无人认领】") for t in world.texts("lisi")) == 1


async def test_a_claim_ends_the_unclaimed_rungs(world: World) -> None:
    await ask(world, at(2026, 11, 26, 10, 0))
    await claim(world, "chenqi", at(2026, 11, 26, 11, 50))
    await commit(world, "chenqi", at(2026, 11, 26, 11, 55), "3个工作日")  # Tue 12-01 17:59
    assert await run(world, at(2026, 11, 26, 12, 0)) == 0
    assert await run(world, at(2026, 11, 27, 10, 0)) == 0
    assert await run(world, at(2026, 11, 30, 10, 0)) == 0  # more than a working day left
    assert await steps() == []
    assert await overdue_in_stats(world, at(2026, 11, 30, 10, 0)) == "0"


async def test_a_claim_after_the_officers_rung_stops_the_head_rung(world: World) -> None:
    await ask(world, at(2026, 11, 26, 10, 0))
    assert await run(world, at(2026, 11, 26, 12, 0)) == 1
    # claimed between two runs, past 1 working day: the unclaimed rung is not sent late
    await claim(world, "zhangsan", at(2026, 11, 27, 9, 55))
    await commit(world, "zhangsan", at(2026, 11, 27, 9, 56), "7个工作日")
    assert await run(world, at(2026, 11, 27, 10, 0)) == 0
    assert await run(world, at(2026, 11, 30, 10, 0)) == 0
    assert await steps() == ["unclaimed"]


async def test_claimed_without_a_deadline_owner_then_head(world: World) -> None:
    await ask(world, at(2026, 11, 26, 10, 0))  # Thursday
    await claim(world, "chenqi", at(2026, 11, 26, 10, 30))
    assert await run(world, at(2026, 11, 26, 12, 0)) == 0  # claimed: no unclaimed rung
    assert await run(world, at(2026, 11, 26, 17, 59)) == 0  # the working day is not over
    # not answered and no deadline by Thursday's close: the owner, at Friday's opening
    assert await run(world, at(2026, 11, 27, 9, 0)) == 1
    assert world.last_text("chenqi") == texts.inquiry_uncommitted("Q1", "某某发布", at(2026, 11, 26, 10, 30))
    assert "你 11月26日 10:30 认领的咨询 Q1" in world.last_text("chenqi")
    assert not any(t.startswith("【答复提醒】") for t in world.texts("zhangsan"))  # only the owner
    assert await run(world, at(2026, 11, 27, 17, 59)) == 0
    assert await overdue_in_stats(world, at(2026, 11, 27, 17, 59)) == "0"
    # nor by the close of the next working day (Friday): the head, Monday morning
    assert await run(world, at(2026, 11, 28, 10, 0)) == 0  # Saturday
    assert await run(world, at(2026, 11, 30, 9, 0)) == 1
    assert world.last_text("lisi") == texts.inquiry_uncommitted_head(
        "Q1", "某某发布", "陈七", at(2026, 11, 26, 10, 30))
    assert await overdue_in_stats(world, at(2026, 11, 30, 9, 0)) == "1"
    assert await run(world, at(2026, 12, 10, 9, 0)) == 0
    assert await steps() == ["uncommitted", "uncommitted_head"]


async def test_a_deadline_committed_after_the_owners_reminder_moves_to_the_deadline_rungs(
    world: World,
) -> None:
    await ask(world, at(2026, 11, 26, 10, 0))
    await claim(world, "chenqi", at(2026, 11, 26, 10, 30))
    assert await run(world, at(2026, 11, 27, 9, 0)) == 1  # the owner
    await commit(world, "chenqi", at(2026, 11, 27, 11, 0), "1个工作日")  # Monday 17:59
    assert await run(world, at(2026, 11, 30, 9, 0)) == 1  # no head rung; due soon → the owner
    assert world.last_text("chenqi").startswith("【答复提醒】你承办的咨询 Q1")
    assert await overdue_in_stats(world, at(2026, 11, 30, 17, 59)) == "0"
    assert await run(world, at(2026, 11, 30, 17, 59)) == 0
    assert await run(world, at(2026, 12, 1, 9, 0)) == 1  # the deadline passed: the head
    assert world.last_text("lisi").startswith("【答复逾期】「某某发布」的咨询 Q1")
    assert await overdue_in_stats(world, at(2026, 12, 1, 9, 0)) == "1"
    # three working days past Monday 17:59: Thursday 17:59, so Friday's opening
    assert await run(world, at(2026, 12, 3, 17, 58)) == 0
    assert await run(world, at(2026, 12, 4, 9, 0)) == 1
    assert all(world.last_text(a).startswith("【答复严重逾期】宣传科「某某发布」的咨询 Q1") for a in IC)
    assert await steps() == ["uncommitted", "due_soon", "overdue", "overdue3"]


async def test_an_answer_ends_the_ladder_and_an_answer_in_time_is_not_overdue(world: World) -> None:
    await ask(world, at(2026, 11, 26, 10, 0))
    await claim(world, "chenqi", at(2026, 11, 26, 10, 30))
    world.clock.now = at(2026, 11, 27, 17, 0)  # before the head would hear of it
    await world.say("chenqi", "回复 Q1 11月15日已开始供暖。")
    for day in (27, 30):
        assert await run(world, at(2026, 11, day, 17, 30)) == 0
    assert await run(world, at(2026, 12, 10, 10, 0)) == 0
    assert await steps() == []
    assert await overdue_in_stats(world, at(2026, 12, 10, 10, 0)) == "0"
    assert "按时答复 1" in world.last_text("lisi")


async def test_a_deadline_committed_after_the_head_was_told_still_counts_overdue(world: World) -> None:
    """The statistics read the commitment's time from the audit trail: late is late."""
    await ask(world, at(2026, 11, 26, 10, 0))
    await claim(world, "chenqi", at(2026, 11, 26, 10, 30))
    assert await run(world, at(2026, 11, 27, 9, 0)) == 1
    assert await run(world, at(2026, 11, 30, 9, 0)) == 1  # the head
    await commit(world, "chenqi", at(2026, 11, 30, 10, 0), "3个工作日")
    world.clock.now = at(2026, 12, 1, 10, 0)
    await world.say("chenqi", "回复 Q1 已答复。")  # before the committed deadline
    assert await overdue_in_stats(world, at(2026, 12, 1, 10, 5)) == "1"
    assert "按时答复 0" in world.last_text("lisi")


async def test_a_claim_after_hours_belongs_to_the_next_working_day_a_make_up_saturday_counts(
    world: World,
) -> None:
    """2026-10-10 is a make-up Saturday (调休上班), 10-11 a Sunday."""
    await ask(world, at(2026, 10, 9, 17, 0))  # Friday
    await claim(world, "zhangsan", at(2026, 10, 9, 19, 0))  # after hours: Saturday's work
    assert await run(world, at(2026, 10, 10, 17, 59)) == 0
    assert await run(world, at(2026, 10, 11, 10, 0)) == 0  # Sunday: closed
    assert await run(world, at(2026, 10, 12, 9, 0)) == 1  # Saturday's close passed: the owner
    assert world.last_text("zhangsan") == texts.inquiry_uncommitted("Q1", "某某发布", at(2026, 10, 9, 19, 0))
    assert await run(world, at(2026, 10, 13, 9, 0)) == 1  # Monday's close passed: the head
    assert world.last_text("lisi").startswith("【答复逾期】「某某发布」的咨询 Q1 由 张三 于 10月9日 19:00")


async def test_national_day_holiday_does_not_count(world: World) -> None:
    """Received Wednesday 2026-09-30 16:00, the last working day before 1–7 October."""
    await ask(world, at(2026, 9, 30, 16, 0))
    assert await run(world, at(2026, 9, 30, 17, 59)) == 0  # 1 h 59 min
    assert await run(world, at(2026, 10, 2, 10, 0)) == 0  # holiday: nothing goes out
    assert await run(world, at(2026, 10, 8, 9, 0)) == 1  # 2 h reached at 09-30's close: the officers
    assert await run(world, at(2026, 10, 8, 15, 59)) == 0
    assert await run(world, at(2026, 10, 8, 16, 0)) == 1  # 2 h + 7 h: the head
    assert await run(world, at(2026, 10, 9, 15, 59)) == 0
    assert await run(world, at(2026, 10, 9, 16, 0)) == 1  # 2 + 9 + 7 h: the Information Center
    assert await steps() == ["unclaimed", "unclaimed_head", "unclaimed_ic"]


async def test_a_department_without_a_head_escalates_to_the_information_center(world: World) -> None:
    from models import Department

    await Department.filter(name="宣传科").update(head_id=None)
    await ask(world, at(2026, 11, 26, 10, 0))
    assert await run(world, at(2026, 11, 26, 12, 0)) == 1
    assert await run(world, at(2026, 11, 27, 10, 0)) == 1
    assert all(world.last_text(a).startswith("【咨询无人认领】「某某发布」") for a in IC)


def test_the_definition_is_one_table_for_the_sweep_and_the_statistics() -> None:
    """Pure: ``is_overdue`` for an answered inquiry looks at what held before the answer."""
    cal = WorkCalendar(TZ)
    received = at(2026, 11, 26, 10, 0)
    answered_late = Times(received, answered_at=at(2026, 11, 27, 10, 1))  # 9 h 1 min, unclaimed
    answered_just_in_time = Times(received, answered_at=at(2026, 11, 27, 10, 0))  # 9 h: the head not yet
    assert is_overdue(answered_late, at(2026, 12, 20, 10, 0), cal)
    assert not is_overdue(answered_just_in_time, at(2026, 12, 20, 10, 0), cal)
    due = at(2026, 11, 30, 17, 59)
    on_the_dot = Times(received, received, received, due, due)
    assert not is_overdue(on_the_dot, at(2026, 12, 20, 10, 0), cal)
    assert is_overdue(Times(received, received, received, due, due + timedelta(minutes=1)),
                      at(2026, 12, 20, 10, 0), cal)


async def test_a_sweep_with_nothing_to_do_costs_the_same_for_3_or_60_inquiries(
    world: World, queries: QueryCounter,
) -> None:
    account = await Account.get(name="某某发布")
    now = at(2026, 11, 26, 11, 0)

    async def add(n: int) -> None:
        await Inquiry.bulk_create([
            Inquiry(account_id=account.id, department_id=account.department_id, source="chat",
                    text=f"问题{i}", received_at=now - timedelta(minutes=30)) for i in range(n)])

    async def count() -> int:
        queries.statements.clear()
        assert await remind_inquiry_deadlines(now, world.bot.deps) == 0
        return len(queries.statements)

    await add(3)
    few = await count()
    await add(57)
    assert await count() == few
    # everything due already sent: still flat (one look-up of the sent keys)
    later = at(2026, 11, 26, 13, 0)
    assert await remind_inquiry_deadlines(later, world.bot.deps) == 60
    now = later
    sent_60 = await count()
    await Inquiry.filter(id__gt=3).update(status=InquiryStatus.ANSWERED, answered_at=later)
    sent_3 = await count()
    assert sent_60 == sent_3 <= few + 2


@settings(max_examples=300, deadline=None)
@given(received=st.integers(0, 20 * 24 * 60), claim=st.one_of(st.none(), st.integers(0, 10 * 24 * 60)),
       commit=st.one_of(st.none(), st.integers(0, 10 * 24 * 60)), due=st.integers(0, 15 * 24 * 60),
       answer=st.one_of(st.none(), st.integers(0, 20 * 24 * 60)), look=st.integers(0, 30 * 24 * 60))
def test_is_overdue_is_any_overdue_rung_reached(received: int, claim: int | None, commit: int | None,
                                               due: int, answer: int | None, look: int) -> None:
    """``is_overdue`` stops at the first overdue rung reached (the console's overview counts
    thousands of open inquiries with it): the same answer as asking every rung (Art. 12)."""
    cal = WorkCalendar.parse(ZoneInfo("Asia/Shanghai"), "09:00-18:00")
    base = at(2026, 11, 2, 8, 0)
    got = base + timedelta(minutes=received)
    claimed = None if claim is None else got + timedelta(minutes=claim)
    committed = None if commit is None else (claimed or got) + timedelta(minutes=commit)
    due_at = None if committed is None else committed + timedelta(minutes=due)
    answered = None if answer is None else got + timedelta(minutes=answer)
    times = Times(got, claimed, committed, due_at, answered)
    when = got + timedelta(minutes=look)
    assert is_overdue(times, when, cal) == any(r.overdue for r in reached(times, when, cal))


@settings(max_examples=300, deadline=None)
@given(received=st.integers(0, 20 * 24 * 3600), owner=st.booleans(),
       claim=st.one_of(st.none(), st.integers(0, 10 * 24 * 3600)),
       due=st.one_of(st.none(), st.integers(-12 * 24 * 3600, 6 * 24 * 3600)),
       look=st.integers(0, 25 * 24 * 3600))
def test_the_sweeps_instants_say_what_pending_says(received: int, owner: bool, claim: int | None,
                                                    due: int | None, look: int) -> None:
    """The sweep asks the database which rungs hold now by comparing each inquiry's times with
    instants computed once a run (``cuts``, ``holds``): the same rungs as ``pending``, to the
    second, across nights, weekends and the National Day holiday."""
    cal = WorkCalendar.parse(ZoneInfo("Asia/Shanghai"), "09:00-18:00")
    got = at(2026, 9, 20, 8, 0) + timedelta(seconds=received)
    now = got + timedelta(seconds=look)
    row = {"received_at": got, "owner_id": 7 if owner else None,
           "claimed_at": None if claim is None or not owner else min(now, got + timedelta(seconds=claim)),
           "due_at": None if due is None else now + timedelta(seconds=due)}
    times = times_now(row, now)
    c = cuts(now, cal)
    assert {r for r in RUNGS if holds(r, times, c)} == set(pending(times, now, cal))
