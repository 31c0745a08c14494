"""Stream mode (``XMT_DINGTALK_MODE=stream``): DingTalk pushes robot messages and card taps over
a WebSocket the bot opens — no public address needed (open-dingtalk/developerpedia,
docs/learn/stream/protocol.md).

The official ``dingtalk-stream`` SDK parses the frames, routes them by topic to our handlers and
builds the acks (ping echoed, ``{"response": …}`` for callbacks). We own the connection loop
instead of calling its ``start()``, because that loop (0.24.3) opens the connection with blocking
``requests`` on the event loop, looks up the local IP by "connecting" a UDP socket to 8.8.8.8, and
cannot be cancelled (it catches ``CancelledError`` and reconnects). Ours: open the connection with
aiohttp (a ticket is good for one connection, 90 s), connect, handle frames one at a time (a card
callback must be acked within 2 s; handling is one INSERT), reconnect with backoff after a drop
or a ``disconnect`` frame, and stop when cancelled.

Both handlers feed the same path as HTTP mode: parse → ``accept`` (dedupe + persist).
Robot messages are not re-pushed by DingTalk, so a frame is acked only after ``accept`` stored it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus

import aiohttp
import websockets
from dingtalk_stream import AckMessage, CallbackHandler, ChatbotMessage, Credential, DingTalkStreamClient

from bot.channels.dingtalk.parse import Malformed, Session, parse_card_callback, parse_robot_message
from bot.events import Event

log = logging.getLogger("xmt.dingtalk.stream")
OPEN_PATH = "/v1.0/gateway/connections/open"
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)

Accept = Callable[[Event], Awaitable[bool]]


class RobotMessages(CallbackHandler):  # type: ignore[misc]
    def __init__(self, accept: Accept, remember: Callable[[Session], None],
                 clock: Callable[[], datetime]) -> None:
        super().__init__()
        self.accept, self.remember, self.clock = accept, remember, clock

    async def process(self, message: Any) -> tuple[int, Any]:
        try:
            events, session = parse_robot_message(message.data, self.clock())
        except Malformed as exc:
            log.warning("stream robot message malformed: %s", exc)
            return AckMessage.STATUS_BAD_REQUEST, "malformed"
        if session is not None:
            self.remember(session)
        for event in events:
            await self.accept(event)
        return AckMessage.STATUS_OK, None


class CardTaps(CallbackHandler):  # type: ignore[misc]
    def __init__(self, accept: Accept, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self.accept, self.clock = accept, clock

    async def process(self, message: Any) -> tuple[int, Any]:
        try:
            event = parse_card_callback(message.data, self.clock())
        except Malformed as exc:
            log.warning("stream card callback malformed: %s", exc)
            return AckMessage.STATUS_BAD_REQUEST, {}
        await self.accept(event)
        return AckMessage.STATUS_OK, {}  # no change now: every copy is updated after the work


class StreamConnection(DingTalkStreamClient):  # type: ignore[misc]
    def __init__(self, *, client_id: str, client_secret: str, api_base: str, accept: Accept,
                 remember: Callable[[Session], None], clock: Callable[[], datetime],
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        super().__init__(Credential(client_id, client_secret), logger=log)
        self.api_base = api_base.rstrip("/")
        self.websocket: Any = None  # the SDK sends its acks on this
        self._sleep = sleep
        self.connections = 0
        self.register_callback_handler(ChatbotMessage.TOPIC, RobotMessages(accept, remember, clock))
        self.register_callback_handler(CallbackHandler.TOPIC_CARD_CALLBACK, CardTaps(accept, clock))

    def __repr__(self) -> str:
        return f"StreamConnection(client_id={self.credential.client_id!r})"

    async def open(self) -> str:
        """Ask the gateway for an endpoint and a one-time ticket; return the URI to connect to."""
        body = {"clientId": self.credential.client_id, "clientSecret": self.credential.client_secret,
                "subscriptions": [{"type": "CALLBACK", "topic": topic}
                                  for topic in self.callback_handler_map],
                "ua": "xmt-bot/1.0", "localIp": ""}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session, \
                session.post(self.api_base + OPEN_PATH, json=body) as resp:
            data = await resp.json(content_type=None)
            if resp.status != 200 or not isinstance(data, dict) or "endpoint" not in data:
                raise ConnectionError(f"gateway answered HTTP {resp.status}")
        return f"{data['endpoint']}?ticket={quote_plus(str(data['ticket']))}"

    async def run(self) -> None:
        """Stay connected until cancelled."""
        self.pre_start()
        failures = 0
        while True:
            try:
                uri = await self.open()
                async with websockets.connect(uri) as websocket:
                    self.websocket = websocket
                    self.connections += 1
                    failures = 0
                    log.info("stream connected")
                    async for raw in websocket:
                        result = await self.route_message(json.loads(raw))
                        if result == DingTalkStreamClient.TAG_DISCONNECT:
                            log.info("stream: gateway asked to reconnect")
                            break
            except asyncio.CancelledError:
                raise
            except (OSError, ValueError, aiohttp.ClientError, websockets.WebSocketException,
                    TimeoutError) as exc:
                delay = BACKOFF[min(failures, len(BACKOFF) - 1)]
                failures += 1
                log.warning("stream dropped (%s); reconnecting in %.0fs", type(exc).__name__, delay)
                await self._sleep(delay)
            finally:
                self.websocket = None

    async def route_message(self, json_message: dict[str, Any]) -> str:
        """The SDK's routing; a disconnect frame is not acked (protocol §7.3)."""
        headers = json_message.get("headers") or {}
        if json_message.get("type") == "SYSTEM" and headers.get("topic") == "disconnect":
            return str(DingTalkStreamClient.TAG_DISCONNECT)
        result = await super().route_message(json_message)
        return str(result)


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
