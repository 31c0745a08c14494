"""The audit trail and the dead letters (issue 18; Art. 2 and 14: supervision needs a record of
who did what). Information Center admins only: the trail names everyone's acts.

The chain's verification walks the whole trail (``bot.audit.verify``, what ``xmt audit verify``
runs): it runs when asked (校验), not on every page view. A dead letter is retried with
``bot.dead_letters.retry_dead`` (audited with who did it); the outbox worker sends it at once.
"""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot import texts
from bot.dead_letters import dead_letters, retry_dead
from console import auth, queries
from console.app import deps, refusal
from console.pages import query_int

routes = web.RouteTableDef()
PER_PAGE = 50
FILTER_CHARS = 128


def _text(value: str | None) -> str | None:
    return value.strip()[:FILTER_CHARS] if value and value.strip() else None


@routes.get("/audit", name="audit")
async def audit_page(request: web.Request) -> web.StreamResponse:
    viewer = auth.viewer(request)
    if not viewer.is_ic:
        return refusal(request, 403, texts.CONSOLE_IC_ONLY)
    q = request.query
    trail = await queries.audit_trail(actor=_text(q.get("actor")), action=_text(q.get("action")),
                                      subject=_text(q.get("subject")), page=query_int(q.get("page")) or 1,
                                      per_page=PER_PAGE, verify_chain=q.get("verify") == "1")
    dead_page = query_int(q.get("dead")) or 1
    dead = await dead_letters(PER_PAGE + 1, (dead_page - 1) * PER_PAGE)
    kept: dict[str, Any] = dict(trail.filters)
    return aiohttp_jinja2.render_template("audit.html", request, {
        "t": trail, "kept": kept, "dead": dead[:PER_PAGE], "dead_more": len(dead) > PER_PAGE,
        "dead_page": dead_page, "flash": await auth.take_flash(request)})


@routes.post(r"/dead/{id:\d{1,10}}/retry", name="retry")
async def retry(request: web.Request) -> web.StreamResponse:
    viewer = auth.viewer(request)
    if not viewer.is_ic:
        return refusal(request, 403, texts.CONSOLE_IC_ONLY)
    d = deps(request)
    message_id = int(request.match_info["id"])
    done = await retry_dead(message_id, by=viewer.person, now=d.clock(), via="console")
    d.outbox.wake()
    said = texts.console_retried(message_id) if done else texts.console_not_dead(message_id)
    await auth.flash(request, said)
    raise web.HTTPSeeOther("/console/audit#dead")
