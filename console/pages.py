"""The console's pages (issue 18, point 1). Each reads through ``console.queries`` with the viewer's
scope (``auth.Viewer.scope``): what a head may not see is never read, so it cannot leak into a page.
"""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from console import auth
from console.app import deps
from models import Account, AccountStatus, Department

routes = web.RouteTableDef()


@routes.get("/", name="overview")
async def overview(request: web.Request) -> web.StreamResponse:
    viewer = auth.viewer(request)
    query = Account.all()
    if viewer.scope is not None:
        query = query.filter(department_id__in=list(viewer.scope))
    rows = await query.group_by("status").annotate().values_list("status")
    counts: dict[str, int] = {}
    for (status,) in rows:
        counts[str(status)] = counts.get(str(status), 0) + 1
    departments = await Department.filter(id__in=list(viewer.scope)).values_list("name", flat=True) \
        if viewer.scope is not None else []
    return aiohttp_jinja2.render_template("overview.html", request, {
        "counts": [(s.value, counts.get(s.value, 0)) for s in AccountStatus],
        "departments": departments, "now": deps(request).clock()})
