"""Pending approvals (Art. 10): a draft waiting for its head is urged, then escalated.

Working time counts only open hours of workdays. Steps, once per draft version:
- ``urge1`` — after ``approval_urge_hours`` (4): 催办 to the head, with the card sent again (a new
  copy: an old one may no longer be updatable, and all copies close together on a decision);
- ``urge2`` — after one working day: again;
- ``escalate`` — after two working days: the Information Center is told.
A decision, a withdrawal or a new version ends the ladder (the draft is no longer pending at that
version).

A catch-up (the bot was down, or a demo started days later) finds several steps due at once:
the head gets only the highest (再次催办, not 催办 and then 再次催办 as two identical cards);
the steps passed over are recorded without a message, so they never come later. Escalation goes
to other people (the Information Center) and is sent as well. Every "waited" figure is in
working hours, like the thresholds (the morning digest too).
"""

from __future__ import annotations

from datetime import datetime

from bot import texts
from bot.cards import Text
from bot.deps import Deps
from bot.draft_cards import approval_card, load_views
from bot.reminders import Send, remind
from bot.sql import Params
from models import Draft, DraftStatus, Person, Reminder
from models.drafts import title_of
from models.org import info_center_admins
from schedules.base import MAX_PER_RUN, sweep

KIND = "approval"
HEAD_STEPS = ("urge1", "urge2")  # to the head, in order; "escalate" goes to the Information Center


@sweep(KIND)
async def urge_pending_approvals(now: datetime, deps: Deps) -> int:
    cal = deps.calendar
    steps = (("urge1", deps.settings.approval_urge_hours * 3600), ("urge2", cal.day_seconds),
             ("escalate", 2 * cal.day_seconds))
    longest = steps[-1][1]
    # Only the drafts with a step due and not written, the longest waiting first, chosen in the
    # database: a step is due once the draft waited its threshold in working time, i.e. once it
    # was submitted at or before the instant that much working time before now (one search of the
    # calendar per step, ``WorkCalendar.worked_since``, instead of counting working hours for
    # every pending draft: 15,000 of them took most of a second at national scale).
    since = {step: cal.worked_since(now, threshold) for step, threshold in steps}
    q = Params()
    sql = f"SELECT d.id FROM draft d WHERE d.status = {q(DraftStatus.PENDING.value)} AND ("  # noqa: S608
    for n, (step, _) in enumerate(steps):
        sql += f"{' OR ' if n else ''}({q.at('d.updated_at')} <= {q(since[step])} AND "
        sql += q.unsent(f"({q.text(KIND + ':')} || d.id || {q.text(':' + step + ':v')} || d.version)") + ")"
    sql += f") ORDER BY {q.at('d.updated_at')}, d.id LIMIT {q(MAX_PER_RUN)}"
    pending = sorted(await Draft.filter(id__in=await q.ids(sql)).values(
        "id", "version", "account_id", "author_id", "updated_at"), key=lambda d: (d["updated_at"], d["id"]))
    reached = [(d, step) for d in pending for step, _ in steps if d["updated_at"] <= since[step]]
    if not reached:
        return 0
    done = await Reminder.sent(Reminder.make_key(KIND, str(d["id"]), s, f"v{d['version']}")
                               for d, s in reached)
    due = [(d, s, cal.working_seconds(d["updated_at"], now, stop_after=longest)) for d, s in reached
           if Reminder.make_key(KIND, str(d["id"]), s, f"v{d['version']}") not in done][:MAX_PER_RUN]
    if not due:
        return 0
    # One urging per draft and run: the highest head step due; the lower ones are passed over.
    top = {d["id"]: s for d, s, _ in sorted(due, key=lambda item: HEAD_STEPS.index(item[1])
                                             if item[1] in HEAD_STEPS else -1) if s in HEAD_STEPS}
    views = await load_views(await Draft.filter(id__in=list({d["id"] for d, _, _ in due})))
    heads = {p.id: p for p in await Person.filter(
        id__in=list({v.department.head_id for v in views.values() if v.department.head_id}), active=True)}
    admins = await info_center_admins() if any(s == "escalate" for _, s, _ in due) else []
    sent = 0
    for d, step, waited in due:
        view = views[d["id"]]
        dept = view.department
        head = heads.get(dept.head_id or 0)
        title = title_of(view.version.text)
        ref, author = view.ref, view.author.name
        hours = waited / 3600
        sends: list[Send] = []
        if step in HEAD_STEPS and step != top[d["id"]]:
            await remind(KIND, str(d["id"]), step, f"v{d['version']}", [], deps=deps, now=now)
            continue
        if step in HEAD_STEPS and head is not None:
            sends.append(Send(head, Text(texts.urge_head(ref, title, author, hours, again=step == "urge2"))))
            sends.append(Send(head, approval_card(view)))
        elif step == "escalate":
            text = texts.approval_overdue(ref, title, dept.name, head.name if head else "", hours)
            sends += [Send(a, Text(text)) for a in admins]
        if sends and await remind(KIND, str(d["id"]), step, f"v{d['version']}", sends, deps=deps,
                                  now=now):
            sent += 1
    return sent
