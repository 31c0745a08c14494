"""DingTalk JSON → domain events (pure). Pages dingstart/robot-receive-message and
event-callback-card.

- ``text.content`` keeps the space after an @-mention: stripped.
- ``senderStaffId`` is the sender's userId (``senderId`` is encrypted); it maps to a person's
  ``dingtalk_userid``.
- ``richText`` becomes the text and then one image event per picture, keyed ``msgId#n`` so that
  each is deduped on its own; the inbox handles one person's events in order, so the pictures
  attach to the draft the text created.
- A card tap's ``content`` is a JSON *string*; the button's callback parameter ``payload``
  carries our packed typed payload (see docs/dingtalk-card.md).

Both parse functions take ``Any``: in Stream mode they get ``message.data`` as the SDK decoded it
(``null``, a list, a string are all possible), over HTTP whatever ``loads`` returned. Anything but
the expected shape is ``Malformed`` (the verification layer's 400), never a TypeError: the whole
value is checked first (``verify.check_tree``: plain JSON data, at most 16 deep, no NUL or lone
surrogate anywhere — PostgreSQL cannot store those), then each field for type and length:
``senderStaffId``/``userId`` 1-64 printable ASCII (staffIds go up to 64), ``conversationId`` and
``outTrackId`` up to 128, ``actionIds`` a list of strings or numbers, ``params`` an object whose
``payload`` is a string. ``msgId`` may be of any length: keys are built with ``verify.event_key``,
which hashes long parts (a 10,000-character msgId gives a bounded key, the same on a repeat).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot import texts
from bot.channels.dingtalk.render import CALLBACK_PARAM
from bot.channels.verify import Malformed, check_tree, event_key, ident, load_json
from bot.channels.verify import text as text_field
from bot.events import CardAction, Event, FileMessage, ImageMessage, TextMessage, UnsupportedMessage

CHANNEL = "dingtalk"
MAX_USER, MAX_CONVERSATION, MAX_TRACK, MAX_WEBHOOK = 64, 128, 128, 2048
# What the routes and the stream import from here; Malformed is re-exported (mypy's strict mode
# wants it named) so a channel reads the parse's errors from the parse.
__all__ = ["Malformed", "Session", "loads", "parse_card_callback", "parse_robot_message"]


@dataclass(frozen=True)
class Session:
    """Where a reply can go without a token while it is valid (the message's sessionWebhook)."""

    user_id: str
    webhook: str
    expires_ms: int
    conversation_id: str
    group: bool


def loads(raw: bytes) -> dict[str, Any]:
    """A callback body: a JSON object (depth-checked before parsing), else Malformed."""
    return _object(load_json(raw))


def _object(body: Any) -> dict[str, Any]:
    check_tree(body)
    if not isinstance(body, dict):
        raise Malformed("not a JSON object")
    return body


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_robot_message(data: Any, now: datetime) -> tuple[list[Event], Session | None]:
    body = _object(data)
    msg_id = _text(body.get("msgId"))
    kind = _text(body.get("msgtype"))
    if not msg_id or not body.get("senderStaffId") or not kind:
        raise Malformed("msgId, senderStaffId and msgtype are required")
    sender = ident(body.get("senderStaffId"), name="senderStaffId", max_len=MAX_USER)
    key = event_key(msg_id)
    group = _text(body.get("conversationType")) == "2"
    conversation = ident(body.get("conversationId"), name="conversationId", max_len=MAX_CONVERSATION,
                         required=False)
    common: dict[str, Any] = {"channel": CHANNEL, "sender": sender, "received_at": now,
                              "chat": conversation if group else None}
    session = None
    webhook = text_field(body.get("sessionWebhook"), name="sessionWebhook", max_len=MAX_WEBHOOK,
                         required=False)
    if webhook:
        expires = body.get("sessionWebhookExpiredTime")
        expires_ms = expires if isinstance(expires, int) and not isinstance(expires, bool) \
            and 0 < expires < 2**63 else 0
        session = Session(sender, webhook, expires_ms, conversation, group)
    content = _obj(body.get("content"))
    events: list[Event] = []
    if kind == "text":
        said = _text(_obj(body.get("text")).get("content")).strip()
        events.append(TextMessage(**common, key=key, text=said))
    elif kind == "picture":
        code = _text(content.get("downloadCode"))
        events.append(ImageMessage(**common, key=key, media_id=code, name=texts.DEFAULT_IMAGE_FILE))
    elif kind == "richText":
        rich = content.get("richText")
        parts: list[Any] = rich if isinstance(rich, list) else []
        text = "".join(_text(p.get("text")) for p in parts if isinstance(p, dict)).strip()
        if text:
            events.append(TextMessage(**common, key=key, text=text))
        pictures = [p for p in parts if isinstance(p, dict) and p.get("downloadCode")]
        for n, p in enumerate(pictures, start=1):
            events.append(ImageMessage(**common, key=f"{key}#{n}", name=texts.DEFAULT_IMAGE_FILE,
                                       media_id=_text(p.get("downloadCode"))))
    elif kind == "file":
        events.append(FileMessage(**common, key=key,
                                  name=_text(content.get("fileName")) or texts.DEFAULT_FILE_NAME,
                                  media_id=_text(content.get("downloadCode"))))
    else:
        events.append(UnsupportedMessage(**common, key=key, what=kind))
    return events, session


def parse_card_callback(data: Any, now: datetime) -> CardAction:
    body = _object(data)
    raw = body.get("content")
    if not body.get("outTrackId") or not body.get("userId") or not isinstance(raw, str):
        raise Malformed("outTrackId, userId and content are required")
    track = ident(body.get("outTrackId"), name="outTrackId", max_len=MAX_TRACK)
    user = ident(body.get("userId"), name="userId", max_len=MAX_USER)
    content = load_json(raw)  # a JSON string inside the JSON: depth-checked the same way
    private = content.get("cardPrivateData") if isinstance(content, dict) else None
    if not isinstance(private, dict):
        raise Malformed("content has no cardPrivateData object")
    params = private.get("params") or {}
    actions = private.get("actionIds") or []
    if not isinstance(params, dict):
        raise Malformed("params is not an object")
    if not isinstance(actions, list) or not all(
            isinstance(a, str | int | float) and not isinstance(a, bool) for a in actions):
        raise Malformed("actionIds is not a list of ids")
    payload = params.get(CALLBACK_PARAM, "")  # the template's callback parameter
    if not isinstance(payload, str):
        raise Malformed(f"params.{CALLBACK_PARAM} is not a string")
    extra = {"out_track_id": track, "action_ids": ",".join(str(a) for a in actions),
             "params": json.dumps(params, ensure_ascii=False, sort_keys=True)}
    key = event_key("c", track, user, extra["params"])
    return CardAction(channel=CHANNEL, sender=user, key=key, received_at=now, payload=payload,
                      card_id=track, extra=extra)
