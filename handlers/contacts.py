"""What a change in the directory (通讯录) means for the organisation (issue 16): Art. 4 (a change
of an account's leader or administrator is re-filed), Art. 6 (responsibility), Art. 7 (each
department has one or two information officers), Art. 10 (the head approves before publication).

A ``ContactChange`` comes from a platform (WeCom ``change_contact``, DingTalk address-book events)
or from the simulator, through the inbox like any event (deduped, one transaction). The person is
found by the column the event's channel identifies people by (``EventCtx.identity``). Roles stay
in the organisation file: the directory only says who left, moved or was renamed.

- **Left** (离职) → the person is deactivated (audit ``person_left``), and everything they held
  is handed on (``vacate``).
- **Updated** → renamed if the directory gives another name (``person_renamed``); moved when none
  of the departments the directory lists is theirs here but one is ours (``person_moved``), and
  then what they held in the old department is handed on like a departure (an officer is an
  officer of the department they serve; a head heads theirs). When the directory could not be
  read (``departments`` is None) nothing is moved and the Information Center is told to run
  ``xmt org sync``: a wrong guess would take approvals away from a head who is still there.
- **Department removed** → each of our departments whose name the directory no longer shows is
  reported to the Information Center with its accounts (never deleted here: heads, officers and
  accounts come from the organisation file). Once per department (the notice's outbox key).

Handing on (``vacate``), never orphaning:
- accounts they administer or lead (not closed) → ``Account.refile[role]`` set: the account is
  需变更备案; the department head and the Information Center are told, with ``变更 @账号`` and a
  likely successor (another officer of the department for an administrator, the head for a
  leader); ``schedules.refile`` reminds weekly until a change of that role is filed;
- an officer → if the department has no officer left, its head and the Information Center are told
  that nobody can draft for its accounts (Art. 7); their drafts stay where they are and the head
  is told which wait for approval, which are approved but not yet published, which were never
  submitted;
- a head → ``Department.head_id`` is cleared (nobody approves in their name), and the Information
  Center is asked to name someone with ``代审 部门 姓名``: the pending drafts' approval cards then
  go to that person, with an audit line (``acting_head_named``);
- their open question (prompt) is closed; inquiries they claimed go back to unclaimed and the
  department head is told (the promised deadline stays: it was promised to the public).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q

from bot import audit, texts
from bot.cards import Text
from bot.deps import Deps
from bot.draft_cards import approval_card, load_views
from bot.events import Change, ContactChange, TextMessage, bounded_key
from bot.router import Ctx, EventCtx, Router
from models import (
    Account,
    AccountStatus,
    Department,
    Draft,
    DraftStatus,
    Inquiry,
    InquiryStatus,
    Person,
    Prompt,
)
from models.org import info_center_admins, is_info_center_admin

router = Router(name=__name__)

MOVED, LEFT = "moved", "left"


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


def _actor(channel: str) -> str:
    return f"directory:{channel}"


@router.public(ContactChange)
async def on_contact_change(ctx: EventCtx[ContactChange], deps: Deps) -> None:
    event = ctx.event
    if event.change == Change.DEPARTMENT_REMOVED:
        await _department_removed(ctx)
        return
    column = ctx.identity
    if not event.userid or len(event.userid) > 64:
        return
    lookup: dict[str, Any] = {column: event.userid}
    person = await Person.get_or_none(**lookup)
    if person is None:
        return  # not on file: nothing of ours changes
    if event.change == Change.LEFT:
        if not await Person.filter(id=person.id, active=True).update(active=False):
            return  # already gone (a redelivery under another key, or a sync got there first)
        department = await Department.get_or_none(id=person.department_id or 0)
        await audit.record(_actor(event.channel), "person_left", person.code,
                           {"platform": event.channel}, now=ctx.now)
        await vacate(ctx, Vacated(person, department, LEFT, channel=event.channel))
        return
    if event.change == Change.UPDATED and person.active:
        await _updated(ctx, person)


async def _updated(ctx: EventCtx[ContactChange], person: Person) -> None:
    event = ctx.event
    if event.name is not None and event.name.strip() and event.name != person.name \
            and len(event.name) <= 64:
        await Person.filter(id=person.id).update(name=event.name)
        await audit.record(_actor(event.channel), "person_renamed", person.code,
                           {"platform": event.channel, "from": person.name, "to": event.name},
                           now=ctx.now)
        person.name = event.name
    if event.departments is None:
        await _tell_ic(ctx, texts.unsure_update(person.name, event.channel),
                       key=f"unsure:{person.id}")
        return
    ours = {d.name: d for d in await Department.all().order_by("-code")}  # first by code wins
    targets = [ours[n] for n in event.departments if n in ours]
    if not targets or person.department_id in {t.id for t in targets}:
        return
    old = await Department.get_or_none(id=person.department_id or 0)
    new = targets[0]
    await Person.filter(id=person.id).update(department_id=new.id, is_officer=False)
    await audit.record(_actor(event.channel), "person_moved", person.code,
                       {"platform": event.channel, "from": old.code if old else "", "to": new.code},
                       now=ctx.now)
    await vacate(ctx, Vacated(person, old, MOVED, new.name, event.channel))


async def vacate(ctx: EventCtx[Any], gone: Vacated) -> None:
    """Hand on everything ``gone.person`` held (see the module docstring). In the caller's
    transaction; every message keyed by the inbound event, so a retry sends nothing twice."""
    admins = await info_center_admins(exclude={gone.person.id})
    await _accounts(ctx, gone, admins)
    department = gone.department
    if department is not None and gone.person.is_officer:
        await _officer(ctx, gone, department, admins)
    if department is not None and department.head_id == gone.person.id:
        await _head(ctx, gone, department, admins)
    await Prompt.filter(person_id=gone.person.id).delete()
    await _inquiries(ctx, gone)


def _key(ctx: EventCtx[Any], *parts: object) -> str:
    return bounded_key("contact", ctx.event.channel, ctx.event.key, *(str(p) for p in parts))


async def _tell_ic(ctx: EventCtx[Any], text: str, *, key: str, admins: list[Person] | None = None
                   ) -> None:
    for admin in admins if admins is not None else await info_center_admins():
        await ctx.outbox.send(admin, Text(text), key=_key(ctx, key, admin.id), now=ctx.now)


async def _accounts(ctx: EventCtx[Any], gone: Vacated, admins: list[Person]) -> None:
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
                            "since": ctx.now.isoformat()}
            successor, note = _successor(role, department, officers, head, gone.person)
            text = texts.refile_needed(account.name, texts.ROLE_NAMES[role], gone.person.name,
                                       gone.why_text, gone.channel, successor, note)
            told = [p for p in (head,) if p is not None and p.id != gone.person.id]
            for person in [*told, *(a for a in admins if a.id not in {t.id for t in told})]:
                await ctx.outbox.send(person, Text(text),
                                      key=_key(ctx, "refile", account.id, role, person.id), now=ctx.now)
            await audit.record(_actor(gone.channel), "refile_needed", account.name,
                               {"role": role, "person": gone.person.code, "why": gone.why},
                               now=ctx.now)
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


async def _officer(ctx: EventCtx[Any], gone: Vacated, department: Department,
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
        await ctx.outbox.send(head, Text(texts.officer_drafts_to_head(
            gone.person.name, gone.why_text, refs[DraftStatus.PENDING], refs[DraftStatus.APPROVED],
            refs[DraftStatus.COMPOSING])), key=_key(ctx, "drafts", head.id), now=ctx.now)
    if left:
        return
    accounts = await Account.filter(department_id=department.id).exclude(
        status=AccountStatus.CLOSED).order_by("name").values_list("name", flat=True)
    text = texts.no_officer_left(department.name, gone.person.name, gone.why_text,
                                 [str(a) for a in accounts])
    for person in [*([head] if head else []), *(a for a in admins if not head or a.id != head.id)]:
        await ctx.outbox.send(person, Text(text), key=_key(ctx, "officer", person.id), now=ctx.now)
    await audit.record(_actor(gone.channel), "no_officer", department.code,
                       {"person": gone.person.code}, now=ctx.now)


async def _head(ctx: EventCtx[Any], gone: Vacated, department: Department,
                admins: list[Person]) -> None:
    """Art. 10: nobody approves in the name of a head who is gone; the IC names who does."""
    await Department.filter(id=department.id, head_id=gone.person.id).update(head_id=None)
    department.head_id = None
    pending = await _pending(department)
    await _tell_ic(ctx, texts.head_left(department.name, gone.person.name, gone.why_text,
                                        [d.ref for d in pending]), key="head", admins=admins)
    await audit.record(_actor(gone.channel), "head_left", department.code,
                       {"person": gone.person.code, "pending": len(pending)}, now=ctx.now)


async def _pending(department: Department) -> list[Draft]:
    accounts = await Account.filter(department_id=department.id).values_list("id", flat=True)
    return await Draft.filter(account_id__in=list(accounts), status=DraftStatus.PENDING).order_by("id")


async def _inquiries(ctx: EventCtx[Any], gone: Vacated) -> None:
    """Claims go back to unclaimed; the department head is told (else the IC)."""
    claimed = await Inquiry.filter(owner_id=gone.person.id, status=InquiryStatus.CLAIMED).order_by("id")
    for inquiry in claimed:
        if not await Inquiry.release(inquiry.id, gone.person.id):
            continue
        due = texts.md_hm(ctx.local(inquiry.due_at)) if inquiry.due_at else ""
        text = texts.inquiry_released(inquiry.ref, gone.person.name, gone.why_text, due)
        department = await Department.get_or_none(id=inquiry.department_id)
        head = await Person.get_or_none(id=department.head_id or 0, active=True) if department else None
        if head is not None and head.id != gone.person.id:
            await ctx.outbox.send(head, Text(text), key=_key(ctx, "inquiry", inquiry.id, head.id),
                                  now=ctx.now)
        else:
            await _tell_ic(ctx, text, key=f"inquiry:{inquiry.id}")
        await audit.record(_actor(gone.channel), "inquiry_released", inquiry.ref,
                           {"person": gone.person.code}, now=ctx.now)


async def _department_removed(ctx: EventCtx[ContactChange]) -> None:
    event = ctx.event
    if event.remaining is None:
        await _tell_ic(ctx, texts.unsure_department_removed(event.channel), key="dept-unsure")
        return
    shown = set(event.remaining)
    for department in await Department.all().order_by("code"):
        if department.name in shown:
            continue
        accounts = await Account.filter(department_id=department.id).exclude(
            status=AccountStatus.CLOSED).order_by("name").values_list("name", flat=True)
        for admin in await info_center_admins():
            # Keyed by the department, not the event: reported once, whatever event says it again.
            await ctx.outbox.send(admin, Text(texts.department_removed(
                department.name, event.channel, [str(a) for a in accounts])),
                key=bounded_key("dept-removed", event.channel, department.code, str(admin.id)),
                now=ctx.now)
        await audit.record(_actor(event.channel), "department_removed", department.code,
                           {"platform": event.channel}, now=ctx.now)


# -- 代审 (Art. 10: the head who left is replaced, for approvals, by whom the IC names) --------
@router.command(*texts.CMD_ACTING)
async def on_acting(ctx: Ctx[TextMessage], deps: Deps) -> None:
    if not await is_info_center_admin(ctx.person):
        await ctx.reply(texts.ACTING_ONLY_IC)
        return
    where, _, who = ctx.args.strip().rpartition(" ")
    where, who = where.strip(), who.strip()
    if not where or not who or len(where) > 128 or len(who) > 64:
        await ctx.reply(texts.ACTING_USAGE)
        return
    department = await Department.get_or_none(name=where) or await Department.get_or_none(code=where)
    if department is None:
        await ctx.reply(texts.unknown_department(where))
        return
    head = await Person.get_or_none(id=department.head_id or 0, active=True)
    if head is not None:
        await ctx.reply(texts.acting_head_present(department.name, head.name))
        return
    matches = await Person.filter(name=who, active=True).order_by("id") or \
        await Person.filter(code=who, active=True)
    if not matches:
        gone = await Person.filter(Q(name=who) | Q(code=who), active=False).exists()
        await ctx.reply(texts.acting_is_gone_person(who) if gone else texts.unknown_person_name(who))
        return
    if len(matches) > 1:
        await ctx.reply(texts.ambiguous_person(who, [p.code for p in matches]))
        return
    acting = matches[0]
    if not await Department.filter(id=department.id, head_id=department.head_id).update(head_id=acting.id):
        await ctx.reply(texts.EXPIRED_BUTTON)
        return
    pending = await _pending(department)
    await audit.record(ctx.person.code, "acting_head_named", department.code,
                       {"person": acting.code, "previous": department.head_id, "pending": len(pending)},
                       now=ctx.now)
    await ctx.outbox.send(acting, Text(texts.acting_named_to_person(department.name, len(pending))),
                          key=bounded_key(ctx.event.channel, ctx.event.key, "acting"), now=ctx.now)
    views = await load_views(pending)
    for draft in pending:
        await ctx.outbox.send(acting, approval_card(views[draft.id]),
                              key=f"approval:{draft.id}:{draft.version}:{acting.id}", now=ctx.now)
    await ctx.reply(texts.acting_named_to_ic(department.name, acting.name, len(pending)))

