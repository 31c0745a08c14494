"""Access tokens: the cache every platform client keeps (``TokenCache``) and the one retry every
client makes when a token is refused (``with_renewal``).

WeCom (40014 / 41001 / 42001), DingTalk (HTTP 401 / ``InvalidAuthentication`` on the new API,
40014 / 42001 on oapi) and WeChat official accounts (40001 / 40014 / 42001) each refuse a call
whose access token they no longer accept, although our cache (``TokenCache``:
one fetch however many callers, renewed ``margin`` seconds before expiry) still holds it: the
platform rotated it, or was restarted. The answer is the same everywhere: drop that token, fetch
a new one, try the call once more. A renewed token refused too means the platform is having a bad
moment (a WeCom 42001 can last tens of seconds after a rotation): the error is temporary (a
``DeliveryError``), the outbox backs off and its next attempt renews again. Treating it as
permanent once lost 140 of 640 messages in a 20-second 42001 window.

A client's attempt says "token refused" by raising ``TokenRefused``; ``with_renewal`` does the
rest. Nothing here knows a platform's codes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.channels.base import DeliveryError

T = TypeVar("T")


class TokenCache:
    """An access token fetched once however many callers need it at the same moment, kept until
    ``margin`` seconds before it expires, and dropped when the platform refuses it."""

    def __init__(self, fetch: Callable[[], Awaitable[tuple[str, float]]], *,
                 clock: Callable[[], float], margin: float) -> None:
        self._fetch = fetch  # → (token, seconds it is valid)
        self.clock = clock
        self.margin = margin
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> str:
        if self._token is not None and self.clock() < self._expires:
            return self._token
        async with self._lock:
            if self._token is not None and self.clock() < self._expires:
                return self._token
            token, valid_for = await self._fetch()
            self._token, self._expires = token, self.clock() + valid_for - self.margin
            return token

    def drop(self, stale: str) -> None:
        """Forget ``stale`` (unless another caller already replaced it)."""
        if self._token == stale:
            self._token = None


class TokenRefused(DeliveryError):
    """The platform refused the attempt's access token. Raised inside ``with_renewal``, which
    renews it and tries once more; if the renewed token is refused too, the call raises
    ``after_renewal`` (by default this error itself, temporary)."""

    def __init__(self, message: str, *, after_renewal: DeliveryError | None = None) -> None:
        super().__init__(message)
        self.after_renewal: DeliveryError = after_renewal if after_renewal is not None else self


async def with_renewal(tokens: TokenCache, attempt: Callable[[str], Awaitable[T]]) -> T:
    """``attempt(token)`` with the cached token; when it raises ``TokenRefused`` the token is
    dropped and the attempt made again with a fresh one. A second refusal drops that one too (the
    next call fetches again) and raises the refusal's ``after_renewal``."""
    token = await tokens.get()
    try:
        return await attempt(token)
    except TokenRefused:
        tokens.drop(token)
    token = await tokens.get()
    try:
        return await attempt(token)
    except TokenRefused as exc:
        tokens.drop(token)
        raise exc.after_renewal from None
