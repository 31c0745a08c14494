"""Database set-up: tortoise configuration, migrations, and the helpers tests use.

Schema changes go through tortoise's built-in migrations (``models/migrations``): ``init_db``
applies whatever is missing, so a fresh database and an existing one both end up current.
To change a model: edit it, then ``tortoise -c bot.db.TORTOISE_ORM makemigrations`` and commit the
new file (the test ``test_migrations_match_models`` fails until you do).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.migrations.api import migrate

from models import MODULES

PG_POOL_MAX = 20


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


async def init_db(url: str, *, apply_migrations: bool = True) -> None:
    """Connect and bring the schema up to date (migrations), globally for this process."""
    _ensure_sqlite_folder(url)
    config = tortoise_config(url)
    if apply_migrations:
        await migrate(config=config)
        await Tortoise.close_connections()
    await Tortoise.init(config=config, _enable_global_fallback=True)


async def close_db() -> None:
    await Tortoise.close_connections()

