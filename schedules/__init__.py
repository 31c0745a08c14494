"""Scheduled sweeps (APScheduler 3.x triggers functions that read due work from the database).

``build_scheduler`` creates the ``AsyncIOScheduler`` (in-memory job store, ``coalesce=True``,
``max_instances=1``) in the configured time zone. Each sweep is ``async def sweep(now, deps) ->
int``; the reminder sweeps (posting cadence, pending approvals, annual review) arrive with the
reminders issue — this module owns only the wiring so far. Never import ``bot.channels``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.router import Deps

Sweep = Callable[[datetime, Deps], Awaitable[int]]

# (name, sweep, cron fields); empty until the reminders issue adds sweeps.
SWEEPS: list[tuple[str, Sweep, dict[str, str]]] = []


def build_scheduler(deps: Deps) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(
        timezone=deps.settings.tz,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    for name, sweep, cron in SWEEPS:

        async def run(sweep: Sweep = sweep) -> None:
            await sweep(deps.clock(), deps)
            deps.outbox.wake()

        scheduler.add_job(run, "cron", id=name, **cron)
    return scheduler
