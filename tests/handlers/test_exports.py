"""Exports in chat (handlers.exports): every file is built off the event loop, in a worker thread,
from rows loaded before; what arrives is the builder's output, unchanged."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from bot import exports
from bot.cards import Document
from tests.bot.test_exports import submit_application
from tests.conftest import World

BUILDERS = ("registry_xlsx", "review_xlsx", "form1_document", "form2_document")


def record_threads(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[int]]:
    """Wrap each pure builder: which thread ran it (and the builder still does the work)."""
    threads: dict[str, list[int]] = {name: [] for name in BUILDERS}

    def recording(name: str, build: Callable[..., bytes]) -> Callable[..., bytes]:
        def run(*args: Any) -> bytes:
            threads[name].append(threading.get_ident())
            return build(*args)
        return run

    for name in BUILDERS:
        monkeypatch.setattr(exports, name, recording(name, getattr(exports, name)))
    return threads


@pytest.mark.parametrize(("who", "command", "builder", "suffix"), [
    ("wangwu", "导出台账", "registry_xlsx", ".xlsx"),
    ("wangwu", "导出年审", "review_xlsx", ".xlsx"),
    ("zhangsan", "导出申请表 S1", "form1_document", ".docx"),
    ("zhangsan", "导出备案表 @某某发布", "form2_document", ".docx"),
])
async def test_each_file_is_built_in_a_worker_thread(
        world: World, monkeypatch: pytest.MonkeyPatch, who: str, command: str, builder: str,
        suffix: str) -> None:
    if builder == "form1_document":
        await submit_application(world)
    threads = record_threads(monkeypatch)
    await world.say(who, command)
    sent = [m for m in world.channel.to(who) if isinstance(m, Document)]
    assert len(sent) == 1 and sent[0].name.endswith(suffix), world.texts(who)
    assert sent[0].data[:2] == b"PK"  # a zip: the builder's .xlsx/.docx
    assert {k: len(v) for k, v in threads.items()} == {k: int(k == builder) for k in BUILDERS}
    assert threads[builder][0] != threading.get_ident()  # not the event loop's thread


@pytest.mark.parametrize(("who", "command", "builder"), [
    ("wangwu", "导出台账", "registry_xlsx"),
    ("zhangsan", "导出备案表 @某某发布", "form2_document"),
])
async def test_the_file_is_built_outside_the_events_transaction_and_the_row_holds_no_bytes(
        world: World, monkeypatch: pytest.MonkeyPatch, who: str, command: str, builder: str) -> None:
    """The handler queues a FileRequest; the outbox builds the file when it delivers it, in no
    transaction (the event's had committed: building inside it held the database for the whole
    build), and the outbox row carries parameters, not megabytes of base64."""
    from tortoise import connections

    from models import OutboxMessage

    connection_types: list[str] = []
    original = exports.build_file

    async def observed(request: Any) -> Document:
        connection_types.append(type(connections.get("default")).__name__)
        return await original(request)

    monkeypatch.setattr(exports, "build_file", observed)
    await world.say(who, command)
    assert len(connection_types) == 1 and "Transaction" not in connection_types[0], connection_types
    rows = [r for r in await OutboxMessage.all() if r.body.get("type") == "file_request"]
    assert len(rows) == 1 and "data" not in rows[0].body and len(str(rows[0].body)) < 500
    assert [m for m in world.channel.to(who) if isinstance(m, Document)]
