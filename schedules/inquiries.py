"""Reply deadlines of inquiries (Art. 12) as a reminders sweep. Steps, once per inquiry:
- ``unclaimed`` — nobody claimed it within 2 working hours: the department's officers;
- ``due_soon``  — the committed deadline is less than a working day away: the owner;
- ``overdue``   — the deadline passed: the department head;
- ``overdue3``  — three working days past it: the Information Center.
An answer ends the ladder.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot import texts
from bot.cards import Text
from bot.router import Deps
from models import Account, Department, Inquiry, InquiryStatus, Person, Reminder
from models.org import info_center_admins
from schedules.base import MAX_PER_RUN, Send, calendar, remind, sent_keys, sweep_lock

KIND = "inquiry"
UNCLAIMED_HOURS = 2


async def remind_inquiry_deadlines(now: datetime, deps: Deps) -> int:
    cal = calendar(deps)
    if not cal.is_open(now):
        return 0
    async with sweep_lock(KIND) as mine:
        if not mine:
            return 0
        return await _sweep(now, deps)


async def _sweep(now: datetime, deps: Deps) -> int:
    cal = calendar(deps)
    open_ones = await Inquiry.filter(status__in=[InquiryStatus.OPEN, InquiryStatus.CLAIMED]).values(
        "id", "account_id", "department_id", "owner_id", "due_at", "received_at", "status")
    due: list[tuple[dict[str, Any], str]] = []
    for q in open_ones:
        if q["owner_id"] is None and cal.working_seconds(
                q["received_at"], now, stop_after=UNCLAIMED_HOURS * 3600) >= UNCLAIMED_HOURS * 3600:
            due.append((q, "unclaimed"))
        if q["due_at"] is None:
            continue
        if now < q["due_at"]:
            if q["owner_id"] and cal.working_seconds(now, q["due_at"], stop_after=cal.day_seconds) \
                    < cal.day_seconds:
                due.append((q, "due_soon"))
        else:
            due.append((q, "overdue"))
            if cal.working_seconds(q["due_at"], now, stop_after=3 * cal.day_seconds) >= 3 * cal.day_seconds:
                due.append((q, "overdue3"))
    if not due:
        return 0
    done = await sent_keys(Reminder.make_key(KIND, str(q["id"]), step, "1") for q, step in due)
    due = [(q, s) for q, s in due if Reminder.make_key(KIND, str(q["id"]), s, "1") not in done][:MAX_PER_RUN]
    if not due:
        return 0
    accounts = {a.id: a.name for a in await Account.filter(id__in=list({q["account_id"] for q, _ in due}))}
    depts = {d.id: d for d in await Department.filter(id__in=list({q["department_id"] for q, _ in due}))}
    people = {p.id: p for p in await Person.filter(department_id__in=list(depts), active=True)}
    admins = await info_center_admins() if any(s == "overdue3" for _, s in due) else []
    sent = 0
    for q, step in due:
        ref, account = f"Q{q['id']}", accounts.get(q["account_id"], "")
        dept = depts[q["department_id"]]
        officers = [p for p in people.values() if p.department_id == dept.id and p.is_officer]
        owner, head = people.get(q["owner_id"] or 0), people.get(dept.head_id or 0)
        due_at = cal.local(q["due_at"]) if q["due_at"] else None
        sends: list[Send] = []
        if step == "unclaimed":
            sends = [Send(p, Text(texts.inquiry_unclaimed(ref, account))) for p in officers]
        elif step == "due_soon" and owner and due_at:
            sends = [Send(owner, Text(texts.inquiry_due_soon(ref, account, due_at)))]
        elif step == "overdue" and head and due_at:
            text = texts.inquiry_overdue(ref, account, owner.name if owner else "", due_at)
            sends = [Send(head, Text(text))]
        elif step == "overdue3" and due_at:
            text = texts.inquiry_overdue_ic(ref, account, dept.name, owner.name if owner else "", due_at)
            sends = [Send(a, Text(text)) for a in admins]
        if sends and await remind(KIND, str(q["id"]), step, "1", sends, deps=deps, now=now):
            sent += 1
    return sent
