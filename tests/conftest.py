"""Fixtures: a fresh database per test (in-memory SQLite, or the PostgreSQL server named by
``XMT_TEST_DATABASE_URL`` — ``scripts/with-postgres`` starts one), and a bot wired to a
recording channel with the demo organisation loaded."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tortoise import Tortoise, connections
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.migrations.api import migrate

from bot.app import Bot, build_bot
from bot.cards import Card
from bot.db import tortoise_config
from bot.events import CardAction, Event, FileMessage, ImageMessage, LinkMessage, TextMessage
from bot.org import import_file
from bot.settings import Settings
from tests.fakes import FakeClock, RecordingChannel

ROOT = Path(__file__).resolve().parent.parent
DEMO_ORG = ROOT / "examples" / "org.yaml"
PG_URL = os.environ.get("XMT_TEST_DATABASE_URL", "")
_pg_migrated = False


def on_postgres() -> bool:
    return bool(PG_URL)


async def _reset_postgres() -> None:
    conn = connections.get("default")
    rows = await conn.execute_query_dict(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE "
        "'tortoise%'"
    )
    tables = ", ".join(f'"{r["tablename"]}"' for r in rows)
    if tables:
        await conn.execute_script(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture
async def db() -> AsyncIterator[str]:
    global _pg_migrated
    # Tortoise caches each model's INSERT/UPDATE statements per (connection name, table), not per
    # dialect: after a test that opened SQLite under the name "default" (tests/models/test_migrations.py),
    # PostgreSQL would be sent SQLite's "?" placeholders. Each test starts with an empty cache.
    EXECUTOR_CACHE.clear()
    if PG_URL:
        config = tortoise_config(PG_URL)
        if not _pg_migrated:
            await migrate(config=config)
            await Tortoise.close_connections()
            _pg_migrated = True
        await Tortoise.init(config=config, _enable_global_fallback=True)
        await _reset_postgres()
        yield PG_URL
    else:
        await Tortoise.init(config=tortoise_config("sqlite://:memory:"),
                            _enable_global_fallback=True)
        await Tortoise.generate_schemas()
        yield "sqlite://:memory:"
    await Tortoise.close_connections()


@dataclass
class World:
    """The bot with the demo organisation, a recording channel and a hand-moved clock."""

    bot: Bot
    channel: RecordingChannel
    clock: FakeClock
    n: int = 0

    def _common(self, who: str) -> dict[str, Any]:
        self.n += 1
        return {"channel": self.channel.name, "sender": who, "key": f"t{self.n}",
                "received_at": self.clock.now}

    async def deliver(self, event: Event) -> bool:
        fresh = await self.bot.inbox.accept(event)
        await self.settle()
        return fresh

    async def settle(self) -> None:
        await self.bot.tasks.join()
        await self.bot.outbox.drain(self.clock.now)

    async def say(self, who: str, text: str) -> None:
        await self.deliver(TextMessage(**self._common(who), text=text))

    async def tap(self, who: str, card: Card, label: str) -> None:
        button = next(b for b in card.buttons if b.label == label)
        await self.deliver(CardAction(**self._common(who), payload=button.payload,
                                      card_id=card.card_id))

    async def image(self, who: str, data: bytes, name: str = "photo.png") -> None:
        await self.deliver(ImageMessage(**self._common(who), name=name, data=data))

    async def file(self, who: str, data: bytes, name: str) -> None:
        await self.deliver(FileMessage(**self._common(who), name=name, data=data))

    async def link(self, who: str, url: str, title: str) -> None:
        await self.deliver(LinkMessage(**self._common(who), url=url, title=title))

    def texts(self, who: str) -> list[str]:
        return self.channel.texts_to(who)

    def last_text(self, who: str) -> str:
        texts = self.texts(who)
        assert texts, f"nothing said to {who}"
        return texts[-1]


class QueryCounter(logging.Handler):
    """Counts the SQL statements tortoise runs (it logs each one on ``tortoise.db_client``)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not message.startswith(("Created connection", "Closed connection")):
            self.count += 1
            self.statements.append(message)


@pytest.fixture
def queries() -> Iterator[QueryCounter]:
    logger = logging.getLogger("tortoise.db_client")
    counter = QueryCounter()
    old = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    yield counter
    logger.removeHandler(counter)
    logger.setLevel(old)


def make_settings(**kw: Any) -> Settings:
    return Settings(_env_file=None, **kw)  # type: ignore[call-arg]


@pytest.fixture
async def world(db: str, tmp_path: Path) -> World:
    clock = FakeClock()
    channel = RecordingChannel()
    settings = make_settings(database_url="sqlite://:memory:", wordlist_dir=str(tmp_path / "words"))
    bot = build_bot(settings, [channel], clock=clock)
    await import_file(DEMO_ORG, now=clock.now)
    return World(bot, channel, clock)
