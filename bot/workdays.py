"""Working hours and workdays (pure): when personal and group reminders may go out, how long
something waited in working time, and the close of the N-th working day (an inquiry's promised
deadline). Below handlers and schedules: both use it, neither owns it.

Workdays come from ``chinese_calendar`` (the official 调休 schedule: holidays off, make-up
Saturdays on) for the years it covers, and fall back to Monday–Friday for the others — the package
is updated each year after the State Council publishes the next year's schedule.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

log = logging.getLogger("xmt.calendar")
_warned: set[int] = set()


@lru_cache(maxsize=4096)
def is_workday(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the package has no data for yet
        if day.year not in _warned:
            _warned.add(day.year)
            log.warning("no official workday data for %s: counting Monday-Friday", day.year)
        return day.weekday() < 5


@dataclass(frozen=True)
class WorkCalendar:
    tz: ZoneInfo
    opens: time = time(9, 0)
    closes: time = time(18, 0)

    @classmethod
    def parse(cls, tz: ZoneInfo, hours: str) -> WorkCalendar:
        """``"09:00-18:00"`` → a calendar open in those hours on workdays."""
        start, _, end = hours.partition("-")
        opens, closes = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
        if opens >= closes:
            raise ValueError("working hours must open before they close")
        return cls(tz, opens, closes)

    @property
    def hours(self) -> str:
        """The working hours as ``parse`` reads them (``"09:00-18:00"``)."""
        return f"{self.opens:%H:%M}-{self.closes:%H:%M}"

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.tz)

    def is_open(self, at: datetime) -> bool:
        here = self.local(at)
        return is_workday(here.date()) and self.opens <= here.time() < self.closes

    def next_opening(self, at: datetime) -> datetime:
        """``at`` itself when open, else the next moment the office opens."""
        if self.is_open(at):
            return at
        here = self.local(at)
        day = here.date()
        if here.time() >= self.opens:
            day += timedelta(days=1)
        for _ in range(60):  # the longest Chinese holiday is 8 days
            if is_workday(day):
                return datetime.combine(day, self.opens, self.tz)
            day += timedelta(days=1)
        raise RuntimeError("no workday within 60 days")

    def working_seconds(self, start: datetime, end: datetime, *, stop_after: float | None = None,
                        cap_days: int = 60) -> float:
        """Working time between two moments (only open hours of workdays count); counting stops
        once ``stop_after`` seconds are reached (callers compare against thresholds)."""
        if end <= start:
            return 0.0
        a, b = self.local(start), self.local(end)
        total = 0.0
        day = a.date()
        for _ in range(cap_days + 1):
            if day > b.date():
                break
            if is_workday(day):
                lo = max(a, datetime.combine(day, self.opens, self.tz))
                hi = min(b, datetime.combine(day, self.closes, self.tz))
                total += max(0.0, (hi - lo).total_seconds())
                if stop_after is not None and total >= stop_after:
                    break
            day += timedelta(days=1)
        return total

    def after_working_days(self, start: datetime, days: int) -> datetime:
        """The last minute of the ``days``-th working day after ``start`` (17:59 for 09:00-18:00)."""
        day = self.local(start).date()
        left = days
        while left > 0:
            day += timedelta(days=1)
            if is_workday(day):
                left -= 1
        return datetime.combine(day, self.closes, self.tz) - timedelta(minutes=1)

    @property
    def day_seconds(self) -> float:
        """The length of one working day."""
        opened = datetime.combine(date.min, self.opens)
        return (datetime.combine(date.min, self.closes) - opened).total_seconds()


def working_days_since(days: list[date], today: date) -> dict[date, int]:
    """For each start day, the workdays after it up to and including ``today`` (Friday → Monday
    is 1; a start on a holiday counts from the next workday). One walk over the calendar from the
    earliest start, whatever the number of accounts."""
    if not days:
        return {}
    first = min(days)
    counts: dict[date, int] = {}
    n = 0
    day = today
    while day >= first:  # walking back: n = workdays in (day, today]
        counts[day] = n
        if is_workday(day):
            n += 1
        day -= timedelta(days=1)
    return {d: counts.get(d, 0) for d in days}
