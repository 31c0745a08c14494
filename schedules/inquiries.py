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

from datetime import datetime
from typing import Any

from tortoise.expressions import Q

from bot import texts
from bot.cards import Text
from bot.deps import Deps
from bot.inquiry_ladder import (
    DUE_SOON,
    OVERDUE,
    OVERDUE_IC,
    RUNGS,
    UNCLAIMED,
    UNCLAIMED_HEAD,
    UNCLAIMED_IC,
    UNCOMMITTED,
    UNCOMMITTED_HEAD,
    Rung,
    cuts,
    pending,
    times_now,
)
from bot.reminders import INQUIRY as KIND
from bot.reminders import Send, remind
from bot.sql import Params
from bot.workdays import WorkCalendar
from models import Account, AccountStatus, Department, Inquiry, InquiryStatus, Person, Reminder
from models.org import info_center_admins
from schedules.base import MAX_PER_RUN, sweep


@sweep(KIND)
async def remind_inquiry_deadlines(now: datetime, deps: Deps) -> int:
    cal = deps.calendar
    # Only the inquiries with a rung that holds now and was not written yet, the oldest first,
    # chosen in the database by comparing their times with the ladder's instants at ``now``
    # (``bot.inquiry_ladder.cuts``; ``holds`` is the same condition in Python, and ``pending`` still
    # decides for the rows read). At 30,000 open inquiries testing each in Python and looking up
    # every rung's key took 4 s a run (``bench/sweeps.py --scale national``).
    # A closed account's open inquiries leave the ladder: the Information Center saw them on the
    # closure card before it confirmed (handlers.closing), and nobody can answer through the
    # account any more.
    c = cuts(now, cal)
    p = Params()
    claimed = p.at("COALESCE(i.claimed_at, i.received_at)")
    sql = (f"SELECT i.id FROM inquiry i "  # noqa: S608
           f"WHERE i.status IN ({p(InquiryStatus.OPEN.value)}, {p(InquiryStatus.CLAIMED.value)}) "
           f"AND i.account_id NOT IN (SELECT a.id FROM account a WHERE a.status = "
           f"{p(AccountStatus.CLOSED.value)}) AND (")
    held = []
    for rung in RUNGS:
        if rung in c.received:
            cond = f"i.owner_id IS NULL AND {p.at('i.received_at')} <= {p(c.received[rung])}"
        elif rung in c.claimed:
            cond = f"i.owner_id IS NOT NULL AND i.due_at IS NULL AND {claimed} <= {p(c.claimed[rung])}"
        elif rung is DUE_SOON:
            cond = f"{p.at('i.due_at')} > {p(now)} AND {p.at('i.due_at')} < {p(c.due_soon_before)}"
        elif rung is OVERDUE:
            cond = f"{p.at('i.due_at')} < {p(now)}"
        else:
            cond = f"{p.at('i.due_at')} <= {p(c.overdue_ic)}"
        held.append(f"({cond} AND {p.unsent(p.key(KIND, 'i.id', rung.step, '1'))})")
    sql += " OR ".join(held) + f") ORDER BY {p.at('i.received_at')}, i.id LIMIT {p(MAX_PER_RUN)}"
    ids = await p.ids(sql)
    open_ones = sorted(await Inquiry.filter(id__in=ids).values(
        "id", "account_id", "department_id", "owner_id", "due_at", "received_at", "claimed_at"),
        key=lambda q: (q["received_at"], q["id"]))
    due: list[tuple[dict[str, Any], Rung]] = [
        (q, rung) for q in open_ones for rung in pending(times_now(q, now), now, cal)]
    if not due:
        return 0
    done = await Reminder.sent(Reminder.make_key(KIND, str(q["id"]), r.step, "1") for q, r in due)
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
