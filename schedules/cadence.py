"""Posting cadence (Art. 11): one post every ``post_every_days`` working days per operating account.

Art. 11 reads 1–3 days as the *basis*, adjusted to the department's work: 1–3 is the norm, a
larger value (the organisation file allows up to 20) only with a recorded ``cadence_reason``.

What counts:
- only a *filed* account has a cadence: an account approved, awaiting filing or imported without
  a filing date has none (it cannot publish through the bot either);
- the count starts at the later of the filing and the last publication — never at the approval
  (an account filed three weeks after approval is not a zombie an hour after filing). For an
  account imported from the organisation file the bot knows no publication before the import, so
  the import (``created_at``) is a start too: an account filed in 2024 is not a zombie the day it
  is imported;
- days are *working* days of the working calendar (official holidays and 调休 make-up days, see
  ``bot.workdays``): a daily account that posted on Friday is due on Monday, not late.

The ladder, one reminder per step and per cycle (the cycle is the start above, so a publication
starts a new ladder), all in working days:
- ``due``    — ``post_every_days`` without a post: the department's officers, @-mentioned in its
  group chat (each officer personally when the department has no group chat);
- ``late``   — ``late_days`` (2) past due: the department head, personally;
- ``zombie`` — ``zombie_days`` (14) without a post, and never before ``late`` (an account with a
  slower, reasoned cadence is late before it is a zombie): the Information Center, with the
  account, its head and officers; and the account's 主管领导 (``leader_id``), who answers for it
  (Art. 14: 追究直接责任人和主管领导责任 — the leader must hear of it before anything is pursued).
  One message per person and step: a leader who is also an Information Center admin gets the
  leader's message only.
Reads: a fixed number of queries whatever the number of accounts and publications, and only the
accounts whose first step is reached (a condition in the query, see the sweep), not every account.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q

from bot import texts
from bot.cadence import cutoffs, thresholds
from bot.cards import Text
from bot.deps import Deps
from bot.org import MAX_EVERY_DAYS
from bot.reminders import CADENCE as KIND
from bot.reminders import Send, remind
from bot.workdays import working_days_since
from models import Account, AccountStatus, Department, Person, Reminder
from models.org import info_center_admins
from schedules.base import MAX_PER_RUN, sweep


@sweep(KIND)
async def remind_posting_cadence(now: datetime, deps: Deps) -> int:
    cal = deps.calendar
    settings = deps.settings
    today = cal.local(now).date()
    # Filed operating accounts only (Art. 4: an account not on file has no cadence); one whose
    # closure was asked for (its deletion on the platform shown) is not chased to post while the
    # Information Center confirms. Of those, only the accounts whose first step is reached today:
    # their start — the latest of filing, import and last publication — is before the cut-off
    # instant of their ``post_every_days`` (``bot.cadence.cutoffs``), i.e. each of the three is.
    # At 150,000 accounts reading every account to find the 1% behind cost 2 s a run (tortoise
    # parses each datetime); the condition costs one pass over the table in the database.
    everies = range(1, MAX_EVERY_DAYS + 1)
    cuts = cutoffs(today, cal.tz, everies, settings.late_days, settings.zombie_days)
    reached = Q()
    for every in everies:
        cut = cuts[every]["due"].astimezone(UTC)
        size = (Q(post_every_days__lte=every) if every == everies[0] else
                Q(post_every_days__gte=every) if every == everies[-1] else Q(post_every_days=every))
        reached |= size & Q(filed_at__lt=cut, created_at__lt=cut) & (
            Q(last_published_at__isnull=True) | Q(last_published_at__lt=cut))
    rows = await Account.filter(status=AccountStatus.OPERATING, filed_at__isnull=False,
                                closure_requested_at__isnull=True).filter(reached).values(
        "id", "name", "department_id", "post_every_days", "leader_id", "filed_at", "created_at",
        "last_published_at")
    accounts: list[dict[str, Any]] = []
    for row in rows:
        local = cal.local(max(t for t in (row["filed_at"], row["created_at"], row["last_published_at"]) if t))
        accounts.append({**row, "start": local.date(), "period": local.strftime("%Y%m%d%H%M%S")})
    since = working_days_since(sorted({a["start"] for a in accounts}), today)
    due: list[tuple[dict[str, Any], str, int]] = []  # (account, step, working days since)
    for acc in accounts:
        days = since[acc["start"]]
        for step, threshold in thresholds(acc["post_every_days"], settings.late_days,
                                          settings.zombie_days):
            if days >= threshold:
                due.append((acc, step, days))
    if not due:
        return 0
    done = await Reminder.sent(Reminder.make_key(KIND, str(a["id"]), step, a["period"])
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
    zombies = [a for a, s, _ in due if s == "zombie"]
    admins = await info_center_admins() if zombies else []
    leaders = {p.id: p for p in await Person.filter(
        id__in=list({a["leader_id"] for a in zombies if a["leader_id"]}), active=True)} if zombies else {}
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
            leader = leaders.get(acc["leader_id"] or 0)
            sends += [Send(a, Text(text)) for a in admins if leader is None or a.id != leader.id]
            if leader is not None:
                sends.append(Send(leader, Text(texts.cadence_zombie_leader(
                    acc["name"], dept.name, days, head.name if head else "", [p.name for p in officers]))))
        if sends and await remind(KIND, str(acc["id"]), step, acc["period"], sends, deps=deps,
                                  now=now):
            sent += 1
    return sent
