"""``GET|POST /wechat/{account}/callback`` — an official account's server callback
(mp.weixin.qq.com 接入指南 / 消息加解密说明).

``{account}`` is the account's name in the registry or its AppID. GET answers ``echostr`` when
``signature = sha1(sorted(token, timestamp, nonce))`` matches. POST accepts all three modes: plain
(signed the same way), compatible and safe (``encrypt_type=aes``: ``msg_signature`` over the
``Encrypt`` value too, AES with the account's EncodingAESKey, AppID checked — wechatpy's crypto).
Followers' text messages become ``PublicInquiry`` events (deduped by MsgId); other messages and
events are acknowledged and noted. WeChat waits 5 seconds and retries three times: the answer is
``success`` right after ``accept``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web
from wechatpy import parse_message
from wechatpy.crypto import PrpCrypto
from wechatpy.exceptions import InvalidAppIdException
from wechatpy.messages import TextMessage as WechatText

from bot.channels.common import read_capped
from bot.channels.wecom.parse import Malformed, parse_envelope
from bot.events import Event, PublicInquiry
from models import Account, AccountStatus

log = logging.getLogger("xmt.wechat")
MAX_BODY = 64 * 1024
PATH = "/wechat/{account}/callback"
CHANNEL = "wechat"


def sign(*values: str) -> str:
    return hashlib.sha1("".join(sorted(values)).encode()).hexdigest()  # noqa: S324 — the protocol's


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.lower().encode())


def setup(app: web.Application, *, accept: Callable[[Event], Awaitable[bool]],
          clock: Callable[[], datetime], max_age: int) -> None:

    async def account_of(request: web.Request) -> Account:
        key = request.match_info["account"]
        account = await Account.get_or_none(name=key)
        if account is None:  # or by AppID (a handful of accounts have WeChat settings)
            for candidate in await Account.exclude(wechat={}):
                if candidate.wechat.get("app_id") == key:
                    account = candidate
                    break
        if account is None or not account.wechat.get("token"):
            raise web.HTTPNotFound()
        return account

    def check(request: web.Request, token: str) -> tuple[str, str]:
        q = request.query
        ts, nonce, signature = q.get("timestamp", ""), q.get("nonce", ""), q.get("signature", "")
        if not (ts and nonce and signature):
            raise web.HTTPBadRequest()
        try:
            stamp = int(ts)
        except ValueError:
            raise web.HTTPBadRequest() from None
        if max_age and abs(clock().timestamp() - stamp) > max_age:
            raise web.HTTPForbidden()
        if not same(sign(token, ts, nonce), signature):
            log.warning("wechat callback refused: bad signature")
            raise web.HTTPForbidden()
        return ts, nonce

    async def verify(request: web.Request) -> web.Response:
        account = await account_of(request)
        check(request, account.wechat["token"])
        return web.Response(text=request.query.get("echostr", ""))

    async def callback(request: web.Request) -> web.Response:
        account = await account_of(request)
        settings = account.wechat
        ts, nonce = check(request, settings["token"])
        raw = (await read_capped(request, MAX_BODY)).decode("utf-8", errors="replace")
        xml = raw
        if request.query.get("encrypt_type") == "aes":
            try:
                encrypted = parse_envelope(raw).encrypted
            except Malformed:
                raise web.HTTPBadRequest() from None
            if not same(sign(settings["token"], ts, nonce, encrypted),
                        request.query.get("msg_signature", "")):
                raise web.HTTPForbidden()
            if not settings.get("aes_key"):
                raise web.HTTPBadRequest()
            try:
                key = base64.b64decode(settings["aes_key"] + "=")
                xml = str(PrpCrypto(key).decrypt(encrypted, settings["app_id"]))
            except InvalidAppIdException:
                raise web.HTTPForbidden() from None
            except Exception:
                raise web.HTTPBadRequest() from None
        if "<!DOCTYPE" in xml or "<!ENTITY" in xml:
            raise web.HTTPBadRequest()
        try:
            message = parse_message(xml)
        except Exception:
            raise web.HTTPBadRequest() from None
        if message is None:
            raise web.HTTPBadRequest()
        if isinstance(message, WechatText) and account.status == AccountStatus.OPERATING:
            msg_id = str(message._data.get("MsgId") or f"{message.source}:{message.time}")
            await accept(PublicInquiry(
                channel=CHANNEL, sender=message.source, key=f"{account.id}:{msg_id}",
                received_at=clock(), account=account.name,
                text=str(message.content or "").strip(), asker=message.source))
        else:
            log.info("wechat %s message acknowledged and noted", message.type)
        return web.Response(text="success")

    app.router.add_get(PATH, verify)
    app.router.add_post(PATH, callback)
