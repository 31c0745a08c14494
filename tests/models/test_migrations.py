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

    from models import Inquiry

    path = tmp_path / "old.sqlite3"
    await migrate(config=tortoise_config(f"sqlite://{path}"), target="models.0005_screening")
    await Tortoise.close_connections()
    with sqlite3.connect(path) as conn:  # rows as 0005 stored them (the models are newer)
        conn.execute("INSERT INTO department (id, code, name, info_center, groups) "
                     "VALUES (1, 'xc', '宣传科', 0, '{}')")
        conn.execute("INSERT INTO account (id, name, platform, department_id, post_every_days, status, "
                     "created_at, description, platform_account_id, opened_on, closure_evidence, "
                     "wechat) VALUES (1, '某某发布', 'wechat', 1, 3, 'operating', "
                     "'2026-11-26 00:00:00+00:00', '', '', '', '', '{}')")
        conn.execute("INSERT INTO inquiry (account_id, department_id, source, asker, text, received_at, "
                     "status, answer, relay) VALUES (1, 1, 'chat', '小王', '问题', "
                     "'2026-11-26 00:00:00+00:00', 'open', '', '')")
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


async def test_0007_unstamps_import_dates_and_adds_the_cadence_reason(tmp_path: Path) -> None:
    """Art. 4 (第四条), Art. 11 (第十一条). Before 0007 the organisation file stamped each new
    account filed at the moment of import: that was never a filing. 0007 makes such accounts
    "unfiled" with no filing date; an account filed through the bot (acknowledged 备案) or
    approved through it keeps its date. The status column is rebuilt on SQLite: rows and the
    unique name survive, and every account gets an empty ``cadence_reason``. The new status is
    a change of the migration state only: the account table is not rebuilt, so the rows that
    reference it (a filing, ON DELETE CASCADE) are still there."""
    import sqlite3

    from tortoise.migrations.api import migrate

    from models import Account, AccountFiling, AccountStatus

    path = tmp_path / "old.sqlite3"
    await migrate(config=tortoise_config(f"sqlite://{path}"), target="models.0006_inquiry_source")
    await Tortoise.close_connections()
    imported = "2026-11-20 02:00:00+00:00"
    filed = "2026-11-22 03:00:00+00:00"
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO department (id, code, name, info_center, groups) "
                     "VALUES (1, 'xc', '宣传科', 0, '{}')")
        conn.execute("INSERT INTO person (id, code, name, title, office_phone, mobile, qq, wechat_id, "
                     "is_officer, roles, active) VALUES (1, 'a', '甲', '', '', '', '', '', 0, '[]', 1)")
        rows = [(1, "导入号", imported, imported), (2, "备案号", imported, filed)]
        conn.executemany(
            "INSERT INTO account (id, name, platform, department_id, post_every_days, status, "
            "created_at, filed_at, description, platform_account_id, opened_on, closure_evidence, "
            "wechat) VALUES (?, ?, 'wechat', 1, 3, 'operating', ?, ?, '', '', '', '', '{}')", rows)
        conn.execute("INSERT INTO account_filing (account_id, form, submitted_by_id, submitted_at, "
                     "acknowledged_by_id, acknowledged_at, returned) VALUES (2, '{}', 1, ?, 1, ?, 0)",
                     (filed, filed))
    await init_db(f"sqlite://{path}")
    accounts = {a.name: a for a in await Account.all()}
    assert (accounts["导入号"].status, accounts["导入号"].filed_at) == (AccountStatus.UNFILED, None)
    assert accounts["备案号"].status == AccountStatus.OPERATING
    assert accounts["备案号"].filed_at == datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    assert {a.cadence_reason for a in accounts.values()} == {""}
    assert [f.account_id for f in await AccountFiling.all()] == [2]
    await close_db()
    with sqlite3.connect(path) as conn:
        indexes = {r[1]: r[2] for r in conn.execute('PRAGMA index_list("account")')}
    assert list(indexes.values()) == [1]  # the unique name


async def test_0011_gives_every_account_an_empty_refile(tmp_path: Path) -> None:
    """Art. 4 (第四条, 变更备案). 0011 adds ``Account.refile`` (roles whose holder left, per the
    directory): an account from before has none, and reads as not needing a change filed."""
    import sqlite3

    from tortoise.migrations.api import migrate

    from models import Account

    path = tmp_path / "old.sqlite3"
    await migrate(config=tortoise_config(f"sqlite://{path}"), target="models.0010_attachment_text")
    await Tortoise.close_connections()
    at = "2026-11-20 02:00:00+00:00"
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO department (id, code, name, info_center, groups) "
                     "VALUES (1, 'xc', '宣传科', 0, '{}')")
        conn.execute(
            "INSERT INTO account (id, name, platform, department_id, post_every_days, status, "
            "created_at, description, platform_account_id, opened_on, closure_evidence, "
            "wechat) VALUES (1, '老号', 'wechat', 1, 3, 'operating', ?, '', '', '', '', '{}')", (at,))
    await init_db(f"sqlite://{path}")
    account = await Account.get(name="老号")
    assert account.refile == {}
    await Account.filter(id=account.id).update(refile={"admin": {"person_id": 1, "why": "left"}})
    assert (await Account.get(id=account.id)).refile["admin"]["why"] == "left"
    await close_db()
