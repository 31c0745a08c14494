"""Domain message → the JSON the simulator page draws (pure)."""

from __future__ import annotations

from typing import Any

from bot.cards import Card, Document, Message


def render(message: Message) -> dict[str, Any]:
    if isinstance(message, Document):
        return {"type": "file", "name": message.name, "size": len(message.data)}
    if isinstance(message, Card):
        return {
            "type": "card",
            "card_id": message.card_id,
            "title": message.title,
            "subtitle": message.subtitle,
            "fields": [{"label": k, "value": v} for k, v in message.fields],
            "body": message.body,
            "highlights": list(message.highlights),
            # A decided card shows its outcome and no live buttons.
            "buttons": [] if message.status else [
                {"label": b.label, "payload": b.payload, "style": b.style}
                for b in message.buttons
            ],
            "status": message.status,
        }
    return {"type": "text", "text": message.text, "mentions": list(message.mentions)}
