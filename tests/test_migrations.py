"""Schema: migrations build a fresh database, leave a current one alone, and match the models."""

from __future__ import annotations

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
