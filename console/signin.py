"""Signing in to the console (issue 18, point 2) — without passwords.

- ``登录后台`` in chat gives a one-time link ``/console/login/<token>`` (``bot.console_access``).
  Opening it shows a 登录 button; only the button's POST uses the link. Chat apps open the links
  people send to draw a preview (WeCom and DingTalk both fetch a link's page for its title), and
  a link used up by a GET would be spent before its owner taps it.
- Signing in starts a fresh session (nothing of an earlier one kept) and is audited
  (``console_signed_in`` with how); signing out ends it.
"""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session

from bot import audit, texts
from bot.console_access import TOKEN_CHARS, redeem_link
from console import auth, oauth
from console.app import deps, refusal

routes = web.RouteTableDef()


@routes.get("/signin", name="signin")
async def signin_page(request: web.Request) -> web.StreamResponse:
    if await auth.viewer_of(request) is not None:
        raise web.HTTPSeeOther("/console/")
    out = request.query.get("out") == "1"
    # Inside WeCom's or DingTalk's own browser: straight to that platform's sign-in (no QR code),
    # unless the person has just signed out (they would be signed straight back in).
    platform = oauth.in_app(request.headers.get("User-Agent", ""))
    if not out and platform is not None and platform in oauth.signins(request):
        raise web.HTTPFound(f"/console/oauth/{platform}")
    return aiohttp_jinja2.render_template("signin.html", request, {"signed_out": out})


def _token(request: web.Request) -> str:
    token = request.match_info.get("token", "")
    return token if len(token) == TOKEN_CHARS else ""


@routes.get("/login/{token}")
async def login_page(request: web.Request) -> web.StreamResponse:
    if not _token(request):
        return refusal(request, 400, texts.CONSOLE_LINK_INVALID)
    return aiohttp_jinja2.render_template("login.html", request, {})


@routes.post("/login/{token}")
async def login(request: web.Request) -> web.StreamResponse:
    token = _token(request)
    now = deps(request).clock()
    person = await redeem_link(token, now) if token else None
    if person is None:
        return refusal(request, 400, texts.CONSOLE_LINK_INVALID)
    auth.start(await get_session(request), person)
    await audit.record(person.code, "console_signed_in", person.code, {"via": "link"}, now=now)
    raise web.HTTPSeeOther("/console/")


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    (await get_session(request)).invalidate()
    raise web.HTTPSeeOther("/console/signin?out=1")
