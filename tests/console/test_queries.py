"""The console's read side (issue 18; Art. 2 监督检查与考评, Art. 5 年审, Art. 10 先审后发, Art. 11 更新频率,
Art. 12 咨询答复, Art. 14 审计): the same rules as the chat and the sweeps, the viewer's scope, and a
fixed number of statements whatever the number of rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot import audit
from bot.settings import Settings
from console import queries as cq
from models import (
    Account,
    AccountStatus,
    AuditEvent,
    Department,
    Draft,
    DraftStatus,
    DraftVersion,
    Inquiry,
    InquiryStatus,
    Person,
    Platform,
    Publication,
    Reminder,
    ReviewReport,
    ReviewStatus,
)
from schedules.cadence import remind_posting_cadence
from tests.conftest import QueryCounter, World, make_settings

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=TZ)  # a Thursday; the 2026 campaign is open
SETTINGS = make_settings(database_url="sqlite://:memory:")
LONG_AGO = datetime(2025, 1, 6, 9, 0, tzinfo=TZ)


class Org:
    """Two departments, their heads and officers, accounts added by ``account``."""

    def __init__(self) -> None:
        self.n = 0
        self.depts: dict[str, Department] = {}
        self.people: dict[str, Person] = {}

    async def setup(self) -> Org:
        for code, name in (("pub", "宣传科"), ("svc", "服务中心")):
            dept = await Department.create(code=code, name=name)
            head = await Person.create(code=f"{code}-head", name=f"{name}科长", department_id=dept.id)
            officer = await Person.create(code=f"{code}-o", name=f"{name}干事", department_id=dept.id,
                                          is_officer=True)
            dept.head_id = head.id
            await dept.save()
            self.depts[code], self.people[f"{code}-head"], self.people[f"{code}-o"] = dept, head, officer
        return self

    async def account(self, dept: str = "pub", *, name: str | None = None, every: int = 3,
                      status: AccountStatus = AccountStatus.OPERATING, last: datetime | None = None,
                      filed: datetime | None = LONG_AGO, created: datetime = LONG_AGO,
                      platform: Platform = Platform.WECHAT, admin: bool = True) -> Account:
        self.n += 1
        return await Account.create(
            name=name or f"账号{self.n:03d}", platform=platform, department_id=self.depts[dept].id,
            admin_id=self.people[f"{dept}-o"].id if admin else None, post_every_days=every, status=status,
            created_at=created, filed_at=filed, last_published_at=last)


async def org() -> Org:
    return await Org().setup()


def scope_of(o: Org, code: str) -> frozenset[int]:
    return frozenset({o.depts[code].id})


# -- the cadence rule: the same as the sweep's ---------------------------------------------------------
async def test_cadence_states_are_the_sweeps_own(world: World) -> None:
    """Accounts whose last post is 0 … 30 days back, every cadence 1 … 4: the registry's state is
    what the cadence sweep escalated (a late reminder to the head, a zombie one to the IC)."""
    now = NOW
    world.clock.now = now
    dept = await Department.get(code="publicity")
    accounts = []
    for back in range(0, 31):
        for every in (1, 2, 3, 4):
            accounts.append(await Account.create(
                name=f"节奏{back}-{every}", platform=Platform.WECHAT, department_id=dept.id,
                post_every_days=every, status=AccountStatus.OPERATING, created_at=LONG_AGO,
                filed_at=LONG_AGO, last_published_at=now - timedelta(days=back, hours=3)))
    await remind_posting_cadence(now, world.bot.deps)
    steps: dict[str, set[str]] = {}
    for r in await Reminder.filter(kind="cadence").values("subject", "step"):
        steps.setdefault(str(r["subject"]), set()).add(str(r["step"]))
    page = await cq.registry(None, per_page=200, now=now, settings=world.bot.deps.settings)
    states = {r.account_id: r.cadence for r in page.rows}
    checked = 0
    for a in accounts:
        sent = steps.get(str(a.id), set())
        expected = "zombie" if "zombie" in sent else "late" if "late" in sent else "ok"
        assert states[a.id] == expected, (a.name, sent, states[a.id])
        checked += expected != "ok"
    assert checked > 20  # the range reaches both rungs


def test_cutoffs_walk_back_working_days() -> None:
    """Thursday 26 November 2026: a daily account is late at 1 + 2 = 3 working days, so a start on
    Monday 23 November (Tue, Wed, Thu since) is late: the cut-off is Tuesday's midnight; a zombie at
    14 working days: a start before Monday 9 November."""
    cuts = cq.cadence_cutoffs(date(2026, 11, 26), SETTINGS)
    late, zombie = cuts[1]
    assert late == datetime(2026, 11, 24, tzinfo=TZ)
    assert zombie == datetime(2026, 11, 9, tzinfo=TZ)
    assert cuts[3][0] == datetime(2026, 11, 20, tzinfo=TZ)  # 5 working days: from Friday 20
    assert set(cuts) == set(range(1, 21))
    assert all(z <= la for la, z in cuts.values())


async def test_no_cadence_for_unfiled_stopped_or_closing_accounts(db: str) -> None:
    o = await org()
    old = NOW - timedelta(days=100)
    unfiled = await o.account(filed=None, status=AccountStatus.UNFILED, last=old)
    stopped = await o.account(status=AccountStatus.MUST_STOP, last=old)
    closing = await o.account(last=old)
    await Account.filter(id=closing.id).update(closure_requested_at=NOW)
    zombie = await o.account(last=old)
    fresh = await o.account(filed=NOW - timedelta(hours=2), created=NOW - timedelta(hours=2))
    page = await cq.registry(None, now=NOW, settings=SETTINGS)
    states = {r.account_id: r.cadence for r in page.rows}
    assert states == {unfiled.id: "none", stopped.id: "none", closing.id: "none", zombie.id: "zombie",
                      fresh.id: "ok"}


# -- the overview --------------------------------------------------------------------------------
async def _populate(o: Org, n: int) -> None:
    """``n`` accounts per department with a bit of everything."""
    author = o.people["pub-o"]
    for i in range(n):
        for dept in ("pub", "svc"):
            a = await o.account(dept, last=NOW - timedelta(days=i % 25))
            waited = NOW - timedelta(hours=i + 1)
            d = await Draft.create(account_id=a.id, author_id=author.id, status=DraftStatus.PENDING,
                                   created_at=waited, updated_at=waited)
            await DraftVersion.create(draft_id=d.id, number=1, text=f"标题{i}\n正文", created_at=NOW)
            await Inquiry.create(account_id=a.id, department_id=a.department_id, source="chat", text="问",
                                 received_at=NOW - timedelta(days=i % 5, hours=1))
            if i % 3 == 0:
                await ReviewReport.create(account_id=a.id, year=2026, submitted_by_id=author.id,
                                          submitted_at=NOW, status=ReviewStatus.PASSED)
            await audit.record("watch", "unapproved_publication", a.name, {"item": i}, now=NOW)


async def test_overview_costs_six_statements_however_many_rows(db: str, queries: QueryCounter) -> None:
    o = await org()
    await _populate(o, 2)
    queries.count = 0
    few = await cq.overview(None, NOW, SETTINGS)
    small = queries.count
    await _populate(o, 20)
    queries.count = 0
    many = await cq.overview(None, NOW, SETTINGS)
    assert small == queries.count == 6
    assert few.inquiries_open == 4 and many.inquiries_open == 44
    assert len(many.waiting) == cq.WAITING_LIMIT and len(many.behind) == cq.BEHIND_LIMIT


async def test_overview_counts(db: str) -> None:
    o = await org()
    author = o.people["pub-o"]
    ok = await o.account(last=NOW - timedelta(hours=1))
    late = await o.account(last=NOW - timedelta(days=8), every=1)  # 6 working days > 1 + 2
    zombie = await o.account("svc", last=NOW - timedelta(days=40))
    await o.account(status=AccountStatus.APPLIED, filed=None)
    closed = await o.account("svc", status=AccountStatus.CLOSED)
    failed = await o.account("svc", status=AccountStatus.MUST_STOP)
    missed = await o.account(status=AccountStatus.MUST_STOP)
    await Account.filter(id=missed.id).update(stopped_at=datetime(2026, 11, 11, tzinfo=TZ))
    await ReviewReport.create(account_id=ok.id, year=2026, submitted_by_id=author.id, submitted_at=NOW,
                              status=ReviewStatus.PASSED)
    await ReviewReport.create(account_id=failed.id, year=2026, submitted_by_id=author.id, submitted_at=NOW,
                              status=ReviewStatus.FAILED)
    # A 不合格 then a new report waiting: the latest decides.
    await ReviewReport.create(account_id=late.id, year=2026, submitted_by_id=author.id, submitted_at=NOW,
                              status=ReviewStatus.FAILED)
    await ReviewReport.create(account_id=late.id, year=2026, submitted_by_id=author.id, submitted_at=NOW,
                              status=ReviewStatus.SUBMITTED)
    await ReviewReport.create(account_id=closed.id, year=2025, submitted_by_id=author.id, submitted_at=NOW,
                              status=ReviewStatus.PASSED)  # last year's: not counted
    # Inquiries: one unclaimed for three working days (overdue), one fresh, one answered.
    await Inquiry.create(account_id=ok.id, department_id=ok.department_id, source="chat", text="1",
                         received_at=NOW - timedelta(days=5))
    await Inquiry.create(account_id=ok.id, department_id=ok.department_id, source="chat", text="2",
                         received_at=NOW - timedelta(minutes=30))
    await Inquiry.create(account_id=ok.id, department_id=ok.department_id, source="chat", text="3",
                         received_at=NOW - timedelta(days=5), status=InquiryStatus.ANSWERED,
                         owner_id=author.id, answered_at=NOW - timedelta(days=4))
    d1 = await Draft.create(account_id=ok.id, author_id=author.id, status=DraftStatus.PENDING,
                            created_at=NOW - timedelta(days=3), updated_at=NOW - timedelta(hours=30),
                            version=2)
    await DraftVersion.create(draft_id=d1.id, number=1, text="旧标题\n正文", created_at=NOW)
    await DraftVersion.create(draft_id=d1.id, number=2, text="新标题\n正文", created_at=NOW)
    d2 = await Draft.create(account_id=zombie.id, author_id=author.id, status=DraftStatus.PENDING,
                            created_at=NOW, updated_at=NOW - timedelta(hours=2))
    await DraftVersion.create(draft_id=d2.id, number=1, text="服务通知", created_at=NOW)
    await Draft.create(account_id=ok.id, author_id=author.id, status=DraftStatus.APPROVED, created_at=NOW,
                       updated_at=NOW - timedelta(days=10))
    await audit.record("watch", "unapproved_publication", zombie.name, {}, now=NOW)
    await audit.record("watch", "unapproved_publication", zombie.name, {}, now=datetime(2025, 12, 31, 23, 0,
                                                                                          tzinfo=TZ))
    await audit.record("watch", "draft_published", zombie.name, {}, now=NOW)

    view = await cq.overview(None, NOW, SETTINGS)
    statuses = dict(view.statuses)
    assert statuses["operating"] == 3 and statuses["must_stop"] == 2 and statuses["applied"] == 1
    assert statuses["closed"] == 1 and list(statuses) == [s.value for s in AccountStatus]
    assert (view.late, view.zombie) == (1, 1)
    assert [(b.name, b.state) for b in view.behind] == [(zombie.name, "zombie"), (late.name, "late")]
    assert view.behind[1].working_days == 6 and view.behind[1].since == (NOW - timedelta(days=8)).date()
    assert (view.inquiries_open, view.inquiries_overdue) == (2, 1)
    assert [(w.ref, w.title, w.department) for w in view.waiting] == [
        (d1.ref, "新标题", "宣传科"), (d2.ref, "服务通知", "服务中心")]
    assert view.waiting[0].author == "宣传科干事"
    assert view.unapproved == 1 and view.unapproved_year == 2026
    c = view.campaign
    assert (c.year, c.open) == (2026, True)
    by = {r.department: r for r in c.rows}
    pub, svc = by["宣传科"], by["服务中心"]
    # 宣传科: ok passed, late waiting (its new report), missed missing; the applied one not asked.
    assert (pub.expected, pub.passed, pub.waiting, pub.failed, pub.missing) == (3, 1, 1, 0, 1)
    # 服务中心: zombie missing, failed failed; closed not asked.
    assert (svc.expected, svc.failed, svc.missing, svc.submitted) == (2, 1, 1, 1)
    assert c.total.expected == 5 and c.total.submitted == 3

    head_view = await cq.overview(scope_of(o, "svc"), NOW, SETTINGS)
    assert [r.department for r in head_view.campaign.rows] == ["服务中心"]
    assert (head_view.late, head_view.zombie, head_view.inquiries_open) == (0, 1, 0)
    assert [w.ref for w in head_view.waiting] == [d2.ref]
    assert dict(head_view.statuses)["operating"] == 1
    nobody = await cq.overview(frozenset(), NOW, SETTINGS)
    assert sum(n for _, n in nobody.statuses) == 0 and nobody.campaign.rows == ()


async def test_before_november_the_overview_shows_last_years_campaign(db: str) -> None:
    o = await org()
    a = await o.account()
    await ReviewReport.create(account_id=a.id, year=2025, submitted_by_id=1, submitted_at=LONG_AGO,
                              status=ReviewStatus.PASSED)
    march = datetime(2026, 3, 10, 10, 0, tzinfo=TZ)
    c = await cq.campaign_progress(None, march, SETTINGS)
    assert (c.year, c.open, c.total.passed) == (2025, False, 1)


# -- the registry ----------------------------------------------------------------------------------
async def test_registry_filters_sorts_and_pages(db: str, queries: QueryCounter) -> None:
    o = await org()
    made = []
    for i in range(7):
        made.append(await o.account("pub" if i % 2 else "svc", name=f"R{i}",
                                    platform=Platform.WEIBO if i < 3 else Platform.WECHAT,
                                    last=NOW - timedelta(days=i * 5) if i else None, admin=i != 4))
    await ReviewReport.create(account_id=made[2].id, year=2026, submitted_by_id=1, submitted_at=NOW,
                              status=ReviewStatus.PASSED)
    queries.count = 0
    page = await cq.registry(None, sort="name", page=1, per_page=3, now=NOW, settings=SETTINGS)
    assert queries.count == 2
    assert [r.name for r in page.rows] == ["R0", "R1", "R2"] and (page.total, page.pages) == (7, 3)
    r1 = page.rows[1]
    assert (r1.department, r1.admin, r1.platform, r1.status) == ("宣传科", "宣传科干事", "weibo", "operating")
    assert r1.last_published == (NOW - timedelta(days=5)).date() and page.rows[0].last_published is None
    last = await cq.registry(None, page=3, per_page=3, now=NOW, settings=SETTINGS)
    assert [r.name for r in last.rows] == ["R6"]
    beyond = await cq.registry(None, page=99, per_page=3, now=NOW, settings=SETTINGS)
    assert beyond.page == 3 and [r.name for r in beyond.rows] == ["R6"]

    weibo = await cq.registry(None, platform="weibo", now=NOW, settings=SETTINGS)
    assert [r.name for r in weibo.rows] == ["R0", "R1", "R2"] and weibo.filters == {"platform": "weibo"}
    pub = await cq.registry(None, department=o.depts["pub"].id, now=NOW, settings=SETTINGS)
    assert [r.name for r in pub.rows] == ["R1", "R3", "R5"]
    passed = await cq.registry(None, review="passed", now=NOW, settings=SETTINGS)
    assert [r.name for r in passed.rows] == ["R2"]
    missing = await cq.registry(None, review="missing", now=NOW, settings=SETTINGS)
    assert missing.total == 6
    zombies = await cq.registry(None, cadence="zombie", now=NOW, settings=SETTINGS)
    assert {r.name for r in zombies.rows} == {"R0", "R4", "R5", "R6"}  # never, 20, 25, 30 days
    both = await cq.registry(None, cadence="zombie", platform="weibo", now=NOW, settings=SETTINGS)
    assert [r.name for r in both.rows] == ["R0"]

    newest = await cq.registry(None, sort="last_published", descending=True, now=NOW, settings=SETTINGS)
    assert [r.name for r in newest.rows] == ["R1", "R2", "R3", "R4", "R5", "R6", "R0"]
    oldest = await cq.registry(None, sort="last_published", now=NOW, settings=SETTINGS)
    assert [r.name for r in oldest.rows] == ["R0", "R6", "R5", "R4", "R3", "R2", "R1"]
    by_admin = await cq.registry(None, sort="admin", descending=True, now=NOW, settings=SETTINGS)
    assert by_admin.rows[-1].name == "R4" and by_admin.rows[-1].admin == ""
    by_cadence = await cq.registry(None, sort="cadence", now=NOW, settings=SETTINGS)
    assert [r.cadence for r in by_cadence.rows][:4] == ["zombie"] * 4
    for key in cq.SORTS:
        for descending in (False, True):
            page = await cq.registry(None, sort=key, descending=descending, now=NOW, settings=SETTINGS)
            assert sorted(r.name for r in page.rows) == [f"R{i}" for i in range(7)], key


async def test_registry_invalid_filters_are_no_filter(db: str) -> None:
    o = await org()
    await o.account("pub")
    await o.account("svc")
    bad: dict[str, Any] = {"platform": "myspace", "status": "'; DROP TABLE account; --", "review": "maybe",
                           "cadence": "<script>", "sort": "name; DROP TABLE account", "page": -5,
                           "per_page": 0}
    page = await cq.registry(None, **bad, now=NOW, settings=SETTINGS)
    assert page.total == 2 and page.filters == {} and page.sort == "name" and page.page == 1
    assert page.per_page == 1 and len(page.rows) == 1
    # A head asking for another department sees their own.
    head = await cq.registry(scope_of(o, "svc"), department=o.depts["pub"].id, now=NOW, settings=SETTINGS)
    assert [r.department for r in head.rows] == ["服务中心"] and head.filters == {}
    huge = await cq.registry(None, per_page=10**9, page=10**9, now=NOW, settings=SETTINGS)
    assert huge.per_page == cq.MAX_PER_PAGE and huge.page == 1


async def test_registry_costs_two_statements_at_any_size(db: str, queries: QueryCounter) -> None:
    o = await org()
    for i in range(60):
        await o.account("pub" if i % 2 else "svc", last=NOW - timedelta(days=i))
    for kw in ({}, {"cadence": "late"}, {"sort": "review", "descending": True}, {"review": "missing"}):
        queries.count = 0
        page = await cq.registry(None, **kw, now=NOW, settings=SETTINGS)
        assert queries.count == 2 and len(page.rows) <= 50


# -- one account -----------------------------------------------------------------------------------
async def test_publications_and_posts_per_day_in_local_time(db: str) -> None:
    o = await org()
    a = await o.account()
    other = await o.account()
    author = o.people["pub-o"]
    times = [datetime(2026, 1, 1, 0, 30, tzinfo=TZ),  # 31 December 16:30 UTC: this year, locally
             datetime(2026, 3, 2, 9, 0, tzinfo=TZ), datetime(2026, 3, 2, 15, 0, tzinfo=TZ),
             datetime(2025, 12, 31, 23, 30, tzinfo=TZ), datetime(2027, 1, 1, 0, 1, tzinfo=TZ)]
    for n, at in enumerate(times):
        d = await Draft.create(account_id=a.id, author_id=author.id, status=DraftStatus.PUBLISHED,
                               created_at=at, updated_at=at)
        await DraftVersion.create(draft_id=d.id, number=1, text=f"第{n}篇\n正文", created_at=at)
        await Publication.create(draft_id=d.id, account_id=a.id, version=1, content_hash="h",
                                 url=f"https://mp.example/{n}", recorded_by_id=author.id, published_at=at,
                                 source="seen" if n == 1 else "chat")
    d = await Draft.create(account_id=other.id, author_id=author.id, status=DraftStatus.PUBLISHED,
                           created_at=NOW, updated_at=NOW)
    await Publication.create(draft_id=d.id, account_id=other.id, version=1, content_hash="h", url="u",
                             recorded_by_id=author.id, published_at=times[1])
    counts = await cq.posts_per_day(a.id, 2026, tz=TZ)
    assert counts == {date(2026, 1, 1): 1, date(2026, 3, 2): 2}
    pubs = await cq.account_publications(a.id, 2026, tz=TZ)
    assert [p.title for p in pubs] == ["第2篇", "第1篇", "第0篇"]
    assert pubs[1].source == "seen" and pubs[0].recorded_by == "宣传科干事" and pubs[0].url.endswith("/2")
    assert pubs[2].published_at == times[0]
    assert await cq.posts_per_day(a.id, 2024, tz=TZ) == {}


# -- inquiries -----------------------------------------------------------------------------------------
async def test_inquiry_stats_count_as_the_ladder(db: str, queries: QueryCounter) -> None:
    o = await org()
    a = await o.account()
    b = await o.account("svc")
    officer = o.people["pub-o"]

    async def ask(acc: Account, received: datetime, answered: datetime | None = None) -> None:
        await Inquiry.create(
            account_id=acc.id, department_id=acc.department_id, source="chat", text="问",
            received_at=received,
            status=InquiryStatus.ANSWERED if answered else InquiryStatus.OPEN,
            owner_id=officer.id if answered else None, answered_at=answered)

    monday = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
    await ask(a, monday, monday + timedelta(hours=2))  # in time, 2 working hours
    await ask(a, monday, monday + timedelta(hours=4))  # in time, 4
    await ask(a, monday - timedelta(days=7), monday - timedelta(days=1))  # after 5 working days: late
    await ask(b, monday + timedelta(days=3))  # Thursday 9:00, open one hour: fine
    await ask(b, monday - timedelta(days=14))  # open for weeks: overdue
    await ask(b, monday - timedelta(days=200))  # outside the period
    queries.count = 0
    stats = await cq.inquiry_stats(None, NOW, SETTINGS, weeks=4)
    assert queries.count == 2
    by = {d.department: d for d in stats.departments}
    pub, svc = by["宣传科"], by["服务中心"]
    assert (pub.received, pub.answered, pub.in_time, pub.overdue) == (3, 3, 2, 1)
    assert pub.median_reply_hours == 4.0
    assert (svc.received, svc.answered, svc.in_time, svc.overdue) == (2, 0, 0, 1)
    assert svc.median_reply_hours is None
    assert (stats.total.received, stats.total.overdue) == (5, 2)
    assert [w.monday for w in stats.weeks] == [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16),
                                               date(2026, 11, 23)]
    assert [(w.received, w.overdue) for w in stats.weeks] == [(0, 0), (1, 1), (1, 1), (3, 0)]
    assert stats.weeks[-1].week == 48 and stats.since == datetime(2026, 11, 2, tzinfo=TZ)
    only = await cq.inquiry_stats(scope_of(o, "svc"), NOW, SETTINGS, weeks=4)
    assert [d.department for d in only.departments] == ["服务中心"]
    assert len((await cq.inquiry_stats(None, NOW, SETTINGS, weeks=0)).weeks) == 1


# -- the audit trail -----------------------------------------------------------------------------------
async def test_audit_trail_filters_pages_and_verifies(db: str, queries: QueryCounter) -> None:
    for i in range(12):
        await audit.record("lisi" if i % 2 else "watch", "draft_approved" if i % 3 else "login", f"D{i}",
                           {"n": i, "text": "<b>&"}, now=NOW + timedelta(minutes=i))
    queries.count = 0
    page = await cq.audit_trail(page=1, per_page=5, verify_chain=False)
    assert queries.count == 2 and page.chain is None
    assert [r.subject for r in page.rows] == ["D11", "D10", "D9", "D8", "D7"] and page.pages == 3
    assert page.rows[0].detail == {"n": 11, "text": "<b>&"} and page.rows[0].at == NOW + timedelta(minutes=11)
    lisi = await cq.audit_trail(actor="lisi", action="draft_approved", page=1, per_page=50)
    assert [r.subject for r in lisi.rows] == ["D11", "D7", "D5", "D1"] and lisi.total == 4
    assert lisi.chain is not None and lisi.chain.ok and lisi.chain.rows == 12
    one = await cq.audit_trail(subject="D3", page=7, per_page=50)
    assert [r.subject for r in one.rows] == ["D3"] and one.page == 1 and one.filters == {"subject": "D3"}
    none = await cq.audit_trail(actor="", action=None, subject="nobody", page=1, per_page=50)
    assert none.rows == () and none.total == 0 and none.pages == 1
    row = await AuditEvent.filter(subject="D4").first()
    assert row is not None
    await AuditEvent.filter(id=row.id).update(actor="someone else")
    broken = await cq.audit_trail(page=1, per_page=5)
    assert broken.chain is not None and not broken.chain.ok and broken.chain.bad_id == row.id


def test_settings_type_is_the_bots() -> None:
    assert isinstance(SETTINGS, Settings) and SETTINGS.tz.key == "Asia/Shanghai"
    assert datetime(2026, 1, 1, tzinfo=UTC) < NOW
