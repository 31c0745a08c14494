"""Signing in to the console through WeCom or DingTalk (issue 18, point 2; docs/console-signin.md).

Which platforms: those ``bot/app.py`` hands to ``console.app.build(…, signins=…)`` — the
configured channels' ``bot.console_access.PlatformSignIn`` (the simulator: none). The console
never imports a channel; every platform quirk is in the sign-in object.

- ``GET /console/oauth/{platform}`` (``?qr=1`` from a desktop browser): a random ``state`` (once,
  ``STATE_MINUTES``) is kept in the encrypted session and the browser sent to the platform. Inside
  the platform's own browser (User-Agent ``wxwork`` / ``DingTalk``) the in-app OAuth is used
  whatever ``qr`` says: a QR code to scan with the phone one is holding helps no one.
- ``GET /console/oauth/{platform}/callback?code|authCode=…&state=…``: the state must be the one
  this session was given (it is spent on first sight, right or wrong), the code is exchanged for
  the member's userid by the platform, the userid names an active person
  (``bot.console_access.person_for``), and the person must have console access now
  (``access_of``: an Information Center admin or a department head). Then a fresh session
  (``console.auth.start``), the audit line ``console_signed_in`` with ``{"via": platform}``, and
  the overview.

Every failure is a page that says why, in Chinese, never a stack trace: 400 (a stale or forged
state, a refused code), 403 (not a member, not in our list, no console access), 404 (a platform
not configured), 502 (the platform cannot be reached or refuses our own setup: the one case
that is not the visitor's doing). The one-time link from ``登录后台`` stays offered on each.

Redirect URIs are ``XMT_PUBLIC_URL`` + ``/console/oauth/<platform>/callback``; that domain must be
the app's trusted domain (WeCom) / redirect URL (DingTalk) in each admin console.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from datetime import datetime, timedelta

from aiohttp import web
from aiohttp_session import get_session

from bot import audit, texts
from bot.console_access import (
    MISCONFIGURED,
    NOT_MEMBER,
    UNAVAILABLE,
    PlatformSignIn,
    SignInError,
    access_of,
    person_for,
)
from console import auth
from console.app import deps, refusal

log = logging.getLogger("xmt.console")
routes = web.RouteTableDef()

SIGNINS = web.AppKey("console_signins", dict[str, PlatformSignIn])
#: The session key of a sign-in under way: {"platform", "state", "at" (ISO time)}.
PENDING = "oauth"
STATE_MINUTES = 10
#: User-Agent markers of each platform's own browser: WeCom's carries ``wxwork/<version>``,
#: DingTalk's ``DingTalk/<version>`` (docs/console-signin.md).
IN_APP = {"wecom": "wxwork", "dingtalk": "dingtalk"}
#: The status of each refusal the platform's answer leads to.
REFUSALS: dict[str, tuple[int, str]] = {
    NOT_MEMBER: (403, texts.CONSOLE_OAUTH_NOT_MEMBER),
    UNAVAILABLE: (502, texts.CONSOLE_OAUTH_UNAVAILABLE),
    MISCONFIGURED: (502, texts.CONSOLE_OAUTH_MISCONFIGURED),
}


def signins(request: web.Request) -> dict[str, PlatformSignIn]:
    return request.config_dict.get(SIGNINS, {})


def in_app(user_agent: str) -> str | None:
    """The platform whose own browser sent the request (its User-Agent), or None."""
    lowered = user_agent.lower()
    return next((name for name, marker in IN_APP.items() if marker in lowered), None)


def redirect_uri(request: web.Request, platform: str) -> str:
    return f"{deps(request).settings.site_url}/console/oauth/{platform}/callback"


def _platform(request: web.Request) -> PlatformSignIn | None:
    return signins(request).get(request.match_info.get("platform", ""))


@routes.get("/oauth/{platform}")
async def start(request: web.Request) -> web.StreamResponse:
    signin = _platform(request)
    if signin is None:
        return refusal(request, 404, texts.CONSOLE_OAUTH_UNKNOWN_PLATFORM)
    state = secrets.token_hex(16)  # WeCom takes a-zA-Z0-9 only, up to 128 bytes (91022)
    session = await get_session(request)
    session[PENDING] = {"platform": signin.name, "state": state,
                        "at": deps(request).clock().isoformat()}
    qr = request.query.get("qr") == "1" and in_app(request.headers.get("User-Agent", "")) != signin.name
    raise web.HTTPFound(signin.authorize_url(redirect_uri(request, signin.name), state, qr=qr))


def _state_ok(pending: object, platform: str, given: str, now: datetime) -> bool:
    """The state the callback carries is the one this session was given for ``platform``, in time."""
    if not isinstance(pending, dict) or pending.get("platform") != platform:
        return False
    expected, at = pending.get("state"), pending.get("at")
    if not isinstance(expected, str) or not isinstance(at, str) or not given:
        return False
    try:
        started = datetime.fromisoformat(at)
    except ValueError:
        return False
    fresh = started <= now < started + timedelta(minutes=STATE_MINUTES)
    return fresh and hmac.compare_digest(given.encode(), expected.encode())


@routes.get("/oauth/{platform}/callback")
async def callback(request: web.Request) -> web.StreamResponse:
    signin = _platform(request)
    if signin is None:
        return refusal(request, 404, texts.CONSOLE_OAUTH_UNKNOWN_PLATFORM)
    now = deps(request).clock()
    session = await get_session(request)
    pending = session.pop(PENDING, None)  # spent now, whatever follows
    if not _state_ok(pending, signin.name, request.query.get("state", ""), now):
        return refusal(request, 400, texts.CONSOLE_OAUTH_STATE)
    code = request.query.get(signin.code_param, "")
    if not code:
        return refusal(request, 400, texts.CONSOLE_OAUTH_DECLINED)
    try:
        userid = await signin.userid(code)
    except SignInError as exc:
        if exc.reason in (UNAVAILABLE, MISCONFIGURED):
            log.warning("console sign-in through %s failed: %s", signin.name, exc)
        status, message = REFUSALS.get(exc.reason, (400, texts.CONSOLE_OAUTH_CODE))
        return refusal(request, status, message)
    person = await person_for(signin.name, userid)
    if person is None:
        return refusal(request, 403, texts.CONSOLE_OAUTH_UNKNOWN_PERSON)
    if await access_of(person) is None:
        return refusal(request, 403, texts.CONSOLE_NO_ACCESS)
    auth.start(session, person)
    await audit.record(person.code, "console_signed_in", person.code, {"via": signin.name}, now=now)
    raise web.HTTPSeeOther("/console/")
