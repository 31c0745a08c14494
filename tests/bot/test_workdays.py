"""The working calendar (pure): official workdays and 调休, hours, the next opening."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.workdays import WorkCalendar, is_workday

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar.parse(TZ, "09:00-18:00")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


def test_official_holidays_and_make_up_days() -> None:
    assert not is_workday(date(2026, 10, 1))  # National Day
    assert is_workday(date(2026, 10, 10))  # a make-up Saturday
    assert not is_workday(date(2026, 11, 28))  # an ordinary Saturday
    assert is_workday(date(2027, 3, 1)) and not is_workday(date(2027, 3, 6))  # no data: Mon-Fri


def test_next_opening_skips_nights_weekends_and_holidays() -> None:
    assert CAL.next_opening(at(2026, 11, 26, 10, 0)) == at(2026, 11, 26, 10, 0)
    assert CAL.next_opening(at(2026, 11, 26, 7, 30)) == at(2026, 11, 26, 9, 0)
    assert CAL.next_opening(at(2026, 11, 27, 18, 0)) == at(2026, 11, 30, 9, 0)  # Fri evening → Mon
    assert CAL.next_opening(at(2026, 9, 30, 19, 0)) == at(2026, 10, 8, 9, 0)  # National Day week


def test_working_seconds_count_open_hours_of_workdays_only() -> None:
    assert CAL.working_seconds(at(2026, 11, 26, 10, 0), at(2026, 11, 26, 14, 0)) == 4 * 3600
    assert CAL.working_seconds(at(2026, 11, 27, 17, 0), at(2026, 11, 30, 10, 0)) == 2 * 3600
    assert CAL.working_seconds(at(2026, 9, 30, 17, 0), at(2026, 10, 8, 9, 30)) == 1.5 * 3600
    assert CAL.working_seconds(at(2026, 11, 26, 10, 0), at(2026, 12, 26, 10, 0), stop_after=3600) < 10 * 3600


@pytest.mark.parametrize("hours", ["18:00-09:00", "nine to five", "09:00"])
def test_bad_working_hours_are_refused(hours: str) -> None:
    with pytest.raises(ValueError):
        WorkCalendar.parse(TZ, hours)
