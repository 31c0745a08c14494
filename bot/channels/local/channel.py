"""LocalChannel: keeps each conversation's messages and wakes long-polling pages.

Addresses: a person's code for their one-to-one chat with the bot, ``group:<department code>``
for a department group chat. Every stored message gets a sequence number; a card update gives
the message a new number so pages polling with ``after=`` see it change in place.

The messages are served from memory and written through to the database (``sim_message``), and
``load`` reads the latest ``MAX_MESSAGES`` back at start: a restarted demo keeps its chats, and
the numbering goes on from where it was, so an open page sees nothing go backwards. Exported
files stay in memory only (they can be large): after a restart their message says the file is
no longer here, and the export is one command away.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from bot.cards import Card, Document, Message
from bot.channels.base import CardGone
from bot.channels.local.render import render
from models import Department, Person
from models import SimMessage as SimRow

if TYPE_CHECKING:
    from bot.channels.local.publisher import SimulatedPublisher

MAX_MESSAGES = 5000
GROUP_PREFIX = "group:"


@dataclass
class SimMessage:
    id: int
    seq: int
    address: str
    sender: str  # "bot" or the person's code
    body: dict[str, Any]
    at: datetime
    mentions: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "seq": self.seq, "address": self.address, "sender": self.sender,
                "at": self.at.isoformat(), **self.body}


class LocalChannel:
    name = "local"
    identity = "code"  # the simulator's people are their codes

    def __init__(self, clock: Any, tz: tzinfo = UTC) -> None:
        self.clock = clock
        self.tz = tz  # the page shows the organisation's local time, as the cards do
        self._messages: deque[SimMessage] = deque(maxlen=MAX_MESSAGES)
        self._by_id: dict[int, SimMessage] = {}
        self._ids = itertools.count(1)
        self._seq = itertools.count(1)
        self._changed = asyncio.Condition()
        self._files: dict[int, Document] = {}
        # The simulated WeChat publishing API, when the app uses one (it sets itself here): the
        # routes serve its articles and its 公众号后台直接发布 control.
        self.publisher: SimulatedPublisher | None = None

    # -- Channel interface ----------------------------------------------------------------
    def person_address(self, person: Person) -> str | None:
        return person.code

    def group_address(self, department: Department) -> str | None:
        return GROUP_PREFIX + department.code

    async def send(self, address: str, message: Message, *, key: str,
                   maybe_sent: bool = False) -> dict[str, Any]:
        body = render(message)
        if isinstance(message, Document):  # kept for download (the page links to it)
            file_id = next(self._ids)
            self._files[file_id] = message
            body["url"] = f"/sim/files/{file_id}"
        msg = await self._store(address, "bot", body)
        return {"message_id": msg.id}

    def file(self, file_id: int) -> Document | None:
        return self._files.get(file_id)

    async def update_card(self, address: str, ref: dict[str, Any], card: Card, *,
                          maybe_sent: bool = False) -> None:
        msg = self._by_id.get(int(ref.get("message_id", 0)))
        if msg is None:
            raise CardGone("card no longer in the simulator's memory")
        msg.body = render(card)
        msg.seq = next(self._seq)
        await SimRow.filter(id=msg.id).update(body=msg.body, seq=msg.seq)
        await self._notify()

    async def load(self) -> int:
        """Read the latest messages back from the database (at start); returns how many."""
        rows = await SimRow.all().order_by("-seq").limit(MAX_MESSAGES)
        rows.reverse()
        for row in sorted(rows, key=lambda r: r.id):
            body = dict(row.body)
            if body.get("url", "").startswith("/sim/files/"):  # the file itself was in memory
                body.pop("url")
                body["gone"] = True
            msg = SimMessage(id=row.id, seq=row.seq, address=row.address, sender=row.sender,
                             body=body, at=row.at.astimezone(self.tz))
            self._messages.append(msg)
            self._by_id[msg.id] = msg
        if rows:
            newest = await SimRow.all().order_by("-id").only("id").first()
            self._ids = itertools.count(max(newest.id if newest else 0, *(r.id for r in rows)) + 1)
            self._seq = itertools.count(max(r.seq for r in rows) + 1)
            if len(rows) == MAX_MESSAGES:  # what memory would have dropped, the table drops too
                await SimRow.filter(seq__lt=min(r.seq for r in rows)).delete()
        return len(rows)

    # -- simulator side -------------------------------------------------------------------
    async def record_inbound(self, address: str, sender: str, body: dict[str, Any]) -> SimMessage:
        """Show what a person sent in their conversation."""
        return await self._store(address, sender, body)

    def messages(self, addresses: set[str], after: int = 0) -> list[SimMessage]:
        return sorted(
            (m for m in self._messages if m.address in addresses and m.seq > after),
            key=lambda m: m.seq,
        )

    async def wait(self, addresses: set[str], after: int, timeout: float) -> list[SimMessage]:
        """Long poll: return new messages at once, or wait up to ``timeout`` seconds for some."""
        found = self.messages(addresses, after)
        if found:
            return found
        try:
            async with self._changed:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: bool(self.messages(addresses, after))),
                    timeout=timeout,
                )
        except TimeoutError:
            return []
        return self.messages(addresses, after)

    async def _store(self, address: str, sender: str, body: dict[str, Any]) -> SimMessage:
        msg = SimMessage(id=next(self._ids), seq=next(self._seq), address=address, sender=sender,
                         body=body, at=self.clock().astimezone(self.tz))
        if len(self._messages) == self._messages.maxlen:
            self._by_id.pop(self._messages[0].id, None)
        self._messages.append(msg)
        self._by_id[msg.id] = msg
        await SimRow.create(id=msg.id, seq=msg.seq, address=address, sender=sender, body=body,
                            at=msg.at)
        await self._notify()
        return msg

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()
