"""The registry of accounts (Art. 2, 4): filing an opened account (form 2) and changes of leader
or administrator re-filed with the Information Center. The registry is the truth: an account takes
drafts only once its filing is acknowledged. 已认证 is ``handlers.verification``; the views 台账
and 账号 @x are ``handlers.ledger``. Imports no channel.

Art. 6 (谁审批、谁监管): a filing or a change is acknowledged by an Information Center admin it
does not concern. ``send_decision`` routes the card, ``decides_own`` refuses the concerned: both
live in ``handlers.governance`` and are re-exported here, where the other handlers import them.
A filing concerns its submitter and the account's administrator (and the old and new person of
any leader or administrator it changes), a change its requester and the old and new person.
Every decision is audited with the admin who took it as the actor (filed, returned, change filed).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot import audit, texts
from bot.cards import Button, Card, Payload, Text
from bot.deps import Deps
from bot.events import TextMessage
from bot.router import ActionCtx, Ctx, Router
from handlers import forms
from handlers.common import (
    account_from_args,
    ic_card_subject,
    may_act_for,
    own_account_from_args,
    refuse_if_closed,
)
from handlers.decisions import concerned, decided, decides_own, send_decision
from handlers.forms import Checked, Field, Form, Invalid
from handlers.governance import person_check
from models import (
    Account,
    AccountChange,
    AccountFiling,
    AccountStatus,
    Person,
)

router = Router(name=__name__)



# -- 备案 (form 2) --------------------------------------------------------------------------------
_FILED_RUNS = (AccountStatus.APPROVED, AccountStatus.UNFILED)  # what a filing sets running
DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


async def check_date(answer: str, values: dict[str, Any], ctx: Ctx[Any]) -> Checked:
    text = answer.replace("/", "-").replace(".", "-").replace("年", "-").replace("月", "-").rstrip("日")
    try:
        if not DATE.match(text):
            raise ValueError
        y, m, d = (int(x) for x in text.split("-"))
        day = date(y, m, d)
    except ValueError:
        raise Invalid(texts.BAD_DATE) from None
    if day > ctx.local_now.date():
        raise Invalid(texts.BAD_DATE)
    return Checked(day.isoformat())


async def check_followers(answer: str, values: dict[str, Any], ctx: Ctx[Any]) -> Checked:
    digits = answer.replace(",", "").replace("，", "").strip()
    if not digits.isdigit():
        raise Invalid(texts.BAD_FOLLOWERS)
    return Checked(str(int(digits)))


async def submit_filing(ctx: Ctx[Any], deps: Deps, values: dict[str, Any],
                        context: dict[str, Any]) -> None:
    account = await Account.get(id=int(context["account"]))
    qr = context.get("files", {}).get("qr")
    filing = await AccountFiling.create(
        account_id=account.id, form=values, qr_code=base64.b64decode(qr) if qr else None,
        submitted_by_id=ctx.person.id, submitted_at=ctx.now)
    await audit.record(ctx.person.code, "filing_submitted", account.name, {"filing": filing.ref},
                       now=ctx.now)
    await ctx.reply(texts.filing_submitted(filing.ref, account.name))
    await send_decision(ctx, filing_card(filing, account, ctx.person.name), f"filing:{filing.id}",
                        await filing_concerned(filing, account),
                        texts.decision_filing(filing.ref, account.name), tell=[ctx.person])


FORM2 = forms.register(Form(
    name="filing",
    title=texts.FORM2_TITLE,
    fields=(
        Field("platform_account_id", texts.FORM2_LABELS["platform_account_id"], texts.Q_ACCOUNT_ID),
        Field("opened_on", texts.FORM2_LABELS["opened_on"], texts.Q_OPENED_ON, check_date),
        Field("followers", texts.FORM2_LABELS["followers"], texts.Q_FOLLOWERS, check_followers),
        Field("qr", texts.FORM2_LABELS["qr"], texts.Q_QR, image=True),
        Field("leader", texts.FORM2_LABELS["leader"], texts.Q_LEADER, person_check("leader")),
        Field("admin", texts.FORM2_LABELS["admin"], texts.Q_ADMIN, person_check("admin")),
        Field("description", texts.FORM2_LABELS["description"], texts.Q_DESCRIPTION),
    ),
    on_submit=submit_filing,
))


@router.command(*texts.CMD_FILE)
async def on_file(ctx: Ctx[TextMessage], deps: Deps) -> None:
    found = await own_account_from_args(ctx, texts.FILE_USAGE)
    if found is None:
        return
    account, _ = found
    if account.status not in (AccountStatus.APPROVED, AccountStatus.UNFILED, AccountStatus.OPERATING):
        await ctx.reply(texts.cannot_file(account.name, account.status.value))
        return
    people = {p.id: p for p in await Person.filter(
        id__in=[i for i in (account.leader_id, account.admin_id) if i])}
    values: dict[str, Any] = {}
    leader, admin = people.get(account.leader_id or 0), people.get(account.admin_id or 0)
    if leader:
        values.update(leader=leader.name, leader_code=leader.code)
    if admin:
        values.update(admin=admin.name, admin_code=admin.code)
    if account.description:
        values["description"] = account.description
    await forms.start(ctx, FORM2, values=values, context={"account": account.id})


async def filing_concerned(filing: AccountFiling, account: Account) -> set[int]:
    """Art. 6: the submitter and the account's administrator; for a leader or administrator the
    filing changes, the old and the new person too."""
    ids = {filing.submitted_by_id, account.admin_id}
    f = filing.form
    named = {p.code: p.id for p in await Person.filter(
        code__in=[c for c in (f.get("leader_code"), f.get("admin_code")) if c])}
    for role in ("leader", "admin"):
        new_id = named.get(f.get(f"{role}_code", ""))
        if new_id is not None and new_id != getattr(account, f"{role}_id"):
            ids.update((new_id, getattr(account, f"{role}_id")))
    return concerned(ids)


@dataclass(frozen=True)
class FilingAck(Payload, prefix="fil"):
    filing: int
    ok: int  # 1 已备案, 0 退回


def filing_card(filing: AccountFiling, account: Account, by: str) -> Card:
    f = filing.form
    return Card(
        card_id=f"filing-{filing.id}",
        title=f"{texts.FILING_CARD_TITLE} {filing.ref}",
        subtitle=f"「{account.name}」",
        fields=((texts.FIELD_ACCOUNT_ID, f.get("platform_account_id", "")),
                (texts.FIELD_OPENED_ON, f.get("opened_on", "")),
                (texts.FIELD_FOLLOWERS, f.get("followers", "")),
                (texts.FIELD_LEADER, f.get("leader", "")),
                (texts.FIELD_ADMIN, f.get("admin", "")),
                (texts.FIELD_SUBMITTER, by)),
        body=f.get("description", ""),
        buttons=(Button(texts.BUTTON_FILED, FilingAck(filing.id, 1).pack(), "primary"),
                 Button(texts.BUTTON_RETURN, FilingAck(filing.id, 0).pack(), "danger")),
    )


@router.action(FilingAck)
async def on_filing_ack(ctx: ActionCtx[FilingAck], deps: Deps) -> None:
    p = ctx.payload
    filing = await ic_card_subject(ctx, AccountFiling, p.filing)
    if filing is None:
        return
    account = await Account.get(id=filing.account_id)
    if await refuse_if_closed(ctx, account, texts.WHAT_FILING.format(ref=filing.ref)):
        return
    submitter = await Person.get(id=filing.submitted_by_id)
    card = filing_card(filing, account, submitter.name)
    involved = await filing_concerned(filing, account)
    subject = texts.decision_filing(filing.ref, account.name)
    if await decides_own(ctx, involved, subject):
        if filing.acknowledged_at is None:  # hand it to an admin added since, if any
            await send_decision(ctx, card, f"filing:{filing.id}", involved, subject)
        return
    status = (texts.card_filed if p.ok else texts.card_returned)(ctx.person.name, ctx.local_now)
    if not await decided(
            ctx, await AccountFiling.acknowledge(filing.id, ctx.person.id, ctx.now, returned=not p.ok),
            texts.filing_already(filing.ref), card, subject=texts.filing_subject(filing.ref, account.name),
            outcome=texts.OUTCOME_FILED if p.ok else texts.OUTCOME_RETURNED, status=status,
            key=f"filing:{filing.id}:decided",
            audited=None if p.ok else ("filing_returned", account.name, {"filing": filing.ref})):
        return
    if not p.ok:
        await ctx.outbox.send(submitter, Text(texts.filing_returned(filing.ref, account.name)),
                              key=f"filing:{filing.id}:returned", now=ctx.now)
        await ctx.reply(texts.returned_to_ic(filing.ref, account.name))
        return
    f = filing.form
    codes = [c for c in (f.get("leader_code"), f.get("admin_code")) if c]
    ids = {p.code: p.id for p in await Person.filter(code__in=codes)}
    changes: dict[str, Any] = {
        "platform_account_id": f.get("platform_account_id", ""), "opened_on": f.get("opened_on", ""),
        "followers": int(f.get("followers") or 0), "description": f.get("description", ""),
        "filed_at": ctx.now}
    if filing.qr_code:
        changes["qr_code"] = filing.qr_code
    for role in ("leader", "admin"):
        new_id = ids.get(f.get(f"{role}_code", ""))
        if new_id and new_id != getattr(account, f"{role}_id"):
            await AccountChange.create(account_id=account.id, role=role,
                                       old_person_id=getattr(account, f"{role}_id"),
                                       new_person_id=new_id, requested_by_id=filing.submitted_by_id,
                                       requested_at=filing.submitted_at, filed_by_id=ctx.person.id,
                                       filed_at=ctx.now)
            changes[f"{role}_id"] = new_id
            changes["refile"] = account.refile = _refiled(account, role)
    await Account.filter(id=account.id).update(**changes)
    if account.status in _FILED_RUNS:  # Art. 4: filed → running
        await Account.transition(account.id, AccountStatus.OPERATING, frm=_FILED_RUNS)
    await audit.record(ctx.person.code, "filing_acknowledged", account.name,
                       {"filing": filing.ref}, now=ctx.now)
    await ctx.outbox.send(submitter, Text(texts.filed_to_submitter(filing.ref, account.name,
                                                                   account.verified_at is None)),
                          key=f"filing:{filing.id}:filed", now=ctx.now)
    await ctx.reply(texts.filed_to_ic(filing.ref, account.name))


# -- 变更 (Art. 4) --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChangeAck(Payload, prefix="chg"):
    change: int


@router.command(*texts.CMD_CHANGE)
async def on_change(ctx: Ctx[TextMessage], deps: Deps) -> None:
    found = await account_from_args(ctx, texts.CHANGE_USAGE)
    if found is None:
        return
    account, rest = found
    role_word, _, who = rest.partition(" ")
    role = texts.ROLE_WORDS.get(role_word.strip())
    if role is None or not who.strip():
        await ctx.reply(texts.CHANGE_USAGE)
        return
    if not await may_act_for(ctx.person, account):
        await ctx.reply(texts.not_responsible_for(account.name))
        return
    try:
        checked = await person_check(role)(who.strip(), {}, ctx)
    except Invalid as exc:
        await ctx.reply(str(exc))
        return
    new = await Person.get(code=dict(checked.also)[f"{role}_code"])
    old_id = getattr(account, f"{role}_id")
    if new.id == old_id and role not in account.refile:
        # The same person again is no change, unless the directory said they moved and the
        # department keeps them in the role: then filing them again is what clears 需变更备案.
        await ctx.reply(texts.change_same(account.name, texts.ROLE_NAMES[role], new.name))
        return
    change = await AccountChange.create(account_id=account.id, role=role, old_person_id=old_id,
                                        new_person_id=new.id, requested_by_id=ctx.person.id,
                                        requested_at=ctx.now)
    old = await Person.get_or_none(id=old_id or 0)
    await audit.record(ctx.person.code, "change_requested", account.name,
                       {"role": role, "old": old.code if old else None, "new": new.code}, now=ctx.now)
    await ctx.reply(texts.change_requested(account.name, texts.ROLE_NAMES[role], new.name))
    await send_decision(ctx, change_card(change, account, old, new, ctx.person), f"change:{change.id}",
                        change_concerned(change), texts.decision_change(account.name, texts.ROLE_NAMES[role]),
                        tell=[ctx.person])


def _refiled(account: Account, role: str) -> dict[str, Any]:
    """``Account.refile`` once a change of ``role`` is filed: that role no longer 需变更备案."""
    return {r: v for r, v in account.refile.items() if r != role}


def change_concerned(change: AccountChange) -> set[int]:
    """Art. 6: the requester, the old and the new person."""
    return concerned((change.requested_by_id, change.old_person_id, change.new_person_id))


def change_card(change: AccountChange, account: Account, old: Person | None, new: Person,
                requester: Person) -> Card:
    return Card(card_id=f"change-{change.id}", title=texts.change_subject(account.name),
                fields=((texts.FIELD_ROLE, texts.ROLE_NAMES[change.role]),
                        (texts.FIELD_OLD, old.name if old else texts.FORM_EMPTY),
                        (texts.FIELD_NEW, f"{new.name} {new.title}".strip()),
                        (texts.FIELD_SUBMITTER, requester.name)),
                buttons=(Button(texts.BUTTON_FILED, ChangeAck(change.id).pack(), "primary"),))


@router.action(ChangeAck)
async def on_change_ack(ctx: ActionCtx[ChangeAck], deps: Deps) -> None:
    p = ctx.payload
    change = await ic_card_subject(ctx, AccountChange, p.change)
    if change is None:
        return
    account = await Account.get(id=change.account_id)
    if await refuse_if_closed(ctx, account, texts.WHAT_CHANGE):
        return
    subject = texts.decision_change(account.name, texts.ROLE_NAMES[change.role])
    if await decides_own(ctx, change_concerned(change), subject):
        if change.filed_at is None:  # hand it to an admin added since, if any
            new, old = await Person.get(id=change.new_person_id), await Person.get_or_none(
                id=change.old_person_id or 0)
            card = change_card(change, account, old, new, await Person.get(id=change.requested_by_id))
            await send_decision(ctx, card, f"change:{change.id}", change_concerned(change), subject)
        return
    new = await Person.get(id=change.new_person_id)
    old = await Person.get_or_none(id=change.old_person_id or 0)
    card = change_card(change, account, old, new, await Person.get(id=change.requested_by_id))
    if not await decided(
            ctx, await AccountChange.file(change.id, ctx.person.id, ctx.now), texts.change_already(change.id),
            card, subject=texts.change_subject(account.name), outcome=texts.OUTCOME_FILED,
            status=texts.card_filed(ctx.person.name, ctx.local_now), key=f"change:{change.id}:filed",
            audited=("change_filed", account.name, {"role": change.role, "new": new.code})):
        return
    await Account.filter(id=account.id).update(**{f"{change.role}_id": change.new_person_id},
                                               refile=_refiled(account, change.role))
    role = texts.ROLE_NAMES[change.role]
    await ctx.outbox.send(new, Text(texts.change_to_new(account.name, role)),
                          key=f"change:{change.id}:new", now=ctx.now)
    if old is not None and old.id != new.id:
        await ctx.outbox.send(old, Text(texts.change_to_old(account.name, role, new.name)),
                              key=f"change:{change.id}:old", now=ctx.now)
    await ctx.reply(texts.change_filed_to_ic(account.name, role, new.name))
