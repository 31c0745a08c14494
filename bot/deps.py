"""The app-wide services every handler and sweep is given (``deps``). Its own module, below the
router and the sweeps, so that a sweep needs no router and a handler no scheduler."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from bot.settings import Settings
from bot.workdays import WorkCalendar

if TYPE_CHECKING:
    from bot.outbox import Outbox
    from bot.publishing import Publisher
    from bot.screening import WordLists


@dataclass(frozen=True)
class Deps:
    """Frozen: handlers cannot swap them."""

    settings: Settings
    clock: Callable[[], datetime]
    outbox: Outbox
    log: logging.Logger
    wordlists: WordLists
    # Issue 17: WeChat's publishing API (None: no WeChat client, e.g. some tests) and the reader
    # of an account's RSS/Atom feed (its bytes; None: feeds are not read).
    publisher: Publisher | None = None
    fetch_feed: Callable[[str], Awaitable[bytes]] | None = None

    @cached_property
    def calendar(self) -> WorkCalendar:
        """The organisation's working hours and workdays (``XMT_TIMEZONE``, ``XMT_WORK_HOURS``)."""
        return WorkCalendar.parse(self.settings.tz, self.settings.work_hours)
