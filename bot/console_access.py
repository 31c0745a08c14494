"""Who may open the console, and the one-time links that sign them in (issue 18; Art. 2: the
Information Center manages, supervises and assesses every account; Art. 6: each department
answers for its own).

- **Who**: an Information Center admin (``models.org.is_info_center_admin``) sees every account;
  a department head (``Department.head_id``, an acting head named with ``代审`` included) sees their
  department's; nobody else signs in. It is read again on every page, so a head who leaves or
  moves loses the console with the next click, not when the cookie expires.
- **Links**: ``登录后台`` in chat (any channel, the simulator too) answers with
  ``<XMT_PUBLIC_URL>/console/login/<token>``: 32 random bytes, valid ``LINK_MINUTES``, usable once,
  bound to that person; only its SHA-256 is stored (``models.console.ConsoleLink``).
- **Cookie key**: ``XMT_CONSOLE_SECRET``, else one made once and kept in the database for every
  instance (``ConsoleKey``): a sign-in made through one instance holds on the others.
- **Platforms**: WeCom's and DingTalk's OAuth sign-in (``PlatformSignIn``, implemented in their
  channel folders) name a userid; ``person_for`` finds the active person, and ``access_of``
  decides as for a link (docs/console-signin.md).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from tortoise.exceptions import IntegrityError

from bot.settings import Settings
from models import Department, Person
from models.console import ConsoleKey, ConsoleLink
from models.org import is_info_center_admin

LINK_MINUTES = 10
TOKEN_BYTES = 32
#: A token as it appears in a link: urlsafe base64 of TOKEN_BYTES, no padding.
TOKEN_CHARS = 43


@dataclass(frozen=True)
class Access:
    """What a person may see: everything (``departments`` None) or their departments' accounts."""

    person_id: int
    is_ic: bool
    departments: frozenset[int] | None


async def access_of(person: Person) -> Access | None:
    """The person's console access now, or None (not an admin, not a head, or inactive)."""
    if not person.active:
        return None
    if await is_info_center_admin(person):
        return Access(person.id, True, None)
    rows = await Department.filter(head_id=person.id).values("id")
    headed = frozenset(int(row["id"]) for row in rows)
    if headed:
        return Access(person.id, False, headed)
    return None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


async def issue_link(person: Person, now: datetime) -> str:
    """A new one-time token for ``person`` (the caller checked ``access_of``); the link's last part."""
    token = base64.urlsafe_b64encode(secrets.token_bytes(TOKEN_BYTES)).decode("ascii").rstrip("=")
    await ConsoleLink.create(token_hash=_digest(token), person_id=person.id, created_at=now,
                             expires_at=now + timedelta(minutes=LINK_MINUTES))
    return token


async def redeem_link(token: str, now: datetime) -> Person | None:
    """The person a link signs in, once; None if malformed, unknown, used, expired, or the person
    may not use the console any more."""
    if len(token) != TOKEN_CHARS or not token.replace("-", "").replace("_", "").isalnum() \
            or not token.isascii():
        return None
    person_id = await ConsoleLink.redeem(_digest(token), now)
    if person_id is None:
        return None
    person = await Person.get_or_none(id=person_id)
    if person is None or await access_of(person) is None:
        return None
    return person


async def cookie_key(settings: Settings, now: datetime) -> bytes:
    """The Fernet key of the session cookies: configured, or the database's (made on first use)."""
    if settings.console_secret is not None:
        return settings.console_secret.get_secret_value().encode("ascii")
    row = await ConsoleKey.get_or_none(name="session")
    if row is None:
        value = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")
        try:
            row = await ConsoleKey.create(name="session", value=value, created_at=now)
        except IntegrityError:  # another instance made it first
            row = await ConsoleKey.get(name="session")
    return row.value.encode("ascii")


# -- signing in through WeCom or DingTalk (issue 18, point 2; docs/console-signin.md) ----------------
#: Why a platform would not say who is signing in (``SignInError.reason``).
REFUSED = "refused"  # the code is unknown, used or expired (or the person declined)
NOT_MEMBER = "not_member"  # the platform knows them, but not as a member of our organisation
UNAVAILABLE = "unavailable"  # network failure, timeout, 5xx, busy or throttled: try again later
MISCONFIGURED = "misconfigured"  # our secret, app or trusted domain refused: an administrator must fix it


class SignInError(Exception):
    """The platform did not tell us who is signing in; ``reason`` is one of the four above, so the
    console can say which (a code to ask again for, not a member, the platform down, our setup)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class PlatformSignIn(Protocol):
    """A platform's OAuth sign-in, seen from the console (``console.oauth``). Each platform's quirks
    (URLs, the code's name in the callback, which calls turn a code into a userid) stay in its
    channel folder (``bot/channels/wecom/oauth.py``, ``bot/channels/dingtalk/oauth.py``); the
    console never imports a channel: ``bot/app.py`` hands it the configured ones."""

    #: "wecom" or "dingtalk": the ``Person`` column the userid is found in (``person_for``).
    name: str
    #: What the sign-in button says (企业微信, 钉钉).
    label: str
    #: The query parameter the platform's redirect carries the code in (WeCom ``code``, DingTalk
    #: ``authCode``).
    code_param: str

    def authorize_url(self, redirect_uri: str, state: str, *, qr: bool) -> str:
        """Where to send the browser: the in-app OAuth page, or (``qr``) the desktop QR sign-in."""
        ...

    async def userid(self, code: str) -> str:
        """The signed-in member's userid in the organisation; ``SignInError`` otherwise."""
        ...


#: The Person column each platform's userid is kept in (org YAML ``wecom_userid`` / ``dingtalk_userid``).
_IDENTITY = {"wecom": "wecom_userid", "dingtalk": "dingtalk_userid"}


async def person_for(platform: str, userid: str) -> Person | None:
    """The active person ``userid`` is on ``platform``, or None. WeCom userids are not
    case-sensitive (its 读取成员 page), so WeCom's match ignores case; DingTalk's is exact."""
    column = _IDENTITY.get(platform)
    if column is None or not userid:
        return None
    lookup = f"{column}__iexact" if platform == "wecom" else column
    return await Person.filter(active=True, **{lookup: userid}).first()
