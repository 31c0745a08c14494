"""Art. 11 (1–3 天发布一次为基础): the cadence ladder in working days since an account's start
(its filing, its arrival in the bot, or its last publication, whichever is latest). One rule for
the cadence sweep (``schedules.cadence``: who is reminded when) and the console (``console.queries``:
which accounts show late or zombie), so the two cannot disagree."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.workdays import is_workday


def thresholds(every: int, late_days: int, zombie_days: int) -> tuple[tuple[str, int], ...]:
    """The ladder's steps: due after ``every`` working days, late ``late_days`` later, zombie at
    ``zombie_days`` (never before it is late)."""
    late = every + late_days
    return (("due", every), ("late", late), ("zombie", max(zombie_days, late + 1)))


def cutoffs(today: date, tz: ZoneInfo, everies: range, late_days: int, zombie_days: int
            ) -> dict[int, dict[str, datetime]]:
    """For each ``post_every_days`` in ``everies``, each step of its ladder → the instant before
    which an account's start makes that step reached today.

    ``bot.workdays.working_days_since(start, today)`` counts the workdays in (start, today]: it
    reaches ``n`` exactly when the start's local date is before the n-th workday counted back from
    today (today included), i.e. when the start is before that workday's local midnight. One walk
    back over the calendar, whatever the number of accounts; a query then compares columns with
    instants (the sweep reads only the accounts that are due, not every account to find them)."""
    ladders = {every: thresholds(every, late_days, zombie_days) for every in everies}
    needed = max(n for ladder in ladders.values() for _, n in ladder)
    workdays: list[date] = []  # workdays[n - 1]: the n-th workday back from today
    day = today
    while len(workdays) < needed:
        if is_workday(day):
            workdays.append(day)
        day -= timedelta(days=1)
    return {every: {step: datetime.combine(workdays[n - 1], time(0, 0), tz) for step, n in ladder}
            for every, ladder in ladders.items()}
