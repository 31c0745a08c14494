"""A fake WeCom (企业微信) server API for HTTP-level tests of our own async client.

It speaks the real wire protocol (developer.work.weixin.qq.com doc pages 91039, 90236, 94888,
90253, 90254, 99110, 90248): ``gettoken``, ``message/send``
with ``button_interaction`` cards, ``message/update_template_card``, ``media/upload``, ``media/get``,
the group-robot ``webhook/send`` and ``appchat/send``, all under ``/cgi-bin/``. Answers are HTTP 200
JSON carrying ``errcode``/``errmsg`` as WeCom's are, and the rules a client can trip over are
enforced: token missing/unknown/expired, ``task_id`` format and uniqueness, single-use
``response_code`` with a 72 h lifetime, button keys, the robot's 20 messages per rolling minute, and
``message/send``'s duplicate check: with ``enable_duplicate_check: 1`` the same message (recipients,
type and content) within ``duplicate_check_interval`` seconds (default 1800, at most 4 h) is answered
ok and dropped (kept in ``duplicates``, not in ``sent``). ``token_outage_until`` plays a lasting
token failure: until that clock time every token-checked call answers 42001, however fresh the token.

The directory (通讯录, issue 16; docs/directory.md) is what a test sets as ``fake.directory``
(:class:`FakeDirectory`: departments, people, the app's visible range): ``user/getuserid``,
``department/list``, ``department/simplelist``, ``user/list``, ``user/simplelist``, ``user/get`` answer
from it with the real shapes; ``user/list_id`` answers 48002 (it takes only the 通讯录同步 secret). A
mobile outside the visible range answers ``hidden_mobile_errcode`` (60011), an unknown one 46004, a
department outside the range 60011, an unknown one 60003; ``withhold_sensitive`` drops mobile, email,
avatar, gender and address like an app created after 2022-06-20, ``withhold_names`` drops names like an
unauthorised 代开发 app. Rate limits and missing permissions are injected with :meth:`FakeWeCom.fail`
(45009, 48002, 60011).

Contact changes (doc 90970 成员变更通知, 90971 部门变更通知): :meth:`FakeWeCom.member_leaves`,
:meth:`FakeWeCom.member_changes` and :meth:`FakeWeCom.department_removed` change the directory (so
``user/get`` and ``department/list`` answer the new state) and return the decrypted callback WeCom
sends for it — ``FromUserName`` ``sys``, ``MsgType`` event, ``Event`` change_contact, the
``ChangeType`` and its fields (``UserID``; for update_user the changed ones: ``Name``,
``Department`` / ``MainDepartment`` / ``IsLeaderInDept`` as comma-separated lists, ``Position``;
``Id`` for a department); :meth:`FakeWeCom.contact_event` builds any other (create_user,
update_tag…). ``tests.wecom_callbacks.WeComSender`` encrypts and signs it as WeCom does.

Web sign-in (issue 18, docs/console-signin.md): ``auth/getuserinfo`` turns a code issued with
:meth:`FakeWeCom.issue_login_code` (a member) or :meth:`FakeWeCom.issue_outsider_code` (someone
outside the organisation: answered with an ``openid``) into ``userid`` / ``openid``; an unknown,
used or 5-minute-old code answers 40029. The browser's part (the OAuth or QR page) is not played:
a test brings the code as WeCom's redirect would.

Usage::

    fake = FakeWeCom()
    base_url = await fake.start()            # http://127.0.0.1:<ephemeral port>
    fake.fail("message/send", -1)            # next send answers 系统繁忙
    ...                                      # drive the client under test against base_url
    assert fake.sent[0]["template_card"]["task_id"] == "draft-42-v1"
    await fake.stop()

Faults queued with :meth:`FakeWeCom.fail` take precedence over everything else, are consumed one per
call to their path, and faulted calls are not recorded. Time (token age, response-code age, the
robot's rate window) comes from the injectable ``clock``; :class:`ManualClock` is one tests can move.
"""

from __future__ import annotations

import json
import mimetypes
import re
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from aiohttp import BodyPartReader, MultipartReader, web

from tests.fakes import Fault, Faults, LoopbackServer

#: Stand-in errcode for ``update_template_card`` with a ``response_code`` that is unknown, already used
#: or older than 72 h. WeCom documents the rule (94888) but not the errcode it answers with; 42016 is
#: ours, chosen to sit next to the other "expired" codes (42001 token, 42014 task_id). Clients should
#: treat any non-zero errcode on an update as "this code cannot be retried".
ERR_RESPONSE_CODE = 42016

# Documented WeCom errcodes (global error codes, 90455) used by the fake.
ERR_SYSTEM_BUSY = -1
ERR_INVALID_SECRET = 40001
ERR_INVALID_MEDIA_TYPE_PARAM = 40005
ERR_INVALID_FILE_SIZE = 40006
ERR_INVALID_MEDIA_ID = 40007
ERR_INVALID_MSGTYPE = 40008
ERR_INVALID_IMAGE_SIZE = 40009
ERR_INVALID_VIDEO_SIZE = 40011
ERR_INVALID_CORPID = 40013
ERR_INVALID_TOKEN = 40014
ERR_INVALID_AGENTID = 40056
ERR_INVALID_PARAMETER = 40058
ERR_TOKEN_MISSING = 41001
ERR_CORPID_MISSING = 41002
ERR_SECRET_MISSING = 41004
ERR_MEDIA_ID_MISSING = 41006
ERR_AGENTID_MISSING = 41011
ERR_TOKEN_EXPIRED = 42001
ERR_TASK_ID = 42014
ERR_EMPTY_MEDIA = 44001
ERR_EMPTY_CONTENT = 44004
ERR_RATE_LIMIT = 45009
ERR_DATA_FORMAT = 47001
ERR_INVALID_CHATID = 86001
ERR_INVALID_WEBHOOK_KEY = 93000
ERR_USER_NOT_FOUND = 46004
ERR_API_FORBIDDEN = 48002
ERR_DEPARTMENT_NOT_FOUND = 60003
ERR_NO_PRIVILEGE = 60011
ERR_USERID_NOT_FOUND = 60111
ERR_INVALID_MOBILE = 60103
ERR_INVALID_CODE = 40029  # auth/getuserinfo: the code is unknown, used or older than 5 minutes

ERRMSG: dict[int, str] = {
    ERR_SYSTEM_BUSY: "system busy",
    ERR_INVALID_SECRET: "invalid credential",
    ERR_INVALID_MEDIA_TYPE_PARAM: "invalid type",
    ERR_INVALID_FILE_SIZE: "invalid file size",
    ERR_INVALID_MEDIA_ID: "invalid media_id",
    ERR_INVALID_MSGTYPE: "invalid message type",
    ERR_INVALID_IMAGE_SIZE: "invalid image size",
    ERR_INVALID_VIDEO_SIZE: "invalid video size",
    ERR_INVALID_CORPID: "invalid corpid",
    ERR_INVALID_TOKEN: "invalid access_token",
    ERR_INVALID_AGENTID: "invalid agentid",
    ERR_INVALID_PARAMETER: "invalid parameter",
    ERR_TOKEN_MISSING: "access_token missing",
    ERR_CORPID_MISSING: "corpid missing",
    ERR_SECRET_MISSING: "corpsecret missing",
    ERR_MEDIA_ID_MISSING: "media_id missing",
    ERR_AGENTID_MISSING: "agentid missing",
    ERR_TOKEN_EXPIRED: "access_token expired",
    ERR_TASK_ID: "invalid task_id",
    ERR_RESPONSE_CODE: "response_code used or expired",
    ERR_EMPTY_MEDIA: "empty media data",
    ERR_EMPTY_CONTENT: "empty content",
    ERR_RATE_LIMIT: "api freq out of limit",
    ERR_DATA_FORMAT: "data format error",
    ERR_INVALID_CHATID: "invalid chatid",
    ERR_INVALID_WEBHOOK_KEY: "invalid webhook url",
    ERR_USER_NOT_FOUND: "user no exist",
    ERR_API_FORBIDDEN: "api forbidden",
    ERR_DEPARTMENT_NOT_FOUND: "department not found",
    ERR_NO_PRIVILEGE: "no privilege to access/modify contact/party/agent",
    ERR_USERID_NOT_FOUND: "userid not found",
    ERR_INVALID_MOBILE: "invalid mobile",
    ERR_INVALID_CODE: "invalid code",
}

#: The paths :meth:`FakeWeCom.fail` accepts (relative to ``/cgi-bin/``).
PATHS = (
    "gettoken",
    "message/send",
    "message/update_template_card",
    "media/upload",
    "media/get",
    "webhook/send",
    "appchat/send",
    "user/getuserid",
    "department/list",
    "department/simplelist",
    "user/list",
    "user/simplelist",
    "user/get",
    "user/list_id",
    "auth/getuserinfo",
)

TOKEN_TTL = 7200
DUPLICATE_CHECK_DEFAULT = 1800
DUPLICATE_CHECK_MAX = 4 * 3600
RESPONSE_CODE_TTL = 72 * 3600
LOGIN_CODE_TTL = 300  # an OAuth / Web登录 code: "code只能使用一次，5分钟未被使用自动过期" (91023)
ROBOT_LIMIT = 20
ROBOT_WINDOW = 60.0
ROBOT_TEXT_MAX = 2048
ROBOT_MARKDOWN_MAX = 4096
BUTTON_KEY_MAX = 1024
TASK_ID_RE = re.compile(r"[0-9A-Za-z_\-@]{1,128}")
#: Card types whose send answers with a ``response_code`` (90236).
INTERACTIVE_CARDS = frozenset({"button_interaction", "vote_interaction", "multiple_interaction"})
APP_MSGTYPES = frozenset(
    {
        "text",
        "image",
        "voice",
        "video",
        "file",
        "textcard",
        "news",
        "mpnews",
        "markdown",
        "miniprogram_notice",
        "template_card",
    }
)
APPCHAT_MSGTYPES = frozenset(
    {"text", "image", "voice", "video", "file", "textcard", "news", "mpnews", "markdown"}
)
#: media/upload size limits in bytes (every file must also be larger than 5 bytes) and their errcodes.
MEDIA_LIMITS: dict[str, tuple[int, int]] = {
    "image": (10 * 2**20, ERR_INVALID_IMAGE_SIZE),
    "voice": (2 * 2**20, ERR_INVALID_FILE_SIZE),
    "video": (10 * 2**20, ERR_INVALID_VIDEO_SIZE),
    "file": (20 * 2**20, ERR_INVALID_FILE_SIZE),
}
MEDIA_MIN = 5

_dumps = partial(json.dumps, ensure_ascii=False)


class ManualClock:
    """A ``time.time`` stand-in that only moves when told to."""

    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


@dataclass
class FakeDepartment:
    id: int
    name: str
    parentid: int = 0  # 0: the root (WeCom's root department is 1, its parentid 0)
    order: int = 0
    leaders: list[str] = field(default_factory=list)


@dataclass
class FakePerson:
    userid: str
    name: str
    mobile: str
    department: list[int]
    status: int = 1  # 1 activated, 2 disabled, 4 not activated, 5 left
    position: str = ""
    email: str = ""


#: The fields WeCom no longer returns to apps created after 2022-06-20 20:00 (user/get, user/list).
SENSITIVE_FIELDS = ("avatar", "thumb_avatar", "gender", "mobile", "email", "biz_mail", "qr_code", "address")


@dataclass
class FakeDirectory:
    """The organisation's 通讯录 and the app's view of it. ``visible``: the department ids in the app's
    visible range (each with everything under it), None for the whole organisation; ``visible_users``:
    people in the range by themselves."""

    departments: list[FakeDepartment] = field(default_factory=list)
    people: list[FakePerson] = field(default_factory=list)
    visible: set[int] | None = None
    visible_users: set[str] = field(default_factory=set)

    def department(self, department_id: int) -> FakeDepartment | None:
        return next((d for d in self.departments if d.id == department_id), None)

    def department_visible(self, department_id: int) -> bool:
        if self.visible is None:
            return self.department(department_id) is not None
        seen: set[int] = set()
        current = self.department(department_id)
        while current is not None and current.id not in seen:
            if current.id in self.visible:
                return True
            seen.add(current.id)
            current = self.department(current.parentid)
        return False

    def person_visible(self, person: FakePerson) -> bool:
        return person.userid in self.visible_users or any(
            self.department_visible(d) for d in person.department)

    def subtree(self, root: int) -> list[FakeDepartment]:
        """``root`` and every department under it, parents first."""
        found = [d for d in self.departments if d.id == root]
        index = 0
        while index < len(found):
            found += [d for d in self.departments if d.parentid == found[index].id and d not in found]
            index += 1
        return found


@dataclass
class _Token:
    issued_at: float
    revoked: bool = False


@dataclass
class _LoginCode:
    userid: str | None  # None: someone outside the organisation (answered with an openid)
    openid: str | None
    issued_at: float
    used: bool = False


@dataclass
class _ResponseCode:
    task_id: str
    recipients: frozenset[str] | None  # None: the card went to @all / parties / tags
    issued_at: float
    used: bool = False


class FakeWeCom(LoopbackServer):
    """State + fault injection; ``.app`` is the aiohttp application."""

    def __init__(
        self,
        corp_id: str = "ww-test-corp",
        secret: str = "test-secret",  # noqa: S107 - a test fixture's secret
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(Faults(PATHS, prefix="cgi-bin/"))  # errcodes and tests.fakes.TRANSPORT_FAULTS
        self.corp_id = corp_id
        self.secret = secret
        self.clock = clock
        #: If set, message/send and update_template_card refuse any other agentid with 40056.
        self.agent_id: int | None = None
        #: UserIDs message/send reports back in ``invaliduser`` (errcode stays 0).
        self.unknown_users: set[str] = set()
        #: Valid group-robot keys; empty means any non-empty key is accepted.
        self.robot_keys: set[str] = set()
        #: Chat ids appchat/send accepts.
        self.chats: set[str] = set()
        #: Until this clock time, every call with a token answers 42001 (a lasting token outage).
        self.token_outage_until = 0.0
        #: message/send bodies dropped by the duplicate check (answered ok, never delivered).
        self.duplicates: list[dict[str, Any]] = []
        #: The 通讯录 the directory endpoints answer from (module docstring).
        self.directory = FakeDirectory()
        #: Like an app created after 2022-06-20: no mobile, email, avatar, gender, address.
        self.withhold_sensitive = False
        #: Like a 代开发 app without the administrator's grant: no member or department names.
        self.withhold_names = False
        #: user/getuserid's answer for a mobile whose owner is outside the visible range.
        self.hidden_mobile_errcode = ERR_NO_PRIVILEGE

        self.tokens_issued = 0
        self.sent: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.webhook: dict[str, list[dict[str, Any]]] = {}
        self.appchat: list[dict[str, Any]] = []
        self.uploads: list[tuple[str, str, bytes]] = []
        self.media: dict[str, tuple[bytes, str, str]] = {}
        #: task_id -> the accepted message/send body of that card.
        self.cards: dict[str, dict[str, Any]] = {}

        self._tokens: dict[str, _Token] = {}
        self._codes: dict[str, _ResponseCode] = {}
        self._login_codes: dict[str, _LoginCode] = {}
        #: auth/getuserinfo answers given (userid or openid), for tests to read.
        self.logins: list[dict[str, Any]] = []
        self._task_ids: set[str] = set()
        self._recent: dict[str, float] = {}  # duplicate-check fingerprint -> time last accepted
        self._robot_times: dict[str, deque[float]] = {}

        self._add_routes("/cgi-bin/", [
            ("GET", "gettoken", self._gettoken),
            ("POST", "message/send", self._message_send),
            ("POST", "message/update_template_card", self._update_card),
            ("POST", "media/upload", self._media_upload),
            ("GET", "media/get", self._media_get),
            ("POST", "webhook/send", self._webhook_send),
            ("POST", "appchat/send", self._appchat_send),
            ("POST", "user/getuserid", self._user_getuserid),
            ("GET", "department/list", self._department_list),
            ("GET", "department/simplelist", self._department_simplelist),
            ("GET", "user/list", self._user_list),
            ("GET", "user/simplelist", self._user_simplelist),
            ("GET", "user/get", self._user_get),
            ("POST", "user/list_id", self._user_list_id),
            ("GET", "auth/getuserinfo", self._auth_getuserinfo),
        ])

    # ---- lifecycle ---------------------------------------------------------------------------------


    # ---- test controls -----------------------------------------------------------------------------

    def expire_tokens(self) -> None:
        """Every token issued so far becomes invalid: calls with it answer 42001."""
        for token in self._tokens.values():
            token.revoked = True

    def issue_tap_code(self, task_id: str) -> str:
        """Simulate a tap on the card ``task_id``: a fresh single-use code, as its ``ResponseCode``."""
        card = self.cards.get(task_id)
        if card is None:
            raise KeyError(f"no card with task_id {task_id!r} was sent")
        return self._new_code(task_id, _recipients(card))

    def issue_login_code(self, userid: str) -> str:
        """The ``code`` WeCom's OAuth (91022) or Web登录 (98152) redirect would carry after member
        ``userid`` signed in: single-use, valid ``LOGIN_CODE_TTL`` seconds by the fake's clock."""
        return self._new_login_code(_LoginCode(userid, None, self.clock()))

    def issue_outsider_code(self, openid: str = "oDjGHs-1yCnGrRovBj2yHij5JL6E") -> str:
        """A code for someone who is not a member of the organisation: answered with ``openid``."""
        return self._new_login_code(_LoginCode(None, openid, self.clock()))

    def _new_login_code(self, entry: _LoginCode) -> str:
        code = secrets.token_urlsafe(32)  # real ones are about 43 characters of the same alphabet
        self._login_codes[code] = entry
        return code

    def response_codes_used(self) -> set[str]:
        return {code for code, entry in self._codes.items() if entry.used}

    def code_task(self, response_code: str) -> str | None:
        """The task_id a response code belongs to, or None if the fake never issued it."""
        entry = self._codes.get(response_code)
        return entry.task_id if entry else None

    # ---- contact changes (change_contact callbacks) ------------------------------------------------

    def contact_event(self, change_type: str, *fields: tuple[str, str | int]) -> str:
        """The decrypted ``change_contact`` callback (90970 / 90971) with ``fields`` after ChangeType."""
        body = "".join(f"<{name}>{value}</{name}>" if isinstance(value, int)
                       else f"<{name}><![CDATA[{value}]]></{name}>" for name, value in fields)
        return (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
                f"<FromUserName><![CDATA[sys]]></FromUserName><CreateTime>{int(self.clock())}</CreateTime>"
                f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_contact]]></Event>"
                f"<ChangeType><![CDATA[{change_type}]]></ChangeType>{body}</xml>")

    def _person(self, userid: str) -> FakePerson:
        person = next((p for p in self.directory.people if p.userid == userid), None)
        if person is None:
            raise KeyError(f"no person {userid!r} in the fake directory")
        return person

    def member_leaves(self, userid: str) -> str:
        """The member is deleted from the 通讯录 (离职): delete_user."""
        self.directory.people.remove(self._person(userid))
        return self.contact_event("delete_user", ("UserID", userid))

    def member_changes(self, userid: str, *, department: list[int] | None = None,
                       name: str | None = None, position: str | None = None) -> str:
        """The member is moved, renamed or given a new position: update_user with the changed fields."""
        person = self._person(userid)
        fields: list[tuple[str, str | int]] = [("UserID", userid)]
        if name is not None:
            person.name = name
            fields.append(("Name", name))
        if department is not None:
            person.department = list(department)
            leads = [int(userid in (self.directory.department(d) or FakeDepartment(0, "")).leaders)
                     for d in department]
            fields += [("Department", ",".join(map(str, department))),
                       ("MainDepartment", department[0] if department else 1),
                       ("IsLeaderInDept", ",".join(map(str, leads)))]
        if position is not None:
            person.position = position
            fields.append(("Position", position))
        return self.contact_event("update_user", *fields)

    def department_removed(self, department_id: int) -> str:
        """The department is deleted (WeCom deletes only empty ones): delete_party."""
        department = self.directory.department(department_id)
        if department is None:
            raise KeyError(f"no department {department_id} in the fake directory")
        self.directory.departments.remove(department)
        return self.contact_event("delete_party", ("Id", department_id))

    # ---- plumbing ----------------------------------------------------------------------------------

    def _platform_fault(self, fault: Fault) -> web.StreamResponse:
        assert isinstance(fault, int)
        return self._error(fault)

    @staticmethod
    def _ok(**fields: Any) -> web.Response:
        return web.json_response({"errcode": 0, "errmsg": "ok", **fields}, dumps=_dumps)

    def _error(self, errcode: int, errmsg: str | None = None) -> web.Response:
        message = errmsg or ERRMSG.get(errcode, "fault injected")
        hint = f"[{int(self.clock())}_{secrets.randbelow(10**6):06d}_{secrets.token_hex(4)}]"
        text = (
            f"{message}, hint: {hint}, from ip: 127.0.0.1, "
            f"more info at https://open.work.weixin.qq.com/devtool/query?e={errcode}"
        )
        return web.json_response({"errcode": errcode, "errmsg": text}, dumps=_dumps)

    def _check_token(self, request: web.Request) -> web.Response | None:
        value = request.query.get("access_token", "")
        if not value:
            return self._error(ERR_TOKEN_MISSING)
        token = self._tokens.get(value)
        if token is None:
            return self._error(ERR_INVALID_TOKEN)
        if token.revoked or self.clock() - token.issued_at >= TOKEN_TTL:
            return self._error(ERR_TOKEN_EXPIRED)
        if self.clock() < self.token_outage_until:
            return self._error(ERR_TOKEN_EXPIRED)
        return None

    async def _json_body(self, request: web.Request) -> dict[str, Any] | web.Response:
        try:
            body = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return self._error(ERR_DATA_FORMAT, "Warning: wrong json format. data format error")
        if not isinstance(body, dict):
            return self._error(ERR_DATA_FORMAT, "Warning: wrong json format. data format error")
        return body

    def _new_code(self, task_id: str, recipients: frozenset[str] | None) -> str:
        code = secrets.token_urlsafe(32)
        self._codes[code] = _ResponseCode(task_id, recipients, self.clock())
        return code

    # ---- gettoken ----------------------------------------------------------------------------------

    async def _gettoken(self, request: web.Request) -> web.StreamResponse:
        corp_id = request.query.get("corpid", "")
        secret = request.query.get("corpsecret", "")
        if not corp_id:
            return self._error(ERR_CORPID_MISSING)
        if not secret:
            return self._error(ERR_SECRET_MISSING)
        if corp_id != self.corp_id:
            return self._error(ERR_INVALID_CORPID)
        if secret != self.secret:
            return self._error(ERR_INVALID_SECRET)
        value = secrets.token_urlsafe(96)
        self._tokens[value] = _Token(self.clock())
        self.tokens_issued += 1
        return self._ok(access_token=value, expires_in=TOKEN_TTL)

    # ---- message/send ------------------------------------------------------------------------------

    async def _message_send(self, request: web.Request) -> web.StreamResponse:
        body = await self._authed_body(request)
        if isinstance(body, web.Response):
            return body
        if (refused := self._check_agent(body)) is not None:
            return refused
        msgtype = body.get("msgtype")
        if msgtype not in APP_MSGTYPES:
            return self._error(ERR_INVALID_MSGTYPE)
        if not any(isinstance(body.get(k), str) and body[k].strip() for k in ("touser", "toparty", "totag")):
            return self._error(ERR_INVALID_PARAMETER, "invalid parameter: no touser, toparty or totag")
        if msgtype in ("text", "markdown") and (refused := self._check_content(body, msgtype)) is not None:
            return refused

        card: dict[str, Any] | None = None
        task_id: str | None = None
        if msgtype == "template_card":
            card = body.get("template_card")
            if not isinstance(card, dict) or not isinstance(card.get("card_type"), str):
                return self._error(ERR_INVALID_PARAMETER, "invalid parameter: template_card.card_type")
            if card["card_type"] == "button_interaction":
                if (refused := self._check_buttons(card)) is not None:
                    return refused
            if card["card_type"] in INTERACTIVE_CARDS or "task_id" in card:
                task_id = card.get("task_id")
                if not isinstance(task_id, str) or not TASK_ID_RE.fullmatch(task_id):
                    return self._error(ERR_TASK_ID)
                if task_id in self._task_ids:
                    return self._error(ERR_TASK_ID, "task_id already exists")

        if self._duplicate(body):
            self.duplicates.append(body)
            return self._ok(invaliduser="", msgid=secrets.token_urlsafe(48))

        fields: dict[str, Any] = {"invaliduser": self._invalid_users(body.get("touser"))}
        for key in ("toparty", "totag"):
            if body.get(key):
                fields[key.replace("to", "invalid", 1)] = ""
        fields["msgid"] = secrets.token_urlsafe(48)
        if card is not None and task_id is not None:
            self._task_ids.add(task_id)
            self.cards[task_id] = body
            if card["card_type"] in INTERACTIVE_CARDS or "action_menu" in card:
                fields["response_code"] = self._new_code(task_id, _recipients(body))
        self.sent.append(body)
        return self._ok(**fields)

    def _duplicate(self, body: dict[str, Any]) -> bool:
        """WeCom's duplicate check: the same message to the same recipients within the interval
        is dropped. Every accepted message is remembered; only one asking for the check is dropped."""
        msgtype = str(body.get("msgtype"))
        fingerprint = _dumps([body.get(k) for k in ("touser", "toparty", "totag", "agentid")]
                             + [msgtype, body.get(msgtype)], sort_keys=True)
        interval = body.get("duplicate_check_interval", DUPLICATE_CHECK_DEFAULT)
        if not isinstance(interval, int) or isinstance(interval, bool):
            interval = DUPLICATE_CHECK_DEFAULT
        interval = min(max(interval, 0), DUPLICATE_CHECK_MAX)
        now = self.clock()
        last = self._recent.get(fingerprint)
        if body.get("enable_duplicate_check") == 1 and last is not None and now - last < interval:
            return True
        self._recent[fingerprint] = now
        return False

    def _check_agent(self, body: dict[str, Any]) -> web.Response | None:
        if "agentid" not in body:
            return self._error(ERR_AGENTID_MISSING)
        agent_id = body["agentid"]
        if not isinstance(agent_id, int) or isinstance(agent_id, bool):
            return self._error(ERR_INVALID_AGENTID)
        if self.agent_id is not None and agent_id != self.agent_id:
            return self._error(ERR_INVALID_AGENTID)
        return None

    def _check_buttons(self, card: dict[str, Any]) -> web.Response | None:
        buttons = card.get("button_list")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 6:
            return self._error(ERR_INVALID_PARAMETER, "invalid parameter: button_list needs 1 to 6")
        keys: set[str] = set()
        for button in buttons:
            if not isinstance(button, dict):
                return self._error(ERR_INVALID_PARAMETER, "invalid parameter: button_list")
            if button.get("type", 0) == 1:
                if not isinstance(button.get("url"), str) or not button["url"]:
                    return self._error(ERR_INVALID_PARAMETER, "invalid parameter: button url")
                continue
            key = button.get("key")
            if not isinstance(key, str) or not key or len(key.encode()) > BUTTON_KEY_MAX or key in keys:
                return self._error(ERR_INVALID_PARAMETER, "invalid parameter: button key")
            keys.add(key)
        return None

    def _invalid_users(self, touser: Any) -> str:
        if not isinstance(touser, str) or touser == "@all":
            return ""
        return "|".join(u for u in touser.split("|") if u in self.unknown_users)

    # ---- message/update_template_card --------------------------------------------------------------

    async def _update_card(self, request: web.Request) -> web.StreamResponse:
        body = await self._authed_body(request)
        if isinstance(body, web.Response):
            return body
        if (refused := self._check_agent(body)) is not None:
            return refused
        code = body.get("response_code")
        if not isinstance(code, str) or not code:
            return self._error(ERR_INVALID_PARAMETER, "invalid parameter: response_code missing")
        atall = body.get("atall") == 1
        userids = body.get("userids")
        targets = ("userids", "partyids", "tagids")
        if not atall and not any(isinstance(body.get(k), list) and body[k] for k in targets):
            return self._error(
                ERR_INVALID_PARAMETER, "invalid parameter: no userids, partyids, tagids, atall"
            )
        button = body.get("button")
        replace_name = button.get("replace_name") if isinstance(button, dict) else None
        new_card = body.get("template_card")
        if not (isinstance(replace_name, str) and replace_name) and not (
            isinstance(new_card, dict) and isinstance(new_card.get("card_type"), str)
        ):
            return self._error(
                ERR_INVALID_PARAMETER, "invalid parameter: no button.replace_name or template_card"
            )
        if isinstance(new_card, dict):  # a whole new card: the same rules as on message/send
            title = new_card.get("main_title")
            if not (isinstance(title, dict) and isinstance(title.get("title"), str) and title["title"]):
                return self._error(ERR_INVALID_PARAMETER, "invalid parameter: main_title.title")
            if new_card["card_type"] == "button_interaction" and (
                refused := self._check_buttons(new_card)
            ) is not None:
                return refused
        entry = self._codes.get(code)
        if entry is None or entry.used or self.clock() - entry.issued_at >= RESPONSE_CODE_TTL:
            return self._error(ERR_RESPONSE_CODE)
        entry.used = True
        invalid: list[str] = []
        if not atall and isinstance(userids, list) and entry.recipients is not None:
            invalid = [u for u in userids if u not in entry.recipients]
        self.updates.append(body)
        return self._ok(invaliduser=invalid)

    # ---- media -------------------------------------------------------------------------------------

    async def _media_upload(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._check_token(request)) is not None:
            return refused
        media_type = request.query.get("type", "")
        if media_type not in MEDIA_LIMITS:
            return self._error(ERR_INVALID_MEDIA_TYPE_PARAM)
        if not request.content_type.startswith("multipart/"):
            return self._error(ERR_EMPTY_MEDIA)
        found: tuple[str, str, bytes] | None = None
        reader = await request.multipart()
        async for part in _parts(reader):
            if part.name == "media":
                data = await part.read(decode=False)
                # Kept verbatim: aiohttp's FormData percent-encodes non-ASCII names unless
                # quote_fields=False, and then that encoded name is what gets recorded.
                filename = part.filename or "unnamed"
                content_type = part.headers.get("Content-Type") or _guess_type(filename)
                found = (filename, content_type, bytes(data))
                break
        if found is None or not found[2]:
            return self._error(ERR_EMPTY_MEDIA)
        filename, content_type, data = found
        limit, size_error = MEDIA_LIMITS[media_type]
        if not MEDIA_MIN < len(data) <= limit:
            return self._error(size_error)
        media_id = secrets.token_urlsafe(48)
        self.uploads.append((media_type, filename, data))
        self.media[media_id] = (data, content_type, filename)
        return self._ok(type=media_type, media_id=media_id, created_at=str(int(self.clock())))

    async def _media_get(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._check_token(request)) is not None:
            return refused
        media_id = request.query.get("media_id", "")
        if not media_id:
            return self._error(ERR_MEDIA_ID_MISSING)
        stored = self.media.get(media_id)
        if stored is None:
            return self._error(ERR_INVALID_MEDIA_ID)
        data, content_type, filename = stored
        return web.Response(
            body=data,
            headers={
                "Content-Type": content_type,
                "Content-disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-cache, must-revalidate",
            },
        )

    # ---- group robot and app group chat ------------------------------------------------------------

    async def _webhook_send(self, request: web.Request) -> web.StreamResponse:
        key = request.query.get("key", "")
        if not key or (self.robot_keys and key not in self.robot_keys):
            return self._error(ERR_INVALID_WEBHOOK_KEY)
        body = await self._json_body(request)
        if isinstance(body, web.Response):
            return body
        msgtype = body.get("msgtype")
        if msgtype not in ("text", "markdown", "markdown_v2"):
            return self._error(ERR_INVALID_MSGTYPE)
        limit = ROBOT_TEXT_MAX if msgtype == "text" else ROBOT_MARKDOWN_MAX
        if (refused := self._check_content(body, msgtype, limit)) is not None:
            return refused
        if msgtype == "text":
            for field in ("mentioned_list", "mentioned_mobile_list"):
                mentioned = body["text"].get(field, [])
                if not isinstance(mentioned, list) or not all(isinstance(m, str) for m in mentioned):
                    return self._error(ERR_INVALID_PARAMETER, f"invalid parameter: {field}")
        now = self.clock()
        times = self._robot_times.setdefault(key, deque())
        while times and now - times[0] >= ROBOT_WINDOW:
            times.popleft()
        if len(times) >= ROBOT_LIMIT:
            return self._error(ERR_RATE_LIMIT)
        times.append(now)
        self.webhook.setdefault(key, []).append(body)
        return self._ok()

    async def _appchat_send(self, request: web.Request) -> web.StreamResponse:
        body = await self._authed_body(request)
        if isinstance(body, web.Response):
            return body
        if body.get("chatid") not in self.chats:
            return self._error(ERR_INVALID_CHATID)
        msgtype = body.get("msgtype")
        if msgtype not in APPCHAT_MSGTYPES:
            return self._error(ERR_INVALID_MSGTYPE)
        if msgtype in ("text", "markdown") and (refused := self._check_content(body, msgtype)) is not None:
            return refused
        self.appchat.append(body)
        return self._ok()

    def _check_content(self, body: dict[str, Any], msgtype: str, max_bytes: int = 0) -> web.Response | None:
        """Content must be a non-empty string; ``max_bytes`` > 0 also caps its UTF-8 size."""
        payload = body.get(msgtype)
        content = payload.get("content") if isinstance(payload, dict) else None
        if not isinstance(content, str) or not content:
            return self._error(ERR_EMPTY_CONTENT)
        if max_bytes and len(content.encode()) > max_bytes:
            return self._error(ERR_INVALID_PARAMETER, f"invalid parameter: content exceeds {max_bytes} bytes")
        return None


    # ---- web sign-in (网页授权登录 / 企业微信Web登录) ----------------------------------------------------

    async def _auth_getuserinfo(self, request: web.Request) -> web.StreamResponse:
        """``GET auth/getuserinfo?access_token&code`` (91023, 98177): ``userid`` for a member (in
        the app's visible range or not), ``openid`` for anyone else; 40029 for a code that is
        unknown, used, or older than 5 minutes."""
        if (refused := self._check_token(request)) is not None:
            return refused
        entry = self._login_codes.get(request.query.get("code", ""))
        if entry is None or entry.used or self.clock() - entry.issued_at >= LOGIN_CODE_TTL:
            return self._error(ERR_INVALID_CODE)
        entry.used = True
        answer = {"userid": entry.userid} if entry.userid is not None else {"openid": entry.openid}
        self.logins.append(answer)
        return self._ok(**answer)

    # ---- directory (通讯录) --------------------------------------------------------------------------

    async def _user_getuserid(self, request: web.Request) -> web.StreamResponse:
        body = await self._authed_body(request)
        if isinstance(body, web.Response):
            return body
        mobile = body.get("mobile")
        if not isinstance(mobile, str) or not 5 <= len(mobile.encode()) <= 32:
            return self._error(ERR_INVALID_MOBILE)
        person = next((p for p in self.directory.people if p.mobile and p.mobile == mobile), None)
        if person is None:
            return self._error(ERR_USER_NOT_FOUND)
        if not self.directory.person_visible(person):
            return self._error(self.hidden_mobile_errcode)
        return self._ok(userid=person.userid)

    def _visible_departments(self, request: web.Request) -> list[FakeDepartment] | web.Response:
        """The departments department/list and simplelist answer: the visible ones, under ``id`` if given."""
        raw = request.query.get("id", "")
        if raw:
            try:
                root = int(raw)
            except ValueError:
                return self._error(ERR_INVALID_PARAMETER, "invalid parameter: id")
            if self.directory.department(root) is None:
                return self._error(ERR_DEPARTMENT_NOT_FOUND)
            if not self.directory.department_visible(root):
                return self._error(ERR_NO_PRIVILEGE)
            return self.directory.subtree(root)
        return [d for d in self.directory.departments if self.directory.department_visible(d.id)]

    async def _department_list(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._check_token(request)) is not None:
            return refused
        found = self._visible_departments(request)
        if isinstance(found, web.Response):
            return found
        departments = []
        for d in found:
            entry: dict[str, Any] = {"id": d.id}
            if not self.withhold_names:
                entry |= {"name": d.name, "name_en": ""}
            entry |= {"department_leader": list(d.leaders), "parentid": d.parentid, "order": d.order}
            departments.append(entry)
        return self._ok(department=departments)

    async def _department_simplelist(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._check_token(request)) is not None:
            return refused
        found = self._visible_departments(request)
        if isinstance(found, web.Response):
            return found
        return self._ok(department_id=[{"id": d.id, "parentid": d.parentid, "order": d.order} for d in found])

    def _department_members(self, request: web.Request) -> list[FakePerson] | web.Response:
        raw = request.query.get("department_id", "")
        try:
            department_id = int(raw)
        except ValueError:
            return self._error(ERR_INVALID_PARAMETER, "invalid parameter: department_id")
        if self.directory.department(department_id) is None:
            return self._error(ERR_DEPARTMENT_NOT_FOUND)
        if not self.directory.department_visible(department_id):
            return self._error(ERR_NO_PRIVILEGE)
        return [p for p in self.directory.people if department_id in p.department]

    def _visible_department_ids(self, person: FakePerson) -> list[int]:
        """A member's departments as the app is shown them: only those it may see (90196)."""
        return [d for d in person.department if self.directory.department_visible(d)]

    def _member(self, person: FakePerson) -> dict[str, Any]:
        """A user/get or user/list entry (the fields a test can read; 90196)."""
        entry: dict[str, Any] = {"userid": person.userid}
        if not self.withhold_names:
            entry["name"] = person.name
        departments = self._visible_department_ids(person)
        entry |= {
            "department": departments, "order": [0] * len(departments), "position": person.position,
            "mobile": person.mobile, "gender": "0", "email": person.email, "biz_mail": "",
            "is_leader_in_dept": [
                int(person.userid in (self.directory.department(d) or FakeDepartment(0, "")).leaders)
                for d in departments],
            "direct_leader": [], "avatar": "", "thumb_avatar": "", "telephone": "", "alias": "",
            "address": "", "status": person.status, "main_department": departments[0] if departments else 1,
        }
        if self.withhold_sensitive:
            for name in SENSITIVE_FIELDS:
                entry.pop(name, None)
        return entry

    async def _user_list(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._check_token(request)) is not None:
            return refused
        members = self._department_members(request)
        if isinstance(members, web.Response):
            return members
        return self._ok(userlist=[self._member(p) for p in members])

    async def _user_simplelist(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._check_token(request)) is not None:
            return refused
        members = self._department_members(request)
        if isinstance(members, web.Response):
            return members
        userlist = []
        for p in members:
            entry: dict[str, Any] = {"userid": p.userid}
            if not self.withhold_names:
                entry["name"] = p.name
            entry["department"] = self._visible_department_ids(p)
            userlist.append(entry)
        return self._ok(userlist=userlist)

    async def _user_get(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._check_token(request)) is not None:
            return refused
        userid = request.query.get("userid", "").lower()  # not case-sensitive (90196)
        person = next((p for p in self.directory.people if p.userid.lower() == userid), None)
        if not userid or person is None:
            return self._error(ERR_USERID_NOT_FOUND)
        if not self.directory.person_visible(person):
            return self._error(ERR_NO_PRIVILEGE)
        return self._ok(**self._member(person))

    async def _user_list_id(self, request: web.Request) -> web.StreamResponse:
        """Only the 通讯录同步 secret may call it (96269); an app's token is refused."""
        if (refused := self._check_token(request)) is not None:
            return refused
        return self._error(ERR_API_FORBIDDEN)


def _recipients(body: dict[str, Any]) -> frozenset[str] | None:
    touser = body.get("touser")
    if not isinstance(touser, str) or touser == "@all" or body.get("toparty") or body.get("totag"):
        return None
    return frozenset(u for u in touser.split("|") if u)


def _guess_type(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


async def _parts(reader: MultipartReader) -> AsyncIterator[BodyPartReader]:
    """The top-level body parts of a multipart request (nested multiparts are skipped)."""
    while (part := await reader.next()) is not None:
        if isinstance(part, BodyPartReader):
            yield part
