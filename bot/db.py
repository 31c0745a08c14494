"""Database set-up: tortoise configuration, migrations, and the helpers tests use.

Schema changes go through tortoise's built-in migrations (``models/migrations``): ``init_db``
applies whatever is missing, so a fresh database and an existing one both end up current.
To change a model: edit it, then ``tortoise -c bot.db.TORTOISE_ORM makemigrations`` and commit the
new file (the test ``test_migrations_match_models`` fails until you do).

Several instances on one PostgreSQL start together (a deployment, a host reboot) and each runs
``init_db``. Tortoise's migrate takes no lock of its own: processes migrating at once all find
the same migrations missing and all run them, and the slower ones fail on what another just made
(three released together on a fresh database without the lock: two failed, already on creating
``tortoise_migrations`` itself, a duplicate key in ``pg_type``). So on PostgreSQL ``init_db``
migrates under a session-level advisory lock (``pg_advisory_lock(MIGRATION_LOCK_KEY)``), held on
a connection of its own for the whole of ``migrate`` and released after: the first instance
migrates, the others wait for it and then find nothing to do. A process that dies while holding
it loses its connection, and the server releases the lock with it. SQLite needs none (one process
owns the file: several instances need a server database).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate

from models import MODULES

PG_POOL_MAX = 20
# The advisory lock key migrations run under (module docstring): "xmtmigra" as a 64-bit integer.
# Distinct from the other advisory keys by size: the audit's (bot.audit._ADVISORY_KEY, "xmta")
# is below 2**32 and the sweeps' (schedules.base.sweep_lock: 7 bytes of a SHA-1) below 2**56;
# this one is above 2**62.
MIGRATION_LOCK_KEY = int.from_bytes(b"xmtmigra", "big")


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` as well as tortoise's ``postgres://``; give PostgreSQL a pool of
    20 connections unless the URL sets ``maxsize`` (tortoise's default of 5 makes callbacks,
    event processing and the outbox worker's 16 deliveries queue for a connection)."""
    if url.startswith("postgresql://"):
        url = "postgres://" + url.removeprefix("postgresql://")
    if url.startswith("postgres://") and "maxsize=" not in url:
        url += ("&" if "?" in url else "?") + f"maxsize={PG_POOL_MAX}"
    return url


def tortoise_config(url: str) -> dict[str, Any]:
    return {
        "connections": {"default": normalise_url(url)},
        "apps": {
            "models": {
                "models": MODULES,
                "migrations": "models.migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# For the ``tortoise`` command line (makemigrations); reads the same variable as the bot.
TORTOISE_ORM = tortoise_config(os.environ.get("XMT_DATABASE_URL", "sqlite://var/xmt.sqlite3"))


def _ensure_sqlite_folder(url: str) -> None:
    if url.startswith("sqlite://") and ":memory:" not in url:
        Path(url.removeprefix("sqlite://")).parent.mkdir(parents=True, exist_ok=True)


@asynccontextmanager
async def migration_lock(url: str) -> AsyncIterator[None]:
    """Hold PostgreSQL's session-level advisory lock ``MIGRATION_LOCK_KEY`` while the block runs
    (waiting for another holder first); nothing on SQLite.

    The lock lives on one connection of a private one-connection client of tortoise's asyncpg
    backend (the URL read as tortoise reads it: host, credentials, ``ssl``), outside tortoise's
    registry, which ``migrate`` opens and closes itself. The connection stays checked out for
    the whole block: back in a pool, an idle connection may be closed, and the lock with it."""
    db = expand_db_url(normalise_url(url))
    if db["engine"] != "tortoise.backends.asyncpg":
        yield
        return
    from tortoise.backends.asyncpg.client import AsyncpgDBClient

    client = AsyncpgDBClient(**{**db["credentials"], "minsize": 1, "maxsize": 1,
                                "connection_name": "migration-lock"})
    await client.create_connection(with_db=True)
    try:
        async with client.acquire_connection() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
            try:
                yield
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
    finally:
        await client.close()


async def init_db(url: str, *, apply_migrations: bool = True) -> None:
    """Connect and bring the schema up to date (migrations, under ``migration_lock`` so that
    instances started together migrate once), globally for this process."""
    _ensure_sqlite_folder(url)
    config = tortoise_config(url)
    if apply_migrations:
        async with migration_lock(url):
            try:
                await migrate(config=config)
            finally:
                await Tortoise.close_connections()
    await Tortoise.init(config=config, _enable_global_fallback=True)


async def close_db() -> None:
    await Tortoise.close_connections()

