"""The November annual review (Art. 5) as a sweep.

From ``review_opens`` (1 November) to the day before ``review_closes`` (1 December): a kickoff to
every operating account's administrator and head, then a weekly reminder to those whose report
has not come in, and a last warning from ``review_last_warning`` (25 November). From
``review_closes`` on: every account without a passed report for the year is marked "must stop";
its head, administrator and the Information Center are told; weekly reminders follow until
``已注销 @账号`` closes it. Each message once (the reminder key carries the year and week).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from tortoise.expressions import Subquery

from bot import texts
from bot.cards import Text
from bot.router import Deps
from bot.settings import Settings
from models import Account, AccountStatus, Department, Person, Reminder, ReviewReport, ReviewStatus
from models.org import info_center_admins
from schedules.base import MAX_PER_RUN, Send, calendar, remind, sweep_lock

KIND = "review"


def _day(year: int, month_day: str) -> date:
    month, day = (int(x) for x in month_day.split("-"))
    return date(year, month, day)


def review_window(today: date, settings: Settings) -> tuple[int, bool]:
    """The review year ``today`` belongs to, and whether reports are being taken now."""
    year = today.year if today >= _day(today.year, settings.review_opens) else today.year - 1
    opens, closes = _day(year, settings.review_opens), _day(year, settings.review_closes)
    if closes <= opens:
        closes = _day(year + 1, settings.review_closes)
    return year, opens <= today < closes


async def run_annual_review(now: datetime, deps: Deps) -> int:
    cal = calendar(deps)
    if not cal.is_open(now):
        return 0
    async with sweep_lock(KIND) as mine:
        if not mine:
            return 0
        return await _sweep(now, deps, cal.local(now).date())


async def _sweep(now: datetime, deps: Deps, today: date) -> int:
    s = deps.settings
    year = today.year if today >= _day(today.year, s.review_opens) else today.year - 1
    opens, last, closes = (_day(year, s.review_opens), _day(year, s.review_last_warning),
                           _day(year, s.review_closes))
    if closes <= opens:  # a campaign that runs over the new year
        closes = _day(year + 1, s.review_closes)
    week = f"{year}w{today.isocalendar()[1]:02d}"
    fields = ("id", "name", "department_id", "admin_id")
    items: list[tuple[dict[str, Any], str, str]] = []  # (account, step, period)
    if opens <= today < closes:
        accounts = await Account.filter(status=AccountStatus.OPERATING).order_by("id").values(*fields)
        reported = {r["account_id"] for r in await ReviewReport.filter(
            year=year, status__in=[ReviewStatus.SUBMITTED, ReviewStatus.PASSED]).values("account_id")}
        for a in accounts:
            items.append((a, "kickoff", str(year)))
            if a["id"] not in reported and today >= last:
                items.append((a, "last", str(year)))
            elif a["id"] not in reported and (today - opens).days >= 7:
                items.append((a, "weekly", week))
    elif today >= closes:
        # One conditional UPDATE: every operating account filed before the campaign and without a
        # passed report for the year must stop.
        passed = ReviewReport.filter(year=year, status=ReviewStatus.PASSED).values("account_id")
        opened = datetime.combine(opens, time(0, 0), now.tzinfo)
        await Account.filter(status=AccountStatus.OPERATING, created_at__lt=opened).exclude(
            id__in=Subquery(passed)).update(status=AccountStatus.MUST_STOP)
        for a in await Account.filter(status=AccountStatus.MUST_STOP).order_by("id").values(*fields):
            items.append((a, "must_stop", str(year)))
            items.append((a, "close_weekly", week))
    if not items:
        return 0
    # What this campaign already sent: one query, whatever the number of accounts.
    done = set(await Reminder.filter(kind=KIND, period__in=[str(year), week]).values_list(
        "subject", "step", "period"))
    items = [i for i in items if (str(i[0]["id"]), i[1], i[2]) not in done][:MAX_PER_RUN]
    if not items:
        return 0
    dept_ids = list({a["department_id"] for a, _, _ in items})
    depts = {d.id: d for d in await Department.filter(id__in=dept_ids)}
    people = {p.id: p for p in await Person.filter(id__in=list(
        {a["admin_id"] for a, _, _ in items if a["admin_id"]}
        | {d.head_id for d in depts.values() if d.head_id}), active=True)}
    admins = await info_center_admins() if any(s == "must_stop" for _, s, _ in items) else []
    last_day = closes - timedelta(days=1)
    deadline = f"{last_day.month}月{last_day.day}日"
    sent = 0
    for account, step, period in items:
        head = people.get(depts[account["department_id"]].head_id or 0)
        admin = people.get(account["admin_id"] or 0)
        owners = [p for p in dict.fromkeys([admin, head]) if p is not None]
        sends: list[Send] = []
        if step == "kickoff":
            sends = [Send(p, Text(texts.review_kickoff(account["name"], year, deadline))) for p in owners]
        elif step in ("weekly", "last"):
            sends = [Send(p, Text(texts.review_reminder(account["name"], year, deadline, step == "last")))
                     for p in owners]
        elif step == "must_stop":
            text = texts.review_must_stop(account["name"], year)
            sends = [Send(p, Text(text)) for p in [*owners, *admins]]
        elif step == "close_weekly" and period != f"{closes.year}w{closes.isocalendar()[1]:02d}":
            sends = [Send(p, Text(texts.review_close_reminder(account["name"]))) for p in owners]
        if sends and await remind(KIND, str(account["id"]), step, period, sends, deps=deps, now=now):
            sent += 1
    return sent

