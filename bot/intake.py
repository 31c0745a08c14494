"""``POST /api/inquiries``: inquiries from other back-ends (Weibo, Toutiao, an app), one bearer
token per source (``XMT_INTAKE_TOKENS``). The schema is in docs/intake.md. Like a platform
callback: check, dedupe and store (``accept``), answer 202; the routing happens afterwards.

Checks go through the shared verification layer (``bot.channels.verify``, docs/security.md): the
``Authorization`` header must be ``Bearer`` and printable ASCII of bounded length before any
compare (a header with bytes that are not UTF-8 is a 401, not an encoding error), tokens are
compared in constant time on bytes; the body is UTF-8 JSON nested at most 16 deep (scanned before
``json.loads``); each field a string of bounded length that PostgreSQL can store (no NUL, no
lone surrogate from a ``\ud800`` escape) → else 422. The dedupe key is the source and its ``id``:
two sources may use the same ids.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.channels import verify
from bot.channels.common import read_capped
from bot.events import Event, PublicInquiry
from models import Account

MAX_BODY = 64 * 1024
LIMITS = {"account": 128, "text": 5000, "from": 128, "id": 128}


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


def setup(app: web.Application, *, sources: dict[str, str],
          accept: Callable[[Event], Awaitable[bool]], clock: Callable[[], datetime]) -> None:

    def source_of(request: web.Request) -> str | None:
        return verify.holder(sources, request.headers.get("Authorization", ""))

    async def intake(request: web.Request) -> web.Response:
        source = source_of(request)
        if source is None:
            return _error(401, "unauthorized", "a valid Bearer token is required")
        try:
            raw = verify.utf8(await read_capped(request, MAX_BODY))
            verify.json_depth(raw)
            body: Any = json.loads(raw)
        except (verify.Malformed, ValueError, RecursionError):
            return _error(400, "bad_json", "the body must be a JSON object (UTF-8, at most 16 levels deep)")
        if not isinstance(body, dict):
            return _error(400, "bad_json", "the body must be a JSON object")
        for field, limit in LIMITS.items():
            value = body.get(field)
            required = field in ("account", "text")
            if value is None and not required:
                continue
            if not isinstance(value, str) or not value.strip() or len(value) > limit \
                    or not verify.storable(value):
                return _error(422, "bad_field", f"{field}: a string of 1 to {limit} characters, "
                                                  "without NUL or lone surrogates")
        account = await Account.get_or_none(name=body["account"].strip())
        if account is None:
            return _error(404, "unknown_account", "no account with that name")
        if not account.status.live:  # not opened yet, or closed: nobody can write to it
            return _error(409, "account_not_operating", f"the account is {account.status.value}")
        key = verify.event_key(source, str(body.get("id") or uuid.uuid4().hex))
        event = PublicInquiry(channel="api", sender=source, key=key,
                              received_at=clock(), account=account.name, text=body["text"].strip(),
                              asker=str(body.get("from") or "").strip())
        fresh = await accept(event)
        return web.json_response({"accepted": fresh, "duplicate": not fresh}, status=202)

    app.router.add_post("/api/inquiries", intake)
