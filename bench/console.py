"""Benchmark: the console's overview and registry (issue 18: under 300 ms p95 at 10,000 accounts and
1,000,000 publications on SQLite).

Builds a throwaway SQLite database with the sweeps bench's loader (``bench/sweeps.py``: migrations,
then a bulk load with the standard library's sqlite3 — 10,000 accounts in 500 departments,
1,000,000 publications, 100,000 drafts of which 1,000 pending, 100,000 inquiries of which 2,000
unanswered), then adds what the console shows and the sweeps do not need: an administrator per
account, four platforms, this year's review reports (half passed, a tenth failed, a tenth waiting,
the rest missing), 1,000 publications seen without approval, and the audit trail the rest would
have left (a line per publication, one per inquiry deadline: 1,001,000 rows).

Then it times, through tortoise's connection as the pages do, ``overview(None, now)`` and three
registry pages (the first page; a filtered one, late accounts on WeChat, which the cadence rule
decides in SQL; one sorted by last publication, newest first), ``--runs`` times each after one
warm-up. It prints p50 and p95 in milliseconds, the statements each ran, and the ratio of its p50
to a bare query of the same rows measured in the same run (a page: its accounts' rows read by id;
the overview: the account columns it aggregates, every account).

    .venv/bin/python bench/console.py [--accounts 10000] [--publications 1000000] [--runs 50]

The overview's two reads of the audit trail (publications without approval, first deadline
commitments) use the index on audit_event (action, at) of migration 0015: without it each scanned
the whole trail (overview p95 about 700 ms instead of under 300 ms at this size).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tortoise import connections

from bench.common import QueryCounter, iso, rss_mb
from bench.sweeps import NOW
from bench.sweeps import load as load_sweeps
from bot.db import close_db, init_db
from bot.settings import Settings
from console import queries

TARGET_MS = 300.0




def load_console(path: Path, accounts: int) -> None:
    """What the console shows beyond the sweeps' load (see the module doc)."""
    rng = random.Random(18)
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    depts = db.execute("SELECT COUNT(*) FROM department").fetchone()[0]
    # Each account's administrator: its department's first officer (person d * 3 + 2).
    db.execute("UPDATE account SET admin_id = ((department_id - 1) * 3 + 2), "
               "platform = CASE id % 4 WHEN 0 THEN 'wechat' WHEN 1 THEN 'weibo' WHEN 2 THEN 'toutiao' "
               "ELSE 'app' END")
    submitted = iso(NOW.replace(day=10))
    reports = []
    for a in range(1, accounts + 1):
        roll = rng.random()
        if roll < 0.3:
            continue  # missing
        status = "passed" if roll < 0.8 else "failed" if roll < 0.9 else "submitted"
        reports.append((a, a % depts * 3 + 2, submitted, status))
    db.executemany("INSERT INTO review_report (account_id, year, text, file_name, submitted_by_id, "
                   "submitted_at, status, reason) VALUES (?, 2026, '年度报告', '', ?, ?, ?, '')", reports)
    events = [(iso(NOW.replace(month=1 + n % 11, day=1 + n % 28)), f"账号{rng.randrange(accounts)}",
               f"{n:064x}") for n in range(1000)]
    db.executemany("INSERT INTO audit_event (at, actor, action, subject, detail, prev_hash, hash) "
                   "VALUES (?, 'watch', 'unapproved_publication', ?, '{}', '', ?)", events)
    # The trail the rest left: a line per publication recorded, one per inquiry deadline committed.
    db.execute("INSERT INTO audit_event (at, actor, action, subject, detail, prev_hash, hash) "
               "SELECT published_at, 'officer', 'draft_published', 'D' || draft_id, '{}', '', 'p' || id "
               "FROM publication")
    db.execute("INSERT INTO audit_event (at, actor, action, subject, detail, prev_hash, hash) "
               "SELECT claimed_at, 'officer', 'inquiry_deadline', 'Q' || id, '{}', '', 'q' || id "
               "FROM inquiry WHERE due_at IS NOT NULL")
    db.commit()
    db.execute("ANALYZE")
    db.close()


async def timed(runs: int, call: Callable[[], Awaitable[Any]], counter: QueryCounter
                ) -> tuple[list[float], int, Any]:
    """``runs`` timings in ms after one warm-up, the statements of one call, the last result."""
    counter.count = 0
    result = await call()
    statements = counter.count
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = await call()
        times.append((time.perf_counter() - start) * 1000)
    return times, statements, result


def pct(times: list[float], p: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


async def main(accounts: int = 10_000, publications: int = 1_000_000, runs: int = 50,
               drafts: int = 100_000, inquiries: int = 100_000) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "console.sqlite3"
        url = f"sqlite://{path}"
        await init_db(url)
        await close_db()
        t0 = time.perf_counter()
        load_sweeps(path, accounts, publications, drafts, inquiries)
        load_console(path, accounts)
        print(f"loaded {accounts} accounts, {publications} publications, {drafts} drafts, {inquiries} "
              f"inquiries and the year's reviews in {time.perf_counter() - t0:.1f} s", flush=True)
        await init_db(url, apply_migrations=False)
        settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
        conn = connections.get("default")
        counter = QueryCounter()
        counter.install()
        cases: dict[str, tuple[Callable[[], Awaitable[Any]], Callable[[Any], str]]] = {
            "overview": (lambda: queries.overview(None, NOW, settings),
                         lambda _: "SELECT id, status, department_id, post_every_days, created_at, filed_at, "
                                   "last_published_at FROM account"),
            "registry first page": (lambda: queries.registry(None, now=NOW, settings=settings), _by_id),
            "registry late on wechat": (lambda: queries.registry(None, cadence="late", platform="wechat",
                                                                 now=NOW, settings=settings), _by_id),
            "registry by last post": (lambda: queries.registry(None, sort="last_published", descending=True,
                                                               now=NOW, settings=settings), _by_id),
        }
        results: dict[str, Any] = {}
        for name, (call, bare_sql) in cases.items():
            times, statements, result = await timed(runs, call, counter)
            sql = bare_sql(result)
            bare, _, _ = await timed(runs, lambda sql=sql: conn.execute_query_dict(sql), counter)  # type: ignore[misc]
            p50, p95, base = pct(times, 0.5), pct(times, 0.95), pct(bare, 0.5)
            rows = len(result.rows) if hasattr(result, "rows") else accounts
            results[name] = {"p50_ms": round(p50, 1), "p95_ms": round(p95, 1), "statements": statements,
                             "bare_p50_ms": round(base, 2), "ratio": round(p50 / base, 1), "rows": rows}
            print(f"{name:>24}: p50 {p50:7.1f} ms, p95 {p95:7.1f} ms, {statements} statements, {rows} rows; "
                  f"bare query {base:6.2f} ms, {p50 / base:6.1f}×", flush=True)
        seen = await queries.overview(None, NOW, settings)
        print(f"overview: {seen.late} late, {seen.zombie} zombie, {seen.inquiries_open} inquiries open "
              f"({seen.inquiries_overdue} overdue), campaign {seen.campaign.total}", flush=True)
        await close_db()
    return {"cases": results, "max_p95_ms": max(r["p95_ms"] for r in results.values())}


def _by_id(page: Any) -> str:
    ids = ", ".join(str(r.account_id) for r in page.rows) or "0"
    return f"SELECT * FROM account WHERE id IN ({ids})"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--publications", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    out = asyncio.run(main(args.accounts, args.publications, args.runs))
    print(f"slowest p95 {out['max_p95_ms']} ms (target < {TARGET_MS:g}); peak RSS {rss_mb():.0f} MB")
    print(json.dumps({"bench": "console", **out}, ensure_ascii=False))
