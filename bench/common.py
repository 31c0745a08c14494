"""What the database benchmarks share (bench/sweeps.py, bench/watch.py): counting the SQL statements
tortoise runs, the process's peak RSS, and the start of a bulk load with the standard library's
sqlite3 (fast pragmas, departments with three people each: person ``d * 3 + 1`` heads department
``d + 1``). Timestamps are written as tortoise stores an aware datetime on SQLite (:func:`iso`)."""

from __future__ import annotations

import logging
import resource
import sqlite3
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path

#: The repository, the folder the benches run the bot's code from.
ROOT = Path(__file__).resolve().parent.parent


class QueryCounter(logging.Handler):
    """Counts the statements tortoise logs (``tortoise.db_client``), connection chatter left out."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        # The template, not the formatted message: a bulk write logs all its rows as arguments,
        # and formatting them would time the bench's counting, not the sweep.
        if not str(record.msg).startswith(("Created connection", "Closed connection")):
            self.count += 1

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


def open_bulk(path: Path, depts: int, roles: tuple[str, str, str],
              officers: Collection[str]) -> sqlite3.Connection:
    """The database at ``path`` for a bulk load, with ``depts`` departments and, in each, one person
    per role (``p<d>-<role>``; the first role heads the department, ``officers`` are its officers)."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA journal_mode=MEMORY")
    people = [(f"p{d}-{role}", f"人{d}{role}", d + 1, int(role in officers))
              for d in range(depts) for role in roles]
    db.executemany("INSERT INTO department (id, code, name, info_center, head_id, groups) "
                   "VALUES (?, ?, ?, ?, ?, '{}')",
                   [(d + 1, f"d{d}", f"部门{d}", int(d == 0), d * 3 + 1) for d in range(depts)])
    db.executemany("INSERT INTO person (code, name, title, office_phone, mobile, qq, wechat_id, "
                   "department_id, is_officer, roles, active) "
                   "VALUES (?, ?, '', '', '', '', '', ?, ?, '[]', 1)", people)
    return db
