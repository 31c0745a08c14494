"""The demo's history: on its first start ``xmt demo`` plays a few weeks of the organisation's work
through the real bot, so that every ladder has something to show on the first page view.

Why a replay and not rows written directly: every message, card, reminder row and audit line is
then exactly what the bot would have made (the simulator shows the chats as they happened), and
nothing here can drift from the handlers. The bot's clock is moved back for each step
(``DemoClock``), the event goes through the inbox, and the outbox is drained at that time.

What the script leaves, counted back from the demo's "now" in working days:
- the organisation known to the bot since 60 working days ago (so no account is "new");
- 某某发布 (every 2 working days) posted regularly, the last time 1 working day ago;
- 某某头条 (every 3) last posted 12 working days ago: late, and a zombie two days on;
- 某某服务 (every 3) posted 4 working days ago: due;
- a draft by 陈七 for 某某发布 waiting for 李四 since the day before (urgings follow);
- an inquiry to 某某发布 from this morning, not yet claimed (the officers' ladder);
- during the annual review window (November): 某某服务's report judged 合格 by 王五, 某某发布's
  handed in by 张三 and waiting for the Information Center, none for 某某头条 (it must stop on
  1 December);
- then (issue 17) 某某发布 gets simulated API keys (``simulate_wechat_api``; the simulator's
  ``SimulatedPublisher`` stands in for WeChat's publishing API): from then on an approval of its
  drafts brings the author 发布到公众号, and the watch reads it — read once here, so that its
  first read (the baseline, which reports nothing) is behind and the page's 公众号后台直接发布
  is reported at once. The history before stays as it was (approved, then ``已发布`` by hand).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from bot import texts
from bot.app import Bot
from bot.campaign import campaign_day, review_window
from bot.channels.local.channel import LocalChannel
from bot.channels.local.publisher import SimulatedPublisher
from bot.events import CardAction, Event, TextMessage
from bot.org import import_file
from bot.publish_jobs import credentials
from bot.workdays import WorkCalendar, is_workday
from models import Account, Person, Platform
from schedules.watch import watch_account_now

log = logging.getLogger("xmt.demo")

# The demo's WeChat official accounts' API keys: obviously not WeChat's (an AppID is "wx" and 16
# hex digits), only ever used with the simulator's publisher, which checks nothing.
SIMULATED_WECHAT_KEYS = {"app_id": "wx000000000000demo", "app_secret": "simulated-not-a-wechat-secret"}


@dataclass
class DemoClock:
    """The demo's clock (real, or shifted by ``--at``), which the replay moves back in time.

    It reads in UTC, as the bot's real clock does: tortoise stores an aware datetime in the
    offset it was given, and SQLite compares the text, so a replayed moment set in local time
    (``+08:00``) would sort eight hours off against everything written in UTC."""

    base: Callable[[], datetime]
    at: datetime | None = None

    def __call__(self) -> datetime:
        return self.at.astimezone(UTC) if self.at is not None else self.base()


def working_days_back(cal: WorkCalendar, now: datetime, days: int, hour: int = 10,
                      minute: int = 0) -> datetime:
    """``hour:minute`` local time on the working day ``days`` working days before ``now``."""
    day = cal.local(now).date()
    while days > 0:
        day -= timedelta(days=1)
        if is_workday(day):
            days -= 1
    return datetime.combine(day, time(hour, minute), cal.tz)


class Replay:
    def __init__(self, bot: Bot, local: LocalChannel, clock: DemoClock) -> None:
        self.bot, self.local, self.clock = bot, local, clock
        self._keys = itertools.count(1)

    async def _run(self, event: Event) -> None:
        await self.bot.inbox.accept(event)
        await self.bot.tasks.join()
        assert self.clock.at is not None
        await self.bot.outbox.drain(self.clock.at)

    async def say(self, at: datetime, who: str, text: str) -> None:
        self.clock.at = at
        await self._run(TextMessage(channel="local", sender=who, key=f"demo-{next(self._keys)}",
                                    received_at=at, text=text))
        await self.local.record_inbound(who, who, {"type": "text", "text": text})

    async def tap(self, at: datetime, who: str, card_prefix: str, label: str) -> bool:
        """Tap ``label`` on the newest card with that id prefix in ``who``'s chat."""
        cards = [m for m in self.local.messages({who}) if m.body.get("type") == "card"
                 and str(m.body.get("card_id", "")).startswith(card_prefix)]
        for message in reversed(cards):
            button = next((b for b in message.body.get("buttons", []) if b["label"] == label), None)
            if button is not None:
                self.clock.at = at
                await self._run(CardAction(channel="local", sender=who, key=f"demo-{next(self._keys)}",
                                           received_at=at, payload=button["payload"],
                                           card_id=str(message.body["card_id"])))
                return True
        log.warning("demo replay: no %s button on a %s card for %s", label, card_prefix, who)
        return False

    def last_ref(self, who: str, prefix: str) -> str:
        """The newest reference (D7, Q3, N2 …) the bot named in ``who``'s chat."""
        import re

        for message in reversed(self.local.messages({who})):
            found = re.findall(rf"\b{prefix}\d+\b", str(message.body.get("text") or "")
                               + str(message.body.get("title") or ""))
            if found:
                return str(found[-1])
        return ""


async def _publish(r: Replay, cal: WorkCalendar, now: datetime, days: int, author: str, head: str,
                   account: str, post: tuple[str, str]) -> None:
    """``post``: (title, body), the title with ``{days}`` (texts.DEMO_POST_*)."""
    at = working_days_back(cal, now, days, 9, 30)
    title, body = post[0].format(days=days), post[1]
    await r.say(at, author, texts.demo_draft(account, title, body))
    await r.tap(at + timedelta(minutes=2), author, "pv-", texts.BUTTON_SUBMIT)
    await r.tap(at + timedelta(hours=1), head, "ap-", texts.BUTTON_APPROVE)
    ref = r.last_ref(author, "D")
    await r.say(at + timedelta(hours=2), author, texts.demo_published(ref, f"https://mp.weixin.qq.com/s/demo{days}"))


async def play(bot: Bot, local: LocalChannel, clock: DemoClock, org_file: Path) -> None:
    """Import the organisation as known since 60 working days ago and play the script."""
    settings = bot.settings
    cal = WorkCalendar.parse(settings.tz, settings.work_hours)
    now = clock.base()
    await import_file(org_file, now=working_days_back(cal, now, 60, 9, 0), tz=settings.tz)
    r = Replay(bot, local, clock)
    try:
        for days in (40, 30, 20, 10, 5, 1):
            await _publish(r, cal, now, days, "zhangsan", "lisi", texts.DEMO_ACCOUNT_NEWS,
                           texts.DEMO_POST_NEWS)
        for days in (30, 12):
            await _publish(r, cal, now, days, "chenqi", "lisi", texts.DEMO_ACCOUNT_HEADLINES,
                           texts.DEMO_POST_HEADLINES)
        for days in (20, 4):
            await _publish(r, cal, now, days, "wujiu", "zhouba", texts.DEMO_ACCOUNT_SERVICE,
                           texts.DEMO_POST_SERVICE)
        # The annual review of the campaign that ``now`` is in or after: each step only if its
        # day has come (a demo started on 5 November shows the kickoff and no report yet).
        year, _ = review_window(cal.local(now).date(), settings)
        opens = datetime.combine(campaign_day(year, settings.review_opens), time(10, 0), cal.tz)
        passed_at = cal.next_opening(opens + timedelta(days=19))  # about 20 November
        waiting_at = cal.next_opening(datetime.combine(
            campaign_day(year, settings.review_last_warning), time(15, 0), cal.tz) + timedelta(days=2))
        if passed_at < now:
            await r.say(passed_at, "wujiu", texts.demo_review(texts.DEMO_ACCOUNT_SERVICE, year, passed=True))
            await r.tap(passed_at + timedelta(hours=2), "wangwu", "review-", texts.BUTTON_PASS)
        if waiting_at < now:
            await r.say(waiting_at, "zhangsan",
                        texts.demo_review(texts.DEMO_ACCOUNT_NEWS, year, passed=False))
        pending = working_days_back(cal, now, 1, 11, 0)
        await r.say(pending, "chenqi", texts.demo_draft(texts.DEMO_ACCOUNT_NEWS, *texts.DEMO_POST_PENDING))
        await r.tap(pending + timedelta(minutes=3), "chenqi", "pv-", texts.BUTTON_SUBMIT)
        morning = cal.next_opening(datetime.combine(cal.local(now).date(), time(0, 0), cal.tz))
        if morning < now:
            await r.say(morning + timedelta(minutes=10), "zhangsan",
                        texts.demo_inquiry(texts.DEMO_ACCOUNT_NEWS))
    finally:
        clock.at = None
    await simulate_wechat_api()
    if isinstance(bot.deps.publisher, SimulatedPublisher):  # the watch's baseline, read now
        for account in await Account.filter(platform=Platform.WECHAT):
            await watch_account_now(account.id, clock(), bot.deps)
    log.info("demo replay done: %d people, history up to %s", await Person.all().count(), now)


async def simulate_wechat_api() -> int:
    """Give the demo's live WeChat official accounts without API keys the simulated ones, so that
    发布到公众号 and the watch work with the simulator's publisher (``SimulatedPublisher``).
    For the demo's database only (``xmt demo``): an organisation file imported again drops them,
    so ``xmt demo`` calls this on every start. Returns how many accounts got them."""
    given = 0
    for account in await Account.filter(platform=Platform.WECHAT).order_by("id"):
        if account.status.live and credentials(account) is None:
            await Account.filter(id=account.id).update(wechat={**(account.wechat or {}),
                                                               **SIMULATED_WECHAT_KEYS})
            given += 1
    return given
