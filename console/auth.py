"""Who is looking at a console page, and the guards every page goes through (issue 18, point 2).

A request's viewer is read from the encrypted session cookie (the person's id) and checked again
against the database on every request (``bot.console_access.access_of``): a head who left or was
replaced loses the console at the next click. Pages call ``may_see`` with the department of what
they show; a head asking for another department's account gets 403, never its data.

CSRF: each session carries a random token; every form posts it back as ``_csrf`` and a POST without
the right one is refused (403) before its handler runs. The session cookie is ``SameSite=Lax``
too, but the token does not rely on it.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from aiohttp import web
from aiohttp_session import Session, get_session

from bot.console_access import Access, access_of
from models import Person

PERSON = "p"
CSRF = "csrf"


@dataclass(frozen=True)
class Viewer:
    person: Person
    access: Access

    @property
    def is_ic(self) -> bool:
        return self.access.is_ic

    @property
    def scope(self) -> frozenset[int] | None:
        """The departments whose accounts this viewer sees (None: all)."""
        return self.access.departments

    def may_see(self, department_id: int | None) -> bool:
        return self.access.departments is None or department_id in self.access.departments


VIEWER = web.RequestKey("viewer", Viewer)


def start(session: Session, person: Person) -> None:
    """A fresh session for ``person`` (after a sign-in: nothing of a previous one carried over)."""
    session.invalidate()
    session[PERSON] = person.id
    session[CSRF] = secrets.token_urlsafe(24)


async def viewer_of(request: web.Request) -> Viewer | None:
    session = await get_session(request)
    person_id = session.get(PERSON)
    if not isinstance(person_id, int):
        return None
    person = await Person.get_or_none(id=person_id)
    if person is None:
        return None
    access = await access_of(person)
    return Viewer(person, access) if access is not None else None


def viewer(request: web.Request) -> Viewer:
    """The signed-in viewer of a page (the auth middleware put it there)."""
    found = request.get(VIEWER)
    assert isinstance(found, Viewer), "page outside the console's auth middleware"
    return found


async def csrf_token(request: web.Request) -> str:
    session = await get_session(request)
    token = session.get(CSRF)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        session[CSRF] = token
    return token


async def csrf_ok(request: web.Request) -> bool:
    session = await get_session(request)
    expected = session.get(CSRF)
    if not isinstance(expected, str):
        return False
    form = await request.post()
    given = form.get("_csrf")
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


FLASH = "flash"


async def flash(request: web.Request, message: str) -> None:
    """A message for the next page this person opens (what their last action did), kept in the
    session: never in the URL, where a forged link could put words on our page."""
    (await get_session(request))[FLASH] = message[:500]


async def take_flash(request: web.Request) -> str:
    value = (await get_session(request)).pop(FLASH, "")
    return value if isinstance(value, str) else ""
