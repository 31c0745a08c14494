"""The bot's own figures of an account's year, for its annual review report (Art. 5).

Art. 5 asks every account for a report in November and the Information Center judges it. What the
account did is mostly already on record here, so the report does not start from a blank page:
when ``年审 @账号`` asks for the report, the owner sees these figures and adds text or a file;
on submission they are frozen into ``ReviewReport.figures``, so the report keeps the figures it
was judged on even when the records move on (a late publication registered in December).

Every figure uses the definition the rest of the bot uses, never a copy of it:
- posts: Publication rows (已发布), per calendar month in local time;
- cadence kept (Art. 11): the year is cut, from the later of 1 January, the filing and the
  bot's first knowledge of the account (``created_at``: an imported account), into periods of
  ``post_every_days`` *working* days counted as the cadence sweep counts them
  (``bot.workdays.working_days_since``: Friday → Monday is one); a complete period with at
  least one publication is kept. The period under way is not counted yet. An account not on file
  has no cadence (None). The count ends at the closure, or the stop of a must-stop account;
- late and zombie episodes: the cadence sweep's own Reminder rows (one per episode and step);
- inquiries (Art. 12): received in the year, answered in time and overdue as 咨询统计 and the
  registry export count them (``bot.inquiry_ladder.is_overdue`` over ``times_of`` and
  ``first_commitments``), and the median reply time in working hours as 咨询统计 computes it;
- drafts blocked by screening (Art. 13): distinct drafts with a ``draft_blocked`` audit row;
- changes filed (Art. 4): AccountChange rows the Information Center filed in the year;
- published without approval (Art. 10, issue 17): the watch's ``unapproved_publication`` audit
  rows of the account (what it reported; the baseline it read first is not counted).

A fixed number of queries (eight at most), whatever the number of publications or inquiries.
The dict is plain JSON (ints, floats, strings, lists): it is stored as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from bot import texts
from bot.exports import year_bounds
from bot.inquiry_ladder import first_commitments, is_overdue, times_of
from bot.reminders import CADENCE as CADENCE_KIND
from bot.workdays import WorkCalendar, working_days_since
from models import AccountChange, AccountStatus, AuditEvent, Draft, Inquiry, Publication, Reminder
from models.org import Account

VERSION = 1  # the shape of the dict; a later shape may add keys, readers take what they know


def _cadence(account: Account, year: int, end: datetime, pub_days: list[date], cal: WorkCalendar
             ) -> tuple[int, int]:
    """(complete periods, periods with a post) for the year up to ``end`` (see the module doc)."""
    if account.filed_at is None or account.post_every_days < 1:
        return 0, 0
    starts = [date(year, 1, 1) - timedelta(days=1), cal.local(account.filed_at).date()]
    if account.created_at is not None:
        starts.append(cal.local(account.created_at).date())
    start = max(starts)
    last = cal.local(end - timedelta(microseconds=1)).date()
    stops = [account.closed_at]
    if account.status == AccountStatus.MUST_STOP:
        stops.append(account.stopped_at)
    for stop in stops:
        if stop is not None:
            last = min(last, cal.local(stop).date())
    if last <= start:
        return 0, 0
    inside = [d for d in pub_days if start <= d <= last]
    since = working_days_since([start, *inside], last)
    every = account.post_every_days
    periods = since[start] // every
    kept = {max(since[start] - since[d] - 1, 0) // every for d in inside}
    return periods, len({k for k in kept if k < periods})


async def year_figures(account: Account, year: int, now: datetime, cal: WorkCalendar) -> dict[str, Any]:
    """What the bot knows of ``account`` for the review ``year``, up to ``now``."""
    start, year_end = year_bounds(year, cal.tz)
    end = max(start, min(now, year_end))
    published = await Publication.filter(account_id=account.id, published_at__gte=start,
                                         published_at__lt=end).values("published_at")
    pub_days = [cal.local(p["published_at"]).date() for p in published]
    by_month = [0] * 12
    for day in pub_days:
        by_month[day.month - 1] += 1
    periods, kept = _cadence(account, year, end, pub_days, cal)
    episodes = await Reminder.filter(kind=CADENCE_KIND, subject=str(account.id), step__in=["late", "zombie"],
                                     created_at__gte=start, created_at__lt=end).values("step")
    steps = [str(e["step"]) for e in episodes]
    rows = await Inquiry.filter(account_id=account.id, received_at__gte=start, received_at__lt=end).values(
        "id", "received_at", "owner_id", "claimed_at", "due_at", "answered_at")
    committed = await first_commitments(start) if rows else {}
    answered = in_time = overdue = 0
    hours: list[float] = []
    for q in rows:
        late = is_overdue(times_of(q, committed), now, cal)  # as the registry export: a fact of the inquiry
        overdue += late
        if q["answered_at"] is not None:
            answered += 1
            in_time += not late
            hours.append(cal.working_seconds(q["received_at"], q["answered_at"]) / 3600)
    median = round(sorted(hours)[len(hours) // 2], 1) if hours else None  # as 咨询统计
    blocked_refs = [str(e["subject"]) for e in await AuditEvent.filter(
        action="draft_blocked", at__gte=start, at__lt=end).values("subject")]
    draft_ids = {int(s[1:]) for s in blocked_refs if s[:1] == "D" and s[1:].isdigit()}
    blocked = await Draft.filter(id__in=list(draft_ids), account_id=account.id).count() if draft_ids else 0
    changes = await AccountChange.filter(account_id=account.id, filed_at__gte=start, filed_at__lt=end).count()
    unapproved = await AuditEvent.filter(action="unapproved_publication", subject=account.name,
                                         at__gte=start, at__lt=end).count()
    return {
        "version": VERSION,
        "year": year,
        "as_of": cal.local(end - timedelta(microseconds=1)).date().isoformat(),
        "posts": len(pub_days),
        "posts_by_month": by_month,
        "post_every_days": account.post_every_days,
        "periods": periods,
        "periods_kept": kept,
        "kept_percent": round(100 * kept / periods) if periods else None,
        "late": steps.count("late"),
        "zombie": steps.count("zombie"),
        "inquiries": len(rows),
        "answered": answered,
        "in_time": in_time,
        "overdue": overdue,
        "median_reply_hours": median,
        "blocked_drafts": blocked,
        "changes_filed": changes,
        "unapproved": unapproved,
    }


def kept_percent(figures: Mapping[str, Any]) -> int | None:
    """The share of cadence periods kept, in whole percent (None: no complete period yet)."""
    periods = _int(figures, "periods")
    return round(100 * _int(figures, "periods_kept") / periods) if periods else None


def _int(figures: Mapping[str, Any], key: str) -> int:
    value = figures.get(key)
    return int(value) if isinstance(value, int | float) else 0


def render_figures(figures: Mapping[str, Any] | None) -> str:
    """The figures in Chinese, a few short lines: for the owner's chat and the Information
    Center's card. Empty for a report handed in before the bot kept figures."""
    if not figures:
        return ""
    as_of = str(figures.get("as_of") or "")
    try:
        day = date.fromisoformat(as_of)
    except ValueError:
        day = date(_int(figures, "year") or 1, 12, 31)
    median = figures.get("median_reply_hours")
    return texts.review_figures(
        year=_int(figures, "year"), month=day.month, day=day.day, posts=_int(figures, "posts"),
        by_month=[int(n) for n in figures.get("posts_by_month") or []],
        every=_int(figures, "post_every_days"), periods=_int(figures, "periods"),
        kept=_int(figures, "periods_kept"), kept_pct=kept_percent(figures), late=_int(figures, "late"),
        zombie=_int(figures, "zombie"), inquiries=_int(figures, "inquiries"),
        in_time=_int(figures, "in_time"), overdue=_int(figures, "overdue"),
        median_hours=float(median) if isinstance(median, int | float) else None,
        blocked=_int(figures, "blocked_drafts"), changes=_int(figures, "changes_filed"),
        unapproved=_int(figures, "unapproved"))


def figures_summary(figures: Mapping[str, Any] | None) -> str:
    """One line of the main figures, for the report history."""
    if not figures:
        return ""
    return texts.review_figures_line(
        posts=_int(figures, "posts"), kept_pct=kept_percent(figures), late=_int(figures, "late"),
        zombie=_int(figures, "zombie"), inquiries=_int(figures, "inquiries"),
        in_time=_int(figures, "in_time"), overdue=_int(figures, "overdue"),
        blocked=_int(figures, "blocked_drafts"), changes=_int(figures, "changes_filed"),
        unapproved=_int(figures, "unapproved"))


def card_fields(figures: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """The main figures as the review card's fields (none for a report without figures)."""
    if not figures:
        return []
    median = figures.get("median_reply_hours")
    return texts.review_card_fields(
        posts=_int(figures, "posts"), kept_pct=kept_percent(figures), kept=_int(figures, "periods_kept"),
        periods=_int(figures, "periods"), late=_int(figures, "late"), zombie=_int(figures, "zombie"),
        inquiries=_int(figures, "inquiries"), in_time=_int(figures, "in_time"),
        overdue=_int(figures, "overdue"),
        median_hours=float(median) if isinstance(median, int | float) else None,
        blocked=_int(figures, "blocked_drafts"), changes=_int(figures, "changes_filed"),
        unapproved=_int(figures, "unapproved"))
