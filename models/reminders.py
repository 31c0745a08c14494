"""Reminders already sent: the unique key (kind, subject, step, period) is what makes a sweep
safe to run twice, late, or in two processes at once."""

from __future__ import annotations

from tortoise import fields
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
        indexes = (("kind", "subject"),)

    @staticmethod
    def make_key(kind: str, subject: str, step: str, period: str) -> str:
        return f"{kind}:{subject}:{step}:{period}"
