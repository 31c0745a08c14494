"""An account's history (Art. 4, 5, 6, 10): every act in its life in order, each line saying
when and who. One function for every place that shows it: ``账号 @x`` in chat
(``handlers.ledger``, which fits the latest lines into one message) and the console's account
page (issue 18: the same lines, no second truth). Imports no channel.

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
- a leader or administrator the directory says is gone (Art. 4: to be filed anew);
- publications seen on the platform or in the feed that were never approved (Art. 10: the watch);
- closure: requested by whom, why, the evidence; confirmed by whom. A returned request is cleared
  from the account and so is not shown.
A column left empty by an older row (a verification without ``verified_by_id``, a decision without
its time) is shown as not recorded; a time not recorded sorts right after the act it follows.

Queries are bounded: one query each for applications, filings, changes, reviews (blobs left out)
and the watch's reports, and one for the people named — whatever the length of the life.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum

from tortoise.expressions import Q

from bot import texts
from models import (
    Account,
    AccountApplication,
    AccountChange,
    AccountFiling,
    ApplicationStatus,
    AuditEvent,
    Person,
    ReviewReport,
    ReviewStatus,
)

# A stop in force is the one a 不合格 set when it began within this of the judgement.
SAME_ACT = timedelta(minutes=5)


class Kind(StrEnum):
    """What a line records. Declared in the order acts recorded at the same moment happen (a
    filing's acknowledgement before the change it files): that order breaks ties."""

    APPLIED = "applied"  # 开通申请 submitted
    ATTESTED = "attested"  # the department head signed (or refused)
    IC_DECIDED = "ic_decided"  # the Information Center approved or refused the application
    IMPORTED = "imported"  # from the organisation file, no application
    FILED = "filed"  # a filing date from the organisation file, no form
    FILING_SUBMITTED = "filing_submitted"
    FILING_DECIDED = "filing_decided"  # 已备案 or returned
    VERIFIED = "verified"
    CHANGE_REQUESTED = "change_requested"  # leader or administrator
    CHANGE_FILED = "change_filed"
    REVIEW_SUBMITTED = "review_submitted"
    REVIEW_JUDGED = "review_judged"  # 合格 or 不合格
    STOPPED = "stopped"  # the stop in force, when no 不合格 line tells it
    CLOSURE_REQUESTED = "closure_requested"
    CLOSED = "closed"
    REFILE = "refile"  # a leader or administrator gone from the directory: to be filed anew
    UNAPPROVED = "unapproved"  # published without approval (the watch)


RANK = {kind: n for n, kind in enumerate(Kind)}


@dataclass(frozen=True)
class HistoryLine:
    """One act in the account's life. ``at`` places it (UTC; for a time not recorded, the act it
    follows); ``when`` is what the line shows: the local time, a date only, or "not recorded";
    ``local`` is that time (a ``date`` for a date-only line, None when not recorded)."""

    at: datetime
    kind: Kind
    text: str
    when: str
    local: datetime | date | None

    @property
    def line(self) -> str:
        """The line as ``账号 @x`` shows it."""
        return f"{self.when} {self.text}"


@dataclass(frozen=True)
class Life:
    """The rows an account's life is read from (blobs not loaded)."""

    account: Account
    applications: list[AccountApplication]
    filings: list[AccountFiling]
    changes: list[AccountChange]
    reviews: list[ReviewReport]
    unapproved: list[AuditEvent] = field(default_factory=list)  # the watch's reports (Art. 10)


async def account_history(account: Account, tz: tzinfo) -> list[HistoryLine]:
    """The account's whole history, oldest first, times shown in ``tz``: the lines ``账号 @x``
    shows (which keeps the latest that fit one message). Six queries, however long the life."""
    return history_lines(*await load_life(account), tz)


async def load_life(account: Account) -> tuple[Life, dict[int, Person]]:
    """The account's rows and everyone they name (its leader and administrator among them):
    six queries, however long the life."""
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


def history_lines(life: Life, people: dict[int, Person], tz: tzinfo) -> list[HistoryLine]:
    """Every act recorded on the account, oldest first, times shown in ``tz``. Pure: rows in,
    lines out (``life`` and ``people``: what ``load_life`` read)."""
    a = life.account
    names = {i: p.name for i, p in people.items()}
    events: list[HistoryLine] = []

    def who(person_id: int | None) -> str:
        return names.get(person_id or 0, "") or texts.LIFE_NOBODY

    def add(at: datetime | None, after: datetime, kind: Kind, text: str, date_only: bool = False) -> None:
        if at is None:  # not recorded on an older row: right after the act it follows
            events.append(HistoryLine(after, kind, text, texts.LIFE_UNTIMED, None))
        else:
            local = at.astimezone(tz)
            events.append(HistoryLine(at, kind, text, texts.life_when(local, date_only),
                                      local.date() if date_only else local))

    for app in life.applications:
        add(app.created_at, app.created_at, Kind.APPLIED, texts.life_applied(app.ref, who(app.applicant_id)))
        if app.head_id is not None or app.head_decided_at is not None:
            add(app.head_decided_at, app.created_at, Kind.ATTESTED, texts.life_attested(
                who(app.head_id), app.head_id == app.applicant_id, app.status == ApplicationStatus.REFUSED))
        if app.ic_admin_id is not None or app.ic_decided_at is not None:
            add(app.ic_decided_at, app.head_decided_at or app.created_at, Kind.IC_DECIDED,
                texts.life_ic_decided(who(app.ic_admin_id), app.status == ApplicationStatus.APPROVED,
                                      texts.life_cut(app.reason)))
    if not life.applications:  # from the organisation file: what it says, and nothing more
        add(a.created_at, a.created_at, Kind.IMPORTED, texts.LIFE_IMPORTED)
    acknowledged = {f.acknowledged_at for f in life.filings if not f.returned}
    if a.filed_at is not None and a.filed_at not in acknowledged:
        add(a.filed_at, a.filed_at, Kind.FILED, texts.LIFE_FILED_WITHOUT_FORM, date_only=True)
    for f in life.filings:
        pending = f.acknowledged_at is None and f.acknowledged_by_id is None
        add(f.submitted_at, f.submitted_at, Kind.FILING_SUBMITTED,
            texts.life_filing_submitted(f.ref, who(f.submitted_by_id), pending))
        if not pending:
            add(f.acknowledged_at, f.submitted_at, Kind.FILING_DECIDED, texts.life_filing_decided(
                f.ref, who(f.acknowledged_by_id), f.returned))
    if a.verified_at is not None:
        add(a.verified_at, a.verified_at, Kind.VERIFIED, texts.life_verified(
            names.get(a.verified_by_id or 0, ""), texts.life_cut(a.verify_evidence, texts.LIFE_LINK_CHARS)))
    for c in life.changes:
        role = texts.ROLE_NAMES.get(c.role, c.role)
        old, new = names.get(c.old_person_id or 0, ""), who(c.new_person_id)
        pending = c.filed_at is None and c.filed_by_id is None
        add(c.requested_at, c.requested_at, Kind.CHANGE_REQUESTED,
            texts.life_change_requested(role, old, new, who(c.requested_by_id), pending))
        if not pending:
            add(c.filed_at, c.requested_at, Kind.CHANGE_FILED,
                texts.life_change_filed(role, old, new, who(c.filed_by_id)))
    stop_told = False
    for r in life.reviews:
        pending = r.status == ReviewStatus.SUBMITTED
        add(r.submitted_at, r.submitted_at, Kind.REVIEW_SUBMITTED, texts.life_review_submitted(
            r.ref, r.year, who(r.submitted_by_id), pending))
        if pending:
            continue
        failed = r.status == ReviewStatus.FAILED
        add(r.decided_at, r.submitted_at, Kind.REVIEW_JUDGED, texts.life_review_judged(
            r.ref, who(r.decided_by_id), not failed, texts.life_cut(r.reason)))
        if failed and a.stopped_at is not None and r.decided_at is not None \
                and abs(a.stopped_at - r.decided_at) <= SAME_ACT:
            stop_told = True
    if a.stopped_at is not None and not stop_told:
        add(a.stopped_at, a.stopped_at, Kind.STOPPED, texts.life_stopped(texts.life_cut(a.stop_reason)))
    for role, person_id, why, since in a.refile_roles():  # Art. 4: the directory says they are gone
        add(since, a.created_at, Kind.REFILE, texts.refile_line(texts.ROLE_NAMES[role], who(person_id),
                                                                texts.why_text(why)))
    for e in life.unapproved:  # Art. 10: seen on the platform or in the feed, never approved
        seen = e.detail or {}
        add(e.at, e.at, Kind.UNAPPROVED,
            texts.life_unapproved(str(seen.get("title", "")), str(seen.get("url", ""))))
    if a.closure_requested_at is not None:
        add(a.closure_requested_at, a.closure_requested_at, Kind.CLOSURE_REQUESTED,
            texts.life_closure_requested(who(a.closure_requested_by_id), texts.life_cut(a.closure_reason),
                                         texts.life_cut(a.closure_evidence, texts.LIFE_LINK_CHARS),
                                         a.closed_at is None))
    if a.closed_at is not None or a.closed_by_id is not None:
        add(a.closed_at, a.closure_requested_at or a.created_at, Kind.CLOSED, texts.life_closed(
            names.get(a.closed_by_id or 0, "")))
    return sorted(events, key=lambda e: (e.at, RANK[e.kind]))
