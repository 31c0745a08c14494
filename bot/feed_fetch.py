"""Reading an account's RSS/Atom feed over HTTP for the watch (issue 17): one aiohttp session,
opened on first use and closed with the app, a timeout, and the body cut off past
``bot.feeds.MAX_BYTES`` (a feed is someone else's server: it may be slow, huge or wrong). Only
http and https URLs; a non-2xx answer is an ``OSError`` the watch skips until its next run."""

from __future__ import annotations

import aiohttp
from yarl import URL

from bot.feeds import MAX_BYTES, FeedError


class FeedFetcher:
    def __init__(self, timeout: float = 20.0) -> None:
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def __call__(self, url: str) -> bytes:
        if URL(url).scheme not in ("http", "https"):
            raise FeedError(f"not an http(s) feed URL: {url[:100]}")
        try:
            async with self.session().get(url, headers={"Accept": "application/rss+xml, "
                                                         "application/atom+xml, application/xml"}) as resp:
                if resp.status // 100 != 2:
                    raise OSError(f"feed answered HTTP {resp.status}")
                data = await resp.content.read(MAX_BYTES + 1)
        except aiohttp.ClientError as exc:
            raise OSError(f"feed not read: {type(exc).__name__}") from None
        if len(data) > MAX_BYTES:
            raise FeedError("feed larger than 5 MB")
        return data
