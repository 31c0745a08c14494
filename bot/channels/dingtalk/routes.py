"""``POST /dingtalk/robot``, ``POST /dingtalk/card`` and ``POST /dingtalk/event`` (HTTP mode).

Robot messages carry ``timestamp`` (ms) and ``sign`` = Base64(HmacSHA256(appSecret,
timestamp + "\\n" + appSecret)); card callbacks carry ``x-ddpaas-signature-timestamp`` and
``x-ddpaas-signature`` = Base64(HmacSHA256(apiSecret, timestamp)) — we register the card callback
with the app secret as apiSecret.

The headers are checked first, through the shared verification layer (``bot.channels.verify``):
present, printable ASCII (a header with bytes that are not UTF-8 is refused, not encoded), the
timestamp 1-13 digits within ``XMT_CALLBACK_MAX_AGE`` and never more than DingTalk's own 1 hour,
the signature compared in constant time; only then is the body read and parsed (depth-checked
before ``json.loads``). The signatures do not cover the body, so a captured header pair can be
replayed with another body inside the window: the dedupe in ``accept`` (by msgId / card + user +
params), the window and the reply hosts limit what that can do (docs/security.md).

Refusals: missing signature, bad signature or stale timestamp → 403; a malformed header or body →
400; too big → 413. Answers go out at once (a card callback must be answered within 2 s); the
work happens afterwards.

``/dingtalk/event`` is the encrypted event subscription (事件订阅, HTTP push; wired only when
``XMT_DINGTALK_EVENT_TOKEN`` and ``XMT_DINGTALK_EVENT_AES_KEY`` are set): the query carries
``msg_signature``/``timeStamp``/``nonce`` (older pages) or ``signature``/``timestamp``/``nonce``
(newer ones) — either is read —, the body is ``{"encrypt": "…"}``. The signature is sha1 over
token, timestamp (ms), nonce and ``encrypt`` sorted; checked (constant time) before anything is
decrypted, the timestamp within ``XMT_CALLBACK_MAX_AGE`` and DingTalk's hour. The plaintext is
parsed by ``bot.channels.dingtalk.events``; address-book changes are stored (``accept``), the
``check_url`` sent when the URL is saved and every other type are only answered. The answer is
always the encrypted ``"success"`` (``{"msg_signature", "timeStamp", "nonce", "encrypt"}``),
which DingTalk wants within 1.5 s: nothing but one INSERT per person happens before it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web

from bot.channels import verify
from bot.channels.common import read_capped
from bot.channels.dingtalk.events import CHECK_URL, EventCrypto, parse_plaintext
from bot.channels.dingtalk.parse import Session, loads, parse_card_callback, parse_robot_message
from bot.channels.dingtalk.sign import card_sign, robot_sign
from bot.events import Event

log = logging.getLogger("xmt.dingtalk")
MAX_BODY = 64 * 1024
ROBOT_PATH, CARD_PATH, EVENT_PATH = "/dingtalk/robot", "/dingtalk/card", "/dingtalk/event"


def setup(app: web.Application, *, secret: str, accept: Callable[[Event], Awaitable[bool]],
          remember: Callable[[Session], None], clock: Callable[[], datetime], max_age: int) -> None:

    def check(ts: str, sig: str, expected: Callable[[str], str]) -> None:
        verify.signed(ts, sig, unit="ms", now=clock().timestamp(), max_age=max_age,
                      hard_limit=verify.DINGTALK_MAX_SKEW)
        verify.same(expected(ts), sig)

    async def robot(request: web.Request) -> web.Response:
        try:
            check(request.headers.get("timestamp", ""), request.headers.get("sign", ""),
                  lambda ts: robot_sign(ts, secret))
            events, session = parse_robot_message(loads(await read_capped(request, MAX_BODY)), clock())
        except verify.Refused as exc:
            log.warning("dingtalk robot message refused (%d): %s", exc.status, exc)
            raise verify.http_error(exc) from None
        if session is not None:
            remember(session)
        for event in events:
            await accept(event)
        return web.Response(status=200, body=b"")

    async def card(request: web.Request) -> web.Response:
        try:
            check(request.headers.get("x-ddpaas-signature-timestamp", ""),
                  request.headers.get("x-ddpaas-signature", ""), lambda ts: card_sign(ts, secret))
            event = parse_card_callback(loads(await read_capped(request, MAX_BODY)), clock())
        except verify.Refused as exc:
            log.warning("dingtalk card callback refused (%d): %s", exc.status, exc)
            raise verify.http_error(exc) from None
        await accept(event)
        # No card change in the answer: the outcome is written to every copy after the work.
        return web.json_response({})

    app.router.add_post(ROBOT_PATH, robot)
    app.router.add_post(CARD_PATH, card)


def setup_events(app: web.Application, *, crypto: EventCrypto, accept: Callable[[Event], Awaitable[bool]],
                 clock: Callable[[], datetime], max_age: int) -> None:
    """``POST /dingtalk/event``: the encrypted HTTP event subscription (see the module docstring)."""

    async def event(request: web.Request) -> web.Response:
        raw = await read_capped(request, MAX_BODY)
        q = request.query
        sig = q.get("msg_signature") or q.get("signature", "")
        ts = q.get("timeStamp") or q.get("timestamp", "")
        nonce = q.get("nonce", "")
        try:
            verify.present(nonce)
            verify.ascii_token(nonce, name="nonce", max_len=verify.MAX_NONCE)
            verify.signed(ts, sig, unit="ms", now=clock().timestamp(), max_age=max_age,
                          hard_limit=verify.DINGTALK_MAX_SKEW)
            encrypted = loads(raw).get("encrypt")
            if not isinstance(encrypted, str) or not encrypted:
                raise verify.Malformed("no encrypt")
            crypto.verify(sig, ts, nonce, encrypted)
            kind, events = parse_plaintext(crypto.decrypt(encrypted), clock())
        except verify.Refused as exc:
            log.warning("dingtalk event refused (%d): %s", exc.status, exc)
            raise verify.http_error(exc) from None
        for change in events:
            if not await accept(change):
                log.info("dingtalk event repeated: %s", change.key)
        if kind == CHECK_URL:
            log.info("dingtalk event URL checked")
        elif not events:
            log.info("dingtalk event %s acknowledged and ignored", kind[:64])
        return web.json_response(crypto.reply("success", int(clock().timestamp() * 1000),
                                              secrets.token_hex(4)))

    app.router.add_post(EVENT_PATH, event)
