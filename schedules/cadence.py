"""Posting cadence (Art. 11): one post every ``post_every_days`` (1–3) per operating account.

Days count from the account's last recorded publication, or from its filing. The ladder, one
reminder per step and per cycle (the cycle is the last publication, so a publication starts a
new ladder):
- ``due``    — on the day a post is due and none came: the department's officers, @-mentioned in
  its group chat (each officer personally when the department has no group chat);
- ``late``   — ``late_days`` (2) past due: the department head, personally;
- ``zombie`` — ``zombie_days`` (14) without a post: the Information Center, with the account, its
  head and officers.
Reads: a fixed number of queries whatever the number of accounts and publications.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot import texts
from bot.cards import Text
from bot.router import Deps
from models import Account, AccountStatus, Department, Person, Reminder
from models.org import info_center_admins
from schedules.base import MAX_PER_RUN, Send, calendar, remind, sent_keys, sweep_lock

KIND = "cadence"


async def remind_posting_cadence(now: datetime, deps: Deps) -> int:
    if not calendar(deps).is_open(now):
        return 0  # what falls due at night is written by the first run after the opening
    async with sweep_lock(KIND) as mine:
        if not mine:
            return 0
        return await _sweep(now, deps)


async def _sweep(now: datetime, deps: Deps) -> int:
    cal = calendar(deps)
    settings = deps.settings
    today = cal.local(now).date()
    # Each account's base time is one datetime column: converting a datetime is most of this
    # sweep's cost (tortoise parses SQLite's ISO text in Python), so the two kinds of account
    # are read apart rather than both columns for all.
    operating = Account.filter(status=AccountStatus.OPERATING)
    fields = ("id", "name", "department_id", "post_every_days")
    accounts = [
        *[{**a, "base": a["last_published_at"]} for a in await operating.filter(
            last_published_at__isnull=False).values(*fields, "last_published_at")],
        *[{**a, "base": a["created_at"]} for a in await operating.filter(
            last_published_at__isnull=True).values(*fields, "created_at")],
    ]
    due: list[tuple[dict[str, Any], str, int]] = []  # (account, step, days since)
    for acc in accounts:
        local = cal.local(acc["base"])
        days = (today - local.date()).days
        period = local.strftime("%Y%m%d%H%M%S")
        for step, threshold in (("due", acc["post_every_days"]),
                                ("late", acc["post_every_days"] + settings.late_days),
                                ("zombie", settings.zombie_days)):
            if days >= threshold:
                due.append(({**acc, "period": period}, step, days))
    if not due:
        return 0
    done = await sent_keys(Reminder.make_key(KIND, str(a["id"]), step, a["period"])
                           for a, step, _ in due)
    due = [(a, s, d) for a, s, d in due
           if Reminder.make_key(KIND, str(a["id"]), s, a["period"]) not in done]
    due = sorted(due, key=lambda item: -item[2])[:MAX_PER_RUN]
    if not due:
        return 0
    dept_ids = {a["department_id"] for a, _, _ in due}
    departments = {d.id: d for d in await Department.filter(id__in=list(dept_ids))}
    people = await Person.filter(department_id__in=list(dept_ids), active=True).order_by("id")
    heads = {p.id: p for p in await Person.filter(
        id__in=[d.head_id for d in departments.values() if d.head_id], active=True)}
    admins = await info_center_admins() if any(s == "zombie" for _, s, _ in due) else []
    sent = 0
    for acc, step, days in due:
        dept = departments[acc["department_id"]]
        officers = [p for p in people if p.department_id == dept.id and p.is_officer]
        head = heads.get(dept.head_id or 0)
        sends: list[Send] = []
        if step == "due":
            text = texts.cadence_due(acc["name"], days, acc["post_every_days"])
            if deps.outbox.can_reach_group(dept):
                sends.append(Send(dept, Text(text, mentions=tuple(p.code for p in officers))))
            else:
                sends += [Send(p, Text(text)) for p in officers]
        elif step == "late" and head is not None:
            sends.append(Send(head, Text(texts.cadence_late(
                acc["name"], days, acc["post_every_days"], [p.name for p in officers]))))
        elif step == "zombie":
            text = texts.cadence_zombie(acc["name"], dept.name, days, head.name if head else "",
                                        [p.name for p in officers])
            sends += [Send(a, Text(text)) for a in admins]
        if sends and await remind(KIND, str(acc["id"]), step, acc["period"], sends, deps=deps,
                                  now=now):
            sent += 1
    return sent
