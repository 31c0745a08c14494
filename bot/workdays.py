"""Working hours and workdays: when personal and group reminders may go out, how long something
waited in working time, and the close of the N-th working day (an inquiry's promised deadline).
Below handlers and schedules: both use it, neither owns it. Every working-day count of the bot
(reminders, the deadlines of Art. 10–12, the review's dates) goes through ``is_workday``.

Where a year's workdays come from, first found wins:

1. **The holidays file** (``XMT_HOLIDAYS_FILE``; the organisation file may be that file: its
   ``holidays:`` key has the same shape). The State Council (国务院办公厅) publishes next year's
   holidays and 调休 make-up workdays in late autumn, often before a new ``chinesecalendar``
   release; the file lets the Information Center give them at once. For a year it gives: a day
   is a workday when it is a make-up workday, or Monday–Friday and not a day off.
2. **chinesecalendar** for the years its release knows (1.11.0: 2004–2026).
3. **Monday–Friday** otherwise, with a warning in the log once per year; the Information Center
   is told in December when next year falls here (``schedules.calendar``).

The file is read where it enters (``parse_holidays``: a refusal names the line of a bad date, a
date in another year, a day both off and worked) — at start-up by the command line, and again by
the calendar sweep when it changed (``refresh_holidays_file``), so an edit needs no restart.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from importlib.metadata import version as _dist_version
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar
import yaml
from chinese_calendar import constants as _package

from bot import texts

log = logging.getLogger("xmt.calendar")
_warned: set[int] = set()

Source = Literal["file", "package", "weekdays"]
MAX_HOLIDAY_DAYS = 15  # the longest official break is 8–9 days; a longer range is a typo
_RANGE_MARKS = ("~", "至", "..")


class HolidaysError(Exception):
    """A holidays file refused: the message names the file and the line (Chinese, for people)."""


@dataclass(frozen=True)
class GivenYear:
    """One year as the holidays file gives it: days off by name, and the make-up workdays."""

    year: int
    off: Mapping[date, str]  # day → the holiday's name (春节)
    work: frozenset[date] = field(default_factory=frozenset)

    def is_workday(self, day: date) -> bool:
        return day in self.work or (day.weekday() < 5 and day not in self.off)


@dataclass
class _Given:
    years: dict[int, GivenYear] = field(default_factory=dict)
    path: str | None = None
    stamp: tuple[int, int] | None = None  # (mtime_ns, size) of the file as read


_given = _Given()
PACKAGE_YEARS = frozenset(d.year for d in _package.holidays) | frozenset(d.year for d in _package.workdays)


def package_version() -> str:
    return _dist_version("chinesecalendar")


@lru_cache(maxsize=4096)
def is_workday(day: date) -> bool:
    given = _given.years.get(day.year)
    if given is not None:
        return given.is_workday(day)
    if day.year in PACKAGE_YEARS:
        return bool(chinese_calendar.is_workday(day))
    if day.year not in _warned:
        _warned.add(day.year)
        log.warning("no official workday data for %s: counting Monday-Friday", day.year)
    return day.weekday() < 5


def source_of(year: int) -> Source:
    if year in _given.years:
        return "file"
    return "package" if year in PACKAGE_YEARS else "weekdays"


@dataclass(frozen=True)
class YearSummary:
    year: int
    source: Source
    festivals: int  # named holidays (春节, 国庆节 …)
    days_off: int  # days off they make, weekends inside them included
    workdays: int  # make-up workdays (调休上班)


def year_summary(year: int) -> YearSummary:
    """What ``xmt calendar check`` prints for ``year``: its source and its holidays."""
    source = source_of(year)
    if source == "file":
        given = _given.years[year]
        return YearSummary(year, source, len(set(given.off.values())), len(given.off), len(given.work))
    if source == "package":
        off = {d: name for d, name in _package.holidays.items() if d.year == year}
        work = [d for d in _package.workdays if d.year == year]
        return YearSummary(year, source, len(set(off.values())), len(off), len(work))
    return YearSummary(year, source, 0, 0, 0)


def use_holidays(years: Mapping[int, GivenYear], *, path: str | None = None,
                 stamp: tuple[int, int] | None = None) -> None:
    """Use ``years`` from now on (the years not in it: the package, then Monday–Friday)."""
    global _given
    _given = _Given(dict(years), path, stamp)
    is_workday.cache_clear()


def given_years() -> frozenset[int]:
    return frozenset(_given.years)


def _stamp(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_mtime_ns, st.st_size


def load_holidays_file(path: str) -> dict[int, GivenYear]:
    """Read and check the holidays file; ``HolidaysError`` (naming the line) if it is wrong."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise HolidaysError(texts.holidays_unreadable(path, reason)) from None
    return parse_holidays(text, path)


def use_holidays_file(path: str) -> None:
    """Read the holidays file and use it (start-up: a bad file stops the command)."""
    stamp = _stamp(path) if os.path.exists(path) else None
    use_holidays(load_holidays_file(path), path=path, stamp=stamp)


def refresh_holidays_file(path: str | None) -> bool:
    """Read the file again if it changed since it was read (one ``stat`` otherwise); True if
    the calendar changed. A file that became wrong is refused (``HolidaysError``) and the
    calendar read before stays in use. No path: nothing changes."""
    if path is None:
        return False
    try:
        stamp = _stamp(path)
    except OSError:
        stamp = None
    if path == _given.path and stamp == _given.stamp:
        return False
    use_holidays(load_holidays_file(path), path=path, stamp=stamp)
    log.info("holidays file %s read: years %s", path, sorted(_given.years))
    return True


# -- the file ---------------------------------------------------------------------------------


def parse_holidays(text: str, where: str = "") -> dict[int, GivenYear]:
    """The ``holidays:`` key of a YAML document (a holidays file, or the organisation file)::

        holidays:
          2027:
            off:                            # days off: name: a day, or start ~ end (or a list)
              元旦: 2027-01-01
              春节: 2027-02-06 ~ 2027-02-13
            workdays: [2027-02-14]          # make-up workdays (a Saturday or Sunday)

    Read from YAML's node tree (not its loaded values) so a refusal names the line; other
    top-level keys are ignored (the organisation file's own). Refused: a bad year or date, a
    date outside its year, a range backwards or longer than ``MAX_HOLIDAY_DAYS``, a day off
    twice, a day both off and a workday, a make-up workday that is Monday–Friday, a year with
    no day off."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise _refusal(where, mark.line + 1 if mark else None, texts.HOLIDAYS_NOT_YAML) from None
    if not isinstance(root, yaml.MappingNode):
        raise _refusal(where, 1 if root is not None else None, texts.HOLIDAYS_NO_KEY)
    section = next((v for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == "holidays"),
                   None)
    if section is None:
        raise _refusal(where, None, texts.HOLIDAYS_NO_KEY)
    if not isinstance(section, yaml.MappingNode):
        raise _refusal(where, _line(section), texts.HOLIDAYS_NO_KEY)
    years: dict[int, GivenYear] = {}
    first: dict[int, int] = {}
    for key, node in section.value:
        year = _year(key, where)
        if year in first:
            raise _refusal(where, _line(key), texts.holidays_year_twice(year, first[year]))
        first[year] = _line(key)
        years[year] = _given_year(year, key, node, where)
    return years


def _given_year(year: int, key: yaml.Node, node: yaml.Node, where: str) -> GivenYear:
    if not isinstance(node, yaml.MappingNode):
        raise _refusal(where, _line(node), texts.holidays_year_without_days_off(year))
    off: dict[date, tuple[str, int]] = {}
    work: dict[date, int] = {}
    for part_key, part in node.value:
        name = part_key.value if isinstance(part_key, yaml.ScalarNode) else "?"
        if name == "off":
            if not isinstance(part, yaml.MappingNode):
                raise _refusal(where, _line(part), texts.HOLIDAYS_NOT_MAPPING)
            for holiday, days in part.value:
                label = str(holiday.value) if isinstance(holiday, yaml.ScalarNode) else "?"
                for day, line in _days(days, year, where, ranges=True):
                    if day in off:
                        raise _refusal(where, line, texts.holidays_day_twice(
                            day.isoformat(), off[day][1], off[day][0]))
                    off[day] = (label, line)
        elif name == "workdays":
            for day, line in _days(part, year, where, ranges=False):
                if day in work:
                    raise _refusal(where, line, texts.holidays_workday_twice(day.isoformat(), work[day]))
                if day.weekday() < 5:
                    raise _refusal(where, line, texts.holidays_workday_not_weekend(
                        day.isoformat(), day.weekday()))
                work[day] = line
        else:
            raise _refusal(where, _line(part_key), texts.holidays_bad_year_key(year, str(name)))
    if not off:
        raise _refusal(where, _line(key), texts.holidays_year_without_days_off(year))
    for day, line in work.items():
        if day in off:
            raise _refusal(where, line, texts.holidays_off_and_workday(
                day.isoformat(), off[day][1], off[day][0]))
    return GivenYear(year, {d: name for d, (name, _) in sorted(off.items())}, frozenset(work))


def _days(node: yaml.Node, year: int, where: str, *, ranges: bool) -> list[tuple[date, int]]:
    """The days a scalar or a list of scalars names, each with its line."""
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    out: list[tuple[date, int]] = []
    for item in items:
        line = _line(item)
        if not isinstance(item, yaml.ScalarNode):
            raise _refusal(where, line, texts.holidays_bad_date("…"))
        value = str(item.value).strip()
        mark = next((m for m in _RANGE_MARKS if m in value), None) if ranges else None
        if mark is None:
            out.append((_date(value, year, line, where), line))
            continue
        start_text, _, end_text = (p.strip() for p in value.partition(mark))
        start, end = _date(start_text, year, line, where), _date(end_text, year, line, where)
        if end < start:
            raise _refusal(where, line, texts.holidays_reversed(start_text, end_text))
        length = (end - start).days + 1
        if length > MAX_HOLIDAY_DAYS:
            raise _refusal(where, line, texts.holidays_too_long(start_text, end_text, length,
                                                                MAX_HOLIDAY_DAYS))
        out += [(start + timedelta(days=n), line) for n in range(length)]
    return out


def _date(value: str, year: int, line: int, where: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise _refusal(where, line, texts.holidays_bad_date(value)) from None
    if len(value) != 10:  # 20270101 and other forms fromisoformat takes: say the one form
        raise _refusal(where, line, texts.holidays_bad_date(value))
    if day.year != year:
        raise _refusal(where, line, texts.holidays_wrong_year(value, year))
    return day


def _year(node: yaml.Node, where: str) -> int:
    value = str(node.value) if isinstance(node, yaml.ScalarNode) else "?"
    if not (value.isdigit() and len(value) == 4 and 2000 <= int(value) <= 2100):
        raise _refusal(where, _line(node), texts.holidays_bad_year(value))
    return int(value)


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _refusal(where: str, line: int | None, reason: str) -> HolidaysError:
    return HolidaysError(texts.holidays_refused(texts.holidays_where(where or "holidays", line), reason))


SEARCH = timedelta(days=40)  # wider than any threshold: 3 working days, the longest holiday and more
EPSILON = timedelta(microseconds=1)


def last_instant(holds: Callable[[datetime], bool], lo: datetime, hi: datetime) -> datetime:
    """The last instant in [lo, hi) for which ``holds`` (true at ``lo``, false at ``hi``, and
    changing once in between), to the microsecond: a binary search, about 42 calls."""
    while hi - lo > EPSILON:
        mid = lo + (hi - lo) // 2
        if holds(mid):
            lo = mid
        else:
            hi = mid
    return lo


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

    def worked_since(self, now: datetime, seconds: float) -> datetime:
        """The last start from which ``seconds`` of working time have passed by ``now``: a start
        reaches a threshold in working time exactly when it is at or before this instant, so a
        query can compare a column with it instead of counting working time row by row (the
        approval sweep's urgings, the inquiry ladder's rungs). Thresholds of up to a few working
        days (``SEARCH``)."""
        return last_instant(lambda x: self.working_seconds(x, now, stop_after=seconds) >= seconds,
                            now - SEARCH, now)

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
