"""Pieces every platform channel needs: a sliding-window pacer, an HTTP client that times its
API calls, and a capped body reader. Platform specifics stay in each channel's folder."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web

if TYPE_CHECKING:
    from bot.metrics import Metrics


class RateWindow:
    """At most ``limit`` calls per ``period`` seconds per key (a sliding window)."""

    def __init__(self, limit: int, period: float, clock: Callable[[], float]) -> None:
        self.limit, self.period, self.clock = limit, period, clock
        self._calls: dict[str, deque[float]] = defaultdict(deque)

    def wait(self, key: str) -> float:
        """0 and the call is counted, or the seconds to wait before trying again."""
        now = self.clock()
        calls = self._calls[key]
        while calls and calls[0] <= now - self.period:
            calls.popleft()
        if len(calls) >= self.limit:
            return calls[0] + self.period - now
        calls.append(now)
        return 0.0


class HttpClient:
    """An aiohttp session created on first use (inside the running loop) and closed with the app.
    Every platform client is one; none logs URLs (they carry tokens).

    With ``metrics`` set (``bot.app`` does), each API call is timed per ``platform`` and path
    template (``measured``: the path as the client names it, never the URL with its token) and
    each answer that is not a success counted by its code (``api_error``)."""

    platform = "http"  # the platform label of this client's figures

    def __init__(self, timeout: float) -> None:
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self.metrics: Metrics | None = None

    @contextmanager
    def measured(self, path: str) -> Iterator[None]:
        """Time one call to ``path`` (a template such as ``message/send``); a network error or
        a timeout inside is counted as the code ``network``."""
        started = time.perf_counter()
        try:
            yield
        except (OSError, aiohttp.ClientError, TimeoutError):
            self.api_error("network")
            raise
        finally:
            if self.metrics is not None:
                self.metrics.api_call(self.platform, path, time.perf_counter() - started)

    def api_error(self, code: object) -> None:
        """Count an answer that was not a success by its code (an errcode, ``http_502``); 0,
        "0", "" and None are successes and not counted."""
        if self.metrics is not None and code not in (None, 0, "0", ""):
            self.metrics.api_error(self.platform, code)

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


async def read_capped(request: web.Request, limit: int) -> bytes:
    """The whole body, refused with 413 as soon as it passes ``limit`` (whatever the header said).

    ``limit`` counts the bytes the handler gets: aiohttp decompresses a ``Content-Encoding: gzip``
    or ``deflate`` body on the fly, so a small compressed body cannot expand past the cap. A body
    that does not decode (broken gzip, a chunk of the wrong size) is a 400, not an exception."""
    if request.content_length is not None and request.content_length > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length)
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := await request.content.read(limit + 1 - size if size <= limit else 1):
            size += len(chunk)
            if size > limit:
                raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=size)
            chunks.append(chunk)
    except web.RequestPayloadError:
        raise web.HTTPBadRequest(text="the body could not be decoded") from None
    return b"".join(chunks)
