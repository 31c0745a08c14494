"""The inquiry ladder's rule (Art. 12), pure: for one inquiry's times, which rungs it reached by a
moment and which hold now. The sweep sends what holds (``schedules.inquiries``); 咨询统计, the
registry export and the year's figures count as overdue what reached the department head
(``is_overdue``): one rule, so the counts and the reminders cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.workdays import EPSILON, SEARCH, WorkCalendar, last_instant
from models import AuditEvent

UNCLAIMED_HOURS = 2
OVERDUE_IC_DAYS = 3


@dataclass(frozen=True)
class Times:
    """What the ladder needs of one inquiry. ``committed_at``: when a reply deadline was first
    committed (the sweep, which only needs to know that one was, passes any moment not after now)."""

    received_at: datetime
    claimed_at: datetime | None = None
    committed_at: datetime | None = None
    due_at: datetime | None = None
    answered_at: datetime | None = None


@dataclass(frozen=True)
class Rung:
    step: str  # the reminder's step (its key)
    to: str  # officers | owner | head | ic
    overdue: bool  # counts as overdue in 咨询统计 (the head is told)


UNCLAIMED = Rung("unclaimed", "officers", False)
UNCLAIMED_HEAD = Rung("unclaimed_head", "head", True)
UNCLAIMED_IC = Rung("unclaimed_ic", "ic", True)
UNCOMMITTED = Rung("uncommitted", "owner", False)
UNCOMMITTED_HEAD = Rung("uncommitted_head", "head", True)
DUE_SOON = Rung("due_soon", "owner", False)
OVERDUE = Rung("overdue", "head", True)
OVERDUE_IC = Rung("overdue3", "ic", True)
RUNGS = (UNCLAIMED, UNCLAIMED_HEAD, UNCLAIMED_IC, UNCOMMITTED, UNCOMMITTED_HEAD, DUE_SOON, OVERDUE,
         OVERDUE_IC)


def day_close(cal: WorkCalendar, at: datetime) -> datetime:
    """The close of the working day ``at`` belongs to (after hours: the next working day)."""
    opening = cal.local(cal.next_opening(at))
    return datetime.combine(opening.date(), cal.closes, cal.tz)


def _earliest(*moments: datetime | None) -> datetime | None:
    present = [m for m in moments if m is not None]
    return min(present) if present else None


def _window(rung: Rung, t: Times, cal: WorkCalendar
            ) -> tuple[datetime, datetime | None, Callable[[datetime], bool]] | None:
    """(start, end, reached): the rung applies from ``start`` until ``end`` (None: still going),
    and ``reached(x)`` says whether its threshold is met at moment ``x``. None: never applies."""
    day = cal.day_seconds
    if rung in (UNCLAIMED, UNCLAIMED_HEAD, UNCLAIMED_IC):
        limit = {UNCLAIMED: UNCLAIMED_HOURS * 3600.0, UNCLAIMED_HEAD: day, UNCLAIMED_IC: 2 * day}[rung]
        start = t.received_at
        return start, _earliest(t.claimed_at, t.answered_at), \
            lambda x: cal.working_seconds(start, x, stop_after=limit) >= limit
    if rung in (UNCOMMITTED, UNCOMMITTED_HEAD):
        if t.claimed_at is None:
            return None
        close = day_close(cal, t.claimed_at)
        if rung is UNCOMMITTED_HEAD:
            close = day_close(cal, close)  # the close itself is after hours: the next working day
        return t.claimed_at, _earliest(t.committed_at, t.answered_at), lambda x: x >= close
    if t.due_at is None or t.committed_at is None:
        return None
    due = t.due_at
    if rung is DUE_SOON:
        return t.committed_at, t.answered_at, \
            lambda x: x < due and cal.working_seconds(x, due, stop_after=day) < day
    if rung is OVERDUE:
        return t.committed_at, t.answered_at, lambda x: x > due
    limit = OVERDUE_IC_DAYS * day
    return t.committed_at, t.answered_at, \
        lambda x: cal.working_seconds(due, x, stop_after=limit) >= limit


#: The rungs that count as overdue, the head's (cheapest to test, and reached before the
#: Information Center's, which share their windows with higher thresholds) first: counting 2,000
#: open inquiries for the console's overview tests two or three of them each, not all eight.
_OVERDUE_FIRST = (OVERDUE, UNCLAIMED_HEAD, UNCOMMITTED_HEAD,
                  *(r for r in RUNGS if r.overdue and r not in (OVERDUE, UNCLAIMED_HEAD, UNCOMMITTED_HEAD)))


def _windows(t: Times, cal: WorkCalendar
             ) -> Iterator[tuple[Rung, datetime, datetime | None, Callable[[datetime], bool]]]:
    """Every rung that applies to ``t``, with its window (see ``_window``)."""
    for rung in RUNGS:
        window = _window(rung, t, cal)
        if window is not None:
            yield (rung, *window)


def reached(t: Times, at: datetime, cal: WorkCalendar) -> list[Rung]:
    """The rungs whose condition held at some moment up to ``at`` (before it ended)."""
    out = []
    for rung, start, end, is_reached in _windows(t, cal):
        last = at if end is None or end > at else end - EPSILON  # ended by the claim/commit/answer
        if start <= last and is_reached(last):
            out.append(rung)
    return out


def pending(t: Times, now: datetime, cal: WorkCalendar) -> list[Rung]:
    """The rungs that hold now: reached and not ended (what the sweep sends, once each)."""
    return [rung for rung, start, end, is_reached in _windows(t, cal)
            if start <= now and (end is None or end > now) and is_reached(now)]


def is_overdue(t: Times, at: datetime, cal: WorkCalendar) -> bool:
    """Overdue (咨询统计's 逾期) = the ladder reached the department head before the answer (or by
    ``at``): a committed deadline passed; or unclaimed for a working day; or claimed and neither
    answered nor given a deadline by the close of the next working day."""
    for rung in _OVERDUE_FIRST:  # any(r.overdue for r in reached(...)), stopping at the first
        window = _window(rung, t, cal)
        if window is None:
            continue
        start, end, is_reached = window
        last = at if end is None or end > at else end - EPSILON
        if start <= last and is_reached(last):
            return True
    return False


# -- the rungs that hold now, as instants (for a query) ------------------------------------------
@dataclass(frozen=True)
class Cuts:
    """The ladder's thresholds at ``now`` as instants, so that whether a rung holds now is a
    comparison of the inquiry's own times (``holds``) — what a query can ask of every open inquiry
    at once (``schedules.inquiries``) instead of the sweep testing each in Python. Computed from the
    same functions as ``pending`` (working time is monotonic: the later the start, the less has
    passed), so the two agree (tested).

    - ``received[r]``: an unclaimed rung holds once the arrival is at or before it;
    - ``claimed[r]``: an uncommitted rung holds once the claim is at or before it;
    - ``due_soon_before``: due soon while ``now < due_at < due_soon_before``;
    - ``overdue_ic``: the Information Center's rung holds once the deadline is at or before it."""

    now: datetime
    received: dict[Rung, datetime]
    claimed: dict[Rung, datetime]
    due_soon_before: datetime
    overdue_ic: datetime


def cuts(now: datetime, cal: WorkCalendar) -> Cuts:
    day = cal.day_seconds
    lo = now - SEARCH

    def since(limit: float) -> datetime:
        return cal.worked_since(now, limit)

    def claimed_by(hops: int) -> datetime:  # the last claim whose ``hops``-th day close is passed
        def passed(x: datetime) -> bool:
            close = x
            for _ in range(hops):
                close = day_close(cal, close)
            return now >= close
        return last_instant(passed, lo, now)

    soon = last_instant(lambda x: cal.working_seconds(now, x, stop_after=day) < day, now, now + SEARCH)
    return Cuts(now, {UNCLAIMED: since(UNCLAIMED_HOURS * 3600.0), UNCLAIMED_HEAD: since(day),
                      UNCLAIMED_IC: since(2 * day)},
                {UNCOMMITTED: claimed_by(1), UNCOMMITTED_HEAD: claimed_by(2)},
                soon + EPSILON, since(OVERDUE_IC_DAYS * day))


def holds(rung: Rung, t: Times, c: Cuts) -> bool:
    """Whether ``rung`` holds at ``c.now`` for an unanswered inquiry (``times_now``): ``pending``
    by comparisons with ``c``'s instants. The query in ``schedules.inquiries`` asks the same."""
    if rung in c.received:
        return t.claimed_at is None and t.received_at <= c.received[rung]
    if rung in c.claimed:
        return t.claimed_at is not None and t.committed_at is None and t.claimed_at <= c.claimed[rung]
    if t.due_at is None or t.committed_at is None:
        return False
    if rung is DUE_SOON:
        return c.now < t.due_at < c.due_soon_before
    if rung is OVERDUE:
        return t.due_at < c.now
    return t.due_at <= c.overdue_ic


def times_now(q: dict[str, Any], now: datetime) -> Times:
    """The state of an unanswered inquiry row as the sweep sees it."""
    claimed = (q["claimed_at"] or q["received_at"]) if q["owner_id"] is not None else None
    committed = (claimed or q["received_at"]) if q["due_at"] is not None else None
    return Times(q["received_at"], claimed, committed, q["due_at"], None)


async def first_commitments(since: datetime) -> dict[str, datetime]:
    """When each inquiry's reply deadline was first committed (the audit trail keeps it; one query).
    With ``times_of`` and ``is_overdue``: what anything that counts inquiries (咨询统计, exports, the
    annual report's figures) needs to count overdue as the ladder does."""
    # Ordered by (at, id), which the (action, at) index serves; by id alone SQLite scans the trail.
    rows = await AuditEvent.filter(action="inquiry_deadline", at__gte=since).order_by("at", "id").values(
        "subject", "at")
    first: dict[str, datetime] = {}
    for row in rows:
        first.setdefault(row["subject"], row["at"])
    return first


def times_of(row: dict[str, Any], committed: dict[str, datetime]) -> Times:
    """An inquiry row as the ladder reads it (an answer without a claim made the answerer the owner
    then; a deadline with no trail was committed at the claim at the latest)."""
    claimed = row["claimed_at"] or (row["answered_at"] or row["received_at"] if row["owner_id"] else None)
    commit = committed.get(f"Q{row['id']}") if row["due_at"] else None
    if row["due_at"] and commit is None:
        commit = claimed or row["received_at"]
    return Times(row["received_at"], claimed, commit, row["due_at"], row["answered_at"])
