"""``/wechat/{account}/callback``: an official account's followers' questions become inquiries;
wechatpy's own vectors through the real endpoint (safe mode), plain mode, and refusals."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import BOT, create_app
from bot.channels.wechat.routes import sign
from bot.org import import_file
from models import Account, Inquiry
from tests.bot.channels.wecom.test_parse import WECHATPY_POST
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
    for _ in range(3):  # WeChat retries an unanswered callback
        resp = await client.post(f"/wechat/{APP_ID}/callback", params=params, data=body.encode())
        assert (resp.status, await resp.text()) == (200, "success")
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
    for xml in (text, event):
        resp = await client.post("/wechat/某某发布/callback", params=signed(), data=xml.encode())
        assert (resp.status, await resp.text()) == (200, "success")
    assert (await client.post("/wechat/某某发布/callback", params=signed(), data=b"<xml")).status == 400
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Content>&a;</Content></xml>'
    assert (await client.post("/wechat/某某发布/callback", params=signed(), data=bomb)).status == 400
    await client.app[BOT].tasks.join()
    assert [q.text for q in await Inquiry.all()] == ["办事指南在哪？"]
    from models import OutboxMessage

    cards = await OutboxMessage.filter(card_id="inq-1").values_list("person__code", flat=True)
    assert sorted(str(c) for c in cards) == ["chenqi", "zhangsan"]  # routed to the officers
