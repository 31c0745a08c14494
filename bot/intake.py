"""``POST /api/inquiries``: inquiries from other back-ends (Weibo, Toutiao, an app), one bearer
token per source (``XMT_INTAKE_TOKENS``). The schema is in docs/intake.md. Like a platform
callback: check, dedupe and store (``accept``), answer 202; the routing happens afterwards.
"""

from __future__ import annotations

import hmac
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.channels.common import read_capped
from bot.events import Event, PublicInquiry
from models import Account, AccountStatus

MAX_BODY = 64 * 1024
LIMITS = {"account": 128, "text": 5000, "from": 128, "id": 128}


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


def setup(app: web.Application, *, sources: dict[str, str],
          accept: Callable[[Event], Awaitable[bool]], clock: Callable[[], datetime]) -> None:

    def source_of(request: web.Request) -> str | None:
        auth = request.headers.get("Authorization", "")
        given = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        for token, source in sources.items():
            if given and hmac.compare_digest(token.encode(), given.encode()):
                return source
        return None

    async def intake(request: web.Request) -> web.Response:
        source = source_of(request)
        if source is None:
            return _error(401, "unauthorized", "a valid Bearer token is required")
        try:
            body: Any = json.loads(await read_capped(request, MAX_BODY))
        except ValueError:
            return _error(400, "bad_json", "the body must be a JSON object")
        if not isinstance(body, dict):
            return _error(400, "bad_json", "the body must be a JSON object")
        for field, limit in LIMITS.items():
            value = body.get(field)
            required = field in ("account", "text")
            if value is None and not required:
                continue
            if not isinstance(value, str) or not value.strip() or len(value) > limit:
                return _error(422, "bad_field", f"{field}: a string of 1 to {limit} characters")
        account = await Account.get_or_none(name=body["account"].strip())
        if account is None:
            return _error(404, "unknown_account", "no account with that name")
        if account.status != AccountStatus.OPERATING:
            return _error(409, "account_not_operating", f"the account is {account.status.value}")
        event = PublicInquiry(channel="api", sender=source, key=str(body.get("id") or uuid.uuid4().hex),
                              received_at=clock(), account=account.name, text=body["text"].strip(),
                              asker=str(body.get("from") or "").strip())
        fresh = await accept(event)
        return web.json_response({"accepted": fresh, "duplicate": not fresh}, status=202)

    app.router.add_post("/api/inquiries", intake)
