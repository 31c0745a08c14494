"""Migrations at start-up under PostgreSQL's advisory lock (issue 19, point 1; ``bot.db``): three
processes running ``init_db`` on one fresh database at the same moment all succeed, each
migration is applied once (one row each in tortoise's ``tortoise_migrations``) and every model's
table reads. On SQLite (one process owns the file) what holds is that the same call run twice is
a no-op."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from tortoise import Tortoise

from bot.db import MIGRATION_LOCK_KEY, close_db, init_db, migration_lock
from tests.cluster import Process, fresh_database, start, wait_ready
from tests.conftest import ROOT, on_postgres

MIGRATIONS = sorted(p.stem for p in (ROOT / "models" / "migrations").glob("0*.py"))
INSTANCES = 3


async def applied(conn: asyncpg.Connection | None = None, url: str = "") -> list[tuple[str, str]]:
    own = conn is None
    conn = conn or await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT app, name FROM tortoise_migrations ORDER BY id")
        return [(r["app"], r["name"]) for r in rows]
    finally:
        if own:
            await conn.close()


@pytest.mark.skipif(not on_postgres(), reason="several processes migrating at once need a server "
                    "database (PostgreSQL); SQLite is the single-instance embedded mode")
async def test_instances_started_together_migrate_once(tmp_path: Path) -> None:
    async with fresh_database("xmt_migrate") as url:
        children: list[Process] = []
        try:
            children = [await start(["tests.cluster", "migrate", url], env={}, folder=tmp_path,
                                    name=f"migrate{i}", stdin=True) for i in range(INSTANCES)]
            for child in children:
                await wait_ready(child)
            await asyncio.gather(*(child.release() for child in children))  # all at once
            codes = await asyncio.gather(*(child.wait() for child in children))
            assert codes == [0] * INSTANCES, [c.err[-3000:] for c in children]
            results = [json.loads(c.out.splitlines()[-1]) for c in children]
            assert all(r["migrated"] and r["models"] > 20 for r in results)
            rows = await applied(url=url)
        finally:
            for child in children:
                child.kill()
    assert rows == [("models", name) for name in MIGRATIONS]  # each once, in order
    print(f"\n{INSTANCES} instances migrated one fresh database at once: "
          f"{len(rows)} migrations applied, each once")


@pytest.mark.skipif(not on_postgres(), reason="the advisory lock is PostgreSQL's")
async def test_the_lock_is_held_during_migrations_and_released_after() -> None:
    async with fresh_database("xmt_lock") as url:
        other = await asyncpg.connect(url)
        try:
            async def free() -> bool:
                got = bool(await other.fetchval("SELECT pg_try_advisory_lock($1)", MIGRATION_LOCK_KEY))
                if got:
                    await other.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
                return got

            async with migration_lock(url):
                assert not await free()  # another instance would wait here
            assert await free()
            await init_db(url)
            await close_db()
            assert await free()  # init_db let go of it
            assert await applied(other) == [("models", name) for name in MIGRATIONS]
        finally:
            await other.close()


async def test_migrating_twice_is_a_no_op(tmp_path: Path) -> None:
    """On either database: the second ``init_db`` finds nothing to do (what the instances that
    waited for the lock meet)."""
    if on_postgres():
        async with fresh_database("xmt_twice") as url:
            await _twice(url)
            rows = await applied(url=url)
    else:
        url = f"sqlite://{tmp_path / 'twice.sqlite3'}"
        await _twice(url)
        import sqlite3

        with sqlite3.connect(tmp_path / "twice.sqlite3") as conn:
            rows = [tuple(r) for r in conn.execute("SELECT app, name FROM tortoise_migrations ORDER BY id")]
    assert rows == [("models", name) for name in MIGRATIONS]


async def _twice(url: str) -> None:
    for _ in range(2):
        await init_db(url)
        for model in Tortoise.apps["models"].values():
            await model.all().first()
        await close_db()
