"""Benchmark: the reminder sweeps over a large organisation, on SQLite or at national scale on
PostgreSQL.

Default: builds a throwaway SQLite database (migrations, then a bulk load with the standard
library's sqlite3): 10,000 accounts in 500 departments, 1,000,000 publications, 100,000 drafts of
which 1,000 are pending, and 100,000 inquiries of which 1,000 are unclaimed and 1,000 claimed with
a deadline between five days ago and three days ahead (the rest answered). About 1% of the
accounts are behind their posting cadence, and none is verified. Then, at a working moment, it
runs each sweep six times — the first runs write the reminders that are due (at most 300 a run,
the most overdue first), the last find them all written — and prints per run the time, the number
of SQL statements (and how many of them read) and the process's peak resident memory, ending with
one JSON line.

The annual review takes whole departments up to ``schedules.review.ACCOUNTS_PER_RUN`` (4,000)
accounts a run: at ``NOW`` (26 November) its first three runs write the kickoff and the last
warning for every account, 20,000 reminder rows for 10,000 accounts, told in one message per
person and step (the bench prints how many messages in all); the fourth finds them
all written.

    .venv/bin/python bench/sweeps.py [--accounts 10000] [--publications 1000000] [--drafts 100000]
                                     [--inquiries 100000]

Baseline, measured in the same run on the same file: the standard library's sqlite3 computing
each account's latest publication straight from the publications table (``SELECT account_id,
max(published_at) … GROUP BY account_id``), what a naive cadence sweep would do. Each sweep's
slowest run is printed as a ratio of it: below 1 means the sweep costs less than touching the
publications once.

``--scale national --db postgres://…`` (issue 19: about 140,000 government accounts in China): on
that server, two databases, loaded with COPY (``bench.common.copy_tables``) in a child process so
that the bench's own memory is the bot's: ``xmt_sweeps_10000`` (the scale above) and
``xmt_sweeps_national`` (150,000 accounts in 7,500 departments, 15,000,000 publications,
1,500,000 drafts and 1,500,000 inquiries, the same proportions, and the reminder rows of two
earlier annual reviews: 1,500,000; about 5 minutes on two shared CPUs). Each sweep runs
``--runs`` times on each (every run told from the database's state: the national one keeps
writing its capped share), and a table compares them: p50 and slowest run at
national scale, its ratio to the same-run baseline (the query above, through asyncpg), and the
reads per run at both scales — flat when the most any run needed is the same at both. ``--keep``
leaves the databases, ``--reuse`` takes them again if they were loaded at the same scale (after
the migrations, as an upgrade would run them, and emptied of what the sweeps wrote), ``--explain``
prints EXPLAIN (ANALYZE, BUFFERS) of every read of each sweep's last national run.

    scripts/with-postgres bash -c '.venv/bin/python bench/sweeps.py --scale national \\
        --db "$XMT_TEST_DATABASE_URL"'

Targets (DESIGN.md §6, issue 19): each sweep under 1 s; the number of *reading* queries does not
grow with the data; peak RSS under 150 MB (SQLite), 200 MB (national).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    DEPARTMENT,
    PERSON,
    QueryCounter,
    Table,
    copy_tables,
    insert_sql,
    open_bulk,
    org_rows,
    rss_mb,
    sqlite_row,
)
from bot.app import build_bot
from bot.db import close_db, init_db
from bot.settings import Settings
from models import OutboxMessage
from schedules import SWEEPS

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=TZ)  # a Thursday, a working day


ROLES = ("head", "o1", "o2")  # per department: its head and two information officers
OFFICERS = {"o1", "o2"}
ACCOUNT = ("id", "name", "platform", "department_id", "post_every_days", "status", "created_at",
           "filed_at", "last_published_at", "description", "platform_account_id", "opened_on",
           "closure_evidence", "wechat", "cadence_reason", "closure_reason", "stop_reason",
           "verify_evidence", "refile", "feed_url")
PUBLICATION = ("id", "draft_id", "account_id", "version", "content_hash", "url", "recorded_by_id",
               "published_at", "source")
DRAFT = ("id", "account_id", "author_id", "status", "version", "created_at", "updated_at")
DRAFT_VERSION = ("id", "draft_id", "number", "category", "text", "content_hash", "screening",
                 "created_at")
REMINDER = ("id", "key", "kind", "subject", "step", "period", "created_at")
HISTORY_YEARS = (2024, 2025)  # annual reviews before this one: their reminder rows stay
INQUIRY = ("id", "account_id", "department_id", "source", "asker", "text", "received_at", "status",
           "owner_id", "claimed_at", "due_at", "answered_at", "answered_by_id", "answer", "relay")


@dataclass(frozen=True)
class Scale:
    accounts: int
    publications: int
    drafts: int
    inquiries: int

    @property
    def depts(self) -> int:
        return max(1, self.accounts // 20)


TEN_THOUSAND = Scale(10_000, 1_000_000, 100_000, 100_000)
# Issue 19: about 140,000 government new-media accounts in China; the rest in the same proportions.
NATIONAL = Scale(150_000, 15_000_000, 1_500_000, 1_500_000)


def tables(scale: Scale) -> list[Table]:
    """The organisation and its history as rows (the same on SQLite and PostgreSQL): departments of
    20 accounts, ``publications // accounts`` publications each (most accounts posted this
    morning, about 1% are 2–20 days behind), 1% of the drafts pending, and the inquiries of
    ``inquiry_rows``. Generators where the rows are many: nothing holds 15 million rows."""
    rng = random.Random(7)
    depts = scale.depts
    departments, people = org_rows(depts, ROLES, OFFICERS)
    filed = NOW - timedelta(days=400)
    behind = {a for a in range(scale.accounts) if rng.random() < 0.01}
    latest = [NOW - timedelta(days=rng.randint(2, 20), hours=rng.random()) if a in behind
              else NOW - timedelta(hours=0.5 + rng.random()) for a in range(scale.accounts)]
    # As recording a publication does: the account keeps its latest publication's time.
    accounts = [(a + 1, f"账号{a}", "wechat", a % depts + 1, 1 + a % 3, "operating", filed, filed,
                 latest[a], "", "", "", "", "{}", "", "", "", "", "{}", "")
                for a in range(scale.accounts)]
    per = max(1, scale.publications // scale.accounts)

    def publications() -> Iterator[tuple[Any, ...]]:
        pid = 0
        for a in range(scale.accounts):
            for k in range(per):
                pid += 1
                yield (pid, pid, a + 1, 1, "h", "https://x", 2, latest[a] - timedelta(days=k * 2), "chat")

    return [("department", DEPARTMENT, departments), ("person", PERSON, people),
            ("account", ACCOUNT, accounts), ("publication", PUBLICATION, publications()),
            ("draft", DRAFT, draft_rows(scale)),
            ("draft_version", DRAFT_VERSION, ((d[0], d[0], 1, "1", f"标题{d[0]}\n正文", "h", "[]", d[5])
                                              for d in draft_rows(scale))),
            ("inquiry", INQUIRY, inquiry_rows(scale)), ("reminder", REMINDER, reminder_history(scale))]


def reminder_history(scale: Scale) -> Iterator[tuple[Any, ...]]:
    """What earlier annual reviews left in the reminder table (kickoff, three weekly reminders and
    the last warning per account and year): a table of millions of rows at national scale, so
    that the sweeps' look-ups of what was sent are planned against a table that has lived."""
    n = 0
    for year in HISTORY_YEARS:
        at = datetime(year, 11, 3, 9, 30, tzinfo=TZ)
        weeks = [f"{year}w{datetime(year, 11, day, tzinfo=TZ).isocalendar()[1]:02d}" for day in (10, 17, 24)]
        steps = [("kickoff", str(year)), *(("weekly", w) for w in weeks), ("last", str(year))]
        for a in range(1, scale.accounts + 1):
            for step, period in steps:
                n += 1
                yield (n, f"review:{a}:{step}:{period}", "review", str(a), step, period, at)


def draft_rows(scale: Scale) -> Iterator[tuple[Any, ...]]:
    """1% pending (submitted 1–60 hours ago), the rest published or rejected; by an officer of
    the account's department. The same rows every time (for the drafts and their versions)."""
    rng = random.Random(8)
    for i in range(scale.drafts):
        pending = i % 100 == 0
        status = "pending" if pending else ("published" if i % 7 else "rejected")
        at = NOW - timedelta(hours=rng.randint(1, 60)) if pending else NOW - timedelta(days=30)
        account = rng.randrange(scale.accounts)
        author = (account % scale.depts) * 3 + 2
        yield (i + 1, account + 1, author, status, 1, at, at)


def inquiry_rows(scale: Scale) -> Iterator[tuple[Any, ...]]:
    """1% unclaimed (received up to 30 hours ago), 1% claimed with a deadline from five days ago
    to three days ahead, the rest answered weeks ago."""
    rng = random.Random(9)
    for i in range(scale.inquiries):
        account = rng.randrange(scale.accounts)
        dept = account % scale.depts
        officer = dept * 3 + 2
        row: tuple[Any, ...]
        if i % 100 == 0:
            received = NOW - timedelta(hours=rng.uniform(0.5, 30))
            row = ("open", None, None, None, None, None, "")
        elif i % 100 == 1:
            received = NOW - timedelta(days=rng.uniform(1, 10))
            due = NOW + timedelta(hours=rng.uniform(-120, 72))
            row = ("claimed", officer, received + timedelta(hours=1), due, None, None, "")
        else:
            received = NOW - timedelta(days=rng.uniform(10, 300))
            answered = received + timedelta(days=1)
            row = ("answered", officer, received, answered, answered, officer, "已答复")
        yield (i + 1, account + 1, dept + 1, "chat", "市民", f"咨询{i}", received, *row, "")


def load(path: Path, accounts: int, publications: int, drafts: int, inquiries: int) -> None:
    """The rows of ``tables`` into the migrated SQLite database at ``path`` (sqlite3, batches)."""
    scale = Scale(accounts, publications, drafts, inquiries)
    db = open_bulk(path, scale.depts, ROLES, OFFICERS)
    for table, columns, rows in tables(scale)[2:]:  # open_bulk wrote the organisation
        sql = insert_sql(table, columns)
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(sqlite_row(row))
            if len(batch) >= 20_000:
                db.executemany(sql, batch)
                batch.clear()
        db.executemany(sql, batch)
    db.commit()
    db.execute("ANALYZE")
    db.close()


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


async def measure(url: str, base: float, runs: int, counter: QueryCounter, *, label: str,
                  explain: bool = False) -> dict[str, list[dict[str, Any]]]:
    """Every sweep ``runs`` times against the database at ``url`` (already loaded), as the bot
    runs them; per run the time, the statements (and reads of them) and the reminders written.
    With ``explain``, the reads of each sweep's last run are kept in ``counter`` (``explained``)."""
    await init_db(url, apply_migrations=False)
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    bot = build_bot(settings, [], clock=lambda: NOW)
    results: dict[str, list[dict[str, Any]]] = {}
    for name, sweep in SWEEPS.items():
        out = []
        for n in range(runs):
            counter.reset()
            counter.keep = explain and n == runs - 1
            start = time.perf_counter()
            written = await sweep(NOW, bot.deps)
            out.append({"s": round(time.perf_counter() - start, 3), "queries": counter.count,
                        "reads": counter.reads, "written": written})
            if counter.keep:
                explained[(label, name)] = list(counter.kept)
        counter.keep = False
        results[name] = out
        print(f"{label} {name:>9} (slowest {max(r['s'] for r in out) / base:.2f}× baseline): " + "; ".join(
            f"run {n + 1} {r['s']:.3f} s, {r['queries']} queries ({r['reads']} reads), "
            f"{r['written']} reminders" for n, r in enumerate(out)), flush=True)
    messages = await OutboxMessage.filter(key__startswith="rem:review:").count()
    print(f"{label}    review: {results['review'][0]['written']} reminders in run 1 told in {messages} "
          "messages (one per person and step)", flush=True)
    await close_db()
    return results


#: (scale label, sweep) → the reads of its last run, with their parameters (``--explain``).
explained: dict[tuple[str, str], list[tuple[str, Any]]] = {}


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
        counter = QueryCounter()
        counter.install()
        results = await measure(url, base, 6, counter, label="sqlite")
        messages = results["review"][0]["written"] and await _review_messages(url)
    return {"sweeps": results, "baseline_s": base, "review_messages": messages}


async def _review_messages(url: str) -> int:
    await init_db(url, apply_migrations=False)
    try:
        return await OutboxMessage.filter(key__startswith="rem:review:").count()
    finally:
        await close_db()


# -- PostgreSQL: --scale national ------------------------------------------------------------------
def database_url(server: str, name: str) -> str:
    """``server`` (any database URL on the server) with its database replaced by ``name``."""
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _asyncpg_url(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1].split("?", 1)[0]


def _mark(scale: Scale) -> str:
    return (f"bench/sweeps.py {scale.accounts} accounts {scale.publications} publications "
            f"{scale.drafts} drafts {scale.inquiries} inquiries, reviews {HISTORY_YEARS}")


async def prepare(server: str, name: str, scale: Scale, reuse: bool) -> float | None:
    """Run in a child process (its memory is not the bot's): the database ``name`` on ``server``
    migrated and loaded with ``scale`` (COPY), or, with ``reuse`` and a database this bench loaded
    at that scale, migrated (new migrations run on the loaded data, as an upgrade would) and
    emptied of what the sweeps wrote. Returns the load's seconds, None if reused."""
    import asyncpg

    admin = await asyncpg.connect(_asyncpg_url(server))
    try:
        comment = await admin.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", name)
        fresh = not (reuse and comment == _mark(scale))
        if fresh:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = database_url(server, name)
    await init_db(url)  # migrations
    await close_db()
    if not fresh:
        conn = await asyncpg.connect(_asyncpg_url(url))
        try:
            # What the runs wrote (at NOW), not the loaded history.
            await conn.execute("DELETE FROM reminder WHERE created_at >= $1", NOW - timedelta(days=1))
            await conn.execute("TRUNCATE outbox_message, audit_event RESTART IDENTITY")
        finally:
            await conn.close()
        print(f"{name}: reused (loaded before; what the sweeps wrote removed)", flush=True)
        return None
    start = time.perf_counter()
    print(f"{name}: loading {_mark(scale)} with COPY", flush=True)
    await copy_tables(_asyncpg_url(url), tables(scale), log=lambda line: print(line, flush=True))
    admin = await asyncpg.connect(_asyncpg_url(server))
    try:
        await admin.execute(f"COMMENT ON DATABASE \"{name}\" IS '{_mark(scale)}'")
    finally:
        await admin.close()
    return time.perf_counter() - start


def _prepare_in_child(server: str, name: str, scale: Scale, reuse: bool) -> float | None:
    return asyncio.run(prepare(server, name, scale, reuse))


async def pg_baseline(url: str) -> float:
    """Median of three runs of the naive latest-publication-per-account query (asyncpg)."""
    import asyncpg

    conn = await asyncpg.connect(_asyncpg_url(url))
    times = []
    try:
        for _ in range(3):
            start = time.perf_counter()
            await conn.fetch("SELECT account_id, max(published_at) FROM publication GROUP BY account_id")
            times.append(time.perf_counter() - start)
    finally:
        await conn.close()
    return sorted(times)[1]


async def explain(url: str, reads: list[tuple[str, Any]]) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of each distinct read, with the parameters it ran with."""
    import asyncpg

    conn = await asyncpg.connect(_asyncpg_url(url))
    out = []
    try:
        await conn.execute("SET jit = off")  # as the sweeps run them (schedules.sql.Params)
        seen = set()
        for sql, args in reads:
            if sql in seen:
                continue
            seen.add(sql)
            plan = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *(args or ()))
            out.append(sql + "\n" + "\n".join(r[0] for r in plan))
    finally:
        await conn.close()
    return out


async def national(server: str, *, reuse: bool, keep: bool, runs: int,
                   do_explain: bool) -> dict[str, Any]:
    """The national scale and the 10,000-account scale on one PostgreSQL server, each in its own
    database, measured in the same run; see the module's notes."""
    scales = {"10000": TEN_THOUSAND, "national": NATIONAL}
    names = {label: f"xmt_sweeps_{label}" for label in scales}
    loads: dict[str, float | None] = {}
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        for label, scale in scales.items():
            loads[label] = await asyncio.get_running_loop().run_in_executor(
                pool, _prepare_in_child, server, names[label], scale, reuse)
            if loads[label] is not None:
                print(f"{label}: loaded in {loads[label]:.0f} s", flush=True)
    counter = QueryCounter()
    counter.install()
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    bases: dict[str, float] = {}
    for label in scales:
        url = database_url(server, names[label])
        bases[label] = await pg_baseline(url)
        print(f"{label}: baseline (latest publication per account, asyncpg): {bases[label]:.3f} s",
              flush=True)
        results[label] = await measure(url, bases[label], runs, counter, label=label,
                                       explain=do_explain and label == "national")
    if do_explain:
        url = database_url(server, names["national"])
        for (_, sweep), reads in explained.items():
            print(f"\n## EXPLAIN {sweep}")
            for plan in await explain(url, reads):
                print(plan + "\n")
    if not keep:
        import asyncpg

        admin = await asyncpg.connect(_asyncpg_url(server))
        try:
            for name in names.values():
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        finally:
            await admin.close()
    return {"sweeps": results, "baseline_s": bases, "load_s": loads}


def report_national(out: dict[str, Any]) -> dict[str, Any]:
    """Per sweep at national scale: p50 and max time, reads and statements per run at both
    scales (flat: the most any run took is the same), the baseline ratio; then RSS."""
    results, bases = out["sweeps"], out["baseline_s"]
    summary: dict[str, Any] = {}
    print("\nsweep       p50 s   max s  ×baseline  reads/run national | 10,000   statements max  flat")
    for name, runs in results["national"].items():
        times = sorted(r["s"] for r in runs)
        small = results["10000"][name]
        reads = [r["reads"] for r in runs]
        # Flat: the reads a run needs at most are the same at both scales. Writes follow what is
        # due (batches of 50 reminders, at most 300 a run): a full run writes as much at both.
        flat = max(reads) == max(r["reads"] for r in small)
        summary[name] = {"p50_s": times[len(times) // 2], "max_s": times[-1],
                         "ratio": round(times[-1] / bases["national"], 3), "reads": reads,
                         "reads_10000": [r["reads"] for r in small],
                         "queries": [r["queries"] for r in runs],
                         "queries_10000": [r["queries"] for r in small], "flat": flat}
        most = (max(r["queries"] for r in runs), max(r["queries"] for r in small))
        print(f"{name:>9} {times[len(times) // 2]:7.3f} {times[-1]:7.3f} "
              f"{times[-1] / bases['national']:9.2f}  {reads} | {[r['reads'] for r in small]}  "
              f"{most[0]} | {most[1]}  {'yes' if flat else 'NO'}")
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--publications", type=int, default=1_000_000)
    parser.add_argument("--drafts", type=int, default=100_000)
    parser.add_argument("--inquiries", type=int, default=100_000)
    parser.add_argument("--scale", choices=["national"], help="PostgreSQL at national scale (--db)")
    parser.add_argument("--db", help="postgres://… of a server this bench may create databases on")
    parser.add_argument("--reuse", action="store_true",
                        help="keep a database this bench loaded before at the same scale")
    parser.add_argument("--keep", action="store_true", help="leave the databases for --reuse")
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--explain", action="store_true",
                        help="EXPLAIN (ANALYZE, BUFFERS) the reads of each sweep's last run")
    args = parser.parse_args()
    if args.scale == "national":
        if not args.db or not args.db.startswith(("postgres://", "postgresql://")):
            parser.error("--scale national needs --db postgres://…")
        nat = asyncio.run(national(args.db, reuse=args.reuse, keep=args.keep, runs=args.runs,
                                   do_explain=args.explain))
        summary = report_national(nat)
        peak = round(rss_mb(), 1)
        max_s = max(v["max_s"] for v in summary.values())
        print(f"peak RSS {peak} MB (target < 200); slowest run {max_s} s (target < 1); "
              f"load {nat['load_s']}")
        print(json.dumps({"bench": "sweeps", "scale": "national", "max_s": max_s, "rss_mb": peak,
                          "baseline_s": {k: round(v, 3) for k, v in nat["baseline_s"].items()},
                          "load_s": nat["load_s"], "sweeps": summary}, ensure_ascii=False))
        sys.exit(0)
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
