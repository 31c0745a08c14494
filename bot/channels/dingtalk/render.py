"""Domain messages → DingTalk JSON (pure). Pages create-and-deliver-cards,
interactive-card-update-interface, robot-message-type, custom-robots-send-group-messages.

A live card is an instance of *our* card template (``XMT_DINGTALK_CARD_TEMPLATE_ID``). DingTalk
has no built-in template that carries buttons calling back to a bot on the current card API: the
built-in ``StandardCard`` belongs to the older "robot sends interactive card" API, which DingTalk
lists as historical, no longer grants to new apps and which calls back only to a per-card HTTP
``callbackUrl`` (never over Stream); docs/dingtalk-card.md gives the sources. So the template ships
as a file, ``card_template.json`` beside this module: an administrator builds it once in DingTalk's
card platform from that file, and this module reads the same file, so the variables the bot sends
and the ones the template declares cannot drift apart.

Every value goes in as a string variable (cardParamMap values must be strings), buttons as
``btnN_text`` / ``btnN_payload`` / ``btnN_style`` with ``btn_count``; each button's callback
parameter ``payload`` returns the packed typed payload. Closing a card sets ``status`` and
``btn_count = "0"`` on the same instance, which every recipient sees; title, fields and body stay.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from bot.cards import Card, Text

TEMPLATE_FILE = Path(__file__).with_name("card_template.json")


def load_template(path: Path = TEMPLATE_FILE) -> dict[str, Any]:
    """The shipped template declaration (see ``card_template.json``)."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


TEMPLATE = load_template()
_BUTTONS: dict[str, Any] = TEMPLATE["buttons"]
MAX_BUTTONS: int = int(_BUTTONS["max"])
CALLBACK_PARAM: str = str(_BUTTONS["callback_param"])


def template_variables(template: dict[str, Any] = TEMPLATE) -> tuple[str, ...]:
    """Every variable the template declares, buttons' included, in a stable order."""
    buttons = template["buttons"]
    names = [str(v["name"]) for v in template["variables"]]
    for n in range(1, int(buttons["max"]) + 1):
        names += [str(buttons[k]).format(n=n) for k in ("text_variable", "payload_variable",
                                                        "style_variable")]
    return tuple(names)


ROUTE_KEY = "xmt-card"
_TRACK_BAD = re.compile(r"[^0-9A-Za-z_\-]")


def out_track_id(card_id: str, key: str) -> str:
    """Unique per outbox row (a card's data can only change through its own instance), stable
    across retries of that row (``param.cardAlreadyExist`` then means the first try landed)."""
    digest = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:12]
    return f"{_TRACK_BAD.sub('_', card_id)[:100]}-{digest}"


def card_params(card: Card) -> dict[str, str]:
    params = {
        "title": card.title,
        "subtitle": card.subtitle,
        "fields": "\n".join(f"**{k}**：{v}" for k, v in card.fields),
        "body": card.body,
        "highlights": "\n".join(card.highlights),
        "status": card.status,
        "btn_count": "0" if card.status else str(min(len(card.buttons), MAX_BUTTONS)),
    }
    for n in range(1, MAX_BUTTONS + 1):
        button = card.buttons[n - 1] if n <= len(card.buttons) and not card.status else None
        params[_BUTTONS["text_variable"].format(n=n)] = button.label if button else ""
        params[_BUTTONS["payload_variable"].format(n=n)] = button.payload if button else ""
        params[_BUTTONS["style_variable"].format(n=n)] = button.style if button else ""
    return params


def create_card(card: Card, *, user: str, template_id: str, robot_code: str, key: str,
                stream: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "cardTemplateId": template_id,
        "outTrackId": out_track_id(card.card_id, key),
        "callbackType": "STREAM" if stream else "HTTP",
        "cardData": {"cardParamMap": card_params(card)},
        "openSpaceId": f"dtv1.card//IM_ROBOT.{user}",
        "imRobotOpenSpaceModel": {"supportForward": False},
        "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT", "robotCode": robot_code},
        "userIdType": 1,
    }
    if not stream:
        body["callbackRouteKey"] = ROUTE_KEY
    return body


def update_card(track: str, card: Card) -> dict[str, Any]:
    return {"outTrackId": track, "cardData": {"cardParamMap": card_params(card)},
            "cardUpdateOptions": {"updateCardDataByKey": True, "updatePrivateDataByKey": True},
            "userIdType": 1}


def card_markdown(card: Card) -> str:
    lines = [f"#### {card.title}"]
    if card.subtitle:
        lines.append(card.subtitle)
    if card.status:
        lines.append(f"**{card.status}**")
    lines += [f"- {k}：{v}" for k, v in card.fields]
    if card.body:
        lines.append(card.body)
    return "\n\n".join(lines)


def robot_one_to_one(robot_code: str, user: str, message: Text | Card) -> dict[str, Any]:
    """``/v1.0/robot/oToMessages/batchSend`` to one user (msgParam is a JSON *string*)."""
    if isinstance(message, Card):
        key, param = "sampleMarkdown", {"title": message.title, "text": card_markdown(message)}
    else:
        key, param = "sampleText", {"content": message.text}
    return {"robotCode": robot_code, "userIds": [user], "msgKey": key,
            "msgParam": json.dumps(param, ensure_ascii=False)}


def robot_file(robot_code: str, user: str, media_id: str, name: str) -> dict[str, Any]:
    """``batchSend`` of an uploaded file (``msgKey: sampleFile``; fileType is the extension)."""
    kind = name.rsplit(".", 1)[1].lower() if "." in name else "file"
    param = {"mediaId": media_id, "fileName": name, "fileType": kind}
    return {"robotCode": robot_code, "userIds": [user], "msgKey": "sampleFile",
            "msgParam": json.dumps(param, ensure_ascii=False)}


def to_group(one_to_one: dict[str, Any], conversation: str) -> dict[str, Any]:
    """A ``batchSend`` body made into a ``groupMessages/send`` body for ``conversation``."""
    body = {k: v for k, v in one_to_one.items() if k != "userIds"}
    return {**body, "openConversationId": conversation}


def robot_group(robot_code: str, conversation: str, message: Text | Card) -> dict[str, Any]:
    return to_group(robot_one_to_one(robot_code, "", message), conversation)


def robot_msg_uuid(key: str) -> str:
    """The custom robot's idempotency key for an outbox row: a resend is accepted once."""
    return hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()


def webhook_message(message: Text | Card, mention_user_ids: list[str], *,
                    key: str | None = None) -> dict[str, Any]:
    """The custom-robot JSON, for a sessionWebhook reply or a custom group robot. A mentioned
    user must also appear in the text, so ``@userid`` is appended for each. ``key``: the
    outbox key, sent digested as ``msgUuid`` (a custom group robot accepts one message per
    msgUuid, so a resend after a crash is not shown twice)."""
    body: dict[str, Any]
    if isinstance(message, Card):
        body = {"msgtype": "markdown",
                "markdown": {"title": message.title, "text": card_markdown(message)}}
    else:
        text = message.text
        if mention_user_ids:
            text += "\n" + " ".join(f"@{u}" for u in mention_user_ids)
        body = {"msgtype": "text", "text": {"content": text},
                "at": {"atUserIds": mention_user_ids, "isAtAll": False}}
    if key is not None:
        body["msgUuid"] = robot_msg_uuid(key)
    return body
