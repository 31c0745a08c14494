"""Async DingTalk API client (aiohttp). Pages obtain-the-access-token-of-an-internal-app,
server-api-error-codes-1, how-to-process-api-throttling-on-the-dingtalk-server.

Error policy (protocols/dingtalk.md §4) as the outbox's exceptions:
- HTTP 401 / ``InvalidAuthentication``: drop the cached token, fetch a new one, retry once.
- 403 ``…QpsLimit…`` (20 QPS per app per API): ``Throttled`` 1 s — not a failed attempt;
  ``{"status": 1111, "wait": …}`` (IP over 10,000 calls / 20 s): ``Throttled`` 5 minutes.
- 5xx, 429, ``system.busy``, network errors, timeouts: ``DeliveryError`` (backoff).
- custom robot 410100 / 130101 (over 20 a minute): ``Throttled`` 10 minutes.
- anything else (``param.*``, 310000 bad sign, 400101 no such robot, quota used up): permanent
  (``DingTalkApiError``), dead-lettered with a notice.
Messages never contain a URL (tokens and robot signatures travel in them).

Files (``upload``) go through the older ``oapi.dingtalk.com/media/upload`` (the new API has no
upload a robot message can name): the same app access token in the query string, the bytes in the
multipart field ``media``; it answers ``{"errcode": 0, "media_id": "@lA…"}``. A refused token
(40014 / 42001) is renewed once; -1 and 5xx are retried with backoff; a file over 20 MB is refused
before it is sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import aiohttp

from bot.channels.base import DeliveryError, PermanentDeliveryError, Throttled
from bot.channels.common import HttpClient, TokenCache

TOKEN_MARGIN = 600.0  # refresh about 10 minutes before expiry (the doc's advice)
TIMEOUT = 10.0
ROBOT_BLOCKED = frozenset({410100, 130101})
TOKEN_REFUSED = frozenset({40014, 42001})  # oapi: invalid / expired access_token
UPLOAD_MAX = 20 * 2**20  # media/upload, type=file


class DingTalkApiError(PermanentDeliveryError):
    def __init__(self, what: str, code: str, detail: str = "") -> None:
        # DingTalk's message names e.g. the missing permission: worth showing to the admins.
        super().__init__(f"DingTalk {what}: {code}" + (f" ({detail[:160]})" if detail else ""))
        self.code = code


class DingTalkClient(HttpClient):
    def __init__(self, *, api_base: str, app_key: str, app_secret: str, timeout: float = TIMEOUT,
                 clock: Callable[[], float] = time.monotonic,
                 oapi_base: str = "https://oapi.dingtalk.com") -> None:
        self.api_base = api_base.rstrip("/")
        self.oapi_base = oapi_base.rstrip("/")
        self.app_key = app_key
        self._secret = app_secret
        super().__init__(timeout)
        self._tokens = TokenCache(self._fetch_token, clock=clock, margin=TOKEN_MARGIN)

    def __repr__(self) -> str:
        return f"DingTalkClient(app_key={self.app_key!r})"

    async def _fetch_token(self) -> tuple[str, float]:
        status, data = await self._send("POST", self.api_base + "/v1.0/oauth2/accessToken", "token",
                                        json={"appKey": self.app_key, "appSecret": self._secret})
        if status != 200 or "accessToken" not in data:
            self._raise("oauth2/accessToken", status, data)
        return str(data["accessToken"]), float(data.get("expireIn", 7200))

    async def _send(self, method: str, url: str, what: str, **kw: Any) -> tuple[int, dict[str, Any]]:
        try:
            async with self.session.request(method, url, **kw) as resp:
                try:
                    data = await resp.json(content_type=None)
                except ValueError:
                    data = {}
                return resp.status, data if isinstance(data, dict) else {}
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"DingTalk {what}: {type(exc).__name__}") from None

    @staticmethod
    def _raise(what: str, status: int, data: dict[str, Any]) -> None:
        code = str(data.get("code") or data.get("errcode") or f"HTTP {status}")
        if data.get("status") == 1111:
            raise Throttled(f"DingTalk {what}: IP call limit", retry_after=300.0)
        if "QpsLimit" in code or code in ("90018", "90002"):
            raise Throttled(f"DingTalk {what}: {code}", retry_after=1.0)
        if status >= 500 or status == 429 or code in ("system.busy", "-1"):
            raise DeliveryError(f"DingTalk {what}: {code}")
        raise DingTalkApiError(what, code, str(data.get("message") or data.get("errmsg") or ""))

    async def api(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """A call on api.dingtalk.com with the app's token; a refused token is renewed once."""
        for attempt in (1, 2):
            token = await self._tokens.get()
            status, data = await self._send(method, self.api_base + path, path, json=body,
                                            headers={"x-acs-dingtalk-access-token": token})
            if status == 401 and attempt == 1:
                self._tokens.drop(token)
                continue
            if status != 200:
                self._raise(path, status, data)
            return data
        raise AssertionError("unreachable")

    async def webhook(self, url: str, body: dict[str, Any], what: str) -> None:
        """POST the custom-robot JSON to a sessionWebhook or a signed custom-robot URL."""
        status, data = await self._send("POST", url, what, json=body)
        code = int(data.get("errcode", 0) or 0) if str(data.get("errcode", "0")).lstrip("-").isdigit() \
            else -2
        if status == 200 and code == 0:
            return
        if code in ROBOT_BLOCKED:
            raise Throttled(f"DingTalk {what}: {code} (20 a minute)", retry_after=600.0)
        if status >= 500 or code == -1:
            raise DeliveryError(f"DingTalk {what}: {code if status == 200 else status}")
        raise DingTalkApiError(what, str(code if status == 200 else f"HTTP {status}"))

    async def upload(self, name: str, data: bytes, mime: str) -> str:
        """Upload a file for a robot message (``msgKey: sampleFile``); returns its media id."""
        if len(data) > UPLOAD_MAX:
            raise PermanentDeliveryError(f"DingTalk media/upload: {len(data)} bytes, over 20 MB")
        for attempt in (1, 2):
            token = await self._tokens.get()
            form = aiohttp.FormData(quote_fields=False)  # keep Chinese file names readable
            form.add_field("media", data, filename=name, content_type=mime)
            status, result = await self._send(
                "POST", self.oapi_base + "/media/upload", "media/upload",
                params={"access_token": token, "type": "file"}, data=form)
            code = result.get("errcode")
            if code in TOKEN_REFUSED and attempt == 1:
                self._tokens.drop(token)
                continue
            if status == 200 and code == 0 and result.get("media_id"):
                return str(result["media_id"])
            self._raise("media/upload", status, result)
        raise AssertionError("unreachable")

    async def register_card_callback(self, url: str, route_key: str) -> str:
        """Point card taps of cards sent with ``callbackRouteKey`` at ``url`` (HTTP mode). The app
        secret doubles as the apiSecret that signs each callback (``x-ddpaas-signature``)."""
        data = await self.api("POST", "/v1.0/card/callbacks/register", {
            "apiSecret": self._secret, "callbackUrl": url, "callbackRouteKey": route_key,
            "forceUpdate": True})
        return str((data.get("result") or {}).get("callbackUrl", url))

    async def download(self, download_code: str, robot_code: str) -> tuple[bytes, str]:
        """The bytes of a robot message's file or picture, and their content type."""
        data = await self.api("POST", "/v1.0/robot/messageFiles/download",
                              {"downloadCode": download_code, "robotCode": robot_code})
        url = str(data.get("downloadUrl") or "")
        if not url:
            raise DingTalkApiError("messageFiles/download", "no downloadUrl")
        try:
            async with self.session.get(url) as resp:
                if resp.status != 200:
                    raise DeliveryError(f"DingTalk file download: HTTP {resp.status}")
                return await resp.read(), resp.headers.get("Content-Type", "").split(";")[0]
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"DingTalk file download: {type(exc).__name__}") from None
