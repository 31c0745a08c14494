"""The working calendar ahead of the package (issue 19): every cycle, the holidays file is read
again if it changed (``bot.workdays.refresh_holidays_file``: one ``stat`` otherwise), so an edit
takes effect without a restart; and in December, when next year has no holidays from the file or
from ``chinesecalendar``, the Information Center admins are told — on the first working-hours run
from 1 December, then once in each following 7-day period (8, 15, 22, 29 December) until the
year has data. What they read says what is missing, what the bot will do (Monday–Friday only, no
调休) and how to fix it (``texts.calendar_missing_notice``).

Why it matters: the deadlines of Art. 10–12 and the annual review count working days; with the
wrong calendar reminders go out on a holiday and a 调休 Saturday is missed.

The reminder key (calendar, next year, missing, week N of December) makes each notice once,
whichever instance runs first.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime

from bot import texts
from bot.cards import Text
from bot.deps import Deps
from bot.reminders import Send, remind
from bot.workdays import HolidaysError, refresh_holidays_file, source_of
from models import Reminder
from models.org import info_center_admins
from schedules.base import sweep

KIND = "calendar"
NOTICE_FROM = (12, 1)  # month, day: the State Council's notice usually comes out in November


async def check_working_calendar(now: datetime, deps: Deps) -> int:
    """Read the holidays file again if it changed, then the December notice (working hours)."""
    try:
        await asyncio.to_thread(refresh_holidays_file, deps.settings.holidays_file)
    except HolidaysError as exc:  # the calendar read before stays in use
        deps.log.error("holidays file not used: %s", exc)
    return await _tell_missing_year(now, deps)


@sweep(KIND)
async def _tell_missing_year(now: datetime, deps: Deps) -> int:
    today = deps.calendar.local(now).date()
    start = date(today.year, *NOTICE_FROM)
    if today < start or source_of(today.year + 1) != "weekdays":
        return 0
    weeks = (today - start).days // 7
    year = str(today.year + 1)
    period = f"w{weeks}"
    if await Reminder.sent([Reminder.make_key(KIND, year, "missing", period)]):
        return 0
    admins = await info_center_admins()
    if not admins:
        return 0
    text = Text(texts.calendar_missing_notice(today.year + 1, weeks))
    written = await remind(KIND, year, "missing", period, [Send(a, text) for a in admins],
                           deps=deps, now=now)
    return int(written)
