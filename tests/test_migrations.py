"""Schema: migrations build a fresh database, leave a current one alone, and match the models."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tortoise import Tortoise, connections
from tortoise.migrations.autodetector import MigrationAutodetector

from bot.db import close_db, init_db, tortoise_config
from models import Draft, Person


async def test_fresh_and_existing_database_both_end_up_current(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'x.sqlite3'}"
    await init_db(url)
    await Person.create(code="a", name="甲")
    await close_db()
    await init_db(url)  # existing database: nothing to apply, data kept
    assert await Person.filter(code="a").count() == 1
    assert await Draft.all().count() == 0
    await close_db()


async def test_migrations_match_models() -> None:
    """Fails until ``tortoise -c bot.db.TORTOISE_ORM makemigrations`` is run after a model edit."""
    config = tortoise_config("sqlite://:memory:")
    ctx = await Tortoise.init(config=config)
    try:
        apps = {label: dict(app) for label, app in config["apps"].items()}
        changes = await MigrationAutodetector(ctx.apps, apps).changes()
        assert changes == [], [w.name for w in changes]
    finally:
        await connections.close_all()
        await Tortoise.close_connections()


def test_database_urls_are_normalised() -> None:
    from bot.db import normalise_url

    assert normalise_url("postgresql://u@h/db") == "postgres://u@h/db?maxsize=20"
    assert normalise_url("postgres://u@h/db?ssl=true") == "postgres://u@h/db?ssl=true&maxsize=20"
    assert normalise_url("postgres://u@h/db?maxsize=7") == "postgres://u@h/db?maxsize=7"
    assert normalise_url("sqlite://var/x.sqlite3") == "sqlite://var/x.sqlite3"


async def test_an_existing_database_of_the_first_release_is_upgraded_keeping_its_data(
    tmp_path: Path,
) -> None:
    from tortoise.migrations.api import migrate

    from bot.db import tortoise_config
    from models import Reminder

    url = f"sqlite://{tmp_path / 'old.sqlite3'}"
    await migrate(config=tortoise_config(url), target="models.0001_initial")
    await Tortoise.close_connections()
    import sqlite3

    with sqlite3.connect(tmp_path / "old.sqlite3") as conn:
        conn.execute("INSERT INTO person (code, name, title, office_phone, mobile, qq, wechat_id, "
                     "is_officer, roles, active) VALUES ('a', '甲', '', '', '', '', '', 0, '[]', 1)")
        assert "reminder" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    await init_db(url)  # what `xmt serve` does at start
    assert await Person.filter(code="a").count() == 1
    assert await Reminder.all().count() == 0
    await close_db()


async def test_inquiry_source_is_widened_keeping_rows_and_indexes(tmp_path: Path) -> None:
    """0006: ``wechat:`` + a 28-character openid (35) did not fit ``source`` (32). On SQLite the
    column change rebuilds the table: its rows and its two indexes survive."""
    import sqlite3

    from tortoise.migrations.api import migrate

    from models import Account, Department, Inquiry

    path = tmp_path / "old.sqlite3"
    await migrate(config=tortoise_config(f"sqlite://{path}"), target="models.0005_screening")
    await Tortoise.close_connections()
    await Tortoise.init(config=tortoise_config(f"sqlite://{path}"))  # the models fit 0005's tables
    dept = await Department.create(code="xc", name="宣传科")
    account = await Account.create(name="某某发布", platform="wechat", department=dept,
                                   created_at=datetime(2026, 11, 26, tzinfo=UTC))
    await Inquiry.create(account=account, department_id=dept.id, source="chat", asker="小王",
                         text="问题", received_at=datetime(2026, 11, 26, tzinfo=UTC))
    await Tortoise.close_connections()
    await init_db(f"sqlite://{path}")
    openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    assert [q.source for q in await Inquiry.all()] == ["chat"]
    await close_db()
    with sqlite3.connect(path) as conn:
        columns = {r[1]: r[2] for r in conn.execute('PRAGMA table_info("inquiry")')}
        indexes = {r[1] for r in conn.execute('PRAGMA index_list("inquiry")')}
    assert columns["source"] == "VARCHAR(128)" and len(f"wechat:{openid}") <= 128
    assert indexes == {"idx_inquiry_status_1dd310", "idx_inquiry_departm_038475"}


async def test_the_test_database_has_the_wide_source_column(db: str) -> None:
    """On PostgreSQL (built by the migrations, ``scripts/with-postgres``) the length is enforced:
    the column must be 128 there, with the inquiry indexes once each."""
    conn = connections.get("default")
    if db.startswith("postgres"):
        rows = await conn.execute_query_dict(
            "SELECT character_maximum_length AS n FROM information_schema.columns "
            "WHERE table_name = 'inquiry' AND column_name = 'source'")
        assert rows == [{"n": 128}]
        names = await conn.execute_query_dict(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'inquiry' AND indexname LIKE 'idx_%'")
        assert sorted(r["indexname"] for r in names) == [
            "idx_inquiry_departm_038475", "idx_inquiry_status_1dd310"]
    else:
        _, rows = await conn.execute_query('PRAGMA table_info("inquiry")')
        assert {r[1]: r[2] for r in rows}["source"] == "VARCHAR(128)"
