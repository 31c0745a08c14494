"""``POST /dingtalk/robot`` and ``POST /dingtalk/card`` (HTTP mode).

Robot messages carry ``timestamp`` (ms) and ``sign`` = Base64(HmacSHA256(appSecret,
timestamp + "\\n" + appSecret)); card callbacks carry ``x-ddpaas-signature-timestamp`` and
``x-ddpaas-signature`` = Base64(HmacSHA256(apiSecret, timestamp)) — we register the card callback
with the app secret as apiSecret. The signatures do not cover the body, so a captured header pair
can be replayed inside the window: the dedupe in ``accept`` makes that harmless. Refusals: bad or
missing signature, stale timestamp → 403; junk → 400; too big → 413. Answers go out at once (a
card callback must be answered within 2 s); the work happens afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web

from bot.channels.common import read_capped
from bot.channels.dingtalk.parse import (
    Malformed,
    Session,
    loads,
    parse_card_callback,
    parse_robot_message,
)
from bot.channels.dingtalk.sign import card_sign, fresh, robot_sign, same
from bot.events import Event

log = logging.getLogger("xmt.dingtalk")
MAX_BODY = 64 * 1024
ROBOT_PATH, CARD_PATH = "/dingtalk/robot", "/dingtalk/card"


def setup(app: web.Application, *, secret: str, accept: Callable[[Event], Awaitable[bool]],
          remember: Callable[[Session], None], clock: Callable[[], datetime], max_age: int) -> None:

    def check(ts: str, sig: str, expected: Callable[[str], str]) -> None:
        if not ts or not sig or not fresh(ts, clock().timestamp() * 1000, max_age):
            log.warning("dingtalk callback refused: missing or stale timestamp")
            raise web.HTTPForbidden()
        if not same(expected(ts), sig):
            log.warning("dingtalk callback refused: bad signature")
            raise web.HTTPForbidden()

    async def robot(request: web.Request) -> web.Response:
        check(request.headers.get("timestamp", ""), request.headers.get("sign", ""),
              lambda ts: robot_sign(ts, secret))
        raw = await read_capped(request, MAX_BODY)
        try:
            events, session = parse_robot_message(loads(raw), clock())
        except Malformed as exc:
            log.warning("dingtalk robot message malformed: %s", exc)
            raise web.HTTPBadRequest() from None
        if session is not None:
            remember(session)
        for event in events:
            await accept(event)
        return web.Response(status=200, body=b"")

    async def card(request: web.Request) -> web.Response:
        check(request.headers.get("x-ddpaas-signature-timestamp", ""),
              request.headers.get("x-ddpaas-signature", ""), lambda ts: card_sign(ts, secret))
        raw = await read_capped(request, MAX_BODY)
        try:
            event = parse_card_callback(loads(raw), clock())
        except Malformed as exc:
            log.warning("dingtalk card callback malformed: %s", exc)
            raise web.HTTPBadRequest() from None
        await accept(event)
        # No card change in the answer: the outcome is written to every copy after the work.
        return web.json_response({})

    app.router.add_post(ROBOT_PATH, robot)
    app.router.add_post(CARD_PATH, card)
