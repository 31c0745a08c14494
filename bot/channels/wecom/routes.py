"""``GET|POST /wecom/callback`` (doc 90238, 91116, 91144).

GET verifies the URL: signature over ``echostr``, decrypt, answer the plaintext (within 1 s).
POST: cap the body (64 KiB), check the query through the shared verification layer
(``bot.channels.verify``: every value printable ASCII of bounded length, the timestamp 1-11
digits and within ``XMT_CALLBACK_MAX_AGE`` — WeCom itself documents no window), read the envelope
for ``Encrypt`` only, verify the signature (constant time), open the AES frame strictly and check
the CorpID, and only then parse the message; dedupe and store (``accept``) and answer HTTP 200
with an empty body — before any work.

Refusals (docs/security.md): no signature or timestamp, a bad signature, a wrong CorpID or a stale
timestamp → 403 without detail; anything malformed (query values, XML with a declaration or
nested too deep, a broken AES frame, a bad plaintext) → 400; too big → 413. WeCom resends an
unanswered or non-200 callback up to three more times; ``accept`` makes the repeats no-ops.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web

from bot.channels import verify
from bot.channels.common import read_capped
from bot.channels.wecom.parse import parse_plaintext
from bot.channels.wxbiz import Crypto, parse_envelope
from bot.events import Event

log = logging.getLogger("xmt.wecom")
MAX_BODY = 64 * 1024
MAX_ECHOSTR = 4096
PATH = "/wecom/callback"


def setup(app: web.Application, *, crypto: Crypto, accept: Callable[[Event], Awaitable[bool]],
          clock: Callable[[], datetime], max_age: int) -> None:

    def signed(request: web.Request) -> tuple[str, str, str]:
        q = request.query
        sig, ts, nonce = q.get("msg_signature", ""), q.get("timestamp", ""), q.get("nonce", "")
        verify.present(nonce)
        verify.ascii_token(nonce, name="nonce", max_len=verify.MAX_NONCE)
        verify.signed(ts, sig, unit="s", now=clock().timestamp(), max_age=max_age)
        return sig, ts, nonce

    async def verify_url(request: web.Request) -> web.Response:
        try:
            sig, ts, nonce = signed(request)
            # aiohttp decodes %2B to "+"; a literal "+" would arrive as a space (91116).
            echostr = request.query.get("echostr", "").replace(" ", "+")
            verify.present(echostr)
            verify.ascii_token(echostr, name="echostr", max_len=MAX_ECHOSTR)
            crypto.verify(sig, ts, nonce, echostr)
            plain = crypto.decrypt(echostr)
        except verify.Refused as exc:
            log.warning("wecom URL verification refused: %s", type(exc).__name__)
            raise verify.http_error(exc) from None
        return web.Response(text=plain, content_type="text/plain")

    async def callback(request: web.Request) -> web.Response:
        raw = await read_capped(request, MAX_BODY)
        try:
            sig, ts, nonce = signed(request)
            envelope = parse_envelope(verify.utf8(raw))  # Encrypt only, before the signature
            crypto.verify(sig, ts, nonce, envelope.encrypted)
            plain = crypto.decrypt(envelope.encrypted)
            event = parse_plaintext(plain, clock())
        except verify.Refused as exc:
            log.warning("wecom callback refused (%d): %s", exc.status, exc)
            raise verify.http_error(exc) from None
        if event is None:
            log.info("wecom event acknowledged and ignored")
        elif not await accept(event):
            log.info("wecom callback repeated: %s", event.key)
        return web.Response(status=200, body=b"")

    app.router.add_get(PATH, verify_url)
    app.router.add_post(PATH, callback)
