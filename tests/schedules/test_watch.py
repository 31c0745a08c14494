"""The watch (issue 17): what accounts published, read from WeChat's published list and from
feeds, matched to approved versions. Art. 10 (第十条, 先审后发: what went out without approval is
reported once, a near miss is not taken for the approved version), Art. 11 (第十一条: a matched
item moves the cadence on without 已发布), Art. 13 (第十三条: a classified marking found after
publication is an urgent alert).

The WeChat list comes from an in-memory stand-in for ``bot.publishing.Publisher`` (its WeChat
implementation is tested against the fake API); the feed is a local file."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta
from pathlib import Path

from bot import texts
from bot.deps import Deps
from bot.publishing import Article, Credentials, PublishedItem, PublishStatus
from models import Account, AuditEvent, Draft, DraftStatus, Publication, SeenItem
from schedules.watch import EVERY, per_run, watch_publications
from tests.conftest import World

FEEDS = Path(__file__).resolve().parent.parent / "data" / "feeds"
APP_ID = "wx3f5e7c9a1b2d4e6f"


class Published:
    """An official account's published list, newest first."""

    def __init__(self) -> None:
        self.items: list[PublishedItem] = []
        self.calls = 0

    def add(self, n: int, title: str, text: str, at: datetime) -> None:
        self.items.insert(0, PublishedItem(f"{2247483000 + n}_1", title,
                                           f"https://mp.weixin.qq.com/s/item{n}", at, text))

    async def submit(self, credentials: Credentials, article: Article) -> str:
        raise AssertionError("not used")

    async def status(self, credentials: Credentials, publish_id: str) -> PublishStatus:
        raise AssertionError("not used")

    async def published(self, credentials: Credentials, *, offset: int = 0, count: int = 20
                        ) -> tuple[list[PublishedItem], int]:
        self.calls += 1
        return self.items[offset:offset + count], len(self.items)


async def setup(world: World) -> tuple[Published, Deps]:
    await Account.filter(name="某某发布").update(wechat={"app_id": APP_ID, "app_secret": "s" * 32})
    published = Published()
    return published, dataclasses.replace(world.bot.deps, publisher=published)


async def run(world: World, deps: Deps, later: timedelta) -> int:
    n = await watch_publications(world.clock.now + later, deps)
    await world.bot.outbox.drain(world.clock.now + later)
    return n


async def approved(world: World, text: str) -> Draft:
    await world.say("zhangsan", f"投稿 @某某发布 1 {text}")
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "pv-"), "提交审核")
    await world.tap("lisi", world.channel.last_card("lisi", "ap-"), "通过")
    return await Draft.filter(account__name="某某发布").order_by("-id").first()  # type: ignore[return-value]


async def test_first_read_is_the_baseline_then_new_items_are_matched_or_reported_once(world: World) -> None:
    published, deps = await setup(world)
    before = world.clock.now - timedelta(days=30)
    published.add(1, "十月工作动态", "本月完成了多项工作。", before)
    assert await run(world, deps, timedelta()) == 0  # what was out before the watch: not judged
    assert await SeenItem.filter(account_id__isnull=False).count() == 1
    told = len(world.texts("wangwu"))

    draft = await approved(world, "冬季供暖通知\n今年供暖从11月15日开始，请居民做好准备。")
    published.add(2, "冬季供暖通知", "今年供暖从11月15日开始，请居民做好准备。", world.clock.now)
    published.add(3, "领导活动", "某某领导今日调研。", world.clock.now)
    assert await run(world, deps, EVERY) == 1
    draft = await Draft.get(id=draft.id)
    publication = await Publication.get(draft_id=draft.id)
    assert draft.status == DraftStatus.PUBLISHED and publication.source == "seen"
    assert publication.url == "https://mp.weixin.qq.com/s/item2"
    assert (await Account.get(name="某某发布")).last_published_at is not None  # Art. 11
    alert = texts.unapproved_publication("某某发布", "领导活动", "https://mp.weixin.qq.com/s/item3",
                                         texts.md_hm(deps.calendar.local(world.clock.now)))
    for who in ("lisi", "wangwu", "zhaoliu"):  # head (also 主管领导, told once), the IC
        assert [t for t in world.texts(who) if t.startswith(alert)] == [alert], who
    assert len(world.texts("wangwu")) == told + 1
    assert [a.subject for a in await AuditEvent.filter(action="unapproved_publication")] == ["某某发布"]
    # read again an hour later: nothing new, nothing told again
    assert await run(world, deps, EVERY * 2) == 0
    assert len(world.texts("wangwu")) == told + 1
    # read only what is new: the second page is never asked for once a known item shows
    assert published.calls == 3


async def test_not_read_again_within_the_hour(world: World) -> None:
    published, deps = await setup(world)
    await run(world, deps, timedelta())
    await run(world, deps, EVERY / 2)
    assert published.calls == 1


async def test_a_changed_date_is_not_the_approved_version(world: World) -> None:
    published, deps = await setup(world)
    await run(world, deps, timedelta())  # baseline: empty
    draft = await approved(world, "停水通知\n12月1日上午9时至12时，东区停水。")
    published.add(1, "停水通知", "12月2日上午9时至12时，东区停水。", world.clock.now)
    assert await run(world, deps, EVERY) == 1
    assert (await Draft.get(id=draft.id)).status == DraftStatus.APPROVED
    last = world.last_text("wangwu")
    assert last.startswith("【未经审核发布】") and f"与审核通过的稿件 {draft.ref} 相近" in last


async def test_a_feed_item_is_matched_and_a_classified_marking_is_urgent(world: World) -> None:
    feed = (FEEDS / "atom.xml").read_bytes()

    async def fetch(url: str) -> bytes:
        assert url == "https://rmt.example.cn/feed.xml"
        return feed

    deps = dataclasses.replace(world.bot.deps, fetch_feed=fetch)
    await Account.filter(name="某某头条").update(feed_url="https://rmt.example.cn/feed.xml")
    await run(world, deps, timedelta())  # baseline
    assert await SeenItem.filter(source="feed").count() >= 2
    entry = """<entry>
    <title>内部资料 通知</title>
    <id>tag:rmt.example.cn,2024:news-9001</id>
    <link href="https://rmt.example.cn/news/9001.html"/>
    <updated>2026-11-26T01:00:00Z</updated>
    <content type="html">本文为内部资料</content>
  </entry>
  <entry>"""
    feed = feed.replace(b"<entry>", entry.encode(), 1)
    assert await run(world, deps, EVERY) == 1
    urgent = [t for t in world.texts("wangwu") if t.startswith("【紧急】")]
    assert len(urgent) == 1 and "内部资料" in urgent[0]
    assert await AuditEvent.filter(action="published_blocked").count() == 1


class Queries(logging.Handler):
    """SQL statements tortoise runs (its db_client log), while installed."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0
        self.statements: list[str] = []
        self.logger = logging.getLogger("tortoise.db_client")

    def emit(self, record: logging.LogRecord) -> None:
        if not str(record.msg).startswith(("Created connection", "Closed connection")):
            self.count += 1
            self.statements.append(str(record.msg) % record.args if record.args else str(record.msg))

    def __enter__(self) -> Queries:
        self.level = self.logger.level
        self.logger.setLevel(logging.DEBUG)
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self)
        self.logger.setLevel(self.level)


async def test_an_unchanged_account_costs_one_page_and_a_few_queries_whatever_its_history(
        world: World) -> None:
    """Issue 17 point 5: the watch reads only what is new. After the baseline, an account with
    nothing new is one batchget page and a bounded number of queries (one to know which of the
    page's items are seen, not a read of its whole history), and no transaction per item."""
    published, deps = await setup(world)
    costs = []
    for history in (3, 60):
        await SeenItem.all().delete()
        await Account.all().update(watched_at=None)
        published.items.clear()
        for n in range(history):
            published.add(n, f"第{n}期", f"内容{n}", world.clock.now - timedelta(days=history - n))
        await run(world, deps, timedelta())  # the baseline reads pages until the history is in
        assert await SeenItem.all().count() == history
        calls = published.calls
        with Queries() as queries:
            assert await run(world, deps, EVERY) == 0
        assert published.calls == calls + 1
        costs.append(queries.count)
        seen = [q for q in queries.statements if '"seen_item"' in q]
        assert len(seen) == 1 and '"source_id" IN' in seen[0], seen  # the page's ids, not the history
        assert not any(q.startswith(("INSERT", "BEGIN")) for q in queries.statements)
    assert costs[0] == costs[1] <= 6, costs


def test_a_run_reads_enough_accounts_for_each_to_be_read_every_hour() -> None:
    for accounts in (1, 300, 10_000, 50_000):
        for minutes in (1, 10, 30, 60):
            runs = EVERY // timedelta(minutes=minutes)
            assert per_run(accounts, timedelta(minutes=minutes)) * runs >= accounts
