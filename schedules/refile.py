"""变更备案 reminders (Art. 4 第四条: a change of an account's leader or administrator is re-filed
with the Information Center). When the directory says the holder left or moved
(``handlers.contacts``), the account's ``refile`` names the role; the head and the Information
Center are told at once, and then once a week, from the week after, until a change of that role
is filed (``handlers.registry`` clears it). Closed accounts are left alone."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.expressions import RawSQL

from bot import texts
from bot.cards import Text
from bot.deps import Deps
from bot.reminders import Send, remind
from models import Account, AccountStatus, Department, Person, Reminder
from models.org import info_center_admins
from schedules.base import MAX_PER_RUN, sweep

KIND = "refile"
FIRST_AFTER = timedelta(days=7)  # the first notice is the handler's; the weekly ones follow


@sweep(KIND)
async def remind_refile(now: datetime, deps: Deps) -> int:
    local = deps.calendar.local(now)
    # The JSON column as text: '{}' when nothing is to re-file, the same on SQLite and PostgreSQL.
    accounts = await Account.annotate(_refile_text=RawSQL('CAST("refile" AS VARCHAR)')).exclude(
        status=AccountStatus.CLOSED).exclude(_refile_text="{}").order_by("id")
    year, week, _ = local.isocalendar()
    period = f"{year}w{week:02d}"
    due = []
    for account in accounts:
        roles = [r for r in account.refile_roles() if r[3] is None or now - r[3] >= FIRST_AFTER]
        if roles:
            due.append((account, roles))
    if not due:
        return 0
    done = await Reminder.sent([Reminder.make_key(KIND, str(a.id), "weekly", period) for a, _ in due])
    due = [(a, r) for a, r in due if Reminder.make_key(KIND, str(a.id), "weekly", period) not in done]
    due = due[:MAX_PER_RUN]
    if not due:
        return 0
    departments = {d.id: d for d in await Department.filter(id__in={a.department_id for a, _ in due})}
    ids = {pid for _, roles in due for _, pid, _, _ in roles}
    ids |= {d.head_id for d in departments.values() if d.head_id}
    people = {p.id: p for p in await Person.filter(id__in=ids)}
    admins = await info_center_admins()
    sent = 0
    for account, roles in due:
        head = people.get(departments[account.department_id].head_id or 0)
        pairs = [(texts.ROLE_NAMES[role], people[pid].name if pid in people else "")
                 for role, pid, _, _ in roles]
        oldest = min((r[3] for r in roles if r[3] is not None), default=now)
        text = Text(texts.refile_reminder(account.name, pairs, max(1, (now - oldest).days // 7)))
        to = [head] if head is not None and head.active else []
        to += [a for a in admins if a.id not in {p.id for p in to}]
        if to and await remind(KIND, str(account.id), "weekly", period,
                               [Send(p, text) for p in to], deps=deps, now=now):
            sent += 1
    return sent
