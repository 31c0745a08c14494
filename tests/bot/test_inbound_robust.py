"""Nothing accepted is lost or stuck (issue 12, points 3-5), at router level on both databases.

Proves:
- keys made from platform values never exceed their column (a 10,000-character msgId, a
  1,100-character EventKey): the event is stored, deduped, answered, and its failure recorded;
  two long keys that share their first 255 characters stay two events;
- one row the database refuses fails only its own request: the other 20 of its group commit are
  stored and processed;
- an event whose handler fails ends ``failed`` with its reason even when that reason, or the
  notice to the person, cannot be written;
- events left ``received`` (a crash, a database hiccup, a payload that no longer loads) are taken
  up by ``Inbox.sweep_stuck(now)`` and ``resume()``: processed again, or failed with the reason;
  rows still queued in this process are left alone; a sweep with nothing stuck is one query;
- the person is told once that something went wrong, with two instances sweeping at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from datetime import timedelta

import pytest

from bot import texts
from bot.app import build_bot
from bot.events import CardAction, Event, TextMessage, bounded_key
from models import Draft, InboundEvent, InboundStatus, OutboxMessage
from tests.conftest import QueryCounter, World, make_settings
from tests.fakes import RecordingChannel
from tests.handlers.test_drafts import DRAFT

MSG_ID = "m" * 10_000  # a msgId as long as a hostile sender makes it
EVENT_KEY = "qrscene_" + "k" * 1_092  # a WeChat EventKey of 1,100 characters


def _text(world: World, key: str, text: str = "帮助", sender: str = "zhangsan") -> TextMessage:
    return TextMessage(channel="local", sender=sender, key=key, received_at=world.clock.now,
                       text=text)


async def _outbox_keys() -> list[str]:
    return [str(k) for k in await OutboxMessage.all().order_by("id").values_list("key", flat=True)]


def _boom(monkeypatch: pytest.MonkeyPatch, message: str = "bug") -> None:
    from handlers import drafts

    async def boom(*args: object) -> None:
        raise RuntimeError(message)

    monkeypatch.setattr(drafts, "load_view", boom)


# -- keys ------------------------------------------------------------------------------------------
def test_bounded_keys_keep_short_keys_and_hash_long_parts() -> None:
    assert bounded_key("wecom", "m-1", "r1") == "wecom:m-1:r1"  # as before
    hashed = "wecom:" + hashlib.sha256(b"x" * 250).hexdigest()
    assert bounded_key("wecom", "x" * 250) == hashed  # 256 > 255: the long part hashed
    assert bounded_key("wecom", "x" * 249) == "wecom:" + "x" * 249  # exactly 255: kept
    long_a, long_b = "a" * 300, "a" * 299 + "b"
    keys = {bounded_key("wecom", k, f"r{n}") for k in (long_a, long_b) for n in (1, 2)}
    assert len(keys) == 4 and all(len(k) <= 255 for k in keys)
    assert bounded_key("wecom", long_a, "r1") == bounded_key("wecom", long_a, "r1")
    assert bounded_key("wecom", long_a, "r1").startswith("wecom:") and \
        bounded_key("wecom", long_a, "r1").endswith(":r1")
    assert len(bounded_key("api", "客" * 200, limit=128)) <= 128
    assert len(bounded_key(*["y" * 60] * 10)) <= 255  # many short parts: the whole key hashed
    assert len(bounded_key("wechat", "bad\ud800" * 100)) <= 255  # lone surrogates hash too


async def test_a_10000_character_msgid_is_stored_answered_and_deduped(world: World) -> None:
    assert await world.deliver(_text(world, MSG_ID)) is True
    row = await InboundEvent.get()
    assert row.status == InboundStatus.DONE and len(row.key) <= 255
    assert world.last_text("zhangsan") == texts.HELP
    assert all(len(k) <= 255 for k in await _outbox_keys())
    assert await world.deliver(_text(world, MSG_ID)) is False  # the redelivery is a repeat
    # A different msgId with the same first 255 characters is another event (not cut to a repeat).
    assert await world.deliver(_text(world, MSG_ID[:-1] + "n")) is True
    assert await InboundEvent.filter(status=InboundStatus.DONE).count() == 2
    assert world.texts("zhangsan") == [texts.HELP, texts.HELP]


async def test_a_tap_with_a_1100_character_event_key_is_answered(world: World) -> None:
    tap = CardAction(channel="local", sender="zhangsan", key=EVENT_KEY, received_at=world.clock.now,
                     payload="zz:stale")
    assert await world.deliver(tap) is True
    assert (await InboundEvent.get()).status == InboundStatus.DONE
    assert world.last_text("zhangsan") == texts.EXPIRED_BUTTON


async def test_a_stranger_with_a_long_msgid_is_pointed_to_the_information_center(world: World) -> None:
    assert await world.deliver(_text(world, MSG_ID, sender="nobody")) is True
    assert (await InboundEvent.get()).status == InboundStatus.DONE
    assert world.last_text("nobody") == texts.NOT_IN_ORG
    assert all(len(k) <= 255 for k in await _outbox_keys())


async def test_a_failing_event_with_a_long_key_is_failed_and_the_person_told_once(
    world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    _boom(monkeypatch)
    assert await world.deliver(_text(world, MSG_ID, DRAFT)) is True
    row = await InboundEvent.get()
    assert (row.status, row.error) == (InboundStatus.FAILED, "RuntimeError: bug")
    assert world.texts("zhangsan") == [texts.INTERNAL_ERROR]
    assert await world.deliver(_text(world, MSG_ID, DRAFT)) is False
    assert await world.bot.inbox.sweep_stuck(world.clock.advance(hours=1)) == 0
    await world.settle()
    assert world.texts("zhangsan") == [texts.INTERNAL_ERROR]
    assert await Draft.all().count() == 0


# -- batch isolation -------------------------------------------------------------------------------
async def test_a_row_the_database_refuses_fails_only_its_own_request(
    world: World, queries: QueryCounter,
) -> None:
    """A msgId with a lone surrogate: neither SQLite's nor PostgreSQL's driver can encode it.
    It used to fail every request of its group commit (500 for all, none stored)."""
    assert await world.deliver(_text(world, "old")) is True
    before = len(world.texts("zhangsan"))
    good = [_text(world, f"g{i}") for i in range(20)]
    burst: list[Event] = [*good[:10], _text(world, "bad\ud800"), *good[10:], _text(world, "old"),
                          _text(world, "g3")]  # two repeats: an old key, one earlier in the batch
    queries.statements.clear()
    results = await asyncio.gather(*(world.bot.inbox.accept(e) for e in burst),
                                   return_exceptions=True)
    inserts = [s for s in queries.statements if s.startswith('INSERT INTO "inbound_event"')]
    assert len(inserts) == 1 + len(burst)  # the batch, then row by row
    assert results[:10] == [True] * 10 and results[11:] == [True] * 10 + [False, False]
    assert isinstance(results[10], Exception)
    await world.settle()
    assert await InboundEvent.all().count() == 21
    assert await InboundEvent.filter(status=InboundStatus.DONE).count() == 21
    assert len(world.texts("zhangsan")) == before + 20
    # The next batch is written in one statement again.
    queries.statements.clear()
    assert await asyncio.gather(*(world.bot.inbox.accept(_text(world, f"n{i}")) for i in range(3))) \
        == [True] * 3
    assert len([s for s in queries.statements if s.startswith('INSERT INTO "inbound_event"')]) == 1
    await world.settle()


# -- failures recorded -----------------------------------------------------------------------------
async def test_a_reason_the_database_would_refuse_is_stored_quoted(
    world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An exception quoting a platform's NUL byte and a lone surrogate: PostgreSQL refuses the
    NUL in text, both drivers the surrogate. The reason is stored quoted, the person told."""
    _boom(monkeypatch, "bad \x00 \ud800 input")
    await world.say("zhangsan", DRAFT)
    row = await InboundEvent.get()
    assert row.status == InboundStatus.FAILED
    assert row.error == "RuntimeError: bad \\x00 \\ud800 input"
    assert world.texts("zhangsan") == [texts.INTERNAL_ERROR]


async def test_when_recording_the_failure_fails_the_event_is_still_failed(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    _boom(monkeypatch)
    send = world.bot.outbox.send

    async def refusing_send(to, message, **options):  # type: ignore[no-untyped-def]
        if options["key"].endswith(":error"):
            raise ConnectionResetError("notice could not be written")
        return await send(to, message, **options)

    monkeypatch.setattr(world.bot.outbox, "send", refusing_send)
    with caplog.at_level(logging.ERROR, logger="xmt.inbound"):
        await world.say("zhangsan", DRAFT)
    row = await InboundEvent.get()
    assert (row.status, row.error) == (InboundStatus.FAILED,
                                       "RuntimeError (recording the failure failed)")
    assert row.processed_at is not None
    assert any("could not record failure" in r.getMessage() for r in caplog.records)
    assert await world.bot.inbox.sweep_stuck(world.clock.advance(hours=1)) == 0


async def test_an_event_whose_failure_could_not_be_written_at_all_is_swept_later(
    world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The database went away while the failure was recorded: the row stays ``received``; the
    sweep takes it up once the trouble has passed."""
    _boom(monkeypatch)

    async def database_gone(*args: object) -> None:
        return None  # nothing could be written

    monkeypatch.setattr(world.bot.inbox, "_failed", database_gone)
    await world.say("zhangsan", DRAFT)
    assert (await InboundEvent.get()).status == InboundStatus.RECEIVED
    monkeypatch.undo()  # the bug is fixed, the database is back
    assert await world.bot.inbox.sweep_stuck(world.clock.now) == 0  # not yet: too recent
    assert await world.bot.inbox.sweep_stuck(world.clock.advance(minutes=6)) == 1
    await world.settle()
    assert (await InboundEvent.get()).status == InboundStatus.DONE
    assert await Draft.all().count() == 1


# -- stuck events ----------------------------------------------------------------------------------
async def _stuck(world: World, key: str, kind: str, payload: dict[str, object],
                 age: timedelta = timedelta(minutes=10)) -> InboundEvent:
    return await InboundEvent.create(key=f"local:{key}", channel="local", kind=kind, payload=payload,
                                     received_at=world.clock.now - age)


async def test_stuck_events_are_processed_again_or_failed_with_the_reason(world: World) -> None:
    ok = await _stuck(world, "s1", "text", _text(world, "s1").to_json())
    unknown = await _stuck(world, "s2", "hologram", {"channel": "local"})
    broken = await _stuck(world, "s3", "text", {"channel": "local", "sender": "zhangsan"})
    recent = await _stuck(world, "s4", "text", _text(world, "s4").to_json(), age=timedelta(minutes=1))
    assert await world.bot.inbox.sweep_stuck(world.clock.now) == 3
    await world.settle()
    rows = {r.id: r for r in await InboundEvent.all()}
    assert rows[ok.id].status == InboundStatus.DONE
    assert rows[unknown.id].status == InboundStatus.FAILED
    assert rows[unknown.id].error.startswith("unloadable: KeyError")
    assert rows[broken.id].status == InboundStatus.FAILED
    assert rows[broken.id].error.startswith("unloadable: TypeError")
    assert rows[recent.id].status == InboundStatus.RECEIVED  # may still be queued somewhere
    assert world.texts("zhangsan") == [texts.HELP]
    assert await world.bot.inbox.resume() == 1  # at start-up every received row is taken up
    await world.settle()
    assert (await InboundEvent.get(id=recent.id)).status == InboundStatus.DONE
    assert world.texts("zhangsan") == [texts.HELP, texts.HELP]


async def test_start_up_survives_a_payload_that_no_longer_loads(world: World) -> None:
    await _stuck(world, "s1", "hologram", {})
    await _stuck(world, "s2", "text", _text(world, "s2").to_json())
    assert await world.bot.inbox.resume() == 2
    await world.settle()
    assert sorted(await InboundEvent.all().values_list("status", flat=True)) == ["done", "failed"]


async def test_the_sweep_leaves_events_queued_here_alone_and_costs_one_query(
    world: World, queries: QueryCounter,
) -> None:
    queries.count = 0
    assert await world.bot.inbox.sweep_stuck(world.clock.now) == 0
    assert queries.count == 1  # nothing stuck: one query
    gate = asyncio.Event()

    async def slow_download(event: Event) -> Event:
        await gate.wait()
        return event

    world.bot.inbox.prepare["local"] = slow_download
    assert await world.bot.inbox.accept(_text(world, "slow")) is True
    queries.count = 0
    assert await world.bot.inbox.sweep_stuck(world.clock.advance(minutes=30)) == 0
    assert queries.count == 1
    gate.set()
    await world.settle()
    assert (await InboundEvent.get()).status == InboundStatus.DONE
    assert world.texts("zhangsan") == [texts.HELP]


async def test_two_instances_sweeping_a_failing_event_tell_the_person_once(
    world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    _boom(monkeypatch)
    other = build_bot(make_settings(), [RecordingChannel()], clock=world.clock)
    await _stuck(world, "s1", "text", _text(world, "s1", DRAFT).to_json())
    taken = await asyncio.gather(world.bot.inbox.sweep_stuck(world.clock.now),
                                 other.inbox.sweep_stuck(world.clock.now))
    assert taken == [1, 1]
    await other.tasks.join()
    await world.settle()
    assert (await InboundEvent.get()).status == InboundStatus.FAILED
    assert [k for k in await _outbox_keys()] == ["local:s1:error"]
    assert world.texts("zhangsan") == [texts.INTERNAL_ERROR]


def test_card_ids_and_keys_made_from_a_long_event_key_stay_bounded_and_apart() -> None:
    """Card ids carry the event key (the 确认通过 and deadline-choice cards): a 1,100-character
    EventKey gives an id within the 128-character column, and two keys differing only at the
    end give two ids (a cut at 120 characters made them one)."""
    from bot.events import bounded_key

    a, b = "k" * 1100 + "a", "k" * 1100 + "b"
    ids = {f"apc-7-2-{bounded_key(k, limit=64)}" for k in (a, b)}
    assert len(ids) == 2 and all(len(i) <= 128 for i in ids)
    assert bounded_key("short", limit=64) == "short"
