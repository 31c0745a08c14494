"""The simulator's stand-in for WeChat's publishing API (issue 17; Art. 10 先审后发): used instead of
``WechatPublisher`` whenever the simulator is on, so the demo shows both directions without WeChat.

- **Publishing through the bot** (``submit``): refused as WeChat refuses it without a cover (a
  news article needs ``thumb_media_id``; ``WechatPublisher`` refuses it before any call, with the
  same reason for the officer); else the approved article is kept, a ``publish_id`` is returned
  at once (as ``freepublish/submit`` does), and ``delay`` seconds later (WeChat publishes within
  seconds to minutes) the job is published: a ``PublishFinished`` goes to the inbox's
  ``accept``, as WeChat's ``PUBLISHJOBFINISH`` on ``/wechat/{account}/callback`` would, so the
  same handler records the publication. Should that event arrive before the worker stored the
  ``publish_id`` (it is then ignored), the worker's poll (``status``) settles the job later.
- **Watching** (``published``): what this simulated back office published, newest first, in
  ``freepublish/batchget``'s shape (``source_id`` = ``article_id:1``): the bot's articles and
  those "published by hand" (``publish_by_hand``: the page's 公众号后台直接发布 control). After a
  publication by hand the page's route asks ``watch`` to read that account at once, so the
  【未经审核发布】 alert shows without waiting for the hourly sweep.

Article URLs: ``<base_url>/sim/articles/<article_id>``, served by the simulator itself (the page
shows the published HTML, exactly what the bot submitted): a link that works in the demo, unlike
an ``mp.weixin.qq.com`` address that would lead to WeChat's "article not found". The state lives
in memory: after a restart the articles are gone (their page says so by a 404), and a job
submitted before it is failed with that reason when polled. Ids are random, never reused after a
restart, so the watch (which remembers what it saw in the database) never mistakes a new item
for an old one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable, Container
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from bot import texts
from bot.article_html import body_html
from bot.events import Event, PublishFinished
from bot.publishing import Article, Credentials, Image, PublishedItem, PublishRefused, PublishStatus

if TYPE_CHECKING:
    from bot.channels.local.channel import LocalChannel

log = logging.getLogger("xmt.simulator")

Accept = Callable[[Event], Awaitable[bool]]
Watch = Callable[[int], Awaitable[int]]  # an account's id → how many items the watch reported
Sleep = Callable[[float], Awaitable[object]]
DELAY = 2.0  # seconds from submission to publication


@dataclass(frozen=True)
class SimArticle:
    """One article on a simulated official account."""

    article_id: str
    account: str
    title: str
    html: str  # the body (made by bot.article_html: every character escaped)
    text: str  # the body as plain text, as the watch reads it
    url: str
    published_at: datetime
    by_hand: bool  # published on the platform directly, not through the bot
    author: str = ""
    images: tuple[Image, ...] = ()


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("p", "br", "div", "li"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    parser.close()
    return "\n".join(line.strip() for line in "".join(parser.parts).splitlines() if line.strip())


class SimulatedPublisher:
    """``bot.publishing.Publisher`` for the simulator (see the module docstring)."""

    def __init__(self, local: LocalChannel, accept: Accept, *, base_url: str, watch: Watch | None = None,
                 delay: float | None = DELAY, sleep: Sleep = asyncio.sleep) -> None:
        self.local = local
        self.accept = accept
        self.watch = watch
        self.base_url = base_url.rstrip("/")
        self.delay = delay  # None: jobs are published only by ``deliver()`` (tests)
        self.sleep = sleep
        self.articles: dict[str, SimArticle] = {}  # article_id → article, in publication order
        self._jobs: dict[str, tuple[str, str]] = {}  # publish_id → (account, article_id)
        self._pending: list[str] = []  # publish ids submitted, not yet announced
        self._clicks: set[str] = set()  # the page's click ids already played (dedupe)
        self._tasks: set[asyncio.Task[None]] = set()
        local.publisher = self  # the simulator's routes serve its articles and its control

    # -- Publisher -------------------------------------------------------------------------
    async def submit(self, credentials: Credentials, article: Article) -> str:
        if article.cover is None:  # as WechatPublisher: WeChat takes no news article without one
            raise PublishRefused("a news article needs a cover (thumb_media_id)", code="no_cover",
                                 reason=texts.WECHAT_NO_COVER)
        publish_id = self._new_id(self._jobs, lambda: str(10**9 + secrets.randbelow(9 * 10**9)))
        stored = self._store(credentials.account, article.title, article.html, by_hand=False,
                             author=article.author, images=article.images)
        self._jobs[publish_id] = (credentials.account, stored.article_id)
        self._pending.append(publish_id)
        if self.delay is not None:
            task = asyncio.get_running_loop().create_task(self._later(self.delay))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return publish_id

    async def status(self, credentials: Credentials, publish_id: str) -> PublishStatus:
        job = self._jobs.get(publish_id)
        if job is None or job[0] != credentials.account:
            return PublishStatus("failed", reason=texts.SIM_PUBLISH_LOST)
        article = self.articles[job[1]]
        return PublishStatus("published", article_url=article.url, article_id=article.article_id)

    async def published(self, credentials: Credentials, *, offset: int = 0, count: int = 20
                        ) -> tuple[list[PublishedItem], int]:
        mine = [a for a in reversed(self.articles.values()) if a.account == credentials.account]
        page = mine[max(offset, 0):max(offset, 0) + max(count, 0)]
        return [PublishedItem(source_id=f"{a.article_id}:1", title=a.title, url=a.url,
                              published_at=a.published_at, text=a.text,
                              extra={"article_id": a.article_id, "idx": "1"}) for a in page], len(mine)

    # -- the simulator's side --------------------------------------------------------------
    def seen_click(self, click: str) -> bool:
        """True if the page's click ``click`` was played already; else remembers it."""
        if click in self._clicks:
            return True
        self._clicks.add(click)
        return False

    def publish_by_hand(self, account: str, title: str, text: str) -> SimArticle:
        """Someone publishes ``title``/``text`` on ``account`` straight in WeChat's back office."""
        return self._store(account, title, body_html(text), by_hand=True)

    async def deliver(self) -> int:
        """Announce every submitted job as published (``PublishFinished`` through ``accept``);
        returns how many."""
        done = 0
        while self._pending:
            publish_id = self._pending.pop(0)
            account, article_id = self._jobs[publish_id]
            article = self.articles[article_id]
            await self.accept(PublishFinished(
                channel="wechat", sender=account, key=f"sim-publish:{publish_id}",
                received_at=self.local.clock(), account=account, publish_id=publish_id,
                state="published", article_url=article.url, article_id=article_id))
            done += 1
        return done

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def settled(self) -> None:
        """Wait for the scheduled announcements (tests)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _later(self, delay: float) -> None:
        await self.sleep(delay)
        try:
            await self.deliver()
        except Exception:  # the worker's poll settles the job
            log.exception("simulated publication could not be announced")

    def _store(self, account: str, title: str, html: str, *, by_hand: bool, author: str = "",
               images: tuple[Image, ...] = ()) -> SimArticle:
        article_id = self._new_id(self.articles, lambda: "sim" + secrets.token_hex(10))
        article = SimArticle(article_id=article_id, account=account, title=title, html=html,
                             text=plain_text(html), url=f"{self.base_url}/sim/articles/{article_id}",
                             published_at=self.local.clock(), by_hand=by_hand, author=author,
                             images=images)
        self.articles[article_id] = article
        return article

    @staticmethod
    def _new_id(taken: Container[str], make: Callable[[], str]) -> str:
        while True:
            value = make()
            if value not in taken:
                return value
