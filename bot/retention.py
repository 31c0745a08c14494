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

Bounded batches: the rows of the status are walked in id order, a window of ``BATCH`` at a time
(the ``(status, id)`` index says where a window ends: ``_window``), and each window's rows past
their time go in one DELETE, in its own transaction: no statement holds the table long, and
what arrives meanwhile waits for one batch at most (``bench/retention.py`` measures it). With
``processed_at < ?`` alone and no index on it, the run's last read walked every kept row to find
none (a second's stall at half a million rows); the walk stops instead at the first window whose
last row came in after the cut-off. An index on (status, processed_at) and (status, sent_at)
would not be needed for this.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Max
from tortoise.queryset import QuerySet

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
    async def delete(bounds: Bounds) -> int:
        return await _delete(InboundEvent.filter(status=InboundStatus.DONE, processed_at__lt=cutoff,
                                                 **bounds), done)

    return await _walk(InboundEvent.filter(status=InboundStatus.DONE), "received_at", cutoff, batch,
                       pause, delete)


async def _prune_outbox(cutoff: datetime, batch: int, done: Pruned,
                        pause: Callable[[], Awaitable[None]]) -> int:
    async def delete(bounds: Bounds) -> int:
        old = Q(status=OutboxStatus.SENT, sent_at__lt=cutoff, **bounds)
        cards: list[Any] = await OutboxMessage.filter(old, card_id__isnull=False).values_list("id", "card_id")
        closed = await _closed_cards({str(card) for _, card in cards}, cutoff)
        gone = [int(i) for i, card in cards if card in closed]
        which = Q(card_id__isnull=True) | Q(id__in=gone) if gone else Q(card_id__isnull=True)
        return await _delete(OutboxMessage.filter(old, which), done)

    return await _walk(OutboxMessage.filter(status=OutboxStatus.SENT), "created_at", cutoff, batch,
                       pause, delete)


Bounds = dict[str, Any]  # one window's id bounds, as filter arguments


async def _walk(rows: QuerySet[Any], arrived: str, cutoff: datetime, batch: int,
                pause: Callable[[], Awaitable[None]], delete: Callable[[Bounds], Awaitable[int]]) -> int:
    """Walk ``rows`` (one status of one table) in id order, a window of ``batch`` at a time,
    ``delete`` the window's rows past keeping, and stop after the first window whose last row
    came in (``arrived``) after ``cutoff`` (see ``_window``). How many were deleted."""
    total, after = 0, 0
    while True:
        upper, last = await _window(rows.filter(id__gt=after), arrived, batch)
        total += await delete({"id__gt": after} | ({"id__lte": upper} if upper is not None else {}))
        if upper is None or last >= cutoff:
            return total
        after = upper
        await pause()


async def _window(rows: QuerySet[Any], arrived: str, batch: int) -> tuple[int | None, datetime]:
    """The id that ends the next window of ``batch`` rows (None: fewer are left, the window is
    the rest) and when that row came in (``arrived``). One read, of the ``(status, id)`` index
    but for that one row.

    The walk ends with the window whose last row came in after the cut-off: ids follow arrival,
    and a row that came in after the cut-off cannot have been processed or delivered before it,
    so every later row is kept too (but for the instances' clock skew: seconds, made up by the
    next day's run). A row processed or delivered late among old ones is only skipped."""
    found: list[Any] = await rows.order_by("id").offset(batch - 1).limit(1).values_list("id", arrived)
    if not found:
        return None, datetime.max.replace(tzinfo=UTC)
    return int(found[0][0]), found[0][1]


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


async def _delete(rows: QuerySet[Any], done: Pruned) -> int:
    """One DELETE (a window's rows: at most ``batch``), counted in ``done``."""
    deleted = int(await rows.delete())
    done.deletes.append(deleted)
    return deleted
