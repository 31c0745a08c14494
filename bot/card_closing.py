"""The one way a card is closed (decided, voided, used once), for handlers and sweeps alike.

Every recipient's copy keeps its subtitle, fields, body and notes; its title names the outcome,
its status says who and when, and its buttons go. It lives below handlers and schedules because
both close cards: a tap closes the card it decided, and a sweep that stops an account voids the
cards of its pending drafts (``bot.draft_voiding``). Never imports ``bot.channels``.
"""

from __future__ import annotations

from datetime import datetime

from bot.cards import Card
from bot.outbox import Outbox
from models import OutboxMessage


async def close_card(outbox: Outbox, card: Card, *, title: str, status: str, key: str,
                     now: datetime) -> None:
    """The one way a card is closed (decided, voided, used once): every recipient's copy keeps
    its subtitle, fields, body and notes, its title becomes ``title`` (the outcome: made by
    ``texts.closed_title``), ``status`` says who and when, and its buttons go. ``card`` is the
    card as it was sent (rebuilt by its builder), never an empty stand-in: an update replaces
    the whole card on every platform, so whatever is missing here disappears from every copy."""
    await outbox.update_card(card.closed(status, title=title), key=key, now=now)


async def close_used_cards(outbox: Outbox, prefix: str, *, title: str, status: str, key: str,
                           now: datetime, exact: bool = False) -> int:
    """Close every still-open card whose id starts with ``prefix`` (or is it, ``exact``), as it
    was sent: for one-shot cards (a 确认通过 card, an inquiry's deadline choice: their ids carry
    the tap that made them, so there may be several, and a platform's tap does not bring our
    card id back) and cards whose content was a snapshot (a closure card's count of open
    questions). Through ``close_card``; a card closed before is left alone. Returns how many."""
    match = {"card_id": prefix} if exact else {"card_id__startswith": prefix}
    sent = await OutboxMessage.filter(kind="card", **match).order_by("id")
    done: set[str] = {str(c) for c in await OutboxMessage.filter(kind="card_update", **match)
                      .values_list("card_id", flat=True)}
    closed = 0
    for row in sent:
        if row.card_id is None or row.card_id in done:
            continue
        done.add(row.card_id)
        await close_card(outbox, Card.from_json(row.body), title=title, status=status,
                         key=f"{key}:{row.card_id}"[:255], now=now)
        closed += 1
    return closed
