"""Reading an account's RSS/Atom feed over HTTP for the watch (issue 17): one aiohttp session,
opened on first use and closed with the app, a timeout, and the body cut off past
``bot.feeds.MAX_BYTES`` (a feed is someone else's server: it may be slow, huge or wrong). Only
http and https URLs; a non-2xx answer is an ``OSError`` the watch skips until its next run."""

from __future__ import annotations

import aiohttp
from yarl import URL

from bot.channels.common import HttpClient
from bot.feeds import MAX_BYTES, FeedError


class FeedFetcher(HttpClient):
    def __init__(self, timeout: float = 20.0) -> None:
        super().__init__(timeout)

    async def __call__(self, url: str) -> bytes:
        if URL(url).scheme not in ("http", "https"):
            raise FeedError(f"not an http(s) feed URL: {url[:100]}")
        try:
            async with self.session.get(url, headers={"Accept": "application/rss+xml, "
                                                         "application/atom+xml, application/xml"}) as resp:
                if resp.status // 100 != 2:
                    raise OSError(f"feed answered HTTP {resp.status}")
                # StreamReader.read(n) answers with what has arrived, up to n: the body is
                # gathered chunk by chunk, and given up as soon as it passes the limit.
                data = bytearray()
                async for chunk in resp.content.iter_chunked(64 * 1024):
                    data += chunk
                    if len(data) > MAX_BYTES:
                        raise FeedError("feed larger than 5 MB")
        except aiohttp.ClientError as exc:
            raise OSError(f"feed not read: {type(exc).__name__}") from None
        return bytes(data)
