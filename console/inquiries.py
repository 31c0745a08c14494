"""Inquiry timeliness (issue 18; Art. 12: a department answers inquiries in time, or commits to a
reply deadline). By department over the last weeks: received, answered in time, overdue, median
reply time in working hours — counted as 咨询统计 counts in chat (``console.queries.inquiry_stats``
uses the reminder ladder's own rule) — and the trend by week."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from bot import texts
from console import auth, charts, queries
from console.app import deps
from console.pages import query_int

routes = web.RouteTableDef()
WEEK_CHOICES = (4, 12, 26, 52)


@routes.get("/inquiries", name="inquiries")
async def inquiries(request: web.Request) -> web.StreamResponse:
    viewer = auth.viewer(request)
    d = deps(request)
    weeks = query_int(request.query.get("weeks"), 1, 53)
    weeks = weeks if weeks in WEEK_CHOICES else 12
    stats = await queries.inquiry_stats(viewer.scope, d.clock(), d.settings, weeks=weeks)
    trend = charts.line_chart([f"{w.monday.month}/{w.monday.day}" for w in stats.weeks],
                              [(texts.CONSOLE_RECEIVED, [w.received for w in stats.weeks]),
                               (texts.CONSOLE_OVERDUE, [w.overdue for w in stats.weeks])],
                              title=texts.console_trend_title(weeks), empty=texts.CONSOLE_NO_INQUIRIES)
    return aiohttp_jinja2.render_template("inquiries.html", request, {
        "s": stats, "weeks": weeks, "choices": WEEK_CHOICES, "trend_svg": trend})
