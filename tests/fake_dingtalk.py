"""A fake DingTalk (钉钉) server for HTTP-level tests of our own async client.

One aiohttp app serves what the ``dingtalk`` channel talks to (open.dingtalk.com: the
robot, card, oauth2 and media pages named in bot/channels/dingtalk), so the client's
``api_base`` and ``oapi_base`` can both point at it:

* the new API of ``api.dingtalk.com`` (token in the ``x-acs-dingtalk-access-token`` header; errors are
  an HTTP status plus ``{"code","message","requestid"}``): ``POST /v1.0/oauth2/accessToken``,
  ``POST /v1.0/card/instances/createAndDeliver``, ``PUT /v1.0/card/instances``,
  ``POST /v1.0/robot/oToMessages/batchSend``, ``POST /v1.0/robot/groupMessages/send`` and
  ``POST /v1.0/robot/messageFiles/download``, whose short-lived ``downloadUrl`` points at
  ``GET /files/<id>`` on this server too;
* the robots of ``oapi.dingtalk.com`` (HTTP 200 with ``{"errcode","errmsg"}``): the custom group robot
  ``POST /robot/send`` with 加签 and its 20 messages per rolling minute then a 10-minute block, and the
  per-message reply URL ``POST /robot/sendBySession?session=…`` made by :meth:`new_session_webhook`;
  and ``POST /media/upload?access_token=…&type=file`` (multipart field ``media``), whose ``media_id``
  a robot send with ``msgKey: sampleFile`` names;
* the directory (通讯录) of ``oapi.dingtalk.com`` (token in the query, JSON body, HTTP 200 with
  ``{"errcode","errmsg","result","request_id"}``; docs/directory-dingtalk.md): ``POST
  /topapi/v2/user/getbymobile``, ``/topapi/v2/department/get``, ``/topapi/v2/department/listsub``
  and ``/topapi/v2/user/list`` over the departments and people a test sets with
  :meth:`add_department` and :meth:`add_person`. ``withhold_mobiles`` plays an app without the
  permission to read mobile numbers (``mobile``/``state_code`` absent from user/list and
  user/get); ``denied`` holds paths the app has no permission for (errcode 88, sub_code 60011).

Sign-in to the console (登录第三方网站, docs/console-signin.md): an ``authCode`` from
:meth:`FakeDingTalk.issue_auth_code` (a member added with :meth:`add_person`) or
:meth:`issue_outsider_auth_code` becomes a user token at ``POST /v1.0/oauth2/userAccessToken`` (once,
``AUTH_CODE_TTL``; otherwise 400 ``invalidAuthCode``, our name), the user's ``unionId`` at ``GET
/v1.0/contact/users/me`` with that token, and the userid at oapi ``POST /topapi/user/getbyunionid``
with the app's token (60121 for no one; ``contact_type`` 1 for ``external_contacts``).

Usage::

    fake = FakeDingTalk(clock=ManualClock())
    base_url = await fake.start()                          # http://127.0.0.1:<ephemeral port>
    fake.fail("card/instances/createAndDeliver", "qps")    # next create answers 403 QpsLimit…
    fake.flow_control("lisi", times=2)                     # next two batchSends to lisi are throttled
    fake.add_department(2, "宣传部")                         # directory: a department under the root
    fake.add_person("manager4220", "张三", "13800138000", departments=(2,))
    fake.fail("topapi/v2/user/list", ERR_QPS_APP)          # next user/list answers errcode 90018
    ...                                                    # drive the client under test
    assert fake.cards["draft-42-v1"]["cardParamMap"]["status"] == "agree"
    fake.shown("draft-42-v1")["buttons"]                   # what the recipient sees, as the template binds it
    body = fake.tap("draft-42-v1", "lisi", "通过")          # the callback a tap on a visible button sends
    await fake.stop()

Faults queued with :meth:`FakeDingTalk.fail` take precedence over everything else (the token check
included), are consumed one per call to their path, and faulted calls are not recorded. Time (token
age, download-URL and session-webhook expiry, the robot's 加签 window and rate limit) comes from the
injectable ``clock`` (epoch seconds); :class:`ManualClock` is one tests can move.

``token_outage_until`` plays a lasting token failure: until that clock time every new-API call
answers 401 InvalidAuthentication however fresh its token (and oapi ``media/upload`` 40014).
``download_base`` makes ``messageFiles/download`` hand out URLs on another server (a storage host).

Codes the documentation does not name are ours and are marked so below; a client should branch on the
documented ones only (``InvalidAuthentication``, ``system.busy``, ``Forbidden.AccessDenied.*``,
``param.*`` as "do not retry", ``410100``, ``310000``) and treat the rest as request errors.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from aiohttp import BodyPartReader, web

from tests.fake_wecom import ManualClock
from tests.fakes import TRANSPORT_FAULTS, Fault, Faults, LoopbackServer

__all__ = [
    "FakeDingTalk",
    "ManualClock",
    "ddpaas_sign",
    "robot_sign",
]


# ---- new API (api.dingtalk.com): HTTP status + code ------------------------------------------------

#: HTTP 400 for a wrong appKey/appSecret. The name is the one reported for ``/v1.0/oauth2/accessToken``
#: in the wild; the protocol doc does not list it.
CODE_INVALID_CLIENT = "invalidClientIdOrSecret"
#: Token missing, unknown, revoked or older than 7200 s. Documented; the HTTP status is
#: :attr:`FakeDingTalk.auth_status` (401 by default; DingTalk has been seen answering it with 400 too).
CODE_INVALID_AUTH = "InvalidAuthentication"
CODE_QPS = "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"  # documented, HTTP 403
CODE_BUSY = "system.busy"  # documented, HTTP 500 (or 429)
CODE_TEMPLATE_NOT_EXIST = "param.templateNotExist"  # documented
CODE_CARD_ALREADY_EXIST = "param.cardAlreadyExist"  # documented
CODE_OPEN_SPACE_ID_INVALID = "param.openSpaceIdInvalid"  # documented
# Ours (HTTP 400), in the style of the documented ``param.*`` codes:
CODE_CARD_NOT_EXIST = "param.cardNotExist"  # PUT /v1.0/card/instances with an unknown outTrackId
CODE_CALLBACK_TYPE_INVALID = "param.callbackTypeInvalid"  # callbackType not "STREAM"/"HTTP"
CODE_ROBOT_CODE_INVALID = "param.robotCodeInvalid"  # robotCode other than FakeDingTalk.robot_code
CODE_CONVERSATION_INVALID = "param.openConversationIdInvalid"  # groupMessages/send to an unknown group
CODE_USER_IDS_INVALID = "param.userIdsInvalid"  # batchSend: more than 20 userIds or not strings
CODE_MSG_KEY_INVALID = "param.msgKeyInvalid"  # msgKey not in MSG_KEYS
CODE_MSG_PARAM_INVALID = "param.msgParamInvalid"  # msgParam not a JSON string or lacking its fields
CODE_DOWNLOAD_CODE_INVALID = "param.downloadCodeInvalid"  # messageFiles/download, unknown code
#: Ours (HTTP 400): oauth2/userAccessToken with an authCode that is unknown, used or expired. The
#: protocol page names no code for it; a client should read any 4xx there as "this code is spent".
CODE_AUTH_CODE_INVALID = "invalidAuthCode"
#: Ours: malformed JSON, a field of the wrong type, a cardParamMap value that is not a string.
CODE_INVALID_PARAMETER = "InvalidParameter"
#: A required field absent or empty answers ``Missing<field>`` with "<field> is mandatory for this
#: action." (the gateway's style, e.g. ``Missingbody`` for a non-JSON body); see :func:`_missing`.

# ---- robots (oapi.dingtalk.com): HTTP 200 + errcode ------------------------------------------------

ERR_SYSTEM_BUSY = -1
ERR_INVALID_TOKEN = 40014  # 不合法的access_token (oapi answers with HTTP 200)
ERR_INVALID_MEDIA_TYPE = 40004  # 不合法的媒体文件类型
ERR_INVALID_FILE_SIZE = 40006  # 不合法的文件大小 (over MEDIA_MAX bytes for type=file)
ERR_MISSING_MEDIA = 41006  # ours: no multipart field ``media``
ERR_INVALID_MSGTYPE = 40008  # legacy global code 不合法的消息类型
ERR_MISSING_JSON = 40035  # 缺少参数 json: malformed body or a required message field missing
ERR_SESSION_EXPIRED = 300001  # ours for sendBySession with an unknown or expired session
ERR_SECURITY = 310000  # documented: sign mismatch, invalid timestamp (keyword / IP rules not modelled)
ERR_ROBOT_NOT_EXIST = 400101  # documented: unknown access_token
ERR_TOO_FAST = 410100  # documented: more than 20 per minute, then blocked for 10 minutes
ERR_TOO_LONG = 460101  # ours: text/markdown longer than ROBOT_TEXT_MAX bytes
# Directory (topapi), documented on each API's page or the global codes (docs/directory-dingtalk.md):
ERR_TOKEN_EXPIRED = 42001  # access_token超时
ERR_AUTH = 88  # 鉴权异常: the reason is in sub_code / sub_msg
ERR_NO_PERMISSION = 60011  # sent as errcode 88 with sub_code "60011" 没有调用该接口的权限
ERR_DEPT_NOT_FOUND = 60003  # 未找到部门
ERR_USER_NOT_FOUND = 60121  # 找不到该用户 (getbymobile)
ERR_INVALID_MOBILE = 40104  # 无效的手机号码 (getbymobile)
ERR_INVALID_PARAM = 400002  # 无效的参数
ERR_QPS_APP = 90018  # the app's calls to one API over the per-second limit
ERR_QPS_GLOBAL = 90002  # every app's calls to one API over the global limit

ERRMSG: dict[int, str] = {
    ERR_SYSTEM_BUSY: "系统繁忙",
    ERR_INVALID_TOKEN: "不合法的access_token",
    ERR_INVALID_MEDIA_TYPE: "不合法的媒体文件类型",
    ERR_INVALID_FILE_SIZE: "不合法的文件大小",
    ERR_MISSING_MEDIA: "缺少参数 media",
    ERR_INVALID_MSGTYPE: "不合法的消息类型",
    ERR_MISSING_JSON: "缺少参数 json",
    ERR_SESSION_EXPIRED: "session is not exist or expired",
    ERR_SECURITY: "sign not match",
    ERR_ROBOT_NOT_EXIST: "token is not exist",
    ERR_TOO_FAST: "send too fast, exceed 20 times per minute",
    ERR_TOO_LONG: "message too long, exceed 20000 bytes",
    ERR_TOKEN_EXPIRED: "access_token超时",
    ERR_DEPT_NOT_FOUND: "未找到部门",
    ERR_USER_NOT_FOUND: "找不到该用户",
    ERR_INVALID_MOBILE: "无效的手机号码",
    ERR_INVALID_PARAM: "无效的参数",
    ERR_QPS_APP: "服务器调用频率超过限制",
    ERR_QPS_GLOBAL: "服务器调用频率超过限制",
}

#: Paths of the new API, relative to ``/v1.0/``. ``card/instances`` is the PUT update.
API_PATHS = (
    "oauth2/accessToken",
    "card/instances/createAndDeliver",
    "card/instances",
    "robot/oToMessages/batchSend",
    "robot/groupMessages/send",
    "robot/messageFiles/download",
    "card/callbacks/register",
    "oauth2/userAccessToken",
    "contact/users/me",
)
#: Paths on the oapi host (errcode answers).
ROBOT_PATHS = ("robot/send", "robot/sendBySession", "media/upload")
#: The directory's paths on the oapi host (errcode answers too; :meth:`FakeDingTalk.fail` takes an
#: errcode for them, ERR_NO_PERMISSION sent the way DingTalk sends it).
DIRECTORY_PATHS = ("topapi/v2/user/getbymobile", "topapi/v2/department/get",
                   "topapi/v2/department/listsub", "topapi/v2/user/list", "topapi/v2/user/get",
                   "topapi/user/getbyunionid")
OAPI_PATHS = (*ROBOT_PATHS, *DIRECTORY_PATHS)
#: ``GET /files/<id>``, the download URL.
FILES_PATH = "files"
#: Every path :meth:`FakeDingTalk.fail` accepts.
PATHS = (*API_PATHS, *OAPI_PATHS, FILES_PATH)
#: DingTalk's own fault kinds (new-API paths only), besides :data:`tests.fakes.TRANSPORT_FAULTS`:
#: ``qps`` 403 QpsLimitForAppkeyAndApi, ``busy`` 500 system.busy, ``busy429`` the same as 429,
#: ``expired`` 401 InvalidAuthentication. A queued fault may also be a legacy errcode (oapi paths)
#: or any new-API error as ``(http_status, code)``, e.g. ``(400, "send.too.fast")``.
_API_ONLY_KINDS = ("qps", "busy", "busy429", "expired")
FAULT_KINDS = (*_API_ONLY_KINDS, *TRANSPORT_FAULTS)

TOKEN_TTL = 7200
AUTH_CODE_TTL = 300  # an OAuth authCode: once, within minutes (ours: 5, like WeCom's)
USER_TOKEN_TTL = 7200  # userAccessToken's expireIn
ROBOT_LIMIT = 20
ROBOT_WINDOW = 60.0
ROBOT_BLOCK = 600.0
ROBOT_SIGN_WINDOW_MS = 3600 * 1000
ROBOT_TEXT_MAX = 20000
BATCH_MAX_USERS = 20
SESSION_TTL = 5400
USER_LIST_MAX = 100  # user/list page size (as user/listsimple documents; ours above it: 400002)
FILE_URL_TTL = 3600
MEDIA_MAX = 20 * 2**20  # type=file
MEDIA_TYPES = ("image", "voice", "video", "file")
DEFAULT_TEMPLATE = "xmt-approval.schema"
#: The template an administrator builds from the file xmt-bot ships (docs/dingtalk-card.md): the
#: fake plays DEFAULT_TEMPLATE as built from it (which variables it binds, which buttons it shows,
#: what a tap sends back). Read as data, not through the bot's code.
TEMPLATE_FILE = Path(__file__).resolve().parents[1] / "bot" / "channels" / "dingtalk" / "card_template.json"


def load_declaration(path: Path = TEMPLATE_FILE) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
#: Robot-send ``msgKey``s the fake knows and the ``msgParam`` fields each needs.
MSG_KEYS: dict[str, tuple[str, ...]] = {
    "sampleText": ("content",),
    "sampleMarkdown": ("title", "text"),
    "sampleActionCard": ("title", "text", "singleTitle", "singleURL"),
    "sampleLink": ("text", "title", "messageUrl"),
    "sampleImageMsg": ("photoURL",),
    "sampleFile": ("mediaId", "fileName", "fileType"),
}
SPACE_RE = re.compile(r"dtv1\.card//(IM_ROBOT|IM_GROUP)\.(\S+)")
#: Per space type: the deliver model it needs and its optional space model.
SPACE_MODELS = {
    "IM_ROBOT": ("imRobotOpenDeliverModel", "imRobotOpenSpaceModel"),
    "IM_GROUP": ("imGroupOpenDeliverModel", "imGroupOpenSpaceModel"),
}
ROBOT_MSGTYPES = frozenset({"text", "markdown", "actionCard", "link", "feedCard"})

_dumps = partial(json.dumps, ensure_ascii=False)


def robot_sign(secret: str, timestamp: str | int) -> str:
    """加签 of the custom robot (and of robot callbacks): ``Base64(HmacSHA256(secret, ts + "\\n" + secret))``.

    Not URL-encoded; put it in a query string with ``quote_plus``.
    """
    message = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def ddpaas_sign(secret: str, timestamp: str | int) -> str:
    """``x-ddpaas-signature`` of HTTP card callbacks: ``Base64(HmacSHA256(apiSecret, str(ts)))``."""
    digest = hmac.new(secret.encode(), str(timestamp).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass
class _Token:
    issued_at: float
    revoked: bool = False


@dataclass
class _AuthCode:
    union_id: str
    issued_at: float
    used: bool = False


@dataclass
class _Session:
    user_id: str
    conversation_id: str | None
    expires_ms: int


@dataclass
class _Download:
    download_code: str
    expires_at: float


class FakeDingTalk(LoopbackServer):
    """State + fault injection; ``.app`` is the aiohttp application."""

    def __init__(
        self,
        app_key: str = "dingtestappkey",
        app_secret: str = "test-app-secret",  # noqa: S107 - a test fixture's secret
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(Faults(PATHS, FAULT_KINDS, prefix="v1.0/"))
        self.app_key = app_key
        self.app_secret = app_secret
        self.clock = clock
        self.corp_id = "dingtestcorp"
        #: robotCode every robot/card call must carry (an internal app's robotCode is its AppKey);
        #: None accepts any non-empty one.
        self.robot_code: str | None = app_key
        #: HTTP status of InvalidAuthentication answers.
        self.auth_status = 401
        #: Published card templates createAndDeliver accepts.
        self.templates: set[str] = {DEFAULT_TEMPLATE}
        #: How a published template was built (variables, buttons), for :meth:`shown` and :meth:`tap`.
        self.declarations: dict[str, dict[str, Any]] = {DEFAULT_TEMPLATE: load_declaration()}
        #: Real DingTalk accepts a card without ``callbackType`` (it then never calls back); every xmt
        #: card has buttons, so the fake refuses it unless this is False.
        self.require_callback = True
        #: userIds reported back as failed (card deliverResults, batchSend invalidStaffIdList).
        self.unknown_users: set[str] = set()
        #: openConversationIds groupMessages/send and group cards accept; empty accepts any.
        self.conversations: set[str] = set()
        #: downloadCode -> (bytes, content type, file name) for messageFiles/download.
        self.files: dict[str, tuple[bytes, str, str]] = {}
        #: Custom group robots: access_token -> 加签 secret.
        self.robots: dict[str, str] = {}
        #: Lifetime of a download URL in seconds.
        self.file_url_ttl = FILE_URL_TTL
        #: Until this clock time every token is refused (a lasting token outage).
        self.token_outage_until = 0.0
        #: Base URL of the download URLs messageFiles/download hands out (default: this server).
        self.download_base: str | None = None

        self.tokens_issued = 0  # successful accessToken answers (a renewed token counts again)
        #: outTrackId -> the accepted createAndDeliver body, its ``cardParamMap`` (current card data,
        #: updates applied) and ``privateData`` (current, updates applied) added.
        self.cards: dict[str, dict[str, Any]] = {}
        self.created: list[dict[str, Any]] = []  # accepted createAndDeliver bodies, as sent
        self.updates: list[dict[str, Any]] = []  # accepted PUT /v1.0/card/instances bodies
        #: One entry per user who got a batchSend: {"userId","msgKey","msgParam" (decoded),"robotCode"}.
        self.one_to_one: list[dict[str, Any]] = []
        #: {"openConversationId","msgKey","msgParam" (decoded),"robotCode"} per accepted group send.
        self.group_messages: list[dict[str, Any]] = []
        #: access_token -> accepted custom-robot bodies.
        self.robot_messages: dict[str, list[dict[str, Any]]] = {}
        #: Accepted session-webhook bodies with "userId" and "conversationId" (None for 1:1) added.
        self.session_messages: list[dict[str, Any]] = []
        #: media_id -> (bytes, file name, type) of each accepted media/upload.
        self.media: dict[str, tuple[bytes, str, str]] = {}
        self.downloads: list[str] = []  # downloadCodes a URL was handed out for
        self.file_gets: list[str] = []  # downloadCodes whose bytes were served

        self._tokens: dict[str, _Token] = {}
        self._current_token: str | None = None
        self._flow: dict[str, int] = {}
        self._sessions: dict[str, _Session] = {}
        self._download_urls: dict[str, _Download] = {}
        self._robot_times: dict[str, deque[float]] = {}
        self._robot_blocked: dict[str, float] = {}
        self._robot_uuids: dict[str, set[str]] = {}
        self.callbacks: dict[str, dict[str, str]] = {}  # callbackRouteKey -> url, apiSecret
        #: Directory: dept_id -> {"dept_id","name","parent_id"} (the root, 1, always there).
        self.departments: dict[int, dict[str, Any]] = {1: {"dept_id": 1, "name": "测试企业"}}
        #: Directory: userid -> {"userid","name","mobile","dept_id_list","active"}, in list order.
        self.people: dict[str, dict[str, Any]] = {}
        #: The app lacks the permission to read mobile numbers: user/list and user/get omit them.
        self.withhold_mobiles = False
        #: Directory paths the app has no permission for: errcode 88 / sub_code 60011 every time.
        self.denied: set[str] = set()
        #: The HTTP event subscription's 签名 token and 加密 aes_key (43 characters); the owner key
        #: of its frames is the AppKey.
        self.event_token = "xmt-event-token"
        self.event_aes_key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
        self._event_seq = 0
        #: OAuth sign-in (登录第三方网站): authCodes issued, user tokens handed out (token → unionId,
        #: time), unionIds getbyunionid answers as external contacts (contact_type 1).
        self._auth_codes: dict[str, _AuthCode] = {}
        self._user_tokens: dict[str, tuple[str, float]] = {}
        self.external_contacts: set[str] = set()

        self._add_routes("/v1.0/", [
            ("POST", "oauth2/accessToken", self._access_token),
            ("POST", "card/instances/createAndDeliver", self._create_card),
            ("PUT", "card/instances", self._update_card),
            ("POST", "robot/oToMessages/batchSend", self._batch_send),
            ("POST", "robot/groupMessages/send", self._group_send),
            ("POST", "robot/messageFiles/download", self._download),
            ("POST", "card/callbacks/register", self._register_callback),
            ("POST", "oauth2/userAccessToken", self._user_access_token),
            ("GET", "contact/users/me", self._users_me),
        ])
        directory: list[tuple[str, Callable[[dict[str, Any]], web.Response]]] = [
            ("topapi/v2/user/getbymobile", self._user_by_mobile),
            ("topapi/v2/department/get", self._department_get),
            ("topapi/v2/department/listsub", self._department_listsub),
            ("topapi/v2/user/list", self._user_list),
            ("topapi/v2/user/get", self._user_get),
            ("topapi/user/getbyunionid", self._user_by_unionid),
        ]
        self._add_routes("/", [
            ("POST", "robot/send", self._robot_send),
            ("POST", "robot/sendBySession", self._session_send),
            ("POST", "media/upload", self._media_upload),
            *(("POST", path, partial(self._directory, path, reply)) for path, reply in directory),
        ])
        self.app.router.add_get("/files/{file_id}", self._endpoint(FILES_PATH, self._file_get))

    # ---- lifecycle ---------------------------------------------------------------------------------


    # ---- test controls -----------------------------------------------------------------------------

    def fail(self, path: str, kind: Fault, times: int = 1) -> None:
        """Queue ``times`` faults for ``path`` (e.g. ``"robot/send"``, ``"card/instances"``).

        ``kind``: a kind from :data:`FAULT_KINDS`; an errcode int (robot paths only, e.g. 410100); or
        ``(status, code)`` for any new-API error (e.g. ``(400, "send.too.fast")``).
        """
        path = self.faults.check(path, kind)
        robot = path in OAPI_PATHS
        if isinstance(kind, str):
            if robot and kind in _API_ONLY_KINDS:
                raise ValueError(f"{kind!r} is a new-API fault; give {path} an errcode instead")
        elif isinstance(kind, int):
            if not robot:
                raise ValueError(f"errcode faults are for {OAPI_PATHS}; use (status, code) for {path}")
        elif robot:
            raise ValueError(f"(status, code) faults are for new-API paths, not {path}")
        self.faults.queue(path, kind, times)

    def expire_tokens(self) -> None:
        """Every token issued so far becomes invalid: calls with it answer 401 InvalidAuthentication."""
        for token in self._tokens.values():
            token.revoked = True
        self._current_token = None

    @property
    def access_token(self) -> str | None:
        """The token accessToken currently hands out, if one is valid."""
        value = self._current_token
        return value if value is not None and self._token_valid(value) else None

    def add_department(self, dept_id: int, name: str, parent: int = 1) -> None:
        """A department of the directory (under ``parent``, the root by default)."""
        self.departments[dept_id] = {"dept_id": dept_id, "name": name, "parent_id": parent}

    def add_person(self, userid: str, name: str, mobile: str, *, departments: Iterable[int] = (1,),
                   active: bool = True) -> None:
        """A member of the directory, in ``departments`` (the root by default)."""
        self.people[userid] = {"userid": userid, "name": name, "mobile": mobile,
                               "dept_id_list": list(departments), "active": active}

    @staticmethod
    def union_id(userid: str) -> str:
        """The unionId DingTalk gives member ``userid`` (stable; the shape of real ones, which end in
        ``iEiE``)."""
        digest = base64.urlsafe_b64encode(hashlib.sha256(userid.encode()).digest()[:15]).decode()
        return digest.replace("-", "x").replace("_", "y") + "iEiE"

    def issue_auth_code(self, userid: str) -> str:
        """The ``authCode`` the OAuth redirect (login.dingtalk.com/oauth2/auth) would carry after
        member ``userid`` (of the directory: :meth:`add_person`) signed in: once, ``AUTH_CODE_TTL``."""
        if userid not in self.people:
            raise KeyError(f"no person {userid!r} in the fake directory")
        return self._new_auth_code(self.union_id(userid))

    def issue_outsider_auth_code(self) -> str:
        """An ``authCode`` for a DingTalk user who is in no department of this organisation."""
        return self._new_auth_code(secrets.token_urlsafe(18).replace("-", "x").replace("_", "y") + "iEiE")

    def _new_auth_code(self, union_id: str) -> str:
        code = secrets.token_hex(16)  # real authCodes are 32 hex characters
        self._auth_codes[code] = _AuthCode(union_id, self.clock())
        return code

    def remove_person(self, userid: str) -> None:
        """The member leaves: no longer listed nor found by mobile."""
        self.people.pop(userid, None)

    def remove_department(self, dept_id: int) -> None:
        """The department is deleted from the directory."""
        self.departments.pop(dept_id, None)

    # ---- address-book events (通讯录事件) ----------------------------------------------------------

    def contact_event(self, event_type: str, *, users: Iterable[str] = (), depts: Iterable[int] = (),
                      event_id: str | None = None) -> tuple[dict[str, str], dict[str, Any]]:
        """One address-book event as Stream pushes it: (headers, data) of an ``EVENT`` frame — the
        event's type and id in the headers, ``{"timeStamp", "userId"|"deptId"}`` in data."""
        self._event_seq += 1
        now_ms = str(self._now_ms())
        headers = {"topic": "*", "messageId": f"{secrets.token_hex(4)}_972_{self._event_seq:011x}_70a7",
                   "contentType": "application/json", "time": now_ms, "eventType": event_type,
                   "eventId": event_id or secrets.token_hex(16), "eventCorpId": self.corp_id,
                   "eventBornTime": now_ms, "eventUnifiedAppId": "bbb381b6-f01a-4c5e-9d5a-58daac"}
        data: dict[str, Any] = {"timeStamp": now_ms}
        if users:
            data["userId"] = list(users)
        if depts:
            data["deptId"] = list(depts)
        return headers, data

    def stream_event(self, event_type: str, **kw: Any) -> dict[str, Any]:
        """A whole ``EVENT`` frame (``data`` a JSON string), as the gateway pushes it."""
        headers, data = self.contact_event(event_type, **kw)
        return {"specVersion": "1.0", "type": "EVENT", "headers": headers,
                "data": json.dumps(data, ensure_ascii=False)}

    def http_event(self, plaintext: dict[str, Any] | str, *, timestamp_ms: int | None = None,
                   new_names: bool = False) -> tuple[dict[str, str], dict[str, str]]:
        """An HTTP-mode push: (query, body) with the plaintext encrypted and signed as DingTalk
        does (dingtalk-sdk's DingTalkCrypto, owner key the AppKey). ``new_names``: the query as
        the newer pages name it (signature/timestamp) instead of msg_signature/timeStamp."""
        from dingtalk.crypto import DingTalkCrypto

        text = plaintext if isinstance(plaintext, str) else json.dumps(plaintext, ensure_ascii=False)
        crypto = DingTalkCrypto(self.event_token, self.event_aes_key, self.app_key)
        out = crypto.encrypt_message(text, nonce=secrets.token_hex(4),
                                     timestamp=timestamp_ms if timestamp_ms is not None else self._now_ms())
        if new_names:
            query = {"signature": out["msg_signature"], "timestamp": str(out["timeStamp"]),
                     "nonce": out["nonce"]}
        else:
            query = {"msg_signature": out["msg_signature"], "timeStamp": str(out["timeStamp"]),
                     "nonce": out["nonce"]}
        return query, {"encrypt": str(out["encrypt"])}

    def http_plaintext(self, event_type: str, *, users: Iterable[str] = (), depts: Iterable[int] = (),
                       timestamp_ms: int | None = None) -> dict[str, Any]:
        """The plaintext of an HTTP-mode address-book event."""
        stamp = timestamp_ms if timestamp_ms is not None else self._now_ms()
        plain: dict[str, Any] = {"EventType": event_type, "CorpId": self.corp_id, "TimeStamp": str(stamp)}
        if users:
            plain["UserId"] = list(users)
        if depts:
            plain["DeptId"] = list(depts)
        return plain

    def read_event_answer(self, answer: dict[str, Any]) -> str:
        """What DingTalk does with our answer: check its signature and decrypt it ("success")."""
        from dingtalk.crypto import DingTalkCrypto

        crypto = DingTalkCrypto(self.event_token, self.event_aes_key, self.app_key)
        return str(crypto.decrypt_encrypt_str(answer["msg_signature"], str(answer["timeStamp"]),
                                              answer["nonce"], answer["encrypt"]))

    def flow_control(self, user_id: str, times: int = 1) -> None:
        """The next ``times`` batchSends to ``user_id`` list them in ``flowControlledStaffIdList``."""
        self._flow[user_id] = self._flow.get(user_id, 0) + times

    def new_robot(self, access_token: str | None = None, secret: str | None = None) -> tuple[str, str]:
        """Register a custom group robot; returns ``(access_token, secret)``."""
        access_token = access_token or secrets.token_hex(32)
        secret = secret or "SEC" + secrets.token_hex(32)
        self.robots[access_token] = secret
        return access_token, secret

    def robot_url(self, access_token: str, timestamp_ms: int | None = None, secret: str | None = None) -> str:
        """The signed ``/robot/send`` URL, signed now (by the clock) with the robot's secret by default."""
        ts = self._now_ms() if timestamp_ms is None else timestamp_ms
        key = self.robots[access_token] if secret is None else secret
        sign = quote_plus(robot_sign(key, ts))
        return f"{self._base()}/robot/send?access_token={access_token}&timestamp={ts}&sign={sign}"

    def robot_blocked_until(self, access_token: str) -> float | None:
        """Clock time the robot's 10-minute block ends, if it is blocked now."""
        until = self._robot_blocked.get(access_token)
        return until if until is not None and self.clock() < until else None

    def new_session_webhook(
        self, user_id: str, ttl_s: float = SESSION_TTL, *, conversation_id: str | None = None
    ) -> tuple[str, int]:
        """A ``sessionWebhook`` for a message from ``user_id``; returns ``(url, expires_ms)``.

        Call after :meth:`start`. ``conversation_id`` marks a group conversation's webhook.
        """
        session = secrets.token_hex(16)
        expires_ms = int((self.clock() + ttl_s) * 1000)
        self._sessions[session] = _Session(user_id, conversation_id, expires_ms)
        return f"{self._base()}/robot/sendBySession?session={session}", expires_ms

    def robot_message(
        self,
        user_id: str,
        content: str,
        *,
        conversation_id: str | None = None,
        nick: str = "测试用户",
        msg_id: str | None = None,
    ) -> dict[str, Any]:
        """A §2.1 robot-message body (text) from ``user_id`` with a fresh session webhook.

        In a group (``conversation_id`` given) the content gets the leading space of an @-mention.
        """
        url, expires_ms = self.new_session_webhook(user_id, conversation_id=conversation_id)
        group = conversation_id is not None
        robot_code = self.robot_code or self.app_key
        return {
            "conversationId": conversation_id or f"cid{secrets.token_urlsafe(16)}==",
            "chatbotCorpId": self.corp_id,
            "chatbotUserId": f"$:LWCP_v1:${robot_code}",
            "msgId": msg_id or f"msg{secrets.token_urlsafe(16)}==",
            "senderNick": nick,
            "isAdmin": False,
            "senderStaffId": user_id,
            "sessionWebhookExpiredTime": expires_ms,
            "createAt": self._now_ms(),
            "senderCorpId": self.corp_id,
            "conversationType": "2" if group else "1",
            "senderId": f"$:LWCP_v1:${secrets.token_urlsafe(16)}",
            "isInAtList": True,
            "sessionWebhook": url,
            "text": {"content": f" {content}" if group else content},
            "robotCode": robot_code,
            "msgtype": "text",
            **({"conversationTitle": "测试群"} if group else {}),
        }

    def tap_payload(
        self, out_track_id: str, user_id: str, params: dict[str, Any], action_ids: Iterable[str] = ("1",)
    ) -> dict[str, Any]:
        """The card-callback body of §2.2 for ``user_id`` tapping a button with ``params``.

        ``content`` is a JSON string, as DingTalk sends it. The card need not exist.
        """
        content = {"cardPrivateData": {"actionIds": list(action_ids), "params": params}}
        return {
            "type": "actionCallback",
            "outTrackId": out_track_id,
            "corpId": self.corp_id,
            "userId": user_id,
            "content": _dumps(content),
        }

    def shown(self, out_track_id: str, user_id: str | None = None) -> dict[str, Any]:
        """What ``user_id`` sees on a card, as its template binds the data: ``variables`` (every
        variable the template declares, "" when not sent; the user's private data wins),
        ``buttons`` (the visible ones, each ``{"n", "text", "payload", "style"}``) and ``ignored``
        (keys sent that the template does not declare: DingTalk shows them nowhere)."""
        card = self.cards[out_track_id]
        template = self.declarations[card["cardTemplateId"]]
        data = dict(card["cardParamMap"])
        if user_id is not None:
            data.update(card["privateData"].get(user_id, {}).get("cardParamMap", {}))
        buttons = template["buttons"]
        names = [v["name"] for v in template["variables"]]
        per_button = ("text_variable", "payload_variable", "style_variable")
        for n in range(1, buttons["max"] + 1):
            names += [buttons[k].format(n=n) for k in per_button]
        count = data.get(buttons["count_variable"], "0")
        live = int(count) if count.isdigit() else 0
        shown = [{"n": n, "text": data.get(buttons["text_variable"].format(n=n), ""),
                  "payload": data.get(buttons["payload_variable"].format(n=n), ""),
                  "style": data.get(buttons["style_variable"].format(n=n), "")}
                 for n in range(1, min(live, buttons["max"]) + 1)]
        return {"variables": {name: data.get(name, "") for name in names}, "buttons": shown,
                "ignored": sorted(set(data) - set(names))}

    def tap(self, out_track_id: str, user_id: str, label: str) -> dict[str, Any]:
        """The callback body DingTalk sends when ``user_id`` taps the visible button ``label``:
        the template's 回传请求 event carries its callback parameter (``payload``) bound to the
        button's payload variable. A button that is not shown cannot be tapped (LookupError)."""
        card = self.cards[out_track_id]
        template = self.declarations[card["cardTemplateId"]]
        for button in self.shown(out_track_id, user_id)["buttons"]:
            if button["text"] == label:
                params = {template["buttons"]["callback_param"]: button["payload"]}
                return self.tap_payload(out_track_id, user_id, params, action_ids=(f"btn{button['n']}",))
        raise LookupError(f"no visible button {label!r} on {out_track_id}")

    def robot_callback_headers(self, timestamp_ms: int | None = None) -> dict[str, str]:
        """``timestamp``/``sign`` headers of an HTTP robot message (§1.2), signed with the appSecret."""
        ts = self._now_ms() if timestamp_ms is None else timestamp_ms
        return {"timestamp": str(ts), "sign": robot_sign(self.app_secret, ts)}

    def card_callback_headers(self, api_secret: str, timestamp_ms: int | None = None) -> dict[str, str]:
        """``x-ddpaas-signature*`` headers of an HTTP card callback (§1.3)."""
        ts = self._now_ms() if timestamp_ms is None else timestamp_ms
        return {"x-ddpaas-signature-timestamp": str(ts), "x-ddpaas-signature": ddpaas_sign(api_secret, ts)}

    # ---- plumbing ----------------------------------------------------------------------------------

    def _platform_fault(self, fault: Fault) -> web.StreamResponse:
        if fault == "qps":
            return self._error(403, CODE_QPS, "请求被流控，请稍后重试")
        if fault in ("busy", "busy429"):
            return self._error(500 if fault == "busy" else 429, CODE_BUSY, "系统繁忙")
        if fault == "expired":
            return self._auth_error()
        if isinstance(fault, tuple):
            return self._error(fault[0], fault[1], "fault injected")
        assert isinstance(fault, int)
        if fault == ERR_NO_PERMISSION:
            return self._no_permission()
        return self._legacy_error(fault)

    def _base(self) -> str:
        if not self.base_url:
            raise RuntimeError("start() the fake first: URLs are built from its base_url")
        return self.base_url

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    @staticmethod
    def _error(status: int, code: str, message: str) -> web.Response:
        request_id = str(uuid.uuid4()).upper()
        return web.json_response(
            {"code": code, "requestid": request_id, "message": message},
            status=status,
            headers={"x-acs-request-id": request_id},
            dumps=_dumps,
        )

    def _auth_error(self) -> web.Response:
        return self._error(self.auth_status, CODE_INVALID_AUTH, "不合法的access_token")

    def _missing(self, name: str) -> web.Response:
        return self._error(400, f"Missing{name}", f"{name} is mandatory for this action.")

    def _invalid(self, message: str) -> web.Response:
        return self._error(400, CODE_INVALID_PARAMETER, message)

    @staticmethod
    def _legacy_ok() -> web.Response:
        return web.json_response({"errcode": 0, "errmsg": "ok"}, dumps=_dumps)

    @staticmethod
    def _legacy_error(errcode: int, errmsg: str | None = None) -> web.Response:
        message = errmsg or ERRMSG.get(errcode, "fault injected")
        return web.json_response({"errcode": errcode, "errmsg": message}, dumps=_dumps)

    @staticmethod
    def _no_permission() -> web.Response:
        """How oapi refuses an API the app has no permission for (errcode 88 with a sub_code)."""
        sub_msg = "没有调用该接口的权限"
        return web.json_response({"errcode": ERR_AUTH, "sub_code": str(ERR_NO_PERMISSION), "sub_msg": sub_msg,
                                  "errmsg": f"ding talk error[subcode={ERR_NO_PERMISSION},submsg={sub_msg}]",
                                  "request_id": secrets.token_hex(6)}, dumps=_dumps)

    def _token_valid(self, value: str) -> bool:
        token = self._tokens.get(value)
        if self.clock() < self.token_outage_until:
            return False
        return token is not None and not token.revoked and self.clock() - token.issued_at < TOKEN_TTL

    def _check_token(self, request: web.Request) -> web.Response | None:
        value = request.headers.get("x-acs-dingtalk-access-token", "")
        return None if value and self._token_valid(value) else self._auth_error()

    async def _json_body(self, request: web.Request) -> dict[str, Any] | web.Response:
        """The JSON object body of a new-API call (the gateway answers ``Missingbody`` otherwise)."""
        raw = await request.read()
        if not raw or request.content_type != "application/json":
            return self._missing("body")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return self._invalid("body is not valid JSON")
        if not isinstance(body, dict):
            return self._invalid("body must be a JSON object")
        return body

    def _require(self, body: dict[str, Any], *names: str) -> web.Response | None:
        """Each of ``names`` must be a non-empty string."""
        for name in names:
            value = body.get(name)
            if value is None or value == "":
                return self._missing(name)
            if not isinstance(value, str):
                return self._invalid(f"{name} must be a string")
        return None

    def _check_robot_code(self, body: dict[str, Any]) -> web.Response | None:
        if (refused := self._require(body, "robotCode")) is not None:
            return refused
        if self.robot_code is not None and body["robotCode"] != self.robot_code:
            return self._error(400, CODE_ROBOT_CODE_INVALID, "robotCode does not exist")
        return None

    # ---- oauth2 ------------------------------------------------------------------------------------

    async def _access_token(self, request: web.Request) -> web.StreamResponse:
        body = await self._json_body(request)
        if isinstance(body, web.Response):
            return body
        if (refused := self._require(body, "appKey", "appSecret")) is not None:
            return refused
        if body["appKey"] != self.app_key or body["appSecret"] != self.app_secret:
            return self._error(400, CODE_INVALID_CLIENT, "无效的clientId或者clientSecret")
        value = self._current_token
        if value is not None and self._token_valid(value):
            self._tokens[value].issued_at = self.clock()  # same token, lifetime renewed
        else:
            value = secrets.token_hex(16)
            self._tokens[value] = _Token(self.clock())
            self._current_token = value
        self.tokens_issued += 1
        return web.json_response({"accessToken": value, "expireIn": TOKEN_TTL})

    async def _user_access_token(self, request: web.Request) -> web.StreamResponse:
        """``POST /v1.0/oauth2/userAccessToken`` {clientId, clientSecret, code, grantType}: a user
        token for an authCode (once) → {accessToken, refreshToken, expireIn, corpId}."""
        body = await self._json_body(request)
        if isinstance(body, web.Response):
            return body
        if (refused := self._require(body, "clientId", "clientSecret", "grantType")) is not None:
            return refused
        if body["clientId"] != self.app_key or body["clientSecret"] != self.app_secret:
            return self._error(400, CODE_INVALID_CLIENT, "无效的clientId或者clientSecret")
        if body["grantType"] != "authorization_code":
            return self._invalid("grantType must be authorization_code or refresh_token")
        if (refused := self._require(body, "code")) is not None:
            return refused
        entry = self._auth_codes.get(body["code"])
        if entry is None or entry.used or self.clock() - entry.issued_at >= AUTH_CODE_TTL:
            return self._error(400, CODE_AUTH_CODE_INVALID, "不合法的临时授权码")
        entry.used = True
        token = secrets.token_hex(16)
        self._user_tokens[token] = (entry.union_id, self.clock())
        return web.json_response({"accessToken": token, "refreshToken": secrets.token_hex(16),
                                  "expireIn": USER_TOKEN_TTL, "corpId": self.corp_id})

    async def _users_me(self, request: web.Request) -> web.StreamResponse:
        """``GET /v1.0/contact/users/me`` with a *user* token: the signed-in user's profile."""
        found = self._user_tokens.get(request.headers.get("x-acs-dingtalk-access-token", ""))
        if found is None or self.clock() - found[1] >= USER_TOKEN_TTL:
            return self._auth_error()
        union_id = found[0]
        person = next((p for p in self.people.values() if self.union_id(p["userid"]) == union_id), None)
        return web.json_response({
            "nick": person["name"] if person else "钉钉用户", "avatarUrl": "",
            "mobile": person["mobile"] if person else "13900000000", "stateCode": "86",
            "openId": "open" + union_id[:20], "unionId": union_id, "email": ""}, dumps=_dumps)

    def _user_by_unionid(self, body: dict[str, Any]) -> web.Response:
        """``topapi/user/getbyunionid`` {unionid}: the member's userid and contact_type (0 a member,
        1 an external contact); 60121 when the organisation has no one with it."""
        union_id = body.get("unionid")
        if not isinstance(union_id, str) or not union_id:
            return self._legacy_error(ERR_INVALID_PARAM)
        for person in self.people.values():
            if self.union_id(person["userid"]) == union_id:
                return self._result({"contact_type": 1 if union_id in self.external_contacts else 0,
                                     "userid": person["userid"]})
        return self._legacy_error(ERR_USER_NOT_FOUND)

    # ---- cards -------------------------------------------------------------------------------------

    async def _create_card(self, request: web.Request) -> web.StreamResponse:
        body = await self._authed_body(request)
        if isinstance(body, web.Response):
            return body
        if (refused := self._require(body, "cardTemplateId", "outTrackId", "openSpaceId")) is not None:
            return refused
        out_track_id: str = body["outTrackId"]
        if body["cardTemplateId"] not in self.templates:
            return self._error(400, CODE_TEMPLATE_NOT_EXIST, "card template does not exist")
        if out_track_id in self.cards:
            return self._error(400, CODE_CARD_ALREADY_EXIST, "card instance already exists")
        if (refused := self._check_callback(body)) is not None:
            return refused

        spaces: list[tuple[str, str]] = []
        for part in body["openSpaceId"].split(";"):
            match = SPACE_RE.fullmatch(part.strip())
            if match is None:
                return self._error(400, CODE_OPEN_SPACE_ID_INVALID, f"openSpaceId is invalid: {part!r}")
            spaces.append((match[1], match[2]))
        for space_type in dict.fromkeys(t for t, _ in spaces):
            if (refused := self._check_space_models(body, space_type)) is not None:
                return refused

        card_data = body.get("cardData", {})
        if not isinstance(card_data, dict):
            return self._invalid("cardData must be an object")
        param_map = card_data.get("cardParamMap", {})
        if (refused := self._check_param_map(param_map, "cardData.cardParamMap")) is not None:
            return refused
        private = body.get("privateData", {})
        if (refused := self._check_private(private)) is not None:
            return refused
        if body.get("userIdType", 1) not in (1, 2):
            return self._invalid("userIdType must be 1 or 2")

        results = [self._deliver(space_type, space_id) for space_type, space_id in spaces]
        card = copy.deepcopy(body)
        card["cardParamMap"] = dict(param_map)
        card["privateData"] = copy.deepcopy(private)
        self.cards[out_track_id] = card
        self.created.append(copy.deepcopy(body))
        return web.json_response(
            {"success": True, "result": {"outTrackId": out_track_id, "deliverResults": results}},
            dumps=_dumps,
        )

    def _check_callback(self, body: dict[str, Any]) -> web.Response | None:
        callback_type = body.get("callbackType")
        if callback_type is None or callback_type == "":
            return self._missing("callbackType") if self.require_callback else None
        if callback_type not in ("STREAM", "HTTP"):
            return self._error(400, CODE_CALLBACK_TYPE_INVALID, "callbackType must be STREAM or HTTP")
        if callback_type == "HTTP":
            return self._require(body, "callbackRouteKey")
        return None

    def _check_space_models(self, body: dict[str, Any], space_type: str) -> web.Response | None:
        deliver_name, space_name = SPACE_MODELS[space_type]
        deliver = body.get(deliver_name)
        if not isinstance(deliver, dict):
            return self._missing(deliver_name)
        if (refused := self._check_robot_code(deliver)) is not None:
            return refused
        if space_type == "IM_ROBOT" and deliver.get("spaceType") != "IM_ROBOT":
            return self._invalid(f'{deliver_name}.spaceType must be "IM_ROBOT"')
        if space_type == "IM_GROUP":
            at_users = deliver.get("atUserIds", {})
            recipients = deliver.get("recipients", [])
            if not isinstance(at_users, dict) or not isinstance(recipients, list):
                return self._invalid(f"{deliver_name}.atUserIds is an object, recipients a list")
        space = body.get(space_name)
        if space is not None and not (
            isinstance(space, dict) and isinstance(space.get("supportForward"), bool)
        ):
            return self._missing("supportForward")
        return None

    def _check_param_map(self, value: Any, where: str) -> web.Response | None:
        if not isinstance(value, dict):
            return self._invalid(f"{where} must be an object")
        for key, item in value.items():
            if not isinstance(item, str):
                return self._invalid(f"{where}[{key!r}] must be a string (send JSON text for others)")
        return None

    def _check_private(self, value: Any) -> web.Response | None:
        if not isinstance(value, dict):
            return self._invalid("privateData must be an object")
        for user_id, data in value.items():
            if not isinstance(data, dict):
                return self._invalid(f"privateData[{user_id!r}] must be an object")
            refused = self._check_param_map(data.get("cardParamMap", {}), f"privateData[{user_id!r}]")
            if refused is not None:
                return refused
        return None

    def _deliver(self, space_type: str, space_id: str) -> dict[str, Any]:
        result: dict[str, Any] = {"spaceType": space_type, "spaceId": space_id}
        if space_type == "IM_ROBOT" and space_id in self.unknown_users:
            return {**result, "success": False, "errorMsg": f"user {space_id} does not exist"}
        if space_type == "IM_GROUP" and self.conversations and space_id not in self.conversations:
            return {**result, "success": False, "errorMsg": f"openConversationId {space_id} is invalid"}
        return {**result, "success": True, "carrierId": secrets.token_hex(16)}

    async def _update_card(self, request: web.Request) -> web.StreamResponse:
        body = await self._authed_body(request)
        if isinstance(body, web.Response):
            return body
        if (refused := self._require(body, "outTrackId")) is not None:
            return refused
        card = self.cards.get(body["outTrackId"])
        if card is None:
            return self._error(400, CODE_CARD_NOT_EXIST, "card instance does not exist")
        card_data = body.get("cardData")
        if card_data is not None and not isinstance(card_data, dict):
            return self._invalid("cardData must be an object")
        param_map = card_data.get("cardParamMap") if card_data is not None else None
        if param_map is not None and (refused := self._check_param_map(param_map, "cardData")) is not None:
            return refused
        private = body.get("privateData", {})
        if (refused := self._check_private(private)) is not None:
            return refused
        options = body.get("cardUpdateOptions", {})
        if not isinstance(options, dict):
            return self._invalid("cardUpdateOptions must be an object")

        if param_map is not None:
            if options.get("updateCardDataByKey") is True:
                card["cardParamMap"].update(param_map)
            else:
                card["cardParamMap"] = dict(param_map)
        for user_id, data in private.items():
            new = dict(data.get("cardParamMap", {}))
            mine = card["privateData"].setdefault(user_id, {"cardParamMap": {}})
            if options.get("updatePrivateDataByKey") is True:
                mine.setdefault("cardParamMap", {}).update(new)
            else:
                mine["cardParamMap"] = new
        self.updates.append(copy.deepcopy(body))
        return web.json_response({"success": True, "result": True})

    # ---- robot sends (new API) ---------------------------------------------------------------------

    def _check_message(self, body: dict[str, Any]) -> dict[str, Any] | web.Response:
        """The decoded ``msgParam`` of a valid ``msgKey``/``msgParam`` pair."""
        if (refused := self._require(body, "msgKey", "msgParam")) is not None:
            return refused
        fields = MSG_KEYS.get(body["msgKey"])
        if fields is None:
            return self._error(400, CODE_MSG_KEY_INVALID, f"msgKey {body['msgKey']!r} is not supported")
        try:
            param = json.loads(body["msgParam"])
        except ValueError:
            param = None
        if not isinstance(param, dict):
            return self._error(400, CODE_MSG_PARAM_INVALID, "msgParam must be a JSON object in a string")
        absent = [f for f in fields if not isinstance(param.get(f), str) or not param[f]]
        if absent:
            return self._error(400, CODE_MSG_PARAM_INVALID, f"msgParam lacks {', '.join(absent)}")
        if body["msgKey"] == "sampleFile" and param["mediaId"] not in self.media:
            return self._error(400, CODE_MSG_PARAM_INVALID, "mediaId is invalid")
        return param

    async def _batch_send(self, request: web.Request) -> web.StreamResponse:
        body = await self._authed_body(request)
        if isinstance(body, web.Response):
            return body
        if (refused := self._check_robot_code(body)) is not None:
            return refused
        user_ids = body.get("userIds")
        if not user_ids:
            return self._missing("userIds")
        if (
            not isinstance(user_ids, list)
            or len(user_ids) > BATCH_MAX_USERS
            or not all(isinstance(u, str) and u for u in user_ids)
        ):
            return self._error(400, CODE_USER_IDS_INVALID, f"userIds: 1 to {BATCH_MAX_USERS} userId strings")
        param = self._check_message(body)
        if isinstance(param, web.Response):
            return param

        invalid: list[str] = []
        throttled: list[str] = []
        for user_id in dict.fromkeys(user_ids):
            if user_id in self.unknown_users:
                invalid.append(user_id)
            elif self._flow.get(user_id, 0) > 0:
                self._flow[user_id] -= 1
                throttled.append(user_id)
            else:
                self.one_to_one.append(
                    {
                        "userId": user_id,
                        "msgKey": body["msgKey"],
                        "msgParam": param,
                        "robotCode": body["robotCode"],
                    }
                )
        return web.json_response(
            {
                "processQueryKey": secrets.token_urlsafe(32),
                "invalidStaffIdList": invalid,
                "flowControlledStaffIdList": throttled,
            }
        )

    async def _group_send(self, request: web.Request) -> web.StreamResponse:
        body = await self._authed_body(request)
        if isinstance(body, web.Response):
            return body
        if (refused := self._check_robot_code(body)) is not None:
            return refused
        if (refused := self._require(body, "openConversationId")) is not None:
            return refused
        conversation = body["openConversationId"]
        if self.conversations and conversation not in self.conversations:
            return self._error(400, CODE_CONVERSATION_INVALID, "openConversationId is invalid")
        param = self._check_message(body)
        if isinstance(param, web.Response):
            return param
        self.group_messages.append(
            {
                "openConversationId": conversation,
                "msgKey": body["msgKey"],
                "msgParam": param,
                "robotCode": body["robotCode"],
            }
        )
        return web.json_response({"processQueryKey": secrets.token_urlsafe(32)})

    async def _register_callback(self, request: web.Request) -> web.StreamResponse:
        """``/v1.0/card/callbacks/register``: the first call inserts, a later one returns the
        existing registration unless ``forceUpdate`` (§1.3)."""
        body = await self._authed_body(request)
        if isinstance(body, web.Response):
            return body
        for field in ("apiSecret", "callbackUrl", "callbackRouteKey"):
            if (refused := self._require(body, field)) is not None:
                return refused
        key = body["callbackRouteKey"]
        if key not in self.callbacks or body.get("forceUpdate"):
            self.callbacks[key] = {"callbackUrl": body["callbackUrl"], "apiSecret": body["apiSecret"]}
        return web.json_response({"success": True, "result": {
            "callbackUrl": self.callbacks[key]["callbackUrl"], "callbackRouteKey": key}})

    # ---- files -------------------------------------------------------------------------------------

    async def _download(self, request: web.Request) -> web.StreamResponse:
        body = await self._authed_body(request)
        if isinstance(body, web.Response):
            return body
        if (refused := self._require(body, "downloadCode")) is not None:
            return refused
        if (refused := self._check_robot_code(body)) is not None:
            return refused
        code = body["downloadCode"]
        if code not in self.files:
            return self._error(400, CODE_DOWNLOAD_CODE_INVALID, "downloadCode is invalid or expired")
        file_id = secrets.token_hex(16)
        expires_at = self.clock() + self.file_url_ttl
        self._download_urls[file_id] = _Download(code, expires_at)
        self.downloads.append(code)
        url = (
            f"{self.download_base or self._base()}/files/{file_id}?Expires={int(expires_at)}"
            f"&OSSAccessKeyId=LTAIfake&Signature={quote_plus(secrets.token_urlsafe(20))}"
        )
        return web.json_response({"downloadUrl": url})

    async def _file_get(self, request: web.Request) -> web.StreamResponse:
        entry = self._download_urls.get(request.match_info["file_id"])
        if entry is None or entry.download_code not in self.files:
            return _oss_error(404, "NoSuchKey", "The specified key does not exist.")
        if self.clock() >= entry.expires_at:
            return _oss_error(403, "AccessDenied", "Request has expired.")
        data, content_type, filename = self.files[entry.download_code]
        self.file_gets.append(entry.download_code)
        return web.Response(
            body=data,
            headers={
                "Content-Type": content_type,
                "Content-Disposition": f'attachment; filename="{filename}"',
            },
        )

    async def _media_upload(self, request: web.Request) -> web.StreamResponse:
        """``oapi /media/upload``: the app's access token in the query, the bytes in the multipart
        field ``media`` (its filename kept); answers ``{"errcode":0,"media_id","type","created_at"}``."""
        if not self._token_valid(request.query.get("access_token", "")):
            return self._legacy_error(ERR_INVALID_TOKEN)
        kind = request.query.get("type", "")
        if kind not in MEDIA_TYPES:
            return self._legacy_error(ERR_INVALID_MEDIA_TYPE)
        data, name = b"", ""
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if isinstance(part, BodyPartReader) and part.name == "media":
                    data, name = bytes(await part.read()), part.filename or ""
        if not data or not name:
            return self._legacy_error(ERR_MISSING_MEDIA)
        if len(data) > MEDIA_MAX:
            return self._legacy_error(ERR_INVALID_FILE_SIZE)
        media_id = "@lA" + secrets.token_urlsafe(24)
        self.media[media_id] = (data, name, kind)
        return web.json_response({"errcode": 0, "errmsg": "ok", "media_id": media_id, "type": kind,
                                  "created_at": int(self.clock() * 1000)})

    # ---- custom group robot and session webhooks ---------------------------------------------------

    async def _robot_body(self, request: web.Request) -> dict[str, Any] | web.Response:
        """A valid custom-robot message body, or the errcode answer."""
        try:
            body = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return self._legacy_error(ERR_MISSING_JSON)
        if not isinstance(body, dict):
            return self._legacy_error(ERR_MISSING_JSON)
        msgtype = body.get("msgtype")
        if msgtype not in ROBOT_MSGTYPES:
            return self._legacy_error(ERR_INVALID_MSGTYPE)
        payload = body.get(msgtype)
        if not isinstance(payload, dict):
            return self._legacy_error(ERR_MISSING_JSON, f"缺少参数 {msgtype}")
        required = {
            "text": ("content",),
            "markdown": ("title", "text"),
            "actionCard": ("title", "text"),
            "link": ("title", "text", "messageUrl"),
            "feedCard": (),
        }[msgtype]
        absent = [f for f in required if not isinstance(payload.get(f), str) or not payload[f]]
        if absent:
            return self._legacy_error(ERR_MISSING_JSON, f"缺少参数 {msgtype}.{absent[0]}")
        text_field = "content" if msgtype == "text" else "text"
        if len(str(payload.get(text_field, "")).encode()) > ROBOT_TEXT_MAX:
            return self._legacy_error(ERR_TOO_LONG)
        if msgtype == "actionCard" and not (
            (payload.get("singleTitle") and payload.get("singleURL"))
            or (isinstance(payload.get("btns"), list) and payload["btns"])
        ):
            return self._legacy_error(ERR_MISSING_JSON, "缺少参数 actionCard.singleURL or btns")
        if msgtype == "feedCard" and not (isinstance(payload.get("links"), list) and payload["links"]):
            return self._legacy_error(ERR_MISSING_JSON, "缺少参数 feedCard.links")
        at = body.get("at", {})
        if not isinstance(at, dict) or any(
            not isinstance(at.get(k, []), list) for k in ("atMobiles", "atUserIds")
        ):
            return self._legacy_error(ERR_MISSING_JSON, "at.atMobiles and at.atUserIds are lists")
        return body

    async def _robot_send(self, request: web.Request) -> web.StreamResponse:
        token = request.query.get("access_token", "")
        secret = self.robots.get(token)
        if secret is None:
            return self._legacy_error(ERR_ROBOT_NOT_EXIST)
        timestamp = request.query.get("timestamp", "")
        if not timestamp.isdigit() or abs(self._now_ms() - int(timestamp)) > ROBOT_SIGN_WINDOW_MS:
            return self._legacy_error(ERR_SECURITY, "invalid timestamp")
        # request.query has already URL-decoded the sign; a raw "+" arrives as a space and fails.
        sign = request.query.get("sign", "")
        if not hmac.compare_digest(sign.encode(), robot_sign(secret, timestamp).encode()):
            return self._legacy_error(ERR_SECURITY, "sign not match")
        now = self.clock()
        if self.robot_blocked_until(token) is not None:
            return self._legacy_error(ERR_TOO_FAST)
        body = await self._robot_body(request)
        if isinstance(body, web.Response):
            return body
        uuids = self._robot_uuids.setdefault(token, set())
        msg_uuid = body.get("msgUuid")
        if isinstance(msg_uuid, str) and msg_uuid in uuids:
            return self._legacy_ok()  # idempotent resend: accepted once only
        times = self._robot_times.setdefault(token, deque())
        while times and now - times[0] >= ROBOT_WINDOW:
            times.popleft()
        if len(times) >= ROBOT_LIMIT:
            self._robot_blocked[token] = now + ROBOT_BLOCK
            times.clear()
            return self._legacy_error(ERR_TOO_FAST)
        times.append(now)
        if isinstance(msg_uuid, str):
            uuids.add(msg_uuid)
        self.robot_messages.setdefault(token, []).append(body)
        return self._legacy_ok()

    async def _session_send(self, request: web.Request) -> web.StreamResponse:
        session = self._sessions.get(request.query.get("session", ""))
        if session is None or self._now_ms() >= session.expires_ms:
            return self._legacy_error(ERR_SESSION_EXPIRED)
        body = await self._robot_body(request)
        if isinstance(body, web.Response):
            return body
        self.session_messages.append(
            {"userId": session.user_id, "conversationId": session.conversation_id, **body}
        )
        return self._legacy_ok()

    # ---- directory (topapi) ------------------------------------------------------------------------

    async def _directory(self, path: str, handler: Callable[[dict[str, Any]], web.Response],
                         request: web.Request) -> web.StreamResponse:
        """The token (query ``access_token``), the permission and the JSON body of a topapi call."""
        if not self._token_valid(request.query.get("access_token", "")):
            return self._legacy_error(ERR_INVALID_TOKEN)
        if path in self.denied:
            return self._no_permission()
        try:
            body = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            return self._legacy_error(ERR_INVALID_PARAM)
        return handler(body)

    @staticmethod
    def _result(result: Any) -> web.Response:
        return web.json_response({"errcode": 0, "errmsg": "ok", "result": result,
                                  "request_id": secrets.token_hex(6)}, dumps=_dumps)

    def _shown_person(self, person: dict[str, Any]) -> dict[str, Any]:
        shown = {**person, "dept_id_list": list(person["dept_id_list"])}
        if self.withhold_mobiles:
            shown.pop("mobile", None)
        else:
            shown["state_code"] = "86"
        return shown

    def _user_by_mobile(self, body: dict[str, Any]) -> web.Response:
        mobile = body.get("mobile")
        if not isinstance(mobile, str) or not mobile:
            return self._legacy_error(ERR_INVALID_PARAM)
        if not mobile.isdigit():
            return self._legacy_error(ERR_INVALID_MOBILE)
        for person in self.people.values():
            if person["mobile"] == mobile:
                return self._result({"userid": person["userid"]})
        return self._legacy_error(ERR_USER_NOT_FOUND)

    def _user_get(self, body: dict[str, Any]) -> web.Response:
        userid = body.get("userid")
        if not isinstance(userid, str) or not userid:
            return self._legacy_error(ERR_INVALID_PARAM)
        person = self.people.get(userid)
        if person is None:
            return self._legacy_error(ERR_USER_NOT_FOUND)
        return self._result({**self._shown_person(person), "unionid": self.union_id(userid)})

    def _dept_arg(self, body: dict[str, Any]) -> int | web.Response:
        dept = body.get("dept_id", 1)
        if not isinstance(dept, int) or isinstance(dept, bool):
            return self._legacy_error(ERR_INVALID_PARAM)
        if dept not in self.departments:
            return self._legacy_error(ERR_DEPT_NOT_FOUND)
        return dept

    def _department_get(self, body: dict[str, Any]) -> web.Response:
        dept = self._dept_arg(body)
        if isinstance(dept, web.Response):
            return dept
        return self._result(dict(self.departments[dept]))

    def _department_listsub(self, body: dict[str, Any]) -> web.Response:
        dept = self._dept_arg(body)
        if isinstance(dept, web.Response):
            return dept
        return self._result([{**d, "create_dept_group": False, "auto_add_user": False}
                             for d in self.departments.values() if d.get("parent_id") == dept])

    def _user_list(self, body: dict[str, Any]) -> web.Response:
        dept = self._dept_arg(body)
        if isinstance(dept, web.Response):
            return dept
        cursor, size = body.get("cursor"), body.get("size")
        if not isinstance(cursor, int) or not isinstance(size, int) or cursor < 0 \
                or not 1 <= size <= USER_LIST_MAX:
            return self._legacy_error(ERR_INVALID_PARAM)
        members = [p for p in self.people.values() if dept in p["dept_id_list"]]
        page = members[cursor:cursor + size]
        more = cursor + size < len(members)
        result: dict[str, Any] = {"has_more": more, "list": [self._shown_person(p) for p in page]}
        if more:
            result["next_cursor"] = cursor + size
        return self._result(result)


def _oss_error(status: int, code: str, message: str) -> web.Response:
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>{secrets.token_hex(12).upper()}</RequestId></Error>"
    )
    return web.Response(status=status, text=text, content_type="application/xml")
