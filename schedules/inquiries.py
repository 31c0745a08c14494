"""Reply deadlines of inquiries (Art. 12: 应及时回复；如不能即时回复，应承诺答复期限) as a
reminders sweep, and the one definition of "overdue" that 咨询统计 shares with it.

The ladder, each rung once per inquiry (unique reminder key), ended by an answer:

unclaimed (nobody took it), counted in working time from its arrival
- ``unclaimed``        2 working hours  → the department's officers (its head when it has none);
- ``unclaimed_head``   1 working day    → the department head;
- ``unclaimed_ic``     2 working days   → the Information Center.

claimed, but neither answered nor given a committed deadline (the policy's 不能即时回复的，应承诺
答复期限: the owner decides the same day)
- ``uncommitted``      the close of the working day of the claim → the owner;
- ``uncommitted_head`` the close of the next working day        → the department head.
  A claim after hours belongs to the next working day. Reminders go out in working hours only, so
  the owner's reminder arrives at the next opening: the owner still has that whole working day
  before the head hears of it.

claimed with a committed deadline
- ``due_soon``         less than a working day before the deadline → the owner;
- ``overdue``          the deadline passed                         → the department head;
- ``overdue3``         three working days past it                  → the Information Center.

A rung is a condition that starts (arrival, claim, commitment), reaches its threshold and ends (the
claim, the commitment, the answer). The sweep sends the rungs that hold *now*; 咨询统计 asks which
rungs held *at some moment*. One table, two questions: ``pending`` and ``reached``; a rung marked
``overdue`` (those that reach the head or beyond) makes the inquiry overdue (``is_overdue``).
A department without a head: its head's rungs go to the Information Center.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q

from bot import texts
from bot.cards import Text
from bot.deps import Deps
from bot.workdays import WorkCalendar
from models import Account, AccountStatus, AuditEvent, Department, Inquiry, InquiryStatus, Person, Reminder
from models.org import info_center_admins
from schedules.base import MAX_PER_RUN, Send, remind, sent_keys, sweep

KIND = "inquiry"
UNCLAIMED_HOURS = 2
OVERDUE_IC_DAYS = 3
_EPSILON = timedelta(microseconds=1)


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
        last = at if end is None or end > at else end - _EPSILON  # ended by the claim/commit/answer
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
    return any(r.overdue for r in reached(t, at, cal))


def times_now(q: dict[str, Any], now: datetime) -> Times:
    """The state of an unanswered inquiry row as the sweep sees it."""
    claimed = (q["claimed_at"] or q["received_at"]) if q["owner_id"] is not None else None
    committed = (claimed or q["received_at"]) if q["due_at"] is not None else None
    return Times(q["received_at"], claimed, committed, q["due_at"], None)


async def first_commitments(since: datetime) -> dict[str, datetime]:
    """When each inquiry's reply deadline was first committed (the audit trail keeps it; one query).
    With ``times_of`` and ``is_overdue``: what anything that counts inquiries (咨询统计, exports, the
    annual report's figures) needs to count overdue as the ladder does."""
    rows = await AuditEvent.filter(action="inquiry_deadline", at__gte=since).order_by("id").values(
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


@sweep(KIND)
async def remind_inquiry_deadlines(now: datetime, deps: Deps) -> int:
    cal = deps.calendar
    # A closed account's open inquiries leave the ladder: the Information Center saw them on the
    # closure card before it confirmed (handlers.closing), and nobody can answer through the
    # account any more.
    open_ones = await Inquiry.filter(status__in=[InquiryStatus.OPEN, InquiryStatus.CLAIMED]).exclude(
        account__status=AccountStatus.CLOSED).order_by("received_at", "id").values(
        "id", "account_id", "department_id", "owner_id", "due_at", "received_at", "claimed_at")
    due: list[tuple[dict[str, Any], Rung]] = [
        (q, rung) for q in open_ones for rung in pending(times_now(q, now), now, cal)]
    if not due:
        return 0
    done = await sent_keys(Reminder.make_key(KIND, str(q["id"]), r.step, "1") for q, r in due)
    due = [(q, r) for q, r in due if Reminder.make_key(KIND, str(q["id"]), r.step, "1") not in done]
    due = due[:MAX_PER_RUN]
    if not due:
        return 0
    accounts = {a.id: a.name for a in await Account.filter(id__in=list({q["account_id"] for q, _ in due}))}
    depts = {d.id: d for d in await Department.filter(id__in=list({q["department_id"] for q, _ in due}))}
    heads = [d.head_id for d in depts.values() if d.head_id is not None]
    people = {p.id: p for p in await Person.filter(
        Q(department_id__in=list(depts)) | Q(id__in=heads) | Q(id__in=[q["owner_id"] or 0 for q, _ in due]),
        active=True).order_by("id")}  # officers named in a stable order
    needs_ic = any(r.to == "ic" or (r.to == "head" and not depts[q["department_id"]].head_id)
                   for q, r in due)
    admins = await info_center_admins() if needs_ic else []
    sent = 0
    for q, rung in due:
        sends = _sends(q, rung, accounts.get(q["account_id"], ""), depts[q["department_id"]], people,
                       admins, cal)
        if sends and await remind(KIND, str(q["id"]), rung.step, "1", sends, deps=deps, now=now):
            sent += 1
    return sent


def _sends(q: dict[str, Any], rung: Rung, account: str, dept: Department, people: dict[int, Person],
           admins: list[Person], cal: WorkCalendar) -> list[Send]:
    ref = f"Q{q['id']}"
    officers = [p for p in people.values() if p.department_id == dept.id and p.is_officer]
    owner, head = people.get(q["owner_id"] or 0), people.get(dept.head_id or 0)
    owner_name = owner.name if owner else ""
    received = cal.local(q["received_at"])
    claimed = cal.local(q["claimed_at"] or q["received_at"])
    due_at = cal.local(q["due_at"]) if q["due_at"] else None
    message: str
    if rung is UNCLAIMED:
        message = texts.inquiry_unclaimed(ref, account)
    elif rung is UNCLAIMED_HEAD:
        message = texts.inquiry_unclaimed_head(ref, account, received, [p.name for p in officers])
    elif rung is UNCLAIMED_IC:
        message = texts.inquiry_unclaimed_ic(ref, account, dept.name, received, head.name if head else "")
    elif rung is UNCOMMITTED:
        message = texts.inquiry_uncommitted(ref, account, claimed)
    elif rung is UNCOMMITTED_HEAD:
        message = texts.inquiry_uncommitted_head(ref, account, owner_name, claimed)
    elif rung is DUE_SOON and due_at:
        message = texts.inquiry_due_soon(ref, account, due_at)
    elif rung is OVERDUE and due_at:
        message = texts.inquiry_overdue(ref, account, owner_name, due_at)
    elif rung is OVERDUE_IC and due_at:
        message = texts.inquiry_overdue_ic(ref, account, dept.name, owner_name, due_at)
    else:
        return []
    if rung.to == "officers":
        to: list[Person] = officers or ([head] if head else admins)
    elif rung.to == "owner":
        to = [owner] if owner else []
    elif rung.to == "head":
        to = [head] if head else admins
    else:
        to = admins
    return [Send(p, Text(message)) for p in to]
