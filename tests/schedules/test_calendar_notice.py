"""The December notice (issue 19, schedules/calendar.py): when next year has no holidays from the
file or the package, the Information Center admins are told on the first working-hours run from
1 December, then once a week until it is fixed; the calendar sweep also reads the holidays file
again when it changed, so the fix needs no restart."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import workdays
from models import Reminder
from schedules import SWEEPS, run_sweeps
from schedules.calendar import check_working_calendar
from tests.bot.test_workdays import HOLIDAYS_2027, _package_calendar  # noqa: F401 (a fixture)
from tests.conftest import World

TZ = ZoneInfo("Asia/Shanghai")
IC = ("wangwu", "zhaoliu")  # the demo's Information Center: its head and its officer
HEAD = "【工作日历】2027 年的节假日和调休还没有数据"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


async def run(world: World, when: datetime) -> int:
    world.clock.now = when
    written = await check_working_calendar(when, world.bot.deps)
    await world.settle()
    return written


def notices(world: World, who: str) -> list[str]:
    return [t for t in world.texts(who) if t.startswith("【工作日历】")]


async def test_december_once_then_weekly_until_fixed(world: World, tmp_path: Path) -> None:
    assert await run(world, at(2026, 11, 30, 10, 0)) == 0  # November: the notice may still come
    assert await run(world, at(2026, 12, 1, 8, 0)) == 0  # before the opening
    assert await run(world, at(2026, 12, 1, 9, 0)) == 1
    assert await run(world, at(2026, 12, 1, 9, 10)) == 0  # once
    assert await run(world, at(2026, 12, 7, 10, 0)) == 0  # the same week
    for who in IC:
        assert [t.split("\n")[0] for t in notices(world, who)] == [HEAD]
    assert notices(world, "lisi") == []  # only the Information Center
    assert await run(world, at(2026, 12, 8, 9, 0)) == 1  # a week on: again
    assert notices(world, "wangwu")[-1].startswith(HEAD + "（第 2 次提醒）")
    # the fix: the file, picked up by the next run without a restart
    path = tmp_path / "holidays.yaml"
    path.write_text(HOLIDAYS_2027, encoding="utf-8")
    world.bot.settings.holidays_file = str(path)
    assert await run(world, at(2026, 12, 15, 9, 0)) == 0
    assert workdays.source_of(2027) == "file"
    assert len(notices(world, "wangwu")) == 2
    assert await Reminder.filter(kind="calendar").count() == 2


async def test_what_the_information_center_reads(world: World) -> None:
    await run(world, at(2026, 12, 1, 10, 0))
    text = notices(world, "wangwu")[0]
    assert "从 2027 年 1 月 1 日起，机器人只能按周一至周五算工作日" in text  # what the bot will do
    assert "调休上班的周六、周日却不算工作日" in text
    assert "第十条至第十二条的期限和年度审核都按工作日计算" in text  # why it matters
    assert "就会在假期里发提醒，或漏掉调休上班日" in text
    assert "XMT_HOLIDAYS_FILE" in text and "xmt calendar check 2027" in text  # how to fix it
    assert "holidays:\n  2027:\n    off:" in text and "workdays:" in text  # the file's shape
    assert workdays.parse_holidays(text[text.index("holidays:"):text.index("\n然后")])  # a valid shape


async def test_nothing_when_next_year_has_data(world: World) -> None:
    workdays.use_holidays(workdays.parse_holidays(HOLIDAYS_2027))
    assert await run(world, at(2026, 12, 1, 10, 0)) == 0
    # 2025's next year (2026) is in the package: December 2025 says nothing either
    assert await run(world, at(2025, 12, 1, 10, 0)) == 0
    assert notices(world, "wangwu") == []


async def test_a_bad_edit_is_logged_and_the_last_good_calendar_stays(
        world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "holidays.yaml"
    path.write_text(HOLIDAYS_2027, encoding="utf-8")
    world.bot.settings.holidays_file = str(path)
    assert await run(world, at(2026, 12, 1, 10, 0)) == 0
    path.write_text(HOLIDAYS_2027.replace("2027-02-14", "2027-02-15"), encoding="utf-8")  # a Monday
    with caplog.at_level("ERROR"):
        assert await run(world, at(2026, 12, 2, 10, 0)) == 0
    assert any("holidays file not used" in r.getMessage() and "第 7 行" in r.getMessage()
               for r in caplog.records)
    assert workdays.source_of(2027) == "file" and workdays.is_workday(datetime(2027, 2, 14).date())


async def test_it_runs_with_the_other_sweeps(world: World) -> None:
    assert list(SWEEPS)[-1] == "calendar"
    world.clock.now = at(2026, 12, 1, 10, 0)
    counts = await run_sweeps(world.bot.deps, now=world.clock.now)
    await world.settle()
    assert counts["calendar"] == 1 and len(notices(world, "zhaoliu")) == 1
