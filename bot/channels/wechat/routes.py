"""``GET|POST /wechat/{account}/callback`` — an official account's server callback
(mp.weixin.qq.com 接入指南 / 消息加解密说明).

``{account}`` is the account's name in the registry or its AppID: at most 64 characters that
PostgreSQL can store, else 404 before any query. GET answers ``echostr`` when
``signature = sha1(sorted(token, timestamp, nonce))`` matches. POST accepts all three modes: plain
(signed the same way), compatible and safe (``encrypt_type=aes``: ``msg_signature`` over the
``Encrypt`` value too, the AES frame opened strictly with the account's EncodingAESKey and its
AppID checked — ``bot.channels.wxbiz.open_frame``, the same frame as WeCom's).

All checks go through ``bot.channels.verify`` (the same rules as every platform, docs/security.md):
query values printable ASCII of bounded length, the timestamp 1-11 digits within
``XMT_CALLBACK_MAX_AGE``, signatures in constant time; the XML refused if it declares anything or
nests deeper than 16, before wechatpy parses it. In plain mode the signature covers only the
query: the body is read after it and a captured query can be replayed with another body inside
the window (the dedupe by MsgId and the window limit it; see docs/security.md).

Followers' text messages become ``PublicInquiry`` events, deduped by account + MsgId (a long
MsgId is hashed into the key); the sender must look like an openid (1-64 of ``[A-Za-z0-9_-]``,
28 in practice). Other messages and events are acknowledged and noted. WeChat waits 5 seconds
and retries three times: the answer comes right after ``accept``.

A follower's question is answered at once with a passive reply (被动回复, a text message in the
response body, encrypted in safe mode): "留言已收到，会尽快答复". Once an account's server
callback is on (developer mode), WeChat's own auto-reply settings no longer run, so without it a
follower would hear nothing until an officer answers, maybe a working day later. A retry of the
same message gets the same reply (WeChat shows only one). Everything else is answered
``success`` (WeChat's "no reply").
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.messages import TextMessage as WechatText
from wechatpy.replies import TextReply

from bot import texts
from bot.channels import verify
from bot.channels.common import read_capped
from bot.channels.wechat.publish_events import publish_finished
from bot.channels.wxbiz import aes_key, open_frame, parse_envelope, scalar, xml_root
from bot.events import Event, PublicInquiry, PublishFinished
from models import Account

log = logging.getLogger("xmt.wechat")
MAX_BODY = 64 * 1024
MAX_ACCOUNT = 64  # account names and AppIDs (18 characters) are shorter
MAX_ECHOSTR = 256
PATH = "/wechat/{account}/callback"
CHANNEL = "wechat"
OPENID = re.compile(r"[A-Za-z0-9_\-]{1,64}")


def sign(*values: str) -> str:
    return hashlib.sha1("".join(sorted(values)).encode()).hexdigest()  # noqa: S324 — the protocol's


def setup(app: web.Application, *, accept: Callable[[Event], Awaitable[bool]],
          clock: Callable[[], datetime], max_age: int) -> None:

    async def account_of(request: web.Request) -> Account:
        key = request.match_info["account"]
        if not key or len(key) > MAX_ACCOUNT or not verify.storable(key):
            raise web.HTTPNotFound()
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
        verify.present(nonce)
        verify.ascii_token(nonce, name="nonce", max_len=verify.MAX_NONCE)
        verify.signed(ts, signature, unit="s", now=clock().timestamp(), max_age=max_age)
        verify.same(sign(token, ts, nonce), signature, fold_case=True)
        return ts, nonce

    async def verify_url(request: web.Request) -> web.Response:
        account = await account_of(request)
        try:
            check(request, account.wechat["token"])
            echostr = request.query.get("echostr", "")
            verify.ascii_token(echostr, name="echostr", max_len=MAX_ECHOSTR)
        except verify.Refused as exc:
            log.warning("wechat URL verification refused (%d): %s", exc.status, exc)
            raise verify.http_error(exc) from None
        return web.Response(text=echostr)

    def opened(request: web.Request, settings: dict[str, str], ts: str, nonce: str, raw: bytes) -> str:
        """The message XML: the body itself (plain mode) or the AES frame inside it, verified."""
        xml = verify.utf8(raw)
        if request.query.get("encrypt_type") == "aes":
            encrypted = parse_envelope(xml).encrypted  # Encrypt only, before the signature
            given = request.query.get("msg_signature", "")
            verify.present(given)
            verify.ascii_token(given, name="msg_signature", max_len=verify.MAX_SIGNATURE)
            verify.same(sign(settings["token"], ts, nonce, encrypted), given, fold_case=True)
            if not settings.get("aes_key") or not settings.get("app_id"):
                raise verify.Malformed("the account has no EncodingAESKey")
            xml = open_frame(aes_key(settings["aes_key"]), encrypted, settings["app_id"])
        verify.xml_guard(xml)
        return xml

    async def callback(request: web.Request) -> web.Response:
        account = await account_of(request)
        settings = account.wechat
        try:
            ts, nonce = check(request, settings["token"])
            xml = opened(request, settings, ts, nonce, await read_capped(request, MAX_BODY))
            finished = publish_finished(xml_root(xml))
            if finished is not None:  # a job the bot submitted has ended (issue 17)
                publish_id, status = finished
                done = PublishFinished(
                    channel=CHANNEL, sender=account.name, received_at=clock(),
                    key=verify.event_key(str(account.id), "publish", publish_id), account=account.name,
                    publish_id=publish_id, state=status.state, article_url=status.article_url,
                    article_id=status.article_id, reason=status.reason, code=status.code)
        except verify.Refused as exc:
            log.warning("wechat callback refused (%d): %s", exc.status, exc)
            raise verify.http_error(exc) from None
        if finished is not None:
            await accept(done)
            return web.Response(text="success")
        try:
            try:
                message = parse_message(xml)
            except Exception:  # wechatpy: KeyError/AttributeError/expat errors on odd documents
                raise verify.Malformed("not a WeChat message") from None
            if message is None:
                raise verify.Malformed("empty message")
            data = message._data if isinstance(message._data, dict) else {}
            inquiry = None
            if isinstance(message, WechatText) and account.status.live:
                openid = verify.ident(data.get("FromUserName"), name="FromUserName", max_len=64,
                                      pattern=OPENID)
                msg_id = scalar(data, "MsgId") or f"{openid}:{scalar(data, 'CreateTime')}"
                inquiry = PublicInquiry(
                    channel=CHANNEL, sender=openid, key=verify.event_key(str(account.id), msg_id),
                    received_at=clock(), account=account.name,
                    text=scalar(data, "Content").strip(), asker=openid)
        except verify.Refused as exc:
            log.warning("wechat callback refused (%d): %s", exc.status, exc)
            raise verify.http_error(exc) from None
        if inquiry is None or not inquiry.text:
            log.info("wechat %s message acknowledged and noted", message.type)
            return web.Response(text="success")
        await accept(inquiry)
        reply = TextReply(message=message, content=texts.FOLLOWER_ACK).render()
        if request.query.get("encrypt_type") == "aes":
            crypto = WeChatCrypto(settings["token"], settings["aes_key"], settings["app_id"])
            reply = crypto.encrypt_message(reply, nonce, ts)
        return web.Response(text=reply, content_type="application/xml")

    app.router.add_get(PATH, verify_url)
    app.router.add_post(PATH, callback)
