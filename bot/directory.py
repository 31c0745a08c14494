"""The organisation's directory (通讯录) as the platforms show it to the bot: what ``xmt org
resolve`` and ``xmt org sync`` read (issue 16; Art. 4 changes of leader or administrator, Art. 7
officers). One interface, one implementation per platform in its channel folder
(``bot.channels.wecom.directory``, ``bot.channels.dingtalk.directory``); the CLI picks one.

What a self-built app is shown depends on the platform's permission rules and on the app's
visible range (可见范围): a person outside it is "not found" by mobile, a department outside it
is absent. Newer rules withhold some fields (names, mobiles) from apps created after a cut-off
date: such a field is ``None`` here, never an empty string, so the caller falls back to the
organisation file for it. The platform pages are cited in ``docs/directory.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class DirectoryError(Exception):
    """The directory refused or failed a call (``code``: the platform's error code, as text)."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class NoPermission(DirectoryError):
    """The app lacks the permission (or the API is closed to it): no retry helps."""


class DirectoryThrottled(DirectoryError):
    """Rate limited: try again later."""


@dataclass(frozen=True)
class DirectoryDepartment:
    id: str  # the platform's department id, as text
    name: str | None  # None when withheld
    parent: str | None  # None for the root


@dataclass(frozen=True)
class DirectoryPerson:
    userid: str  # WeCom userid / DingTalk userId
    name: str | None  # None when withheld
    mobile: str | None  # None when withheld
    departments: tuple[str, ...]  # department ids, as text
    active: bool = True  # False: disabled or not yet activated, still listed


class Directory(Protocol):
    """A platform's directory. Every method may raise ``NoPermission``, ``DirectoryThrottled`` or
    ``DirectoryError``."""

    platform: str  # "wecom" | "dingtalk": which Person column its ids fill

    async def userid_by_mobile(self, mobile: str) -> str | None:
        """The person's id, or None when no one with this mobile is in the app's visible range."""

    async def departments(self) -> list[DirectoryDepartment]:
        """Every department the app can see (the root included when visible)."""

    async def members(self, department_id: str) -> list[DirectoryPerson]:
        """The people directly in one department (not its sub-departments)."""

    async def person(self, userid: str) -> DirectoryPerson | None:
        """One person by their id, or None when the directory no longer has them (left, or
        outside the visible range)."""


async def department_names(directory: Directory, ids: list[str] | tuple[str, ...]) -> list[str] | None:
    """The names of the directory departments ``ids`` (in that order, unknown or unnamed ones
    left out), or None when the names are withheld from all of them. One ``departments()`` call."""
    shown = {d.id: d.name for d in await directory.departments()}
    names = [shown[i] for i in ids if shown.get(i) is not None]
    if ids and not names:
        return None
    return [n for n in names if n is not None]
