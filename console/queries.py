"""The console's read side (issue 18; Art. 2 统一管理、监督检查与考评, Art. 5, 11, 12, 14): what the
overview, registry, account, inquiry and audit pages show, as frozen dataclasses (no ORM object
reaches a template).

Same data, no second truth: every figure uses the rule the chat and the sweeps use —
- the review campaign's year and who takes part: ``bot.campaign`` (``review_window``,
  ``campaign_day``, ``TAKING_PART``); a report's state is the latest ``ReviewReport`` of the year;
- late and zombie (Art. 11): the cadence sweep's ladder (``schedules.cadence``): a filed, operating
  account whose closure is not asked for is late ``post_every_days + late_days`` working days after
  the latest of its filing, its import and its last publication, a zombie after
  ``max(zombie_days, late + 1)``; working days from ``bot.workdays`` (see ``cadence_cutoffs``);
- overdue inquiries (Art. 12): ``bot.inquiry_ladder.is_overdue`` over ``times_of`` and
  ``first_commitments``, as 咨询统计, the registry export and the year's figures count them;
- publications without approval (Art. 10): the watch's ``unapproved_publication`` audit rows, as
  ``bot.figures`` counts them;
- the audit chain: ``bot.audit.verify``, what ``xmt audit verify`` runs.

Scale (10,000 accounts, 1,000,000 publications, under 300 ms p95 on SQLite: ``bench/console.py``):
every function runs a fixed number of statements, stated in its docstring, whatever the number of
rows; counts and states are computed in SQL (the cadence state by comparing the account's start
with a cut-off instant per ``post_every_days``, computed once from the working calendar; the
review state by looking up the year's latest report). The statements are written by hand for SQLite
and PostgreSQL alike (``_Sql``: its placeholders and how a datetime is passed), because the
query builder cannot express the joined CTEs and it costs more than the statements themselves.
They are made of constants and placeholders only (``# noqa: S608``): every value a viewer gives is a
parameter, and a sort key is looked up in ``SORTS``.

``scope``: the departments the viewer may see (a head's), None for the Information Center.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tortoise import connections

from bot.audit import VerifyResult, verify
from bot.cadence import cutoffs
from bot.campaign import TAKING_PART, campaign_day, review_window
from bot.exports import year_bounds
from bot.inquiry_ladder import first_commitments, is_overdue, times_of
from bot.org import MAX_EVERY_DAYS
from bot.settings import Settings
from bot.workdays import WorkCalendar, working_days_since
from models import AccountStatus, DraftStatus, InquiryStatus, Platform, ReviewStatus
from models.drafts import title_of

Scope = frozenset[int] | None

# A review state of the year: a report's status, or none handed in by an account that takes part
# (missing), or an account the campaign does not ask (none: applied, approved, closed, new).
REVIEW_MISSING = "missing"
REVIEW_NONE = "none"
REVIEW_STATES = (ReviewStatus.SUBMITTED.value, ReviewStatus.PASSED.value, ReviewStatus.FAILED.value,
                 REVIEW_MISSING, REVIEW_NONE)
# A cadence state now: no cadence (not filed, not operating, closure asked for), ok, late, zombie.
CADENCE_NONE = "none"
CADENCE_OK = "ok"
CADENCE_LATE = "late"
CADENCE_ZOMBIE = "zombie"
CADENCE_STATES = (CADENCE_ZOMBIE, CADENCE_LATE, CADENCE_OK, CADENCE_NONE)
# The registry's sort keys, and the SQL each sorts by (ties by id).
SORTS: dict[str, str] = {
    "name": "x.name",
    "platform": "x.platform",
    "department": "d.name",
    "status": "x.status",
    "admin": "p.name",
    "last_published": "x.last_published_at",
    "cadence": "(CASE x.cadence WHEN 'zombie' THEN 0 WHEN 'late' THEN 1 WHEN 'ok' THEN 2 ELSE 3 END)",
    "review": "x.review",
    "id": "x.id",
}
MAX_PER_PAGE = 200
BEHIND_LIMIT = 20
WAITING_LIMIT = 10


# -- results -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CampaignRow:
    """One department's accounts in the year's review (Art. 5). ``expected``: accounts the campaign
    asks (taking part, created before it opened) or that handed in a report; ``submitted`` = passed
    + failed + waiting (a report waiting for the Information Center's judgement)."""

    department_id: int
    department: str
    expected: int = 0
    passed: int = 0
    failed: int = 0
    waiting: int = 0
    missing: int = 0

    @property
    def submitted(self) -> int:
        return self.passed + self.failed + self.waiting


@dataclass(frozen=True)
class Campaign:
    year: int
    open: bool  # reports are being taken today
    rows: tuple[CampaignRow, ...]  # by department name
    total: CampaignRow


@dataclass(frozen=True)
class BehindAccount:
    """An account late or zombie now (Art. 11), with the working days since its start."""

    account_id: int
    name: str
    department_id: int
    department: str
    state: str  # late | zombie
    since: date  # its start: the latest of filing, import and last publication (local date)
    working_days: int
    post_every_days: int


@dataclass(frozen=True)
class WaitingDraft:
    """A draft waiting for its department head's approval (Art. 9), and since when."""

    draft_id: int
    ref: str
    title: str
    account: str
    department_id: int
    department: str
    author: str
    waiting_since: datetime


@dataclass(frozen=True)
class Overview:
    as_of: datetime
    statuses: tuple[tuple[str, int], ...]  # every AccountStatus value in order, with its count
    campaign: Campaign
    late: int  # late now, not (yet) zombie
    zombie: int
    behind: tuple[BehindAccount, ...]  # the most behind first, BEHIND_LIMIT at most
    inquiries_open: int  # not answered (unclaimed or claimed)
    inquiries_overdue: int  # of those, overdue by the ladder's rule
    waiting: tuple[WaitingDraft, ...]  # the longest waiting first, WAITING_LIMIT at most
    unapproved: int  # publications seen without approval this calendar year (Art. 10)
    unapproved_year: int


@dataclass(frozen=True)
class RegistryRow:
    account_id: int
    name: str
    platform: str
    department_id: int
    department: str
    status: str
    admin: str
    last_published: date | None  # local date
    cadence: str  # CADENCE_STATES
    review: str  # REVIEW_STATES, for the campaign's year


@dataclass(frozen=True)
class RegistryPage:
    rows: tuple[RegistryRow, ...]
    total: int
    page: int  # as shown (clamped to 1 … pages)
    per_page: int
    pages: int
    year: int  # the review year of the ``review`` column
    sort: str  # as applied (an unknown key reads "name")
    descending: bool
    filters: Mapping[str, str | int]  # the filters applied (invalid ones dropped)


@dataclass(frozen=True)
class PublicationRow:
    publication_id: int
    draft_id: int
    ref: str
    title: str
    url: str
    published_at: datetime
    source: str  # chat | wechat | seen
    recorded_by: str


@dataclass(frozen=True)
class DepartmentInquiries:
    """咨询统计 for one department over the period (Art. 12)."""

    department_id: int
    department: str
    received: int
    answered: int
    in_time: int
    overdue: int
    median_reply_hours: float | None  # working hours, as 咨询统计


@dataclass(frozen=True)
class WeekInquiries:
    year: int  # ISO year
    week: int  # ISO week
    monday: date
    received: int
    overdue: int

    @property
    def label(self) -> str:
        return f"{self.week:02d}"


@dataclass(frozen=True)
class InquiryStats:
    since: datetime  # the Monday (local) the period starts
    departments: tuple[DepartmentInquiries, ...]
    total: DepartmentInquiries  # department_id 0
    weeks: tuple[WeekInquiries, ...]  # every week of the period, oldest first, zeros included


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    detail: Mapping[str, Any]


@dataclass(frozen=True)
class AuditPage:
    rows: tuple[AuditRow, ...]
    total: int
    page: int
    per_page: int
    pages: int
    chain: VerifyResult | None  # None when not asked for (``verify_chain=False``)
    filters: Mapping[str, str] = field(default_factory=dict)


# -- SQL, the same on SQLite and PostgreSQL ----------------------------------------------------------
class _Sql:
    """Collects a statement's parameters: ``?`` on SQLite, ``$n`` on PostgreSQL; a datetime as
    tortoise stores it (SQLite: UTC ISO text, compared as text; PostgreSQL: timestamptz)."""

    def __init__(self) -> None:
        self.conn = connections.get("default")
        self.pg = self.conn.capabilities.dialect == "postgres"
        self.params: list[Any] = []

    def p(self, value: object) -> str:
        if isinstance(value, datetime):
            utc = value.astimezone(UTC)
            if not self.pg:
                self.params.append(utc.isoformat(sep=" "))
                return "?"
            self.params.append(utc)
            return f"${len(self.params)}::timestamptz"
        self.params.append(value)
        return f"${len(self.params)}" if self.pg else "?"

    def among(self, column: str, values: Iterable[object]) -> str:
        """``column IN (…)``; an empty list matches nothing."""
        items = list(values)
        return f"{column} IN ({', '.join(self.p(v) for v in items)})" if items else "1 = 0"

    def scope(self, column: str, scope: Scope) -> str:
        return "1 = 1" if scope is None else self.among(column, sorted(scope))

    async def rows(self, sql: str) -> list[dict[str, Any]]:
        result = await self.conn.execute_query_dict(sql, self.params)
        return [dict(r) for r in result]


def _dt(value: Any) -> datetime:
    """A datetime column as read: SQLite gives tortoise's text, PostgreSQL a datetime."""
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _calendar(settings: Settings) -> WorkCalendar:
    return WorkCalendar.parse(settings.tz, settings.work_hours)


def _pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


# -- the cadence rule (Art. 11) in SQL -----------------------------------------------------------
def cadence_cutoffs(today: date, settings: Settings) -> dict[int, tuple[datetime, datetime]]:
    """For each ``post_every_days`` (1 … MAX_EVERY_DAYS): the instants (late, zombie) before which
    an account's start makes it late or a zombie today: the cadence sweep's own cut-offs
    (``bot.cadence.cutoffs``), so the page and the sweep cannot disagree."""
    found = cutoffs(today, settings.tz, range(1, MAX_EVERY_DAYS + 1), settings.late_days,
                    settings.zombie_days)
    return {every: (steps["late"], steps["zombie"]) for every, steps in found.items()}


# The latest of the filing, the import and the last publication (the cycle's start, as the sweep).
_START = ("(CASE WHEN a.last_published_at IS NOT NULL AND a.last_published_at >= a.filed_at "
          "AND a.last_published_at >= a.created_at THEN a.last_published_at "
          "WHEN a.filed_at >= a.created_at THEN a.filed_at ELSE a.created_at END)")
_HAS_CADENCE = (f"(CASE WHEN a.status = '{AccountStatus.OPERATING.value}' AND a.filed_at IS NOT NULL "
                "AND a.closure_requested_at IS NULL THEN 1 ELSE 0 END)")
_EVERY = (f"(CASE WHEN a.post_every_days > {MAX_EVERY_DAYS} THEN {MAX_EVERY_DAYS} "
          "WHEN a.post_every_days < 1 THEN 1 ELSE a.post_every_days END)")


def _cutoff(q: _Sql, cuts: Mapping[int, tuple[datetime, datetime]], rung: int) -> str:
    """The cut-off instant of ``y.every`` (rung 0: late, 1: zombie), as one CASE (faster than joining
    a table of cut-offs: 9 ms against 14 ms for 10,000 accounts)."""
    whens = " ".join(f"WHEN {every} THEN {q.p(cut[rung])}" for every, cut in cuts.items())
    return f"(CASE y.every {whens} END)"


# -- the review campaign (Art. 5) in SQL -----------------------------------------------------------
def _latest(q: _Sql, year: int) -> str:
    """The status of account ``a``'s latest report of ``year`` (a new report after 不合格 is a new
    row): one lookup in the index on (year, account_id) per account. (A CTE of the year's latest
    reports, joined, was evaluated again for every account by SQLite: 5 s at 10,000 accounts.)"""
    return (f"(SELECT r.status FROM review_report r WHERE r.year = {q.p(year)} "  # noqa: S608
            f"AND r.account_id = a.id ORDER BY r.id DESC LIMIT 1)")


def _expected(q: _Sql, opens_at: datetime) -> str:
    """Asked for a report: taking part (``bot.campaign.TAKING_PART``) and known before the campaign
    opened (a later one answers next year), or stopped since it opened (no report by the deadline)."""
    taking = ", ".join(f"'{s.value}'" for s in TAKING_PART)
    return (f"((a.status IN ({taking}) AND a.created_at < {q.p(opens_at)}) OR "
            f"(a.status = '{AccountStatus.MUST_STOP.value}' AND a.stopped_at >= {q.p(opens_at)}))")


def _campaign_year(now: datetime, settings: Settings) -> tuple[int, bool, datetime]:
    """The review year ``now`` belongs to, whether reports are taken, and the instant it opened."""
    year, open_now = review_window(now.astimezone(settings.tz).date(), settings)
    opens_at = datetime.combine(campaign_day(year, settings.review_opens), time(0, 0), settings.tz)
    return year, open_now, opens_at


_REVIEW = ("COALESCE({latest}, CASE WHEN {expected} THEN '" + REVIEW_MISSING + "' ELSE '" + REVIEW_NONE
           + "' END)")


# -- every account with its states, as a derived table ----------------------------------------------
@dataclass(frozen=True)
class _Frame:
    """What the states of an account depend on: today, the campaign's year and its opening."""

    today: date
    year: int
    open: bool
    opens_at: datetime
    cuts: Mapping[int, tuple[datetime, datetime]]


def _frame(now: datetime, settings: Settings) -> _Frame:
    year, open_now, opens_at = _campaign_year(now, settings)
    today = now.astimezone(settings.tz).date()
    return _Frame(today, year, open_now, opens_at, cadence_cutoffs(today, settings))


def _accounts(q: _Sql, scope: Scope, frame: _Frame, *, where: Sequence[tuple[str, object]] = (),
              review: bool = True) -> str:
    """``(…) x``: the accounts in ``scope`` (and the ``where`` column equalities) with id, name,
    platform, department_id, status, admin_id, last_published_at, start_at (the cadence's start),
    every, cadence (``CADENCE_STATES``) and, with ``review``, review (``REVIEW_STATES``).

    Written in text order: SQLite's "?" parameters are bound in the order they appear."""
    sql = (f"(SELECT y.*, CASE WHEN y.has_cadence = 0 THEN '{CADENCE_NONE}' "  # noqa: S608
           f"WHEN y.start_at < {_cutoff(q, frame.cuts, 1)} THEN '{CADENCE_ZOMBIE}' "
           f"WHEN y.start_at < {_cutoff(q, frame.cuts, 0)} THEN '{CADENCE_LATE}' "
           f"ELSE '{CADENCE_OK}' END AS cadence FROM (SELECT a.id, a.name, a.platform, a.department_id, "
           f"a.status, a.admin_id, a.last_published_at, "
           f"{_START} AS start_at, {_HAS_CADENCE} AS has_cadence, {_EVERY} AS every")
    if review:
        state = _REVIEW.format(latest=_latest(q, frame.year), expected=_expected(q, frame.opens_at))
        sql += f", {state} AS review"
    sql += f" FROM account a WHERE {q.scope('a.department_id', scope)}"
    for column, value in where:
        sql += f" AND a.{column} = {q.p(value)}"
    return sql + ") y) x"


# -- the overview --------------------------------------------------------------------------------
async def overview(scope: Scope, now: datetime, settings: Settings) -> Overview:
    """The overview page: accounts by status, the review campaign by department, late and zombie
    accounts, open and overdue inquiries, the drafts waiting longest, publications without approval.

    Six statements whatever the number of rows: accounts counted by department, status, cadence
    and review state (one GROUP BY), the most behind accounts (LIMIT), unanswered inquiries and when
    their deadlines were first committed (the ladder runs in Python over the unanswered ones
    only), the longest waiting drafts (LIMIT), publications without approval (COUNT)."""
    cal = _calendar(settings)
    frame = _frame(now, settings)
    groups = await _account_groups(scope, frame)
    by_status: dict[str, int] = {}
    by_cadence: dict[str, int] = {}
    for g in groups:
        by_status[g.status] = by_status.get(g.status, 0) + g.n
        by_cadence[g.cadence] = by_cadence.get(g.cadence, 0) + g.n
    statuses = tuple((s.value, by_status.get(s.value, 0)) for s in AccountStatus)
    behind = await _behind(scope, frame, settings.tz)
    open_count, overdue = await _open_inquiries(scope, now, cal)
    waiting = await _waiting_drafts(scope)
    unapproved = await _unapproved(scope, frame.today.year, settings.tz)
    return Overview(now, statuses, _campaign(frame, groups), by_cadence.get(CADENCE_LATE, 0),
                    by_cadence.get(CADENCE_ZOMBIE, 0), behind, open_count, overdue, waiting, unapproved,
                    frame.today.year)


@dataclass(frozen=True)
class _Group:
    department_id: int
    department: str
    status: str
    cadence: str
    review: str
    n: int


async def _account_groups(scope: Scope, frame: _Frame) -> list[_Group]:
    q = _Sql()
    sql = (f"SELECT x.department_id, d.name AS department, x.status, x.cadence, x.review, COUNT(*) AS n "  # noqa: S608
           f"FROM {_accounts(q, scope, frame)} JOIN department d ON d.id = x.department_id "
           f"GROUP BY x.department_id, d.name, x.status, x.cadence, x.review")
    return [_Group(int(r["department_id"]), str(r["department"]), str(r["status"]), str(r["cadence"]),
                   str(r["review"]), int(r["n"])) for r in await q.rows(sql)]


async def campaign_progress(scope: Scope, now: datetime, settings: Settings) -> Campaign:
    """The review campaign of the year ``now`` belongs to (``bot.campaign.review_window``: before
    it opens, last year's), by department: one statement (the overview's own)."""
    frame = _frame(now, settings)
    return _campaign(frame, await _account_groups(scope, frame))


def _campaign(frame: _Frame, groups: Sequence[_Group]) -> Campaign:
    counts: dict[tuple[int, str], dict[str, int]] = {}
    for g in groups:
        if g.review != REVIEW_NONE:
            by = counts.setdefault((g.department_id, g.department), {})
            by[g.review] = by.get(g.review, 0) + g.n
    rows = tuple(sorted((_campaign_row(dept_id, name, c) for (dept_id, name), c in counts.items()),
                        key=lambda row: (row.department, row.department_id)))
    total = CampaignRow(0, "", *(sum(getattr(r, f) for r in rows)
                                 for f in ("expected", "passed", "failed", "waiting", "missing")))
    return Campaign(frame.year, frame.open, rows, total)


def _campaign_row(dept_id: int, name: str, c: Mapping[str, int]) -> CampaignRow:
    passed, failed = c.get(ReviewStatus.PASSED.value, 0), c.get(ReviewStatus.FAILED.value, 0)
    waiting, missing = c.get(ReviewStatus.SUBMITTED.value, 0), c.get(REVIEW_MISSING, 0)
    return CampaignRow(dept_id, name, passed + failed + waiting + missing, passed, failed, waiting, missing)


async def _behind(scope: Scope, frame: _Frame, tz: ZoneInfo) -> tuple[BehindAccount, ...]:
    q = _Sql()
    sql = (f"SELECT x.id, x.name, x.department_id, x.every, x.start_at, x.cadence, d.name AS department "  # noqa: S608
           f"FROM {_accounts(q, scope, frame, review=False)} JOIN department d ON d.id = x.department_id "
           f"WHERE x.cadence IN ('{CADENCE_LATE}', '{CADENCE_ZOMBIE}') ORDER BY x.start_at, x.id "
           f"LIMIT {BEHIND_LIMIT}")
    rows = await q.rows(sql)
    starts = {int(r["id"]): _dt(r["start_at"]).astimezone(tz).date() for r in rows}
    since = working_days_since(sorted(set(starts.values())), frame.today)
    return tuple(BehindAccount(int(r["id"]), str(r["name"]), int(r["department_id"]), str(r["department"]),
                               str(r["cadence"]), starts[int(r["id"])], since[starts[int(r["id"])]],
                               int(r["every"])) for r in rows)


async def _open_inquiries(scope: Scope, now: datetime, cal: WorkCalendar) -> tuple[int, int]:
    """Unanswered inquiries and how many are overdue now (``bot.inquiry_ladder.is_overdue``)."""
    q = _Sql()
    sql = (f"SELECT i.id, i.received_at, i.owner_id, i.claimed_at, i.due_at, i.answered_at FROM inquiry i "  # noqa: S608
           f"WHERE i.status <> '{InquiryStatus.ANSWERED.value}' AND {q.scope('i.department_id', scope)}")
    rows = [_inquiry_row(r) for r in await q.rows(sql)]
    if not rows:
        return 0, 0
    committed = await first_commitments(min(r["received_at"] for r in rows))
    return len(rows), sum(is_overdue(times_of(r, committed), now, cal) for r in rows)


def _inquiry_row(r: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(r)
    for key in ("received_at", "claimed_at", "due_at", "answered_at"):
        out[key] = _dt(r[key]) if r[key] is not None else None
    return out


async def _waiting_drafts(scope: Scope) -> tuple[WaitingDraft, ...]:
    q = _Sql()
    sql = (f"SELECT dr.id, dr.updated_at, a.name AS account, a.department_id, d.name AS department, "  # noqa: S608
           f"p.name AS author, v.text FROM draft dr JOIN account a ON a.id = dr.account_id "
           f"JOIN department d ON d.id = a.department_id JOIN person p ON p.id = dr.author_id "
           f"LEFT JOIN draft_version v ON v.draft_id = dr.id AND v.number = dr.version "
           f"WHERE dr.status = '{DraftStatus.PENDING.value}' AND {q.scope('a.department_id', scope)} "
           f"ORDER BY dr.updated_at, dr.id LIMIT {WAITING_LIMIT}")
    return tuple(WaitingDraft(int(r["id"]), f"D{r['id']}", title_of(str(r["text"] or "")), str(r["account"]),
                              int(r["department_id"]), str(r["department"]), str(r["author"]),
                              _dt(r["updated_at"])) for r in await q.rows(sql))


async def _unapproved(scope: Scope, year: int, tz: ZoneInfo) -> int:
    """The watch's reports of publications without approval in ``year`` (audit subject: the account's
    name, as ``bot.figures`` counts them)."""
    start, end = year_bounds(year, tz)
    q = _Sql()
    sql = (f"SELECT COUNT(*) AS n FROM audit_event e JOIN account a ON a.name = e.subject "  # noqa: S608
           f"WHERE e.action = 'unapproved_publication' AND e.at >= {q.p(start)} AND e.at < {q.p(end)} "
           f"AND {q.scope('a.department_id', scope)}")
    return int((await q.rows(sql))[0]["n"])


# -- the registry --------------------------------------------------------------------------------
def _clean_filters(scope: Scope, department: int | None, platform: str | None, status: str | None,
                   review: str | None, cadence: str | None) -> dict[str, str | int]:
    """The filters that mean something; any other value is no filter (a page never fails on a
    hand-edited address). A department outside the viewer's scope is no filter either: the scope
    still applies."""
    out: dict[str, str | int] = {}
    if isinstance(department, int) and not isinstance(department, bool) and (
            scope is None or department in scope):
        out["department"] = department
    if platform in {p.value for p in Platform}:
        out["platform"] = str(platform)
    if status in {s.value for s in AccountStatus}:
        out["status"] = str(status)
    if review in REVIEW_STATES:
        out["review"] = str(review)
    if cadence in CADENCE_STATES:
        out["cadence"] = str(cadence)
    return out


async def registry(scope: Scope, *, department: int | None = None, platform: str | None = None,
                   status: str | None = None, review: str | None = None, cadence: str | None = None,
                   sort: str = "name", descending: bool = False, page: int = 1, per_page: int = 50,
                   now: datetime, settings: Settings) -> RegistryPage:
    """One page of the registry, filtered and sorted: two statements (the count, then the page),
    whatever the number of accounts. Sort keys: ``SORTS``; an unknown key sorts by name. Invalid
    filter values are no filter; the page is clamped to 1 … pages; ``per_page`` to 1 … 200."""
    filters = _clean_filters(scope, department, platform, status, review, cadence)
    order = sort if sort in SORTS else "name"
    per_page = min(max(int(per_page), 1), MAX_PER_PAGE)
    frame = _frame(now, settings)
    where = [(column, filters[key]) for key, column in (("department", "department_id"),
                                                        ("platform", "platform"), ("status", "status"))
             if key in filters]

    def statement(q: _Sql, select: str, joins: str) -> str:
        sql = f"{select} FROM {_accounts(q, scope, frame, where=where)} {joins} WHERE 1 = 1"
        for key in ("review", "cadence"):
            if key in filters:
                sql += f" AND x.{key} = {q.p(filters[key])}"
        return sql

    q = _Sql()
    total = int((await q.rows(statement(q, "SELECT COUNT(*) AS n", "")))[0]["n"])
    pages = _pages(total, per_page)
    page = min(max(int(page), 1), pages)
    q = _Sql()
    direction = "DESC" if descending else "ASC"
    # Empty values (never published, no administrator) first going up, last going down, on both
    # databases (SQLite sorts NULL first, PostgreSQL last).
    nulls = f"CASE WHEN {SORTS[order]} IS NULL THEN 0 ELSE 1 END {direction}, "
    sql = statement(q, "SELECT x.*, d.name AS department, p.name AS admin",
                    "JOIN department d ON d.id = x.department_id LEFT JOIN person p ON p.id = x.admin_id")
    sql += (f" ORDER BY {nulls}{SORTS[order]} {direction}, x.id {direction} "
            f"LIMIT {per_page} OFFSET {(page - 1) * per_page}")
    rows = tuple(RegistryRow(
        int(r["id"]), str(r["name"]), str(r["platform"]), int(r["department_id"]), str(r["department"]),
        str(r["status"]), str(r["admin"] or ""),
        _dt(r["last_published_at"]).astimezone(settings.tz).date() if r["last_published_at"] else None,
        str(r["cadence"]), str(r["review"])) for r in await q.rows(sql))
    return RegistryPage(rows, total, page, per_page, pages, frame.year, order, descending, filters)


# -- one account ---------------------------------------------------------------------------------
async def account_publications(account_id: int, year: int, *, tz: ZoneInfo, limit: int = 1000
                               ) -> tuple[PublicationRow, ...]:
    """The account's publications in ``year`` (local), newest first, with the approved version's
    title and who recorded them: one statement (``limit`` rows at most)."""
    start, end = year_bounds(year, tz)
    q = _Sql()
    sql = (f"SELECT pu.id, pu.draft_id, pu.url, pu.published_at, pu.source, pe.name AS recorded_by, v.text "  # noqa: S608
           f"FROM publication pu LEFT JOIN person pe ON pe.id = pu.recorded_by_id "
           f"LEFT JOIN draft_version v ON v.draft_id = pu.draft_id AND v.number = pu.version "
           f"WHERE pu.account_id = {q.p(account_id)} AND pu.published_at >= {q.p(start)} "
           f"AND pu.published_at < {q.p(end)} ORDER BY pu.published_at DESC, pu.id DESC LIMIT {int(limit)}")
    return tuple(PublicationRow(int(r["id"]), int(r["draft_id"]), f"D{r['draft_id']}",
                                title_of(str(r["text"] or "")), str(r["url"]), _dt(r["published_at"]),
                                str(r["source"]), str(r["recorded_by"] or "")) for r in await q.rows(sql))


async def posts_per_day(account_id: int, year: int, *, tz: ZoneInfo) -> dict[date, int]:
    """Publications per local day of ``year`` (the heat map): one statement reading one column of
    one account's year (the index on (account_id, published_at)); days are counted in Python, the
    local date being a time-zone conversion SQLite cannot do."""
    start, end = year_bounds(year, tz)
    q = _Sql()
    sql = (f"SELECT published_at FROM publication WHERE account_id = {q.p(account_id)} "  # noqa: S608
           f"AND published_at >= {q.p(start)} AND published_at < {q.p(end)}")
    counts: dict[date, int] = {}
    for r in await q.rows(sql):
        day = _dt(r["published_at"]).astimezone(tz).date()
        counts[day] = counts.get(day, 0) + 1
    return counts


# -- inquiries (Art. 12) -------------------------------------------------------------------------
def _median(hours: Sequence[float]) -> float | None:
    """As 咨询统计: the upper middle of the sorted values, to one decimal."""
    return round(sorted(hours)[len(hours) // 2], 1) if hours else None


async def inquiry_stats(scope: Scope, now: datetime, settings: Settings, weeks: int = 12) -> InquiryStats:
    """Timeliness by department and the weekly trend over the last ``weeks`` ISO weeks (this one
    included), counted as 咨询统计 counts: received, answered, answered in time, overdue
    (``is_overdue``), median reply time in working hours.

    Three statements: the period's inquiries with their department's name, the first commitments
    of their deadlines (``first_commitments``), nothing else. The ladder and the median run in
    Python over the period's rows: bounded by the period (``weeks``, 1 … 53), not by the history."""
    cal = _calendar(settings)
    weeks = min(max(int(weeks), 1), 53)
    today = cal.local(now).date()
    monday = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    since = datetime.combine(monday, time(0, 0), settings.tz)
    q = _Sql()
    sql = (f"SELECT i.id, i.department_id, d.name AS department, i.received_at, i.owner_id, i.claimed_at, "  # noqa: S608
           f"i.due_at, i.answered_at FROM inquiry i JOIN department d ON d.id = i.department_id "
           f"WHERE i.received_at >= {q.p(since)} AND i.received_at <= {q.p(now)} "
           f"AND {q.scope('i.department_id', scope)}")
    rows = [_inquiry_row(r) for r in await q.rows(sql)]
    committed = await first_commitments(since) if rows else {}
    per_dept: dict[int, list[tuple[dict[str, Any], bool]]] = {}
    names: dict[int, str] = {}
    week_rows: dict[date, list[int]] = {monday + timedelta(weeks=n): [0, 0] for n in range(weeks)}
    for r in rows:
        late = is_overdue(times_of(r, committed), now, cal)
        per_dept.setdefault(int(r["department_id"]), []).append((r, late))
        names[int(r["department_id"])] = str(r["department"])
        local = cal.local(r["received_at"]).date()
        counts = week_rows.setdefault(local - timedelta(days=local.weekday()), [0, 0])
        counts[0] += 1
        counts[1] += late
    departments = tuple(sorted((_dept_inquiries(dept_id, names[dept_id], items, cal)
                                for dept_id, items in per_dept.items()),
                               key=lambda d: (d.department, d.department_id)))
    total = _dept_inquiries(0, "", [item for items in per_dept.values() for item in items], cal)
    trend = tuple(WeekInquiries(*m.isocalendar()[:2], m, c[0], c[1]) for m, c in sorted(week_rows.items()))
    return InquiryStats(since, departments, total, trend)


def _dept_inquiries(dept_id: int, name: str, items: Sequence[tuple[Mapping[str, Any], bool]],
                    cal: WorkCalendar) -> DepartmentInquiries:
    hours = [cal.working_seconds(r["received_at"], r["answered_at"]) / 3600
             for r, _ in items if r["answered_at"] is not None]
    in_time = sum(1 for r, late in items if r["answered_at"] is not None and not late)
    return DepartmentInquiries(dept_id, name, len(items), len(hours), in_time,
                               sum(1 for _, late in items if late), _median(hours))


# -- the audit trail (Art. 6, 14) ------------------------------------------------------------------
async def audit_trail(*, actor: str | None = None, action: str | None = None, subject: str | None = None,
                      page: int = 1, per_page: int = 50, verify_chain: bool = True) -> AuditPage:
    """The trail newest first, filtered by exact actor, action and subject (empty: no filter), and the
    chain's verification (``bot.audit.verify``, what ``xmt audit verify`` runs: it reads the whole
    chain in batches of 5,000, so a page that shows it often may pass ``verify_chain=False``).
    Two statements for the page (count, rows), plus the chain's walk."""
    filters = {k: v for k, v in (("actor", actor), ("action", action), ("subject", subject))
               if isinstance(v, str) and v}
    per_page = min(max(int(per_page), 1), MAX_PER_PAGE)

    def where(q: _Sql) -> str:
        return " AND ".join([f"{k} = {q.p(v)}" for k, v in filters.items()] or ["1 = 1"])

    q = _Sql()
    total = int((await q.rows(f"SELECT COUNT(*) AS n FROM audit_event WHERE {where(q)}"))[0]["n"])  # noqa: S608
    pages = _pages(total, per_page)
    page = min(max(int(page), 1), pages)
    q = _Sql()
    sql = (f"SELECT id, at, actor, action, subject, detail FROM audit_event WHERE {where(q)} "  # noqa: S608
           f"ORDER BY id DESC LIMIT {per_page} OFFSET {(page - 1) * per_page}")
    rows = tuple(AuditRow(int(r["id"]), _dt(r["at"]), str(r["actor"]), str(r["action"]), str(r["subject"]),
                          _detail(r["detail"])) for r in await q.rows(sql))
    chain = await verify() if verify_chain else None
    return AuditPage(rows, total, page, per_page, pages, chain, filters)


def _detail(value: Any) -> Mapping[str, Any]:
    if isinstance(value, dict):
        return value
    try:
        loaded = json.loads(value) if isinstance(value, str | bytes) else {}
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}
