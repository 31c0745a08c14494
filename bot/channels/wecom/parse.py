"""WeCom XML → domain events (pure). Doc pages 90238 (callbacks), 90239 (messages), 90240
(template_card_event).

Quirks handled here:
- ``MsgId`` is kept as text: WeCom 5.0 clients send strings such as
  ``CAIQg/PKxgYY2sC9tpuAgAMg9/zKaw==``, which wechatpy's ``IntegerField`` cannot read.
- Events have no MsgId; their dedupe key is FromUserName + CreateTime (as the doc recommends),
  plus TaskId + EventKey for card taps so that two taps on two cards in one second stay two.
- wechatpy has no ``template_card_event`` class; one is registered below. ``SelectedItems`` is
  read from the raw dict and normalised to lists (xmltodict gives a scalar for one item).
- XML is parsed by xmltodict with entity declarations refused (no entity expansion).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import xmltodict
from wechatpy.enterprise.events import register_event
from wechatpy.events import BaseEvent
from wechatpy.fields import StringField

from bot.events import (
    CardAction,
    Event,
    FileMessage,
    ImageMessage,
    LinkMessage,
    TextMessage,
    UnsupportedMessage,
)

CHANNEL = "wecom"


class Malformed(ValueError):
    pass


@register_event("template_card_event")
class TemplateCardEvent(BaseEvent):  # type: ignore[misc]
    event = "template_card_event"
    key = StringField("EventKey", "")
    task_id = StringField("TaskId", "")
    card_type = StringField("CardType", "")
    response_code = StringField("ResponseCode", "")
    agent = StringField("AgentID", "")  # may exceed 32 bits: text


@dataclass(frozen=True)
class Envelope:
    to_user: str
    agent_id: str
    encrypted: str


def _xml(text: str) -> dict[str, Any]:
    try:
        doc = xmltodict.parse(text, disable_entities=True)
    except Exception as exc:  # expat errors, "entities are disabled", bad encodings
        raise Malformed(f"bad XML: {type(exc).__name__}") from None
    root = doc.get("xml") if isinstance(doc, dict) else None
    if not isinstance(root, dict):
        raise Malformed("no <xml> root")
    return root


def parse_envelope(body: str) -> Envelope:
    root = _xml(body)
    encrypted = root.get("Encrypt")
    if not isinstance(encrypted, str) or not encrypted:
        raise Malformed("no Encrypt")
    return Envelope(str(root.get("ToUserName") or ""), str(root.get("AgentID") or ""), encrypted)


def selections(raw: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """SelectedItems as [(question key, [option ids])], whatever xmltodict made of it."""
    items = (raw.get("SelectedItems") or {}).get("SelectedItem") if isinstance(
        raw.get("SelectedItems"), dict) else None
    if items is None:
        return []
    if isinstance(items, dict):
        items = [items]
    out = []
    for item in items:
        options = (item.get("OptionIds") or {}).get("OptionId") if isinstance(
            item.get("OptionIds"), dict) else None
        if options is None:
            options = []
        elif not isinstance(options, list):
            options = [options]
        out.append((str(item.get("QuestionKey", "")), [str(o) for o in options]))
    return out


def parse_plaintext(xml: str, now: datetime) -> Event | None:
    """A decrypted callback → a domain event, or None for events we acknowledge and ignore."""
    root = _xml(xml)  # refuses entities before wechatpy's own parse sees the text
    msg_type = str(root.get("MsgType") or "").lower()
    sender = str(root.get("FromUserName") or "")
    if not msg_type or not sender:
        raise Malformed("no MsgType or FromUserName")
    created = str(root.get("CreateTime") or "")
    msg_id = str(root.get("MsgId") or "")
    common: dict[str, Any] = {"channel": CHANNEL, "sender": sender, "received_at": now,
                              "key": f"m:{msg_id}" if msg_id else f"e:{sender}:{created}"}
    if msg_type == "text":
        return TextMessage(**common, text=str(root.get("Content") or ""))
    if msg_type == "image":
        media = str(root.get("MediaId") or "")
        return ImageMessage(**common, media_id=media, url=str(root.get("PicUrl") or ""),
                            name=f"{media[:16] or 'image'}.jpg", mime="image/jpeg")
    if msg_type == "file":  # not in the documented list, but clients send it
        name = str(root.get("Title") or root.get("FileName") or "file")
        return FileMessage(**common, name=name, media_id=str(root.get("MediaId") or ""))
    if msg_type == "link":
        return LinkMessage(**common, title=str(root.get("Title") or ""),
                           url=str(root.get("Url") or ""),
                           description=str(root.get("Description") or ""))
    if msg_type == "event":
        event = str(root.get("Event") or "").lower()
        if event == "template_card_event":
            # Built from the dict already parsed (wechatpy's parse_message would parse again).
            message = TemplateCardEvent(root)
            common["key"] = f"e:{sender}:{created}:{message.task_id}:{message.key}"[:250]
            extra = {"task_id": message.task_id, "response_code": message.response_code,
                     "card_type": message.card_type}
            picked = selections(root)
            if picked:
                extra["selected"] = ";".join(f"{q}={','.join(o)}" for q, o in picked)
            return CardAction(**common, payload=message.key, card_id=message.task_id, extra=extra)
        if event == "enter_agent":
            return None  # opening the app is not a message; nothing to answer
        return None  # other events (subscribe, view, …) are logged by the route and ignored
    return UnsupportedMessage(**common, what=msg_type)
