"""Relaying answers to a WeChat official account's follower through the customer-service message
API (``/cgi-bin/message/custom/send``), possible for 48 hours after the follower's last message
(errcode 45015 after that). Addresses are ``<account id>:<openid>``; each account's AppID and
secret come from the organisation file, and each gets its own cached access token.

Error policy (as for WeCom, see ``bot/channels/wecom/client.py``): a refused token (40001 — in
the official-account API it is the token, not the secret —, 40014, 42001) is renewed and the call
retried once; refused again it is temporary. -1 and 5xx are temporary, 45009 ``Throttled``.
``REFUSED`` codes are permanent (45015 the 48-hour window closed, 45047 too many messages without
a reply, 40003 unknown openid, 44002 / 44004 empty, 45002 too long, 40008 bad type),
``MISCONFIGURED`` ones (40013 bad AppID, 40125 bad secret, 40164 / 61004 IP not allowed,
48001 API not authorised) are ``ConfigurationError``; any other code is temporary, counted.

One access token per AppID in the process (``WechatTokens``) and in the database: WeChat
invalidates an AppID's previous token five minutes after a new one is fetched, and counts each
fetch against a daily quota, so two caches for one AppID — in one process or in two instances of
the bot on one database — would keep knocking each other's token out (a 40001 storm). In the
process the channel owns the registry; the publisher (``bot.channels.wechat.publish``) is given
the channel's (``WechatPublisher(tokens=channel.tokens)``). Between instances the token is stored
sealed in ``models.WechatToken``; one instance at a time fetches (a lease won by a conditional
UPDATE), the others read what it stored (the protocol: ``models/tokens.py``).
A refusal of ``/cgi-bin/token`` itself is a ``WechatTokenError`` (a ``ConfigurationError`` that
keeps the errcode, so the publisher can say "add this server's IP to the allow-list" for 40164).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import logging
import math
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from tortoise.exceptions import BaseORMException

from bot.cards import Card, Document, Message
from bot.channels.base import CardGone, ConfigurationError, DeliveryError, PermanentDeliveryError, Throttled
from bot.channels.common import HttpClient
from bot.channels.tokens import TokenCache, TokenRefused, with_renewal
from models import Account, Department, Person, WechatToken

NAME = "wechat"
WINDOW_CLOSED = 45015
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
REFUSED = frozenset({WINDOW_CLOSED, 45047, 40003, 44002, 44004, 45002, 40008})
MISCONFIGURED = frozenset({40013, 40125, 40164, 61004, 48001})

log = logging.getLogger(__name__)
T = TypeVar("T")


def _utcnow() -> datetime:
    return datetime.now(UTC)


async def _db(op: Callable[[], Awaitable[T]]) -> T:
    """A database call of the shared token (``op`` builds it: even building a query fails without a
    database); any failure of the database is ``_StoreDown``."""
    try:
        return await op()
    except (BaseORMException, OSError, RuntimeError) as exc:  # RuntimeError: no Tortoise context
        raise _StoreDown(type(exc).__name__) from None


class WechatTokenRefused(TokenRefused):
    pass


class WechatTokenError(ConfigurationError):
    """``/cgi-bin/token`` refused the AppID, the secret or this server (``errcode``: 40001 / 40125
    the secret, 40013 the AppID, 40164 / 61004 an IP not on the allow-list…)."""

    def __init__(self, message: str, *, errcode: int, errmsg: str = "") -> None:
        super().__init__(message)
        self.errcode = errcode
        self.errmsg = errmsg[:300]  # WeChat's words ("invalid ip 203.0.113.7 …, not in whitelist")


class _AppTokens(TokenCache):
    """One AppID's in-process cache; remembers the token WeChat refused (``drop``) so the next
    fetch can drop it from the database too, if it is still the stored one."""

    refused: str | None = None

    def drop(self, stale: str) -> None:
        if stale == self._token:
            self.refused = stale
        super().drop(stale)


class _StoreDown(Exception):
    """The database did not answer (or none is configured): the token is fetched directly."""


class WechatTokens:
    """The process's access tokens, one ``TokenCache`` per AppID, shared by every client of the
    official-account API (the channel, the publisher), and through the database
    (``models.WechatToken``) by every instance of the bot. Fetches go through ``http``'s session;
    the newest secret given for an AppID is the one used at its next fetch.

    The in-process cache answers until ``margin`` seconds before the token expires; then (or when
    WeChat refused it) the stored token is read. Missing, expiring or the refused one: the
    instance that wins the row's lease fetches from WeChat and stores it; the others poll every
    ``poll`` seconds and read it, or after ``wait`` seconds fetch anyway. A lease lasts ``lease``
    seconds (a crashed fetcher's ends). ``now`` is the wall clock for the stored times (instances
    share them; ``clock`` is this process's monotonic one). ``shared=False``, or no database
    answering, means one token per AppID in this process only (the tests without a database).
    """

    def __init__(self, http: HttpClient, api_base: str, *, clock: Callable[[], float],
                 now: Callable[[], datetime] = _utcnow, shared: bool = True, margin: float = 300.0,
                 lease: float = 30.0, wait: float = 10.0, poll: float = 0.1) -> None:
        self.http = http
        self.api_base = api_base.rstrip("/")
        self.clock = clock
        self.now = now
        self.shared = shared
        self.margin = margin
        self.lease, self.wait, self.poll = lease, wait, poll
        self._caches: dict[str, _AppTokens] = {}
        self._secrets: dict[str, str] = {}
        self.fetched = 0  # tokens fetched from WeChat by this instance (tests, metrics)
        self.read_shared = 0  # tokens taken from the database, fetched by another instance
        self.waited_out = 0  # fetches made after the bounded wait for another instance's lease
        self._store_down_logged = False

    def cache(self, app_id: str, secret: str) -> TokenCache:
        self._secrets[app_id] = secret
        if app_id not in self._caches:
            async def fetch() -> tuple[str, float]:
                cache = self._caches[app_id]
                refused, cache.refused = cache.refused, None
                if not self.shared:
                    return await self._fetch(app_id)
                return await self._shared(app_id, refused)

            self._caches[app_id] = _AppTokens(fetch, clock=self.clock, margin=self.margin)
        return self._caches[app_id]

    # ---- the shared token (models.tokens) ------------------------------------------------------

    async def _shared(self, app_id: str, refused: str | None) -> tuple[str, float]:
        try:
            return await self._through_store(app_id, refused)
        except _StoreDown as exc:
            if not self._store_down_logged:
                self._store_down_logged = True
                log.warning("WeChat tokens: the shared store is unavailable (%s); fetching directly", exc)
            return await self._fetch(app_id)

    async def _through_store(self, app_id: str, refused: str | None) -> tuple[str, float]:
        owner = secrets.token_hex(8)
        polls, ensured = 0, False
        max_polls = max(1, math.ceil(self.wait / self.poll)) if self.poll > 0 else 1
        while True:
            now = self.now().astimezone(UTC)
            row = await _db(partial(WechatToken.get_or_none, app_id=app_id))
            if row is None:
                if ensured:
                    raise _StoreDown("no row after insert")
                await _db(partial(WechatToken.ensure, app_id))
                ensured = True
                continue
            token = self._open(app_id, row.token)
            left = (row.expires_at - now).total_seconds() if row.expires_at is not None else 0.0
            if token is not None and token == refused:
                await _db(partial(WechatToken.invalidate, app_id, row.generation, now=now))
            elif token is not None and left > self.margin:
                self.read_shared += 1
                return token, left
            until = now + timedelta(seconds=self.lease)
            if await _db(partial(WechatToken.claim, app_id, row.generation, owner, now=now, until=until)):
                return await self._fetch_and_store(app_id, row.generation, owner)
            if polls >= max_polls:  # the lease holder is slow or gone: fetch rather than fail
                self.waited_out += 1
                return await self._fetch_and_store(app_id, row.generation, None)
            polls += 1
            await asyncio.sleep(self.poll)

    async def _fetch_and_store(self, app_id: str, generation: int, owner: str | None) -> tuple[str, float]:
        try:
            token, valid_for = await self._fetch(app_id)
        except BaseException:
            if owner is not None:
                with contextlib.suppress(_StoreDown):
                    await _db(partial(WechatToken.release, app_id, owner))
            raise
        now = self.now().astimezone(UTC)
        try:  # stored unless another instance stored one meanwhile (then it is the newer one)
            await _db(partial(WechatToken.store, app_id, generation, self._seal(app_id, token), now=now,
                             expires_at=now + timedelta(seconds=valid_for)))
        except _StoreDown as exc:
            log.warning("WeChat tokens: a fetched token was not stored (%s)", exc)
        return token, valid_for

    def _key(self, app_id: str) -> bytes:
        secret = self._secrets[app_id].encode()
        return hmac.new(secret, b"xmt-bot wechat access_token " + app_id.encode(), hashlib.sha256).digest()

    def _seal(self, app_id: str, token: str) -> str:
        nonce = os.urandom(12)
        sealed = nonce + AESGCM(self._key(app_id)).encrypt(nonce, token.encode(), app_id.encode())
        return base64.urlsafe_b64encode(sealed).decode("ascii")

    def _open(self, app_id: str, sealed: str) -> str | None:
        """The stored token, or None (none stored, or sealed under another secret)."""
        if not sealed:
            return None
        try:
            raw = base64.urlsafe_b64decode(sealed.encode("ascii"))
            return AESGCM(self._key(app_id)).decrypt(raw[:12], raw[12:], app_id.encode()).decode()
        except (InvalidTag, ValueError):
            return None

    # ---- WeChat ----------------------------------------------------------------------------------

    async def _fetch(self, app_id: str) -> tuple[str, float]:
        path = "/cgi-bin/token"
        params = {"grant_type": "client_credential", "appid": app_id, "secret": self._secrets[app_id]}
        data = await _json(self.http, "GET", self.api_base, path, params=params)
        code = int(data.get("errcode", 0) or 0) if isinstance(data, dict) else -1
        if code == 0 and isinstance(data, dict) and isinstance(data.get("access_token"), str):
            self.fetched += 1
            return data["access_token"], float(data.get("expires_in", 7200))
        if code == 45009:  # the token's own daily quota
            raise Throttled(f"WeChat {path}: frequency limit", retry_after=60.0)
        if code in TOKEN_ERRORS or code in MISCONFIGURED:  # here 40001 is the secret
            raise WechatTokenError(f"WeChat {path}: errcode {code}", errcode=code,
                                   errmsg=str(data.get("errmsg", "")) if isinstance(data, dict) else "")
        raise DeliveryError(f"WeChat {path}: errcode {code}")


async def _json(http: HttpClient, method: str, base: str, path: str, **kw: Any) -> Any:
    """WeChat's answer to one call through ``http``'s session, decoded (any JSON: the caller
    reads ``errcode``; a non-zero one is counted in the figures); a network failure, a 5xx or a
    body that is not JSON is a ``DeliveryError`` (retried). The URL is never in the message: it
    carries the token or the secret."""
    try:
        with http.measured(path):
            async with http.session.request(method, base + path, **kw) as resp:
                if resp.status >= 500:
                    http.api_error(f"http_{resp.status}")
                    raise DeliveryError(f"WeChat {path}: HTTP {resp.status}")
                data = await resp.json(content_type=None)
    except (OSError, TimeoutError, ValueError) as exc:
        raise DeliveryError(f"WeChat {path}: {type(exc).__name__}") from None
    http.api_error(data.get("errcode") if isinstance(data, dict) else "answer")
    return data


class WechatMPChannel(HttpClient):
    name = NAME
    platform = "wechat"

    def __init__(self, api_base: str, *, timeout: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(timeout)
        self.api_base = api_base.rstrip("/")
        self.clock = clock
        self.tokens = WechatTokens(self, self.api_base, clock=clock)

    def person_address(self, person: Person) -> str | None:
        return None

    def group_address(self, department: Department) -> str | None:
        return None

    def _cache(self, app_id: str, secret: str) -> TokenCache:
        return self.tokens.cache(app_id, secret)

    async def _call(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        data = await _json(self, method, self.api_base, path, **kw)
        code = int(data.get("errcode", 0) or 0) if isinstance(data, dict) else -1
        if code == 0:
            return data if isinstance(data, dict) else {}
        if code == -1:
            raise DeliveryError(f"WeChat {path}: system busy")
        if code == 45009:
            raise Throttled(f"WeChat {path}: frequency limit", retry_after=60.0)
        if code in TOKEN_ERRORS:
            raise WechatTokenRefused(f"WeChat {path}: access token refused (errcode {code})")
        if code in MISCONFIGURED:
            raise ConfigurationError(f"WeChat {path}: errcode {code}")
        if code in REFUSED:
            raise PermanentDeliveryError(f"WeChat {path}: errcode {code}")
        raise DeliveryError(f"WeChat {path}: errcode {code}")

    async def send(self, address: str, message: Message, *, key: str,
                   maybe_sent: bool = False) -> dict[str, Any]:
        account_id, _, openid = address.partition(":")
        account = await Account.get_or_none(id=int(account_id)) if account_id.isdigit() else None
        settings = account.wechat if account else {}
        if not settings.get("app_id") or not settings.get("app_secret"):
            raise PermanentDeliveryError("WeChat: no app_id/app_secret for this account")
        if isinstance(message, (Card, Document)):
            raise PermanentDeliveryError("WeChat: only texts are relayed to followers")
        tokens = self._cache(settings["app_id"], settings["app_secret"])
        async def attempt(token: str) -> dict[str, Any]:
            await self._call("POST", "/cgi-bin/message/custom/send", params={"access_token": token},
                             json={"touser": openid, "msgtype": "text", "text": {"content": message.text}})
            return {}

        return await with_renewal(tokens, attempt)

    async def update_card(self, address: str, ref: dict[str, Any], card: Card, *,
                          maybe_sent: bool = False) -> None:
        raise CardGone("followers get no cards")
