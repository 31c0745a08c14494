"""Verification after filing (Art. 4 第四条: "开通新媒体后，应及时申请认证"): the administrator is
reminded weekly from one week after filing; at four weeks the department head is told, at eight
weeks the Information Center, once each per filing; an account verified with its evidence (a
link, or a screenshot sent after 已认证) hears nothing more."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot import texts
from models import Account, AccountStatus
from schedules.verification import remind_unverified
from tests.conftest import World

TZ = ZoneInfo("Asia/Shanghai")
FILED = datetime(2026, 9, 1, 10, 0, tzinfo=TZ)  # a Tuesday


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


async def run(world: World, when: datetime) -> int:
    world.clock.now = when
    n = await remind_unverified(when, world.bot.deps)
    await world.settle()
    return n


async def only_one_unverified(world: World) -> None:
    await Account.all().update(status=AccountStatus.OPERATING, filed_at=FILED,
                               verified_at=at(2026, 9, 2, 10, 0))
    await Account.filter(name="某某发布").update(verified_at=None)


def overdue_to_head(world: World) -> list[str]:
    return [t for t in world.texts("lisi") if t.startswith("【认证逾期】")]


def overdue_to_ic(world: World, who: str) -> list[str]:
    return [t for t in world.texts(who) if t.startswith("【认证逾期】")]


async def test_the_head_at_four_weeks_and_the_information_center_at_eight(world: World) -> None:
    await only_one_unverified(world)
    assert await run(world, at(2026, 9, 7, 10, 0)) == 0  # six days: nothing yet
    assert await run(world, at(2026, 9, 8, 10, 0)) == 1  # one week: the administrator
    assert world.texts("zhangsan")[-1] == texts.verify_reminder("某某发布")
    assert overdue_to_head(world) == []
    assert await run(world, at(2026, 9, 29, 10, 0)) == 2  # four weeks: weekly + the head
    assert overdue_to_head(world) == [texts.verify_overdue_head("某某发布", 4, "张三")]
    assert overdue_to_ic(world, "wangwu") == []
    assert await run(world, at(2026, 9, 30, 10, 0)) == 0  # the head is told once
    assert await run(world, at(2026, 10, 27, 10, 0)) == 2  # eight weeks: weekly + the IC
    assert overdue_to_ic(world, "wangwu") == [texts.verify_overdue_ic("某某发布", "宣传科", 8)]
    assert overdue_to_ic(world, "zhaoliu") == overdue_to_ic(world, "wangwu")  # every IC admin
    assert len(overdue_to_head(world)) == 1
    assert await run(world, at(2026, 10, 28, 10, 0)) == 0


async def test_verification_ends_every_reminder(world: World) -> None:
    await only_one_unverified(world)
    await world.say("zhangsan", "已认证 @某某发布")  # one word is not evidence: still due
    await world.image("zhangsan", b"\x89PNG verified")  # the screenshot asked for: recorded
    assert await run(world, at(2026, 10, 27, 10, 0)) == 0
    assert overdue_to_head(world) == [] and overdue_to_ic(world, "wangwu") == []


async def test_nothing_outside_working_hours(world: World) -> None:
    await only_one_unverified(world)
    assert await run(world, at(2026, 10, 25, 10, 0)) == 0  # a Sunday
    assert await run(world, at(2026, 10, 26, 23, 0)) == 0  # Monday night
    assert await run(world, at(2026, 10, 27, 10, 30)) == 3  # the first open run catches up


async def test_a_refiled_account_is_escalated_again_four_weeks_after_its_new_filing(world: World) -> None:
    """Once per filing: the head's escalation of the first filing does not count for the second
    (the sweep asks the database which filings were escalated; a filing at 07:00 is the day
    before in UTC, as the reminder's period records it)."""
    await only_one_unverified(world)
    assert await run(world, at(2026, 9, 29, 10, 0)) == 2  # weekly + the head, first filing
    await Account.filter(name="某某发布").update(filed_at=at(2026, 10, 9, 7, 0))
    assert await run(world, at(2026, 11, 5, 10, 0)) == 1  # four weeks less a day: the weekly only
    assert len(overdue_to_head(world)) == 1
    assert await run(world, at(2026, 11, 6, 10, 0)) == 1  # four weeks after the new filing
    assert len(overdue_to_head(world)) == 2
    assert await run(world, at(2026, 11, 9, 10, 0)) == 1  # a new week: the weekly, nothing more
