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
  Center is asked to name someone with ``代审 部门 姓名`` (never one of the department's officers:
  they write its drafts): the pending drafts' approval cards and the applications waiting for the
  head's signature then go to that person, who acts as head until the organisation file names a
  new one, with an audit line (``acting_head_named``);
- their open question (prompt) is closed; inquiries they claimed go back to unclaimed and the
  department head is told (the promised deadline stays: it was promised to the public).
"""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q

from bot import audit, texts
from bot.cards import Text
from bot.deps import Deps
from bot.draft_cards import approval_card, load_views
from bot.events import Change, ContactChange, TextMessage, bounded_key
from bot.handover import (
    LEFT,
    MOVED,
    Told,
    Vacated,
    actor,
    pending_applications,
    pending_drafts,
    tell_ic,
    vacate,
)
from bot.router import Ctx, EventCtx, Router
from handlers.governance import application_card
from models import (
    Account,
    AccountStatus,
    Department,
    Person,
)
from models.org import info_center_admins, is_info_center_admin

router = Router(name=__name__)



def told(ctx: EventCtx[Any]) -> Told:
    return Told(ctx.outbox, ctx.now, ctx.tz, bounded_key(ctx.event.channel, ctx.event.key))


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
        await audit.record(actor(event.channel), "person_left", person.code,
                           {"platform": event.channel}, now=ctx.now)
        await vacate(told(ctx), Vacated(person, department, LEFT, channel=event.channel))
        return
    if event.change == Change.UPDATED and person.active:
        await _updated(ctx, person)


async def _updated(ctx: EventCtx[ContactChange], person: Person) -> None:
    event = ctx.event
    if event.new_userid and event.new_userid != event.userid and len(event.new_userid) <= 64:
        # WeCom lets a system-made userid be changed once: the person keeps everything, under
        # the new id (unless someone on file already holds it: then the organisation file says).
        column = ctx.identity
        taken: dict[str, Any] = {column: event.new_userid}
        if await Person.filter(**taken).exists():
            await tell_ic(told(ctx), texts.userid_taken(person.name, event.new_userid, event.channel),
                          key=f"userid:{person.id}")
        else:
            await Person.filter(id=person.id).update(**taken)
            await audit.record(actor(event.channel), "person_userid_changed", person.code,
                               {"platform": event.channel, "from": event.userid, "to": event.new_userid},
                               now=ctx.now)
    if event.name is not None and event.name.strip() and event.name != person.name \
            and len(event.name) <= 64:
        await Person.filter(id=person.id).update(name=event.name)
        await audit.record(actor(event.channel), "person_renamed", person.code,
                           {"platform": event.channel, "from": person.name, "to": event.name},
                           now=ctx.now)
        person.name = event.name
    if event.departments is None:
        await tell_ic(told(ctx), texts.unsure_update(person.name, event.channel),
                       key=f"unsure:{person.id}")
        return
    ours = {d.name: d for d in await Department.all().order_by("-code")}  # first by code wins
    targets = [ours[n] for n in event.departments if n in ours]
    if not targets or person.department_id in {t.id for t in targets}:
        return
    old = await Department.get_or_none(id=person.department_id or 0)
    new = targets[0]
    await Person.filter(id=person.id).update(department_id=new.id, is_officer=False)
    await audit.record(actor(event.channel), "person_moved", person.code,
                       {"platform": event.channel, "from": old.code if old else "", "to": new.code},
                       now=ctx.now)
    await vacate(told(ctx), Vacated(person, old, MOVED, new.name, event.channel))


async def _department_removed(ctx: EventCtx[ContactChange]) -> None:
    event = ctx.event
    if event.remaining is None:
        await tell_ic(told(ctx), texts.unsure_department_removed(event.channel), key="dept-unsure")
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
        await audit.record(actor(event.channel), "department_removed", department.code,
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
    if acting.is_officer and acting.department_id == department.id:
        # Art. 10 (先审后发): the officers write the department's drafts; one of them approving
        # them would approve their own (and could no longer submit any).
        await ctx.reply(texts.acting_is_officer(acting.name, department.name))
        return
    if not await Department.filter(id=department.id, head_id=department.head_id).update(head_id=acting.id):
        await ctx.reply(texts.EXPIRED_BUTTON)
        return
    pending = await pending_drafts(department)
    applications = await pending_applications(department)
    await audit.record(ctx.person.code, "acting_head_named", department.code,
                       {"person": acting.code, "previous": department.head_id, "pending": len(pending),
                        "applications": len(applications)}, now=ctx.now)
    await ctx.outbox.send(acting, Text(texts.acting_named_to_person(
        department.name, len(pending), len(applications))),
        key=bounded_key(ctx.event.channel, ctx.event.key, "acting"), now=ctx.now)
    views = await load_views(pending)
    for draft in pending:
        await ctx.outbox.send(acting, approval_card(views[draft.id]),
                              key=f"approval:{draft.id}:{draft.version}:{acting.id}", now=ctx.now)
    applicants = {p.id: p.name for p in await Person.filter(id__in=[a.applicant_id for a in applications])}
    for app in applications:  # the head's signature on form 1 (Art. 3, 4)
        await ctx.outbox.send(acting, application_card(app, applicants.get(app.applicant_id, ""), "head"),
                              key=f"app:{app.id}:head:{acting.id}", now=ctx.now)
    await ctx.reply(texts.acting_named_to_ic(department.name, acting.name, len(pending), len(applications)))

