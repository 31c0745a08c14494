"""Dead letters for the console (issue 18): the outbox rows no retry could deliver, read with their
reason, and one of them put back in the queue by an Information Center admin.

A row is dead when a platform refused it for good or after ``XMT_OUTBOX_MAX_ATTEMPTS`` temporary
failures (``bot.outbox``); the admins were told in chat (``texts.dead_letter_notice``). Once the
cause is fixed (a secret, a binding, the recipient's account), the admin retries it: the row goes
back to pending as it was — same key, same lane, same body — so the worker delivers it with
everything it knows (``maybe_sent``: a later attempt number), in its lane's order (it is older than
what the lane queued since, so it goes first). The retry is one conditional UPDATE (only a row
still dead moves: two admins pressing at once retry it once), and its audit line keeps the error
and the attempts the row is cleared of, with who retried it (Art. 2: 监督检查, the trail says who).

What is shown: the recipient (a person's or a department's name, or the channel of an address
not on file), the kind, the error, when it was queued and when its last attempt fell due — never
the message's body (it was another person's message).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from bot import audit
from bot.outbox import NOTICE_KEY
from models import Department, OutboxMessage, OutboxStatus, Person

_COLUMNS = ("id", "key", "kind", "person_id", "group", "address", "channel_hint", "channel", "last_error",
            "attempts", "created_at", "next_attempt_at")


@dataclass(frozen=True)
class DeadLetter:
    """One dead outbox row, without its body. ``recipient``: the person's name, the department's
    name (its group chat), or "" for an address not on file (a WeChat follower: ``channel`` says
    which). ``department_id``: the person's or the group's department (None for an address).
    ``last_due``: when its last attempt fell due (the outbox keeps no time of the attempt itself).
    ``notice``: a dead-letter notice to an Information Center admin that could not be delivered."""

    id: int
    kind: str  # text | card | card_update
    recipient_kind: Literal["person", "group", "address"]
    recipient: str
    department_id: int | None
    channel: str | None
    error: str
    attempts: int
    created_at: datetime
    last_due: datetime
    notice: bool


def _scoped(scope: frozenset[int] | None, codes: list[str]) -> Q:
    """Rows addressed to a person of the departments in ``scope`` or to their group chats."""
    if scope is None:
        return Q()
    return Q(person__department_id__in=list(scope)) | Q(group__in=codes)


async def _scope_codes(scope: frozenset[int] | None) -> list[str]:
    if scope is None:
        return []
    return [str(c) for c in await Department.filter(id__in=list(scope)).values_list("code", flat=True)]


async def dead_letters(limit: int, offset: int = 0, *,
                       scope: frozenset[int] | None = None) -> list[DeadLetter]:
    """Dead rows, newest first, ``limit`` from ``offset``; ``scope``: only those to the people and
    group chats of these departments (None: all). Three or four queries, whatever the page."""
    codes = await _scope_codes(scope)
    rows: list[dict[str, Any]] = await (
        OutboxMessage.filter(_scoped(scope, codes), status=OutboxStatus.DEAD)
        .order_by("-id").offset(offset).limit(limit).values(*_COLUMNS))
    person_ids = {r["person_id"] for r in rows if r["person_id"] is not None}
    people = {p["id"]: p for p in await Person.filter(id__in=list(person_ids)).values(
        "id", "name", "department_id")} if person_ids else {}
    groups = {r["group"] for r in rows if r["group"] is not None}
    depts = {d["code"]: d for d in await Department.filter(code__in=list(groups)).values(
        "id", "code", "name")} if groups else {}
    found: list[DeadLetter] = []
    for r in rows:
        kind: Literal["person", "group", "address"]
        if r["person_id"] is not None:
            person = people.get(r["person_id"], {})
            kind, name, dept = "person", str(person.get("name", "")), person.get("department_id")
        elif r["group"] is not None:
            group = depts.get(r["group"], {})
            kind, name, dept = "group", str(group.get("name", r["group"])), group.get("id")
        else:
            kind, name, dept = "address", "", None
        found.append(DeadLetter(
            id=r["id"], kind=r["kind"], recipient_kind=kind, recipient=name, department_id=dept,
            channel=r["channel"] or r["channel_hint"], error=r["last_error"], attempts=r["attempts"],
            created_at=r["created_at"], last_due=r["next_attempt_at"],
            notice=str(r["key"]).startswith(NOTICE_KEY)))
    return found


async def dead_letter_count(*, scope: frozenset[int] | None = None) -> int:
    """How many dead rows ``dead_letters`` pages through (one or two queries)."""
    codes = await _scope_codes(scope)
    return await OutboxMessage.filter(_scoped(scope, codes), status=OutboxStatus.DEAD).count()


async def retry_dead(message_id: int, *, by: Person, now: datetime, via: str = "console") -> bool:
    """Put dead row ``message_id`` back in the queue, due ``now``: attempts from zero, its error
    and the notice channels tried cleared from the row and kept in the audit line
    ``dead_letter_retried`` with ``by`` as its actor. One conditional UPDATE: False, nothing
    written, if the row is not dead (sent, pending, retried already, or no such row). The worker
    delivers it at its next round (within ``bot.outbox.POLL_SECONDS``; ``Outbox.wake()`` after
    the call sends it at once)."""
    async with in_transaction():
        row = await OutboxMessage.filter(id=message_id, status=OutboxStatus.DEAD).only(
            "id", "kind", "lane", "last_error", "attempts").first()
        if row is None:
            return False
        moved = await OutboxMessage.filter(id=message_id, status=OutboxStatus.DEAD).update(
            status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now, claimed_until=None,
            last_error="", ref=None)
        if not moved:
            return False
        await audit.record(by.code, "dead_letter_retried", f"outbox:{message_id}", {
            "kind": row.kind, "lane": row.lane, "error": row.last_error, "attempts": row.attempts,
            "via": via}, now=now)
    return True
