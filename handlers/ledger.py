"""The registry views (Art. 4, 5, 6): 台账 lists every account for the Information Center;
``账号 @x`` shows one account — its standing (platform, department, status, leader, administrator,
account id, followers, filing, verification, last publication, cadence) and then its whole life in
order, each line saying when and who. Imports no channel.

The life is read from the rows the other handlers write, never from the audit log (which is for
tamper evidence, not display) and never guessed:
- applications (form 1) linked to the account, and refused or rejected ones of the same name in
  the same department made before it (earlier attempts at this account): submitted by the
  applicant, the head's attestation or refusal (Art. 4: the head signs before the Information
  Center decides), the Information Center's approval or refusal with its opinion (Art. 6: who);
- an account with no application came from the organisation file: its import, and its filing date
  as the file gives it (a date, no form, nobody) — shown as that, never as a 备案 by someone;
- filings (form 2): submitted by, acknowledged (已备案) or returned by;
- verification: when, by whom, the evidence (the link, or 截图);
- changes of leader or administrator: requested by, filed by;
- annual reviews (Art. 5): submitted by, 合格/不合格 by whom and why. 不合格 stops the account at
  once (Art. 5; the judgement line says so), and a 合格 clears the stop columns, so a stop that has
  ended is known only from its 不合格. The stop in force (``stopped_at``, ``stop_reason``; an empty
  reason = no report by the deadline) gets its own line unless it is that 不合格;
- closure: requested by whom, why, the evidence; confirmed by whom. A returned request is cleared
  from the account and so is not shown.
A column left empty by an older row (a verification without ``verified_by_id``, a decision without
its time) is shown as not recorded; a time not recorded sorts right after the act it follows.

Length: a WeCom text holds 2,048 bytes (the channel cuts the rest), and a long-lived account (ten
years of reviews, changes of administrator) outgrows it. The reply is one message: the header, then
the LATEST events that fit in ``texts.ACCOUNT_RECORD_BYTES``, with one line saying how many earlier
ones are left out. One message because the reader asks "where does this account stand and how did
it get here": the header holds the standing, the recent events are the ones acted on, and several
messages for one question arrive interleaved with cards and reminders on a phone. The older
reviews are all in ``年审记录 @账号``.

Queries are bounded: the account, its department, one query each for applications, filings,
changes and reviews (blobs left out), and one for the people named — whatever the length of the life.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tortoise.expressions import Q

from bot import texts
from bot.campaign import review_window
from bot.deps import Deps
from bot.events import TextMessage
from bot.router import Ctx, Router
from handlers.common import own_account_from_args
from models import (
    Account,
    AccountApplication,
    AccountChange,
    AccountFiling,
    AccountStatus,
    ApplicationStatus,
    AuditEvent,
    Department,
    Person,
    ReviewReport,
    ReviewStatus,
)
from models.org import is_info_center_admin

router = Router(name=__name__)

# A stop in force is the one a 不合格 set when it began within this of the judgement.
SAME_ACT = timedelta(minutes=5)


@router.command(*texts.CMD_REGISTRY)
async def on_registry(ctx: Ctx[TextMessage], deps: Deps) -> None:
    if not await is_info_center_admin(ctx.person):
        await ctx.reply(texts.ONLY_INFO_CENTER_REGISTRY)
        return
    accounts = await Account.all().order_by("department_id", "id")
    depts = {d.id: d.name for d in await Department.all()}
    people = {p.id: p.name for p in await Person.all()}
    year, _ = review_window(ctx.local_now.date(), deps.settings)
    reviews = {r.account_id: r.status.value for r in await ReviewReport.filter(year=year).order_by("id")
               .only("id", "account_id", "status")}
    lines = [texts.registry_line(
        a.name, texts.PLATFORM_NAMES.get(a.platform.value, ""), depts.get(a.department_id, ""),
        texts.ACCOUNT_STATUS_NAMES.get(a.status.value, a.status.value)
        + texts.registry_standing(a.status == AccountStatus.MUST_STOP, a.stop_reason,
                                  a.closure_requested_at is not None and a.closed_at is None,
                                  bool(a.refile_roles())),
        people.get(a.leader_id or 0, ""), people.get(a.admin_id or 0, ""),
        ctx.local(a.last_published_at).strftime("%m-%d") if a.last_published_at else "",
        a.filed_at is not None, a.verified_at is not None,
        texts.review_status_name(reviews.get(a.id)))
        + texts.registry_cadence(a.post_every_days, a.cadence_reason) for a in accounts]
    await ctx.reply(texts.registry(lines))


# -- 账号 @x: the account's life ---------------------------------------------------------------------
@dataclass(frozen=True)
class Event:
    """One act in the account's life. ``at`` places it (UTC); ``rank`` orders acts recorded at the
    same moment in the order they happen (a filing's acknowledgement before the change it files);
    ``when`` is what the line shows: the local time, a date only, or "not recorded"."""

    at: datetime
    rank: int
    text: str
    when: str


@dataclass(frozen=True)
class Life:
    """The rows an account's life is read from (blobs not loaded)."""

    account: Account
    applications: list[AccountApplication]
    filings: list[AccountFiling]
    changes: list[AccountChange]
    reviews: list[ReviewReport]
    unapproved: list[AuditEvent] = field(default_factory=list)  # the watch's reports (Art. 10)


def life_events(life: Life, names: dict[int, str], local: Callable[[datetime], datetime]) -> list[Event]:
    """Every act recorded on the account, oldest first. Pure: rows in, events out."""
    a = life.account
    events: list[Event] = []

    def who(person_id: int | None) -> str:
        return names.get(person_id or 0, "") or texts.LIFE_NOBODY

    def add(at: datetime | None, after: datetime, rank: int, text: str, date_only: bool = False) -> None:
        if at is None:  # not recorded on an older row: right after the act it follows
            events.append(Event(after, rank, text, texts.LIFE_UNTIMED))
        else:
            events.append(Event(at, rank, text, texts.life_when(local(at), date_only)))

    for app in life.applications:
        add(app.created_at, app.created_at, 0, texts.life_applied(app.ref, who(app.applicant_id)))
        if app.head_id is not None or app.head_decided_at is not None:
            add(app.head_decided_at, app.created_at, 1, texts.life_attested(
                who(app.head_id), app.head_id == app.applicant_id, app.status == ApplicationStatus.REFUSED))
        if app.ic_admin_id is not None or app.ic_decided_at is not None:
            add(app.ic_decided_at, app.head_decided_at or app.created_at, 2, texts.life_ic_decided(
                who(app.ic_admin_id), app.status == ApplicationStatus.APPROVED, texts.life_cut(app.reason)))
    if not life.applications:  # from the organisation file: what it says, and nothing more
        add(a.created_at, a.created_at, 3, texts.LIFE_IMPORTED)
    acknowledged = {f.acknowledged_at for f in life.filings if not f.returned}
    if a.filed_at is not None and a.filed_at not in acknowledged:
        add(a.filed_at, a.filed_at, 4, texts.LIFE_FILED_WITHOUT_FORM, date_only=True)
    for f in life.filings:
        pending = f.acknowledged_at is None and f.acknowledged_by_id is None
        add(f.submitted_at, f.submitted_at, 5, texts.life_filing_submitted(f.ref, who(f.submitted_by_id),
                                                                          pending))
        if not pending:
            add(f.acknowledged_at, f.submitted_at, 6, texts.life_filing_decided(
                f.ref, who(f.acknowledged_by_id), f.returned))
    if a.verified_at is not None:
        add(a.verified_at, a.verified_at, 7, texts.life_verified(
            names.get(a.verified_by_id or 0, ""), texts.life_cut(a.verify_evidence, texts.LIFE_LINK_CHARS)))
    for c in life.changes:
        role = texts.ROLE_NAMES.get(c.role, c.role)
        old, new = names.get(c.old_person_id or 0, ""), who(c.new_person_id)
        pending = c.filed_at is None and c.filed_by_id is None
        add(c.requested_at, c.requested_at, 8, texts.life_change_requested(role, old, new,
                                                                          who(c.requested_by_id), pending))
        if not pending:
            add(c.filed_at, c.requested_at, 9, texts.life_change_filed(role, old, new, who(c.filed_by_id)))
    stop_told = False
    for r in life.reviews:
        pending = r.status == ReviewStatus.SUBMITTED
        add(r.submitted_at, r.submitted_at, 10, texts.life_review_submitted(
            r.ref, r.year, who(r.submitted_by_id), pending))
        if pending:
            continue
        failed = r.status == ReviewStatus.FAILED
        add(r.decided_at, r.submitted_at, 11, texts.life_review_judged(
            r.ref, who(r.decided_by_id), not failed, texts.life_cut(r.reason)))
        if failed and a.stopped_at is not None and r.decided_at is not None \
                and abs(a.stopped_at - r.decided_at) <= SAME_ACT:
            stop_told = True
    if a.stopped_at is not None and not stop_told:
        add(a.stopped_at, a.stopped_at, 12, texts.life_stopped(texts.life_cut(a.stop_reason)))
    for role, person_id, why, since in a.refile_roles():  # Art. 4: the directory says they are gone
        add(since, a.created_at, 15, texts.refile_line(texts.ROLE_NAMES[role], who(person_id),
                                                       texts.why_text(why)))
    for e in life.unapproved:  # Art. 10: seen on the platform or in the feed, never approved
        seen = e.detail or {}
        add(e.at, e.at, 16, texts.life_unapproved(str(seen.get("title", "")), str(seen.get("url", ""))))
    if a.closure_requested_at is not None:
        add(a.closure_requested_at, a.closure_requested_at, 13, texts.life_closure_requested(
            who(a.closure_requested_by_id), texts.life_cut(a.closure_reason),
            texts.life_cut(a.closure_evidence, texts.LIFE_LINK_CHARS), a.closed_at is None))
    if a.closed_at is not None or a.closed_by_id is not None:
        add(a.closed_at, a.closure_requested_at or a.created_at, 14, texts.life_closed(
            names.get(a.closed_by_id or 0, "")))
    return sorted(events, key=lambda e: (e.at, e.rank))


def fit(header: str, lines: list[str], limit: int, omitted: Callable[[int], str]) -> str:
    """The header and the latest ``lines`` that fit in ``limit`` UTF-8 bytes, oldest first, with
    one line, ``omitted(n)``, saying how many earlier ones are left out."""
    size = len(header.encode()) + len(texts.LIFE_TITLE.encode()) + 2
    kept: list[str] = []
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i]
        note = len(omitted(i).encode()) + 1 if i else 0  # i lines would be left out
        if size + len(line.encode()) + 1 + note > limit:
            break
        kept.append(line)
        size += len(line.encode()) + 1
    kept.reverse()
    left_out = len(lines) - len(kept)
    body = ([omitted(left_out)] if left_out else []) + kept
    return "\n".join([header, texts.LIFE_TITLE, *body]) if lines else header


async def load_life(account: Account) -> tuple[Life, dict[int, Person]]:
    """The account's rows and everyone they name: six queries, however long the life."""
    apps = await AccountApplication.filter(
        Q(account_id=account.id)
        | Q(account_id__isnull=True, name=account.name, department_id=account.department_id,
            status__in=[ApplicationStatus.REFUSED, ApplicationStatus.REJECTED],
            created_at__lte=account.created_at)
    ).order_by("id").only("id", "name", "applicant_id", "status", "head_id", "head_decided_at",
                          "ic_admin_id", "ic_decided_at", "reason", "created_at")
    filings = await AccountFiling.filter(account_id=account.id).order_by("id").only(
        "id", "submitted_by_id", "submitted_at", "acknowledged_by_id", "acknowledged_at", "returned")
    changes = await AccountChange.filter(account_id=account.id).order_by("id")
    reviews = await ReviewReport.filter(account_id=account.id).order_by("id").only(
        "id", "year", "submitted_by_id", "submitted_at", "status", "decided_by_id", "decided_at", "reason")
    ids = {account.leader_id, account.admin_id, account.verified_by_id, account.closure_requested_by_id,
           account.closed_by_id, *(r[1] for r in account.refile_roles())}
    for app in apps:
        ids |= {app.applicant_id, app.head_id, app.ic_admin_id}
    for f in filings:
        ids |= {f.submitted_by_id, f.acknowledged_by_id}
    for c in changes:
        ids |= {c.old_person_id, c.new_person_id, c.requested_by_id, c.filed_by_id}
    for r in reviews:
        ids |= {r.submitted_by_id, r.decided_by_id}
    people = await Person.filter(id__in=[i for i in ids if i is not None])
    unapproved = await AuditEvent.filter(action="unapproved_publication", subject=account.name).order_by("id")
    return Life(account, apps, filings, changes, reviews, unapproved), {p.id: p for p in people}


@router.command(*texts.CMD_ACCOUNT)
async def on_account(ctx: Ctx[TextMessage], deps: Deps) -> None:
    found = await own_account_from_args(ctx, texts.ACCOUNT_USAGE)
    if found is None:
        return
    account, _ = found
    dept = await Department.get(id=account.department_id)
    life, people = await load_life(account)
    leader, admin = people.get(account.leader_id or 0), people.get(account.admin_id or 0)
    header = texts.account_record(
        account.name, texts.PLATFORM_NAMES.get(account.platform.value, ""), dept.name,
        texts.ACCOUNT_STATUS_NAMES.get(account.status.value, account.status.value),
        f"{leader.name} {leader.title} {leader.mobile}".strip() if leader else "",
        f"{admin.name} {admin.title} {admin.mobile}".strip() if admin else "",
        account.platform_account_id, account.followers,
        ctx.local(account.filed_at) if account.filed_at else None,
        ctx.local(account.verified_at) if account.verified_at else None,
        ctx.local(account.last_published_at) if account.last_published_at else None,
        texts.account_cadence(account.post_every_days, account.cadence_reason))
    names = {i: p.name for i, p in people.items()}
    lines = [f"{e.when} {e.text}" for e in life_events(life, names, ctx.local)]
    await ctx.reply(fit(header, lines, texts.ACCOUNT_RECORD_BYTES,
                        lambda n: texts.life_omitted(n, account.name)))
