"""Test doubles that speak our channel interface for real: a recording channel with injectable
faults, and a clock the test moves by hand; and what the fake platform servers share (serving on
127.0.0.1, the per-path fault queues and the transport faults every platform answers alike)."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable
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
#: A queued fault: a kind (a transport one below or the platform's own), an errcode, or (DingTalk's
#: new API) ``(http_status, code)``.
Fault = int | str | tuple[int, str]
#: The fault kinds every fake plays the same way (:meth:`LoopbackServer._endpoint`): ``http500`` a
#: plain-text 500, ``timeout`` stalls and the request is not processed (then 504), ``late`` processes
#: (and records) the request, then stalls before answering: the ambiguous read timeout after sending.
TRANSPORT_FAULTS = ("http500", "timeout", "late")


class Faults:
    """The faults queued per path of a fake platform, consumed one per call to that path.

    ``paths`` are the paths faults may be queued for, ``kinds`` the string kinds accepted (any
    errcode int is too); a path may be given as its URL path: ``/`` and ``prefix`` are stripped."""

    def __init__(self, paths: Iterable[str] = (), kinds: Iterable[str] = TRANSPORT_FAULTS,
                 prefix: str = "") -> None:
        self.paths, self.kinds, self.prefix = tuple(paths), tuple(kinds), prefix
        self._queues: dict[str, deque[Fault]] = {}

    def path(self, path: str) -> str:
        return path.removeprefix("/").removeprefix(self.prefix)

    def check(self, path: str, kind: Fault) -> str:
        """``path`` as queued (see :meth:`path`); ValueError for an unknown path or kind."""
        path = self.path(path)
        if path not in self.paths:
            raise ValueError(f"unknown path {path!r}; expected one of {self.paths}")
        if isinstance(kind, str) and kind not in self.kinds:
            raise ValueError(f"unknown fault kind {kind!r}; expected an errcode or one of {self.kinds}")
        return path

    def queue(self, path: str, kind: Fault, times: int = 1) -> None:
        self._queues.setdefault(self.check(path, kind), deque()).extend([kind] * times)

    def pending(self, path: str) -> int:
        return len(self._queues.get(self.path(path), ()))

    def take(self, path: str) -> Fault | None:
        """The path's next fault, consumed; None when none is queued."""
        queue = self._queues.get(path)
        return queue.popleft() if queue else None


class LoopbackServer:
    """What the fake platform servers share: serve ``self.app`` on 127.0.0.1 at an ephemeral
    port; ``stop()`` first wakes handlers stalled on ``_closing`` (injected timeouts); and the
    fault plumbing of every endpoint (``_endpoint``): count the call, take the path's next fault
    queued by :meth:`fail`, and play the transport faults here — ``late`` (answer after
    ``timeout_delay``), ``timeout`` (504 after it), ``http500`` — or the platform's own via
    ``_platform_fault``."""

    def __init__(self, faults: Faults | None = None) -> None:
        self.app = web.Application(client_max_size=32 * 2**20)
        self.base_url = ""
        self.faults = faults or Faults()
        #: How long ``timeout``/``late`` faults stall; make it longer than the client's timeout.
        self.timeout_delay = 5.0
        self.calls: Counter[str] = Counter()  # every call per path, faulted and refused ones included
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None

    def fail(self, path: str, kind: Fault, times: int = 1) -> None:
        """Queue ``times`` faults for ``path``: an errcode or a kind (``"http500"``, ``"timeout"``,
        ``"late"``, or one of the platform's own)."""
        self.faults.queue(path, kind, times)

    def pending_faults(self, path: str) -> int:
        return self.faults.pending(path)

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

    def _add_routes(self, prefix: str, routes: Iterable[tuple[str, str, Handler]]) -> None:
        """Serve each ``(method, path, handler)`` at ``prefix + path`` through :meth:`_endpoint`."""
        for method, path, handler in routes:
            self.app.router.add_route(method, f"{prefix}{path}", self._endpoint(path, handler))

    def _endpoint(self, path: str, handler: Handler) -> Handler:
        async def endpoint(request: web.Request) -> web.StreamResponse:
            self.calls[path] += 1
            fault = self.faults.take(path)
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

    def _check_token(self, request: web.Request) -> web.Response | None:
        """The platform's refusal of the call's access token, or None when it is good."""
        raise NotImplementedError

    async def _json_body(self, request: web.Request) -> dict[str, Any] | web.Response:
        """The call's JSON object body, or the platform's refusal of it."""
        raise NotImplementedError

    async def _authed_body(self, request: web.Request) -> dict[str, Any] | web.Response:
        """The JSON body of a call with a good token, or the platform's refusal (token first)."""
        refused = self._check_token(request)
        return refused if refused is not None else await self._json_body(request)

    def _platform_fault(self, fault: Fault) -> web.StreamResponse:
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
