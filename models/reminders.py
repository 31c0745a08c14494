"""Reminders already sent: the unique key (kind, subject, step, period) is what makes a sweep
safe to run twice, late, or in two processes at once."""

from __future__ import annotations

import json
from collections.abc import Iterable

from tortoise import connections, fields
from tortoise.models import Model


class Reminder(Model):
    """One reminder per step of a ladder: written with its outbox rows in one transaction."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=255, unique=True)
    kind = fields.CharField(max_length=32)
    subject = fields.CharField(max_length=64)
    step = fields.CharField(max_length=32)
    period = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()

    class Meta:
        table = "reminder"
        # (kind, step, period, subject): which subjects were sent one step of one period, read in
        # the index alone — the review sweep's anti-join of 150,000 accounts (issue 19).
        indexes = (("kind", "subject"), ("kind", "step", "period", "subject"))

    @staticmethod
    def make_key(kind: str, subject: str, step: str, period: str) -> str:
        return f"{kind}:{subject}:{step}:{period}"

    @classmethod
    async def sent(cls, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` are in the table: one statement however many keys, each looked up in
        the unique index. The keys go as one parameter (a text array on PostgreSQL, a JSON array
        read by ``json_each`` on SQLite), not one parameter each: ``key IN (…)`` had to be cut
        into chunks under the drivers' parameter limits, one more statement every 900 keys, so
        a sweep's statements grew with the organisation (issue 19, ``bench/sweeps.py``)."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return set()
        conn = connections.get("default")
        arg: object
        if conn.capabilities.dialect == "postgres":
            sql, arg = 'SELECT "key" FROM "reminder" WHERE "key" = ANY($1::varchar[])', wanted
        else:
            sql = 'SELECT "key" FROM "reminder" WHERE "key" IN (SELECT value FROM json_each(?))'
            arg = json.dumps(wanted, ensure_ascii=False)
        _, rows = await conn.execute_query(sql, [arg])
        return {str(row["key"]) for row in rows}
