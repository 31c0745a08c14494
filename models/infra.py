"""Plumbing tables: inbound event keys (dedupe), the outbox, the audit chain, open prompts."""

from __future__ import annotations

from enum import Enum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from models.org import Person


class InboundStatus(str, Enum):
    RECEIVED = "received"  # stored and acknowledged, work not yet committed
    DONE = "done"
    FAILED = "failed"


class InboundEvent(Model):
    """One row per platform event: the unique key makes a repeated delivery a no-op."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=255, unique=True)
    channel = fields.CharField(max_length=16)
    kind = fields.CharField(max_length=32)
    payload: dict[str, Any] = fields.JSONField()
    status = fields.CharEnumField(InboundStatus, max_length=8, default=InboundStatus.RECEIVED)
    received_at = fields.DatetimeField()
    processed_at = fields.DatetimeField(null=True)
    error = fields.TextField(default="")

    class Meta:
        table = "inbound_event"
        indexes = (("status", "id"),)


class OutboxStatus(str, Enum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker until claimed_until
    SENT = "sent"
    DEAD = "dead"


class OutboxMessage(Model):
    """An outgoing message or card update, written in the same transaction as the state change.

    lane orders delivery: within a lane (one recipient) rows go out in id order.
    body is the domain message (text or card), rendered per channel at delivery.
    """

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=255, unique=True)
    lane = fields.CharField(max_length=128)
    kind = fields.CharField(max_length=16)  # text | card | card_update
    person: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="outbox", null=True, on_delete=fields.CASCADE
    )
    person_id: int | None
    group = fields.CharField(max_length=64, null=True)  # department code for group chats
    address = fields.CharField(max_length=128, null=True)  # raw channel id (people not on file)
    channel_hint = fields.CharField(max_length=16, null=True)
    card_id = fields.CharField(max_length=128, null=True)
    body: dict[str, Any] = fields.JSONField()
    status = fields.CharEnumField(OutboxStatus, max_length=8, default=OutboxStatus.PENDING)
    attempts = fields.SmallIntField(default=0)
    next_attempt_at = fields.DatetimeField()
    claimed_until = fields.DatetimeField(null=True)
    channel = fields.CharField(max_length=16, null=True)  # the channel it went out on
    ref: dict[str, Any] | None = fields.JSONField(null=True)
    last_error = fields.TextField(default="")
    # A dead letter produces a notice to the Information Center unless it is one itself.
    notify_on_dead = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_message"
        indexes = (("status", "id"), ("card_id",))


class AuditEvent(Model):
    """Append-only: hash = sha256(prev_hash + canonical row), checked by xmt audit verify."""

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField()
    actor = fields.CharField(max_length=128)
    action = fields.CharField(max_length=64)
    subject = fields.CharField(max_length=128, default="")
    detail: dict[str, Any] = fields.JSONField(default=dict)
    prev_hash = fields.CharField(max_length=64)
    hash = fields.CharField(max_length=64, unique=True)

    class Meta:
        table = "audit_event"
        # Reads by action over a period (the console's unapproved publications, the first
        # commitment of each inquiry's deadline): without it each scans the whole trail.
        indexes = (("action", "at"),)


class Prompt(Model):
    """A question the bot asked a person and is waiting for (reason of a rejection, category).

    ``kind`` and ``data`` hold a typed question (``bot.prompts.PromptData``: its kind, its fields by
    name); a person has at most one open question."""

    id = fields.IntField(primary_key=True)
    person: fields.OneToOneRelation[Person] = fields.OneToOneField(
        "models.Person", related_name="prompt", on_delete=fields.CASCADE
    )
    person_id: int
    kind = fields.CharField(max_length=32)
    data: dict[str, Any] = fields.JSONField(default=dict)
    expires_at = fields.DatetimeField()

    class Meta:
        table = "prompt"


class SimMessage(Model):
    """A message shown in the local chat simulator, kept so a restarted demo keeps its chats.

    ``id`` is the message's number on the page, ``seq`` its latest change (a card update moves
    it on). Only the simulator writes here; a bot on WeCom or DingTalk leaves it empty."""

    id = fields.BigIntField(primary_key=True)  # given by the channel, never generated
    seq = fields.BigIntField(db_index=True)
    address = fields.CharField(max_length=128)
    sender = fields.CharField(max_length=128)
    body: dict[str, Any] = fields.JSONField()
    at = fields.DatetimeField()

    class Meta:
        table = "sim_message"
