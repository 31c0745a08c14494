"""Account governance (Art. 3, 4, 6): applying for a new account (form 1) — the guided form, the
department head's attestation and the Information Center's approval. An approved application
creates the account in state "approved, not opened"; it takes drafts only once filed.

Decisions are conditional updates of the application's status, so two taps decide once; who may
decide is checked on our side (the department's head; an Information Center admin). Imports no
channel.

Art. 6 (谁审批、谁监管): nobody decides a case that concerns them. ``send_decision`` sends a
decision card to the Information Center admins *not* concerned (the IC head when one of its
officers applies, another admin when the head does); ``decides_own`` refuses a concerned person
who presses the button anyway (an old card) and changes nothing. Both serve every decision of the
bot (application here; filing and change in ``handlers.registry``, which re-exports
``decides_own``; reviews elsewhere). Who is concerned, per decision, as a real organisation sees it:
- application → the applicant, the proposed 主管领导 (leader) and the proposed administrator: each
  has a stake in the account being opened. So is the department head who attested, when he is
  also an Information Center admin (an ``ic_admin`` role given to a department's head): he signed
  for the 主办 side (谁主办、谁负责) and may not approve as well (谁审批) while the Information
  Center has others. The one exception is the Information Center's own accounts: its head attests
  as the department's head and approves when one of his officers applies (there is no one else
  whose job it is) — unless he is himself the applicant, leader or administrator;
- filing (备案) → the submitter and the account's administrator (and, when the filing names a new
  leader or administrator, the old and the new person, as for a change);
- change (变更) → the requester, the old and the new person.
When every Information Center admin is concerned, nobody can decide: the card is not dropped.
It goes to the concerned admins with a notice that they may not decide it, and the submitter is
told, both saying the organisation must add another Information Center admin (org file: an
officer of the Information Center or the ``ic_admin`` role); once there is one, pressing the card
again hands it to them (``send_decision`` again: the admins who already have it are skipped).

The department head's attestation when the head is the applicant: Art. 4 asks the department's
主要负责人 to sign, and nobody in the department stands above him, so the application counts as
attested by him on submission (as before). That is not a decision on his own case in Art. 6's
sense (the approval is the Information Center's, and he never takes it: he is the applicant);
but the Information Center must know no second person in the department looked at it, so its
card says the attestation is the applicant's own ("李四（即申请人本人）") and the audit row of the
attestation says ``"self": true``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot import audit, texts
from bot.cards import Button, Card, Payload, Text
from bot.deps import Deps
from bot.events import TextMessage
from bot.prompts import PromptData
from bot.router import ActionCtx, AnswerCtx, Ctx, Router
from handlers import forms
from handlers.common import ic_card_subject
from handlers.decisions import Audited, concerned, decided, decides_own, given_reason, send_decision
from handlers.forms import Checked, Field, Form, Invalid
from models import (
    Account,
    AccountApplication,
    AccountStatus,
    ApplicationStatus,
    Department,
    Person,
    Platform,
)

router = Router(name=__name__)


async def application_concerned(app: AccountApplication) -> set[int]:
    """Art. 6: who may not decide this application (see the module's notes)."""
    ids = concerned((app.applicant_id, app.leader_id, app.admin_id))
    if app.head_id is not None and not (await Department.get(id=app.department_id)).info_center:
        ids.add(app.head_id)  # he signed for the 主办 side: another admin approves
    return ids


MOBILE = re.compile(r"^1[3-9]\d{9}$")
PHONE = re.compile(r"^[\d\-]{5,20}$")
QQ = re.compile(r"^[1-9]\d{4,11}$")
WECHAT_ID = re.compile(r"^[A-Za-z][-_A-Za-z0-9]{5,19}$")


# -- checks of form 1's answers -------------------------------------------------------------------
async def check_name(answer: str, values: dict[str, Any], ctx: Ctx[Any]) -> Checked:
    name = answer.lstrip("@＠").strip()[:128]
    open_states = [ApplicationStatus.SUBMITTED, ApplicationStatus.ATTESTED]
    if await Account.filter(name=name).exists() or await AccountApplication.filter(
            name=name, status__in=open_states).exists():
        raise Invalid(texts.name_taken(name))
    return Checked(name)


async def check_platform(answer: str, values: dict[str, Any], ctx: Ctx[Any]) -> Checked:
    code = texts.PLATFORM_WORDS.get(answer.strip()) or texts.PLATFORM_WORDS.get(answer.strip().lower())
    if code is None:
        raise Invalid(texts.BAD_PLATFORM)
    return Checked(texts.PLATFORM_NAMES[code])


async def check_department(answer: str, values: dict[str, Any], ctx: Ctx[Any]) -> Checked:
    if answer in texts.OWN_DEPARTMENT_WORDS and ctx.person.department_id:
        dept = await Department.get(id=ctx.person.department_id)
        return Checked(dept.name)
    dept_or_none = await Department.get_or_none(name=answer) or await Department.get_or_none(code=answer)
    if dept_or_none is None:
        names = await Department.all().order_by("id").values_list("name", flat=True)
        raise Invalid(texts.unknown_department_name(answer, [str(n) for n in names]))
    return Checked(dept_or_none.name)


def person_check(prefix: str) -> forms.Check:
    """Resolve a person of the organisation; fill their title and numbers from the registry."""

    async def check(answer: str, values: dict[str, Any], ctx: Ctx[Any]) -> Checked:
        matches = await Person.filter(name=answer, active=True).order_by("id") or \
            await Person.filter(code=answer, active=True)
        if not matches:
            raise Invalid(texts.unknown_person_name(answer))
        if len(matches) > 1:
            raise Invalid(texts.ambiguous_person(answer, [p.code for p in matches]))
        p = matches[0]
        known = [(f"{prefix}_code", p.code), (f"{prefix}_title", p.title),
                 (f"{prefix}_office_phone", p.office_phone), (f"{prefix}_mobile", p.mobile)]
        if prefix == "admin":
            known += [("admin_qq", p.qq), ("admin_wechat", p.wechat_id)]
        return Checked(p.name, tuple((k, v) for k, v in known if v))

    return check


def pattern_check(pattern: re.Pattern[str], message: str) -> forms.Check:
    async def check(answer: str, values: dict[str, Any], ctx: Ctx[Any]) -> Checked:
        if not pattern.match(answer):
            raise Invalid(message)
        return Checked(answer)

    return check


async def submit_application(ctx: Ctx[Any], deps: Deps, values: dict[str, Any],
                             context: dict[str, Any]) -> None:
    dept = await Department.get(name=values["department"])
    head = await Person.get_or_none(id=dept.head_id or 0, active=True)
    if head is None:
        await ctx.reply(texts.application_no_head(dept.name))
        return
    platform = next(Platform(code) for code, name in texts.PLATFORM_NAMES.items()
                    if name == values["platform"])
    people = {p.code: p.id for p in await Person.filter(
        code__in=[values.get("leader_code", ""), values.get("admin_code", "")])}
    application = await AccountApplication.create(
        name=values["name"], platform=platform, department_id=dept.id, applicant_id=ctx.person.id,
        leader_id=people.get(values.get("leader_code", "")),
        admin_id=people.get(values.get("admin_code", "")), form=values, created_at=ctx.now)
    await audit.record(ctx.person.code, "application_submitted", application.ref,
                       {"name": application.name, "department": dept.code}, now=ctx.now)
    if head.id == ctx.person.id:  # the head applies: their own attestation is the application
        await _attest(ctx, application, head)
        return
    await ctx.outbox.send(head, application_card(application, ctx.person.name, "head"),
                          key=f"app:{application.id}:head", now=ctx.now)
    await ctx.reply(texts.application_submitted(application.ref, head.name))


FORM1 = forms.register(Form(
    name="apply",
    title=texts.FORM1_TITLE,
    fields=(
        Field("name", texts.FORM1_LABELS["name"], texts.Q_NAME, check_name),
        Field("platform", texts.FORM1_LABELS["platform"], texts.Q_PLATFORM, check_platform),
        Field("department", texts.FORM1_LABELS["department"], texts.Q_DEPARTMENT, check_department),
        Field("leader", texts.FORM1_LABELS["leader"], texts.Q_LEADER, person_check("leader")),
        Field("leader_title", texts.FORM1_LABELS["leader_title"], texts.Q_LEADER_TITLE),
        Field("leader_office_phone", texts.FORM1_LABELS["leader_office_phone"], texts.Q_LEADER_PHONE,
              pattern_check(PHONE, texts.BAD_PHONE), optional=True),
        Field("leader_mobile", texts.FORM1_LABELS["leader_mobile"], texts.Q_LEADER_MOBILE,
              pattern_check(MOBILE, texts.BAD_MOBILE)),
        Field("admin", texts.FORM1_LABELS["admin"], texts.Q_ADMIN, person_check("admin")),
        Field("admin_title", texts.FORM1_LABELS["admin_title"], texts.Q_ADMIN_TITLE),
        Field("admin_office_phone", texts.FORM1_LABELS["admin_office_phone"], texts.Q_ADMIN_PHONE,
              pattern_check(PHONE, texts.BAD_PHONE), optional=True),
        Field("admin_mobile", texts.FORM1_LABELS["admin_mobile"], texts.Q_ADMIN_MOBILE,
              pattern_check(MOBILE, texts.BAD_MOBILE)),
        Field("admin_qq", texts.FORM1_LABELS["admin_qq"], texts.Q_ADMIN_QQ,
              pattern_check(QQ, texts.BAD_QQ), optional=True),
        Field("admin_wechat", texts.FORM1_LABELS["admin_wechat"], texts.Q_ADMIN_WECHAT,
              pattern_check(WECHAT_ID, texts.BAD_WECHAT), optional=True),
        Field("description", texts.FORM1_LABELS["description"], texts.Q_DESCRIPTION),
    ),
    on_submit=submit_application,
))


@router.command(*texts.CMD_APPLY)
async def on_apply(ctx: Ctx[TextMessage], deps: Deps) -> None:
    values: dict[str, Any] = {}
    if ctx.args:  # 申请开通 某某服务号 — the name may come with the command
        try:
            values["name"] = (await check_name(ctx.args.splitlines()[0], {}, ctx)).value
        except Invalid as exc:
            await ctx.reply(str(exc))
            return
    await forms.start(ctx, FORM1, values=values)


# -- the two decisions ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Attest(Payload, prefix="aat"):
    application: int
    agree: int  # 1 同意, 0 不同意


@dataclass(frozen=True)
class Grant(Payload, prefix="agr"):
    application: int
    grant: int  # 1 批准, 0 驳回


def application_subject(app: AccountApplication) -> str:
    """What a closed application card's title names: the application and the account."""
    return f"{texts.APPLICATION_CARD_TITLE} {app.ref}「{app.name}」"


def application_card(app: AccountApplication, applicant: str, stage: str, attested_by: str = "") -> Card:
    """``attested_by``: at the Information Center's stage, the head who attested (Art. 4)."""
    form = app.form
    attestation: tuple[tuple[str, str], ...] = ()
    if stage != "head" and attested_by:
        own = app.head_id is not None and app.head_id == app.applicant_id
        attestation = ((texts.FIELD_ATTESTED_BY, texts.attested_by(attested_by, own)),)
    if stage == "head":
        buttons = (Button(texts.BUTTON_ATTEST, Attest(app.id, 1).pack(), "primary"),
                   Button(texts.BUTTON_REFUSE, Attest(app.id, 0).pack(), "danger"))
    else:
        buttons = (Button(texts.BUTTON_GRANT, Grant(app.id, 1).pack(), "primary"),
                   Button(texts.BUTTON_DENY, Grant(app.id, 0).pack(), "danger"))
    return Card(
        card_id=f"app-{app.id}-{stage}",
        title=f"{texts.APPLICATION_CARD_TITLE} {app.ref}",
        subtitle=f"「{app.name}」· {form.get('platform', '')}",
        fields=(
            (texts.FIELD_DEPARTMENT, form.get("department", "")),
            (texts.FIELD_APPLICANT, applicant),
            (texts.FIELD_LEADER, f"{form.get('leader', '')} {form.get('leader_title', '')}".strip()),
            (texts.FIELD_ADMIN, f"{form.get('admin', '')} {form.get('admin_title', '')}".strip()),
            *attestation,
        ),
        body=f"{texts.FIELD_PURPOSE}：{form.get('description', '')}",
        buttons=buttons,
    )


async def _application_already(app: AccountApplication) -> str:
    return texts.application_already(app.ref, (await AccountApplication.get(id=app.id)).status.value)


async def _attest(ctx: Ctx[Any], app: AccountApplication, head: Person) -> bool:
    """``head``: the department's head, who is the person acting (``ctx.person``)."""
    applicant = await Person.get(id=app.applicant_id)
    own = head.id == applicant.id
    if not await decided(
            ctx, await AccountApplication.transition(app.id, ApplicationStatus.ATTESTED, head_id=head.id,
                                                     head_decided_at=ctx.now),
            lambda: _application_already(app), application_card(app, applicant.name, "head"),
            subject=application_subject(app), outcome=texts.OUTCOME_ATTESTED,
            status=texts.card_attested(head.name, ctx.local_now), key=f"app:{app.id}:attested",
            audited=("application_attested", app.ref, {"name": app.name, **({"self": True} if own else {})})):
        return False
    app.head_id = head.id
    await ctx.outbox.send(applicant, Text(texts.attested_to_applicant(app.ref, app.name, head.name)),
                          key=f"app:{app.id}:attested:applicant", now=ctx.now)
    await send_decision(ctx, application_card(app, applicant.name, "ic", head.name), f"app:{app.id}:ic",
                        await application_concerned(app), texts.decision_application(app.ref, app.name),
                        tell=[applicant])
    return True


@router.action(Attest)
async def on_attest(ctx: ActionCtx[Attest], deps: Deps) -> None:
    p = ctx.payload
    app = await AccountApplication.get_or_none(id=p.application)
    if app is None:
        await ctx.reply(texts.EXPIRED_BUTTON)
        return
    dept = await Department.get(id=app.department_id)
    if dept.head_id != ctx.person.id:
        await ctx.reply(texts.only_department_head(dept.name))
        return
    if p.agree:
        if await _attest(ctx, app, ctx.person):
            await ctx.reply(texts.attested_to_head(app.ref, app.name))
        return
    applicant = await Person.get(id=app.applicant_id)
    if not await decided(
            ctx, await AccountApplication.transition(app.id, ApplicationStatus.REFUSED,
                                                     head_id=ctx.person.id, head_decided_at=ctx.now),
            lambda: _application_already(app), application_card(app, applicant.name, "head"),
            subject=application_subject(app), outcome=texts.OUTCOME_REFUSED,
            status=texts.card_refused(ctx.person.name, ctx.local_now), key=f"app:{app.id}:refused",
            audited=("application_refused", app.ref, {"name": app.name})):
        return
    await ctx.outbox.send(applicant, Text(texts.refused_to_applicant(app.ref, app.name, ctx.person.name)),
                          key=f"app:{app.id}:refused:applicant", now=ctx.now)
    await ctx.reply(texts.refused_to_head(app.ref, app.name))


@router.action(Grant)
async def on_grant(ctx: ActionCtx[Grant], deps: Deps) -> None:
    p = ctx.payload
    app = await ic_card_subject(ctx, AccountApplication, p.application)
    if app is None:
        return
    applicant = await Person.get(id=app.applicant_id)
    head = await Person.get_or_none(id=app.head_id or 0)
    card = application_card(app, applicant.name, "ic", head.name if head else "")
    subject = texts.decision_application(app.ref, app.name)
    involved = await application_concerned(app)
    if await decides_own(ctx, involved, subject):
        if app.status == ApplicationStatus.ATTESTED:  # hand it to an admin added since, if any
            await send_decision(ctx, card, f"app:{app.id}:ic", involved, subject)
        return
    to = ApplicationStatus.APPROVED if p.grant else ApplicationStatus.REJECTED
    won = await AccountApplication.transition(app.id, to, ic_admin_id=ctx.person.id, ic_decided_at=ctx.now)
    audited: Audited = ("application_rejected", app.ref, {"name": app.name})
    if won and p.grant:  # the account the approval creates is named in its audit row
        account = await Account.create(
            name=app.name, platform=app.platform, department_id=app.department_id,
            leader_id=app.leader_id, admin_id=app.admin_id, status=AccountStatus.APPROVED,
            description=str(app.form.get("description", "")), created_at=ctx.now)
        await AccountApplication.filter(id=app.id).update(account_id=account.id)
        audited = ("application_approved", app.ref, {"name": app.name, "account": account.id})
    status = (texts.card_granted if p.grant else texts.card_denied)(ctx.person.name, ctx.local_now)
    if not await decided(ctx, won, lambda: _application_already(app), card, subject=application_subject(app),
                         outcome=texts.OUTCOME_GRANTED if p.grant else texts.OUTCOME_DENIED, status=status,
                         key=f"app:{app.id}:decided", audited=audited):
        return
    if p.grant:
        await ctx.outbox.send(applicant, Text(texts.granted_to_applicant(app.ref, app.name)),
                              key=f"app:{app.id}:granted:applicant", now=ctx.now)
        await ctx.reply(texts.granted_to_ic(app.ref, app.name))
        return
    await ctx.ask(DenyReason(app.id), texts.ASK_DENY_REASON)


@dataclass(frozen=True)
class DenyReason(PromptData, kind="application_reason"):
    """Asked of the Information Center admin who refused ``application``: why."""

    application: int


@router.on(TextMessage, prompt=DenyReason)
async def on_deny_reason(ctx: AnswerCtx[TextMessage, DenyReason], deps: Deps) -> None:
    app = await AccountApplication.get(id=ctx.answering.application)
    reason = given_reason(ctx.event.text, 2000)
    await AccountApplication.filter(id=app.id).update(reason=reason)
    applicant = await Person.get(id=app.applicant_id)
    await ctx.outbox.send(applicant, Text(texts.denied_to_applicant(app.ref, app.name, reason)),
                          key=f"app:{app.id}:denied:applicant", now=ctx.now)
    await ctx.reply(texts.DENY_REASON_SENT if reason else texts.REJECT_REASON_SKIPPED)
