"""Stream mode against a fake DingTalk gateway on 127.0.0.1: the connection is opened with a
ticket, frames of the protocol page are acked as required, robot messages and card taps go into
the same path as HTTP mode, and the bot reconnects after a disconnect frame or a dropped socket.

Hardening (issue 12, point 8) — the connection survives any frame and any error of ours: each odd
frame (``data`` null or an array, a frame that is an array or not JSON, ``headers`` null, an
unknown topic or type) is refused with 400/404 or left unacked when it has no messageId, logged
once without its contents, and the same connection goes on; a storage error or a stuck handler
acks 500 (sent again by the platform) and the next frame is handled; pings log nothing."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestClient

from bot.app import BOT, STREAM, create_app
from bot.org import import_file
from models import Draft, InboundEvent, Person
from tests.bot.channels.dingtalk.test_pure import CARD_SAMPLE, ROBOT_SAMPLE
from tests.conftest import DEMO_ORG, make_settings

APP_KEY, APP_SECRET = "dingstreamkey", "stream-secret"
TIMEOUT = 5.0


class FakeGateway:
    """The two halves of DingTalk's Stream gateway: ``connections/open`` hands out one-time
    tickets, ``/connect`` is the WebSocket that pushes frames and receives acks."""

    def __init__(self, app: web.Application | None = None) -> None:
        """Own server, or — given another fake's ``app`` before it starts — its routes on it."""
        self.app = app or web.Application()
        self.app.router.add_post("/v1.0/gateway/connections/open", self.open)
        self.app.router.add_get("/connect", self.connect)
        self.runner: web.AppRunner | None = None
        self.base = ""
        self.tickets: set[str] = set()
        self.opens: list[dict[str, Any]] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self.connected = asyncio.Event()
        self.refuse = False  # connections/open answers 400 (as for a wrong secret) while set
        self.ws: web.WebSocketResponse | None = None
        self._ack_waiters: dict[str, asyncio.Future[dict[str, Any]]] = {}

    async def start(self) -> str:
        self.runner = web.AppRunner(self.app, handler_cancellation=True)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        host, port = self.runner.addresses[0][:2]
        self.base = f"http://{host}:{port}"
        return self.base

    async def stop(self) -> None:
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()
        if self.runner is not None:
            await self.runner.cleanup()

    async def open(self, request: web.Request) -> web.Response:
        if not self.base:  # served by another fake's app
            self.base = f"http://{request.host}"
        body = await request.json()
        if self.refuse or (body.get("clientId"), body.get("clientSecret")) != (APP_KEY, APP_SECRET):
            return web.json_response({"code": "invalidClientIdOrSecret"}, status=400)
        self.opens.append(body)
        ticket = f"ticket-{len(self.opens)}"
        self.tickets.add(ticket)
        return web.json_response({"endpoint": self.base.replace("http", "ws") + "/connect",
                                  "ticket": ticket})

    async def connect(self, request: web.Request) -> web.WebSocketResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self.tickets:
            raise web.HTTPForbidden()
        self.tickets.discard(ticket)  # one connection per ticket
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.ws = ws
        self.connected.set()
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                ack = json.loads(msg.data)
                message_id = ack["headers"]["messageId"]
                self.acks[message_id] = ack
                waiter = self._ack_waiters.pop(message_id, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(ack)
        return ws

    async def push(self, frame: dict[str, Any]) -> dict[str, Any]:
        """Send a frame and wait for its ack."""
        assert self.ws is not None
        message_id = frame["headers"]["messageId"]
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._ack_waiters[message_id] = waiter
        await self.ws.send_str(json.dumps(frame))
        return await asyncio.wait_for(waiter, TIMEOUT)

    async def reconnected(self, count: int) -> None:
        async def wait() -> None:
            while len(self.opens) < count or self.ws is None or self.ws.closed:
                self.connected.clear()
                await self.connected.wait()
        await asyncio.wait_for(wait(), TIMEOUT)


def frame(kind: str, topic: str, message_id: str, data: Any) -> dict[str, Any]:
    return {"specVersion": "1.0", "type": kind,
            "headers": {"topic": topic, "messageId": message_id, "contentType": "application/json",
                        "time": "1690362102194"},
            "data": data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)}


@pytest.fixture
async def stream(db: str, aiohttp_client: Any) -> AsyncIterator[tuple[TestClient, FakeGateway]]:  # type: ignore[type-arg]
    gateway = FakeGateway()
    base = await gateway.start()
    settings = make_settings(dingtalk_client_id=APP_KEY, dingtalk_client_secret=APP_SECRET,
                             dingtalk_robot_code=APP_KEY, dingtalk_card_template_id="T.schema",
                             dingtalk_mode="stream", dingtalk_api_base=base, simulator=False)
    app = create_app(settings, manage_database=False, run_scheduler=False, run_worker=False)
    client = await aiohttp_client(app)
    await import_file(DEMO_ORG, now=client.app[BOT].deps.clock())
    await Person.filter(code="zhangsan").update(dingtalk_userid="452523285939877041")
    await gateway.reconnected(1)
    yield client, gateway
    await gateway.stop()


async def test_ping_is_echoed(stream: Any) -> None:
    _, gateway = stream
    ack = await gateway.push({"specVersion": "1.0", "type": "SYSTEM", "headers": {
        "topic": "ping", "messageId": "213d841d_972_1898bb26334_70a7", "contentType": "application/json"},
        "data": "{\"opaque\" : \"123-dsfs\"}"})
    assert ack["code"] == 200 and ack["headers"]["messageId"] == "213d841d_972_1898bb26334_70a7"
    assert json.loads(ack["data"]) == {"opaque": "123-dsfs"}
    assert gateway.opens[0]["subscriptions"] == [
        {"type": "CALLBACK", "topic": "/v1.0/im/bot/messages/get"},
        {"type": "CALLBACK", "topic": "/v1.0/card/instances/callback"},
        {"type": "EVENT", "topic": "*"}]


async def test_robot_message_frame_goes_the_http_path_once(stream: Any) -> None:
    client, gateway = stream
    body = {**ROBOT_SAMPLE, "conversationType": "1",
            "text": {"content": "投稿 @某某发布 1 标题\n正文"}}
    msg = frame("CALLBACK", "/v1.0/im/bot/messages/get", "212ca9d7_974_1898c159aa6_1783b", body)
    ack = await gateway.push(msg)
    assert ack["code"] == 200 and json.loads(ack["data"]) == {"response": None}
    await gateway.push({**msg, "headers": {**msg["headers"], "messageId": "again"}})  # a re-push
    await client.app[BOT].tasks.join()
    assert await Draft.all().count() == 1
    assert [r.key for r in await InboundEvent.all()] == ["dingtalk:msg2*****p+w=="]


async def test_card_callback_frame_is_acked_with_a_response(stream: Any) -> None:
    client, gateway = stream
    ack = await gateway.push(frame("CALLBACK", "/v1.0/card/instances/callback", "m-1", CARD_SAMPLE))
    assert ack["code"] == 200 and ack["headers"]["messageId"] == "m-1"
    assert json.loads(ack["data"]) == {"response": {}}
    await client.app[BOT].tasks.join()
    rows = await InboundEvent.all()
    assert len(rows) == 1 and rows[0].kind == "card_action"


async def test_junk_frames_get_400_and_change_nothing(stream: Any) -> None:
    client, gateway = stream
    ack = await gateway.push(frame("CALLBACK", "/v1.0/im/bot/messages/get", "junk", {"hello": 1}))
    assert ack["code"] == 400
    await client.app[BOT].tasks.join()
    assert await InboundEvent.all().count() == 0


async def test_disconnect_frame_and_dropped_socket_reconnect(stream: Any) -> None:
    client, gateway = stream
    assert gateway.ws is not None
    await gateway.ws.send_str(json.dumps(frame("SYSTEM", "disconnect", "d-1", {"reason": "deploy"})))
    await gateway.reconnected(2)
    assert "d-1" not in gateway.acks  # a disconnect frame is not acked
    await gateway.ws.close()  # the gateway drops the socket
    await gateway.reconnected(3)
    ack = await gateway.push({"specVersion": "1.0", "type": "SYSTEM", "headers": {
        "topic": "ping", "messageId": "p-2", "contentType": "application/json"}, "data": "{}"})
    assert ack["code"] == 200
    assert client.app[STREAM].connections == 3 and len(gateway.opens) == 3  # a new ticket each time


async def test_the_whole_flow_through_stream_frames(db: str, aiohttp_client: Any) -> None:
    """Draft, submit, approve — every inbound step a Stream frame, every outbound call to the
    fake DingTalk API that also plays the gateway."""
    from tests.fake_dingtalk import FakeDingTalk

    fake = FakeDingTalk()
    gateway = FakeGateway(fake.app)
    fake.app_key, fake.app_secret, fake.robot_code = APP_KEY, APP_SECRET, APP_KEY
    fake.templates.add("T.schema")
    fake.declarations["T.schema"] = fake.declarations["xmt-approval.schema"]  # built from our file
    base = await fake.start()
    settings = make_settings(dingtalk_client_id=APP_KEY, dingtalk_client_secret=APP_SECRET,
                             dingtalk_robot_code=APP_KEY, dingtalk_card_template_id="T.schema",
                             dingtalk_mode="stream", dingtalk_api_base=base, simulator=False)
    client = await aiohttp_client(create_app(settings, manage_database=False, run_scheduler=False,
                                             run_worker=False))
    bot = client.app[BOT]
    try:
        await import_file(DEMO_ORG, now=bot.deps.clock())
        await Person.filter(code="zhangsan").update(dingtalk_userid="dt-zhangsan")
        await Person.filter(code="lisi").update(dingtalk_userid="dt-lisi")
        await gateway.reconnected(1)

        async def settle() -> None:
            await bot.tasks.join()
            await bot.outbox.drain(bot.deps.clock())

        async def tap(user: str, prefix: str, label: str, message_id: str) -> str:
            track = next(b["outTrackId"] for b in fake.created
                         if b["outTrackId"].startswith(prefix) and b["openSpaceId"].endswith(user))
            body = fake.tap(track, user, label)  # as the template built from card_template.json sends it
            ack = await gateway.push(frame("CALLBACK", "/v1.0/card/instances/callback", message_id, body))
            assert ack["code"] == 200
            await settle()
            return track

        body = fake.robot_message("dt-zhangsan", "投稿 @某某发布 1 冬季供暖服务指南\n正文")
        await gateway.push(frame("CALLBACK", "/v1.0/im/bot/messages/get", "f-1", body))
        await settle()
        await tap("dt-zhangsan", "pv-", "提交审核", "f-2")
        approval = await tap("dt-lisi", "ap-", "通过", "f-3")
        assert (await Draft.get()).status == "approved"
        assert fake.cards[approval]["cardParamMap"]["status"].startswith("已通过 · 李四")
        assert fake.shown(approval, "dt-lisi")["buttons"] == []
        assert all(b["callbackType"] == "STREAM" and "callbackRouteKey" not in b for b in fake.created)
    finally:
        await gateway.stop()
        await fake.stop()


async def test_card_callback_ack_carries_the_handlers_response_vector() -> None:
    """Protocol doc §8.4 d: whatever the card handler answers goes back as {"response": R}."""
    from bot.channels.dingtalk.stream import CardTaps, StreamConnection

    answer = {"cardData": {"cardParamMap": {"status": "agree"}},
              "cardUpdateOptions": {"updateCardDataByKey": True}}

    class Answering(CardTaps):
        async def process(self, message: Any) -> tuple[int, Any]:
            await super().process(message)
            return 200, answer

    accepted: list[Any] = []

    async def accept(event: Any) -> bool:
        accepted.append(event)
        return True

    conn = StreamConnection(client_id=APP_KEY, client_secret=APP_SECRET, api_base="http://127.0.0.1:9",
                            accept=accept, remember=lambda s: None,
                            clock=lambda: datetime_now())
    conn.register_callback_handler("/v1.0/card/instances/callback", Answering(accept, datetime_now))

    sent: list[str] = []

    class Socket:
        async def send(self, text: str) -> None:
            sent.append(text)

    conn.websocket = Socket()
    await conn.route_message(frame("CALLBACK", "/v1.0/card/instances/callback", "m-1", CARD_SAMPLE))
    ack = json.loads(sent[0])
    assert ack["code"] == 200 and ack["headers"]["messageId"] == "m-1"
    assert json.loads(ack["data"]) == {"response": answer}
    assert len(accepted) == 1 and accepted[0].card_id == "XXXXXX"


def datetime_now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


# -- hardening: nothing a frame holds ends the connection ---------------------------------------
ROBOT, CARD = "/v1.0/im/bot/messages/get", "/v1.0/card/instances/callback"
SECRET_TEXT = "投稿 @某某发布 机密正文"


def stream_records(caplog: pytest.LogCaptureFixture, level: int = logging.INFO) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= level]


async def still_connected(client: TestClient, gateway: FakeGateway) -> None:  # type: ignore[type-arg]
    """The same connection answers the next frame: no reconnect happened."""
    ack = await gateway.push({"specVersion": "1.0", "type": "SYSTEM", "headers": {
        "topic": "ping", "messageId": "after", "contentType": "application/json"}, "data": "{}"})
    assert ack["code"] == 200
    assert client.app[STREAM].connections == 1 and len(gateway.opens) == 1


@pytest.mark.parametrize(("topic", "data"), [
    (ROBOT, "null"), (ROBOT, "[]"), (CARD, "[]"), (CARD, "null"), (ROBOT, "7"), (ROBOT, "not json"),
    (CARD, "[" * 5000 + "]" * 5000), (ROBOT, None)])
async def test_a_callback_whose_data_is_not_an_object_is_refused_400(
        stream: Any, caplog: pytest.LogCaptureFixture, topic: str, data: str | None) -> None:
    client, gateway = stream
    caplog.set_level(logging.DEBUG, "xmt")
    msg = frame("CALLBACK", topic, "odd-1", "")
    msg["data"] = data
    ack = await gateway.push(msg)
    assert ack["code"] == 400 and ack["headers"]["messageId"] == "odd-1"
    await still_connected(client, gateway)
    assert await InboundEvent.all().count() == 0
    [record] = stream_records(caplog)
    assert record.levelno == logging.WARNING and "odd-1" in record.getMessage()


@pytest.mark.parametrize("raw", [
    "[1, 2]", "null", '"text"', "not json at all", "{", "[" * 100_000,
    json.dumps({"type": "CALLBACK", "headers": None, "data": "{}"}),
    json.dumps({"type": "CALLBACK", "headers": [], "data": "{}"}),
    json.dumps({"type": "CALLBACK", "headers": {"topic": ROBOT, "messageId": 5}, "data": "{}"}),
    json.dumps({"type": "CALLBACK", "headers": {"topic": ROBOT, "messageId": "x" * 500}, "data": "{}"}),
])
async def test_a_frame_without_a_message_id_is_dropped_quietly_and_the_connection_stays(
        stream: Any, caplog: pytest.LogCaptureFixture, raw: str) -> None:
    client, gateway = stream
    caplog.set_level(logging.DEBUG, "xmt")
    await gateway.ws.send_str(raw)
    await still_connected(client, gateway)
    assert gateway.acks.keys() == {"after"}  # nothing acked but the ping that followed
    [record] = stream_records(caplog)
    assert record.levelno == logging.WARNING and "refused" in record.getMessage()
    assert "x" * 200 not in record.getMessage()


async def test_a_binary_frame_that_is_not_utf8_is_dropped(stream: Any) -> None:
    client, gateway = stream
    await gateway.ws.send_bytes(b"\xff\xfe{\x00")
    await still_connected(client, gateway)


async def test_unknown_callback_topic_gets_404_and_odd_headers_do_not_matter(
        stream: Any, caplog: pytest.LogCaptureFixture) -> None:
    client, gateway = stream
    caplog.set_level(logging.DEBUG, "xmt")
    msg = frame("CALLBACK", "/v1.0/graph/api/invoke", "u-1", {"text": SECRET_TEXT})
    msg["headers"]["time"] = "not a number"  # the SDK's from_dict raised on this
    ack = await gateway.push(msg)
    assert ack["code"] == 404 and ack["headers"]["messageId"] == "u-1"
    ack = await gateway.push(frame("EVENT", "*", "e-1", {"x": 1}))
    assert ack["code"] == 404
    ack = await gateway.push(frame("SYSTEM", "KEEPALIVE", "s-1", {}))
    assert ack["code"] == 404
    ack = await gateway.push(frame("SOMETHING", ROBOT, "t-1", {}))
    assert ack["code"] == 404
    await still_connected(client, gateway)
    records = stream_records(caplog)
    assert len(records) == 4 and all(r.levelno == logging.WARNING for r in records)
    assert not any(SECRET_TEXT in r.getMessage() for r in caplog.records)


async def test_pings_are_quiet(stream: Any, caplog: pytest.LogCaptureFixture) -> None:
    _, gateway = stream
    caplog.set_level(logging.DEBUG)
    for n in range(3):
        ack = await gateway.push({"specVersion": "1.0", "type": "SYSTEM", "headers": {
            "topic": "ping", "messageId": f"p-{n}", "contentType": "application/json"},
            "data": '{"opaque": "opaque-value-123"}'})
        assert json.loads(ack["data"]) == {"opaque": "opaque-value-123"}
    assert stream_records(caplog) == []
    assert not any("opaque-value-123" in r.getMessage() for r in caplog.records)


async def test_a_storage_error_acks_500_and_the_loop_goes_on(
        stream: Any, caplog: pytest.LogCaptureFixture) -> None:
    """SQLite locked while storing a frame: acked as failed (the platform may deliver it again),
    logged once as an ERROR, and the redelivery is stored."""
    from tortoise.exceptions import OperationalError

    client, gateway = stream
    caplog.set_level(logging.DEBUG, "xmt")
    handler = client.app[STREAM].handlers[ROBOT]
    real = handler.accept
    calls = 0

    async def locked_once(event: Any) -> bool:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OperationalError("database is locked")
        return bool(await real(event))

    handler.accept = locked_once
    body = {**ROBOT_SAMPLE, "conversationType": "1", "text": {"content": SECRET_TEXT}}
    ack = await gateway.push(frame("CALLBACK", ROBOT, "s-1", body))
    assert ack["code"] == 500 and ack["headers"]["messageId"] == "s-1"
    assert await InboundEvent.all().count() == 0
    [record] = stream_records(caplog)
    assert record.levelno == logging.ERROR and "OperationalError" in record.getMessage()
    assert SECRET_TEXT not in record.getMessage() and record.exc_info is None
    ack = await gateway.push(frame("CALLBACK", ROBOT, "s-1", body))  # delivered again
    assert ack["code"] == 200
    await client.app[BOT].tasks.join()
    assert await InboundEvent.all().count() == 1
    await still_connected(client, gateway)


async def test_any_exception_of_a_handler_acks_500(stream: Any) -> None:
    client, gateway = stream

    async def broken(event: Any) -> bool:
        raise AttributeError("'list' object has no attribute 'get'")

    client.app[STREAM].handlers[CARD].accept = broken
    ack = await gateway.push(frame("CALLBACK", CARD, "c-1", CARD_SAMPLE))
    assert ack["code"] == 500 and json.loads(ack["data"]) == {"response": None}
    await still_connected(client, gateway)


async def test_a_stuck_handler_is_given_up_on_with_500(stream: Any) -> None:
    client, gateway = stream
    connection = client.app[STREAM]
    connection.handler_timeout = 0.05
    hang = asyncio.Event()

    async def stuck(event: Any) -> bool:
        await hang.wait()
        return True

    connection.handlers[CARD].accept = stuck
    ack = await gateway.push(frame("CALLBACK", CARD, "c-2", CARD_SAMPLE))
    assert ack["code"] == 500
    await still_connected(client, gateway)


async def test_handle_never_raises_even_when_routing_itself_breaks(
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.channels.dingtalk import stream as stream_module
    from bot.channels.dingtalk.stream import StreamConnection

    async def accept(event: Any) -> bool:
        return True

    conn = StreamConnection(client_id=APP_KEY, client_secret=APP_SECRET, api_base="http://127.0.0.1:9",
                            accept=accept, remember=lambda s: None, clock=datetime_now)

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("bug")

    monkeypatch.setattr(stream_module, "_ack", boom)
    reply = await conn.handle(json.dumps(frame("SYSTEM", "ping", "p-1", {})))
    assert reply.ack is None and not reply.disconnect
    [record] = [r for r in caplog.records if r.name == "xmt.dingtalk.stream"]
    assert record.levelno == logging.ERROR and "KeyError" in record.getMessage()


async def test_frames_are_counted_as_callbacks_and_pings_are_not(stream: Any) -> None:
    """Issue 19's figures: a frame counts in ``xmt_callbacks`` as an HTTP callback would (the
    ack's code read as its status), under platform ``dingtalk``; pings and a frame with no
    messageId (refused as malformed) are told apart."""
    client, gateway = stream
    metrics = client.app[BOT].outbox.metrics

    def count(name: str, **labels: str) -> float:
        return metrics.registry.get_sample_value(name, {"platform": "dingtalk", **labels}) or 0.0

    await gateway.push(frame("SYSTEM", "ping", "p-1", {}))
    await gateway.push(frame("CALLBACK", CARD, "m-1", CARD_SAMPLE))
    await gateway.push(frame("CALLBACK", ROBOT, "junk", {"hello": 1}))
    await gateway.push(frame("CALLBACK", "/v1.0/graph/api/invoke", "u-1", {}))
    await gateway.ws.send_str("[1, 2]")
    await still_connected(client, gateway)  # one more ping, not counted either
    assert count("xmt_callbacks_total", result="ok") == 1
    assert count("xmt_callbacks_total", result="refused") == 3
    assert count("xmt_callback_refusals_total", reason="malformed") == 2
    assert count("xmt_callback_refusals_total", reason="not_found") == 1
