"""The review campaign page (issue 18; Art. 5: an account without a report, or judged 不合格,
does not keep running; Art. 6: nobody judges their own case).

Every report of the year with the figures frozen on it (the same fields as the chat card,
``bot.figures.card_fields``). An Information Center admin judges a waiting report from here with
``bot.judging.judge`` — the function the card calls: the same checks, guarded transition, audit
line (``via: console``), notices, and the chat card closes on every copy. 不合格 asks for the
reason in the same form. A head sees their department's reports and judges nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot import texts
from bot.campaign import review_window
from bot.figures import card_fields
from bot.judging import REASON_CHARS, Judged, judge
from console import auth
from console.app import deps, refusal
from console.pages import names, query_int
from models import Account, Department, Person, ReviewReport, ReviewStatus

routes = web.RouteTableDef()
PER_PAGE = 50
STATES = tuple(s.value for s in ReviewStatus)


@dataclass(frozen=True)
class ReportRow:
    id: int
    ref: str
    account_id: int
    account: str
    department: str
    submitted_by: str
    submitted_at: Any
    status: str
    decided_by: str
    reason: str
    fields: list[tuple[str, str]]
    text: str
    file_name: str


@routes.get("/reviews", name="reviews")
async def reviews(request: web.Request) -> web.StreamResponse:
    viewer = auth.viewer(request)
    d = deps(request)
    now = d.clock()
    current, _ = review_window(now.astimezone(d.settings.tz).date(), d.settings)
    year = query_int(request.query.get("year"), 2000, current) or current
    state = request.query.get("state") if request.query.get("state") in STATES else None
    query = ReviewReport.filter(year=year)
    if viewer.scope is not None:
        query = query.filter(account__department_id__in=list(viewer.scope))
    if state is not None:
        query = query.filter(status=state)
    total = await query.count()
    pages = max(1, -(-total // PER_PAGE))
    page = min(query_int(request.query.get("page")) or 1, pages)
    reports = await query.order_by("status", "-id").offset((page - 1) * PER_PAGE).limit(PER_PAGE) \
        .only("id", "account_id", "year", "text", "file_name", "submitted_by_id", "submitted_at", "status",
              "decided_by_id", "reason", "figures")
    accounts = {a.id: a for a in await Account.filter(id__in={r.account_id for r in reports})}
    departments = {x.id: x.name for x in await Department.filter(
        id__in={a.department_id for a in accounts.values()})}
    people = {p.id: p.name for p in await Person.filter(
        id__in={i for r in reports for i in (r.submitted_by_id, r.decided_by_id) if i})}
    rows = [ReportRow(r.id, r.ref, r.account_id, accounts[r.account_id].name,
                      departments.get(accounts[r.account_id].department_id, ""),
                      people.get(r.submitted_by_id, ""), r.submitted_at, r.status.value,
                      people.get(r.decided_by_id or 0, ""), r.reason, card_fields(r.figures),
                      r.text[:600], r.file_name) for r in reports]
    flash = await auth.take_flash(request)
    return aiohttp_jinja2.render_template("reviews.html", request, {
        "rows": rows, "year": year, "current": current, "state": state, "total": total, "page": page,
        "pages": pages, "states": STATES, "flash": flash, "reason_chars": REASON_CHARS, **names()})


@routes.post(r"/reviews/{id:\d{1,10}}/judge", name="judge")
async def judge_report(request: web.Request) -> web.StreamResponse:
    viewer = auth.viewer(request)
    d = deps(request)
    report = await ReviewReport.get_or_none(id=int(request.match_info["id"])).only("id", "account_id", "year")
    if report is None:
        return refusal(request, 404, texts.CONSOLE_NO_REPORT)
    account = await Account.get(id=report.account_id).only("id", "department_id")
    if not viewer.may_see(account.department_id):
        return refusal(request, 403, texts.CONSOLE_FORBIDDEN)
    if not viewer.is_ic:
        return refusal(request, 403, texts.CONSOLE_ONLY_IC_JUDGES)
    form = await request.post()
    verdict = form.get("verdict")
    if verdict not in ("pass", "fail"):
        return refusal(request, 400, texts.CONSOLE_BAD_VERDICT)
    reason = form.get("reason")
    reason = reason.strip()[:REASON_CHARS] if isinstance(reason, str) else ""
    result = await judge(report.id, verdict == "pass", by=viewer.person, now=d.clock(), deps=d,
                         reason=reason if verdict == "fail" else None, via="console")
    d.outbox.wake()
    if result.outcome in (Judged.PASSED, Judged.FAILED, Judged.ALREADY):
        await auth.flash(request, result.text)
        raise web.HTTPSeeOther(f"/console/reviews?year={report.year}#r{report.id}")
    return refusal(request, 409 if result.outcome == Judged.CLOSED else 403, result.text)
