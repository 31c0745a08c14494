"""The transactional outbox and its delivery worker.

Handlers never send: they call ``Outbox.send`` / ``Outbox.update_card`` inside the transaction
that changes state, which inserts rows here. After the commit the caller calls ``wake()``; the
worker claims due rows, renders them per channel, sends, and records the result.

Guarantees and why:
- *Nothing lost*: a row exists iff the state change committed. A crash before delivery leaves it
  pending; a crash during delivery leaves it ``sending`` until its lease expires, then it is
  retried.
- *What a send may have done is durable, not in memory*: the claim (``sending`` with a lease) is
  committed before the channel is called, and a failed attempt is counted before the next one.
  So when a row is reclaimed after its lease, or tried again after a failure, the worker knows
  an earlier call may have reached the platform and says so (``maybe_sent``); the channel then
  reads the platform's duplicate answers as "delivered": WeCom's 42014 for a repeated card
  task_id, DingTalk's ``param.cardAlreadyExist``, and for texts WeCom's own duplicate check and
  the DingTalk robot's ``msgUuid`` drop the resend. A crash between the platform's acceptance and
  our commit therefore neither dead-letters the message nor shows it twice, with one exception
  documented per channel (texts on paths with no idempotency key can appear twice).
- *Nothing twice otherwise*: a row is claimed with a conditional UPDATE (``WHERE status = …``),
  correct on SQLite and on PostgreSQL with any number of workers and instances.
- *In order per recipient*: rows share a ``lane`` (one per person or group chat); only the
  oldest open row of a lane may be claimed, so a card is sent before its update, and a failing
  recipient does not block the others.
- *Card updates always do something visible*: a copy that cannot be updated in place any more
  (its WeCom response code used, expired, or lost because an earlier attempt delivered it) or
  that never arrived (dead-lettered) gets the outcome as a new message; an update row is never
  marked sent without a call.
- *Retry*: a temporary error (``DeliveryError``: busy, 5xx, timeouts, a token refused even after
  renewal, codes we do not know) backs off exponentially (2 s … 10 min, or the platform's
  ``retry_after``); a rate limit (``Throttled``) waits without counting an attempt. Only errors
  no retry can fix (``PermanentDeliveryError``, listed per platform in each client) dead-letter at
  once; temporary ones after ``outbox_max_attempts``. ``attempts`` counts every call made,
  the failing one and one cut short by a crash included.
- *Dead-letter notices are never lost*: a dead row gets a notice to every Information Center
  admin. A notice is retried on temporary errors without limit (backoff capped at 10 min), and
  when one channel refuses it for good it is tried on the admin's other channels; refused by
  every channel, it waits for a fix if one refusal was our configuration (a wrong secret, an IP
  not trusted) and is dead (logged at ERROR) only if no channel can ever reach that admin.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Required, TypedDict, Unpack

from tortoise.functions import Min
from tortoise.transactions import in_transaction

from bot import texts
from bot.cards import Card, FileRequest, Message, Queued, Text, message_from_json
from bot.channels.base import (
    CardGone,
    Channel,
    ConfigurationError,
    DeliveryError,
    PermanentDeliveryError,
    Throttled,
)
from bot.events import bounded_key
from bot.metrics import Metrics
from models import Department, OutboxMessage, OutboxStatus, Person
from models.org import info_center_admins

log = logging.getLogger("xmt.outbox")

LEASE = timedelta(seconds=60)
BACKOFF_BASE = 2.0
BACKOFF_CAP = 600.0
POLL_SECONDS = 2.0  # safety net: rows written by another instance, and retries falling due
CONCURRENCY = 16
HEAD_BATCH = 500
NOTICE_KEY = "dead:"  # key prefix of dead-letter notices


def backoff(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failure."""
    return float(min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1)))


def person_lane(person_id: int) -> str:
    return f"p:{person_id}"


def group_lane(code: str) -> str:
    return f"g:{code}"


class SendOptions(TypedDict, total=False):
    key: Required[str]  # unique per message: a retried write is a no-op
    now: Required[datetime]
    channel: str | None  # the channel to try first (the one the person wrote from)
    notify_on_dead: bool  # tell the Information Center if it cannot be delivered (default True)
    not_before: datetime | None


class Outbox:
    def __init__(
        self,
        channels: Sequence[Channel],
        *,
        clock: Callable[[], datetime],
        max_attempts: int = 8,
        metrics: Metrics | None = None,
    ) -> None:
        self.channels: dict[str, Channel] = {c.name: c for c in channels}
        # The bot's figures (bot/metrics.py): sends by result here; the inbox and the sweeps
        # reach them through ``deps.outbox`` too.
        self.metrics = metrics if metrics is not None else Metrics(self.channels)
        self.clock = clock
        self.max_attempts = max_attempts
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        # The rows this process claimed and has not finished → whether a call may have reached
        # the platform (this process's, or, for a row reclaimed after its lease, an earlier one's).
        self._claimed: dict[int, bool] = {}

    # -- writing (inside the caller's transaction) --------------------------------------------
    async def send(self, to: Person | Department, message: Queued,
                   **options: Unpack[SendOptions]) -> OutboxMessage:
        """Queue ``message`` to a person, or to a department's group chat (``not_before``: hold
        it until then, e.g. the next working hour)."""
        row = self.build(to, message, **options)
        await row.save()
        return row

    @staticmethod
    def build(to: Person | Department, message: Queued,
              **options: Unpack[SendOptions]) -> OutboxMessage:
        """The row ``send`` would write, unsaved (for writers that insert many at once)."""
        if isinstance(to, Person):
            lane, person_id, group = person_lane(to.id), to.id, None
        else:
            lane, person_id, group = group_lane(to.code), None, to.code
        card_id = message.card_id if isinstance(message, Card) else None
        now, not_before = options["now"], options.get("not_before")
        return OutboxMessage(
            key=options["key"],
            lane=lane,
            kind="card" if card_id else "text",
            person_id=person_id,
            group=group,
            channel_hint=options.get("channel"),
            card_id=card_id,
            body=message.to_json(),
            next_attempt_at=max(now, not_before) if not_before else now,
            notify_on_dead=options.get("notify_on_dead", True),
            created_at=now,
        )

    def can_reach_group(self, department: Department) -> bool:
        """Whether some channel has a group chat for this department."""
        return any(c.group_address(department) for c in self.channels.values())

    async def send_to_address(
        self, channel: str, address: str, message: Message, *, key: str, now: datetime
    ) -> OutboxMessage:
        """Queue a message to a raw channel identity (someone who is not on file)."""
        return await OutboxMessage.create(
            key=key, lane=f"a:{channel}:{address}"[:128], kind="text", channel_hint=channel,
            address=address, body=message.to_json(), next_attempt_at=now, created_at=now,
            notify_on_dead=False,
        )

    async def update_card(self, card: Card, *, key: str, now: datetime) -> int:
        """Queue an in-place update of ``card`` for every recipient it was queued to."""
        originals = await OutboxMessage.filter(kind="card", card_id=card.card_id).order_by("id")
        seen: set[str] = set()
        for row in originals:
            if row.lane in seen:
                continue
            seen.add(row.lane)
            await OutboxMessage.create(
                key=bounded_key(key, row.lane),
                lane=row.lane,
                kind="card_update",
                person_id=row.person_id,
                group=row.group,
                channel_hint=row.channel_hint,
                card_id=card.card_id,
                body=card.to_json(),
                next_attempt_at=now,
                notify_on_dead=row.notify_on_dead,
                created_at=now,
            )
        return len(seen)

    # -- the worker ---------------------------------------------------------------------------
    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self.run_forever(), name="outbox-worker")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            task, self._task = self._task, None
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run_forever(self) -> None:
        """The worker loop; it returns only after ``stop()``. A failed round (the database gone
        for a moment) is logged and the loop goes on, so a supervisor restarting this coroutine
        sees it end only on a bug. Run it as your own task, or through ``start()``; ``stop()``
        ends it either way (it waits only for the task ``start()`` made)."""
        while not self._stopping:
            self._wake.clear()
            try:
                while await self.run_once(self.clock()) and not self._stopping:
                    pass
            except Exception:
                log.exception("outbox worker round failed")
            if self._stopping:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=POLL_SECONDS)

    async def run_once(self, now: datetime) -> int:
        """Claim the due head of every lane and deliver them; return how many were handled."""
        claims = await self._claim(now)
        if not claims:
            return 0
        sem = asyncio.Semaphore(CONCURRENCY)

        async def one(row: OutboxMessage, reclaimed: bool) -> None:
            if reclaimed:
                row.attempts += 1  # the attempt a crash cut short counts too
            async with sem:
                self._claimed[row.id] = True  # from here a call may be under way
                await self._deliver(row, now, maybe_sent=reclaimed or row.attempts > 0)
            self._claimed.pop(row.id, None)  # not when cut short (cancelled): release_claims's

        self._claimed.update((row.id, reclaimed) for row, reclaimed in claims)
        await asyncio.gather(*(one(row, reclaimed) for row, reclaimed in claims))
        return len(claims)

    async def release_claims(self, now: datetime) -> int:
        """On a stop, after the worker was cut short (``XMT_SHUTDOWN_TIMEOUT``): hand the rows
        this process claimed and did not finish to the other instances at once, instead of after
        ``LEASE``, keeping what is known of them. A row whose call may have started (or that was
        reclaimed: an earlier call may have) keeps ``sending`` with its lease ended now: the next
        claim is a reclaim, which counts the cut call as an attempt and delivers with
        ``maybe_sent``. A row still waiting its turn in the round (no call made) goes back to
        ``pending`` as it was, no attempt counted. Returns how many were released."""
        claimed, self._claimed = self._claimed, {}
        called = [row_id for row_id, may in claimed.items() if may]
        untouched = [row_id for row_id, may in claimed.items() if not may]
        released = 0
        if called:
            released += await OutboxMessage.filter(id__in=called, status=OutboxStatus.SENDING
                                                   ).update(claimed_until=now)
        if untouched:
            released += await OutboxMessage.filter(id__in=untouched, status=OutboxStatus.SENDING
                                                   ).update(status=OutboxStatus.PENDING, claimed_until=None)
        return released

    async def drain(self, now: datetime, *, limit: int = 1000) -> int:
        """Deliver until nothing is due at ``now`` (tests and the CLI use this)."""
        total = 0
        for _ in range(limit):
            n = await self.run_once(now)
            if not n:
                break
            total += n
        return total

    async def _claim(self, now: datetime) -> list[tuple[OutboxMessage, bool]]:
        """Claim due lane heads: (row, reclaimed after an expired lease). The claim is committed
        before any call, so it is the durable record that a call may be under way."""
        open_states = [OutboxStatus.PENDING, OutboxStatus.SENDING]
        heads = (
            await OutboxMessage.filter(status__in=open_states)
            .annotate(first=Min("id"))
            .group_by("lane")
            .limit(HEAD_BATCH)
            .values_list("first", flat=True)
        )
        if not heads:
            return []
        candidates = await OutboxMessage.filter(id__in=list(heads)).order_by("id")
        claimed: list[tuple[OutboxMessage, bool]] = []
        for row in candidates:
            if row.status == OutboxStatus.PENDING and row.next_attempt_at <= now:
                cond: dict[str, Any] = {"status": OutboxStatus.PENDING}
            elif (
                row.status == OutboxStatus.SENDING
                and row.claimed_until is not None
                and row.claimed_until <= now
            ):
                # lte, not equality: of two workers reclaiming it, the second sees the new lease
                cond = {"status": OutboxStatus.SENDING, "claimed_until__lte": now}
            else:
                continue
            won = await OutboxMessage.filter(id=row.id, attempts=row.attempts, **cond).update(
                status=OutboxStatus.SENDING, claimed_until=now + LEASE
            )
            if won:
                claimed.append((row, row.status == OutboxStatus.SENDING))
        return claimed

    async def _recipient(
        self, row: OutboxMessage, skip: Sequence[str] = ()
    ) -> tuple[Channel, str] | None:
        """The channel and address for a row: the hinted channel first, then in order, leaving
        out the channels in ``skip``."""
        target: Person | Department | None
        if row.address is not None:
            hinted = self.channels.get(row.channel_hint or "")
            return (hinted, row.address) if hinted is not None and hinted.name not in skip else None
        if row.person_id is not None:
            target = await Person.get_or_none(id=row.person_id)
        else:
            target = await Department.get_or_none(code=row.group or "")
        if target is None:
            return None
        if isinstance(target, Person) and not target.active:
            raise RecipientLeft(texts.RECIPIENT_LEFT)
        order = [c for c in self.channels.values() if c.name not in skip]
        hinted = self.channels.get(row.channel_hint or "")
        if hinted in order:
            order.remove(hinted)
            order.insert(0, hinted)
        for channel in order:
            address = (
                channel.person_address(target)
                if isinstance(target, Person)
                else channel.group_address(target)
            )
            if address:
                return channel, address
        return None

    async def _deliver(self, row: OutboxMessage, now: datetime, *, maybe_sent: bool) -> None:
        """One attempt. ``maybe_sent``: an earlier attempt of this row may have reached the
        platform (it was reclaimed after its lease, or an attempt failed before): the channel
        reads the platform's "already exists" answers as delivered."""
        notice = is_notice(row)
        skip = _skipped(row) if notice else []
        channel_name: str | None = None
        try:
            ref: dict[str, Any] | None
            if row.kind == "card_update":
                ref, channel_name = await self._deliver_update(row, maybe_sent)
            else:
                found = await self._recipient(row, skip)
                if found is None:
                    if notice and skip:
                        await self._notice_exhausted(row, now)
                        return
                    raise PermanentDeliveryError(texts.NO_CHANNEL_FOR_RECIPIENT)
                channel, address = found
                channel_name = channel.name
                ref = await channel.send(address, await self._message(row), key=row.key,
                                         maybe_sent=maybe_sent)
                ref = {"address": address, **(ref or {})}
        except RecipientLeft as exc:  # the Information Center was told they left: no notice
            await self._dead(row, now, str(exc), row.attempts + 1, notify=False)
            self.metrics.send(channel_name, "dead")
            return
        except PermanentDeliveryError as exc:
            if notice and channel_name is not None:
                await self._notice_try_another(row, now, str(exc), channel_name,
                                               config=isinstance(exc, ConfigurationError))
                self.metrics.send(channel_name, "retried")
            else:
                await self._dead(row, now, str(exc), row.attempts + 1)
                self.metrics.send(channel_name, "dead")
            return
        except Throttled as exc:
            await self._later(row, now, str(exc), exc.retry_after or BACKOFF_BASE)
            self.metrics.send(channel_name, "throttled")
            return
        except DeliveryError as exc:
            self.metrics.send(channel_name, await self._failed(row, now, str(exc), exc.retry_after))
            return
        except Exception as exc:  # a bug in a channel must not stop the worker
            log.exception("outbox row %s: unexpected error", row.id)
            self.metrics.send(channel_name, await self._failed(row, now, f"{type(exc).__name__}: {exc}",
                                                               None))
            return
        row.status = OutboxStatus.SENT
        row.sent_at = self.clock()
        row.channel = channel_name
        row.ref = ref
        row.attempts += 1
        row.claimed_until = None
        await row.save(update_fields=["status", "sent_at", "channel", "ref", "attempts",
                                      "claimed_until"])
        self.metrics.send(channel_name, "sent")

    @staticmethod
    async def _message(row: OutboxMessage) -> Message:
        """The row's message; a ``FileRequest`` is built now, outside any transaction, by
        ``bot.exports.build_file`` (the loading on the loop, the building in a worker thread)."""
        if row.body.get("type") != "file_request":
            return message_from_json(row.body)
        from bot.exports import build_file  # openpyxl and python-docx load only when a file is made

        return await build_file(FileRequest.from_json(row.body))

    async def _deliver_update(
        self, row: OutboxMessage, maybe_sent: bool
    ) -> tuple[dict[str, Any], str | None]:
        """Update every copy of the card in this lane; return (ref, channel).

        Every case makes a call, so the row is never marked sent for nothing:
        - a copy that was sent is updated in place; if the platform will not update it any more
          (``CardGone``: a WeCom response code used or expired, or lost because the copy was
          delivered by an earlier attempt, a group copy, a restarted simulator) the outcome is
          sent as a new message to the same address;
        - a copy that was dead-lettered (it never arrived; the admins were told) gets the
          outcome as a new message through the recipient's channels, since they may be
          reachable now and otherwise know nothing of the result.
        A copy's single-use update code can only have been spent by *this* row if no earlier
        update of the card in this lane went out; only then does ``maybe_sent`` reach the channel.
        """
        card = Card.from_json(row.body)
        originals = await OutboxMessage.filter(
            kind="card", card_id=row.card_id, lane=row.lane, id__lt=row.id,
            status__in=[OutboxStatus.SENT, OutboxStatus.DEAD],
        ).order_by("id")
        ours = maybe_sent and not await OutboxMessage.filter(
            kind="card_update", card_id=row.card_id, lane=row.lane, id__lt=row.id,
            status=OutboxStatus.SENT,
        ).exists()
        updated, resent, channel_name = 0, 0, None
        for original in originals:
            channel = self.channels.get(original.channel or "")
            address = (original.ref or {}).get("address")
            if original.status == OutboxStatus.SENT and channel is not None and address:
                channel_name = channel.name
                try:
                    await channel.update_card(address, original.ref or {}, card, maybe_sent=ours)
                    updated += 1
                    continue
                except CardGone:
                    pass
                # The platform will not update this copy any more: show the outcome anew.
                await channel.send(address, card, key=f"{row.key}:resend:{original.id}",
                                   maybe_sent=maybe_sent)
                resent += 1
                continue
            found = await self._recipient(row)
            if found is None:
                raise PermanentDeliveryError(texts.NO_CHANNEL_FOR_RECIPIENT)
            channel, address = found
            channel_name = channel.name
            await channel.send(address, card, key=f"{row.key}:resend:{original.id}",
                               maybe_sent=maybe_sent)
            resent += 1
        return {"updated": updated, "resent": resent}, channel_name

    async def _failed(
        self, row: OutboxMessage, now: datetime, error: str, retry_after: float | None
    ) -> str:
        """A temporary failure: tried again later, or dead after the last attempt. Returns which
        (``retried`` or ``dead``, for the figures)."""
        attempts = row.attempts + 1
        if attempts >= self.max_attempts and not is_notice(row):
            await self._dead(row, now, error, attempts)
            return "dead"
        # A dead-letter notice is never given up on for a temporary error: it keeps trying at
        # the capped backoff (its whole point is to reach someone after the rest failed).
        delay = min(retry_after, BACKOFF_CAP) if retry_after is not None else backoff(attempts)
        log.warning("outbox row %s attempt %s failed: %s; retry in %.0fs", row.id, attempts,
                    error, delay)
        await OutboxMessage.filter(id=row.id).update(
            status=OutboxStatus.PENDING,
            attempts=attempts,
            next_attempt_at=now + timedelta(seconds=delay),
            claimed_until=None,
            last_error=error[:2000],
        )
        return "retried"

    async def _later(self, row: OutboxMessage, now: datetime, reason: str, delay: float) -> None:
        """Put a throttled row back without counting an attempt."""
        log.info("outbox row %s throttled (%s); retry in %.0fs", row.id, reason, delay)
        await OutboxMessage.filter(id=row.id).update(
            status=OutboxStatus.PENDING, next_attempt_at=now + timedelta(seconds=delay),
            claimed_until=None, last_error=reason[:2000],
        )

    async def _notice_try_another(self, row: OutboxMessage, now: datetime, error: str,
                                  channel: str, *, config: bool) -> None:
        """A notice refused for good on ``channel``: try the admin's other channels at once.
        The channels tried are kept in the row's ``ref`` (unused until it is sent)."""
        state = dict(row.ref or {})
        state["skip"] = [*_skipped(row), channel]
        state["config"] = bool(state.get("config")) or config
        log.warning("dead-letter notice %s refused on %s: %s; trying the other channels",
                    row.id, channel, error)
        await OutboxMessage.filter(id=row.id).update(
            status=OutboxStatus.PENDING, attempts=row.attempts + 1, next_attempt_at=now,
            claimed_until=None, last_error=error[:2000], ref=state,
        )
        self.wake()

    async def _notice_exhausted(self, row: OutboxMessage, now: datetime) -> None:
        """Every channel refused the notice. If one of them refused our configuration (a wrong
        secret, an untrusted IP), an admin will fix it: start over later. Otherwise no channel
        can ever reach this admin: the notice is dead (logged, never notified about)."""
        error = row.last_error or texts.NO_CHANNEL_FOR_RECIPIENT
        if (row.ref or {}).get("config"):
            log.error("dead-letter notice %s: every channel refused, one for its configuration; "
                      "retrying in %.0fs", row.id, BACKOFF_CAP)
            await OutboxMessage.filter(id=row.id).update(
                status=OutboxStatus.PENDING, next_attempt_at=now + timedelta(seconds=BACKOFF_CAP),
                claimed_until=None, ref=None,
            )
            return
        await self._dead(row, now, error, row.attempts)

    async def _dead(self, row: OutboxMessage, now: datetime, error: str, attempts: int, *,
                    notify: bool = True) -> None:
        log.error("outbox row %s dead-lettered after %s attempts: %s", row.id, attempts, error)
        async with in_transaction():
            await OutboxMessage.filter(id=row.id).update(
                status=OutboxStatus.DEAD, claimed_until=None, last_error=error[:2000],
                attempts=attempts,
            )
            if notify and row.notify_on_dead and not is_notice(row):
                notice = Text(texts.dead_letter_notice(row.id, _describe(row), error))
                for admin in await info_center_admins():
                    await self.send(admin, notice, key=f"{NOTICE_KEY}{row.id}:{admin.id}", now=now,
                                    notify_on_dead=False)
        self.wake()


class RecipientLeft(PermanentDeliveryError):
    """The person has left the organisation (``Person.active`` false, from the directory or the
    organisation file): a message still queued for them can never be theirs. Dead-lettered with
    the reason, without a notice: whoever had to know was told when they left
    (``bot.handover``)."""


def is_notice(row: OutboxMessage) -> bool:
    """A dead-letter notice to an Information Center admin."""
    return row.key.startswith(NOTICE_KEY)


def _skipped(row: OutboxMessage) -> list[str]:
    skip = (row.ref or {}).get("skip") if row.status != OutboxStatus.SENT else None
    return [str(s) for s in skip] if isinstance(skip, list) else []


def _describe(row: OutboxMessage) -> str:
    body = row.body
    what = body.get("title") or body.get("name") or body.get("text", "")
    return str(what)[:40]
