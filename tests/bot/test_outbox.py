"""Outbox delivery: retries, dead letters, order per recipient, and nothing lost across a stop."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import build_bot
from bot.cards import Text
from models import OutboxMessage, OutboxStatus, Person
from tests.conftest import World, make_settings
from tests.fakes import RecordingChannel
from tests.handlers.test_drafts import DRAFT


async def test_channel_failing_three_times_then_working_delivers_once(world: World) -> None:
    world.channel.fail_next = 3
    await world.say("zhangsan", "帮助")
    assert world.texts("zhangsan") == []
    for seconds in (2, 4, 8):  # the backoff steps
        world.clock.advance(seconds=seconds)
        await world.settle()
    assert world.texts("zhangsan") == [world.texts("zhangsan")[0]]
    assert len(world.texts("zhangsan")) == 1
    row = await OutboxMessage.get()
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 4)
    world.clock.advance(minutes=30)
    await world.settle()
    assert len(world.texts("zhangsan")) == 1


async def test_retry_waits_for_backoff(world: World) -> None:
    world.channel.fail_next = 1
    await world.say("zhangsan", "帮助")
    world.clock.advance(seconds=1)
    await world.settle()
    assert world.texts("zhangsan") == []
    world.clock.advance(seconds=1)
    await world.settle()
    assert len(world.texts("zhangsan")) == 1


async def test_dead_letter_notifies_information_center_admins(world: World) -> None:
    world.channel.fail_next = 10**6
    await world.say("zhangsan", "帮助")
    for _ in range(12):
        world.clock.advance(minutes=15)
        await world.settle()
        if await OutboxMessage.filter(status=OutboxStatus.DEAD).exists():
            break
    dead = await OutboxMessage.get(status=OutboxStatus.DEAD)
    assert dead.attempts == world.bot.settings.outbox_max_attempts
    world.channel.fail_next = 0
    world.clock.advance(minutes=1)
    await world.settle()
    for admin in ("wangwu", "zhaoliu"):
        assert any("投递失败" in t for t in world.texts(admin)), admin
    assert world.texts("zhangsan") == []  # a dead letter is not resent by itself


async def test_one_failing_recipient_does_not_hold_up_others(world: World) -> None:
    await world.say("zhangsan", DRAFT)
    world.channel.fail_next = 1
    # first row of zhangsan's lane fails; lisi's messages still go out in the same round
    await world.say("lisi", "帮助")
    assert world.texts("lisi") or world.texts("zhangsan")


async def test_order_per_recipient_card_before_its_update(world: World) -> None:
    await world.say("zhangsan", DRAFT)
    await world.image("zhangsan", b"img")
    sent = [s.message for s in world.channel.sent if s.address == "zhangsan"]
    card_index = next(i for i, m in enumerate(sent) if getattr(m, "card_id", "").startswith("pv-"))
    assert card_index < len(sent)
    assert world.channel.updates and world.channel.updates[0][2].card_id == "pv-1-1"


async def test_state_committed_before_stop_is_delivered_once_after_restart(world: World) -> None:
    # Process the submission but stop before the worker delivers anything.
    await world.say("zhangsan", DRAFT)
    preview = world.channel.last_card("zhangsan", "pv-")
    button = next(b for b in preview.buttons if b.label == "提交审核")
    from bot.events import CardAction

    event = CardAction(channel="local", sender="zhangsan", key="tap-1",
                       received_at=world.clock.now, payload=button.payload)
    await world.bot.inbox.accept(event)
    await world.bot.tasks.join()  # committed: draft pending, card row in the outbox
    assert world.channel.cards_to("lisi") == []
    # "restart": a new bot on the same database with a fresh channel
    channel2 = RecordingChannel()
    bot2 = build_bot(make_settings(), [channel2], clock=world.clock)
    await bot2.outbox.drain(world.clock.now)
    await bot2.outbox.drain(world.clock.now)
    assert [c.card_id for c in channel2.cards_to("lisi")] == ["ap-1-1"]
    # and the first bot, if it came back, finds nothing left to send
    await world.bot.outbox.drain(world.clock.now)
    assert world.channel.cards_to("lisi") == []


async def test_expired_lease_is_reclaimed_once(world: World) -> None:
    await world.say("zhangsan", "帮助")
    before = len(world.texts("zhangsan"))
    person = await Person.get(code="zhangsan")
    row = await world.bot.outbox.send(person, Text("x"), key="manual", now=world.clock.now)
    await OutboxMessage.filter(id=row.id).update(status=OutboxStatus.SENDING,
                                                 claimed_until=world.clock.now)
    world.clock.advance(seconds=1)
    await world.settle()
    assert len(world.texts("zhangsan")) == before + 1


async def test_card_that_can_no_longer_be_updated_gets_the_outcome_as_a_new_message(
    world: World,
) -> None:
    from tests.handlers.test_drafts import submitted

    await submitted(world)
    world.channel.cards_gone = True
    await world.tap("lisi", world.channel.last_card("lisi", "ap-"), "通过")
    outcome = world.channel.cards_to("lisi")[-1]
    assert outcome.card_id == "ap-1-1" and outcome.status.startswith("已通过") and not outcome.buttons
    assert not await OutboxMessage.filter(status=OutboxStatus.DEAD).exists()


async def test_two_instances_draining_at_once_deliver_each_row_once(world: World) -> None:
    import asyncio

    people = await Person.all()
    for i in range(60):
        await world.bot.outbox.send(people[i % len(people)], Text(f"m{i}"), key=f"bulk{i}",
                                    now=world.clock.now)
    a = RecordingChannel()
    b = RecordingChannel(sent=a.sent)  # one list: the order in it is the delivery order
    bot_a = build_bot(make_settings(), [a], clock=world.clock)
    bot_b = build_bot(make_settings(), [b], clock=world.clock)
    await asyncio.gather(bot_a.outbox.drain(world.clock.now), bot_b.outbox.drain(world.clock.now))
    keys = [s.key for s in a.sent]
    assert sorted(keys) == sorted(f"bulk{i}" for i in range(60))
    assert a.calls + b.calls == 60  # no row was even attempted twice
    for person in people:  # per recipient, in the order they were queued
        order = [int(s.key.removeprefix("bulk")) for s in a.sent if s.address == person.code]
        assert order == sorted(order)


async def test_run_forever_delivers_on_wake_and_ends_only_on_stop(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    outbox = world.bot.outbox
    delivered = asyncio.Event()
    record = world.channel.send

    async def send(*args: Any, **kwargs: Any) -> dict[str, Any]:
        ref = await record(*args, **kwargs)
        delivered.set()
        return ref

    monkeypatch.setattr(world.channel, "send", send)
    task = asyncio.create_task(outbox.run_forever())  # a supervisor's own task
    person = await Person.get(code="zhangsan")
    await outbox.send(person, Text("醒来"), key="wake-1", now=world.clock.now)
    outbox.wake()
    await asyncio.wait_for(delivered.wait(), timeout=10)
    assert world.texts("zhangsan") == ["醒来"] and not task.done()
    await outbox.stop()
    await asyncio.wait_for(task, timeout=10)
