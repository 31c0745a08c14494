"""Async WeCom API client (aiohttp). Doc pages 91039 (gettoken), 90455 (error codes), 90312
(limits). wechatpy's client is built on blocking ``requests``, so it is not used.

Error policy, expressed as the outbox's exceptions (``bot.channels.base``). The rule: only an
answer that no retry can change dead-letters; everything else is retried with backoff and dies
only after ``outbox_max_attempts`` (so a message survives an outage of minutes, not of days).
- 40014 / 41001 / 42001 (token invalid, missing, expired): drop the cached token, fetch a new
  one, retry at once (``bot.channels.tokens``). If the new token is refused too, WeCom is having a
  bad moment (a 42001 can last tens of seconds after a token was rotated): temporary
  (``DeliveryError``), the outbox backs off and the next attempt renews again. Treating it as
  permanent once lost 140 of 640 messages in a 20-second 42001 window.
- -1 (busy), 45033 (too many concurrent calls), HTTP 5xx, network errors, timeouts, an answer
  that is not JSON: temporary.
- 45009 (frequency limit): ``Throttled`` for 60 s — not a failed attempt.
- ``MISCONFIGURED`` (40001 / 40091 bad secret, 40013 bad corpid, 40056 bad agentid, 41002 /
  41004 / 41011 missing corpid, secret, agentid, 48002 API not permitted, 60020 IP not trusted,
  HTTP 4xx other than 429: a wrong API base): ``ConfigurationError``. An admin must fix it, no
  retry will; the message is dead-lettered with an alert, and a dead-letter notice waits for the
  fix. A refused secret also pauses ``gettoken`` for ``SECRET_PAUSE`` seconds: WeCom bans the
  calling IP for an hour after repeated wrong secrets, so we must not ask again per message.
- ``REFUSED`` (40003 invalid userid, 60011 / 81013 recipient outside the app's visibility,
  82001 no valid recipient, 40008 bad msgtype, 40058 invalid parameter, 44004 empty content,
  45002 content too long, 47001 malformed body, 42014 task_id used or invalid, 86001 bad chatid,
  93000 bad robot key, 40005 / 40006 / 40007 / 40009 / 40011 / 44001 bad media): permanent
  (``WeComRefused``), dead-lettered with a notice. The same request would be refused again.
- any other errcode: temporary, counted (``WeComApiError``). An unknown code is more likely a
  new transient condition than a verdict on the message, and the attempt cap bounds the cost;
  a wrong guess the other way loses the message for good.

``WeComApiError`` (every errcode answer that is not busy, throttle or token) carries ``errcode``
so the channel can read 42014 on a card resend and refusals of a card update.
Messages never contain the URL: it carries the access token.

Directory calls (``userid_by_mobile``, ``department_list``, ``user_list``, ``user_get``; issue 16,
``docs/directory.md``) use the same ``call()`` and token renewal but read the errcode themselves
(``check=False``) and raise the directory's errors (``bot.directory``) instead of the outbox's:
45009 / 45033 → ``DirectoryThrottled``; 48002 (API not permitted), 60011 (outside the app's
visible range), 60020 (IP not trusted), 50002 → ``NoPermission``; 46004 / 60111 (no such user) →
``None`` where a lookup can miss; any other errcode, a refused secret, a network error →
``DirectoryError`` carrying the code.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import aiohttp

from bot.channels.base import ConfigurationError, DeliveryError, PermanentDeliveryError, Throttled
from bot.channels.common import HttpClient
from bot.channels.tokens import TokenCache, TokenRefused, with_renewal
from bot.directory import DirectoryError, DirectoryThrottled, NoPermission

TOKEN_ERRORS = frozenset({40014, 41001, 42001})
BUSY, CONCURRENCY, FREQUENCY = -1, 45033, 45009
MISCONFIGURED = frozenset({40001, 40091, 40013, 40056, 41002, 41004, 41011, 48002, 60020})
REFUSED = frozenset({40003, 60011, 81013, 82001, 40008, 40058, 44004, 45002, 47001, 42014, 86001,
                     93000, 40005, 40006, 40007, 40009, 40011, 44001})
TOKEN_MARGIN = 300.0  # refresh this many seconds before expires_in runs out
TIMEOUT = 10.0  # well under the outbox lease, so a slow call is never delivered twice
SECRET_PAUSE = 300.0  # after gettoken refused the secret, do not ask again for this long
#: Directory answers (90313 global codes): not found, no permission, rate limits.
NO_SUCH_USER = frozenset({46004, 60111})  # 指定的用户不存在 / UserID不存在
NO_PERMISSION = frozenset({48002, 60011, 60020, 50002})  # API 无权限 / 成员部门无权限 / IP / 权限范围
DIRECTORY_THROTTLED = frozenset({FREQUENCY, CONCURRENCY})


class WeComApiError(DeliveryError):
    """An errcode answer: temporary unless it is one of the subclasses below."""

    def __init__(self, path: str, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeCom {path}: errcode {errcode} {errmsg}")
        self.errcode = errcode


class WeComRefused(WeComApiError, PermanentDeliveryError):
    """The request itself is refused (``REFUSED``): sending it again cannot help."""


class WeComMisconfigured(WeComApiError, ConfigurationError):
    """Our configuration is refused (``MISCONFIGURED``): an administrator must fix it."""


class WeComClient(HttpClient):
    platform = "wecom"

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
        self._secret_refused: tuple[float, WeComMisconfigured] | None = None

    def __repr__(self) -> str:  # never show the secret
        return f"WeComClient(corp_id={self.corp_id!r})"

    # -- token --------------------------------------------------------------------------------
    async def token(self) -> str:
        """The cached access token; one ``gettoken`` call however many callers wait for it."""
        return await self._tokens.get()

    async def _fetch_token(self) -> tuple[str, float]:
        if self._secret_refused is not None:
            until, error = self._secret_refused
            if self.clock() < until:
                raise error
            self._secret_refused = None
        data = await self._request("GET", "gettoken", params={
            "corpid": self.corp_id, "corpsecret": self._secret})
        try:
            self._check("gettoken", data)
        except WeComMisconfigured as exc:
            self._secret_refused = (self.clock() + SECRET_PAUSE, exc)
            raise
        if not data.get("access_token"):
            raise DeliveryError("WeCom gettoken: no access_token in the answer")
        return str(data["access_token"]), float(data.get("expires_in", 7200))

    # -- calls --------------------------------------------------------------------------------
    async def call(self, path: str, *, json: Any = None, params: dict[str, str] | None = None,
                   data: Any = None, method: str = "POST", check: bool = True) -> dict[str, Any]:
        """An authenticated API call; a rejected token is renewed and the call retried once, a
        second refusal is temporary (the outbox backs off and renews again). ``check=False``
        returns an errcode answer (other than a token refusal) instead of raising."""
        async def attempt(token: str) -> dict[str, Any]:
            result = await self._request(method, path, params={**(params or {}),
                                                               "access_token": token},
                                         json=json, data=data)
            if result.get("errcode") in TOKEN_ERRORS:
                raise TokenRefused(f"WeCom {path}: access token refused after renewal "
                                   f"(errcode {result.get('errcode')})")
            if check:
                self._check(path, result)
            return result

        return await with_renewal(self._tokens, attempt)

    async def _request(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        try:
            with self.measured(path):
                async with self.session.request(method, self.base + path, **kw) as resp:
                    if resp.status != 200:
                        self.api_error(f"http_{resp.status}")
                    if resp.status >= 500 or resp.status == 429:
                        raise DeliveryError(f"WeCom {path}: HTTP {resp.status}")
                    if resp.status != 200:  # a wrong API base, or a proxy in the way
                        raise ConfigurationError(f"WeCom {path}: HTTP {resp.status}")
                    result = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise DeliveryError(f"WeCom {path}: {type(exc).__name__}") from None
        if not isinstance(result, dict):
            raise DeliveryError(f"WeCom {path}: unexpected answer")
        self.api_error(result.get("errcode"))
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
        if code in MISCONFIGURED:
            raise WeComMisconfigured(path, code, message)
        if code in REFUSED:
            raise WeComRefused(path, code, message)
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
        async def attempt(token: str) -> tuple[bytes, str, str]:
            try:
                with self.measured("media/get"):
                    async with self.session.get(self.base + "media/get", params={
                            "access_token": token, "media_id": media_id}) as resp:
                        if resp.status >= 500:
                            self.api_error(f"http_{resp.status}")
                            raise DeliveryError(f"WeCom media/get: HTTP {resp.status}")
                        ctype = resp.headers.get("Content-Type", "")
                        if ctype.startswith(("application/json", "text/plain")):
                            result = await resp.json(content_type=None)
                            self.api_error(result.get("errcode"))
                            if result.get("errcode") in TOKEN_ERRORS:
                                raise TokenRefused("WeCom media/get: access token refused after renewal")
                            self._check("media/get", result)
                        payload = await resp.read()
                        disposition = resp.headers.get("Content-Disposition", "")
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise DeliveryError(f"WeCom media/get: {type(exc).__name__}") from None
            name = disposition.split("filename=", 1)[1].strip('"; ') if "filename=" in disposition \
                else media_id
            return payload, ctype.split(";")[0] or "application/octet-stream", name

        return await with_renewal(self._tokens, attempt)

    # -- directory (通讯录, issue 16) -----------------------------------------------------------
    async def _directory(self, path: str, *, json: Any = None, params: dict[str, str] | None = None,
                         method: str = "GET", missing_ok: bool = False) -> dict[str, Any] | None:
        """A directory call; errors become ``bot.directory``'s. ``missing_ok``: 46004 / 60111 (no
        such user) answer None instead of raising."""
        try:
            result = await self.call(path, json=json, params=params, method=method, check=False)
        except WeComApiError as exc:  # gettoken refused our corpid or secret
            raise DirectoryError(str(exc), code=str(exc.errcode)) from None
        except DeliveryError as exc:  # network, HTTP 5xx, not JSON, a token refused twice
            raise DirectoryError(str(exc)) from None
        code = int(result.get("errcode", 0) or 0)
        if code == 0:
            return result
        message = f"WeCom {path}: errcode {code} {str(result.get('errmsg', ''))[:200]}"
        if missing_ok and code in NO_SUCH_USER:
            return None
        if code in DIRECTORY_THROTTLED:
            raise DirectoryThrottled(message, code=str(code))
        if code in NO_PERMISSION:
            raise NoPermission(message, code=str(code))
        raise DirectoryError(message, code=str(code))

    async def userid_by_mobile(self, mobile: str) -> str | None:
        """``user/getuserid`` (docs/directory.md): the userid of the member with this mobile, or None when
        WeCom knows no such member the app may see (46004 / 60111, or 60011 for a member outside
        the visible range: the doc names no code, both are read as "not found")."""
        try:
            result = await self._directory("user/getuserid", json={"mobile": mobile},
                                           method="POST", missing_ok=True)
        except NoPermission as exc:
            if exc.code == "60011":
                return None
            raise
        if result is None or not result.get("userid"):
            return None
        return str(result["userid"])

    async def department_list(self, department_id: str | None = None) -> list[dict[str, Any]]:
        """``department/list``: the departments in the app's visible range (all of them, or
        ``department_id`` and everything under it): id, name, parentid, order…"""
        params = {"id": department_id} if department_id else None
        result = await self._directory("department/list", params=params)
        assert result is not None
        return [d for d in result.get("department") or [] if isinstance(d, dict)]

    async def user_list(self, department_id: str) -> list[dict[str, Any]]:
        """``user/list``: the members directly in one department, with the fields the app
        may read (mobile, email, avatar… are not returned to apps created after 2022-06-20)."""
        result = await self._directory("user/list", params={"department_id": department_id})
        assert result is not None
        return [u for u in result.get("userlist") or [] if isinstance(u, dict)]

    async def user_get(self, userid: str) -> dict[str, Any] | None:
        """``user/get``: one member, or None when WeCom knows no such userid."""
        return await self._directory("user/get", params={"userid": userid}, missing_ok=True)
