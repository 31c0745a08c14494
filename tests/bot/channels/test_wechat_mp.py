"""``/wechat/{account}/callback``: an official account's followers' questions become inquiries;
wechatpy's own vectors through the real endpoint (safe mode), plain mode, and refusals."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot import texts
from bot.app import BOT, create_app
from bot.channels.wechat.routes import sign
from bot.org import import_file
from models import Account, Inquiry
from tests.bot.channels.wecom.test_parse import BROKEN_FRAMES, WECHATPY_POST, frame, framed
from tests.conftest import DEMO_ORG, make_settings

TOKEN, AES_KEY, APP_ID = "123456", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "wx49f0ab532d5d035a"


async def _client(aiohttp_client: Any) -> TestClient:  # type: ignore[type-arg]
    app = create_app(make_settings(simulator=True, callback_max_age=0), manage_database=False,
                     run_scheduler=False, run_worker=False)
    client = await aiohttp_client(app)
    await import_file(DEMO_ORG, now=client.app[BOT].deps.clock())
    await Account.filter(name="某某发布").update(
        wechat={"app_id": APP_ID, "token": TOKEN, "aes_key": AES_KEY})
    return client


def signed(ts: str = "1411525903", nonce: str = "461056294") -> dict[str, str]:
    return {"timestamp": ts, "nonce": nonce, "signature": sign(TOKEN, ts, nonce)}


def acknowledged(xml: str, to: str) -> bool:
    """The passive reply to a follower's question: a text to them, from the account, saying
    the message was received (Art. 12: the follower is not left without a word)."""
    from wechatpy import parse_message

    reply = parse_message(xml)._data
    return (reply["MsgType"], reply["ToUserName"], reply["Content"]) == ("text", to, texts.FOLLOWER_ACK)


async def test_url_verification(db: str, aiohttp_client: Any) -> None:
    client = await _client(aiohttp_client)
    resp = await client.get(f"/wechat/{APP_ID}/callback", params={**signed(), "echostr": "42424242"})
    assert (resp.status, await resp.text()) == (200, "42424242")
    forged = {**signed(), "signature": "0" * 40, "echostr": "1"}
    assert (await client.get(f"/wechat/{APP_ID}/callback", params=forged)).status == 403
    assert (await client.get("/wechat/nobody/callback", params=signed())).status == 404


async def test_safe_mode_vector_becomes_one_inquiry(db: str, aiohttp_client: Any) -> None:
    client = await _client(aiohttp_client)
    body = (f"<xml><ToUserName><![CDATA[{APP_ID}]]></ToUserName>"
            f"<Encrypt><![CDATA[{WECHATPY_POST}]]></Encrypt></xml>")
    params = {**signed(), "encrypt_type": "aes", "msg_signature": "74d92dfeb87ba7c714f89d98870ae5eb62dff26d"}
    from wechatpy.crypto import WeChatCrypto

    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    for _ in range(3):  # WeChat retries an unanswered callback: each gets the same reply
        resp = await client.post(f"/wechat/{APP_ID}/callback", params=params, data=body.encode())
        assert resp.status == 200
        # Safe mode: the reply is encrypted and signed for the account, like the callback.
        sealed = await resp.text()
        assert "<Encrypt>" in sealed and texts.FOLLOWER_ACK not in sealed
        ts, nonce = params["timestamp"], params["nonce"]
        sig = re.search(r"<MsgSignature><!\[CDATA\[(\w+)\]\]>", sealed)
        assert sig is not None
        assert acknowledged(crypto.decrypt_message(sealed, sig.group(1), ts, nonce), "messense")
    await client.app[BOT].tasks.join()
    q = await Inquiry.get()
    assert (q.text, q.asker, q.source) == ("test", "messense", "wechat:messense")
    bad = {**params, "msg_signature": "0" * 40}
    assert (await client.post(f"/wechat/{APP_ID}/callback", params=bad, data=body.encode())).status == 403


async def test_plain_mode_and_non_text_messages(db: str, aiohttp_client: Any) -> None:
    client = await _client(aiohttp_client)
    text = ("<xml><ToUserName>gh_1</ToUserName><FromUserName>oFollower1</FromUserName>"
            "<CreateTime>1700000000</CreateTime><MsgType>text</MsgType><Content>办事指南在哪？</Content>"
            "<MsgId>900001</MsgId></xml>")
    event = ("<xml><ToUserName>gh_1</ToUserName><FromUserName>oFollower2</FromUserName>"
             "<CreateTime>1700000001</CreateTime><MsgType>event</MsgType><Event>subscribe</Event></xml>")
    resp = await client.post("/wechat/某某发布/callback", params=signed(), data=text.encode())
    assert resp.status == 200 and acknowledged(await resp.text(), "oFollower1")
    resp = await client.post("/wechat/某某发布/callback", params=signed(), data=event.encode())
    assert (resp.status, await resp.text()) == (200, "success")  # an event: nothing to say
    assert (await client.post("/wechat/某某发布/callback", params=signed(), data=b"<xml")).status == 400
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Content>&a;</Content></xml>'
    assert (await client.post("/wechat/某某发布/callback", params=signed(), data=bomb)).status == 400
    await client.app[BOT].tasks.join()
    assert [q.text for q in await Inquiry.all()] == ["办事指南在哪？"]
    from models import OutboxMessage

    cards = await OutboxMessage.filter(card_id="inq-1").values_list("person__code", flat=True)
    assert sorted(str(c) for c in cards) == ["chenqi", "zhangsan"]  # routed to the officers


class FakeOfficialAccount:
    """The official-account API: tokens and customer-service messages; followers whose 48-hour
    window has closed get errcode 45015."""

    def __init__(self) -> None:
        from aiohttp import web

        from tests.fakes import LoopbackServer

        self.sent: list[dict[str, Any]] = []
        self.closed: set[str] = set()
        self.tokens = 0
        self.app = web.Application()
        self.app.router.add_get("/cgi-bin/token", self.token)
        self.app.router.add_post("/cgi-bin/message/custom/send", self.custom_send)
        self.server = LoopbackServer()
        self.server.app = self.app

    async def token(self, request: Any) -> Any:
        from aiohttp import web

        if (request.query.get("appid"), request.query.get("secret")) != (APP_ID, "oa-secret"):
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        self.tokens += 1
        return web.json_response({"access_token": f"T{self.tokens}", "expires_in": 7200})

    async def custom_send(self, request: Any) -> Any:
        from aiohttp import web

        if request.query.get("access_token") != f"T{self.tokens}":
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        body = await request.json()
        if body["touser"] in self.closed:
            return web.json_response({"errcode": 45015, "errmsg": "response out of time limit"})
        self.sent.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})


async def test_answer_and_deadline_notice_are_relayed_to_the_follower(db: str, aiohttp_client: Any) -> None:
    from datetime import timedelta

    from bot import texts
    from models import Inquiry
    from tests.fakes import FakeClock

    oa = FakeOfficialAccount()
    base = await oa.server.start()
    clock = FakeClock()
    # No simulator: with it on, relays go to the simulator's stand-in instead of the API.
    app = create_app(make_settings(simulator=False, callback_max_age=0, wechat_api_base=base),
                     manage_database=False, run_scheduler=False, run_worker=False, clock=clock)
    client = await aiohttp_client(app)
    bot = client.app[BOT]
    try:
        await import_file(DEMO_ORG, now=clock.now)
        await Account.filter(name="某某发布").update(
            wechat={"app_id": APP_ID, "token": TOKEN, "app_secret": "oa-secret"})

        async def follower(openid: str, text: str, msg_id: int) -> None:
            xml = (f"<xml><ToUserName>gh_1</ToUserName><FromUserName>{openid}</FromUserName>"
                   f"<CreateTime>1700000000</CreateTime><MsgType>text</MsgType><Content>{text}</Content>"
                   f"<MsgId>{msg_id}</MsgId></xml>")
            resp = await client.post("/wechat/某某发布/callback", params=signed(), data=xml.encode())
            assert resp.status == 200

        async def officer(text: str) -> None:
            from bot.events import TextMessage

            await bot.inbox.accept(TextMessage(channel="local", sender="zhangsan", key=text,
                                               received_at=clock.now, text=text))
            await bot.tasks.join()
            await bot.outbox.drain(clock.now)

        await follower("oFan1", "供暖什么时候开始？", 1)
        await bot.tasks.join()
        from bot.events import CardAction
        from handlers.inquiries import Commit

        await bot.inbox.accept(CardAction(channel="local", sender="zhangsan", key="commit",
                                          received_at=clock.now, payload=Commit(1, 3).pack()))
        await bot.tasks.join()
        await bot.outbox.drain(clock.now)
        assert oa.sent[-1]["text"]["content"].startswith("您好，您的咨询已收到，我们将于")
        await officer("回复 Q1 11月15日已开始供暖。")
        assert oa.sent[-1] == {"touser": "oFan1", "msgtype": "text",
                               "text": {"content": "11月15日已开始供暖。"}}
        assert (await Inquiry.get(id=1)).relay == "sent"
        # a question answered after 48 hours: the officer is told to answer elsewhere
        await follower("oFan2", "办事指南在哪？", 2)
        await bot.tasks.join()
        clock.advance(hours=49)
        await officer("回复 Q2 在官网。")
        assert len(oa.sent) == 2
        assert (await Inquiry.get(id=2)).relay == "elsewhere"
        from models import OutboxMessage

        texts_to_officer = [r.body.get("text") for r in await OutboxMessage.filter(person__code="zhangsan")]
        assert texts.relay_window_closed("Q2") in texts_to_officer
        assert oa.tokens == 1 and timedelta(hours=49)
    finally:
        await bot.outbox.stop()
        channel = next(c for c in bot.channels.values() if c.name == "wechat")
        await channel.close()  # type: ignore[attr-defined]
        await oa.server.stop()


# --- hardening: the path, the query, the XML, the frame and the ids are checked where they enter ----

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"  # 28 characters, as WeChat makes them


def _text(openid: str = OPENID, msg_id: str = "24602910298113985", content: str = "办事指南在哪？") -> bytes:
    return (f"<xml><ToUserName>gh_1</ToUserName><FromUserName>{openid}</FromUserName>"
            f"<CreateTime>1700000000</CreateTime><MsgType>text</MsgType><Content>{content}</Content>"
            f"<MsgId>{msg_id}</MsgId></xml>").encode()


async def test_a_real_length_openid_and_a_10000_character_msg_id_are_accepted_once(
        db: str, aiohttp_client: Any) -> None:
    from bot.channels import verify
    from models import InboundEvent

    client = await _client(aiohttp_client)
    for _ in range(2):  # WeChat retries: the repeat finds the same key
        resp = await client.post("/wechat/某某发布/callback", params=signed(),
                                 data=_text(msg_id="7" * 10_000))
        assert resp.status == 200 and acknowledged(await resp.text(), OPENID)
    await client.app[BOT].tasks.join()
    (row,) = await InboundEvent.all()
    assert len(row.key) <= len("wechat:") + verify.KEY_MAX and len(row.key.rsplit(":", 1)[1]) == 64
    assert (await Inquiry.get()).asker == OPENID


async def test_a_5000_character_account_in_the_path_is_404_before_any_query(
        db: str, aiohttp_client: Any) -> None:
    client = await _client(aiohttp_client)
    for name in ("x" * 5000, "某" * 65, "a%00b", "%ED%A0%80"):
        assert (await client.post(f"/wechat/{name}/callback", params=signed(), data=_text())).status == 404
        assert (await client.get(f"/wechat/{name}/callback", params=signed())).status == 404
    assert (await client.get("/healthz")).status == 200


async def test_a_400_digit_timestamp_and_odd_query_values_are_400(db: str, aiohttp_client: Any) -> None:
    client = await _client(aiohttp_client)
    path = f"/wechat/{APP_ID}/callback"
    for ts in ("9" * 400, "-1411525903", "1411525903.0"):
        query = {**signed(), "timestamp": ts}
        assert (await client.post(path, params=query, data=_text())).status == 400
        assert (await client.get(path, params={**query, "echostr": "1"})).status == 400
    assert (await client.post(path, params={**signed(), "nonce": "4" * 65}, data=_text())).status == 400
    assert (await client.get(path, params={**signed(), "echostr": "回声"})).status == 400
    assert (await client.post(path, params={k: v for k, v in signed().items() if k != "signature"},
                              data=_text())).status == 403  # not signed
    assert await Inquiry.all().count() == 0


@pytest.mark.parametrize("openid", ["x" * 65, "o<b>", "oUpF8uMuAJO M2pxb1Q9zNjWeS6o", "张三"])
async def test_senders_that_are_not_openids_are_400(db: str, aiohttp_client: Any, openid: str) -> None:
    client = await _client(aiohttp_client)
    body = _text().replace(OPENID.encode(), openid.replace("<", "&lt;").encode())
    assert (await client.post("/wechat/某某发布/callback", params=signed(), data=body)).status == 400
    assert await Inquiry.all().count() == 0


async def test_deep_xml_and_declarations_after_the_query_signature_are_400(db: str,
                                                                          aiohttp_client: Any) -> None:
    client = await _client(aiohttp_client)
    deep = _text().replace(b"<Content>", b"<Content>" + b"<a>" * 5000 + b"</a>" * 5000, 1)
    for body in (deep, b"<!-- hi -->" + _text(), b"\xff\xfe" + _text()):
        assert (await client.post("/wechat/某某发布/callback", params=signed(), data=body)).status == 400
    assert await Inquiry.all().count() == 0


@pytest.mark.parametrize("case", sorted(BROKEN_FRAMES))
async def test_each_broken_aes_frame_behind_a_valid_msg_signature_is_400(db: str, aiohttp_client: Any,
                                                                         case: str) -> None:
    from bot.channels.wxbiz import aes_key

    client = await _client(aiohttp_client)
    plaintext = BROKEN_FRAMES[case].replace(b"ww1436e0e65a779aee", APP_ID.encode())
    encrypted = frame(aes_key(AES_KEY), plaintext)
    query = {**signed(), "encrypt_type": "aes",
             "msg_signature": sign(TOKEN, "1411525903", "461056294", encrypted)}
    body = f"<xml><ToUserName>{APP_ID}</ToUserName><Encrypt>{encrypted}</Encrypt></xml>".encode()
    assert (await client.post(f"/wechat/{APP_ID}/callback", params=query, data=body)).status == 400
    assert await Inquiry.all().count() == 0


async def test_a_frame_for_another_app_id_is_403(db: str, aiohttp_client: Any) -> None:
    from bot.channels.wxbiz import aes_key

    client = await _client(aiohttp_client)
    encrypted = frame(aes_key(AES_KEY), framed(_text(), b"wx0000000000000000"))
    query = {**signed(), "encrypt_type": "aes",
             "msg_signature": sign(TOKEN, "1411525903", "461056294", encrypted)}
    body = f"<xml><Encrypt>{encrypted}</Encrypt></xml>".encode()
    assert (await client.post(f"/wechat/{APP_ID}/callback", params=query, data=body)).status == 403
    good = frame(aes_key(AES_KEY), framed(_text(), APP_ID.encode()))
    query["msg_signature"] = sign(TOKEN, "1411525903", "461056294", good)
    body = f"<xml><Encrypt>{good}</Encrypt></xml>".encode()
    assert (await client.post(f"/wechat/{APP_ID}/callback", params=query, data=body)).status == 200


async def test_publish_job_finish_events_are_checked_where_they_enter(db: str, aiohttp_client: Any) -> None:
    """Issue 17: a PUBLISHJOBFINISH becomes one publish_finished event (a retry is one); a
    malformed one is 400 and stores nothing."""
    from models import InboundEvent

    client = await _client(aiohttp_client)

    def event(publish_id: str, status: str = "0") -> bytes:
        return ("<xml><ToUserName>gh_4d00ed8d6399</ToUserName><FromUserName>mphelper</FromUserName>"
                "<CreateTime>1700000000</CreateTime><MsgType>event</MsgType><Event>PUBLISHJOBFINISH</Event>"
                f"<PublishEventInfo><publish_id>{publish_id}</publish_id><publish_status>{status}"
                "</publish_status><article_id>2247483656_1</article_id><article_detail><count>1</count>"
                "<item><idx>1</idx><article_url>https://mp.weixin.qq.com/s/AbCd</article_url></item>"
                "</article_detail></PublishEventInfo></xml>").encode()

    for _ in range(2):
        resp = await client.post("/wechat/某某发布/callback", params=signed(), data=event("2247483656"))
        assert (resp.status, await resp.text()) == (200, "success")
    for bad in (event("22474836<56"), event("x" * 500), event("2247483656", "abc")):
        resp = await client.post("/wechat/某某发布/callback", params=signed(), data=bad)
        assert resp.status == 400
    await client.app[BOT].tasks.join()
    assert [e.kind for e in await InboundEvent.all()] == ["publish_finished"]
