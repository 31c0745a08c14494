"""Async DingTalk API client (aiohttp). Pages obtain-the-access-token-of-an-internal-app,
server-api-error-codes-1, how-to-process-api-throttling-on-the-dingtalk-server.

Error policy as the outbox's exceptions (``bot.channels.base``). The rule, as for WeCom: only an
answer no retry can change dead-letters; everything else backs off and dies only after
``outbox_max_attempts``.
- HTTP 401 / ``InvalidAuthentication`` (whatever the status; it has been seen with 400), legacy
  40014 / 42001 on oapi: drop the cached token, fetch a new one, retry at once; refused again:
  temporary (``DeliveryError``), the next attempt renews again (``bot.channels.tokens``).
- flow control is ``Throttled`` (not a failed attempt): 403 ``…QpsLimit…`` and legacy 90018 /
  90002 (20 QPS per app per API) 1 s; ``send.too.fast`` / ``send.byToken.tooFast`` / ``too.many.*``
  60 s; ``{"status": 1111, "wait": …}`` (IP over 10,000 calls / 20 s) 5 minutes; custom robot
  410100 / 130101 (over 20 a minute) 10 minutes.
- 5xx, 429, ``system.busy``, -1, network errors, timeouts: temporary.
- ``MISCONFIGURED`` (``invalidClientIdOrSecret``, any other ``Forbidden.AccessDenied.*`` — a
  missing permission, an IP not allowed —, 90020 / ``ApiCountLimitForOrg`` monthly quota, custom
  robot 310000 sign / keyword / IP refused and 400101–400106 robot unknown or disabled, HTTP 4xx
  from a robot URL): ``ConfigurationError`` (dead letter and alert; a notice waits for the fix).
- ``param.*``, ``Missing*``, ``InvalidParameter``, 400013 group dissolved, 430101–430104 unsafe
  content, 40035 / 40008 / 40004 / 40006 / 41006 malformed: permanent (``DingTalkRefused``).
  (``invalidStaffIdList`` in a batchSend answer is read by the channel: permanent too.)
- any other code: temporary, counted (``DingTalkApiError``): an unknown code is likelier a new
  transient condition than a verdict, and the attempt cap bounds the cost.
Messages never contain a URL (tokens, robot signatures and session keys travel in them).

URLs we did not build: a robot message's ``sessionWebhook`` comes from the callback body, which
only a timestamp/sign pair protects (a captured pair can be replayed with any body within the
freshness window), so it is POSTed to only if it is on the configured oapi origin (scheme, host
and port of ``oapi_base``; real ones are ``https://oapi.dingtalk.com/robot/sendBySession?…``);
the same holds for a group robot's configured webhook. A file's ``downloadUrl`` comes from our own
authenticated ``messageFiles/download`` call and points at DingTalk's file storage, not the API
host (a signed, short-lived URL; Alibaba Cloud OSS style ``?Expires=…&OSSAccessKeyId=…&
Signature=…``): it is fetched only over https from a host under one of ``file_hosts``
(``dingtalk.com``, ``aliyuncs.com`` by default) or on the configured API origins, and redirects
are not followed, so no answer can point the bot at an internal address.

Files (``upload``) go through the older ``oapi.dingtalk.com/media/upload`` (the new API has no
upload a robot message can name): the same app access token in the query string, the bytes in the
multipart field ``media``; it answers ``{"errcode": 0, "media_id": "@lA…"}``. A refused token
(40014 / 42001) is renewed once; -1 and 5xx are retried with backoff; a file over 20 MB is refused
before it is sent.

The directory (通讯录, issue 16; docs/directory-dingtalk.md) is read on oapi's ``topapi``: the
token in the query string, a JSON body, HTTP 200 with ``{"errcode", "errmsg", "result"}``.
``errcode`` 88 is "鉴权异常": the reason is its ``sub_code`` (60011 没有调用该接口的权限), so the
sub_code is read as the code. 40014 / 42001 renew the token once; 60121 (getbymobile: no such
active user in the app's range) is "not found"; 60011 is ``NoPermission``; 90018 / 90002 and the
IP limit are ``DirectoryThrottled``; any other code, a network error or a token refused after
renewal is ``DirectoryError`` with the code. These calls raise the directory's errors, not the
outbox's: nothing of the directory goes through the outbox.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NoReturn

import aiohttp
from yarl import URL

from bot.channels.base import ConfigurationError, DeliveryError, PermanentDeliveryError, Throttled
from bot.channels.common import HttpClient
from bot.channels.tokens import TokenCache, TokenRefused, with_renewal
from bot.directory import DirectoryError, DirectoryThrottled, NoPermission

TOKEN_MARGIN = 600.0  # refresh about 10 minutes before expiry (the doc's advice)
TIMEOUT = 10.0
AUTH_FAILED = "InvalidAuthentication"
ROBOT_BLOCKED = frozenset({410100, 130101})
TOKEN_REFUSED = frozenset({40014, 42001})  # oapi: invalid / expired access_token
QPS_CODES = frozenset({"90018", "90002"})
SEND_TOO_FAST = frozenset({"send.too.fast", "send.byToken.tooFast", "too.many.group",
                           "too.many.people"})
MISCONFIGURED = frozenset({"invalidClientIdOrSecret", "90020", "310000", "400101", "400102",
                           "400103", "400104", "400105", "400106"})
REFUSED = frozenset({"InvalidParameter", "400013", "430101", "430102", "430103", "430104",
                     "40035", "40008", "40004", "40006", "41006"})
FILE_HOSTS = ("dingtalk.com", "aliyuncs.com")
UPLOAD_MAX = 20 * 2**20  # media/upload, type=file
# Directory (topapi on oapi), docs/directory-dingtalk.md:
AUTH_EXCEPTION = "88"  # 鉴权异常: the reason is in sub_code
TOKEN_REFUSED_CODES = frozenset(str(code) for code in TOKEN_REFUSED)
USER_NOT_FOUND = "60121"  # getbymobile, user/get: 找不到该用户
INVALID_USERID = "33012"  # 无效的USERID (global code list): user/get of an id that is no one's
NO_PERMISSION = frozenset({"60011"})  # 没有调用该接口的权限 (as errcode 88's sub_code)
DIRECTORY_PAGE = 100  # user/list page size (the documented maximum of user/listsimple)


class DingTalkApiError(DeliveryError):
    """A coded refusal: temporary unless it is one of the subclasses below."""

    def __init__(self, what: str, code: str, detail: str = "") -> None:
        # DingTalk's message names e.g. the missing permission: worth showing to the admins.
        super().__init__(f"DingTalk {what}: {code}" + (f" ({detail[:160]})" if detail else ""))
        self.code = code


class DingTalkRefused(DingTalkApiError, PermanentDeliveryError):
    """The request itself is refused: sending it again cannot help."""


class DingTalkMisconfigured(DingTalkApiError, ConfigurationError):
    """Our configuration is refused: an administrator must fix it."""


def classify(what: str, code: str, detail: str = "") -> DingTalkApiError:
    """The exception for a coded refusal that is not flow control, busy or a token."""
    if code in MISCONFIGURED or (code.startswith("Forbidden.") and "QpsLimit" not in code) \
            or code.endswith("ApiCountLimitForOrg"):
        return DingTalkMisconfigured(what, code, detail)
    if code in REFUSED or code.startswith(("param.", "Missing")):
        return DingTalkRefused(what, code, detail)
    return DingTalkApiError(what, code, detail)


def same_origin(url: str, base: str) -> bool:
    try:
        one, two = URL(url), URL(base)
    except (ValueError, TypeError):
        return False
    return one.is_absolute() and (one.scheme, one.host, one.port) == (two.scheme, two.host, two.port)


def oapi_code(data: dict[str, Any]) -> str:
    """An oapi answer's code as text: errcode, or errcode 88's sub_code; "" when there is none."""
    raw = data.get("errcode")
    code = "" if raw is None else str(raw)
    if code == AUTH_EXCEPTION and data.get("sub_code"):
        return str(data["sub_code"])
    return code


class DingTalkClient(HttpClient):
    platform = "dingtalk"

    def __init__(self, *, api_base: str, app_key: str, app_secret: str, timeout: float = TIMEOUT,
                 clock: Callable[[], float] = time.monotonic,
                 oapi_base: str = "https://oapi.dingtalk.com",
                 file_hosts: tuple[str, ...] = FILE_HOSTS) -> None:
        self.api_base = api_base.rstrip("/")
        self.oapi_base = oapi_base.rstrip("/")
        self.file_hosts = file_hosts
        self.app_key = app_key
        self._secret = app_secret
        super().__init__(timeout)
        self._tokens = TokenCache(self._fetch_token, clock=clock, margin=TOKEN_MARGIN)

    def __repr__(self) -> str:
        return f"DingTalkClient(app_key={self.app_key!r})"

    async def _fetch_token(self) -> tuple[str, float]:
        status, data = await self._send("POST", self.api_base + "/v1.0/oauth2/accessToken", "token",
                                        json={"appKey": self.app_key, "appSecret": self._secret})
        if status != 200 or not data.get("accessToken"):  # e.g. 200 without it: a coded error
            self._raise("oauth2/accessToken", status, data)
        return str(data["accessToken"]), float(data.get("expireIn", 7200))

    # -- URLs we did not build ------------------------------------------------------------------
    def is_session_webhook(self, url: str) -> bool:
        """A sessionWebhook we may POST to: on the configured oapi origin, the reply path."""
        return same_origin(url, self.oapi_base) and URL(url).path == "/robot/sendBySession"

    def is_robot_url(self, url: str) -> bool:
        return same_origin(url, self.oapi_base)

    def is_file_url(self, url: str) -> bool:
        """A download URL we may GET: https under a DingTalk storage domain, or the API's own
        origin (a test double, a private deployment)."""
        if same_origin(url, self.api_base) or same_origin(url, self.oapi_base):
            return True
        try:
            parsed = URL(url)
        except (ValueError, TypeError):
            return False
        host = (parsed.host or "").lower().rstrip(".")
        return parsed.scheme == "https" and parsed.port == 443 and any(
            host == suffix or host.endswith("." + suffix) for suffix in self.file_hosts)

    async def _send(self, method: str, url: str, what: str, **kw: Any) -> tuple[int, dict[str, Any]]:
        """One call: (HTTP status, the JSON object answered). ``what`` names the API (its path
        template: the figures' label, and never the URL, which may carry a token)."""
        try:
            with self.measured(what):
                async with self.session.request(method, url, allow_redirects=False, **kw) as resp:
                    try:
                        data = await resp.json(content_type=None)
                    except ValueError:
                        data = {}
                    data = data if isinstance(data, dict) else {}
                    code = data.get("code") or data.get("errcode")
                    self.api_error(code if resp.status == 200 else code or f"http_{resp.status}")
                    return resp.status, data
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"DingTalk {what}: {type(exc).__name__}") from None

    @staticmethod
    def _error(what: str, status: int, data: dict[str, Any]) -> DeliveryError:
        """The exception for an answer that is not a success."""
        code = str(data.get("code") or data.get("errcode") or f"HTTP {status}")
        if data.get("status") == 1111:
            return Throttled(f"DingTalk {what}: IP call limit", retry_after=300.0)
        if "QpsLimit" in code or code in QPS_CODES:
            return Throttled(f"DingTalk {what}: {code}", retry_after=1.0)
        if code in SEND_TOO_FAST:
            return Throttled(f"DingTalk {what}: {code}", retry_after=60.0)
        if status >= 500 or status == 429 or code in ("system.busy", "-1"):
            return DeliveryError(f"DingTalk {what}: {code}")
        if status == 401 or code == AUTH_FAILED:
            return DeliveryError(f"DingTalk {what}: access token refused after renewal ({code})")
        return classify(what, code, str(data.get("message") or data.get("errmsg") or ""))

    @staticmethod
    def _raise(what: str, status: int, data: dict[str, Any]) -> NoReturn:
        raise DingTalkClient._error(what, status, data)

    async def api(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """A call on api.dingtalk.com with the app's token; a refused token is renewed and the
        call retried once, a second refusal is read as any other answer (temporary)."""
        async def attempt(token: str) -> dict[str, Any]:
            status, data = await self._send(method, self.api_base + path, path, json=body,
                                            headers={"x-acs-dingtalk-access-token": token})
            if status == 401 or (status != 200 and data.get("code") == AUTH_FAILED):
                raise TokenRefused(f"DingTalk {path}: access token refused",
                                   after_renewal=self._error(path, status, data))
            if status != 200:
                self._raise(path, status, data)
            return data

        return await with_renewal(self._tokens, attempt)

    async def webhook(self, url: str, body: dict[str, Any], what: str) -> None:
        """POST the custom-robot JSON to a sessionWebhook or a signed custom-robot URL; only to
        the configured oapi origin."""
        if not self.is_robot_url(url):
            raise DingTalkMisconfigured(what, "webhook not on the configured oapi host")
        status, data = await self._send("POST", url, what, json=body)
        raw = str(data.get("errcode", "0"))
        code = int(raw) if raw.lstrip("-").isdigit() else -2
        if status == 200 and code == 0:
            return
        if code in ROBOT_BLOCKED:
            raise Throttled(f"DingTalk {what}: {code} (20 a minute)", retry_after=600.0)
        if status >= 500 or status == 429 or code == -1:
            raise DeliveryError(f"DingTalk {what}: {code if status == 200 else status}")
        if status != 200:
            raise DingTalkMisconfigured(what, f"HTTP {status}")
        raise classify(what, str(code), str(data.get("errmsg") or ""))

    async def upload(self, name: str, data: bytes, mime: str) -> str:
        """Upload a file for a robot message (``msgKey: sampleFile``); returns its media id."""
        if len(data) > UPLOAD_MAX:
            raise PermanentDeliveryError(f"DingTalk media/upload: {len(data)} bytes, over 20 MB")

        async def attempt(token: str) -> str:
            form = aiohttp.FormData(quote_fields=False)  # keep Chinese file names readable
            form.add_field("media", data, filename=name, content_type=mime)
            status, result = await self._send(
                "POST", self.oapi_base + "/media/upload", "media/upload",
                params={"access_token": token, "type": "file"}, data=form)
            code = result.get("errcode")
            if code in TOKEN_REFUSED:
                raise TokenRefused("DingTalk media/upload: access token refused after renewal")
            if status == 200 and code == 0 and result.get("media_id"):
                return str(result["media_id"])
            self._raise("media/upload", status, result)

        return await with_renewal(self._tokens, attempt)

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
        if not self.is_file_url(url):
            raise DingTalkRefused("messageFiles/download", "downloadUrl not on a DingTalk file host")
        try:
            with self.measured("file/download"):
                async with self.session.get(url, allow_redirects=False) as resp:
                    if resp.status != 200:
                        self.api_error(f"http_{resp.status}")
                        raise DeliveryError(f"DingTalk file download: HTTP {resp.status}")
                    return await resp.read(), resp.headers.get("Content-Type", "").split(";")[0]
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"DingTalk file download: {type(exc).__name__}") from None

    # -- directory (通讯录) ----------------------------------------------------------------------
    async def _topapi(self, path: str, body: dict[str, Any], *,
                      missing: frozenset[str] = frozenset()) -> dict[str, Any] | None:
        """POST ``oapi_base/path`` with the app's token; the answer when errcode is 0, None when
        its code is in ``missing``; otherwise a directory error (see the module docstring)."""
        async def attempt(token: str) -> tuple[int, dict[str, Any]]:
            status, data = await self._send("POST", f"{self.oapi_base}/{path}", path,
                                            params={"access_token": token}, json=body)
            code = oapi_code(data)
            if code in TOKEN_REFUSED_CODES:
                raise TokenRefused(f"DingTalk {path}: access token refused",
                                   after_renewal=DingTalkApiError(path, code, "token refused after renewal"))
            return status, data

        try:
            status, data = await with_renewal(self._tokens, attempt)
        except Throttled as exc:
            raise DirectoryThrottled(str(exc), code="throttled") from None
        except DeliveryError as exc:  # network, token fetch, token refused twice
            raise DirectoryError(str(exc), code=str(getattr(exc, "code", ""))) from None
        code = oapi_code(data)
        if status == 200 and code == "0":
            return data
        if status == 200 and code in missing:
            return None
        detail = str(data.get("sub_msg") or data.get("errmsg") or "")[:160]
        what = f"DingTalk {path}: {code or f'HTTP {status}'}" + (f" ({detail})" if detail else "")
        if data.get("status") == 1111:
            raise DirectoryThrottled(f"DingTalk {path}: IP call limit", code="1111")
        if code in QPS_CODES:
            raise DirectoryThrottled(what, code=code)
        if code in NO_PERMISSION:
            raise NoPermission(what, code=code)
        raise DirectoryError(what, code=code or f"HTTP {status}")

    async def user_by_mobile(self, mobile: str) -> str | None:
        """``topapi/v2/user/getbymobile``: the userId of the active member with this mobile, or
        None (60121: not in the organisation, left, or outside what the app may read)."""
        data = await self._topapi("topapi/v2/user/getbymobile", {"mobile": mobile},
                                  missing=frozenset({USER_NOT_FOUND}))
        userid = ((data or {}).get("result") or {}).get("userid")
        return str(userid) if userid else None

    async def department(self, dept_id: int) -> dict[str, Any]:
        """``topapi/v2/department/get``: one department (``dept_id``, ``name``, ``parent_id``…)."""
        data = await self._topapi("topapi/v2/department/get", {"dept_id": dept_id})
        result = (data or {}).get("result")
        return result if isinstance(result, dict) else {}

    async def sub_departments(self, dept_id: int) -> list[dict[str, Any]]:
        """``topapi/v2/department/listsub``: the departments one level below ``dept_id``."""
        data = await self._topapi("topapi/v2/department/listsub", {"dept_id": dept_id})
        result = (data or {}).get("result")
        return [d for d in result if isinstance(d, dict)] if isinstance(result, list) else []

    async def users_page(self, dept_id: int, cursor: int,
                         size: int = DIRECTORY_PAGE) -> tuple[list[dict[str, Any]], int | None]:
        """``topapi/v2/user/list``: one page of the members directly in ``dept_id`` and the
        cursor of the next page (None after the last)."""
        data = await self._topapi("topapi/v2/user/list",
                                  {"dept_id": dept_id, "cursor": cursor, "size": size})
        result = (data or {}).get("result") or {}
        people = [p for p in result.get("list") or [] if isinstance(p, dict)]
        following = result.get("next_cursor")
        more = bool(result.get("has_more")) and isinstance(following, int) and following != cursor
        return people, following if more else None

    async def user(self, userid: str) -> dict[str, Any] | None:
        """``topapi/v2/user/get``: one member's details, or None when the directory does not know
        them (60121 找不到该用户, 33012 无效的USERID: left, or never there)."""
        data = await self._topapi("topapi/v2/user/get", {"userid": userid, "language": "zh_CN"},
                                  missing=frozenset({USER_NOT_FOUND, INVALID_USERID}))
        result = (data or {}).get("result")
        return result if isinstance(result, dict) and result.get("userid") else None
