"""Relaying answers to a WeChat official account's follower through the customer-service message
API (``/cgi-bin/message/custom/send``), possible for 48 hours after the follower's last message
(errcode 45015 after that). Addresses are ``<account id>:<openid>``; each account's AppID and
secret come from the organisation file, and each gets its own cached access token."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bot.cards import Card, Document, Message
from bot.channels.base import CardGone, DeliveryError, PermanentDeliveryError, Throttled
from bot.channels.common import HttpClient, TokenCache
from models import Account, Department, Person

NAME = "wechat"
WINDOW_CLOSED = 45015


class WechatMPChannel(HttpClient):
    name = NAME

    def __init__(self, api_base: str, *, timeout: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(timeout)
        self.api_base = api_base.rstrip("/")
        self.clock = clock
        self._tokens: dict[str, TokenCache] = {}

    def person_address(self, person: Person) -> str | None:
        return None

    def group_address(self, department: Department) -> str | None:
        return None

    def _cache(self, app_id: str, secret: str) -> TokenCache:
        async def fetch() -> tuple[str, float]:
            data = await self._call("GET", "/cgi-bin/token", params={
                "grant_type": "client_credential", "appid": app_id, "secret": secret})
            return str(data["access_token"]), float(data.get("expires_in", 7200))

        if app_id not in self._tokens:
            self._tokens[app_id] = TokenCache(fetch, clock=self.clock, margin=300.0)
        return self._tokens[app_id]

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
        raise PermanentDeliveryError(f"WeChat {path}: errcode {code}")

    async def send(self, address: str, message: Message, *, key: str) -> dict[str, Any]:
        account_id, _, openid = address.partition(":")
        account = await Account.get_or_none(id=int(account_id)) if account_id.isdigit() else None
        settings = account.wechat if account else {}
        if not settings.get("app_id") or not settings.get("app_secret"):
            raise PermanentDeliveryError("WeChat: no app_id/app_secret for this account")
        if isinstance(message, (Card, Document)):
            raise PermanentDeliveryError("WeChat: only texts are relayed to followers")
        tokens = self._cache(settings["app_id"], settings["app_secret"])
        for attempt in (1, 2):
            token = await tokens.get()
            try:
                await self._call("POST", "/cgi-bin/message/custom/send", params={"access_token": token},
                                 json={"touser": openid, "msgtype": "text",
                                       "text": {"content": message.text}})
                return {}
            except PermanentDeliveryError as exc:
                if attempt == 1 and any(f"errcode {c}" in str(exc) for c in (40001, 40014, 42001)):
                    tokens.drop(token)
                    continue
                raise
        raise AssertionError("unreachable")

    async def update_card(self, address: str, ref: dict[str, Any], card: Card) -> None:
        raise CardGone("followers get no cards")
