"""``GET|POST /wecom/callback`` (doc 90238, 91116, 91144).

GET verifies the URL: signature over ``echostr``, decrypt, answer the plaintext (within 1 s).
POST: cap the body (64 KiB), parse the envelope, check the timestamp's age
(``XMT_CALLBACK_MAX_AGE``; WeCom itself documents no window), verify the signature with a
constant-time compare, decrypt and check the CorpID, parse, dedupe and store (``accept``), and
answer HTTP 200 with an empty body — before any work. Refusals: a bad signature, a wrong CorpID
or a stale timestamp → 403 without detail; malformed → 400; too big → 413. WeCom resends an
unanswered or non-200 callback up to three more times; ``accept`` makes the repeats no-ops.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web

from bot.channels.common import read_capped
from bot.channels.wecom.crypto import BadCiphertext, BadSignature, Crypto, WrongCorp
from bot.channels.wecom.parse import Malformed, parse_envelope, parse_plaintext
from bot.events import Event

log = logging.getLogger("xmt.wecom")
MAX_BODY = 64 * 1024
PATH = "/wecom/callback"


def setup(app: web.Application, *, crypto: Crypto, accept: Callable[[Event], Awaitable[bool]],
          clock: Callable[[], datetime], max_age: int) -> None:

    def signed(request: web.Request) -> tuple[str, str, str]:
        q = request.query
        sig, ts, nonce = q.get("msg_signature", ""), q.get("timestamp", ""), q.get("nonce", "")
        if not (sig and ts and nonce):
            raise web.HTTPBadRequest()
        try:
            stamp = int(ts)
        except ValueError:
            raise web.HTTPBadRequest() from None
        if max_age and abs(clock().timestamp() - stamp) > max_age:
            log.warning("wecom callback refused: stale timestamp")
            raise web.HTTPForbidden()
        return sig, ts, nonce

    async def verify_url(request: web.Request) -> web.Response:
        sig, ts, nonce = signed(request)
        # aiohttp decodes %2B to "+"; a literal "+" would arrive as a space (91116).
        echostr = request.query.get("echostr", "").replace(" ", "+")
        if not echostr:
            raise web.HTTPBadRequest()
        try:
            crypto.verify(sig, ts, nonce, echostr)
            plain = crypto.decrypt(echostr)
        except (BadSignature, WrongCorp):
            log.warning("wecom URL verification refused")
            raise web.HTTPForbidden() from None
        except BadCiphertext:
            raise web.HTTPBadRequest() from None
        return web.Response(text=plain, content_type="text/plain")

    async def callback(request: web.Request) -> web.Response:
        raw = await read_capped(request, MAX_BODY)
        sig, ts, nonce = signed(request)
        try:
            envelope = parse_envelope(raw.decode("utf-8"))
            crypto.verify(sig, ts, nonce, envelope.encrypted)
            plain = crypto.decrypt(envelope.encrypted)
            event = parse_plaintext(plain, clock())
        except (BadSignature, WrongCorp) as exc:
            log.warning("wecom callback refused: %s", type(exc).__name__)
            raise web.HTTPForbidden() from None
        except (Malformed, BadCiphertext, UnicodeDecodeError) as exc:
            log.warning("wecom callback malformed: %s", exc)
            raise web.HTTPBadRequest() from None
        if event is None:
            log.info("wecom event acknowledged and ignored")
        elif not await accept(event):
            log.info("wecom callback repeated: %s", event.key)
        return web.Response(status=200, body=b"")

    app.router.add_get(PATH, verify_url)
    app.router.add_post(PATH, callback)
