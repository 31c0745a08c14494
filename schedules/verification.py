"""Verification (认证, Art. 4): a filed account that is not yet verified is reminded once a week,
to its administrator, until someone sends ``已认证 @账号``."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot import texts
from bot.cards import Text
from bot.router import Deps
from models import Account, AccountStatus, Person, Reminder
from schedules.base import MAX_PER_RUN, Send, calendar, remind, sent_keys, sweep_lock

KIND = "verify"
FIRST_AFTER = timedelta(days=7)


async def remind_unverified(now: datetime, deps: Deps) -> int:
    cal = calendar(deps)
    if not cal.is_open(now):
        return 0
    async with sweep_lock(KIND) as mine:
        if not mine:
            return 0
        today = cal.local(now).date()
        week = f"{today.isocalendar()[0]}w{today.isocalendar()[1]:02d}"
        accounts = [a for a in await Account.filter(
            status=AccountStatus.OPERATING, filed_at__isnull=False, verified_at__isnull=True,
            admin_id__isnull=False).order_by("id") if a.filed_at and now - a.filed_at >= FIRST_AFTER]
        done = await sent_keys(Reminder.make_key(KIND, str(a.id), "weekly", week) for a in accounts)
        todo = [a for a in accounts if Reminder.make_key(KIND, str(a.id), "weekly", week) not in done]
        admins = {p.id: p for p in await Person.filter(
            id__in=[a.admin_id for a in todo[:MAX_PER_RUN]], active=True)}
        sent = 0
        for account in todo[:MAX_PER_RUN]:
            admin = admins.get(account.admin_id or 0)
            if admin is not None and await remind(
                    KIND, str(account.id), "weekly", week,
                    [Send(admin, Text(texts.verify_reminder(account.name)))], deps=deps, now=now):
                sent += 1
        return sent
