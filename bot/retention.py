"""Retention (issue 19): processed inbound events and delivered outgoing messages are deleted after
``XMT_INBOX_KEEP_DAYS`` / ``XMT_OUTBOX_KEEP_DAYS``, so the two busiest tables do not grow without
bound. A daily job runs it (``schedules.retention``).

What goes, and what never does:

- ``inbound_event``: a row ``done`` whose processing ended before the cut-off. Its unique key is
  the duplicate check, and the platforms retry a callback within minutes, not days: WeCom
  retries one it got no answer to within 5 s, three times in all; a signed WeCom or DingTalk
  callback older than ``XMT_CALLBACK_MAX_AGE`` (300 s) is refused by its timestamp before it is
  looked up at all (with ``XMT_CALLBACK_MAX_AGE=0`` WeChat's plain mode has no window, which
  docs/security.md advises against). A keep of one day or more (the setting's minimum is 1)
  outlives every retry. Kept: ``received`` (not processed
  yet: ``Inbox.resume`` and the stuck sweep need it) and ``failed`` (each is a fault someone has
  to read: the reason is in ``error``; an engineer deletes them by hand once looked at).
- ``outbox_message``: a row ``sent`` before the cut-off. Kept: ``pending``/``sending`` (not
  delivered) and ``dead`` (the dead letters: the console shows them and an admin may retry one),
  and every row of a card that may still change: a card's rows (its copies and their updates,
  one ``card_id``) are the only record of where its copies went, so ``Outbox.update_card`` and
  ``close_used_cards`` read them to update or close it. A card's rows go together, and only
  when all of them are delivered and older than the cut-off and its newest row shows no buttons
  (closed: decided, voided, used; or a card that never had any). A card left open (a draft
  nobody decided) keeps its rows: few, and its buttons can still be pressed.
- ``audit_event``: never (the chain is the record, Art. 2).

Bounded batches: each batch reads at most ``BATCH`` candidate ids in id order (a cursor, so rows
kept are not read again) and deletes them by id in one statement, in its own transaction: no
statement holds the table long, and what arrives meanwhile waits for one batch at most
(``bench/retention.py`` measures it). Without an index on the time columns the reads walk the
``(status, id)`` index; the oldest rows come first, so a run reads the old rows and the kept
ones once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Max

from models import InboundEvent, InboundStatus, OutboxMessage, OutboxStatus

log = logging.getLogger("xmt.retention")

BATCH = 5000  # rows per DELETE


@dataclass
class Pruned:
    """What one run deleted: rows per table, and each DELETE's row count (one per batch)."""

    inbound: int = 0
    outbox: int = 0
    deletes: list[int] = field(default_factory=list)


async def prune(now: datetime, *, inbox_keep_days: int, outbox_keep_days: int,
                batch: int = BATCH, pause: Callable[[], Awaitable[None]] | None = None) -> Pruned:
    """Delete what is past keeping (see the module's notes), ``batch`` rows per statement;
    ``pause`` runs between batches (the job yields to the event loop there)."""
    if inbox_keep_days < 1 or outbox_keep_days < 1:
        raise ValueError("keep at least one day: a platform's retry must still find its event")
    done = Pruned()
    wait = pause or _yield
    done.inbound = await _prune_inbound(now - timedelta(days=inbox_keep_days), batch, done, wait)
    done.outbox = await _prune_outbox(now - timedelta(days=outbox_keep_days), batch, done, wait)
    return done


async def _yield() -> None:
    await asyncio.sleep(0)


async def _prune_inbound(cutoff: datetime, batch: int, done: Pruned,
                         pause: Callable[[], Awaitable[None]]) -> int:
    total, after = 0, 0
    while True:
        found: list[Any] = await InboundEvent.filter(
            status=InboundStatus.DONE, processed_at__lt=cutoff, id__gt=after,
        ).order_by("id").limit(batch).values_list("id", flat=True)
        ids = [int(i) for i in found]
        if not ids:
            return total
        total += await _delete(InboundEvent, ids, done)
        if len(ids) < batch:
            return total
        after = ids[-1]
        await pause()


async def _prune_outbox(cutoff: datetime, batch: int, done: Pruned,
                        pause: Callable[[], Awaitable[None]]) -> int:
    total, after = 0, 0
    while True:
        rows = await (OutboxMessage.filter(status=OutboxStatus.SENT, sent_at__lt=cutoff, id__gt=after)
                      .order_by("id").limit(batch).values_list("id", "card_id"))
        if not rows:
            return total
        closed = await _closed_cards({str(card) for _, card in rows if card is not None}, cutoff)
        ids = [int(i) for i, card in rows if card is None or card in closed]
        if ids:
            total += await _delete(OutboxMessage, ids, done)
        if len(rows) < batch:
            return total
        after = int(rows[-1][0])
        await pause()


async def _closed_cards(cards: set[str], cutoff: datetime) -> set[str]:
    """Of ``cards``, those whose rows may all go: every row delivered before ``cutoff`` and the
    newest showing no buttons. Three reads, whatever the number of cards."""
    if not cards:
        return set()
    wanted = sorted(cards)
    not_done = Q(status__not=OutboxStatus.SENT) | Q(sent_at__isnull=True) | Q(sent_at__gte=cutoff)
    busy = {str(c) for c in await OutboxMessage.filter(not_done, card_id__in=wanted)
            .values_list("card_id", flat=True)}
    rest = [c for c in wanted if c not in busy]
    if not rest:
        return set()
    newest = await (OutboxMessage.filter(card_id__in=rest).annotate(newest=Max("id"))
                    .group_by("card_id").values_list("newest", flat=True))
    bodies = await OutboxMessage.filter(id__in=list(newest)).values_list("card_id", "body")
    return {str(card) for card, body in bodies if not (body or {}).get("buttons")}


async def _delete(model: type[InboundEvent] | type[OutboxMessage], ids: list[int], done: Pruned) -> int:
    deleted = int(await model.filter(id__in=ids).delete())
    done.deletes.append(deleted)
    return deleted
