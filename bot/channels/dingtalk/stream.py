"""Stream mode (``XMT_DINGTALK_MODE=stream``): DingTalk pushes robot messages and card taps over
a WebSocket the bot opens — no public address needed (open-dingtalk/developerpedia,
docs/learn/stream/protocol.md).

The connection loop is ours, not the ``dingtalk-stream`` SDK's ``start()``: that loop (0.24.3)
opens the connection with blocking ``requests`` on the event loop, looks up the local IP by
"connecting" a UDP socket to 8.8.8.8, and cannot be cancelled (it catches ``CancelledError`` and
reconnects). Ours opens the connection with aiohttp (a ticket is good for one connection, 90 s),
connects, handles frames one at a time (a card callback must be acked within 2 s; handling is one
INSERT, and one at a time keeps one person's messages in order), reconnects with backoff after a
drop or a ``disconnect`` frame, and stops when cancelled.

The routing of frames is ours too (decided for issue 12); we keep the SDK's frame classes and
ack constants (``CallbackMessage``, ``AckMessage.STATUS_*``). The SDK's ``route_message`` ends
the loop on one odd frame — ``from_dict`` raises on ``"headers": null``, on a ``data`` that is not
JSON, on a non-numeric ``time``, and a frame that is a JSON array has no ``.get`` — sends no ack
for a CALLBACK on an unknown topic, and logs every ping (and any unknown frame) as a WARNING with
the whole frame in it. Here every frame ends in exactly one of:

- an ack with 200 (ping echoed; ``{"response": …}`` for a handled callback);
- 400 for a frame that is not what its topic carries (``data`` not a JSON object, the handler's
  ``Malformed``): sending it again would not help;
- 404 for a topic or frame type we do not handle (an unknown CALLBACK topic, an EVENT frame
  without an ``eventType`` header, unknown SYSTEM topics), as the protocol asks;
- 500 (``STATUS_SYSTEM_EXCEPTION``) when handling failed on our side — a database error, a handler
  raising anything else, a handler slower than ``handler_timeout``: nothing was acked as done, so
  the platform may deliver it again (card callbacks; robot messages are documented as
  fire-and-forget, so 500 is the most the protocol lets us say). ``accept`` dedupes, so a frame
  whose row was written after all is harmless when it comes back;
- no ack: a ``disconnect`` frame (protocol §7.3), or a frame without a usable ``messageId`` (not
  JSON, not an object, ``headers`` not an object) — there is nothing to address an ack to.

Every refused or failed frame is logged once, with its type, topic and messageId only (never its
contents: they carry people's messages); pings log nothing above DEBUG. Whatever a frame holds,
the connection stays up: only the network ends it. Anything else that ends ``run`` is a bug, and
the supervisor in ``bot.tasks`` restarts it and reports it on ``/healthz``; so does ``healthy``
going false after a few failed connection attempts in a row (wrong credentials, gateway down).

Both handlers feed the same path as HTTP mode: parse → ``accept`` (dedupe + persist).
Robot messages are not re-pushed by DingTalk, so a frame is acked only after ``accept`` stored it.

Events (issue 16): the connection also subscribes to ``{"type": "EVENT", "topic": "*"}`` — the
only event subscription the protocol offers; which events come is what the developer console
ticks. An EVENT frame's headers carry ``eventType`` and ``eventId`` (and ``eventCorpId``,
``eventBornTime``), its ``data`` the event as a JSON string. Address-book changes become
``ContactChange`` events (``bot.channels.dingtalk.events``), stored through ``accept`` before the
ack; every other type is acked and ignored. The ack of an event carries ``data`` =
``{"status": "SUCCESS", "message": …}``; when storing failed it is 500 with ``"status": "LATER"``
(consumption failed: DingTalk pushes it again). Events are pushed "relatively reliably": even
after a correct ack one may come twice, which the inbox's dedupe by ``eventId`` absorbs
(developerpedia docs/learn/stream/protocol.md, 事件推送 and FAQ).
"""

from __future__ import annotations

import asyncio
import json
import logging
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote_plus

import aiohttp
import websockets
from dingtalk_stream import AckMessage, CallbackHandler, CallbackMessage, ChatbotMessage, Credential

from bot.channels.dingtalk.events import contact_changes, event_type
from bot.channels.dingtalk.parse import Malformed, Session, parse_card_callback, parse_robot_message
from bot.events import Event

if TYPE_CHECKING:
    from bot.metrics import Metrics

log = logging.getLogger("xmt.dingtalk.stream")
PLATFORM = "dingtalk"  # the label of its frames in xmt_callbacks (HTTP mode's callbacks share it)
OPEN_PATH = "/v1.0/gateway/connections/open"
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)
HANDLER_TIMEOUT = 10.0  # a stuck database must not stop the connection (pings go unanswered)
UNHEALTHY_AFTER = 3  # failed connection attempts in a row (1 + 2 + 5 s of backoff)
MAX_ID = 128  # messageIds are ~30 characters ("213d841d_972_1898bb26334_70a7")
EVENT_TOPIC = "*"  # the only EVENT subscription there is
EVENT_OK = {"status": "SUCCESS", "message": "success"}
EVENT_LATER = {"status": "LATER", "message": "error"}

Accept = Callable[[Event], Awaitable[bool]]


class Handler(Protocol):
    async def process(self, message: CallbackMessage) -> tuple[int, Any]:
        """(ack code, response); may raise ``Malformed`` (400) or anything else (500)."""


class RobotMessages:
    def __init__(self, accept: Accept, remember: Callable[[Session], None],
                 clock: Callable[[], datetime]) -> None:
        self.accept, self.remember, self.clock = accept, remember, clock

    async def process(self, message: CallbackMessage) -> tuple[int, Any]:
        events, session = parse_robot_message(message.data, self.clock())
        if session is not None:
            self.remember(session)
        for event in events:
            await self.accept(event)
        return AckMessage.STATUS_OK, None


class CardTaps:
    def __init__(self, accept: Accept, clock: Callable[[], datetime]) -> None:
        self.accept, self.clock = accept, clock

    async def process(self, message: CallbackMessage) -> tuple[int, Any]:
        event = parse_card_callback(message.data, self.clock())
        await self.accept(event)
        return AckMessage.STATUS_OK, {}  # no change now: every copy is updated after the work


@dataclass(frozen=True)
class Reply:
    """What to do after a frame: the ack to send (None: none), and whether to reconnect."""

    ack: dict[str, Any] | None
    disconnect: bool = False
    #: How the frame counts in ``xmt_callbacks`` when no ack says it (a frame with no messageId:
    #: 400; a bug of ours: 500); None for what is not a callback (pings, ``disconnect``).
    status: int | None = 400

    def counted_as(self) -> int | None:
        if self.disconnect or self.status is None:
            return None
        return int(self.ack["code"]) if self.ack is not None else self.status


def _shown(value: Any) -> str:
    """A header value for a log line: short, one line, quoted."""
    text = value if isinstance(value, str) else type(value).__name__
    return repr(text[:MAX_ID] + ("…" if len(text) > MAX_ID else ""))


def _ack(message_id: str, code: int, message: str, data: Any = None, *, raw: str | None = None
         ) -> dict[str, Any]:
    ack = AckMessage()
    ack.code = code
    ack.headers.message_id = message_id
    ack.headers.content_type = "application/json"
    ack.message = message
    ack.data = data
    out: dict[str, Any] = ack.to_dict()
    if raw is not None:  # a ping's data goes back as it came
        out["data"] = raw
    return out


class StreamConnection:
    def __init__(self, *, client_id: str, client_secret: str, api_base: str, accept: Accept,
                 remember: Callable[[Session], None], clock: Callable[[], datetime],
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 handler_timeout: float = HANDLER_TIMEOUT) -> None:
        self.credential = Credential(client_id, client_secret)
        self.api_base = api_base.rstrip("/")
        self.websocket: Any = None  # acks are sent on this
        self._sleep = sleep
        self.handler_timeout = handler_timeout
        self.connections = 0
        self.failures = 0  # connection attempts failed in a row
        self.handlers: dict[str, Handler] = {}
        self.accept, self.clock = accept, clock
        self.metrics: Metrics | None = None
        self.register_callback_handler(ChatbotMessage.TOPIC, RobotMessages(accept, remember, clock))
        self.register_callback_handler(CallbackHandler.TOPIC_CARD_CALLBACK, CardTaps(accept, clock))

    def __repr__(self) -> str:
        return f"StreamConnection(client_id={self.credential.client_id!r})"

    def register_callback_handler(self, topic: str, handler: Handler) -> None:
        self.handlers[topic] = handler

    def healthy(self) -> bool:
        return self.failures < UNHEALTHY_AFTER

    async def open(self) -> str:
        """Ask the gateway for an endpoint and a one-time ticket; return the URI to connect to."""
        body = {"clientId": self.credential.client_id, "clientSecret": self.credential.client_secret,
                "subscriptions": [*({"type": "CALLBACK", "topic": topic} for topic in self.handlers),
                                  {"type": "EVENT", "topic": EVENT_TOPIC}],
                "ua": "xmt-bot/1.0", "localIp": ""}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session, \
                session.post(self.api_base + OPEN_PATH, json=body) as resp:
            data = await resp.json(content_type=None)
            if resp.status != 200 or not isinstance(data, dict) \
                    or not isinstance(data.get("endpoint"), str) \
                    or not isinstance(data.get("ticket"), str):
                raise ConnectionError(f"gateway answered HTTP {resp.status}")
        return f"{data['endpoint']}?ticket={quote_plus(data['ticket'])}"

    async def run(self) -> None:
        """Stay connected until cancelled."""
        while True:
            try:
                uri = await self.open()
                async with websockets.connect(uri) as websocket:
                    self.websocket = websocket
                    self.connections += 1
                    self.failures = 0
                    log.info("stream connected")
                    async for raw in websocket:
                        reply = await self.handle(raw)
                        if reply.ack is not None:
                            await websocket.send(json.dumps(reply.ack))
                        if reply.disconnect:
                            log.info("stream: gateway asked to reconnect")
                            break
            except asyncio.CancelledError:
                raise
            except (OSError, ValueError, aiohttp.ClientError, websockets.WebSocketException,
                    TimeoutError) as exc:
                delay = BACKOFF[min(self.failures, len(BACKOFF) - 1)]
                self.failures += 1
                log.warning("stream dropped (%s); reconnecting in %.0fs", type(exc).__name__, delay)
                await self._sleep(delay)
            finally:
                self.websocket = None

    async def route_message(self, frame: Any) -> str:
        """Handle one decoded frame and send its ack on ``self.websocket``; "disconnect" when the
        gateway asked to reconnect (kept for callers of the SDK's method of that name)."""
        reply = await self.handle(json.dumps(frame))
        if reply.ack is not None:
            await self.websocket.send(json.dumps(reply.ack))
        return "disconnect" if reply.disconnect else ""

    async def handle(self, raw: str | bytes) -> Reply:
        """One frame as received → its ack, counted as a callback (``metrics``, set by
        ``bot.app``: platform ``dingtalk``, the ack's code read as an HTTP status, so Stream
        mode's refusals show where HTTP mode's do). Never raises (but for our own
        cancellation)."""
        try:
            reply = await self._handle(raw)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug of ours in routing itself: no ack, keep the connection
            log.error("stream frame not handled: %s at %s", type(exc).__name__, _where(exc))
            reply = Reply(None, status=500)
        status = reply.counted_as()
        if self.metrics is not None and status is not None:
            self.metrics.callback(PLATFORM, status)
        return reply

    async def _handle(self, raw: str | bytes) -> Reply:
        try:
            frame = json.loads(raw)
        except (ValueError, RecursionError):
            log.warning("stream frame refused: not JSON")
            return Reply(None)
        headers = frame.get("headers") if isinstance(frame, dict) else None
        message_id = headers.get("messageId") if isinstance(headers, dict) else None
        if not isinstance(message_id, str) or not message_id or len(message_id) > MAX_ID:
            log.warning("stream frame refused: no messageId to ack (%s)",
                        "not an object" if not isinstance(frame, dict) else
                        "headers not an object" if not isinstance(headers, dict) else
                        f"messageId {_shown(message_id)}")
            return Reply(None)
        assert isinstance(frame, dict) and isinstance(headers, dict)
        kind, topic, data = frame.get("type"), headers.get("topic"), frame.get("data")
        where = f"type={_shown(kind)} topic={_shown(topic)} messageId={_shown(message_id)}"
        if kind == "SYSTEM":
            if topic == "ping":
                log.debug("stream ping %s", _shown(message_id))
                return Reply(_ack(message_id, AckMessage.STATUS_OK, "OK",
                                  raw=data if isinstance(data, str) else "{}"), status=None)
            if topic == "disconnect":
                return Reply(None, disconnect=True)
            log.warning("stream frame refused (unknown system topic): %s", where)
            return Reply(_ack(message_id, AckMessage.STATUS_NOT_IMPLEMENT, "unknown topic"))
        if kind == "EVENT":
            return await self._event(message_id, headers, data, where)
        if kind != "CALLBACK":
            log.warning("stream frame refused (not handled): %s", where)
            return Reply(_ack(message_id, AckMessage.STATUS_NOT_IMPLEMENT, "not handled"))
        handler = self.handlers.get(topic) if isinstance(topic, str) else None
        if handler is None:
            log.warning("stream frame refused (unknown topic): %s", where)
            return Reply(_ack(message_id, AckMessage.STATUS_NOT_IMPLEMENT, "unknown topic",
                              {"response": None}))
        try:
            body = json.loads(data) if isinstance(data, str) else None
        except (ValueError, RecursionError):
            body = None
        if not isinstance(body, dict):
            log.warning("stream frame refused (data is not a JSON object): %s", where)
            return Reply(_ack(message_id, AckMessage.STATUS_BAD_REQUEST, "bad request",
                              {"response": None}))
        message = CallbackMessage()
        message.headers.message_id, message.headers.topic, message.data = message_id, topic, body
        try:
            async with asyncio.timeout(self.handler_timeout):
                code, response = await handler.process(message)
        except Malformed as exc:
            log.warning("stream frame refused (%s): %s", str(exc)[:200], where)
            return Reply(_ack(message_id, AckMessage.STATUS_BAD_REQUEST, "bad request",
                              {"response": None}))
        except TimeoutError:
            log.error("stream frame failed (not handled within %.3gs), acked 500 to be sent again: %s",
                      self.handler_timeout, where)
            return Reply(_ack(message_id, AckMessage.STATUS_SYSTEM_EXCEPTION, "error",
                              {"response": None}))
        except Exception as exc:
            log.error("stream frame failed (%s at %s), acked 500 to be sent again: %s",
                      type(exc).__name__, _where(exc), where)
            return Reply(_ack(message_id, AckMessage.STATUS_SYSTEM_EXCEPTION, "error",
                              {"response": None}))
        return Reply(_ack(message_id, code, "OK" if code == AckMessage.STATUS_OK else "error",
                          {"response": response}))

    async def _event(self, message_id: str, headers: dict[str, Any], data: Any, where: str) -> Reply:
        """An EVENT frame: address-book changes stored, anything else acked and ignored."""
        raw_type = headers.get("eventType")
        if not isinstance(raw_type, str) or not raw_type:
            log.warning("stream frame refused (event without eventType): %s", where)
            return Reply(_ack(message_id, AckMessage.STATUS_NOT_IMPLEMENT, "not handled"))
        try:
            kind = event_type(raw_type)
            try:
                body = json.loads(data) if isinstance(data, str) else None
            except (ValueError, RecursionError):
                raise Malformed("data is not JSON") from None
            events = contact_changes(kind, headers.get("eventId"), body, self.clock())
        except Malformed as exc:
            log.warning("stream event refused (%s): %s", str(exc)[:200], where)
            return Reply(_ack(message_id, AckMessage.STATUS_BAD_REQUEST, "bad request", EVENT_LATER))
        if not events:
            log.debug("stream event %s acknowledged and ignored", _shown(kind))
            return Reply(_ack(message_id, AckMessage.STATUS_OK, "OK", EVENT_OK))
        try:
            async with asyncio.timeout(self.handler_timeout):
                for event in events:
                    await self.accept(event)
        except Exception as exc:
            log.error("stream event failed (%s at %s), acked LATER to be sent again: %s",
                      type(exc).__name__, _where(exc), where)
            return Reply(_ack(message_id, AckMessage.STATUS_SYSTEM_EXCEPTION, "error", EVENT_LATER))
        return Reply(_ack(message_id, AckMessage.STATUS_OK, "OK", EVENT_OK))


def _where(exc: BaseException) -> str:
    """Where an exception was raised (file:line in function) — enough to find the bug, without the
    exception's message, which may quote the frame."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno} in {last.name}"
