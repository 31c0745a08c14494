"""Handing on what a person held when they leave the organisation or move to another department
(issue 16; Art. 4 变更备案, Art. 7 信息员, Art. 10 审核): one piece, used by the directory's change
events (``handlers.contacts``) and by ``xmt org sync --apply`` (``bot.org_sync``), so that a
departure found either way has the same consequences. What is handed on, and to whom, is told in
``handlers.contacts``'s docstring; here it is done, inside the caller's transaction, every message
keyed by ``Told.key`` (the inbound event, or the sync run) so that a retry sends nothing twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from tortoise.expressions import Q

from bot import audit, texts
from bot.cards import Text
from bot.events import bounded_key
from models import (
    Account,
    AccountApplication,
    AccountStatus,
    ApplicationStatus,
    Department,
    Draft,
    DraftStatus,
    Inquiry,
    InquiryStatus,
    Person,
    Prompt,
)
from models.org import info_center_admins

if TYPE_CHECKING:
    from bot.outbox import Outbox

MOVED, LEFT = "moved", "left"


@dataclass(frozen=True)
class Told:
    """Where the messages go and what makes them unique."""

    outbox: Outbox
    now: datetime
    tz: tzinfo
    key: str  # the inbound event's key, or the sync run's

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.tz)


def actor(channel: str) -> str:
    """The audit actor of a change the directory made."""
    return f"directory:{channel}"


@dataclass(frozen=True)
class Vacated:
    """Who is gone from where, and how: what ``vacate`` hands on."""

    person: Person
    department: Department | None  # the department they left (None: they had none)
    why: str  # LEFT | MOVED
    where: str = ""  # moved: the department they joined
    channel: str = ""

    @property
    def why_text(self) -> str:
        return texts.why_text(self.why, self.where)


async def vacate(told: Told, gone: Vacated) -> None:
    """Hand on everything ``gone.person`` held (see the module docstring). In the caller's
    transaction; every message keyed by the inbound event, so a retry sends nothing twice."""
    admins = await info_center_admins(exclude={gone.person.id})
    await _accounts(told, gone, admins)
    department = gone.department
    if department is not None and gone.person.is_officer:
        await _officer(told, gone, department, admins)
    if department is not None and department.head_id == gone.person.id:
        await _head(told, gone, department, admins)
    await Prompt.filter(person_id=gone.person.id).delete()
    await _inquiries(told, gone)


def _key(told: Told, *parts: object) -> str:
    return bounded_key("contact", told.key, *(str(p) for p in parts))


async def tell_ic(told: Told, text: str, *, key: str, admins: list[Person] | None = None
                   ) -> None:
    for admin in admins if admins is not None else await info_center_admins():
        await told.outbox.send(admin, Text(text), key=_key(told, key, admin.id), now=told.now)


async def _accounts(told: Told, gone: Vacated, admins: list[Person]) -> None:
    """Art. 4: every account they administer or lead needs the change filed."""
    accounts = await Account.exclude(status=AccountStatus.CLOSED).filter(
        Q(admin_id=gone.person.id) | Q(leader_id=gone.person.id)).order_by("name")
    if not accounts:
        return
    departments = {d.id: d for d in await Department.filter(
        id__in={a.department_id for a in accounts})}
    officers = await Person.filter(department_id__in=list(departments), is_officer=True,
                                   active=True).exclude(id=gone.person.id).order_by("id")
    heads = {p.id: p for p in await Person.filter(
        id__in=[d.head_id for d in departments.values() if d.head_id], active=True)}
    for account in accounts:
        department = departments[account.department_id]
        head = heads.get(department.head_id or 0)
        refile = dict(account.refile)
        for role in ("admin", "leader"):
            if getattr(account, f"{role}_id") != gone.person.id:
                continue
            refile[role] = {"person_id": gone.person.id, "why": gone.why,
                            "since": told.now.isoformat()}
            successor, note = _successor(role, department, officers, head, gone.person)
            text = texts.refile_needed(account.name, texts.ROLE_NAMES[role], gone.person.name,
                                       gone.why_text, gone.channel, successor, note,
                                       moved=gone.why == MOVED)
            heads_told = [p for p in (head,) if p is not None and p.id != gone.person.id]
            for person in [*heads_told, *(a for a in admins if a.id not in {t.id for t in heads_told})]:
                await told.outbox.send(person, Text(text),
                                       key=_key(told, "refile", account.id, role, person.id), now=told.now)
            await audit.record(actor(gone.channel), "refile_needed", account.name,
                               {"role": role, "person": gone.person.code, "why": gone.why},
                               now=told.now)
        await Account.filter(id=account.id).update(refile=refile)


def _successor(role: str, department: Department, officers: list[Person], head: Person | None,
               gone: Person) -> tuple[str, str]:
    """The likely successor offered with 变更: another officer of the account's department for an
    administrator (the head if none), the head for a leader. ("", "") when there is nobody."""
    if role == "admin":
        officer = next((o for o in officers if o.department_id == department.id), None)
        if officer is not None:
            return officer.name, texts.SUCCESSOR_OFFICER
    if head is not None and head.id != gone.id:
        return head.name, texts.SUCCESSOR_HEAD
    return "", ""


async def _officer(told: Told, gone: Vacated, department: Department,
                   admins: list[Person]) -> None:
    """Art. 7: an officer gone; their drafts stay with the head."""
    left = await Person.filter(department_id=department.id, is_officer=True, active=True).exclude(
        id=gone.person.id).exists()
    head = await Person.get_or_none(id=department.head_id or 0, active=True)
    if head is not None and head.id == gone.person.id:
        head = None
    drafts = await Draft.filter(author_id=gone.person.id, status__in=(
        DraftStatus.PENDING, DraftStatus.APPROVED, DraftStatus.COMPOSING)).order_by("id")
    if drafts and head is not None:
        refs = {s: [d.ref for d in drafts if d.status == s] for s in DraftStatus}
        await told.outbox.send(head, Text(texts.officer_drafts_to_head(
            gone.person.name, gone.why_text, refs[DraftStatus.PENDING], refs[DraftStatus.APPROVED],
            refs[DraftStatus.COMPOSING])), key=_key(told, "drafts", head.id), now=told.now)
    if left:
        return
    accounts = await Account.filter(department_id=department.id).exclude(
        status=AccountStatus.CLOSED).order_by("name").values_list("name", flat=True)
    text = texts.no_officer_left(department.name, gone.person.name, gone.why_text,
                                 [str(a) for a in accounts])
    for person in [*([head] if head else []), *(a for a in admins if not head or a.id != head.id)]:
        await told.outbox.send(person, Text(text), key=_key(told, "officer", person.id), now=told.now)
    await audit.record(actor(gone.channel), "no_officer", department.code,
                       {"person": gone.person.code}, now=told.now)


async def _head(told: Told, gone: Vacated, department: Department,
                admins: list[Person]) -> None:
    """Art. 10: nobody approves in the name of a head who is gone; the IC names who does."""
    await Department.filter(id=department.id, head_id=gone.person.id).update(head_id=None)
    department.head_id = None
    pending = await pending_drafts(department)
    applications = await pending_applications(department)
    await tell_ic(told, texts.head_left(department.name, gone.person.name, gone.why_text,
                                        [d.ref for d in pending], [a.ref for a in applications]),
                  key="head", admins=admins)
    await audit.record(actor(gone.channel), "head_left", department.code,
                       {"person": gone.person.code, "pending": len(pending)}, now=told.now)


async def pending_applications(department: Department) -> list[AccountApplication]:
    """Applications to open an account waiting for the head's signature (Art. 3, 4)."""
    return await AccountApplication.filter(department_id=department.id,
                                           status=ApplicationStatus.SUBMITTED).order_by("id")


async def pending_drafts(department: Department) -> list[Draft]:
    accounts = await Account.filter(department_id=department.id).values_list("id", flat=True)
    return await Draft.filter(account_id__in=list(accounts), status=DraftStatus.PENDING).order_by("id")


async def _inquiries(told: Told, gone: Vacated) -> None:
    """Claims go back to unclaimed; the department head is told (else the IC)."""
    claimed = await Inquiry.filter(owner_id=gone.person.id, status=InquiryStatus.CLAIMED).order_by("id")
    if not claimed:
        return
    departments = {d.id: d for d in await Department.filter(id__in={q.department_id for q in claimed})}
    heads = {p.id: p for p in await Person.filter(
        id__in=[d.head_id for d in departments.values() if d.head_id], active=True)}
    for inquiry in claimed:
        if not await Inquiry.release(inquiry.id, gone.person.id):
            continue
        due = texts.md_hm(told.local(inquiry.due_at)) if inquiry.due_at else ""
        text = texts.inquiry_released(inquiry.ref, gone.person.name, gone.why_text, due)
        department = departments.get(inquiry.department_id)
        head = heads.get(department.head_id or 0) if department else None
        if head is not None and head.id != gone.person.id:
            await told.outbox.send(head, Text(text), key=_key(told, "inquiry", inquiry.id, head.id),
                                  now=told.now)
        else:
            await tell_ic(told, text, key=f"inquiry:{inquiry.id}")
        await audit.record(actor(gone.channel), "inquiry_released", inquiry.ref,
                           {"person": gone.person.code}, now=told.now)
