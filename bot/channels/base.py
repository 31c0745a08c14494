"""The channel interface every platform implements, and the errors the outbox understands.

Inbound: a channel's routes verify, parse into ``bot.events``, and hand the event to
``Inbox.accept`` (dedupe + persist) before answering. Outbound: the outbox worker asks each
channel for the address of a person or group, then calls ``send`` / ``update_card`` with domain
messages; ``render`` (pure) lives in the channel's own module.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from bot.cards import Card, Message
from models import Department, Person


class DeliveryError(Exception):
    """A temporary failure: the outbox retries with backoff. ``retry_after`` overrides backoff."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Throttled(DeliveryError):
    """A rate limit (ours or the platform's): wait ``retry_after`` seconds; not a failed attempt,
    so a burst of reminders is queued, never dropped or dead-lettered."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (unknown user, bad request): the message is dead-lettered at once."""


class CardGone(PermanentDeliveryError):
    """The card can no longer be updated (e.g. a single-use response code expired)."""


@runtime_checkable
class Channel(Protocol):
    name: str

    def person_address(self, person: Person) -> str | None:
        """The person's id on this channel, or None if this channel cannot reach them."""

    def group_address(self, department: Department) -> str | None:
        """The department's group chat on this channel, or None."""

    async def send(self, address: str, message: Message, *, key: str) -> dict[str, Any]:
        """Deliver; return what is needed to update a card later (the platform ref)."""

    async def update_card(self, address: str, ref: dict[str, Any], card: Card) -> None:
        """Replace a delivered card in place (outcome shown, no live buttons)."""
