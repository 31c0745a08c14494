"""Property tests for DingTalk Stream frames: whatever a frame holds — any JSON value, a frame whose
``headers`` or ``data`` is anything, a ``data`` string on the robot or the card topic that is any
JSON (or none), text that is not JSON at all — handling it raises nothing and ends in at most one
ack (exactly one, addressed to its messageId, when the frame has a usable one and is not a
``disconnect``), and the connection loop lives on: a ping pushed after each odd frame is answered,
on the same connection.

Why: one odd frame (``data: "null"`` on the robot topic, ``"[]"`` on the card topic, a frame that
is a JSON array, ``"headers": null``) used to end the connection task for good, silently, with
``/healthz`` still saying ok; a frame that was not JSON dropped the connection.

Two levels: ``route_message`` of the connection directly (fast, a recording socket, a recording
``accept``), and the real app in Stream mode against the fake gateway of
``tests/bot/channels/dingtalk/test_stream.py`` (frames over a real WebSocket into the real inbox).
Examples per test: ``XMT_FUZZ_EXAMPLES`` (40 by default; ``make fuzz`` sets thousands).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.app import BOT, STREAM, create_app
from bot.channels.dingtalk.stream import StreamConnection
from bot.org import import_file
from models import InboundEvent, InboundStatus, Person
from tests.bot.channels.dingtalk.test_stream import APP_KEY, APP_SECRET, FakeGateway
from tests.conftest import DEMO_ORG, make_settings
from tests.test_fuzz_endpoints import FUZZ, JSON, TEXT, card_body, robot_body

T = TypeVar("T")
ROBOT, CARD = "/v1.0/im/bot/messages/get", "/v1.0/card/instances/callback"
ACK_CODES = {200, 400, 404, 500}
TIMEOUT = 10.0


@st.composite
def frames(draw: st.DrawFn) -> Any:
    """A decoded frame: mostly frame-shaped with odd parts, sometimes any JSON value at all."""
    if draw(st.integers(0, 7)) == 0:
        return draw(JSON)
    topic = draw(
        st.one_of(st.sampled_from([ROBOT, CARD, ROBOT, CARD, "ping", "disconnect", "/v1.0/x"]), JSON)
    )
    kind = draw(st.one_of(st.sampled_from(["CALLBACK", "CALLBACK", "SYSTEM", "EVENT"]), JSON))
    data: Any
    choice = draw(st.integers(0, 5))
    if choice <= 1:
        body = draw(robot_body() if topic == ROBOT else card_body())
        data = json.dumps(body)
    elif choice == 2:
        data = json.dumps(draw(JSON))  # "null", "[]", "5", "\"x\"", deep-ish structures
    elif choice == 3:
        data = draw(TEXT)  # not JSON
    else:
        data = draw(JSON)  # not even a string
    headers: Any = {
        "topic": topic,
        "messageId": draw(
            st.one_of(st.from_regex(r"[0-9a-f]{8}_[0-9]{3}_[0-9a-f]{11}_[0-9a-f]{4}", fullmatch=True), JSON)
        ),
        "contentType": "application/json",
        "time": draw(st.one_of(st.just("1690362102194"), JSON)),
    }
    if draw(st.integers(0, 9)) == 0:
        headers = draw(JSON)  # "headers": null, a list, a number...
    frame: dict[str, Any] = {"specVersion": "1.0", "type": kind, "headers": headers, "data": data}
    for key in draw(st.lists(st.sampled_from(list(frame)), max_size=2)):
        if draw(st.booleans()):
            frame.pop(key, None)
    return frame


def disconnect(frame: Any) -> bool:
    """A ``disconnect`` frame: the bot reconnects, as the protocol asks (tested in test_stream)."""
    headers = frame.get("headers") if isinstance(frame, dict) else None
    return (
        isinstance(headers, dict) and frame.get("type") == "SYSTEM" and headers.get("topic") == "disconnect"
    )


def addressable(frame: Any) -> str | None:
    """The messageId an ack must carry, if the frame has a usable one and wants an ack."""
    if not isinstance(frame, dict) or not isinstance(frame.get("headers"), dict):
        return None
    headers = frame["headers"]
    message_id = headers.get("messageId")
    if not isinstance(message_id, str) or not message_id or len(message_id) > 128:
        return None
    return None if disconnect(frame) else message_id


# -- the connection's routing, directly -----------------------------------------------------------
class Socket:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send(self, text: str) -> None:
        self.sent.append(json.loads(text))


async def test_route_message_answers_any_frame_without_raising() -> None:
    accepted: list[Any] = []

    async def accept(event: Any) -> bool:
        accepted.append(event)
        return True

    conn = StreamConnection(
        client_id=APP_KEY,
        client_secret=APP_SECRET,
        api_base="http://127.0.0.1:9",
        accept=accept,
        remember=lambda s: None,
        clock=lambda: datetime.now(UTC),
    )
    socket = Socket()
    conn.websocket = socket
    loop = asyncio.get_running_loop()

    @FUZZ
    @given(frame=frames())
    def prop(frame: Any) -> None:
        socket.sent.clear()
        on(loop, conn.route_message(frame))  # raises → the property fails
        assert len(socket.sent) <= 1, socket.sent
        message_id = addressable(frame)
        if message_id is not None and frame.get("type") in ("CALLBACK", "SYSTEM"):
            assert len(socket.sent) == 1, f"no ack for {frame!r:.300}"
        for ack in socket.sent:
            assert ack["code"] in ACK_CODES and ack["headers"]["messageId"] == message_id, ack

    await asyncio.to_thread(prop)


def on(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run_coroutine_threadsafe(coro, loop).result(60)


# -- the real app in Stream mode, frames over the WebSocket ---------------------------------------
@pytest.fixture
async def stream(db: str, aiohttp_client: Any) -> AsyncIterator[tuple[Any, FakeGateway]]:
    gateway = FakeGateway()
    base = await gateway.start()
    settings = make_settings(
        dingtalk_client_id=APP_KEY,
        dingtalk_client_secret=APP_SECRET,
        dingtalk_robot_code=APP_KEY,
        dingtalk_card_template_id="T.schema",
        dingtalk_mode="stream",
        dingtalk_api_base=base,
        dingtalk_oapi_base=base,
        simulator=False,
    )
    client = await aiohttp_client(
        create_app(settings, manage_database=False, run_scheduler=False, run_worker=False)
    )
    await import_file(DEMO_ORG, now=client.app[BOT].deps.clock())
    await Person.filter(code="zhangsan").update(dingtalk_userid="manager4220")
    await Person.filter(code="chenqi").update(dingtalk_userid="01234567890123456789")
    await gateway.reconnected(1)
    try:
        yield client, gateway
    finally:
        await gateway.stop()


async def test_the_connection_survives_any_frame(stream: tuple[Any, FakeGateway]) -> None:
    client, gateway = stream
    loop = asyncio.get_running_loop()
    pings = itertools.count(1)

    async def push_then_ping(raw: str) -> dict[str, Any]:
        assert gateway.ws is not None and not gateway.ws.closed, "the gateway's socket was closed"
        await gateway.ws.send_str(raw)
        ping = {
            "specVersion": "1.0",
            "type": "SYSTEM",
            "data": '{"opaque":"x"}',
            "headers": {
                "topic": "ping",
                "messageId": f"alive-{next(pings)}",
                "contentType": "application/json",
            },
        }
        return await asyncio.wait_for(gateway.push(ping), TIMEOUT)

    @FUZZ
    @given(
        raw=st.one_of(
            frames().filter(lambda f: not disconnect(f)).map(json.dumps),
            TEXT,
            st.just("[]"),
            st.just("null"),
            st.just("{"),
        )
    )
    def prop(raw: str) -> None:
        try:
            ack = on(loop, push_then_ping(raw.encode("utf-8", "surrogatepass").decode("utf-8", "replace")))
        except TimeoutError:
            raise AssertionError(f"the loop stopped answering after the frame {raw!r:.300}") from None
        assert ack["code"] == 200

    await asyncio.to_thread(prop)
    connection = client.app[STREAM]
    assert (connection.connections, len(gateway.opens)) == (1, 1), "a frame dropped the connection"
    await client.app[BOT].tasks.join()
    assert await InboundEvent.filter(status=InboundStatus.RECEIVED).count() == 0
    health = await client.get("/healthz")
    assert health.status == 200
