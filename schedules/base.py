"""What every sweep shares: its opening (``@sweep``: working hours only, and the lock that keeps
two runs of one sweep from even trying at once) and the cap on how many reminders one run writes.
Writing a reminder with its messages is ``bot.reminders`` (handlers write some too).

``@sweep(KIND)`` wraps a sweep's body, ``async def body(now, deps) -> int``: outside working hours
(``deps.calendar.is_open``) it returns 0 without a query (what falls due at night is written by the
first run after the opening), and when another run of the same kind holds the lock it returns 0
too; otherwise the body runs inside ``sweep_lock``, its reminders batched. The body is only the
sweep's own logic. Each run that holds the lock is measured (``bot.metrics.metrics_of(deps)``):
its duration, whether it ran to its end or failed, and the reminders it wrote.

The unique reminder key (kind, subject, step, period; ``bot.reminders``) is the guarantee: a sweep
run twice, late or in two processes sends each reminder once. The lock only saves the work: on
PostgreSQL a transaction-scoped advisory lock taken with ``pg_try_advisory_xact_lock`` (the other
instance skips this run), in one process an asyncio lock per sweep. Inside the lock the run's
reminders are batched (``bot.reminders.batched``).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from tortoise import connections
from tortoise.transactions import in_transaction

from bot.deps import Deps
from bot.metrics import metrics_of
from bot.reminders import batched

_local_locks: dict[str, asyncio.Lock] = {}
# Reminders one run writes at most (the most overdue first); the rest go out with the next run.
# A catch-up after a long outage comes in slices: each run stays well under a second, and the
# people at the other end are not flooded (WeCom drops more than 30 messages a minute per person).
MAX_PER_RUN = 300


@asynccontextmanager
async def sweep_lock(kind: str) -> AsyncIterator[bool]:
    """Yield True if this run may go ahead (no other run of ``kind`` holds the lock); the
    reminders written meanwhile are batched (see the module's notes)."""
    if connections.get("default").capabilities.dialect == "postgres":
        key = int.from_bytes(hashlib.sha1(f"xmt-sweep:{kind}".encode(),
                                          usedforsecurity=False).digest()[:7], "big")
        async with in_transaction() as conn:
            rows = await conn.execute_query_dict("SELECT pg_try_advisory_xact_lock($1) AS ok", [key])
            mine = bool(rows[0]["ok"])
            async with batched(mine):
                yield mine  # batches run as savepoints inside
        return
    lock = _local_locks.setdefault(kind, asyncio.Lock())
    if lock.locked():
        yield False
        return
    async with lock, batched(True):
        yield True


SweepFn = Callable[[datetime, Deps], Awaitable[int]]


def sweep(kind: str) -> Callable[[SweepFn], SweepFn]:
    """The common opening of every sweep (see the module's notes): the decorated body runs only in
    working hours and only in the run that holds ``kind``'s lock; otherwise the sweep wrote 0."""
    def wrap(body: SweepFn) -> SweepFn:
        @functools.wraps(body)
        async def run(now: datetime, deps: Deps) -> int:
            if not deps.calendar.is_open(now):
                return 0
            async with sweep_lock(kind) as mine:
                if not mine:
                    return 0
                return await measured(kind, deps, body(now, deps))
        return run
    return wrap


async def measured(kind: str, deps: Deps, run: Awaitable[int]) -> int:
    """Await one run of sweep ``kind`` and record it (``bot.metrics``): its duration and the
    reminders it wrote, or that it failed (then the exception goes on)."""
    started = time.perf_counter()
    try:
        written = await run
    except Exception:
        metrics_of(deps).sweep(kind, time.perf_counter() - started, written=None)
        raise
    metrics_of(deps).sweep(kind, time.perf_counter() - started, written=written)
    return written


