"""The November annual review (Art. 5) as a sweep.

From ``review_opens`` (1 November) to the day before ``review_closes`` (1 December): to the
administrator and head of every account taking part whose report has not come in, a kickoff, then
a weekly reminder, and a last warning from ``review_last_warning`` (25 November) — never to one
whose report is in, even when the kickoff comes late (an account joining, a catch-up). From
``review_closes`` on, an account stops only when no report was handed in for the year (Art. 5:
未提交年审报告…不得继续运行): a report waiting for judgement keeps it running — the Information
Center's judgement decides, not the calendar — and a 不合格 stopped it when it was given
(``bot.judging``). The stop records ``stopped_at`` and ``stop_reason`` ("" reads "no report
by the deadline"), voids the account's drafts waiting for approval, and tells its administrator,
head and 主管领导 (Art. 14) and the Information Center; weekly reminders follow until it is
closed with ``注销 @账号 原因`` and evidence (``handlers.closing``). Each message once (the
reminder key carries the year, the week or the day).

From 25 November, and after 1 December for as long as any wait, the Information Center is
reminded every working day of the reports waiting for its judgement: one message per admin
listing them, each admin only of the reports they may judge (Art. 6: not one they are concerned
by as submitter, administrator, 主管领导 or head).

Who takes part: operating accounts and unfiled ones. Art. 5 asks 各级官方新媒体 — every official
account — for a report each November; an account that existed before the bot and awaits filing
(Art. 4) is open on its platform and runs in its followers' eyes, so it answers for its year like
a filed one (``handlers.reviews`` takes its report), and without one it must stop as well.
Accounts the bot first knew during the campaign (filed or imported after 1 November) answer
next year.

The campaign reaches everyone on the day. A run takes whole departments, up to
``ACCOUNTS_PER_RUN`` (4,000) accounts, not the 300 reminders of the other sweeps: a kickoff for
10,000 accounts is three runs, not 34 spread over a working day; for the nation's 150,000, 38
runs within the day, each under a second. Which accounts still owe a step is asked
of the database (an anti-join of the accounts with that step's reminder rows), so a run reads only
those, and a run with nothing to send reads no account. And a person hears once per step, not
once per account (an administrator whose accounts lie in two departments taken by two runs: once
per run): an administrator of three accounts gets one kickoff listing the three, a head one
listing the department's accounts with what is asked of them for each (the administrator submits,
the head sees that it is done), the Information Center one list of every account that must stop,
by department. Twenty accounts are named at most, then "等 N 个账号" (a WeCom text holds 2,048
bytes; a head of hundreds still gets one readable message).

Idempotency stays per account: a reminder row per (account, step, period), as before, so an
account that joins later (or becomes must-stop later) is told at the next run, in a message of
its own to the same people. The outgoing message is one outbox row per (person, step, period),
keyed by those and the first account it lists: the reminder rows and these outbox rows go
in one transaction (``remind_many``, two statements), so a rerun finds the reminder rows and
sends nothing, and two writers racing cannot both commit (the unique reminder keys refuse the
second, which writes nothing; its next run decides again).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from bot import texts
from bot.campaign import (
    FAILURE_NOTICE_SPAN,
    FAILURE_NOTICE_WAIT,
    TAKING_PART,
    campaign_day,
    failure_notice,
    review_people,
)
from bot.cards import Text
from bot.deps import Deps
from bot.draft_voiding import void_drafts
from bot.reminders import REVIEW as KIND
from bot.reminders import Send, remind_many
from bot.sql import Params
from models import (
    Account,
    AccountStatus,
    Department,
    Draft,
    DraftStatus,
    Person,
    Reminder,
    ReviewReport,
    ReviewStatus,
)
from models.org import info_center_admins
from schedules.base import sweep

# Accounts one run asks or tells at most, whole departments at a time (issue 19): a city's
# accounts are one run, a province's 10,000 three; the nation's 150,000 are 38 runs, each under a
# second, one every ``XMT_SWEEP_EVERY_MINUTES`` (at 10, about six hours; at 5, three), each head
# still told in one message. Writing 300,000 reminder rows in one run took 14 s, 5,000 accounts'
# 10,000 rows about 0.7 s (``bench/sweeps.py --scale national``): the writes set the size.
ACCOUNTS_PER_RUN = 4_000


@sweep(KIND)
async def run_annual_review(now: datetime, deps: Deps) -> int:
    return await _tell_failures(now, deps) + await _sweep(now, deps, deps.calendar.local(now).date())


async def _tell_failures(now: datetime, deps: Deps) -> int:
    reports = await ReviewReport.filter(
        status=ReviewStatus.FAILED, decided_at__lt=(now - FAILURE_NOTICE_WAIT).astimezone(UTC),
        decided_at__gte=(now - FAILURE_NOTICE_SPAN).astimezone(UTC),
    ).order_by("id").values("id", "account_id", "year", "reason")
    if not reports:
        return 0
    told = {str(subject) for subject in await Reminder.filter(kind=KIND, step="failed", subject__in=[
        failure_notice(r["id"], r["year"])[0] for r in reports]).values_list("subject", flat=True)}
    n = 0
    for r in reports:
        row = failure_notice(r["id"], r["year"])
        if row[0] in told:
            continue
        account = await Account.get(id=r["account_id"])
        text = Text(texts.review_stopped_failed(account.name, r["year"], r["reason"]))
        sends = [(Send(p, text), f"review:{r['id']}:failed:{p.id}")
                 for p in await review_people(account, leader=True)]
        n += await remind_many(KIND, [row], sends, deps=deps, now=now)
    return n


async def _sweep(now: datetime, deps: Deps, today: date) -> int:
    s = deps.settings
    year = today.year if today >= campaign_day(today.year, s.review_opens) else today.year - 1
    opens, last, closes = (campaign_day(year, s.review_opens), campaign_day(year, s.review_last_warning),
                           campaign_day(year, s.review_closes))
    if closes <= opens:  # a campaign that runs over the new year
        closes = campaign_day(year + 1, s.review_closes)
    week = f"{year}w{today.isocalendar()[1]:02d}"
    day = today.isoformat()
    fields = ("id", "name", "department_id", "admin_id", "leader_id")
    items: list[tuple[dict[str, Any], str, str]] = []  # (account, step, period)
    waiting: dict[int, int] = {}  # account id → the submitter of its report waiting for judgement
    if today >= last:  # the Information Center, daily, while reports wait (also after 1 December)
        for r in await ReviewReport.filter(status=ReviewStatus.SUBMITTED).order_by("id").values(
                "account_id", "submitted_by_id"):
            waiting.setdefault(r["account_id"], r["submitted_by_id"])
    if opens <= today < closes:
        steps = [("kickoff", str(year))]
        if today >= last:
            steps.append(("last", str(year)))
        elif (today - opens).days >= 7:
            steps.append(("weekly", week))
        q = Params()
        statuses = ", ".join(q(st.value) for st in TAKING_PART)
        handed_in = ", ".join(q(st.value) for st in (ReviewStatus.SUBMITTED, ReviewStatus.PASSED))
        where = (f"a.status IN ({statuses}) AND a.id NOT IN (SELECT rr.account_id FROM review_report rr "  # noqa: S608
                 f"WHERE rr.year = {q(year)} AND rr.status IN ({handed_in}))")
        for a in await _owing(q, where, [(step, period, "") for step, period in steps]):
            items += [(a, step, period) for n, (step, period) in enumerate(steps) if not a[f"told_{n}"]]
    elif today >= closes:
        # Art. 5: an account stops only when no report was handed in for the year. A report
        # waiting for judgement keeps it running (the judgement decides); a 不合格 stopped it
        # when it was given (bot.judging). Two conditional UPDATEs, whatever the number
        # of accounts: none handed in (stop_reason "" reads "no report by the deadline"), and a
        # failed one with nothing after it that is still running (judged before this rule).
        # Times compare as stored (UTC): SQLite compares the text.
        opened = datetime.combine(opens, time(0, 0), s.tz).astimezone(UTC)
        running = Account.filter(status__in=TAKING_PART, created_at__lt=opened)
        any_report = ReviewReport.filter(year=year).values("account_id")
        kept = ReviewReport.filter(year=year, status__in=[ReviewStatus.SUBMITTED, ReviewStatus.PASSED])
        stop = {"status": AccountStatus.MUST_STOP, "stopped_at": now.astimezone(UTC)}
        await running.exclude(id__in=Subquery(any_report)).update(**stop, stop_reason="")
        await running.exclude(id__in=Subquery(kept.values("account_id"))).update(
            **stop, stop_reason=texts.stop_reason_failed(year))
        await _void_stopped(deps, now)
        closing_week = f"{closes.year}w{closes.isocalendar()[1]:02d}"  # must-stop was just told
        q = Params()
        # Not one whose closing was asked for (the Information Center confirms it), nor one whose
        # new report after 不合格 waits (the judgement decides). must_stop only for a stop with no
        # reason: a 不合格 was told with its reason when it was given.
        where = (f"a.status = {q(AccountStatus.MUST_STOP.value)} AND a.closure_requested_at IS NULL "  # noqa: S608
                 f"AND a.id NOT IN (SELECT rr.account_id FROM review_report rr "
                 f"WHERE rr.status = {q(ReviewStatus.SUBMITTED.value)})")
        owed = [("must_stop", str(year), "x.stop_reason = ''")]
        if week != closing_week:
            owed.append(("close_weekly", week, ""))
        for a in await _owing(q, where, owed):
            items += [(a, step, period) for n, (step, period, _) in enumerate(owed)
                      if not a[f"told_{n}"] and (step != "must_stop" or not a["stop_reason"])]
    if waiting:
        for a in await Account.filter(id__in=list(waiting)).order_by("id").values(*fields):
            items.append((a, "waiting", day))
    if not items:
        return 0
    # What was sent of the daily ones (the others were asked of the database with their accounts).
    done = await Reminder.sent(Reminder.make_key(KIND, str(a["id"]), step, period)
                               for a, step, period in items if step == "waiting")
    items = [i for i in items if Reminder.make_key(KIND, str(i[0]["id"]), i[1], i[2]) not in done]
    if not items:
        return 0
    dept_ids = list({a["department_id"] for a, _, _ in items})
    depts = {d.id: d for d in await Department.filter(id__in=dept_ids)}
    stopping = any(s == "must_stop" for _, s, _ in items)
    people = {p.id: p for p in await Person.filter(id__in=list(
        {a["admin_id"] for a, _, _ in items if a["admin_id"]}
        | {d.head_id for d in depts.values() if d.head_id}
        | ({a["leader_id"] for a, s, _ in items if s == "must_stop" and a["leader_id"]} if stopping
           else set())), active=True)}
    admins = await info_center_admins() if stopping or waiting else []
    last_day = closes - timedelta(days=1)
    deadline = texts.md(last_day)
    # One message per person and step: (step, period) → person id → [(account name, part)].
    asked: dict[tuple[str, str], dict[int, list[tuple[str, str]]]] = {}
    recorded: list[tuple[str, str, str]] = []
    center = {a.id for a in admins}
    owners_of: dict[tuple[int, int], dict[int, str]] = {}  # (department, admin) → person → part
    # A catch-up (the bot was down, an account joined late) may find the kickoff and a reminder
    # due in one run: the reminder alone goes out, the kickoff is recorded as passed over.
    reminded = {a["id"] for a, s, _ in items if s in ("weekly", "last")}
    for account, step, period in items:
        if step == "kickoff" and account["id"] in reminded:
            recorded.append((str(account["id"]), step, period))
            continue
        dept = depts[account["department_id"]]
        told = asked.setdefault((step, period), {})
        name = account["name"]
        if step == "waiting":
            # Art. 6: the admins who may judge it (not the submitter, administrator, 主管领导, head).
            concerned = {waiting[account["id"]], account["admin_id"], account["leader_id"], dept.head_id}
            judges = [pid for pid in center if pid not in concerned]
            for pid in judges:
                told.setdefault(-pid, []).append((name, dept.name))
            if judges:
                recorded.append((str(account["id"]), step, period))
            continue
        pair = (dept.id, account["admin_id"] or 0)
        owners = owners_of.get(pair)
        if owners is None:
            parts = (("head", people.get(dept.head_id or 0)), ("admin", people.get(pair[1])))
            owners = owners_of[pair] = {p.id: part for part, p in parts if p is not None}  # admin wins
        if step != "must_stop":
            for pid, part in owners.items():
                told.setdefault(pid, []).append((name, part))
        else:
            leader = people.get(account["leader_id"] or 0)  # Art. 14: the 主管领导 is told too
            stop_owners = owners if leader is None or leader.id in owners else {
                **owners, leader.id: "leader"}
            for pid, part in stop_owners.items():
                if pid not in center:  # the Information Center's list names it (below)
                    told.setdefault(pid, []).append((name, part))
            for pid in center:  # every account that must stop, by department (and their own part)
                label = (f"{dept.name}，{texts.REVIEW_STOP_PARTS[stop_owners[pid]]}" if pid in stop_owners
                         else dept.name)
                told.setdefault(-pid, []).append((name, label))
        if owners or (step == "must_stop" and center):  # nobody to tell: the next run tries again
            recorded.append((str(account["id"]), step, period))
    everyone = {**people, **{-a.id: a for a in admins}}
    ids = {a["name"]: a["id"] for a, _, _ in items}
    sends: list[tuple[Send, str]] = []
    for (step, period), told in asked.items():
        for pid, listed in told.items():
            text = _text(step, listed, year, deadline, center=pid < 0)
            # An account is in one message per person, step and period, ever (its reminder row
            # says so): the first account listed tells this message from any other to the person,
            # and a rerun of the same run makes the same key.
            key = Reminder.make_key(KIND, f"p{abs(pid)}", step, period)
            sends.append((Send(everyone[pid], Text(text)), f"rem:{key}:a{ids[listed[0][0]]}"))
    if not await remind_many(KIND, recorded, sends, deps=deps, now=now):
        return 0
    return len(recorded)


# The account columns the messages need (no datetime: read as they come, no model built).
_FIELDS = "a.id, a.name, a.department_id, a.admin_id, a.leader_id, a.stop_reason"


async def _owing(q: Params, where: str, steps: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """The accounts ``a`` matching ``where`` that owe one of ``steps`` (step, period, and an extra
    SQL condition on the row ``x`` or ""), each with ``told_<n>``: whether step n was sent. Each is
    an anti-join of the accounts with that step's reminder rows (one hashed read of the index on
    kind, step, period, subject), not a look-up per account. This run takes whole departments, in
    order, up to ``ACCOUNTS_PER_RUN`` accounts (a department larger than that alone), then by id."""
    told = ", ".join(f"CAST(a.id AS VARCHAR) IN {q.subjects(KIND, step, period)} AS told_{n}"
                     for n, (step, period, _) in enumerate(steps))
    owing = " OR ".join(f"(NOT x.told_{n}{f' AND {cond}' if cond else ''})"
                        for n, (_, _, cond) in enumerate(steps))
    # MATERIALIZED: each told_<n> is computed once per account (inlined, PostgreSQL computed each
    # anti-join twice, for the column and again for the condition).
    rows = await q.rows(f"WITH x AS MATERIALIZED (SELECT {_FIELDS}, {told} FROM account a WHERE {where}) "  # noqa: S608
                        f"SELECT * FROM x WHERE {owing} ORDER BY x.department_id, x.id "
                        f"LIMIT {q(ACCOUNTS_PER_RUN + 1)}")
    if len(rows) > ACCOUNTS_PER_RUN:
        cut = rows[-1]["department_id"]
        whole = [r for r in rows if r["department_id"] != cut]
        rows = whole or rows[:ACCOUNTS_PER_RUN]
    return sorted(rows, key=lambda r: int(r["id"]))


async def _void_stopped(deps: Deps, now: datetime) -> None:
    """Art. 5: a stopped account's drafts waiting for approval are voided, their cards closed
    with the reason (one query finds them; usually none: a stop by judgement voids its own)."""
    pending = Subquery(Draft.filter(status=DraftStatus.PENDING).values("account_id"))
    for a in await Account.filter(status=AccountStatus.MUST_STOP, id__in=pending).order_by("id").values(
            "id", "name", "stop_reason"):
        async with in_transaction():
            await void_drafts(deps.outbox, KIND, a["id"], texts.account_stopped_why(
                a["name"], AccountStatus.MUST_STOP.value, a["stop_reason"]), now)


def _text(step: str, listed: list[tuple[str, str]], year: int, deadline: str, *, center: bool) -> str:
    """The message for one person: the single-account wording for one account, else a list."""
    one = listed[0][0] if len(listed) == 1 else None
    if step == "kickoff":
        return (texts.review_kickoff(one, year, deadline) if one
                else texts.review_kickoff_many(listed, year, deadline))
    if step in ("weekly", "last"):
        return (texts.review_reminder(one, year, deadline, step == "last") if one
                else texts.review_reminder_many(listed, year, deadline, step == "last"))
    if step == "waiting":
        return texts.review_waiting_center(listed)
    if step == "must_stop":
        if center:
            return texts.review_must_stop_center(listed, year)
        return (texts.review_must_stop(one, year, listed[0][1]) if one
                else texts.review_must_stop_many(listed, year))
    return (texts.review_close_reminder(one) if one
            else texts.review_close_reminder_many([name for name, _ in listed]))
