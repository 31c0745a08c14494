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
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.events import CardAction, Event, FileMessage, ImageMessage, TextMessage, UnsupportedMessage

CHANNEL = "dingtalk"


class Malformed(ValueError):
    pass


@dataclass(frozen=True)
class Session:
    """Where a reply can go without a token while it is valid (the message's sessionWebhook)."""

    user_id: str
    webhook: str
    expires_ms: int
    conversation_id: str
    group: bool


def loads(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Malformed("not JSON") from None
    if not isinstance(data, dict):
        raise Malformed("not a JSON object")
    return data


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_robot_message(body: dict[str, Any], now: datetime) -> tuple[list[Event], Session | None]:
    msg_id = _text(body.get("msgId"))
    sender = _text(body.get("senderStaffId"))
    kind = _text(body.get("msgtype"))
    if not msg_id or not sender or not kind:
        raise Malformed("msgId, senderStaffId and msgtype are required")
    group = _text(body.get("conversationType")) == "2"
    conversation = _text(body.get("conversationId"))
    common: dict[str, Any] = {"channel": CHANNEL, "sender": sender, "received_at": now,
                              "chat": conversation if group else None}
    session = None
    webhook = _text(body.get("sessionWebhook"))
    if webhook:
        expires = body.get("sessionWebhookExpiredTime")
        session = Session(sender, webhook, int(expires) if isinstance(expires, int) else 0,
                          conversation, group)
    content = _obj(body.get("content"))
    events: list[Event] = []
    if kind == "text":
        said = _text(_obj(body.get("text")).get("content")).strip()
        events.append(TextMessage(**common, key=msg_id, text=said))
    elif kind == "picture":
        code = _text(content.get("downloadCode"))
        events.append(ImageMessage(**common, key=msg_id, media_id=code, name="图片.png"))
    elif kind == "richText":
        rich = content.get("richText")
        parts: list[Any] = rich if isinstance(rich, list) else []
        text = "".join(_text(p.get("text")) for p in parts if isinstance(p, dict)).strip()
        if text:
            events.append(TextMessage(**common, key=msg_id, text=text))
        pictures = [p for p in parts if isinstance(p, dict) and p.get("downloadCode")]
        for n, p in enumerate(pictures, start=1):
            events.append(ImageMessage(**common, key=f"{msg_id}#{n}", name="图片.png",
                                       media_id=_text(p.get("downloadCode"))))
    elif kind == "file":
        events.append(FileMessage(**common, key=msg_id, name=_text(content.get("fileName")) or "文件",
                                  media_id=_text(content.get("downloadCode"))))
    else:
        events.append(UnsupportedMessage(**common, key=msg_id, what=kind))
    return events, session


def parse_card_callback(body: dict[str, Any], now: datetime) -> CardAction:
    track = _text(body.get("outTrackId"))
    user = _text(body.get("userId"))
    raw = body.get("content")
    if not track or not user or not isinstance(raw, str):
        raise Malformed("outTrackId, userId and content are required")
    try:
        content = json.loads(raw)
        private = content.get("cardPrivateData") or {}
        params = private.get("params") or {}
        actions = private.get("actionIds") or []
    except (ValueError, AttributeError):
        raise Malformed("content is not the card callback JSON") from None
    if not isinstance(params, dict):
        raise Malformed("params is not an object")
    payload = _text(params.get("payload"))
    extra = {"out_track_id": track, "action_ids": ",".join(str(a) for a in actions),
             "params": json.dumps(params, ensure_ascii=False, sort_keys=True)}
    key = f"c:{track}:{user}:{extra['params']}"[:250]
    return CardAction(channel=CHANNEL, sender=user, key=key, received_at=now, payload=payload,
                      card_id=track, extra=extra)
