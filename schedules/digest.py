"""The morning digest: each head gets one message a working day listing the drafts waiting for
them (nothing when there are none). Sent by the first sweep of the working day; a process that
was down at the opening sends it when it comes back that day."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot import texts
from bot.cards import Text
from bot.deps import Deps
from bot.reminders import Send, remind
from bot.sql import Params
from models import Account, Department, Draft, DraftStatus, DraftVersion, Person, Reminder
from models.drafts import title_of
from schedules.base import MAX_PER_RUN, sweep

KIND = "digest"


@sweep(KIND)
async def send_morning_digest(now: datetime, deps: Deps) -> int:
    cal = deps.calendar
    day = cal.local(now).date().isoformat()
    # Only the drafts of the first MAX_PER_RUN heads (in the order of their oldest draft) not yet
    # sent today's digest, chosen in the database: at national scale reading every pending draft
    # with its account to group them by head took 2 s a run (15,000 drafts, 7,500 heads).
    q = Params()
    owed = (f"SELECT d.id, dep.head_id FROM draft d JOIN account a ON a.id = d.account_id "  # noqa: S608
            f"JOIN department dep ON dep.id = a.department_id "
            f"WHERE d.status = {q(DraftStatus.PENDING.value)} AND dep.head_id IS NOT NULL "
            f"AND {q.unsent(q.key(KIND, 'dep.head_id', 'morning', day))}")
    sql = (f"WITH p AS ({owed}), h AS (SELECT head_id FROM p GROUP BY head_id ORDER BY min(id) "  # noqa: S608
           f"LIMIT {q(MAX_PER_RUN)}) SELECT p.id FROM p WHERE p.head_id IN (SELECT head_id FROM h)")
    pending = await Draft.filter(id__in=await q.ids(sql)).order_by("id").values(
        "id", "version", "account_id", "author_id", "updated_at")
    if not pending:
        return 0
    accounts = {a["id"]: a for a in await Account.filter(
        id__in=list({d["account_id"] for d in pending})).values("id", "name", "department_id")}
    departments = {x.id: x for x in await Department.filter(
        id__in=list({a["department_id"] for a in accounts.values()}))}
    by_head: dict[int, list[dict[str, Any]]] = {}
    for d in pending:
        head_id = departments[accounts[d["account_id"]]["department_id"]].head_id
        if head_id:
            by_head.setdefault(head_id, []).append(d)
    done = await Reminder.sent(f"{KIND}:{h}:morning:{day}" for h in by_head)
    todo = dict(list({h: ds for h, ds in by_head.items()
                      if f"{KIND}:{h}:morning:{day}" not in done}.items())[:MAX_PER_RUN])
    if not todo:
        return 0
    heads = {p.id: p for p in await Person.filter(id__in=list(todo), active=True)}
    ids = [d["id"] for ds in todo.values() for d in ds]
    author_ids = {d["author_id"] for ds in todo.values() for d in ds}
    authors = {p.id: p.name for p in await Person.filter(id__in=list(author_ids))}
    versions = {(v.draft_id, v.number): v for v in await DraftVersion.filter(draft_id__in=ids)}
    sent = 0
    for head_id, drafts in todo.items():
        head = heads.get(head_id)
        if head is None:
            continue
        lines = []
        for d in drafts:
            v = versions.get((d["id"], d["version"]))
            hours = cal.working_seconds(d["updated_at"], now) / 3600  # as the urgings count
            lines.append(texts.digest_line(f"D{d['id']}", title_of(v.text) if v else "",
                                           accounts[d["account_id"]]["name"], authors.get(d["author_id"], ""),
                                           hours))
        if await remind(KIND, str(head_id), "morning", day,
                        [Send(head, Text(texts.digest(head.name, lines)))], deps=deps, now=now):
            sent += 1
    return sent
