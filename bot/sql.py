"""Statements written by hand for SQLite and PostgreSQL alike, with their parameters (``Params``).

The sweeps (``schedules``) use it for the conditions that pick, in the database, only the rows with
a reminder due and not yet written (issue 19: at 150,000 accounts a sweep that read every row to
decide in Python took seconds a run; ``bench/sweeps.py --scale national``). Each returns ids or a
few columns; the sweep then decides exactly, as before, so such a condition may let through more
than is due, never less. It lives here, below the sweeps and the console, so that one helper can
serve both (``console.queries`` has its own ``_Sql``).

``Params`` collects a statement's parameters, numbered (``?n`` on SQLite, ``$n`` on PostgreSQL: a
statement may be written in any order). Times are compared as instants: PostgreSQL's timestamptz
are; on SQLite tortoise stores a datetime as ISO text in whatever offset it was given (``+08:00``
from a local clock, ``+00:00`` from another), so a column is compared through ``julianday()``
(``Params.at``), which reads the offset, never as text. The statements are made of constants and
placeholders only. ``key(kind, column, step, period)`` is a reminder's key
(``models.Reminder.make_key``) built in SQL, ``||`` on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient


class Params:
    def __init__(self) -> None:
        self.conn = connections.get("default")
        self.pg = self.conn.capabilities.dialect == "postgres"
        self.values: list[Any] = []

    def __call__(self, value: object) -> str:
        if isinstance(value, datetime):
            if self.pg:
                self.values.append(value.astimezone(UTC))
                return f"${len(self.values)}::timestamptz"
            self.values.append(value.astimezone(UTC).isoformat(sep=" "))
            return f"julianday(?{len(self.values)})"
        self.values.append(value)
        return f"${len(self.values)}" if self.pg else f"?{len(self.values)}"

    def at(self, column: str) -> str:
        """A datetime column as an instant to compare with another or with a datetime parameter."""
        return column if self.pg else f"julianday({column})"

    def utc_day(self, column: str) -> str:
        """A datetime column's UTC date as text (YYYY-MM-DD): ``datetime.date().isoformat()`` of the
        value tortoise reads (it reads times in UTC). SQLite's ``date()`` applies the stored offset."""
        return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')" if self.pg else f"date({column})"

    def subjects(self, kind: str, step: str, period: str | None = None) -> str:
        """SQL: the subjects ``kind``'s reminders of ``step`` (and ``period``) were sent to, as a
        subquery for ``NOT IN``: hashed once per statement (read in the index on kind, step,
        period, subject), not looked up row by row. Without ``period``: ``subject:period``."""
        if period is None:
            return (f"(SELECT r.subject || ':' || r.period FROM reminder r "  # noqa: S608
                    f"WHERE r.kind = {self(kind)} AND r.step = {self(step)})")
        return (f"(SELECT r.subject FROM reminder r WHERE r.kind = {self(kind)} "  # noqa: S608
                f"AND r.step = {self(step)} AND r.period = {self(period)})")

    def text(self, value: str) -> str:
        """A string parameter whose type PostgreSQL cannot infer (an operand of ``||``)."""
        return f"{self(value)}::varchar" if self.pg else self(value)

    def key(self, kind: str, column: str, step: str, period: str) -> str:
        """The reminder key of ``column``'s row (an id) for ``step`` and ``period``, in SQL."""
        return f"({self.text(f'{kind}:')} || {column} || {self.text(f':{step}:{period}')})"

    def unsent(self, key: str) -> str:
        """No reminder of ``key`` (an SQL expression, e.g. ``key(…)``) was written: one look-up in
        the unique index on the key."""
        return f'NOT EXISTS (SELECT 1 FROM "reminder" r WHERE r."key" = {key})'  # noqa: S608

    async def rows(self, sql: str) -> list[dict[str, Any]]:
        if self.pg:
            # These statements are short but scan many rows: PostgreSQL's planner estimates them
            # above ``jit_above_cost`` and compiles them, which cost a second each at national
            # scale for a query that runs in 50 ms. Off for the rest of the sweep's transaction
            # (outside one, as for the watch's cheap read, nothing is set).
            if isinstance(self.conn, TransactionalDBClient):
                await self.conn.execute_script("SET LOCAL jit = off")
        _, rows = await self.conn.execute_query(sql, self.values)
        return [dict(row) for row in rows]

    async def ids(self, sql: str) -> list[int]:
        """The first column of ``sql``'s rows, as ints."""
        return [int(next(iter(row.values()))) for row in await self.rows(sql)]
