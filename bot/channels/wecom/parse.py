"""WeCom XML → domain events (pure). Doc pages 90238 (callbacks), 90239 (messages), 90240
(template_card_event), 90970 / 90971 (通讯录 change events, ``change_contact``).

Quirks handled here:
- ``MsgId`` is kept as text: WeCom 5.0 clients send strings such as
  ``CAIQg/PKxgYY2sC9tpuAgAMg9/zKaw==``, which wechatpy's ``IntegerField`` cannot read.
- Events have no MsgId; their dedupe key is FromUserName + CreateTime (as the doc recommends),
  plus TaskId + EventKey for card taps so that two taps on two cards in one second stay two.
- wechatpy has no ``template_card_event`` class; one is registered below. ``SelectedItems`` is
  read from the raw dict and normalised to lists (xmltodict gives a scalar for one item).
- The XML passes ``verify.xml_guard`` first (no ``<!`` declaration of any kind, at most 16
  levels; WeCom's deepest, ``SelectedItems``, is 5), then xmltodict with entities disabled.
  Only text elements are read (``wxbiz.scalar``): an element turned into a dict or a list by
  xmltodict reads as empty, never as ``str(dict)``.
- The envelope is read only for ``Encrypt`` before the signature is checked
  (``bot.channels.wxbiz.parse_envelope``; the route checks the signature next); the rest is
  parsed after decryption.
- Values are checked where they enter: ``FromUserName`` is a WeCom userid (1-64 of letters,
  digits and ``_-@.``), ``TaskId`` (a card we sent) at most 128 printable characters. Keys are
  built with ``verify.event_key``: an EventKey of 1,100 characters or a MsgId of 10,000 gives a
  key of bounded length, the same one on a repeat.

Contact changes (``Event=change_contact``, issue 16; docs/directory.md "Change events"): WeCom sends
them from ``FromUserName`` ``sys`` ("此事件该值固定为sys，表示该消息由系统生成") with no MsgId, to
apps whose visible range holds the member or department. Each becomes one ``ContactChange`` with
sender ``"directory"`` and the key ``cc:<CreateTime>:<ChangeType>:<UserID or Id>`` (a redelivery
carries the same CreateTime, so it dedupes; two changes of one person in one second collapse into
one, which loses nothing: ``prepare`` reads the person as they are now, not from the event).
- ``delete_user`` → LEFT (``UserID``).
- ``update_user`` → UPDATED only when the event carries ``Department``, ``MainDepartment``,
  ``IsLeaderInDept`` or ``Name`` (WeCom lists the changed member's fields; which ones it leaves out
  when unchanged is not documented, so any of them counts as "may have changed"); a change of
  mobile, position, avatar… alone is acknowledged and dropped. The event's own values are not
  trusted for the facts: ``WeComChannel.prepare`` asks ``user/get``.
- ``update_user`` with ``NewUserID`` (a system-made userid changed once, 90970) → UPDATED with
  ``new_userid``: the handler moves the person's ``wecom_userid`` to it, and ``prepare`` reads the
  directory by the new id (the old one would find no one and turn a rename of the id into LEFT).
- ``delete_party`` → DEPARTMENT_REMOVED (``Id``, WeCom's department id: digits).
- ``create_user``, ``create_party``, ``update_party``, ``update_tag`` and any other ChangeType:
  acknowledged, no event.
Values are checked where they enter: ``UserID`` (and ``NewUserID``) a userid, ``Id`` 1-10 digits,
``CreateTime`` 1-11 digits, ``Department`` empty or comma-separated ids; anything else → 400.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from wechatpy.enterprise.events import register_event
from wechatpy.events import BaseEvent
from wechatpy.fields import StringField

from bot.channels import verify
from bot.channels.verify import Malformed, event_key, ident
from bot.channels.wxbiz import scalar, xml_root
from bot.events import (
    CardAction,
    Change,
    ContactChange,
    Event,
    FileMessage,
    ImageMessage,
    LinkMessage,
    TextMessage,
    UnsupportedMessage,
)

CHANNEL = "wecom"
USERID = re.compile(r"[A-Za-z0-9_\-@.]{1,64}")
DEPARTMENT_ID = re.compile(r"[0-9]{1,10}")  # a 32-bit unsigned department id
DEPARTMENT_IDS = re.compile(r"[0-9]{1,10}(,[0-9]{1,10}){0,999}")
DIRECTORY = "directory"  # the sender of every ContactChange
#: update_user fields whose presence means the person's departments or name may have changed.
MOVE_OR_RENAME = ("Department", "MainDepartment", "IsLeaderInDept", "Name")


@register_event("template_card_event")
class TemplateCardEvent(BaseEvent):  # type: ignore[misc]
    event = "template_card_event"
    key = StringField("EventKey", "")
    task_id = StringField("TaskId", "")
    card_type = StringField("CardType", "")
    response_code = StringField("ResponseCode", "")
    agent = StringField("AgentID", "")  # may exceed 32 bits: text


def _many(value: Any) -> list[Any]:
    """xmltodict gives one repeated element as a scalar or dict and several as a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def selections(raw: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """SelectedItems as [(question key, [option ids])], whatever xmltodict made of it."""
    box = raw.get("SelectedItems")
    items = _many(box.get("SelectedItem")) if isinstance(box, dict) else []
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue
        ids = item.get("OptionIds")
        options = _many(ids.get("OptionId")) if isinstance(ids, dict) else []
        out.append((scalar(item, "QuestionKey"), [o for o in options if isinstance(o, str)]))
    return out


def parse_plaintext(xml: str, now: datetime) -> Event | None:
    """A decrypted callback → a domain event, or None for events we acknowledge and ignore."""
    root = xml_root(xml)  # the one parse (xmltodict, after xml_guard); wechatpy never sees the text
    msg_type = scalar(root, "MsgType").lower()
    if not msg_type or not root.get("FromUserName"):
        raise Malformed("no MsgType or FromUserName")
    sender = ident(root.get("FromUserName"), name="FromUserName", max_len=64, pattern=USERID)
    created = scalar(root, "CreateTime")
    msg_id = scalar(root, "MsgId")
    common: dict[str, Any] = {"channel": CHANNEL, "sender": sender, "received_at": now,
                              "key": event_key("m", msg_id) if msg_id else event_key("e", sender, created)}
    if msg_type == "text":
        return TextMessage(**common, text=scalar(root, "Content"))
    if msg_type == "image":
        media = scalar(root, "MediaId")
        return ImageMessage(**common, media_id=media, url=scalar(root, "PicUrl"),
                            name=f"{media[:16] or 'image'}.jpg", mime="image/jpeg")
    if msg_type == "file":  # not in the documented list, but clients send it
        name = scalar(root, "Title") or scalar(root, "FileName") or "file"
        return FileMessage(**common, name=name, media_id=scalar(root, "MediaId"))
    if msg_type == "link":
        return LinkMessage(**common, title=scalar(root, "Title"), url=scalar(root, "Url"),
                           description=scalar(root, "Description"))
    if msg_type == "event":
        event = scalar(root, "Event").lower()
        if event == "change_contact":
            return contact_change(root, now)
        if event == "template_card_event":
            # Built from the dict already parsed (wechatpy's parse_message would parse again).
            fields = {name: scalar(root, name) for name in
                      ("EventKey", "TaskId", "CardType", "ResponseCode", "AgentID")}
            message = TemplateCardEvent(fields)
            task_id = ident(message.task_id, name="TaskId", max_len=128, required=False)
            common["key"] = event_key("e", sender, created, task_id, message.key)
            extra = {"task_id": task_id, "response_code": message.response_code,
                     "card_type": message.card_type}
            picked = selections(root)
            if picked:
                extra["selected"] = ";".join(f"{q}={','.join(o)}" for q, o in picked)
            return CardAction(**common, payload=message.key, card_id=message.task_id, extra=extra)
        if event == "enter_agent":
            return None  # opening the app is not a message; nothing to answer
        return None  # other events (subscribe, view, …) are logged by the route and ignored
    return UnsupportedMessage(**common, what=msg_type)


def contact_change(root: dict[str, Any], now: datetime) -> ContactChange | None:
    """A ``change_contact`` event → one ``ContactChange``, or None for the kinds we ignore (see
    the module docstring). Raises ``Malformed`` for values of the wrong shape."""
    change_type = scalar(root, "ChangeType")
    if change_type not in ("delete_user", "update_user", "delete_party"):
        return None  # create_user, create_party, update_party, update_tag…: nothing to act on
    created = str(verify.timestamp(scalar(root, "CreateTime"), unit="s"))
    common: dict[str, Any] = {"channel": CHANNEL, "sender": DIRECTORY, "received_at": now}
    if change_type == "delete_party":
        department = ident(root.get("Id"), name="Id", max_len=10, pattern=DEPARTMENT_ID)
        return ContactChange(**common, key=event_key("cc", created, change_type, department),
                             change=Change.DEPARTMENT_REMOVED.value, department=department)
    userid = ident(root.get("UserID"), name="UserID", max_len=64, pattern=USERID)
    key = event_key("cc", created, change_type, userid)
    if change_type == "delete_user":
        return ContactChange(**common, key=key, change=Change.LEFT.value, userid=userid)
    departments = root.get("Department")
    if departments not in (None, "") and not (isinstance(departments, str)
                                              and DEPARTMENT_IDS.fullmatch(departments)):
        raise Malformed("Department: comma-separated department ids expected")
    if root.get("NewUserID") not in (None, ""):
        new_userid = ident(root.get("NewUserID"), name="NewUserID", max_len=64, pattern=USERID)
        if new_userid != userid:
            return ContactChange(**common, key=key, change=Change.UPDATED.value, userid=userid,
                                 new_userid=new_userid)
    if not any(name in root for name in MOVE_OR_RENAME):
        return None  # mobile, position, avatar…: nothing the organisation keeps
    return ContactChange(**common, key=key, change=Change.UPDATED.value, userid=userid)
