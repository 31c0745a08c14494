"""bot.feed_fetch: an account's RSS/Atom feed read over HTTP for the watch (Art. 10 先审后发,
Art. 11): a feed is someone else's server, so a wrong answer is an error the watch skips until its
next run, and a huge body is cut off, never read whole. A local aiohttp server on 127.0.0.1 serves
the fixture feeds in tests/data/feeds/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.feed_fetch import FeedFetcher
from bot.feeds import MAX_BYTES, FeedError, parse_feed

SEEN = web.AppKey("seen", list[str])
FEEDS = Path(__file__).resolve().parent.parent / "data" / "feeds"


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    seen: list[str] = []

    async def feed(request: web.Request) -> web.StreamResponse:
        seen.append(request.headers.get("Accept", ""))
        return web.Response(body=(FEEDS / "gov_rss20.xml").read_bytes(), content_type="application/rss+xml")

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        chunk = b"<!-- " + b"x" * 65_530 + b" -->"
        for _ in range(MAX_BYTES // len(chunk) + 2):
            await response.write(chunk)
        return response

    async def gone(request: web.Request) -> web.StreamResponse:
        return web.Response(status=404, text="not found")

    app = web.Application()
    app.router.add_get("/rss/tzgg.xml", feed)
    app.router.add_get("/huge.xml", huge)
    app.router.add_get("/gone.xml", gone)
    app[SEEN] = seen
    test_server = TestServer(app, host="127.0.0.1")
    await test_server.start_server()
    yield test_server
    await test_server.close()


@pytest.fixture
async def fetch() -> AsyncIterator[FeedFetcher]:
    fetcher = FeedFetcher(timeout=5)
    yield fetcher
    await fetcher.close()


async def test_a_feed_is_read_whole_and_parses(server: TestServer, fetch: FeedFetcher) -> None:
    url = str(server.make_url("/rss/tzgg.xml"))
    data = await fetch(url)
    assert data == (FEEDS / "gov_rss20.xml").read_bytes()
    assert len(parse_feed(data, base_url=url)) == 3
    assert "application/rss+xml" in server.app[SEEN][0]
    assert await fetch(url) == data  # the one session serves again


async def test_a_body_past_the_limit_is_refused_unread(server: TestServer, fetch: FeedFetcher) -> None:
    with pytest.raises(FeedError, match="5 MB"):
        await fetch(str(server.make_url("/huge.xml")))


async def test_a_non_2xx_answer_is_an_error_the_watch_skips(server: TestServer, fetch: FeedFetcher) -> None:
    with pytest.raises(OSError, match="HTTP 404"):
        await fetch(str(server.make_url("/gone.xml")))


async def test_nobody_listening_is_an_os_error(unused_tcp_port: int, fetch: FeedFetcher) -> None:
    with pytest.raises(OSError):
        await fetch(f"http://127.0.0.1:{unused_tcp_port}/rss.xml")


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/rss.xml", "file:///etc/passwd", "javascript:alert(1)", ""])
async def test_only_http_and_https_urls_are_read(url: str, fetch: FeedFetcher) -> None:
    with pytest.raises(FeedError, match="http"):
        await fetch(url)
