"""The daily retention job (issue 19): ``bot.retention.prune`` with the settings' keeps, at
``AT`` local time, when the bot is least busy (the batches keep it short at any hour). Every
instance runs it; the deletes are by id and conditional on nothing, so two runs at once delete
each row once and the second finds little. A run missed while the process was down is made by
the next day's: what is past keeping waits a day longer, nothing else.
"""

from __future__ import annotations

from datetime import datetime, time

from bot.deps import Deps
from bot.retention import prune

JOB = "retention"
AT = time(3, 30)


async def prune_old_rows(now: datetime, deps: Deps) -> int:
    """Delete what is past keeping; how many rows. Logged when it deleted any."""
    s = deps.settings
    done = await prune(now, inbox_keep_days=s.inbox_keep_days, outbox_keep_days=s.outbox_keep_days)
    if done.inbound or done.outbox:
        deps.log.info("retention deleted %d inbound events and %d outbox rows in %d statements",
                      done.inbound, done.outbox, len(done.deletes))
    return done.inbound + done.outbox
