"""Benchmark: the reminder sweeps over a large organisation.

Builds a throwaway SQLite database (migrations, then a bulk load with the standard library's
sqlite3): 10,000 accounts in 500 departments, 1,000,000 publications, 100,000 drafts of which
1,000 are pending, and 100,000 inquiries of which 1,000 are unclaimed and 1,000 claimed with a
deadline between five days ago and three days ahead (the rest answered). About 1% of the accounts
are behind their posting cadence. Then, at a working
moment, it runs each sweep six times — the first runs write the reminders that are due (at most
300 a run, the most overdue first), the last find them all written — and prints per run the time,
the number of SQL statements and the process's peak resident memory, ending with one JSON line.

The annual review has no cap per run (Art. 5: the campaign reaches everyone on the day): at
``NOW`` (26 November) its first run writes the kickoff and the last warning for every account,
20,000 reminder rows for 10,000 accounts, told in one message per person and step (the bench
prints how many messages that was); its second run finds them all written.

    .venv/bin/python bench/sweeps.py [--accounts 10000] [--publications 1000000] [--drafts 100000]
                                     [--inquiries 100000]

Baseline, measured in the same run on the same file: the standard library's sqlite3 computing
each account's latest publication straight from the publications table (``SELECT account_id,
max(published_at) … GROUP BY account_id``), what a naive cadence sweep would do. Each sweep's
slowest run is printed as a ratio of it: below 1 means the sweep costs less than touching the
publications once.

Targets (DESIGN.md §6): each sweep under 1 s; the number of *reading* queries does not grow with
the data (the second run shows it: nothing to write); peak RSS under 150 MB.
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
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import QueryCounter, iso, open_bulk, rss_mb
from bot.app import build_bot
from bot.db import close_db, init_db
from bot.settings import Settings
from models import OutboxMessage
from schedules import SWEEPS

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=TZ)  # a Thursday, a working day


def load(path: Path, accounts: int, publications: int, drafts: int, inquiries: int) -> None:
    rng = random.Random(7)
    depts = max(1, accounts // 20)
    db = open_bulk(path, depts, ("head", "o1", "o2"), officers={"o1", "o2"})
    filed = iso(NOW - timedelta(days=400))
    db.executemany("INSERT INTO account (id, name, platform, department_id, post_every_days, status, "
                   "created_at, filed_at, description, platform_account_id, opened_on, "
                   "closure_evidence, wechat, cadence_reason) "
                   "VALUES (?, ?, 'wechat', ?, ?, 'operating', ?, ?, '', '', '', '', '{}', '')",
                   [(a + 1, f"账号{a}", a % depts + 1, 1 + a % 3, filed, filed) for a in range(accounts)])
    latest_by_account: list[tuple[str, int]] = []
    # Publications: most accounts posted this morning; about 1% are 2–20 days behind.
    behind = {a for a in range(accounts) if rng.random() < 0.01}
    per = max(1, publications // accounts)
    batch: list[tuple[Any, ...]] = []
    draft_rows: list[tuple[Any, ...]] = []
    pid = 0
    for a in range(accounts):
        latest = (NOW - timedelta(days=rng.randint(2, 20), hours=rng.random()) if a in behind
                  else NOW - timedelta(hours=0.5 + rng.random()))
        latest_by_account.append((iso(latest), a + 1))
        for k in range(per):
            pid += 1
            at = latest - timedelta(days=k * 2)
            batch.append((pid, pid, a + 1, iso(at)))
        if len(batch) > 50_000:
            db.executemany("INSERT INTO publication (id, draft_id, account_id, version, content_hash, "
                           "url, recorded_by_id, published_at) VALUES (?, ?, ?, 1, 'h', 'https://x', 2, ?)",
                           batch)
            batch.clear()
    if batch:
        db.executemany("INSERT INTO publication (id, draft_id, account_id, version, content_hash, url, "
                       "recorded_by_id, published_at) VALUES (?, ?, ?, 1, 'h', 'https://x', 2, ?)", batch)
    # As recording a publication does: the account keeps its latest publication's time.
    db.executemany("UPDATE account SET last_published_at = ? WHERE id = ?", latest_by_account)
    # Drafts: 1% pending (submitted 1–30 working hours ago), the rest published or rejected.
    for i in range(drafts):
        pending = i % 100 == 0
        status = "pending" if pending else ("published" if i % 7 else "rejected")
        at = NOW - timedelta(hours=rng.randint(1, 60)) if pending else NOW - timedelta(days=30)
        account = rng.randrange(accounts)
        author = (account % depts) * 3 + 2  # an officer of the account's department
        draft_rows.append((i + 1, account + 1, author, status, iso(at), iso(at)))
        if len(draft_rows) >= 20_000 or i == drafts - 1:
            db.executemany("INSERT INTO draft (id, account_id, author_id, status, version, created_at, "
                           "updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)", draft_rows)
            db.executemany("INSERT INTO draft_version (draft_id, number, category, text, content_hash, "
                           "screening, created_at) VALUES (?, 1, '1', ?, 'h', '[]', ?)",
                           [(r[0], f"标题{r[0]}\n正文", r[4]) for r in draft_rows])
            draft_rows.clear()
    load_inquiries(db, rng, accounts, depts, inquiries)
    db.commit()
    db.execute("ANALYZE")
    db.close()


def load_inquiries(db: sqlite3.Connection, rng: random.Random, accounts: int, depts: int,
                   inquiries: int) -> None:
    """1% unclaimed (received up to 30 hours ago), 1% claimed with a deadline from five days ago
    to three days ahead, the rest answered weeks ago."""
    rows: list[tuple[Any, ...]] = []
    for i in range(inquiries):
        account = rng.randrange(accounts)
        dept = account % depts
        officer = dept * 3 + 2
        if i % 100 == 0:
            received = NOW - timedelta(hours=rng.uniform(0.5, 30))
            row = ("open", None, None, None, None, None, "")
        elif i % 100 == 1:
            received = NOW - timedelta(days=rng.uniform(1, 10))
            due = NOW + timedelta(hours=rng.uniform(-120, 72))
            row = ("claimed", officer, iso(received + timedelta(hours=1)), iso(due), None, None, "")
        else:
            received = NOW - timedelta(days=rng.uniform(10, 300))
            answered = received + timedelta(days=1)
            row = ("answered", officer, iso(received), iso(answered), iso(answered), officer, "已答复")
        rows.append((i + 1, account + 1, dept + 1, "chat", "市民", f"咨询{i}", iso(received), *row))
        if len(rows) >= 20_000 or i == inquiries - 1:
            db.executemany("INSERT INTO inquiry (id, account_id, department_id, source, asker, text, "
                           "received_at, status, owner_id, claimed_at, due_at, answered_at, "
                           "answered_by_id, answer, relay) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '')", rows)
            rows.clear()


def baseline_s(path: Path) -> float:
    """Median of three runs of the naive latest-publication-per-account query."""
    db = sqlite3.connect(path)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        db.execute("SELECT account_id, max(published_at) FROM publication GROUP BY account_id"
                   ).fetchall()
        times.append(time.perf_counter() - start)
    db.close()
    return sorted(times)[1]


async def main(accounts: int, publications: int, drafts: int,
               inquiries: int = 100_000) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sweeps.sqlite3"
        url = f"sqlite://{path}"
        await init_db(url)
        await close_db()
        t0 = time.perf_counter()
        load(path, accounts, publications, drafts, inquiries)
        print(f"loaded {accounts} accounts, {publications} publications, {drafts} drafts, "
              f"{inquiries} inquiries "
              f"in {time.perf_counter() - t0:.1f} s (peak RSS so far {rss_mb():.0f} MB)", flush=True)
        base = baseline_s(path)
        print(f"baseline (sqlite3, latest publication per account): {base:.3f} s", flush=True)
        await init_db(url, apply_migrations=False)
        settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
        bot = build_bot(settings, [], clock=lambda: NOW)
        counter = QueryCounter()
        counter.install()
        results: dict[str, Any] = {}
        for name, sweep in SWEEPS.items():
            runs = []
            for _ in range(6):
                counter.count = 0
                start = time.perf_counter()
                written = await sweep(NOW, bot.deps)
                runs.append({"s": round(time.perf_counter() - start, 3), "queries": counter.count,
                             "written": written})
            results[name] = runs
            print(f"{name:>9} (slowest {max(r['s'] for r in runs) / base:.2f}× baseline): " + "; ".join(
                f"run {n + 1} {r['s']:.3f} s, {r['queries']} queries, {r['written']} reminders"
                for n, r in enumerate(runs)), flush=True)
        messages = await OutboxMessage.filter(key__startswith="rem:review:").count()
        print(f"   review: {results['review'][0]['written']} reminders in run 1 told in {messages} "
              "messages (one per person and step)", flush=True)
        await close_db()
    return {"sweeps": results, "baseline_s": base, "review_messages": messages}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--publications", type=int, default=1_000_000)
    parser.add_argument("--drafts", type=int, default=100_000)
    parser.add_argument("--inquiries", type=int, default=100_000)
    args = parser.parse_args()
    out = asyncio.run(main(args.accounts, args.publications, args.drafts, args.inquiries))
    results, base = out["sweeps"], out["baseline_s"]
    peak = round(rss_mb(), 1)
    max_s = max(run["s"] for runs in results.values() for run in runs)
    print(f"peak RSS {peak} MB (target < 150); slowest run {max_s} s (target < 1), "
          f"{max_s / base:.2f}× the baseline's {base:.3f} s")
    print(json.dumps({"bench": "sweeps", "max_s": max_s, "baseline_s": round(base, 3),
                      "ratio": round(max_s / base, 3),
                      "queries": {k: [r["queries"] for r in v] for k, v in results.items()},
                      "written": {k: [r["written"] for r in v] for k, v in results.items()},
                      "rss_mb": peak}, ensure_ascii=False))
