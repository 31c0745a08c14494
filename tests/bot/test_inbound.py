"""Inbound dedupe and recovery: an event is processed once, however often it arrives."""

from __future__ import annotations

import asyncio

from tortoise import connections
from tortoise.exceptions import OperationalError

from bot.app import build_bot
from bot.events import CardAction, TextMessage
from models import Decision, Draft, InboundEvent, InboundStatus
from tests.conftest import QueryCounter, World, make_settings
from tests.fakes import RecordingChannel
from tests.handlers.test_drafts import DRAFT, submitted


async def test_same_event_twice_makes_one_draft(world: World) -> None:
    event = TextMessage(channel="local", sender="zhangsan", key="m-1",
                        received_at=world.clock.now, text=DRAFT)
    assert await world.deliver(event) is True
    assert await world.deliver(event) is False
    assert await world.deliver(event) is False
    assert await Draft.all().count() == 1
    assert len(world.channel.cards_to("zhangsan")) == 1


async def test_two_concurrent_approve_taps_make_one_decision(world: World) -> None:
    draft = await submitted(world)
    card = world.channel.last_card("lisi", "ap-")
    payload = next(b.payload for b in card.buttons if b.label == "通过")
    taps = [CardAction(channel="local", sender="lisi", key=f"tap-{i}",
                       received_at=world.clock.now, payload=payload) for i in range(2)]
    results = await asyncio.gather(*(world.bot.inbox.accept(t) for t in taps))
    assert results == [True, True]
    await world.settle()
    assert await Decision.filter(draft_id=draft.id).count() == 1
    await draft.refresh_from_db()
    assert draft.status == "approved"
    replies = world.texts("lisi")
    assert sum("已通过稿件" in t for t in replies) == 1
    assert sum("无需重复操作" in t for t in replies) == 1
    assert sum("审核通过" in t for t in world.texts("zhangsan")) == 1


async def test_approve_and_reject_at_once_make_one_decision(world: World) -> None:
    draft = await submitted(world)
    card = world.channel.last_card("lisi", "ap-")
    taps = [CardAction(channel="local", sender="lisi", key=f"tap-{b.label}",
                       received_at=world.clock.now, payload=b.payload) for b in card.buttons]
    await asyncio.gather(*(world.bot.inbox.accept(t) for t in taps))
    await world.settle()
    assert await Decision.filter(draft_id=draft.id).count() == 1


async def test_acknowledged_but_unprocessed_event_is_processed_after_restart(
    world: World,
) -> None:
    event = TextMessage(channel="local", sender="zhangsan", key="m-crash",
                        received_at=world.clock.now, text=DRAFT)
    # The process dies right after the insert that acknowledged the event.
    await InboundEvent.create(key="local:m-crash", channel="local", kind="text",
                              payload=event.to_json(), received_at=world.clock.now)
    channel2 = RecordingChannel()
    bot2 = build_bot(make_settings(), [channel2], clock=world.clock)
    assert await bot2.inbox.resume() == 1
    await bot2.tasks.join()
    assert await bot2.inbox.resume() == 0
    await bot2.outbox.drain(world.clock.now)
    assert await Draft.all().count() == 1
    assert len(channel2.cards_to("zhangsan")) == 1
    assert (await InboundEvent.get()).status == InboundStatus.DONE


async def test_handler_error_rolls_back_and_tells_the_person(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from handlers import drafts

    async def boom(*args: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(drafts, "load_view", boom)
    await world.say("zhangsan", DRAFT)
    assert await Draft.all().count() == 0  # the draft insert was rolled back
    assert (await InboundEvent.get()).status == InboundStatus.FAILED
    assert "出错" in world.last_text("zhangsan")


async def test_one_persons_messages_are_handled_in_the_order_they_arrived(world: World) -> None:
    """A draft and the photo sent right after it: the photo must not be handled first."""
    from bot.events import ImageMessage
    from models import Attachment

    for i in range(3):
        text = TextMessage(channel="local", sender="zhangsan", key=f"d{i}",
                           received_at=world.clock.now, text=f"{DRAFT}{i}")
        image = ImageMessage(channel="local", sender="zhangsan", key=f"i{i}",
                             received_at=world.clock.now, data=b"img%d" % i)
        await world.bot.inbox.accept(text)
        await world.bot.inbox.accept(image)
    await world.settle()
    assert await Draft.all().count() == 3
    assert await Attachment.all().count() == 3
    versions = await Attachment.all().order_by("id").values_list("version__draft_id", flat=True)
    assert list(versions) == [1, 2, 3]


def _help(key: str, world: World) -> TextMessage:
    return TextMessage(channel="local", sender="zhangsan", key=key, received_at=world.clock.now,
                       text="帮助")


async def test_callbacks_arriving_together_are_stored_in_one_statement(
    world: World, queries: QueryCounter,
) -> None:
    assert await world.deliver(_help("old", world)) is True
    replies = len(world.texts("zhangsan"))
    burst = [_help(f"b{i}", world) for i in range(20)]
    burst += [_help("b3", world), _help("old", world), _help("b3", world)]  # repeats
    queries.statements.clear()
    results = await asyncio.gather(*(world.bot.inbox.accept(e) for e in burst))
    inserts = [s for s in queries.statements if s.startswith('INSERT INTO "inbound_event"')]
    assert len(inserts) == 1
    assert results == [True] * 20 + [False, False, False]
    await world.settle()
    assert await InboundEvent.all().count() == 21
    assert await InboundEvent.filter(status=InboundStatus.DONE).count() == 21
    assert len(world.texts("zhangsan")) == replies + 20  # each new event handled once


async def test_two_instances_storing_the_same_event_at_once_accept_it_once(world: World) -> None:
    other = build_bot(make_settings(), [RecordingChannel()], clock=world.clock)
    event = _help("both", world)
    results = await asyncio.gather(world.bot.inbox.accept(event), other.inbox.accept(event))
    assert sorted(results) == [False, True]
    await world.settle()
    await other.tasks.join()
    assert await InboundEvent.all().count() == 1


async def test_a_request_cancelled_while_its_batch_is_written_loses_nothing(world: World) -> None:
    request = asyncio.create_task(world.bot.inbox.accept(_help("gone", world)))
    await asyncio.sleep(0)  # the request has queued its event and is waiting for the commit
    request.cancel()
    await world.settle()
    assert request.cancelled()
    row = await InboundEvent.get(key="local:gone")
    assert row.status == InboundStatus.DONE
    assert world.texts("zhangsan")  # and it was handled


async def test_a_database_error_fails_every_waiting_request_and_the_next_batch_works(
    world: World,
) -> None:
    conn = connections.get("default")
    await conn.execute_script('ALTER TABLE "inbound_event" RENAME TO "inbound_event_away"')
    try:
        results = await asyncio.gather(
            *(world.bot.inbox.accept(_help(f"x{i}", world)) for i in range(3)),
            return_exceptions=True)
    finally:
        await conn.execute_script('ALTER TABLE "inbound_event_away" RENAME TO "inbound_event"')
    assert all(isinstance(r, OperationalError) for r in results), results
    assert await world.deliver(_help("x0", world)) is True  # nothing was stored: not a repeat
    assert await InboundEvent.all().count() == 1


async def test_requests_waiting_when_the_writer_is_cancelled_at_shutdown_fail_not_hang(
    world: World,
) -> None:
    requests = [asyncio.create_task(world.bot.inbox.accept(_help(f"s{i}", world)))
                for i in range(3)]
    await asyncio.sleep(0)  # the requests queued their events; the writer has not started
    await world.bot.tasks.drain(timeout=0)  # what shutdown does with work still running
    results = await asyncio.wait_for(asyncio.gather(*requests, return_exceptions=True), 5)
    assert all(isinstance(r, ConnectionAbortedError) for r in results), results
    # The platform retries; whatever the cancelled statement did commit is resumed at the next
    # start and its retry is a repeat: each event stored and handled once.
    replies = len(world.texts("zhangsan"))
    await world.bot.inbox.resume()
    await asyncio.gather(*(world.bot.inbox.accept(_help(f"s{i}", world)) for i in range(3)))
    await world.settle()
    assert await InboundEvent.filter(status=InboundStatus.DONE).count() == 3
    assert len(world.texts("zhangsan")) == replies + 3
