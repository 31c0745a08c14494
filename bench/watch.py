"""Benchmark: the watch (``schedules/watch.py``, issue 17 point 5) over 10,000 WeChat official
accounts and a few feeds, against the fake official-account API.

A child process (``--serve``) runs ``tests/fake_wechat.FakeWechat`` serving every account's AppID
(``add_app``), each with a published history of ``HISTORY`` articles (one full ``batchget`` page
and more), and a feed server (RSS 2.0, ``FEED_ITEMS`` items each) for ``--feeds`` accounts. It is
a separate process so that the bot's peak RSS is the bot's and the fake does not share its event
loop. The bench process builds a throwaway SQLite database (migrations, then a bulk load with the
standard library's sqlite3): the accounts with their keys in 500 departments, each account's last
publication (a published draft, in the watch's 90-day window), and the approved drafts that the
backlog will match.

Then the sweep runs as the scheduler would, every ``XMT_SWEEP_EVERY_MINUTES`` (10) of simulated
time (the fake's clock and the token cache's clock move with it):

1. **cycle 1 (baseline)**: runs until every account has been read once (its first read is the
   baseline: recorded, not reported);
2. the **backlog**: ``--changed`` (3%) of the WeChat accounts publish 1–3 articles each, about half
   of them an approved draft of theirs (matched and recorded), the rest not (【未经审核发布】); a
   quarter of the feeds get one new item;
3. **cycle 2 (steady state)**: runs until every account has been read again.

Per run: wall time, SQL statements (tortoise's log), HTTP calls to the fake (``token``,
``batchget``, feeds), accounts read and items reported. Per cycle: runs needed, simulated span
(it must fit in ``EVERY``, 1 h), HTTP calls per account. Peak RSS of the bench process.

Baseline, measured in the same run against the same servers: a bare ``SELECT`` of the accounts'
keys with sqlite3 and one ``batchget`` round trip per WeChat account (JSON decoded; tokens taken
from the publisher's cache; the same concurrency as the watch), the least any watch can do. The
ratio is a cycle's total sweep time over it.

    .venv/bin/python bench/watch.py [--accounts 10000] [--feeds 20] [--changed 0.03]

Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, QueryCounter, iso, open_bulk, rss_mb

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 26, 0, 10, tzinfo=TZ)  # a Thursday; the bench's office is open all day
HISTORY = 21  # published articles per account before the watch starts: a full page and more
FEED_ITEMS = 15
BODY = "<p>" + "本单位今日召开专题会议，研究部署近期重点工作，要求各部门压实责任、狠抓落实。" * 20 + "</p>"
log = logging.getLogger("bench.watch")


def app_id(i: int) -> str:
    return f"wx{i:016x}"


def secret(i: int) -> str:
    return f"{i:032x}"


# ---- the servers (child process) ---------------------------------------------------------------


async def serve(accounts: int, feeds: int) -> None:
    from tests.fake_wechat import FakeWechat, Published

    offset = [0.0]
    fake = FakeWechat(clock=lambda: time.time() + offset[0])
    start = int(time.time()) - 86400 * 60
    for i in range(accounts):
        listed = fake.add_app(app_id(i), secret(i))
        for k in range(HISTORY):
            listed.insert(0, Published(f"h{i:08d}x{k:03d}" + "A" * 28, start + k * 86400, [{
                "title": f"账号{i}的第{k}篇", "author": "", "digest": "", "content": BODY,
                "content_source_url": "", "thumb_media_id": "T" * 64, "show_cover_pic": 0,
                "need_open_comment": 0, "only_fans_can_comment": 0,
                "url": f"https://mp.weixin.qq.com/s/h{i}x{k}", "is_deleted": False}]))
    feed_items: list[list[tuple[str, str, str]]] = [
        [(f"网站{f}的第{k}条", f"https://www{f}.example.cn/news/{k}.html",
          format_datetime(datetime.fromtimestamp(start + k * 86400, tz=UTC))) for k in range(FEED_ITEMS)]
        for f in range(feeds)]
    feed_calls = [0]

    async def feed(request: web.Request) -> web.Response:
        feed_calls[0] += 1
        f = int(request.match_info["n"])
        items = "".join(f"<item><title>{t}</title><link>{u}</link><guid>{u}</guid><pubDate>{d}</pubDate>"
                        f"<description>{t}。{BODY[3:200]}</description></item>"
                        for t, u, d in reversed(feed_items[f]))
        return web.Response(body=(f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                                  f"<title>网站{f}</title><link>https://www{f}.example.cn/</link>"
                                  f"<description>网站</description>{items}</channel></rss>").encode(),
                            content_type="application/rss+xml")

    async def clock(request: web.Request) -> web.Response:
        offset[0] = float(request.query["offset"])
        return web.json_response({})

    async def calls(request: web.Request) -> web.Response:
        return web.json_response({**fake.calls, "feed": feed_calls[0]})

    async def backlog(request: web.Request) -> web.Response:
        body = await request.json()
        for i, title, text in body["wechat"]:
            fake.publish_directly(title, f"<p>{text}</p>", app_id=app_id(i),
                                  update_time=int(fake.clock()))
        for f, title, url in body["feeds"]:
            feed_items[f].append((title, url, format_datetime(datetime.now(UTC))))
        return web.json_response({})

    fake.app.router.add_get("/feeds/{n}.xml", feed)
    fake.app.router.add_post("/bench/clock", clock)
    fake.app.router.add_get("/bench/calls", calls)
    fake.app.router.add_post("/bench/backlog", backlog)
    base = await fake.start()
    print(base, flush=True)
    await asyncio.Event().wait()


# ---- the database --------------------------------------------------------------------------------


def load(path: Path, accounts: int, feeds: int, feed_base: str) -> None:
    total = accounts + feeds
    depts = max(1, total // 20)
    db = open_bulk(path, depts, ("head", "o1", "leader"), officers={"o1"})
    filed = iso(T0 - timedelta(days=400))
    rows = []
    for a in range(total):
        wechat = a < accounts
        keys = json.dumps({"app_id": app_id(a), "app_secret": secret(a)}) if wechat else "{}"
        url = "" if wechat else f"{feed_base}/feeds/{a - accounts}.xml"
        rows.append((a + 1, f"账号{a}", "wechat" if wechat else "app", a % depts + 1, a % depts * 3 + 3,
                     filed, filed, keys, url))
    db.executemany("INSERT INTO account (id, name, platform, department_id, leader_id, post_every_days, "
                   "status, created_at, filed_at, description, platform_account_id, opened_on, "
                   "closure_evidence, wechat, cadence_reason, feed_url) "
                   "VALUES (?, ?, ?, ?, ?, 3, 'operating', ?, ?, '', '', '', '', ?, '', ?)", rows)
    # Each account's last publication: a published draft inside the watch's 90-day window.
    at = iso(T0 - timedelta(days=2))
    db.executemany("INSERT INTO draft (id, account_id, author_id, status, version, created_at, updated_at) "
                   "VALUES (?, ?, ?, 'published', 1, ?, ?)",
                   [(a + 1, a + 1, a % depts * 3 + 2, at, at) for a in range(total)])
    db.executemany("INSERT INTO draft_version (draft_id, number, category, text, content_hash, screening, "
                   "created_at) VALUES (?, 1, '1', ?, 'h', '[]', ?)",
                   [(a + 1, f"账号{a}的第{HISTORY - 1}篇\n{BODY[3:-4]}", at) for a in range(total)])
    db.executemany("INSERT INTO decision (draft_id, version, decider_id, outcome, reason, content_hash, "
                   "decided_at) VALUES (?, 1, ?, 'approve', '', 'h', ?)",
                   [(a + 1, a % depts * 3 + 1, at) for a in range(total)])
    db.executemany("INSERT INTO publication (draft_id, account_id, version, content_hash, url, "
                   "recorded_by_id, published_at) VALUES (?, ?, 1, 'h', ?, ?, ?)",
                   [(a + 1, a + 1, f"https://mp.weixin.qq.com/s/h{a}x{HISTORY - 1}", a % depts * 3 + 2, at)
                    for a in range(total)])
    db.commit()
    db.execute("ANALYZE")
    db.close()


def approve(path: Path, drafts: list[tuple[int, str]], accounts: int, feeds: int) -> None:
    """Approved (not yet published) drafts: (account index, text)."""
    depts = max(1, (accounts + feeds) // 20)
    db = sqlite3.connect(path)
    first = db.execute("SELECT max(id) FROM draft").fetchone()[0] + 1
    at = iso(T0 - timedelta(hours=1))
    rows = [(first + n, a + 1, a % depts * 3 + 2, at, at) for n, (a, _) in enumerate(drafts)]
    db.executemany("INSERT INTO draft (id, account_id, author_id, status, version, created_at, updated_at) "
                   "VALUES (?, ?, ?, 'approved', 1, ?, ?)", rows)
    db.executemany("INSERT INTO draft_version (draft_id, number, category, text, content_hash, screening, "
                   "created_at) VALUES (?, 1, '1', ?, 'h', '[]', ?)",
                   [(first + n, text, at) for n, (_, text) in enumerate(drafts)])
    db.executemany("INSERT INTO decision (draft_id, version, decider_id, outcome, reason, content_hash, "
                   "decided_at) VALUES (?, 1, ?, 'approve', '', 'h', ?)",
                   [(first + n, a % depts * 3 + 1, at) for n, (a, _) in enumerate(drafts)])
    db.commit()
    db.close()


# ---- measuring -----------------------------------------------------------------------------------


async def fake_calls(http: aiohttp.ClientSession, base: str) -> dict[str, int]:
    async with http.get(f"{base}/bench/calls") as resp:
        return dict(await resp.json())


def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


async def baseline_s(path: Path, base: str, publisher: Any, concurrency: int) -> float:
    """A bare SELECT of the accounts' keys, then one batchget round trip per WeChat account."""
    start = time.perf_counter()
    db = sqlite3.connect(path)
    keys = [json.loads(w) for (w,) in db.execute("SELECT wechat FROM account").fetchall()]
    db.close()
    tokens = [await publisher.tokens.cache(k["app_id"], k["app_secret"]).get() for k in keys if k]
    gate = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession() as http:
        async def one(token: str) -> None:
            async with gate, http.post(f"{base}/cgi-bin/freepublish/batchget",
                                       params={"access_token": token},
                                       json={"offset": 0, "count": 20, "no_content": 0}) as resp:
                data = await resp.json()
                assert data.get("item"), data
        await asyncio.gather(*(one(t) for t in tokens))
    return time.perf_counter() - start


async def main(accounts: int = 10_000, feeds: int = 20, changed: float = 0.03, seed: int = 7,
               max_runs: int = 80) -> dict[str, Any]:
    from bot.app import build_bot
    from bot.channels.wechat.publish import WechatPublisher
    from bot.db import close_db, init_db
    from bot.feed_fetch import FeedFetcher
    from bot.settings import Settings
    from models import Account, AuditEvent, Draft, DraftStatus, SeenItem
    from schedules import watch

    rng = random.Random(seed)
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", "--accounts", str(accounts), "--feeds", str(feeds),
        stdout=asyncio.subprocess.PIPE, cwd=str(ROOT))
    assert child.stdout is not None
    base = (await child.stdout.readline()).decode().strip()
    assert base.startswith("http://127.0.0.1:"), base
    http = aiohttp.ClientSession()
    offset = [0.0]  # simulated seconds since T0: the fake's clock and the token cache's move with it
    publisher = WechatPublisher(base, clock=lambda: time.monotonic() + offset[0])
    feeds_reader = FeedFetcher()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "watch.sqlite3"
            url = f"sqlite://{path}"
            await init_db(url)
            await close_db()
            t = time.perf_counter()
            load(path, accounts, feeds, base)
            # The backlog of cycle 2: some accounts publish 1–3 articles, about half approved drafts.
            touched = sorted(rng.sample(range(accounts), max(1, round(accounts * changed))))
            articles: list[tuple[int, str, str]] = []
            drafts: list[tuple[int, str]] = []
            for a in touched:
                for k in range(rng.randint(1, 3)):
                    title, text = f"账号{a}的新稿{k}", f"{a}号账号第{k}条新闻：{BODY[3:120]}"
                    articles.append((a, title, text))
                    if rng.random() < 0.5:
                        drafts.append((a, f"{title}\n{text}"))
            drafts += [(a, f"尚未发布的稿件{a}\n内容{a}")  # approved, never published
                       for a in rng.sample(range(accounts), accounts // 50)]
            approve(path, drafts, accounts, feeds)
            news = [(f, f"网站{f}的新消息", f"https://www{f}.example.cn/news/new.html")
                    for f in range(0, feeds, 4)]
            print(f"loaded {accounts} WeChat accounts ({HISTORY} articles each on the fake), {feeds} feeds, "
                  f"{len(drafts)} approved drafts in {time.perf_counter() - t:.1f} s "
                  f"(peak RSS {rss_mb():.0f} MB)", flush=True)

            await init_db(url, apply_migrations=False)
            settings = Settings(_env_file=None, database_url=url, work_hours="00:00-23:59",  # type: ignore[call-arg]
                                wechat_api_base=base)
            interval = timedelta(minutes=settings.sweep_every_minutes)
            bot = build_bot(settings, [], clock=lambda: T0, publisher=publisher, fetch_feed=feeds_reader)
            counter = QueryCounter()
            logger = counter.install()
            rss_before = rss_mb()
            now = T0
            cycles: list[dict[str, Any]] = []
            for cycle in (1, 2):
                if cycle == 2:
                    async with http.post(f"{base}/bench/backlog", json={
                            "wechat": articles, "feeds": news}) as resp:
                        assert resp.status == 200
                start_at, runs = now, list[dict[str, Any]]()
                calls0 = await fake_calls(http, base)
                while len(runs) < max_runs:
                    offset[0] = (now - T0).total_seconds()
                    async with http.post(f"{base}/bench/clock", params={"offset": str(offset[0])}):
                        pass
                    before = await fake_calls(http, base)
                    counter.count = 0
                    t = time.perf_counter()
                    reported = await watch.watch_publications(now, bot.deps)
                    s = time.perf_counter() - t
                    queries = counter.count
                    got = delta(await fake_calls(http, base), before)
                    read = await Account.filter(watched_at=now).count()
                    runs.append({"at": now.strftime("%H:%M"), "s": round(s, 3), "queries": queries,
                                 "read": read, "reported": reported, "http": got})
                    now += interval
                    if not await Account.filter(watched_at__isnull=True).exists() and (
                            cycle == 1 or not await Account.filter(watched_at__lt=start_at).exists()):
                        break
                total_calls = delta(await fake_calls(http, base), calls0)
                wall = sum(r["s"] for r in runs)
                cycles.append({"cycle": cycle, "runs": len(runs),
                               "span_min": len(runs) * interval.seconds // 60,
                               "total_s": round(wall, 2), "max_run_s": max(r["s"] for r in runs),
                               "max_queries": max(r["queries"] for r in runs),
                               "queries": sum(r["queries"] for r in runs),
                               "reported": sum(r["reported"] for r in runs), "http": total_calls,
                               "http_per_account": round(sum(total_calls.values()) / (accounts + feeds), 3),
                               "per_run": runs})
                print(f"cycle {cycle}: {len(runs)} runs over {len(runs) * interval.seconds // 60} min "
                      f"(must fit in {watch.EVERY}), {wall:.1f} s in all, slowest run "
                      f"{max(r['s'] for r in runs):.2f} s, {sum(r['queries'] for r in runs)} queries "
                      f"(at most {max(r['queries'] for r in runs)} a run), HTTP {total_calls} = "
                      f"{cycles[-1]['http_per_account']} per account, "
                      f"{cycles[-1]['reported']} reported", flush=True)
                for n, r in enumerate(runs[:8]):
                    print(f"   run {n + 1} at {r['at']}: {r['s']:.2f} s, {r['queries']} queries, "
                          f"{r['read']} accounts read, HTTP {r['http']}", flush=True)
            expected_unapproved = len(articles) - sum(1 for d in drafts if "新稿" in d[1]) + len(news)
            matched = await Draft.filter(status=DraftStatus.PUBLISHED, id__gt=accounts + feeds).count()
            unapproved = await AuditEvent.filter(action="unapproved_publication").count()
            seen = await SeenItem.all().count()
            print(f"backlog: {len(articles)} new articles on {len(touched)} accounts and {len(news)} feed "
                  f"items; {matched} matched to approved drafts, {unapproved} reported as unapproved "
                  f"(expected {expected_unapproved}); {seen} items seen in all", flush=True)
            rss = rss_mb()
            base_s = await baseline_s(path, base, publisher, getattr(watch, "READ_AT_ONCE", 1))
            print(f"baseline (SELECT of the accounts + one batchget per account): {base_s:.2f} s; "
                  f"steady cycle {cycles[1]['total_s'] / base_s:.2f}× it; peak RSS {rss:.0f} MB "
                  f"({rss_before:.0f} MB before the sweeps)", flush=True)
            logger.removeHandler(counter)
            await close_db()
    finally:
        await http.close()
        await publisher.close()
        await feeds_reader.close()
        child.terminate()
        await child.wait()
    for c in cycles:
        c.pop("per_run")
    return {"bench": "watch", "accounts": accounts, "feeds": feeds, "baseline_s": round(base_s, 3),
            "ratio": round(cycles[1]["total_s"] / base_s, 2), "cycles": cycles,
            "matched": matched, "unapproved": unapproved, "expected_unapproved": expected_unapproved,
            "rss_mb": round(rss, 1), "rss_before_mb": round(rss_before, 1)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--changed", type=float, default=0.03)
    parser.add_argument("--max-runs", type=int, default=80)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.accounts, args.feeds))
    else:
        print(json.dumps(asyncio.run(main(args.accounts, args.feeds, args.changed, max_runs=args.max_runs)),
                         ensure_ascii=False))
