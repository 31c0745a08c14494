"""Mounting the console on the bot's aiohttp app (issue 18): a sub-application at ``/console/``
with its own middlewares, templates and static files.

- **Templates**: aiohttp-jinja2 over ``console/templates`` (autoescape on: every value a page shows
  is escaped; the SVG charts are the one thing marked safe, built escaped in ``console.charts``).
- **Sessions**: aiohttp-session's ``EncryptedCookieStorage`` (Fernet: AES-128-CBC + HMAC-SHA256,
  from cryptography), cookie ``xmt_console`` on path ``/console``, HttpOnly, SameSite=Lax, Secure when
  ``XMT_PUBLIC_URL`` is https, expiring after ``XMT_CONSOLE_SESSION_HOURS``. Its key is read on
  the first request (``bot.console_access.cookie_key``: it may live in the database, which is not
  open yet when the app is built).
- **Guards**, in order: session → sign-in (every page but the sign-in ones and static files needs a
  viewer, else a redirect to the sign-in page) → CSRF on every POST → the page.
- Pages answer in well under a second with a bounded number of queries (``console.queries``);
  they never call a platform.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import session_middleware
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography.fernet import Fernet

from bot import texts
from bot.console_access import PlatformSignIn, cookie_key
from bot.deps import Deps
from console import auth

HERE = Path(__file__).resolve().parent
COOKIE = "xmt_console"
#: Paths under /console/ open without signing in.
OPEN_PREFIXES = ("/console/login", "/console/signin", "/console/static/", "/console/oauth/")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


DEPS = web.AppKey("console_deps", Deps)


def deps(request: web.Request) -> Deps:
    """The bot's own dependencies (settings, clock, outbox, calendar): the console acts through the
    same domain functions with the same outbox as the chat handlers."""
    return request.config_dict[DEPS]


def build(bot_deps: Deps, *, signins: Sequence[PlatformSignIn] = ()) -> web.Application:
    """The console as a sub-application; ``bot/app.py`` mounts it with ``add_subapp("/console/", …)``.
    ``signins``: the platforms one may sign in through besides the link from chat (``console.oauth``;
    the configured channels' ones, none in the simulator)."""
    from console import inquiries, oauth, pages, reviews, signin, trail  # each registers its routes

    settings, clock = bot_deps.settings, bot_deps.clock

    made: list[Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]] = []

    @web.middleware
    async def session(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not made:  # the key may be in the database: read on the first request, once
            storage = EncryptedCookieStorage(
                Fernet(await cookie_key(settings, clock())), cookie_name=COOKIE, path="/console",
                httponly=True, samesite="Lax", secure=settings.site_url.startswith("https://"),
                max_age=int(settings.console_session_hours * 3600))
            if not made:
                made.append(session_middleware(storage))
        return await made[0](request, handler)

    app = web.Application(middlewares=[session, signed_in, csrf])
    app[DEPS] = bot_deps
    app[oauth.SIGNINS] = {s.name: s for s in signins}
    env = aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                               context_processors=[context])

    def localtime(at: datetime | None) -> str:
        """A stored (UTC) time as the organisation reads it: 2026-11-28 14:05."""
        return "" if at is None else at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")

    env.filters["localtime"] = localtime
    env.globals["signins"] = [{"name": s.name, "button": texts.console_oauth_button(s.label),
                               "in_app": oauth.IN_APP.get(s.name, "")} for s in signins]
    app.router.add_static("/static/", HERE / "static", name="static", append_version=True)
    app.router.add_routes(signin.routes)
    app.router.add_routes(oauth.routes)
    app.router.add_routes(pages.routes)
    app.router.add_routes(reviews.routes)
    app.router.add_routes(inquiries.routes)
    app.router.add_routes(trail.routes)
    return app


@web.middleware
async def signed_in(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(OPEN_PREFIXES):
        return await handler(request)
    found = await auth.viewer_of(request)
    if found is None:
        raise web.HTTPSeeOther("/console/signin")
    request[auth.VIEWER] = found
    return await handler(request)


@web.middleware
async def csrf(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method == "POST" and not request.path.startswith("/console/login/") \
            and not await auth.csrf_ok(request):
        return refusal(request, 403, texts.CONSOLE_CSRF)
    return await handler(request)


async def context(request: web.Request) -> dict[str, object]:
    """What every template may use: the viewer (None on the sign-in pages) and the CSRF token."""
    return {"viewer": request.get(auth.VIEWER), "csrf": await auth.csrf_token(request),
            "path": request.path}


def refusal(request: web.Request, status: int, message: str) -> web.Response:
    """A page that says why (403, 404, 400): never a stack trace, never another department's data."""
    return aiohttp_jinja2.render_template("refusal.html", request, {"message": message, "status": status},
                                          status=status)
