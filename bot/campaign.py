"""The annual review campaign's calendar and people (Art. 5), below the sweep that runs it
(``schedules.review``) and the handlers that take and judge reports (``handlers.reviews``,
``bot.judging``): which year a day belongs to and whether reports are taken, who takes
part, who hears of a report and of a 不合格.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.settings import Settings
from models import Account, AccountStatus, Department, Person

# Art. 5 asks every official account open on its platform for a report: filed ones, and those
# that existed before the bot and await filing (unfiled) — they run in their followers' eyes.
TAKING_PART = (AccountStatus.OPERATING, AccountStatus.UNFILED)


def campaign_day(year: int, month_day: str) -> date:
    """The date of a campaign setting (``"11-01"``) in ``year``."""
    month, day = (int(x) for x in month_day.split("-"))
    return date(year, month, day)


def review_window(today: date, settings: Settings) -> tuple[int, bool]:
    """The review year ``today`` belongs to, and whether reports are being taken now."""
    year = today.year if today >= campaign_day(today.year, settings.review_opens) else today.year - 1
    opens, closes = campaign_day(year, settings.review_opens), campaign_day(year, settings.review_closes)
    if closes <= opens:
        closes = campaign_day(year + 1, settings.review_closes)
    return year, opens <= today < closes


# A 不合格 is told to the account's people when the Information Center gives its reason (or skips
# it): one complete message. If the reason never comes (the admin tapped 不合格 on the next card
# first, which replaces the question, or walked away), the sweep tells them without it an hour on:
# an account is never stopped without its people hearing. The reminder row (subject "n<report>",
# step "failed") is written by whichever tells first; the other sees it.
FAILURE_NOTICE_WAIT = timedelta(hours=1)
FAILURE_NOTICE_SPAN = timedelta(days=14)  # judgements older than this were told by the old flow


def failure_notice(report_id: int, year: int) -> tuple[str, str, str]:
    """The reminder row (subject, step, period) that says a 不合格 was told."""
    return f"n{report_id}", "failed", str(year)


async def review_people(account: Account, *, leader: bool) -> list[Person]:
    """The administrator and the department head; with ``leader``, the 主管领导 too (Art. 14)."""
    dept = await Department.get(id=account.department_id)
    ids = [i for i in (account.admin_id, dept.head_id, account.leader_id if leader else None) if i]
    return await Person.filter(id__in=ids, active=True).order_by("id")
