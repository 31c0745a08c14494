"""Benchmark: a draft submitted → its approval card reaches the channel.

1,000 drafts are created, then submitted one after another through the real router (Inbox →
handler → outbox row → the running outbox worker, woken on commit) with a recording channel
that notes the moment the head's card arrives. Prints p50/p99 of that latency, a baseline
measured in the same run (one bare INSERT + commit of an outbox-sized row on the same database)
and the ratio, and ends with one JSON line.

    .venv/bin/python bench/submit_to_card.py [--drafts 1000] [--db sqlite:///tmp/x.sqlite3]

Targets (DESIGN.md §6): p50 < 50 ms, p99 < 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tortoise.transactions import in_transaction

from bot.app import build_bot, utc_now
from bot.cards import Card, Message
from bot.db import close_db, init_db
from bot.events import CardAction, TextMessage
from bot.org import import_file
from bot.settings import Settings
from models import Department, Draft, OutboxMessage, Person

ROOT = Path(__file__).resolve().parent.parent


class TimingChannel:
    """Records when each approval card arrives; everything else is accepted and dropped."""

    name = "local"

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.waiters: dict[str, asyncio.Future[float]] = {}
        self.previews: dict[int, str] = {}

    def person_address(self, person: Person) -> str | None:
        return person.code

    def group_address(self, department: Department) -> str | None:
        return "group:" + department.code

    async def send(self, address: str, message: Message, *, key: str) -> dict[str, Any]:
        if isinstance(message, Card):
            if message.card_id.startswith("ap-"):
                now = time.perf_counter()
                fut = self.waiters.pop(message.card_id, None)
                if fut is not None and not fut.done():
                    fut.set_result(now)
            elif message.card_id.startswith("pv-"):
                draft_id = int(message.card_id.split("-")[1])
                self.previews[draft_id] = next(b.payload for b in message.buttons
                                               if b.payload.startswith("sub:"))
        return {"message_id": key}

    async def update_card(self, address: str, ref: dict[str, Any], card: Card) -> None:
        return None


async def baseline(n: int = 300) -> float:
    """Median ms of one bare insert + commit of an outbox-sized row."""
    person = await Person.get(code="zhangsan")
    samples = []
    now = utc_now()
    for i in range(n):
        t0 = time.perf_counter()
        async with in_transaction():
            await OutboxMessage.create(key=f"baseline:{i}", lane="baseline", kind="text",
                                       person_id=person.id, body={"type": "text", "text": "x"},
                                       next_attempt_at=now, created_at=now, status="sent")
        samples.append((time.perf_counter() - t0) * 1000)
    await OutboxMessage.filter(lane="baseline").delete()
    return statistics.median(samples)


async def main(drafts: int, db_url: str) -> dict[str, Any]:
    await init_db(db_url)
    channel = TimingChannel()
    settings = Settings(_env_file=None, database_url=db_url)  # type: ignore[call-arg]
    bot = build_bot(settings, [channel])
    await import_file(ROOT / "examples" / "org.yaml", now=utc_now())
    bot.outbox.start()
    try:
        # Create the drafts (not measured).
        for i in range(drafts):
            await bot.inbox.accept(TextMessage(
                channel="local", sender="zhangsan", key=f"draft-{i}", received_at=utc_now(),
                text=f"投稿 @某某发布 1 第{i}篇\n正文{i}"))
        await bot.tasks.join()
        await bot.outbox.drain(utc_now())
        base = await baseline()
        latencies = []
        for draft_id in await Draft.all().order_by("id").values_list("id", flat=True):
            card_id = f"ap-{draft_id}-1"
            fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            channel.waiters[card_id] = fut
            t0 = time.perf_counter()
            await bot.inbox.accept(CardAction(
                channel="local", sender="zhangsan", key=f"submit-{draft_id}",
                received_at=utc_now(), payload=channel.previews[draft_id]))
            arrived = await asyncio.wait_for(fut, timeout=10)
            latencies.append((arrived - t0) * 1000)
        await bot.tasks.join()
    finally:
        await bot.outbox.stop()
        await close_db()
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return {"bench": "submit_to_card", "drafts": drafts, "p50_ms": round(p50, 2),
            "p99_ms": round(p99, 2), "baseline_insert_ms": round(base, 3),
            "p50_over_baseline": round(p50 / base, 1)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--drafts", type=int, default=1000)
    parser.add_argument("--db", default=None, help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite://{Path(tmp) / 'bench.sqlite3'}"
        result = asyncio.run(main(args.drafts, url))
    print(f"drafts submitted: {result['drafts']}")
    print(f"submit → card p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms "
          f"(targets 50 / 200 ms)")
    print(f"baseline (one insert + commit): {result['baseline_insert_ms']} ms; "
          f"p50 = {result['p50_over_baseline']}× baseline")
    print(json.dumps(result, ensure_ascii=False))
