"""``xmt org resolve``: fill people's platform ids from the directory by their mobile (issue 16).

An administrator knows everyone's mobile, not their WeCom userid or DingTalk userId (their 账号 in
通讯录, often an opaque string). For every active person with a mobile and no id on the platform,
the directory is asked (``bot.directory.Directory.userid_by_mobile``) and the answers are shown as
a table: found, not found (not in the app's visible range, or no such mobile), or ambiguous (the
id found already belongs to someone else in the organisation — two people sharing a mobile, or a
typo). Nothing is written when any lookup failed (no permission, rate limited: the table says
which) unless ``partial`` is given; found ids are written in one transaction with an audit line
each. Running it again asks only for those still without an id: idempotent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from tortoise.transactions import in_transaction

from bot import audit
from bot.directory import Directory, DirectoryError
from models import Person

MOBILE = re.compile(r"^\+?\d[\d\- ]{5,30}$")
COLUMNS = {"wecom": "wecom_userid", "dingtalk": "dingtalk_userid"}


class Outcome(str, Enum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    AMBIGUOUS = "ambiguous"
    FAILED = "failed"


@dataclass(frozen=True)
class Resolved:
    person: str  # the person's code
    name: str
    mobile: str
    outcome: Outcome
    userid: str = ""
    detail: str = ""  # why not found / ambiguous / failed


@dataclass(frozen=True)
class Report:
    rows: tuple[Resolved, ...]
    written: int

    @property
    def failed(self) -> bool:
        return any(r.outcome == Outcome.FAILED for r in self.rows)


def _mobile(text: str) -> str:
    """The mobile as the directory looks it up: digits (a leading + kept), no separators."""
    return re.sub(r"[\s\-]", "", text)


async def resolve(directory: Directory, *, now: datetime, partial: bool = False,
                  actor: str = "cli") -> Report:
    column = COLUMNS[directory.platform]
    people = await Person.filter(active=True, **{f"{column}__isnull": True}).exclude(mobile="") \
        .order_by("code")
    taken = {str(u): str(c) for u, c in await Person.exclude(**{f"{column}__isnull": True})
             .values_list(column, "code")}
    rows: list[Resolved] = []
    for person in people:
        if not MOBILE.match(person.mobile):
            rows.append(Resolved(person.code, person.name, person.mobile, Outcome.NOT_FOUND,
                                 detail="bad mobile"))
            continue
        try:
            userid = await directory.userid_by_mobile(_mobile(person.mobile))
        except DirectoryError as exc:
            rows.append(Resolved(person.code, person.name, person.mobile, Outcome.FAILED,
                                 detail=f"{type(exc).__name__} {exc.code}".strip()))
            continue
        rows.append(Resolved(person.code, person.name, person.mobile,
                             Outcome.NOT_FOUND if userid is None else Outcome.FOUND, userid or ""))
    # An id someone already has, or that two people looked up here got: nobody's (a shared
    # mobile, a typo); every one of them is named.
    holders: dict[str, list[str]] = {}
    for r in rows:
        if r.outcome == Outcome.FOUND:
            holders.setdefault(r.userid, []).append(r.person)
    for userid, codes in holders.items():
        if userid in taken:
            codes.append(taken[userid])
    rows = [Resolved(r.person, r.name, r.mobile, Outcome.AMBIGUOUS, r.userid,
                     detail="also " + "、".join(c for c in holders[r.userid] if c != r.person))
            if r.outcome == Outcome.FOUND and len(holders[r.userid]) > 1 else r for r in rows]
    report = Report(tuple(rows), 0)
    if report.failed and not partial:
        return report
    found = [r for r in rows if r.outcome == Outcome.FOUND]
    async with in_transaction():
        for r in found:
            await Person.filter(code=r.person, **{f"{column}__isnull": True}).update(**{column: r.userid})
            await audit.record(actor, "person_resolved", r.person,
                               {"platform": directory.platform, "userid": r.userid}, now=now)
    return Report(tuple(rows), len(found))
