"""Build really signed and encrypted WeCom callbacks, as WeCom sends them (doc 90238, 91144)."""

from __future__ import annotations

import base64
import itertools
from typing import Any
from xml.sax.saxutils import escape

from aiohttp.test_utils import TestClient
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.channels.wxbiz import Crypto, parse_envelope, signature

TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
CORP_ID = "ww1436e0e65a779aee"
AGENT_ID = 1000002
SECRET = "test-secret"


def wecom_settings(api_base: str = "http://127.0.0.1:9", **kw: Any) -> dict[str, Any]:
    return {"wecom_corp_id": CORP_ID, "wecom_agent_id": AGENT_ID, "wecom_secret": SECRET,
            "wecom_token": TOKEN, "wecom_aes_key": AES_KEY, "wecom_api_base": api_base,
            "simulator": False, **kw}


def encrypt_reply(crypto: Crypto, xml: str, nonce: str, timestamp: str) -> str:
    """The encrypted envelope (``<xml><Encrypt>…``) WeCom would send for ``xml``, made by wechatpy:
    the bot itself only opens frames (``Crypto.decrypt``)."""
    aes_key_text = base64.b64encode(crypto.key).decode().rstrip("=")
    wechat = WeChatCrypto(crypto.token, aes_key_text, crypto.corp_id)
    return str(wechat.encrypt_message(xml, nonce, timestamp))


class WeComSender:
    """Plays WeCom's side of the callback."""

    def __init__(self, crypto: Crypto | None = None, now: float = 1_800_000_000) -> None:
        self.crypto = crypto or Crypto(TOKEN, AES_KEY, CORP_ID)
        self.now = int(now)
        self.ids = itertools.count(1000)

    def envelope(self, plaintext: str, timestamp: int | None = None) -> tuple[dict[str, str], str]:
        ts = str(timestamp if timestamp is not None else self.now)
        nonce = str(next(self.ids))
        encrypted = parse_envelope(encrypt_reply(self.crypto, plaintext, nonce, ts)).encrypted
        query = {"msg_signature": signature(TOKEN, ts, nonce, encrypted), "timestamp": ts,
                 "nonce": nonce}
        body = (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>"
                f"<AgentID><![CDATA[{AGENT_ID}]]></AgentID>"
                f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>")
        return query, body

    def text(self, user: str, content: str, msg_id: str | None = None) -> str:
        return (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>"
                f"<FromUserName><![CDATA[{user}]]></FromUserName><CreateTime>{self.now}</CreateTime>"
                f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
                f"<MsgId>{msg_id or next(self.ids)}</MsgId><AgentID>{AGENT_ID}</AgentID></xml>")

    def image(self, user: str, media_id: str) -> str:
        return (f"<xml><ToUserName>{CORP_ID}</ToUserName><FromUserName>{user}</FromUserName>"
                f"<CreateTime>{self.now}</CreateTime><MsgType>image</MsgType>"
                f"<PicUrl>http://127.0.0.1:9/p.jpg</PicUrl><MediaId>{media_id}</MediaId>"
                f"<MsgId>{next(self.ids)}</MsgId><AgentID>{AGENT_ID}</AgentID></xml>")

    def tap(self, user: str, task_id: str, key: str, response_code: str) -> str:
        return (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>"
                f"<FromUserName><![CDATA[{user}]]></FromUserName><CreateTime>{self.now}</CreateTime>"
                f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event>"
                f"<EventKey><![CDATA[{escape(key)}]]></EventKey><TaskId><![CDATA[{task_id}]]></TaskId>"
                f"<CardType><![CDATA[button_interaction]]></CardType>"
                f"<ResponseCode><![CDATA[{response_code}]]></ResponseCode><AgentID>{AGENT_ID}</AgentID>"
                f"</xml>")

    async def post(self, client: TestClient, plaintext: str, timestamp: int | None = None) -> int:  # type: ignore[type-arg]
        query, body = self.envelope(plaintext, timestamp)
        resp = await client.post("/wecom/callback", params=query, data=body.encode())
        assert await resp.read() == b"" or resp.status != 200
        return resp.status


async def wecom_app(fake: Any, aiohttp_client: Any, clock: Any) -> tuple[TestClient, Any]:  # type: ignore[type-arg]
    """The bot's app with only the WeCom channel, its client on ``fake`` (a started
    ``tests.fake_wecom.FakeWeCom``, whose clock paces it), the demo organisation imported; no
    worker, no scheduler (tests drive them). Returns the test client and the channel, whose
    client the caller closes."""
    from bot.app import create_app
    from bot.channels.wecom.channel import WeComChannel
    from bot.channels.wecom.client import WeComClient
    from bot.org import import_file
    from tests.conftest import DEMO_ORG, make_settings

    fake.agent_id = AGENT_ID
    channel = WeComChannel(WeComClient(base=fake.base_url, corp_id=CORP_ID, secret=SECRET, timeout=1.0,
                                       clock=fake.clock), AGENT_ID, clock=fake.clock)
    app = create_app(make_settings(**wecom_settings(api_base=fake.base_url)), channels=[channel],
                     manage_database=False, run_scheduler=False, run_worker=False, clock=clock)
    client = await aiohttp_client(app)
    await import_file(DEMO_ORG, now=clock.now)
    return client, channel
