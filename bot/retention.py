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

Bounded batches: each batch reads at most ``BATCH`` rows of the status in id order (the
``(status, id)`` index, a cursor: rows kept are not read again), keeps those past their time, and
deletes them by id in one statement, in its own transaction: no statement holds the table long,
and what arrives meanwhile waits for one batch at most (``bench/retention.py`` measures it). The
times are compared here, not in SQL: with ``processed_at < ?`` in the query and no index on it,
the run's last read walked every kept row to find none (a second's stall at half a million rows).
The walk stops at the first batch whose last row came in after the cut-off (``_reached``).
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
        rows: list[Any] = await InboundEvent.filter(status=InboundStatus.DONE, id__gt=after).order_by(
            "id").limit(batch).values_list("id", "received_at", "processed_at")
        ids = [int(i) for i, _, at in rows if at is not None and at < cutoff]
        if ids:
            total += await _delete(InboundEvent, ids, done)
        if _reached(rows, batch, cutoff):
            return total
        after = int(rows[-1][0])
        await pause()


async def _prune_outbox(cutoff: datetime, batch: int, done: Pruned,
                        pause: Callable[[], Awaitable[None]]) -> int:
    total, after = 0, 0
    while True:
        rows: list[Any] = await OutboxMessage.filter(status=OutboxStatus.SENT, id__gt=after).order_by(
            "id").limit(batch).values_list("id", "created_at", "sent_at", "card_id")
        old = [(int(i), card) for i, _, at, card in rows if at is not None and at < cutoff]
        closed = await _closed_cards({str(card) for _, card in old if card is not None}, cutoff)
        ids = [i for i, card in old if card is None or card in closed]
        if ids:
            total += await _delete(OutboxMessage, ids, done)
        if _reached(rows, batch, cutoff):
            return total
        after = int(rows[-1][0])
        await pause()


def _reached(rows: list[Any], batch: int, cutoff: datetime) -> bool:
    """Whether the walk ends with this read: the rows ran out, or the last one read came in
    (``received_at``, ``created_at``: the row's second column) after the cut-off. Ids follow
    arrival, and a row that came in after the cut-off cannot have been processed or delivered
    before it: every later row is to be kept too (but for the instances' clock skew: seconds,
    made up by the next day's run). So the last read of a run reads ``batch`` rows, not every row
    kept; a row processed or delivered late among old ones is only skipped."""
    return len(rows) < batch or rows[-1][1] >= cutoff


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
