"""Scheduled sweeps. APScheduler 3.x (in-memory job store, ``coalesce=True``,
``max_instances=1``) only triggers them, every ``XMT_SWEEP_EVERY_MINUTES``; each sweep is
``async def sweep(now, deps) -> int`` and decides from the database what is due, so a run missed
while the process was down is caught up by the next one, and a run repeated sends nothing twice.
Sweeps write nothing outside working hours (``XMT_WORK_HOURS`` on workdays): what falls due at
night or on a holiday is written, with the day counts of that moment, by the first run after the
next opening. The ``calendar`` sweep also reads the holidays file again when it changed.
One job is not a sweep: ``retention`` (``schedules.retention``) deletes what is past keeping,
once a day at 03:30.
Never import ``bot.channels`` here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.deps import Deps
from bot.reminders import CADENCE, INQUIRY, REVIEW
from schedules.approvals import KIND as APPROVAL
from schedules.approvals import urge_pending_approvals
from schedules.cadence import remind_posting_cadence
from schedules.calendar import KIND as CALENDAR
from schedules.calendar import check_working_calendar
from schedules.digest import KIND as DIGEST
from schedules.digest import send_morning_digest
from schedules.inquiries import remind_inquiry_deadlines
from schedules.refile import KIND as REFILE
from schedules.refile import remind_refile
from schedules.retention import AT as RETENTION_AT
from schedules.retention import JOB as RETENTION_JOB
from schedules.retention import prune_old_rows
from schedules.review import run_annual_review
from schedules.verification import KIND as VERIFY
from schedules.verification import remind_unverified
from schedules.watch import KIND as WATCH
from schedules.watch import watch_publications

Sweep = Callable[[datetime, Deps], Awaitable[int]]

# name → sweep, in the order they run (`xmt reminders run-now`, and each cycle of the scheduler:
# the jobs start STAGGER apart). The review comes first: on the day accounts must stop, the stop
# is made before any other sweep could ask their people to post or verify them. The calendar
# comes last: it tells only the Information Center, and reads the holidays file again.
SWEEPS: dict[str, Sweep] = {
    "review": run_annual_review,
    "cadence": remind_posting_cadence,
    "approvals": urge_pending_approvals,
    "digest": send_morning_digest,
    "verify": remind_unverified,
    "inquiries": remind_inquiry_deadlines,
    "refile": remind_refile,
    "watch": watch_publications,
    "calendar": check_working_calendar,
}
#: The reminder kind each sweep writes (``models.Reminder.kind``; its messages' outbox keys are
#: ``rem:<kind>:…``): how ``xmt reminders run-now`` lists each sweep's messages under it.
REMINDER_KINDS: dict[str, str] = {
    "review": REVIEW, "cadence": CADENCE, "approvals": APPROVAL, "digest": DIGEST, "verify": VERIFY,
    "inquiries": INQUIRY, "refile": REFILE, "watch": WATCH, "calendar": CALENDAR,
}
STAGGER = timedelta(seconds=10)


async def run_sweeps(deps: Deps, names: list[str] | None = None,
                     now: datetime | None = None) -> dict[str, int]:
    """Run the named sweeps (all by default) once; how many reminders each wrote."""
    when = now or deps.clock()
    counts = {}
    for name in names or list(SWEEPS):
        counts[name] = await SWEEPS[name](when, deps)
    deps.outbox.wake()
    return counts


def build_scheduler(deps: Deps) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(
        timezone=deps.settings.tz,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    start = datetime.now(deps.settings.tz)
    for n, name in enumerate(SWEEPS):

        async def run(name: str = name) -> None:
            try:
                written = (await run_sweeps(deps, [name]))[name]
            except Exception:
                deps.log.exception("sweep %s failed", name)
                return
            if written:  # quiet otherwise: six sweeps run every few minutes
                deps.log.info("sweep %s wrote %d reminders", name, written)

        scheduler.add_job(run, "interval", id=name, minutes=deps.settings.sweep_every_minutes,
                          next_run_time=start + n * STAGGER)

    async def retention() -> None:
        try:
            await prune_old_rows(deps.clock(), deps)
        except Exception:
            deps.log.exception("retention failed")

    scheduler.add_job(retention, "cron", id=RETENTION_JOB, hour=RETENTION_AT.hour,
                      minute=RETENTION_AT.minute)
    return scheduler
