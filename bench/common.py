"""What the database benchmarks share (bench/sweeps.py, bench/watch.py, bench/console.py): counting
the SQL statements tortoise runs (reads apart), the process's peak RSS, the organisation every bench
loads (departments with three people each: person ``d * 3 + 1`` heads department ``d + 1``), and
two ways of loading it: the standard library's sqlite3 with fast pragmas (:func:`open_bulk`;
timestamps written as tortoise stores an aware datetime on SQLite, :func:`iso`), and PostgreSQL's
COPY through asyncpg (:func:`copy_tables`), which takes a national scale's millions of rows in
minutes where INSERTs take an hour."""

from __future__ import annotations

import logging
import resource
import sqlite3
import time
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: The repository, the folder the benches run the bot's code from.
ROOT = Path(__file__).resolve().parent.parent


class QueryCounter(logging.Handler):
    """Counts the statements tortoise logs (``tortoise.db_client``), connection chatter left out;
    ``reads`` of them are SELECTs (what must not grow with the data: writes follow what is due)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0
        self.reads = 0
        #: The reads with their parameters, kept while ``keep`` is set (to explain them after).
        self.kept: list[tuple[str, Any]] = []
        self.keep = False

    def reset(self) -> None:
        self.count = self.reads = 0
        self.kept = []

    def emit(self, record: logging.LogRecord) -> None:
        # The template, not the formatted message: a bulk write logs all its rows as arguments,
        # and formatting them would time the bench's counting, not the sweep.
        if str(record.msg).startswith(("Created connection", "Closed connection")):
            return
        self.count += 1
        sql = record.args[0] if isinstance(record.args, tuple) and record.args else record.msg
        if str(sql).lstrip().upper().startswith(("SELECT", "WITH")):
            self.reads += 1
            if self.keep:
                self.kept.append((str(sql), record.args[1] if isinstance(record.args, tuple)
                                  and len(record.args) > 1 else None))

    def install(self) -> logging.Logger:
        """Listen to tortoise's statement log (set to DEBUG); returns that logger."""
        logger = logging.getLogger("tortoise.db_client")
        logger.setLevel(logging.DEBUG)
        logger.addHandler(self)
        return logger


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def iso(at: datetime) -> str:
    """How tortoise stores an aware datetime on SQLite."""
    return at.astimezone(UTC).isoformat(sep=" ")


DEPARTMENT = ("id", "code", "name", "info_center", "head_id", "groups")
PERSON = ("id", "code", "name", "title", "office_phone", "mobile", "qq", "wechat_id", "department_id",
          "is_officer", "roles", "active")


def org_rows(depts: int, roles: tuple[str, str, str], officers: Collection[str]
             ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """``depts`` departments (columns ``DEPARTMENT``) and, in each, one person per role (``PERSON``;
    ``p<d>-<role>``, id ``d * 3 + n + 1``; the first role heads the department, ``officers`` are
    its officers). The first department is the Information Center."""
    departments = [(d + 1, f"d{d}", f"部门{d}", d == 0, d * 3 + 1, "{}") for d in range(depts)]
    people = [(d * 3 + n + 1, f"p{d}-{role}", f"人{d}{role}", "", "", "", "", "", d + 1,
               role in officers, "[]", True) for d in range(depts) for n, role in enumerate(roles)]
    return departments, people


def insert_sql(table: str, columns: Sequence[str]) -> str:
    """sqlite3's INSERT of ``columns`` into ``table``."""
    names = ", ".join(f'"{c}"' for c in columns)
    return f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" for _ in columns)})'


def sqlite_row(row: Iterable[Any]) -> tuple[Any, ...]:
    """A generated row as sqlite3 takes it: datetimes as tortoise stores them (:func:`iso`)."""
    return tuple(iso(v) if isinstance(v, datetime) else v for v in row)


def open_bulk(path: Path, depts: int, roles: tuple[str, str, str],
              officers: Collection[str]) -> sqlite3.Connection:
    """The database at ``path`` for a bulk load, with the organisation of :func:`org_rows`."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA journal_mode=MEMORY")
    departments, people = org_rows(depts, roles, officers)
    db.executemany(insert_sql("department", DEPARTMENT), departments)
    db.executemany(insert_sql("person", PERSON), people)
    return db


#: A table to load: its name, its columns, and its rows (any iterable: a generator keeps a
#: national scale's 15 million rows out of memory).
Table = tuple[str, Sequence[str], Iterable[Sequence[Any]]]


def _counted(rows: Iterable[Sequence[Any]], table: str, seen: list[int], start: float,
             log: Any) -> Iterable[Sequence[Any]]:
    """``rows``, counted in ``seen[0]``, with a progress line every million."""
    for row in rows:
        seen[0] += 1
        if seen[0] % 1_000_000 == 0:
            log(f"  {table}: {seen[0]:,} rows, {time.perf_counter() - start:.0f} s")
        yield row


async def copy_tables(url: str, tables: Iterable[Table], *, log: Any = print) -> dict[str, int]:
    """Load ``tables`` into the (migrated, empty) PostgreSQL database at ``url`` with COPY
    (asyncpg's ``copy_records_to_table``, binary); returns the rows loaded per table.

    Fast because a bulk load may skip what an application's writes need: the tables' plain indexes
    are dropped first and built once at the end (unique ones stay: they back constraints), foreign
    keys are not checked (``session_replication_role = replica``: a bench's publications point at
    drafts it does not load, as on SQLite), and the sequences are moved past the ids loaded. Then
    ``VACUUM ANALYZE``, as autovacuum would leave a table that has been in use: planner statistics,
    and a visibility map that lets index-only scans skip the heap. ``log`` gets a line per step."""
    import asyncpg  # tortoise's PostgreSQL driver, in the lock already

    conn = await asyncpg.connect(url)
    counts: dict[str, int] = {}
    try:
        await conn.execute("SET session_replication_role = replica")
        await conn.execute("SET maintenance_work_mem = '512MB'")
        for table, columns, rows in tables:
            start = time.perf_counter()
            plain = await conn.fetch(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = $1 AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)", table)
            for index in plain:
                await conn.execute(f'DROP INDEX "{index["indexname"]}"')
            seen = [0]
            await conn.copy_records_to_table(table, records=_counted(rows, table, seen, start, log),
                                             columns=list(columns))
            n = seen[0]
            for index in plain:
                await conn.execute(index["indexdef"])
            if "id" in columns:
                await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                   f"(SELECT max(id) FROM {table}))")
            counts[table] = n
            log(f"  {table}: {n:,} rows in {time.perf_counter() - start:.1f} s "
                f"({len(plain)} indexes rebuilt)")
        start = time.perf_counter()
        for table in counts:
            await conn.execute(f"VACUUM ANALYZE {table}")
        log(f"  VACUUM ANALYZE in {time.perf_counter() - start:.1f} s")
    finally:
        await conn.close()
    return counts
