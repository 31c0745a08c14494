"""``/wecom/callback`` over HTTP: the public vectors through the real endpoint, and every kind of
hostile request refused with the server still healthy and nothing stored."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from tortoise import connections

from bot.app import BOT, create_app
from bot.channels.wxbiz import Crypto
from models import InboundEvent
from tests.bot.channels.wecom.test_parse import BROKEN_FRAMES, SAMPLE_ECHO, SAMPLE_POST, WECHATPY_POST, frame
from tests.conftest import make_settings
from tests.wecom_callbacks import AES_KEY, TOKEN, WeComSender, wecom_settings

SENDER_NOW = 1_800_000_000


async def _client(aiohttp_client: Any, max_age: int = 0, **kw: Any) -> TestClient:  # type: ignore[type-arg]
    settings = make_settings(**wecom_settings(callback_max_age=max_age, **kw))
    app = create_app(settings, manage_database=False, run_scheduler=False, run_worker=False,
                     clock=lambda: datetime.fromtimestamp(SENDER_NOW, UTC))
    return await aiohttp_client(app)


async def test_get_vector_answers_the_plaintext(db: str, aiohttp_client: Any) -> None:
    client = await _client(aiohttp_client)
    resp = await client.get("/wecom/callback", params={
        "msg_signature": "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb", "timestamp": "1476416373",
        "nonce": "47744683", "echostr": SAMPLE_ECHO})
    assert resp.status == 200
    assert await resp.read() == b"1288432023552776189"


async def test_wechatpy_vectors_through_the_endpoint(db: str, aiohttp_client: Any) -> None:
    client = await _client(aiohttp_client, wecom_token="123456", wecom_corp_id="wx49f0ab532d5d035a",
                           wecom_aes_key="kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR")
    echo = "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q=="
    query = {"msg_signature": "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96", "timestamp": "1411443780",
             "nonce": "437374425", "echostr": echo}
    resp = await client.get("/wecom/callback", params=query)
    assert (resp.status, await resp.read()) == (200, b"5927782489442352469")
    resp = await client.get("/wecom/callback", params={**query, "nonce": "437374424"})
    assert resp.status == 403
    body = ("<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName>"
            f"<Encrypt><![CDATA[{WECHATPY_POST}]]></Encrypt></xml>")
    resp = await client.post("/wecom/callback", data=body.encode(), params={
        "msg_signature": "74d92dfeb87ba7c714f89d98870ae5eb62dff26d", "timestamp": "1411525903",
        "nonce": "461056294"})
    assert resp.status == 200
    assert [r.key for r in await InboundEvent.all()] == ["wecom:m:4363689963896700987"]


async def test_post_vector_is_accepted_and_stored_once(db: str, aiohttp_client: Any) -> None:
    client = await _client(aiohttp_client)
    body = ("<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>\n"
            f"<Encrypt><![CDATA[{SAMPLE_POST}]]></Encrypt>\n"
            "<AgentID><![CDATA[1000002]]></AgentID>\n</xml>")
    params = {"msg_signature": "0c3914025cb4b4d68103f6bfc8db550f79dcf48e", "timestamp": "1476422779",
              "nonce": "1597212914"}
    for _ in range(4):  # WeCom delivers an event up to four times
        resp = await client.post("/wecom/callback", params=params, data=body.encode())
        assert resp.status == 200 and await resp.read() == b""
    await client.app[BOT].tasks.join()
    rows = await InboundEvent.all()
    assert [(r.key, r.channel) for r in rows] == [("wecom:m:1456453720", "wecom")]


async def test_bad_signature_wrong_corp_and_stale_timestamp_get_403(db: str, aiohttp_client: Any) -> None:
    client = await _client(aiohttp_client, max_age=300)
    sender = WeComSender(now=SENDER_NOW)
    query, body = sender.envelope(sender.text("zhangsan", "帮助"))
    forged = {**query, "msg_signature": "0" * 40}
    assert (await client.post("/wecom/callback", params=forged, data=body)).status == 403
    intruder = WeComSender(Crypto(TOKEN, AES_KEY, "ww-another-corp"), now=SENDER_NOW)
    assert await intruder.post(client, intruder.text("zhangsan", "帮助")) == 403
    assert await sender.post(client, sender.text("zhangsan", "帮助"), timestamp=SENDER_NOW - 301) == 403
    assert await sender.post(client, sender.text("zhangsan", "帮助"), timestamp=SENDER_NOW + 301) == 403
    resp = await client.get("/wecom/callback", params={
        "msg_signature": "0" * 40, "timestamp": str(SENDER_NOW), "nonce": "1", "echostr": SAMPLE_ECHO})
    assert resp.status == 403 and await resp.read() != b"1288432023552776189"
    assert await InboundEvent.all().count() == 0


@pytest.mark.parametrize("body", [
    b"not xml at all", b"<xml><Encrypt></Encrypt></xml>", b"<xml><Encrypt>%%%</Encrypt>",
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    b"<xml><Encrypt>&b;</Encrypt></xml>",
    b"\xff\xfe\x00garbage",
])
async def test_malformed_bodies_get_400(db: str, aiohttp_client: Any, body: bytes) -> None:
    client = await _client(aiohttp_client)
    query = {"msg_signature": "0" * 40, "timestamp": str(SENDER_NOW), "nonce": "1"}
    assert (await client.post("/wecom/callback", params=query, data=body)).status == 400
    assert (await client.get("/healthz")).status == 200
    assert await InboundEvent.all().count() == 0


async def test_missing_query_and_oversized_body_are_refused(db: str, aiohttp_client: Any) -> None:
    client = await _client(aiohttp_client)
    # not signed at all: 403 (docs/security.md: missing → 403, present but malformed → 400)
    assert (await client.post("/wecom/callback", data=b"<xml/>")).status == 403
    assert (await client.get("/wecom/callback")).status == 403
    query = {"msg_signature": "0" * 40, "timestamp": str(SENDER_NOW), "nonce": "1"}
    huge = b"<xml><Encrypt>" + b"A" * (1024 * 1024) + b"</Encrypt></xml>"
    assert (await client.post("/wecom/callback", params=query, data=huge)).status == 413
    assert (await client.get("/healthz")).status == 200
    assert await InboundEvent.all().count() == 0


async def test_a_valid_but_signed_encrypted_garbage_plaintext_is_400(db: str, aiohttp_client: Any) -> None:
    client = await _client(aiohttp_client)
    sender = WeComSender(now=SENDER_NOW)
    assert await sender.post(client, "<xml><MsgType>text</MsgType></xml>") == 400
    assert await sender.post(client, "plain words") == 400
    assert await InboundEvent.all().count() == 0


async def test_a_body_arriving_in_pieces_is_read_whole(db: str, aiohttp_client: Any) -> None:
    client = await _client(aiohttp_client)
    sender = WeComSender(now=SENDER_NOW)
    query, body = sender.envelope(sender.text("zhangsan", "帮助", msg_id="pieces"))
    raw = body.encode()

    async def pieces() -> Any:
        yield raw[:50]
        yield raw[50:]

    resp = await client.post("/wecom/callback", params=query, data=pieces())
    assert resp.status == 200
    assert [r.key for r in await InboundEvent.all()] == ["wecom:m:pieces"]

    async def endless() -> Any:
        for _ in range(100):
            yield b"A" * 4096

    resp = await client.post("/wecom/callback", params=query, data=endless())
    assert resp.status == 413


async def test_callbacks_during_a_database_outage_get_500_and_their_retries_are_stored_once(
    db: str, aiohttp_client: Any,
) -> None:
    """Not acknowledged unless stored: WeCom retries a callback that is not answered 200."""
    client = await _client(aiohttp_client)
    sender = WeComSender(now=SENDER_NOW)
    requests = [sender.envelope(sender.text("zhangsan", f"第{i}条", msg_id=f"out-{i}"))
                for i in range(3)]
    conn = connections.get("default")
    await conn.execute_script('ALTER TABLE "inbound_event" RENAME TO "inbound_event_away"')
    try:
        answers = await asyncio.gather(*(client.post("/wecom/callback", params=query,
                                                     data=body.encode())
                                         for query, body in requests))
        assert [r.status for r in answers] == [500, 500, 500]
    finally:
        await conn.execute_script('ALTER TABLE "inbound_event_away" RENAME TO "inbound_event"')
    for _ in range(2):  # the retries, one of them repeated
        for query, body in requests:
            resp = await client.post("/wecom/callback", params=query, data=body.encode())
            assert resp.status == 200
    await client.app[BOT].tasks.join()
    keys = sorted(r.key for r in await InboundEvent.all())
    assert keys == ["wecom:m:out-0", "wecom:m:out-1", "wecom:m:out-2"]


# --- hardening: every class refused with 4xx and nothing stored; long values accepted, keys bounded --

def _signed_envelope(encrypted: str, ts: str = str(SENDER_NOW),
                     nonce: str = "5127") -> tuple[dict[str, str], bytes]:
    from bot.channels.wxbiz import signature

    query = {"msg_signature": signature(TOKEN, ts, nonce, encrypted), "timestamp": ts, "nonce": nonce}
    body = f"<xml><ToUserName>ww1436e0e65a779aee</ToUserName><Encrypt>{encrypted}</Encrypt></xml>"
    return query, body.encode()


async def test_a_400_digit_timestamp_is_400_on_get_and_post(db: str, aiohttp_client: Any) -> None:
    client = await _client(aiohttp_client, max_age=300)
    sender = WeComSender(now=SENDER_NOW)
    query, body = sender.envelope(sender.text("zhangsan", "帮助"))
    for ts in ("9" * 400, "-1800000000", "1e9", "１８００００００００"):
        resp = await client.post("/wecom/callback", params={**query, "timestamp": ts}, data=body)
        assert resp.status == 400
        get = {**query, "timestamp": ts, "echostr": SAMPLE_ECHO}
        assert (await client.get("/wecom/callback", params=get)).status == 400
    assert (await client.get("/healthz")).status == 200
    assert await InboundEvent.all().count() == 0


async def test_query_bytes_that_are_not_utf8_are_refused(db: str, aiohttp_client: Any) -> None:
    from tests.bot.channels.test_verify import raw_request

    client = await _client(aiohttp_client)
    for target in (b"/wecom/callback?msg_signature=%FF%FE&timestamp=1800000000&nonce=1",
                   b"/wecom/callback?msg_signature=ab&timestamp=18%ED%A0%80&nonce=1",
                   b"/wecom/callback?msg_signature=ab&timestamp=1800000000&nonce=\xff\xfe"):
        status = await raw_request(client, b"POST " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"<xml/>")
        assert 400 <= status < 500, target
    assert await InboundEvent.all().count() == 0


async def test_deep_xml_before_and_after_the_signature_is_400(db: str, aiohttp_client: Any) -> None:
    client = await _client(aiohttp_client)
    query = {"msg_signature": "0" * 40, "timestamp": str(SENDER_NOW), "nonce": "1"}
    deep = ("<xml><Encrypt>QUFB</Encrypt><ToUserName>" + "<a>" * 5000 + "x" + "</a>" * 5000
            + "</ToUserName></xml>").encode()  # once a RecursionError in str(), before the signature
    assert (await client.post("/wecom/callback", params=query, data=deep)).status == 400
    sender = WeComSender(now=SENDER_NOW)
    inner = sender.text("zhangsan", "帮助").replace("<Content>", "<Content>" + "<b>" * 200 + "</b>" * 200, 1)
    assert await sender.post(client, inner) == 400
    assert await sender.post(client, '<!DOCTYPE x [<!ENTITY e "x">]>' + sender.text("zhangsan", "&e;")) == 400
    assert (await client.get("/healthz")).status == 200
    assert await InboundEvent.all().count() == 0


@pytest.mark.parametrize("case", sorted(BROKEN_FRAMES))
async def test_each_broken_aes_frame_behind_a_valid_signature_is_400(db: str, aiohttp_client: Any,
                                                                      case: str) -> None:
    client = await _client(aiohttp_client)
    encrypted = frame(Crypto(TOKEN, AES_KEY, "ww1436e0e65a779aee").key, BROKEN_FRAMES[case])
    query, body = _signed_envelope(encrypted)
    assert (await client.post("/wecom/callback", params=query, data=body)).status == 400
    resp = await client.get("/wecom/callback", params={**query, "echostr": encrypted})
    assert resp.status == 400
    assert await InboundEvent.all().count() == 0


async def test_a_1100_character_event_key_and_a_10000_character_msg_id_are_accepted_once(
        db: str, aiohttp_client: Any) -> None:
    from bot.channels import verify

    client = await _client(aiohttp_client)
    sender = WeComSender(now=SENDER_NOW)
    tap = sender.tap("zhangsan", "ap-12-1-3f9c2a71b0de", "ap:12:1:" + "k" * 1092, "RC" * 30)
    long_msg = sender.text("zhangsan", "帮助", msg_id="CAIQg/PKxgYY2sC9tpuAgAMg9" * 400)
    for _ in range(2):  # WeCom retries: the repeats find the same keys
        assert await sender.post(client, tap) == 200
        assert await sender.post(client, long_msg) == 200
    await client.app[BOT].tasks.join()
    keys = sorted(r.key for r in await InboundEvent.all())
    assert len(keys) == 2
    assert all(len(k) <= len("wecom:") + verify.KEY_MAX for k in keys)
    assert keys[0].startswith("wecom:e:zhangsan:1800000000:ap-12-1-3f9c2a71b0de:")
    assert keys[1].startswith("wecom:m:") and len(keys[1]) == len("wecom:m:") + 64
