"""The channel interface every platform implements, and the errors the outbox understands.

Inbound: a channel's routes verify, parse into ``bot.events``, and hand the event to
``Inbox.accept`` (dedupe + persist) before answering. Outbound: the outbox worker asks each
channel for the address of a person or group, then calls ``send`` / ``update_card`` with domain
messages; ``render`` (pure) lives in the channel's own module.

``maybe_sent``: the outbox records a claim durably before it calls a channel, so when it calls
again for the same row it knows whether an earlier call may have reached the platform (the row
was reclaimed after a crash, or an earlier attempt failed after the request left). A channel uses
it to read the platform's "already exists" answers: with ``maybe_sent`` a repeated WeCom task_id
(42014) or DingTalk outTrackId (``param.cardAlreadyExist``) means *our* earlier call delivered the
card; without it the same answer is a collision and is permanent.

Errors, and what the outbox does with each:
- ``DeliveryError``: temporary (busy, 5xx, timeouts, a token refused even after renewal, codes we
  do not know): back off and try again, dead-lettered after ``outbox_max_attempts``.
- ``Throttled``: a rate limit: wait ``retry_after``, not counted as an attempt.
- ``PermanentDeliveryError``: no retry can fix it (unknown user, malformed request): dead at once.
- ``ConfigurationError``: permanent for this message, but an administrator can fix it (a wrong
  secret, an untrusted IP, a missing permission): ordinary messages are dead-lettered at once
  (the alert is the point), dead-letter notices wait for the fix instead of being lost.
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


class ConfigurationError(PermanentDeliveryError):
    """Permanent until an administrator changes the platform's or our configuration."""


class CardGone(PermanentDeliveryError):
    """The card can no longer be updated (e.g. a single-use response code expired)."""


@runtime_checkable
class Channel(Protocol):
    name: str

    def person_address(self, person: Person) -> str | None:
        """The person's id on this channel, or None if this channel cannot reach them."""

    def group_address(self, department: Department) -> str | None:
        """The department's group chat on this channel, or None."""

    async def send(self, address: str, message: Message, *, key: str,
                   maybe_sent: bool = False) -> dict[str, Any]:
        """Deliver; return what is needed to update a card later (the platform ref).
        ``maybe_sent``: an earlier call for the same ``key`` may have reached the platform."""

    async def update_card(self, address: str, ref: dict[str, Any], card: Card, *,
                          maybe_sent: bool = False) -> None:
        """Replace a delivered card in place (outcome shown, no live buttons). ``maybe_sent``:
        an earlier call of this same update may have reached the platform."""
