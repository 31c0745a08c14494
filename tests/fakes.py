"""Test doubles that speak our channel interface for real: a recording channel with injectable
faults, and a clock the test moves by hand."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Self
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.cards import Card, Message, Text
from bot.channels.base import CardGone, ConfigurationError, DeliveryError, PermanentDeliveryError
from models import Department, Person

TZ = ZoneInfo("Asia/Shanghai")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class LoopbackServer:
    """What the fake platform servers share: serve ``self.app`` on 127.0.0.1 at an ephemeral
    port; ``stop()`` first wakes handlers stalled on ``_closing`` (injected timeouts); and the
    fault plumbing of every endpoint (``_endpoint``): count the call, take the path's next queued
    fault, and play the transport faults here — ``late`` (answer after ``timeout_delay``),
    ``timeout`` (504 after it), ``http500`` — or the platform's own via ``_platform_fault``."""

    app: web.Application
    calls: Counter[str]  # every call per path, faulted and refused ones included
    timeout_delay: float
    _faults: dict[str, deque[Any]]

    def __init__(self) -> None:
        self.base_url = ""
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None

    async def start(self) -> str:
        """Serve on 127.0.0.1 at an ephemeral port; returns ``base_url``."""
        self._closing = asyncio.Event()
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        return self.base_url

    async def stop(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _endpoint(self, path: str, handler: Handler) -> Handler:
        async def endpoint(request: web.Request) -> web.StreamResponse:
            self.calls[path] += 1
            queue = self._faults.get(path)
            fault = queue.popleft() if queue else None
            if fault is None:
                return await handler(request)
            if fault == "late":
                response = await handler(request)
                await self._stall()
                return response
            if fault == "timeout":
                await self._stall()
                return web.Response(status=504, text="504 Gateway Time-out")
            if fault == "http500":
                return web.Response(status=500, text="500 Internal Server Error")
            return self._platform_fault(fault)

        return endpoint

    def _platform_fault(self, fault: Any) -> web.StreamResponse:
        """The platform's answer for a fault that is not a transport one (an error code…)."""
        raise NotImplementedError

    async def _stall(self) -> None:
        try:
            await asyncio.wait_for(self._closing.wait(), self.timeout_delay)
        except TimeoutError:
            pass


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 26, 10, 0, tzinfo=TZ)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


@dataclass
class Sent:
    address: str
    message: Message
    key: str
    ref: dict[str, Any]


@dataclass
class RecordingChannel:
    """Records every send and card update. ``fail_next`` makes the next N calls fail (a
    temporary error), ``refuse_next`` refuses them for good, ``misconfigured`` refuses every call
    as a configuration error (a wrong secret) until it is set back."""

    name: str = "local"
    sent: list[Sent] = field(default_factory=list)
    updates: list[tuple[str, dict[str, Any], Card]] = field(default_factory=list)
    fail_next: int = 0
    refuse_next: int = 0
    misconfigured: bool = False
    cards_gone: bool = False  # updates answer "this card can no longer be updated"
    calls: int = 0
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def person_address(self, person: Person) -> str | None:
        return person.code

    def group_address(self, department: Department) -> str | None:
        return "group:" + department.code

    async def send(self, address: str, message: Message, *, key: str,
                   maybe_sent: bool = False) -> dict[str, Any]:
        self.calls += 1
        self._faults()
        ref = {"message_id": next(self._ids)}
        self.sent.append(Sent(address, message, key, ref))
        return ref

    async def update_card(self, address: str, ref: dict[str, Any], card: Card, *,
                          maybe_sent: bool = False) -> None:
        self.calls += 1
        self._faults()
        if self.cards_gone:
            raise CardGone("response code expired (injected)")
        self.updates.append((address, ref, card))

    def _faults(self) -> None:
        if self.misconfigured:
            raise ConfigurationError("secret refused (injected)")
        if self.refuse_next > 0:
            self.refuse_next -= 1
            raise PermanentDeliveryError("recipient refused (injected)")
        if self.fail_next > 0:
            self.fail_next -= 1
            raise DeliveryError("platform busy (injected)")

    # -- reading what was sent -------------------------------------------------------------
    def to(self, address: str) -> list[Message]:
        return [s.message for s in self.sent if s.address == address]

    def texts_to(self, address: str) -> list[str]:
        return [m.text for m in self.to(address) if isinstance(m, Text)]

    def cards_to(self, address: str) -> list[Card]:
        return [m for m in self.to(address) if isinstance(m, Card)]

    def last_card(self, address: str, prefix: str = "") -> Card:
        cards = [c for c in self.cards_to(address) if c.card_id.startswith(prefix)]
        assert cards, f"no card {prefix!r} sent to {address}"
        return cards[-1]

    def card_state(self, address: str, card_id: str) -> Card:
        """What the recipient sees now: the card as last sent or updated."""
        state = None
        for s in self.sent:
            if s.address == address and isinstance(s.message, Card) and s.message.card_id == card_id:
                state = s.message
        for addr, _, card in self.updates:
            if addr == address and card.card_id == card_id:
                state = card
        assert state is not None, f"card {card_id} never reached {address}"
        return state
