"""Async WeCom API client (aiohttp). Doc pages 91039 (gettoken), 90455 (error codes), 90312
(limits). wechatpy's client is built on blocking ``requests``, so it is not used.

Error policy (protocols/wecom.md §4), expressed as the outbox's exceptions:
- 40014 / 41001 / 42001 (token invalid, missing, expired): drop the cached token, fetch a new
  one, retry once; a second refusal is permanent.
- -1 (busy), 45033 (too many concurrent calls), HTTP 5xx, network errors, timeouts: temporary
  (``DeliveryError``), the outbox backs off.
- 45009 (frequency limit): ``Throttled`` for 60 s — not a failed attempt.
- anything else (40001 bad secret, 42014 task id used, 60020 IP not trusted, …): permanent
  (``WeComApiError``), dead-lettered with a notice to the Information Center.
Messages never contain the URL: it carries the access token.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import aiohttp

from bot.channels.base import DeliveryError, PermanentDeliveryError, Throttled
from bot.channels.common import HttpClient, TokenCache

TOKEN_ERRORS = frozenset({40014, 41001, 42001})
BUSY, CONCURRENCY, FREQUENCY = -1, 45033, 45009
TOKEN_MARGIN = 300.0  # refresh this many seconds before expires_in runs out
TIMEOUT = 10.0  # well under the outbox lease, so a slow call is never delivered twice


class WeComApiError(PermanentDeliveryError):
    def __init__(self, path: str, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeCom {path}: errcode {errcode} {errmsg}")
        self.errcode = errcode


class WeComClient(HttpClient):
    def __init__(
        self, *, base: str, corp_id: str, secret: str, timeout: float = TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base = base.rstrip("/") + "/cgi-bin/"
        self.corp_id = corp_id
        self._secret = secret
        super().__init__(timeout)
        self.clock = clock
        self._tokens = TokenCache(self._fetch_token, clock=clock, margin=TOKEN_MARGIN)

    def __repr__(self) -> str:  # never show the secret
        return f"WeComClient(corp_id={self.corp_id!r})"

    # -- token --------------------------------------------------------------------------------
    async def token(self) -> str:
        """The cached access token; one ``gettoken`` call however many callers wait for it."""
        return await self._tokens.get()

    async def _fetch_token(self) -> tuple[str, float]:
        data = await self._request("GET", "gettoken", params={
            "corpid": self.corp_id, "corpsecret": self._secret})
        self._check("gettoken", data)
        return str(data["access_token"]), float(data.get("expires_in", 7200))

    def _drop_token(self, stale: str) -> None:
        self._tokens.drop(stale)

    # -- calls --------------------------------------------------------------------------------
    async def call(self, path: str, *, json: Any = None, params: dict[str, str] | None = None,
                   data: Any = None, method: str = "POST") -> dict[str, Any]:
        """An authenticated API call; a rejected token is refreshed and the call retried once."""
        for attempt in (1, 2):
            token = await self.token()
            result = await self._request(method, path, params={**(params or {}),
                                                               "access_token": token},
                                         json=json, data=data)
            if result.get("errcode") in TOKEN_ERRORS:
                self._drop_token(token)
                if attempt == 1:
                    continue
            self._check(path, result)
            return result
        raise AssertionError("unreachable")

    async def _request(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        try:
            async with self.session.request(method, self.base + path, **kw) as resp:
                if resp.status >= 500:
                    raise DeliveryError(f"WeCom {path}: HTTP {resp.status}")
                if resp.status != 200:
                    raise PermanentDeliveryError(f"WeCom {path}: HTTP {resp.status}")
                result = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise DeliveryError(f"WeCom {path}: {type(exc).__name__}") from None
        if not isinstance(result, dict):
            raise DeliveryError(f"WeCom {path}: unexpected answer")
        return result

    @staticmethod
    def _check(path: str, result: dict[str, Any]) -> None:
        code = int(result.get("errcode", 0) or 0)
        if code == 0:
            return
        message = str(result.get("errmsg", ""))[:200]
        if code == FREQUENCY:
            raise Throttled(f"WeCom {path}: frequency limit", retry_after=60.0)
        if code == CONCURRENCY:
            raise DeliveryError(f"WeCom {path}: too many concurrent calls", retry_after=2.0)
        if code == BUSY:
            raise DeliveryError(f"WeCom {path}: system busy")
        raise WeComApiError(path, code, message)

    # -- endpoints ----------------------------------------------------------------------------
    async def send(self, body: dict[str, Any]) -> dict[str, Any]:
        result = await self.call("message/send", json=body)
        if result.get("invaliduser"):
            raise PermanentDeliveryError(f"WeCom message/send: unknown user {result['invaliduser']}")
        return result

    async def update_card(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self.call("message/update_template_card", json=body)

    async def appchat_send(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self.call("appchat/send", json=body)

    async def webhook_send(self, key: str, body: dict[str, Any]) -> dict[str, Any]:
        """The group robot: authenticated by its key, no access token."""
        result = await self._request("POST", "webhook/send", params={"key": key}, json=body)
        self._check("webhook/send", result)
        return result

    async def media_upload(self, kind: str, filename: str, payload: bytes) -> str:
        form = aiohttp.FormData(quote_fields=False)  # keep Chinese file names readable
        form.add_field("media", payload, filename=filename)
        result = await self.call("media/upload", params={"type": kind}, data=form)
        return str(result["media_id"])

    async def media_get(self, media_id: str) -> tuple[bytes, str, str]:
        """(bytes, content type, file name) of a media id; errors come back as JSON (90254)."""
        for attempt in (1, 2):
            token = await self.token()
            try:
                async with self.session.get(self.base + "media/get", params={
                        "access_token": token, "media_id": media_id}) as resp:
                    if resp.status >= 500:
                        raise DeliveryError(f"WeCom media/get: HTTP {resp.status}")
                    ctype = resp.headers.get("Content-Type", "")
                    if ctype.startswith(("application/json", "text/plain")):
                        result = await resp.json(content_type=None)
                        if result.get("errcode") in TOKEN_ERRORS and attempt == 1:
                            self._drop_token(token)
                            continue
                        self._check("media/get", result)
                    payload = await resp.read()
                    disposition = resp.headers.get("Content-Disposition", "")
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise DeliveryError(f"WeCom media/get: {type(exc).__name__}") from None
            name = disposition.split("filename=", 1)[1].strip('"; ') if "filename=" in disposition \
                else media_id
            return payload, ctype.split(";")[0] or "application/octet-stream", name
        raise PermanentDeliveryError("WeCom media/get: token refused twice")
