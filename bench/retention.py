"""Benchmark: retention (``bot/retention.py``, issue 19 point 8) over a large backlog on SQLite.

A throwaway SQLite database (migrations, then a bulk load with the standard library's sqlite3)
holds ``--rows`` inbound events and ``--rows`` outbox rows; half of each is past keeping (done /
delivered 40 days ago), the rest is fresh (done or delivered today) or kept whatever its age
(received, failed; pending, dead; the rows of open cards). A twentieth of the outbox is card rows
(a copy and its update, closed or still open), so the cards' rule runs too.

Measured, in the same run, on two copies of the same file:

1. **prune**: ``bot.retention.prune`` (batches of ``--batch``, 5,000), its wall time, its
   statements (tortoise's log) and its DELETEs;
2. **baseline**: one DELETE per table naming exactly the same rows (``status``, time, the closed
   cards), the least any pruning can do — and what holds the database longest.

Meanwhile a writer inserts one inbound event every 5 ms, as callbacks would (one INSERT through
the same tortoise connection): how long each insert waits is the cost the prune puts on the bot
(p50, p99, max), against the same writer with nothing else running (``idle``).

    .venv/bin/python bench/retention.py [--rows 1000000] [--batch 5000]

Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tortoise import connections

from bench.common import QueryCounter, insert_sql, iso
from bot.db import close_db, init_db
from bot.retention import BATCH, prune

NOW = datetime(2026, 12, 2, 3, 30, tzinfo=UTC)
OLD = NOW - timedelta(days=40)
KEEP_DAYS = 30
INBOUND = ("key", "channel", "kind", "payload", "status", "received_at", "processed_at", "error")
OUTBOX = ("key", "lane", "kind", "person_id", "card_id", "body", "status", "attempts", "next_attempt_at",
          "notify_on_dead", "created_at", "sent_at", "last_error")
TEXT = json.dumps({"type": "text", "text": "【发布提醒】「某某发布」已 3 个工作日没有发布新内容",
                   "mentions": []}, ensure_ascii=False)


def _card(card_id: str, open_: bool) -> str:
    buttons = [{"label": "通过", "payload": "a", "style": "primary"}] if open_ else []
    return json.dumps({"type": "card", "card_id": card_id, "title": "稿件待审核", "buttons": buttons,
                       "status": "" if open_ else "已通过"}, ensure_ascii=False)


def inbound_rows(n: int) -> Iterator[tuple[Any, ...]]:
    """Half done 40 days ago (to go); the rest done today, or received / failed long ago (kept)."""
    old, now = iso(OLD), iso(NOW)
    for i in range(n):
        if i < n // 2:
            status, at = "done", old
        else:
            status, at = (("received", old) if i % 50 == 0 else ("failed", old) if i % 50 == 1
                          else ("done", now))
        yield (f"wecom:{i:012d}", "wecom", "text", "{}", status, at, None if status == "received" else at, "")


def outbox_rows(n: int) -> Iterator[tuple[Any, ...]]:
    """Half delivered 40 days ago (texts, and cards' copies and updates: those closed go, a quarter
    still open stay); the rest delivered today, pending or dead (kept)."""
    old, now = iso(OLD), iso(NOW)
    for i in range(n):
        person = i % 1000 + 1
        if i % 20 in (0, 1):  # a card: its copy (even) and its update (odd)
            number = i // 20
            to_go = i < n // 2 and number % 4 != 0  # a quarter of the old cards are still open
            kind = "card" if i % 20 == 0 else "card_update"
            body = _card(f"draft:{number}", open_=not to_go if kind == "card_update" else True)
            at = old if i < n // 2 else now
            yield (f"o{i}", f"p:{person}", kind, person, f"draft:{number}", body, "sent", 1, at, True, at,
                   at, "")
            continue
        if i < n // 2:
            status, at = "sent", old
        else:
            status, at = ("pending", now) if i % 50 == 2 else ("dead", old) if i % 50 == 3 else ("sent", now)
        yield (f"o{i}", f"p:{person}", "text", person, None, TEXT, status, 1, at, True, at,
               at if status == "sent" else None, "")


def load(path: Path, rows: int) -> dict[str, int]:
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA journal_mode=MEMORY")
    people = [(p, f"p{p}", f"人{p}", "", "", "", "", "", None, False, "[]", True) for p in range(1, 1001)]
    db.executemany(insert_sql("person", ("id", "code", "name", "title", "office_phone", "mobile", "qq",
                                         "wechat_id", "department_id", "is_officer", "roles", "active")),
                   people)
    db.executemany(insert_sql("inbound_event", INBOUND), inbound_rows(rows))
    db.executemany(insert_sql("outbox_message", OUTBOX), outbox_rows(rows))
    db.commit()
    counts = {
        "inbound_to_go": db.execute(
            "SELECT count(*) FROM inbound_event WHERE status='done' AND processed_at < ?",
            [iso(NOW - timedelta(days=KEEP_DAYS))]).fetchone()[0],
        "outbox_to_go": db.execute(f"SELECT count(*) FROM outbox_message WHERE {_OUTBOX_GONE}",
                                   [iso(NOW - timedelta(days=KEEP_DAYS))]).fetchone()[0],
    }
    db.close()
    return counts


# The baseline's outbox rows: delivered before the cut-off, texts and the closed cards' rows (an
# old card's number not a multiple of 4: see outbox_rows).
_OUTBOX_GONE = ("status = 'sent' AND sent_at < ? AND (card_id IS NULL OR "
                "CAST(substr(card_id, 7) AS INTEGER) % 4 != 0)")


async def writer(stop: asyncio.Event, waits: list[float], start: int) -> None:
    """One inbound INSERT every 5 ms until ``stop``; each one's wait in ``waits`` (ms)."""
    conn = connections.get("default")
    sql = insert_sql("inbound_event", INBOUND)
    n = start
    while not stop.is_set():
        n += 1
        t0 = time.perf_counter()
        await conn.execute_query(sql, [f"bench:{n}", "wecom", "text", "{}", "received", iso(NOW), None, ""])
        waits.append((time.perf_counter() - t0) * 1000)
        await asyncio.sleep(0.005)


async def measured(work: Callable[[], Awaitable[Any]], start: int) -> tuple[float, Any, list[float]]:
    """``work``'s wall time (s) and result, with the writer's waits meanwhile."""
    stop, waits = asyncio.Event(), []  # type: ignore[var-annotated]
    task = asyncio.create_task(writer(stop, waits, start))
    await asyncio.sleep(0.05)  # the writer is going
    t0 = time.perf_counter()
    result = await work()
    elapsed = time.perf_counter() - t0
    stop.set()
    await task
    return elapsed, result, waits


def figures(waits: list[float]) -> dict[str, float]:
    ordered = sorted(waits) or [0.0]

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))], 2)

    return {"inserts": len(waits), "p50_ms": pct(0.5), "p99_ms": pct(0.99), "max_ms": round(ordered[-1], 1)}


async def main(rows: int = 1_000_000, batch: int = BATCH) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path, copy = Path(tmp) / "retention.sqlite3", Path(tmp) / "baseline.sqlite3"
        await init_db(f"sqlite://{path}")
        await close_db()
        t0 = time.perf_counter()
        to_go = load(path, rows)
        shutil.copy(path, copy)
        print(f"loaded {rows:,} inbound events and {rows:,} outbox rows in {time.perf_counter() - t0:.1f} s; "
              f"past keeping: {to_go['inbound_to_go']:,} events, {to_go['outbox_to_go']:,} outbox rows",
              flush=True)

        await init_db(f"sqlite://{path}", apply_migrations=False)
        idle_s, _, idle = await measured(lambda: asyncio.sleep(2), 0)
        counter = QueryCounter()
        logger = counter.install()
        took, done, during = await measured(
            lambda: prune(NOW, inbox_keep_days=KEEP_DAYS, outbox_keep_days=KEEP_DAYS, batch=batch), 10**6)
        logger.removeHandler(counter)
        statements = counter.count - len(during)  # the writer's INSERTs are logged too
        await close_db()

        await init_db(f"sqlite://{copy}", apply_migrations=False)
        cutoff = iso(NOW - timedelta(days=KEEP_DAYS))
        conn = connections.get("default")

        async def one_statement_each() -> int:
            a = await conn.execute_query(
                "DELETE FROM inbound_event WHERE status = 'done' AND processed_at < ?", [cutoff])
            b = await conn.execute_query(f"DELETE FROM outbox_message WHERE {_OUTBOX_GONE}", [cutoff])
            return int(a[0]) + int(b[0])

        base_took, base_deleted, base_during = await measured(one_statement_each, 2 * 10**6)
        await close_db()

    result = {
        "rows": rows, "batch": batch,
        "prune": {"seconds": round(took, 2), "inbound": done.inbound, "outbox": done.outbox,
                  "statements": statements, "deletes": len(done.deletes),
                  "largest_delete": max(done.deletes, default=0), "insert_wait": figures(during)},
        "baseline": {"seconds": round(base_took, 2), "deleted": base_deleted, "statements": 2,
                     "insert_wait": figures(base_during)},
        "idle": {"seconds": round(idle_s, 2), "insert_wait": figures(idle)},
    }
    assert done.inbound == to_go["inbound_to_go"] and done.outbox == to_go["outbox_to_go"], (done, to_go)
    assert base_deleted == done.inbound + done.outbox
    p, b, i = result["prune"], result["baseline"], result["idle"]
    print(f"prune:    {p['seconds']:6.2f} s, {p['inbound']:,} events + {p['outbox']:,} outbox rows, "
          f"{p['statements']} statements ({p['deletes']} DELETEs, at most {p['largest_delete']:,} rows each)")
    print(f"baseline: {b['seconds']:6.2f} s, {b['deleted']:,} rows in 2 DELETEs "
          f"(prune/baseline {took / base_took:.2f}×)")
    for name, case in (("idle", i), ("prune", p), ("baseline", b)):
        w = case["insert_wait"]
        print(f"insert wait, {name:>8}: {w['inserts']:5} inserts, p50 {w['p50_ms']:7.2f} ms, "
              f"p99 {w['p99_ms']:8.2f} ms, max {w['max_ms']:8.1f} ms")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=BATCH)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.rows, args.batch))), flush=True)
