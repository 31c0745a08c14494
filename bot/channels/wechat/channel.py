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

One access token per AppID in the process (``WechatTokens``): WeChat invalidates an AppID's
previous token when a new one is fetched, so two caches for one AppID would keep knocking each
other's token out (a 40001 storm). The channel owns the registry; the publisher
(``bot.channels.wechat.publish``) is given the channel's (``WechatPublisher(tokens=channel.tokens)``).
A refusal of ``/cgi-bin/token`` itself is a ``WechatTokenError`` (a ``ConfigurationError`` that
keeps the errcode, so the publisher can say "add this server's IP to the allow-list" for 40164).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bot.cards import Card, Document, Message
from bot.channels.base import CardGone, ConfigurationError, DeliveryError, PermanentDeliveryError, Throttled
from bot.channels.common import HttpClient
from bot.channels.tokens import TokenCache, TokenRefused, with_renewal
from models import Account, Department, Person

NAME = "wechat"
WINDOW_CLOSED = 45015
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
REFUSED = frozenset({WINDOW_CLOSED, 45047, 40003, 44002, 44004, 45002, 40008})
MISCONFIGURED = frozenset({40013, 40125, 40164, 61004, 48001})


class WechatTokenRefused(TokenRefused):
    pass


class WechatTokenError(ConfigurationError):
    """``/cgi-bin/token`` refused the AppID, the secret or this server (``errcode``: 40001 / 40125
    the secret, 40013 the AppID, 40164 / 61004 an IP not on the allow-list…)."""

    def __init__(self, message: str, *, errcode: int, errmsg: str = "") -> None:
        super().__init__(message)
        self.errcode = errcode
        self.errmsg = errmsg[:300]  # WeChat's words ("invalid ip 203.0.113.7 …, not in whitelist")


class WechatTokens:
    """The process's access tokens, one ``TokenCache`` per AppID, shared by every client of the
    official-account API (the channel, the publisher). Fetches go through ``http``'s session; the
    newest secret given for an AppID is the one used at its next fetch."""

    def __init__(self, http: HttpClient, api_base: str, *, clock: Callable[[], float]) -> None:
        self.http = http
        self.api_base = api_base.rstrip("/")
        self.clock = clock
        self._caches: dict[str, TokenCache] = {}
        self._secrets: dict[str, str] = {}
        self.fetched = 0  # tokens fetched so far (tests, metrics)

    def cache(self, app_id: str, secret: str) -> TokenCache:
        self._secrets[app_id] = secret
        if app_id not in self._caches:
            async def fetch() -> tuple[str, float]:
                return await self._fetch(app_id)

            self._caches[app_id] = TokenCache(fetch, clock=self.clock, margin=300.0)
        return self._caches[app_id]

    async def _fetch(self, app_id: str) -> tuple[str, float]:
        path = "/cgi-bin/token"
        params = {"grant_type": "client_credential", "appid": app_id, "secret": self._secrets[app_id]}
        try:
            async with self.http.session.get(self.api_base + path, params=params) as resp:
                if resp.status >= 500:
                    raise DeliveryError(f"WeChat {path}: HTTP {resp.status}")
                data = await resp.json(content_type=None)
        except (OSError, TimeoutError, ValueError) as exc:
            raise DeliveryError(f"WeChat {path}: {type(exc).__name__}") from None
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


class WechatMPChannel(HttpClient):
    name = NAME

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
        try:
            async with self.session.request(method, self.api_base + path, **kw) as resp:
                if resp.status >= 500:
                    raise DeliveryError(f"WeChat {path}: HTTP {resp.status}")
                data = await resp.json(content_type=None)
        except (OSError, TimeoutError, ValueError) as exc:
            raise DeliveryError(f"WeChat {path}: {type(exc).__name__}") from None
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
