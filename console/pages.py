"""The console's pages (issue 18, point 1). Each reads through ``console.queries`` with the viewer's
scope (``auth.Viewer.scope``): what a head may not see is never read, so it cannot leak into a page;
asking for it by its id is a 403.

Query strings are checked where they enter (``query_int``, ``_choice``): a wrong or hostile value is
no filter, never a 500.
"""

from __future__ import annotations

import asyncio
import dataclasses
from urllib.parse import quote, urlencode

import aiohttp_jinja2
from aiohttp import web

from bot import texts
from bot.campaign import campaign_day, review_window
from bot.exports import load_registry, registry_xlsx
from bot.figures import card_fields, year_figures
from bot.history import account_history
from console import auth, charts, queries
from console.app import deps, refusal
from models import Account, AccountStatus, Department, Person, Platform

routes = web.RouteTableDef()
PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def query_int(value: str | None, low: int = 1, high: int = 10**9) -> int | None:
    """A query-string number as every console page reads it: digits only, within bounds, else None."""
    if value is None or not value.isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if low <= number <= high else None


def _choice(value: str | None, allowed: tuple[str, ...] | list[str]) -> str | None:
    return value if value in allowed else None


def names() -> dict[str, object]:
    """The Chinese names the templates show for stored values."""
    return {"platform_names": texts.PLATFORM_NAMES, "status_names": texts.ACCOUNT_STATUS_NAMES,
            "review_names": texts.REVIEW_STATE_NAMES, "cadence_names": texts.CADENCE_NAMES,
            "source_names": texts.PUBLICATION_SOURCE_NAMES}


@routes.get("/", name="overview")
async def overview(request: web.Request) -> web.StreamResponse:
    viewer = auth.viewer(request)
    d = deps(request)
    now = d.clock()
    data = await queries.overview(viewer.scope, now, d.settings)
    campaign = data.campaign
    progress = charts.stacked_bars(
        [(row.department, [row.passed, row.failed, row.waiting, row.missing]) for row in campaign.rows],
        ["合格", "不合格", "待评定", "未提交"], title=f"{campaign.year}年度年审进度（按部门）")
    statuses = charts.bar_chart([(texts.ACCOUNT_STATUS_NAMES.get(s, s), n) for s, n in data.statuses],
                                title="账号状态")
    return aiohttp_jinja2.render_template("overview.html", request, {
        "o": data, "progress_svg": progress, "status_svg": statuses,
        "opens": campaign_day(campaign.year, d.settings.review_opens),
        "departments": await _department_names(viewer), **names()})


async def _department_names(viewer: auth.Viewer) -> list[str]:
    if viewer.scope is None:
        return []
    return [str(n) for n in await Department.filter(id__in=list(viewer.scope)).order_by("id")
            .values_list("name", flat=True)]


FILTERS = ("department", "platform", "status", "review", "cadence")


def _registry_args(request: web.Request, viewer: auth.Viewer) -> dict[str, object]:
    q = request.query
    department = query_int(q.get("department"))
    if department is not None and not viewer.may_see(department):
        department = None
    return {
        "department": department,
        "platform": _choice(q.get("platform"), [p.value for p in Platform]),
        "status": _choice(q.get("status"), [s.value for s in AccountStatus]),
        "review": _choice(q.get("review"), list(queries.REVIEW_STATES)),
        "cadence": _choice(q.get("cadence"), list(queries.CADENCE_STATES)),
        "sort": _choice(q.get("sort"), list(queries.SORTS)) or "name",
        "descending": q.get("desc") == "1",
        "page": query_int(q.get("page")) or 1,
    }


@routes.get("/accounts", name="accounts")
async def accounts(request: web.Request) -> web.StreamResponse:
    viewer = auth.viewer(request)
    d = deps(request)
    args = _registry_args(request, viewer)
    page = await queries.registry(viewer.scope, per_page=PER_PAGE, now=d.clock(), settings=d.settings,
                                  **args)  # type: ignore[arg-type]
    kept = {k: str(v) for k, v in page.filters.items()}
    if page.sort != "name":
        kept["sort"] = page.sort
    if page.descending:
        kept["desc"] = "1"

    def link(**change: object) -> str:
        merged: dict[str, object] = {**kept, **change}
        return "/console/accounts?" + urlencode({k: v for k, v in merged.items() if v not in (None, "")})

    departments = Department.all().order_by("name")
    if viewer.scope is not None:
        departments = departments.filter(id__in=list(viewer.scope))
    return aiohttp_jinja2.render_template("accounts.html", request, {
        "p": page, "link": link, "kept": kept, "export": "/console/accounts.xlsx",
        "departments": [(x.id, x.name) for x in await departments], "platforms": [p.value for p in Platform],
        "statuses": [s.value for s in AccountStatus], "reviews": queries.REVIEW_STATES,
        "cadences": queries.CADENCE_STATES, **names()})


@routes.get("/accounts.xlsx", name="accounts_xlsx")
async def accounts_xlsx(request: web.Request) -> web.StreamResponse:
    """The registry spreadsheet, the same as 导出台账 in chat; a head's has their department's
    accounts only."""
    viewer = auth.viewer(request)
    d = deps(request)
    now = d.clock()
    year, _ = review_window(now.astimezone(d.settings.tz).date(), d.settings)
    reg = await load_registry(year, d.settings.tz, now=now, cal=d.calendar)
    if viewer.scope is not None:
        reg = dataclasses.replace(reg, accounts=[a for a in reg.accounts if a.department_id in viewer.scope])
    # openpyxl is pure CPU (seconds at 10,000 accounts): in a thread, so callbacks keep their budget.
    body = await asyncio.to_thread(registry_xlsx, reg, d.settings.tz, year)
    name = texts.export_file_name(texts.EXPORT_REGISTRY_SHEET, "", now.astimezone(d.settings.tz)) + ".xlsx"
    return web.Response(body=body, content_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename=registry-{now:%Y%m%d}.xlsx; "
                               f"filename*=UTF-8''{quote(name, safe='')}"})


@routes.get(r"/accounts/{id:\d{1,10}}", name="account")
async def account_page(request: web.Request) -> web.StreamResponse:
    viewer = auth.viewer(request)
    d = deps(request)
    account = await Account.get_or_none(id=int(request.match_info["id"]))
    if account is None:
        return refusal(request, 404, texts.CONSOLE_NO_ACCOUNT)
    if not viewer.may_see(account.department_id):
        return refusal(request, 403, texts.CONSOLE_FORBIDDEN)
    now = d.clock()
    tz = d.settings.tz
    year = query_int(request.query.get("year"), 2000, 2100) or now.astimezone(tz).year
    department = await Department.get(id=account.department_id)
    people = {p.id: p for p in await Person.filter(id__in=[i for i in (account.admin_id, account.leader_id,
                                                                        department.head_id) if i])}
    history = await account_history(account, tz)
    publications = await queries.account_publications(account.id, year, tz=tz)
    per_day = await queries.posts_per_day(account.id, year, tz=tz)
    figures = await year_figures(account, year, now, d.calendar)
    today = now.astimezone(tz).date()
    # Marked from when the cadence counts (as the sweep: the later of filing and the account's
    # arrival in the bot; before it the bot knew nothing of its posts).
    known = [at.astimezone(tz).date() for at in (account.filed_at, account.created_at) if at is not None]
    filed = max(known) if known else None
    heat = charts.calendar_heatmap(
        year, per_day, account.post_every_days if account.status == AccountStatus.OPERATING else None,
        title=texts.console_heatmap_title(account.name, year), weekdays=texts.CONSOLE_WEEKDAYS,
        missed_label=texts.console_missed_label(account.post_every_days),
        start=filed, today=today, day_label=texts.console_day_label)
    return aiohttp_jinja2.render_template("account.html", request, {
        "a": account, "department": department, "people": people, "history": history,
        "publications": publications, "fields": card_fields(figures), "year": year, "heat_svg": heat,
        "now": now, **names()})
