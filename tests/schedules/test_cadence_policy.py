"""Art. 11 (第十一条) — posting cadence as the policy reads it, and Art. 3–4 (第三条、第四条) for
accounts not on file.

Proves: days are working days (weekends and official holidays do not count, a 调休 Saturday
does); the count starts at the later of filing and the last publication, never at approval (an
account filed three weeks after approval is not a zombie an hour after filing); a daily account
that posted on Friday is due, not late, on Monday; an account not yet filed has no cadence; a
slower cadence (with its recorded reason) keeps the ladder in order: due, late, then zombie.
Art. 14 (第十四条): at zombie the account's 主管领导 is told too, once, with the account named.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot import texts
from bot.workdays import working_days_since
from models import Account, AccountStatus, Person, Reminder
from schedules.cadence import remind_posting_cadence, thresholds
from tests.conftest import World

TZ = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


async def sweep_at(world: World, when: datetime) -> int:
    world.clock.now = when
    n = await remind_posting_cadence(when, world.bot.deps)
    await world.settle()
    return n


def test_working_days_skip_weekends_and_holidays_and_count_make_up_days() -> None:
    friday, monday = date(2026, 11, 27), date(2026, 11, 30)
    assert working_days_since([friday], monday) == {friday: 1}
    assert working_days_since([friday], friday) == {friday: 0}
    # National Day 2026: 10-01..10-07 off; Saturday 10-10 is a make-up working day
    before = date(2026, 9, 30)
    assert working_days_since([before], date(2026, 10, 8)) == {before: 1}
    assert working_days_since([before], date(2026, 10, 10)) == {before: 3}
    holiday = date(2026, 10, 3)  # a start on a holiday counts from the next working day
    assert working_days_since([holiday, before], date(2026, 10, 9)) == {holiday: 2, before: 2}


def test_the_ladder_stays_in_order_for_a_slower_cadence() -> None:
    assert thresholds(2, 2, 14) == (("due", 2), ("late", 4), ("zombie", 14))
    assert thresholds(15, 2, 14) == (("due", 15), ("late", 17), ("zombie", 18))


async def filed_long_after_approval(world: World) -> None:
    """某某发布 approved on 11-04, filed on Thursday 11-26 at 10:00, never published."""
    await Account.filter(name="某某发布").update(created_at=at(2026, 11, 4, 10, 0),
                                                filed_at=at(2026, 11, 26, 10, 0))
    await Account.filter(name__in=["某某头条", "某某服务"]).update(status=AccountStatus.SUSPENDED)


async def test_an_account_filed_21_days_after_approval_is_not_late_an_hour_after(world: World) -> None:
    await filed_long_after_approval(world)
    assert await sweep_at(world, at(2026, 11, 26, 11, 0)) == 0
    assert await sweep_at(world, at(2026, 11, 27, 17, 0)) == 0  # 1 working day since filing
    assert await sweep_at(world, at(2026, 11, 30, 9, 0)) == 1  # Monday: 2 working days, due
    assert [r.step for r in await Reminder.filter(kind="cadence")] == ["due"]
    assert world.texts("wangwu") == []  # no zombie alert


async def test_a_daily_account_that_posted_on_friday_is_due_not_late_on_monday(world: World) -> None:
    await filed_long_after_approval(world)
    await Account.filter(name="某某发布").update(post_every_days=1,
                                                last_published_at=at(2026, 11, 27, 16, 0))
    assert await sweep_at(world, at(2026, 11, 30, 10, 0)) == 1
    assert [r.step for r in await Reminder.filter(kind="cadence")] == ["due"]
    assert world.texts("lisi") == []  # the head is not told on Monday
    assert await sweep_at(world, at(2026, 12, 1, 10, 0)) == 0  # 2 working days
    assert await sweep_at(world, at(2026, 12, 2, 10, 0)) == 1  # 3 = 1 + late_days: late
    assert world.texts("lisi")[0].startswith("【更新逾期】「某某发布」已 3 个工作日没有更新")


async def test_the_count_starts_at_the_later_of_filing_and_the_last_publication(world: World) -> None:
    await filed_long_after_approval(world)
    # a publication recorded before the filing (an existing account): the filing is the start
    await Account.filter(name="某某发布").update(last_published_at=at(2026, 11, 2, 10, 0))
    assert await sweep_at(world, at(2026, 11, 27, 10, 0)) == 0
    # a publication after the filing: it is the start
    await Account.filter(name="某某发布").update(last_published_at=at(2026, 11, 30, 10, 0))
    assert await sweep_at(world, at(2026, 12, 1, 10, 0)) == 0
    assert await sweep_at(world, at(2026, 12, 2, 10, 0)) == 1
    due = await Reminder.get(kind="cadence")
    assert due.period.startswith("20261130")


async def test_an_account_not_filed_has_no_cadence(world: World) -> None:
    """Art. 4: an account approved but not filed, or imported awaiting filing, is not counted."""
    await Account.filter(name="某某发布").update(status=AccountStatus.UNFILED, filed_at=None,
                                                created_at=at(2026, 10, 1, 10, 0))
    await Account.filter(name="某某头条").update(status=AccountStatus.APPROVED, filed_at=None,
                                                created_at=at(2026, 10, 1, 10, 0))
    await Account.filter(name="某某服务").update(filed_at=None)  # operating with no filing date
    assert await sweep_at(world, at(2026, 12, 31, 10, 0)) == 0
    assert not await Reminder.filter(kind="cadence").exists()


async def test_a_reasoned_weekly_cadence_is_due_after_seven_working_days(world: World) -> None:
    await filed_long_after_approval(world)
    await Account.filter(name="某某发布").update(post_every_days=7, cadence_reason="科普专栏每周一期")
    assert await sweep_at(world, at(2026, 12, 4, 10, 0)) == 0  # 6 working days
    assert await sweep_at(world, at(2026, 12, 7, 10, 0)) == 1  # 7: due
    assert await sweep_at(world, at(2026, 12, 9, 10, 0)) == 1  # 9: late
    assert await sweep_at(world, at(2026, 12, 15, 10, 0)) == 0  # 13
    assert await sweep_at(world, at(2026, 12, 16, 10, 0)) == 1  # 14: zombie
    assert [r.step for r in await Reminder.filter(kind="cadence").order_by("id")] == [
        "due", "late", "zombie"]


async def test_the_leader_is_told_at_zombie_once_with_the_account_named(world: World) -> None:
    """Art. 14 (第十四条): the 主管领导 answers for the account, so hears at zombie what the
    Information Center hears, once per person and step; a leader who is an Information Center
    admin gets one message (the leader's), not two."""
    await filed_long_after_approval(world)
    zhouba, wangwu = await Person.get(code="zhouba"), await Person.get(code="wangwu")
    await Account.filter(name="某某发布").update(leader_id=zhouba.id)  # a leader outside the department
    await Account.filter(name="某某头条").update(status=AccountStatus.OPERATING, leader_id=wangwu.id,
                                                filed_at=at(2026, 11, 26, 10, 0))
    assert await sweep_at(world, at(2026, 12, 15, 10, 0)) == 4  # 13 working days: due, late each
    assert world.texts("zhouba") == []
    assert await sweep_at(world, at(2026, 12, 16, 10, 0)) == 2  # 14: zombie, both
    lead = texts.cadence_zombie_leader("某某发布", "宣传科", 14, "李四", ["张三", "陈七"])
    assert world.texts("zhouba") == [lead]
    assert [t for t in world.texts("wangwu") if "某某头条" in t] == [
        texts.cadence_zombie_leader("某某头条", "宣传科", 14, "李四", ["张三", "陈七"])]
    assert [t for t in world.texts("zhaoliu") if "某某头条" in t] == [
        texts.cadence_zombie("某某头条", "宣传科", 14, "李四", ["张三", "陈七"])]
    assert await sweep_at(world, at(2026, 12, 17, 10, 0)) == 0  # once
    assert world.texts("zhouba") == [lead]
