"""``POST /dingtalk/robot`` and ``POST /dingtalk/card`` (HTTP mode).

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
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web

from bot.channels import verify
from bot.channels.common import read_capped
from bot.channels.dingtalk.parse import Session, loads, parse_card_callback, parse_robot_message
from bot.channels.dingtalk.sign import card_sign, robot_sign
from bot.events import Event

log = logging.getLogger("xmt.dingtalk")
MAX_BODY = 64 * 1024
ROBOT_PATH, CARD_PATH = "/dingtalk/robot", "/dingtalk/card"


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
