"""DingTalk address-book events (通讯录事件) → ``ContactChange`` (pure), and the encrypted HTTP
event subscription's crypto. Facts and pages: docs/directory.md ("DingTalk change events").

Two ways in, one parser:

- Stream mode: an ``EVENT`` frame (topic ``*``) whose headers carry ``eventType``, ``eventId``,
  ``eventCorpId``, ``eventBornTime`` and whose ``data`` is a JSON string such as
  ``{"timeStamp": "1685501863357", "userId": ["015xxxx227"]}`` (developerpedia
  docs/learn/stream/protocol.md; the event pages, e.g. user-activation-after-joining-the-enterprise-stream).
- HTTP mode: ``POST`` of ``{"encrypt": "…"}`` whose plaintext is ``{"EventType":
  "user_leave_org", "TimeStamp": "…", "UserId": [...], "CorpId": "…"}`` (``DeptId`` for
  department events), or ``{"EventType": "check_url"}`` when the URL is saved in the console.

Both spellings (``userId``/``UserId``, ``deptId``/``DeptId``) are read wherever they come from.
One event names several people: one ``ContactChange`` each, keyed ``<event id>:<userid>`` (the
event id is the Stream ``eventId``; an HTTP plaintext without one is identified by ``EventType``
and ``TimeStamp``), so a redelivery — which DingTalk documents as possible even after a correct
ack — gives the same keys and the inbox dedupes it.

``user_leave_org`` → LEFT; ``user_modify_org`` and ``user_dept_change`` → UPDATED (the event says
only who; ``DingTalkChannel.prepare`` asks the directory what changed); ``org_dept_remove`` →
DEPARTMENT_REMOVED, one per department id. Every other type (``user_add_org``,
``user_active_org``, ``org_admin_add``, ``bpms_*``, …) is acknowledged and ignored.

Validation where values enter: the whole value through ``verify.check_tree``; user ids 1-64
printable ASCII, department ids positive integers (as numbers or digit strings), at most
``MAX_IDS`` per event; event ids 1-128 printable ASCII; the event type 1-64. Anything else is
``Malformed`` (400), never another exception.

Crypto: dingtalk-sdk's ``DingTalkCrypto(token, aes_key, owner_key)`` (owner key: the app's AppKey
for an internal app). Its own signature check compares with ``!=`` and its decryption trusts the
frame (a bad length or padding ends in ``struct.error``/``IndexError``), so ``EventCrypto``
checks the signature itself (sha1 of the four values sorted, constant time), checks the frame
first with the opener WeCom's callbacks use (``bot.channels.wxbiz.open_frame``: the same AES frame
with the owner key in place of ReceiveId; every padding byte, the length inside the frame, the
owner key compared in constant time), and turns whatever the SDK still raises into ``Malformed``
— or ``Forbidden`` when the frame's owner key is not ours. Replies (``"success"``) are encrypted with the SDK.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from datetime import datetime
from typing import Any

from dingtalk.core.exceptions import InvalidCorpIdOrSuiteKeyException
from dingtalk.crypto import DingTalkCrypto, PrpCrypto

from bot.channels import verify, wxbiz
from bot.channels.verify import Malformed, check_tree, event_key, ident, load_json
from bot.events import Change, ContactChange

CHANNEL = "dingtalk"
SENDER = "directory"
CHECK_URL = "check_url"
MAX_IDS = 1000  # ids in one event (DingTalk batches a bulk change; far more is not an event)
MAX_USER, MAX_EVENT_ID, MAX_TYPE = 64, 128, 64
MAX_ENCRYPTED = 64 * 1024
_DIGITS = re.compile(r"[0-9]{1,13}")
CONTACT_EVENTS: dict[str, Change] = {
    "user_leave_org": Change.LEFT,
    "user_modify_org": Change.UPDATED,
    "user_dept_change": Change.UPDATED,
    "org_dept_remove": Change.DEPARTMENT_REMOVED,
}


def _field(body: dict[str, Any], *names: str) -> Any:
    for name in names:
        if name in body:
            return body[name]
    return None


def _user_ids(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or len(value) > MAX_IDS:
        raise Malformed(f"userId: a list of 1 to {MAX_IDS} ids is required")
    ids = [ident(v, name="userId", max_len=MAX_USER) for v in value]
    return list(dict.fromkeys(ids))


def _dept_ids(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or len(value) > MAX_IDS:
        raise Malformed(f"deptId: a list of 1 to {MAX_IDS} ids is required")
    out: list[str] = []
    for v in value:
        if isinstance(v, int) and not isinstance(v, bool) and 0 < v < 2**63:
            out.append(str(v))
        elif isinstance(v, str) and _DIGITS.fullmatch(v) and int(v) > 0:
            out.append(str(int(v)))
        else:
            raise Malformed("deptId: positive integers are required")
    return list(dict.fromkeys(out))


def event_type(value: Any) -> str:
    return ident(value, name="eventType", max_len=MAX_TYPE)


def contact_changes(kind: str, event_id: Any, data: Any, now: datetime) -> list[ContactChange]:
    """The changes one address-book event stands for; [] for an event type we ignore."""
    change = CONTACT_EVENTS.get(kind)
    if change is None:
        return []
    check_tree(data)
    if not isinstance(data, dict):
        raise Malformed("event data is not a JSON object")
    eid = ident(event_id, name="eventId", max_len=MAX_EVENT_ID)
    common: dict[str, Any] = {"channel": CHANNEL, "sender": SENDER, "received_at": now,
                              "change": change.value}
    if change is Change.DEPARTMENT_REMOVED:
        return [ContactChange(**common, key=event_key(eid, "dept", dept), department=dept)
                for dept in _dept_ids(_field(data, "deptId", "DeptId"))]
    return [ContactChange(**common, key=event_key(eid, user), userid=user)
            for user in _user_ids(_field(data, "userId", "UserId"))]


def parse_plaintext(plain: str, now: datetime) -> tuple[str, list[ContactChange]]:
    """An HTTP-mode plaintext → (EventType, changes). ``check_url`` and ignored types give []."""
    body = load_json(plain)
    if not isinstance(body, dict):
        raise Malformed("plaintext is not a JSON object")
    kind = event_type(_field(body, "EventType", "eventType"))
    if kind not in CONTACT_EVENTS:
        return kind, []
    given = body.get("eventId")
    if isinstance(given, str) and given:
        eid = given
    else:
        stamp = _field(body, "TimeStamp", "timeStamp")
        stamp = str(stamp) if isinstance(stamp, int) and not isinstance(stamp, bool) else stamp
        if not isinstance(stamp, str) or not _DIGITS.fullmatch(stamp):
            raise Malformed("TimeStamp: 1 to 13 digits are required")
        eid = f"{kind}:{stamp}"
    return kind, contact_changes(kind, eid, body, now)


# -- crypto ------------------------------------------------------------------------------------------

def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    """sha1 hex over the four values sorted and joined (what ``DingTalkCrypto`` signs)."""
    joined = "".join(sorted([token, timestamp, nonce, encrypted]))
    return hashlib.sha1(joined.encode()).hexdigest()  # noqa: S324 — the protocol's choice


class EventCrypto:
    """The HTTP event subscription's token / aes_key / owner key (the app's AppKey)."""

    def __init__(self, token: str, aes_key: str, owner_key: str) -> None:
        self.token = token
        self.owner_key = owner_key
        self._sdk = DingTalkCrypto(token, aes_key, owner_key)

    def __repr__(self) -> str:
        return f"EventCrypto(owner_key={self.owner_key!r})"

    def verify(self, sig: str, timestamp: str, nonce: str, encrypted: str) -> None:
        verify.same(signature(self.token, timestamp, nonce, encrypted), sig, fold_case=True)

    def decrypt(self, encrypted: str) -> str:
        """The plaintext of a verified ``encrypt`` value."""
        if not isinstance(encrypted, str) or len(encrypted) > MAX_ENCRYPTED or not encrypted.isascii():
            raise Malformed("encrypt: not base64")
        try:
            data = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError):
            raise Malformed("encrypt: not base64") from None
        if not data or len(data) % 16:
            raise Malformed("encrypt: not whole AES blocks")
        # The frame is DingTalk's copy of WeCom's (owner key for ReceiveId): checked first by the
        # shared strict opener, as the SDK reads only the last padding byte and trusts the length.
        try:
            wxbiz.open_frame(self._sdk.key, encrypted, self.owner_key)
        except wxbiz.WrongCorp:
            raise verify.Forbidden("not our app's event") from None
        except wxbiz.BadCiphertext as exc:
            raise Malformed(f"encrypt: {exc}") from None
        try:
            plain: str = PrpCrypto(self._sdk.key).decrypt(encrypted, self.owner_key)
        except InvalidCorpIdOrSuiteKeyException:
            raise verify.Forbidden("not our app's event") from None
        except Exception:  # the SDK trusts the frame: struct.error, IndexError, UnicodeDecodeError…
            raise Malformed("encrypt: not a well-formed frame") from None
        return plain

    def reply(self, text: str, timestamp_ms: int, nonce: str) -> dict[str, str]:
        """``{"msg_signature", "timeStamp", "nonce", "encrypt"}`` of ``text`` (e.g. "success")."""
        out: dict[str, Any] = self._sdk.encrypt_message(text, nonce=nonce, timestamp=timestamp_ms)
        return {k: str(v) for k, v in out.items()}
