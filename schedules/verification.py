"""Verification (认证, Art. 4 第四条: "开通新媒体后，应及时申请认证"): a filed account that is not yet
verified is reminded once a week, to its administrator, until someone sends ``已认证 @账号``.
Nothing in the policy stops an unverified account, but "及时" has to mean something: four weeks
after filing the department head is told, eight weeks after it the Information Center, once each
per filing (a re-filed account starts again)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot import texts
from bot.cards import Text
from bot.deps import Deps
from bot.reminders import Send, remind
from bot.sql import Params
from models import Account, AccountStatus, Department, Person, Reminder
from models.org import info_center_admins
from schedules.base import MAX_PER_RUN, sweep

KIND = "verify"
FIRST_AFTER = timedelta(days=7)
# (step, weeks after filing): the head, then the Information Center.
ESCALATIONS = (("head", 4), ("ic", 8))


def _due(account: dict[str, Any], now: datetime) -> list[tuple[str, str]]:
    """(step, period) of every reminder due at ``now`` (local) for an unverified filed account:
    the weekly one first (its period is the ISO week), then the escalations (period: the filing
    day, so a re-filed account starts again)."""
    filed: datetime = account["filed_at"]
    age = now - filed
    year, week, _ = now.isocalendar()  # the same week string the sweep reads back
    steps = [("weekly", f"{year}w{week:02d}")] if age >= FIRST_AFTER else []
    return steps + [(step, filed.date().isoformat()) for step, weeks in ESCALATIONS
                    if age >= timedelta(weeks=weeks)]


@sweep(KIND)
async def remind_unverified(now: datetime, deps: Deps) -> int:
    local = deps.calendar.local(now)
    year, week, _ = local.isocalendar()
    # Only the accounts with a reminder due and not written, chosen in the database (``bot.sql``):
    # at the first weeks of a national deployment every imported account may be unverified, and
    # reading 150,000 of them and every escalation ever sent took 4 s a run. Each step's sent
    # reminders are one hashed set (an escalation's period is the filing's UTC day, as ``_due``
    # makes it): looked up row by row, an account escalated long ago cost two index probes every
    # run, 35 s at 150,000.
    q = Params()
    subject = "CAST(a.id AS VARCHAR)"
    sql = (f"SELECT a.id FROM account a WHERE a.status = {q(AccountStatus.OPERATING.value)} "  # noqa: S608
           f"AND a.filed_at IS NOT NULL AND a.verified_at IS NULL "
           f"AND {q.at('a.filed_at')} <= {q(now - FIRST_AFTER)} AND a.closure_requested_at IS NULL "
           f"AND ((a.admin_id IS NOT NULL AND {subject} NOT IN "
           f"{q.subjects(KIND, 'weekly', f'{year}w{week:02d}')})")
    for step, weeks in ESCALATIONS:
        sql += (f" OR ({q.at('a.filed_at')} <= {q(now - timedelta(weeks=weeks))} AND "
                f"{subject} || ':' || {q.utc_day('a.filed_at')} NOT IN {q.subjects(KIND, step)})")
    sql += f") ORDER BY a.id LIMIT {q(MAX_PER_RUN)}"
    # Bare columns, not models: building models costs more than the query.
    rows = await Account.filter(id__in=await q.ids(sql)).order_by("id").values(
        "id", "name", "department_id", "admin_id", "filed_at")
    wanted = [(a, step, period) for a in rows for step, period in _due(a, local)
              if step != "weekly" or a["admin_id"] is not None]
    if not wanted:
        return 0
    done = await Reminder.sent(Reminder.make_key(KIND, str(w[0]["id"]), w[1], w[2]) for w in wanted)
    todo = [w for w in wanted if Reminder.make_key(KIND, str(w[0]["id"]), w[1], w[2]) not in done]
    todo = todo[:MAX_PER_RUN]
    if not todo:
        return 0
    departments = {d.id: d for d in await Department.filter(
        id__in={a["department_id"] for a, _, _ in todo})}
    people = {p.id: p for p in await Person.filter(active=True, id__in={
        pid for a, _, _ in todo for pid in (a["admin_id"], departments[a["department_id"]].head_id)
        if pid is not None})}
    admins = await info_center_admins() if any(step == "ic" for _, step, _ in todo) else []
    sent = 0
    for account, step, period in todo:
        department = departments[account["department_id"]]
        admin = people.get(account["admin_id"] or 0)
        name, weeks = account["name"], (now - account["filed_at"]).days // 7
        if step == "weekly":
            sends = [Send(admin, Text(texts.verify_reminder(name)))] if admin else []
        elif step == "head":
            head = people.get(department.head_id or 0)
            sends = [Send(head, Text(texts.verify_overdue_head(
                name, weeks, admin.name if admin else "")))] if head else []
        else:
            sends = [Send(a, Text(texts.verify_overdue_ic(name, department.name, weeks)))
                     for a in admins]
        if sends and await remind(KIND, str(account["id"]), step, period, sends, deps=deps,
                                 now=now):
            sent += 1
    return sent
