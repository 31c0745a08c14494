"""Retention (issue 19, bot/retention.py): what is past keeping goes, in bounded batches; what is
still needed stays — events not processed or failed, messages not delivered, dead letters, the
rows of a card that may still change, the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot import audit
from bot.cards import Button, Card, Text
from bot.retention import prune
from models import AuditEvent, InboundEvent, InboundStatus, OutboxMessage, OutboxStatus
from tests.conftest import QueryCounter, World

NOW = datetime(2026, 12, 2, 3, 30, tzinfo=UTC)
OLD = NOW - timedelta(days=31)
FRESH = NOW - timedelta(days=29)


async def inbound(n: int, status: InboundStatus, at: datetime, tag: str) -> None:
    await InboundEvent.bulk_create([
        InboundEvent(key=f"wecom:{tag}{i:08d}", channel="wecom", kind="text", payload={}, status=status,
                     received_at=at, processed_at=None if status == InboundStatus.RECEIVED else at)
        for i in range(n)])


async def outbox(key: str, status: OutboxStatus, at: datetime, message: Text | Card | None = None,
                 kind: str | None = None, lane: str = "p:1", sent: datetime | None = None) -> None:
    body: dict[str, Any] = (message or Text("好的")).to_json()
    card_id = message.card_id if isinstance(message, Card) else None
    await OutboxMessage.create(
        key=key, lane=lane, kind=kind or ("card" if card_id else "text"), card_id=card_id, body=body,
        status=status, next_attempt_at=at, created_at=at,
        sent_at=(sent or at) if status == OutboxStatus.SENT else None)


def card(card_id: str, *, open_: bool) -> Card:
    buttons = (Button("通过", "approve"),) if open_ else ()
    return Card(card_id=card_id, title="稿件待审核", buttons=buttons, status="" if open_ else "已通过")


async def keys(model: type[InboundEvent] | type[OutboxMessage]) -> set[str]:
    return {str(k) for k in await model.all().values_list("key", flat=True)}


async def test_old_processed_events_go_the_rest_stay(db: str, queries: QueryCounter) -> None:
    await inbound(12, InboundStatus.DONE, OLD, "old")
    await inbound(3, InboundStatus.DONE, FRESH, "fresh")
    await inbound(2, InboundStatus.RECEIVED, OLD, "waiting")  # not processed yet: resume needs it
    await inbound(2, InboundStatus.FAILED, OLD, "failed")  # a fault someone has to read
    queries.statements.clear()
    done = await prune(NOW, inbox_keep_days=30, outbox_keep_days=30, batch=5)
    # three statements for the events, none over 5 rows (and one for the empty outbox)
    assert done.inbound == 12 and done.deletes == [5, 5, 2, 0]
    deletes = [s for s in queries.statements if s.lstrip().upper().startswith("DELETE")]
    assert len(deletes) == 4
    left = await keys(InboundEvent)
    assert not any(k.startswith("wecom:old") for k in left)
    assert len(left) == 7 and {k[6:11] for k in left} == {"fresh", "waiti", "faile"}
    again = await prune(NOW, inbox_keep_days=30, outbox_keep_days=30, batch=5)
    assert (again.inbound, again.outbox, again.deletes) == (0, 0, [0, 0])  # nothing twice


async def test_a_run_reads_one_batch_of_the_rows_it_keeps(db: str, queries: QueryCounter) -> None:
    """The walk stops at the first batch ending on a row that came in after the cut-off: the
    kept rows are not all read every day."""
    await inbound(2, InboundStatus.DONE, OLD, "old")
    await inbound(40, InboundStatus.DONE, FRESH, "fresh")
    queries.statements.clear()
    done = await prune(NOW, inbox_keep_days=30, outbox_keep_days=30, batch=5)
    reads = [s for s in queries.statements if "inbound_event" in s and s.lstrip().startswith("SELECT")]
    assert done.deletes == [2, 0] and len(reads) == 1


async def test_the_keep_is_the_setting(db: str) -> None:
    await inbound(2, InboundStatus.DONE, NOW - timedelta(days=2), "two")
    assert (await prune(NOW, inbox_keep_days=3, outbox_keep_days=30)).inbound == 0
    assert (await prune(NOW, inbox_keep_days=1, outbox_keep_days=30)).inbound == 2


async def test_delivered_messages_go_dead_letters_and_undelivered_stay(db: str) -> None:
    for i in range(4):
        await outbox(f"old:{i}", OutboxStatus.SENT, OLD)
    await outbox("retried", OutboxStatus.SENT, OLD, sent=FRESH)  # delivered late: kept, not a stop
    for i in range(4, 7):
        await outbox(f"old:{i}", OutboxStatus.SENT, OLD)
    await outbox("fresh", OutboxStatus.SENT, FRESH)
    await outbox("pending", OutboxStatus.PENDING, OLD)
    await outbox("sending", OutboxStatus.SENDING, OLD)
    await outbox("dead", OutboxStatus.DEAD, OLD)
    await audit.record("cli", "org_imported", "", {}, now=OLD)
    done = await prune(NOW, inbox_keep_days=30, outbox_keep_days=30, batch=3)
    assert done.outbox == 7 and done.deletes == [0, 3, 2, 2]  # no events, then the outbox
    assert await keys(OutboxMessage) == {"retried", "fresh", "pending", "sending", "dead"}
    assert await AuditEvent.all().count() == 1  # never


async def test_a_cards_rows_go_together_once_it_is_closed(db: str) -> None:
    """A card's rows are where its copies went (updates and closing read them): they go only when
    all are delivered and old and the newest shows no buttons."""
    # closed: two copies and their closing update → all three go
    await outbox("closed:1", OutboxStatus.SENT, OLD, card("draft:1", open_=True))
    await outbox("closed:2", OutboxStatus.SENT, OLD, card("draft:1", open_=True), lane="p:2")
    await outbox("closed:u", OutboxStatus.SENT, OLD, card("draft:1", open_=False), kind="card_update")
    # open: nobody decided yet → kept, its buttons may still be pressed
    await outbox("open:1", OutboxStatus.SENT, OLD, card("draft:2", open_=True))
    # updated but still open (an attachment added) → kept
    await outbox("upd:1", OutboxStatus.SENT, OLD, card("draft:3", open_=True))
    await outbox("upd:u", OutboxStatus.SENT, OLD, card("draft:3", open_=True), kind="card_update")
    # closed, but one copy is a dead letter → every row kept (a retry reads its originals)
    await outbox("dead:1", OutboxStatus.DEAD, OLD, card("draft:4", open_=True))
    await outbox("dead:2", OutboxStatus.SENT, OLD, card("draft:4", open_=True), lane="p:2")
    await outbox("dead:u", OutboxStatus.SENT, OLD, card("draft:4", open_=False), kind="card_update")
    # a card that never had buttons (a notice) → goes
    await outbox("info:1", OutboxStatus.SENT, OLD, card("notice:1", open_=False))
    # closed recently → kept until its last row is old
    await outbox("late:1", OutboxStatus.SENT, OLD, card("draft:5", open_=True))
    await outbox("late:u", OutboxStatus.SENT, FRESH, card("draft:5", open_=False), kind="card_update")
    done = await prune(NOW, inbox_keep_days=30, outbox_keep_days=30, batch=2)
    assert done.outbox == 4
    assert all(n <= 2 for n in done.deletes)
    assert await keys(OutboxMessage) == {"open:1", "upd:1", "upd:u", "dead:1", "dead:2", "dead:u",
                                         "late:1", "late:u"}


async def test_an_open_cards_update_still_reaches_every_copy_after_a_prune(world: World) -> None:
    """What the rule protects: a card decided after the keep is still updated in place."""
    from models import Person

    wangwu = await Person.get(code="wangwu")
    open_card = card("draft:9", open_=True)
    await world.bot.outbox.send(wangwu, open_card, key="c9", now=OLD)
    await world.bot.outbox.drain(OLD)
    assert await OutboxMessage.filter(key="c9", status=OutboxStatus.SENT).exists()
    await prune(NOW, inbox_keep_days=30, outbox_keep_days=30)
    assert await world.bot.outbox.update_card(card("draft:9", open_=False), key="c9:closed", now=NOW) == 1


async def test_the_daily_job_is_scheduled_at_night_and_uses_the_settings(world: World) -> None:
    from schedules import build_scheduler
    from schedules.retention import prune_old_rows

    scheduler = build_scheduler(world.bot.deps)
    job = scheduler.get_job("retention")
    assert str(job.trigger) == "cron[hour='3', minute='30']"
    await inbound(2, InboundStatus.DONE, NOW - timedelta(days=10), "ten")
    world.bot.settings.inbox_keep_days = 7
    assert await prune_old_rows(NOW, world.bot.deps) == 2
