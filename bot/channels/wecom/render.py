"""Domain messages → WeCom JSON (pure). Doc pages 90236 (message/send), 94888
(update_template_card), 99110 (group robot), 90248 (appchat/send).

- A live card is a ``template_card`` of type ``button_interaction``; its buttons' ``key`` is the
  packed typed payload, which comes back as ``EventKey``.
- ``task_id`` must be unique per app *forever* (a repeat is refused with 42014), and our card ids
  repeat (待审 re-sends a card), so the task id is the card id plus a digest of the outbox row's
  key: stable across retries of one row (a retry of a row that did register gets 42014, not a
  second card), different for every row.
- A decided card (status set, no buttons) is sent as markdown: button_interaction needs buttons.
- A card already sent is closed with ``update_template_card`` carrying a whole new
  ``template_card`` (title naming the outcome, the same fields) whose ``replace_text`` greys its
  button (``card_update``); the field is on doc 94888's "更新为新的卡片" examples and in WxJava's
  ``TemplateCardMessage`` (``me.chanjar.weixin.cp.bean.message``), which has no ``task_id``.
- Every ``message/send`` asks for WeCom's duplicate check (``enable_duplicate_check``): the same
  content to the same member within ``DUPLICATE_CHECK_INTERVAL`` is accepted and dropped. That is
  what makes resending a text safe after a crash between WeCom's acceptance and our commit: the
  resend comes one lease (60 s) plus the restart later, or one backoff (at most 10 min) after an
  ambiguous failure, both well inside 30 minutes (WeCom allows up to 4 h). A legitimately
  repeated identical answer (the same question asked twice) is a different outbox row: the
  channel sends it without the check (``WeComChannel._repeat_of``), or WeCom would drop it.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from bot import texts
from bot.cards import Card, Text

TASK_ID_MAX = 128
_TASK_ID_BAD = re.compile(r"[^0-9A-Za-z_\-@]")
# WeCom's suggested limits (90236): main title 36, desc 44, sub title 160, 6 fields, keyname 5.
TITLE_MAX, DESC_MAX, SUBTITLE_MAX, FIELDS_MAX, KEYNAME_MAX, BUTTON_TEXT_MAX = 36, 44, 160, 6, 5, 10
TEXT_MAX_BYTES = 2048  # text.content of the group robot
REPLACE_NAME_MAX = 20
#: Key of the single greyed button of a closed card; never tappable, so never routed.
CLOSED_KEY = "closed"
BUTTON_STYLE = {"primary": 1, "danger": 2, "default": 4}
DUPLICATE_CHECK_INTERVAL = 1800  # seconds; > outbox lease (60 s) + backoff cap (600 s)


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cut_bytes(text: str, limit: int) -> str:
    raw = text.encode()
    if len(raw) <= limit:
        return text
    return raw[: limit - 3].decode(errors="ignore") + "…"


def task_id(card_id: str, key: str) -> str:
    digest = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:12]
    base = _TASK_ID_BAD.sub("_", card_id)[: TASK_ID_MAX - len(digest) - 1]
    return f"{base}-{digest}"


def _card_content(card: Card) -> dict[str, Any]:
    """Title, fields, body and notes of a ``template_card``: the same on a live card and on the
    whole-card update that closes it."""
    out: dict[str, Any] = {
        "card_type": "button_interaction",
        "main_title": {"title": cut(card.title, TITLE_MAX), "desc": cut(card.subtitle, DESC_MAX)},
    }
    if card.body:
        out["sub_title_text"] = cut(card.body, SUBTITLE_MAX)
    if card.fields:
        out["horizontal_content_list"] = [
            {"keyname": cut(k, KEYNAME_MAX), "value": v} for k, v in card.fields[:FIELDS_MAX]
        ]
    if card.highlights:
        out["quote_area"] = {"type": 0, "quote_text": "\n".join(card.highlights)}
    return out


def template_card(card: Card, task: str) -> dict[str, Any]:
    out = _card_content(card)
    out["task_id"] = task
    out["button_list"] = [
        {"text": cut(b.label, BUTTON_TEXT_MAX), "style": BUTTON_STYLE.get(b.style, 1),
         "key": b.payload}
        for b in card.buttons[:6]
    ]
    return out


def card_markdown(card: Card) -> str:
    lines = [f"**{card.title}**"]
    if card.subtitle:
        lines.append(card.subtitle)
    if card.status:
        lines.append(f'<font color="info">{card.status}</font>')
    lines += [f"> {k}：{v}" for k, v in card.fields]
    if card.body:
        lines.append(cut(card.body, SUBTITLE_MAX))
    return "\n".join(lines)


def file_message(agent_id: int, user: str, media_id: str) -> dict[str, Any]:
    return {"touser": user, "agentid": agent_id, "msgtype": "file", "file": {"media_id": media_id},
            "enable_duplicate_check": 1, "duplicate_check_interval": DUPLICATE_CHECK_INTERVAL}


def app_message(agent_id: int, user: str, message: Text | Card, key: str) -> dict[str, Any]:
    """Body of ``message/send`` to one member."""
    body: dict[str, Any] = {"touser": user, "agentid": agent_id,
                            # WeCom drops a repeat within the interval: a retried send is safe.
                            "enable_duplicate_check": 1,
                            "duplicate_check_interval": DUPLICATE_CHECK_INTERVAL}
    if isinstance(message, Card) and message.buttons and not message.status:
        body.update(msgtype="template_card", template_card=template_card(message, task_id(
            message.card_id, key)))
    elif isinstance(message, Card):
        body.update(msgtype="markdown", markdown={"content": card_markdown(message)})
    else:
        body.update(msgtype="text", text={"content": message.text})
    return body


def content_digest(body: dict[str, Any]) -> str:
    """What WeCom's duplicate check compares besides the recipient: the type and its content."""
    msgtype = str(body.get("msgtype"))
    raw = json.dumps([msgtype, body.get(msgtype)], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()


def card_update(agent_id: int, user: str, response_code: str, card: Card) -> dict[str, Any]:
    """Body of ``update_template_card`` closing ``user``'s copy: the whole card is replaced
    ("更新为新的卡片", doc 94888), so the title names the outcome ("稿件 D1：已通过") and the
    fields stay; ``replace_text`` turns its one button into a grey, unclickable label with the
    status. A bare ``button.replace_name`` would grey the buttons but keep the live title
    ("稿件待审核") on a decided card."""
    status = card.status or texts.CARD_CLOSED_STATUS
    closed = _card_content(card)
    closed["button_list"] = [{"text": cut(status, BUTTON_TEXT_MAX), "style": BUTTON_STYLE["default"],
                              "key": CLOSED_KEY}]
    closed["replace_text"] = cut(status, REPLACE_NAME_MAX)
    return {"userids": [user], "agentid": agent_id, "response_code": response_code,
            "template_card": closed}


def robot_message(message: Text | Card, mentions: list[str]) -> dict[str, Any]:
    """Body of the group robot's ``webhook/send``; ``mentions`` are WeCom user ids."""
    if isinstance(message, Card):
        return {"msgtype": "markdown", "markdown": {"content": card_markdown(message)}}
    text: dict[str, Any] = {"content": cut_bytes(message.text, TEXT_MAX_BYTES)}
    if mentions:
        text["mentioned_list"] = mentions
    return {"msgtype": "text", "text": text}


def appchat_file(chat_id: str, media_id: str) -> dict[str, Any]:
    return {"chatid": chat_id, "msgtype": "file", "file": {"media_id": media_id}, "safe": 0}


def appchat_message(chat_id: str, message: Text | Card) -> dict[str, Any]:
    if isinstance(message, Card):
        return {"chatid": chat_id, "msgtype": "markdown",
                "markdown": {"content": card_markdown(message)}}
    return {"chatid": chat_id, "msgtype": "text", "text": {"content": message.text}, "safe": 0}
