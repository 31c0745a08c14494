"""Closing an account (Art. 5 第五条, 注销: "须及时其注销账号或通过新媒体平台关闭其帐号").

``注销 @账号 原因 [链接]`` (alias ``已注销``, the word the must-stop notices used first) asks for the
closure, with evidence that the account was deleted or closed on the platform: a link in the
command, or a screenshot (or a link) sent next when the bot asks for it. The Information Center
then confirms it on a card ([确认注销] [退回]); only its confirmation makes the account CLOSED.

Who may ask:
- an account still running (operating, awaiting filing, suspended): its department's head (主要负
  责人, who answers for it, Art. 4, 6) or an Information Center admin, at any time — closing a
  running account is their decision, not an officer's;
- an account that must stop (no report, or 不合格; Art. 5 says it *must* be closed): also its
  administrator and the department's officers, who are told to close it and are the ones who can
  show the platform's confirmation.

Art. 6 (谁审批、谁监管): the card goes to the Information Center admins other than the requester
(``info_center_admins(exclude=…)``), and the requester cannot confirm or return their own request
(``decides_own``). An Information Center admin who is its only admin cannot ask at all: nobody
could confirm, so the head has to ask instead; the bot says so and records nothing.

A confirmed closure sets status CLOSED, closed_at and closed_by_id in one conditional UPDATE (the
request on the card must still be the one waiting: two admins tapping at once confirm once, and a
card of a request that was returned confirms nothing). The sweeps read accounts by status (review
close reminders: must_stop; cadence and verification: operating), so their reminders end — but
the inquiry ladder reads inquiries, not accounts, so the card warns of any still unanswered
(Art. 12). The requester, the administrator, the head and the 主管领导 are told; pending drafts
are voided (``handlers.drafts.void_pending_drafts``).
A return (退回) takes a reason and clears the request so that a new one can be made.

Imports no channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot import audit, texts
from bot.card_closing import close_used_cards
from bot.cards import Button, Card, Document, Payload, Text
from bot.deps import Deps
from bot.events import ImageMessage, LinkMessage, TextMessage
from bot.links import MAX_LINK, link_attempt, valid_link
from bot.prompts import PromptData
from bot.router import ActionCtx, AnswerCtx, Ctx, Router
from handlers import drafts
from handlers.common import account_from_args, ic_card_subject, may_act_for, void_closed_account_cards
from handlers.decisions import decides_own, given_reason
from handlers.verification import screenshot_name
from models import Account, AccountStatus, Department, Inquiry, InquiryStatus, Person
from models.org import ACCOUNT_TRANSITIONS, info_center_admins, is_info_center_admin
from models.transitions import guarded_update, set_once

router = Router(name=__name__)

# Opened on the platform and not closed: what can be closed (the table's way to CLOSED).
# (Applied/approved: nothing to delete.)
CLOSABLE = ACCOUNT_TRANSITIONS[AccountStatus.CLOSED]


@dataclass(frozen=True)
class ClosureEvidence(PromptData, kind="closure_evidence"):
    """Asked of who requests closing ``account`` without a link: a screenshot or a link."""

    account: int
    reason: str = ""


@dataclass(frozen=True)
class ClosureReturn(PromptData, kind="closure_return"):
    """Asked of the admin who returns closure request ``request`` of ``account``: why."""

    account: int
    request: int


@dataclass(frozen=True)
class ConfirmClosure(Payload, prefix="clo"):
    account: int
    request: int  # the request's time (epoch seconds): a card of a returned request decides nothing
    ok: int  # 1 确认注销, 0 退回


def _stamp(account: Account) -> int:
    assert account.closure_requested_at is not None
    return int(account.closure_requested_at.timestamp())


async def may_request(person: Person, account: Account) -> bool:
    """The department's head or the Information Center; for a must-stop account also whoever may
    act for it (its administrator, leader, the department's officers)."""
    dept = await Department.get(id=account.department_id)
    if dept.head_id == person.id or await is_info_center_admin(person):
        return True
    return account.status == AccountStatus.MUST_STOP and await may_act_for(person, account)


def closure_subject(account: Account) -> str:
    """What a closed closure card's title names: the request and the account."""
    return f"{texts.CLOSURE_CARD_TITLE}「{account.name}」"


def closure_card(account: Account, dept: Department, requester: str, open_inquiries: int = 0) -> Card:
    evidence = account.closure_evidence
    request = _stamp(account)
    platform = texts.PLATFORM_NAMES.get(account.platform.value, account.platform.value)
    return Card(
        card_id=f"closure-{account.id}-{request}",
        title=texts.CLOSURE_CARD_TITLE,
        subtitle=texts.closure_card_subtitle(account.name, platform, dept.name),
        fields=((texts.FIELD_REQUESTER, requester),
                (texts.FIELD_STATUS, texts.ACCOUNT_STATUS_NAMES.get(account.status.value,
                                                                     account.status.value)),
                (texts.FIELD_REASON, account.closure_reason),
                (texts.FIELD_EVIDENCE, texts.closure_evidence_label(evidence))),
        buttons=(Button(texts.BUTTON_CONFIRM_CLOSURE, ConfirmClosure(account.id, request, 1).pack(),
                        "danger"),
                 Button(texts.BUTTON_RETURN, ConfirmClosure(account.id, request, 0).pack(), "default")),
        highlights=(texts.closure_open_inquiries(open_inquiries),) if open_inquiries else (),
    )


async def _refused(ctx: Ctx[Any], account: Account) -> bool:
    """Reply and True when ``account`` cannot take a closure request now (closed, waiting, not
    opened)."""
    if account.status == AccountStatus.CLOSED:
        by = await Person.get_or_none(id=account.closed_by_id) if account.closed_by_id else None
        at = ctx.local(account.closed_at) if account.closed_at else None
        await ctx.reply(texts.closure_already_closed(account.name, at, by.name if by else ""))
        return True
    if account.status not in CLOSABLE:
        await ctx.reply(texts.cannot_close(account.name, account.status.value))
        return True
    if account.closure_requested_at is not None:
        by = await Person.get_or_none(id=account.closure_requested_by_id or 0)
        await ctx.reply(texts.closure_waiting(account.name, by.name if by else "",
                                              ctx.local(account.closure_requested_at)))
        return True
    return False


async def _request(ctx: Ctx[Any], account: Account, reason: str, evidence: str,
                   image: bytes | None, mime: str = "image/png") -> None:
    admins = await info_center_admins(exclude={ctx.person.id})
    if not admins:  # the requester is the Information Center's only admin: nobody could confirm
        await ctx.reply(texts.closure_no_other_ic(account.name))
        return
    if not await set_once(Account, account.id, "closure_requested_at", ctx.now,
                          where={"status__in": list(CLOSABLE)}, closure_requested_by_id=ctx.person.id,
                          closure_reason=reason[:500], closure_evidence=evidence[:MAX_LINK],
                          closure_image=image):
        await _refused(ctx, await Account.get(id=account.id))  # someone asked first, or it closed
        return
    account = await Account.get(id=account.id)
    dept = await Department.get(id=account.department_id)
    await audit.record(ctx.person.code, "closure_requested", account.name,
                       {"reason": account.closure_reason, "evidence": evidence}, now=ctx.now)
    # Art. 12: questions of its followers still unanswered — the Information Center should know
    # before it confirms (the inquiry ladder goes on for them).
    waiting = await Inquiry.filter(account_id=account.id,
                                   status__in=[InquiryStatus.OPEN, InquiryStatus.CLAIMED]).count()
    card = closure_card(account, dept, ctx.person.name, waiting)
    for admin in admins:
        await ctx.outbox.send(admin, card, key=f"closure:{account.id}:{_stamp(account)}:{admin.id}",
                              now=ctx.now)
        if image is not None:
            await ctx.outbox.send(admin, Document(screenshot_name(texts.closure_screenshot_name(
                account.name), mime), image, mime),
                                  key=f"closure:{account.id}:{_stamp(account)}:{admin.id}:image",
                                  now=ctx.now)
    await ctx.reply(texts.closure_requested(account.name, [a.name for a in admins]))


@router.command(*texts.CMD_CLOSED)
async def on_close(ctx: Ctx[TextMessage], deps: Deps) -> None:
    found = await account_from_args(ctx, texts.CLOSED_USAGE)
    if found is None:
        return
    account, rest = found
    if account.status not in CLOSABLE:  # closed (saying when), or never opened
        await _refused(ctx, account)
        return
    if not await may_request(ctx.person, account):
        await ctx.reply(texts.cannot_close(account.name, account.status.value))
        return
    if await _refused(ctx, account):
        return
    words = rest.split()
    links = [w for w in words if link_attempt(w)]
    if links and not valid_link(links[0]):
        await ctx.reply(texts.bad_closure_link(links[0][:200]))
        return
    reason = " ".join(w for w in words if w not in links[:1]).strip()
    if not reason and account.status == AccountStatus.MUST_STOP:  # Art. 5 is the reason
        reason = texts.closure_reason_must_stop(account.stop_reason)
    if not reason:
        await ctx.reply(texts.close_reason_needed(account.name))
        return
    if links:
        await _request(ctx, account, reason, links[0], None)
        return
    await ctx.ask(ClosureEvidence(account.id, reason), texts.ASK_CLOSURE_EVIDENCE)


@router.on(ImageMessage, prompt=ClosureEvidence)
async def on_closure_image(ctx: AnswerCtx[ImageMessage, ClosureEvidence], deps: Deps) -> None:
    account = await Account.get_or_none(id=ctx.answering.account)
    if account is not None:
        await _request(ctx, account, ctx.answering.reason, texts.EVIDENCE_SCREENSHOT, ctx.event.data,
                       ctx.event.mime)


@router.on(LinkMessage, prompt=ClosureEvidence)
async def on_closure_link_card(ctx: AnswerCtx[LinkMessage, ClosureEvidence], deps: Deps) -> None:
    await _answer_link(ctx, ctx.event.url.strip())


@router.on(TextMessage, prompt=ClosureEvidence)
async def on_closure_text(ctx: AnswerCtx[TextMessage, ClosureEvidence], deps: Deps) -> None:
    await _answer_link(ctx, ctx.event.text.strip())


async def _answer_link(ctx: AnswerCtx[Any, ClosureEvidence], said: str) -> None:
    account = await Account.get_or_none(id=ctx.answering.account)
    if account is None or said.casefold() in texts.CANCEL_WORDS:
        await ctx.reply(texts.EVIDENCE_CANCELLED)
        return
    word = said.split()[0] if said.split() else ""
    if link_attempt(word) and not valid_link(word):
        await ctx.reply(texts.bad_closure_link(word[:200]))
        await ctx.keep_prompt()
        return
    if not valid_link(word):  # the question stays open: a screenshot or a good link answers it
        await ctx.reply(texts.ASK_CLOSURE_EVIDENCE_AGAIN)
        await ctx.keep_prompt()
        return
    await _request(ctx, account, ctx.answering.reason, word, None)


# -- the Information Center's decision --------------------------------------------------------------
async def _decidable(ctx: Ctx[Any], p: ConfirmClosure) -> tuple[Account, Department, Person] | None:
    """The account whose waiting request this card shows, once the person may decide it."""
    account = await ic_card_subject(ctx, Account, p.account, texts.ONLY_IC_CONFIRMS_CLOSURE)
    if account is None:
        return None
    if account.status == AccountStatus.CLOSED:
        await _refused(ctx, account)
        return None
    if account.closure_requested_at is None or _stamp(account) != p.request:
        await ctx.reply(texts.closure_already_decided(account.name))
        return None
    if await decides_own(ctx, [account.closure_requested_by_id], texts.closure_subject(account.name)):
        return None
    dept = await Department.get(id=account.department_id)
    requester = await Person.get_or_none(id=account.closure_requested_by_id or 0)
    if requester is None:  # a request by someone since removed from the organisation file
        requester = ctx.person
    return account, dept, requester


@router.action(ConfirmClosure)
async def on_closure_decision(ctx: ActionCtx[ConfirmClosure], deps: Deps) -> None:
    p = ctx.payload
    found = await _decidable(ctx, p)
    if found is None:
        return
    account, dept, requester = found
    if not p.ok:
        await ctx.ask(ClosureReturn(account.id, p.request), texts.ASK_CLOSURE_RETURN_REASON)
        return
    if not await Account.transition(account.id, AccountStatus.CLOSED,
                                    where={"closure_requested_at": account.closure_requested_at},
                                    closed_at=ctx.now, closed_by_id=ctx.person.id):
        await ctx.reply(texts.closure_already_decided(account.name))
        return
    await close_used_cards(ctx.outbox, closure_card(account, dept, requester.name).card_id, exact=True,
                           title=texts.closed_title(closure_subject(account),
                                                    texts.OUTCOME_CLOSURE_CONFIRMED),
                           status=texts.card_closure_confirmed(ctx.person.name, ctx.local_now),
                           key=f"closure:{account.id}:{p.request}:confirmed", now=ctx.now)
    await audit.record(ctx.person.code, "account_closed", account.name,
                       {"reason": account.closure_reason, "evidence": account.closure_evidence,
                        "requested_by": requester.code}, now=ctx.now)
    await drafts.void_pending_drafts(ctx, account, texts.closure_reason_for_drafts(account.name))
    await void_closed_account_cards(ctx.outbox, account, now=ctx.now, status=texts.card_void_account_closed(
        ctx.person.name, ctx.local_now))
    told = {requester.id, account.admin_id, dept.head_id, account.leader_id} - {None, ctx.person.id}
    message = texts.closure_confirmed(account.name, ctx.person.name, ctx.local_now, account.closure_reason)
    for person in await Person.filter(id__in=list(told), active=True).order_by("id"):
        await ctx.outbox.send(person, Text(message), key=f"closure:{account.id}:{p.request}:told:{person.id}",
                              now=ctx.now)
    for admin in await info_center_admins(exclude={ctx.person.id, requester.id}):
        await ctx.outbox.send(admin, Text(texts.closed_to_ic(account.name, ctx.person.name,
                                                             texts.closure_evidence_label(
                                                                 account.closure_evidence))),
                              key=f"closure:{account.id}:{p.request}:ic:{admin.id}", now=ctx.now)
    await ctx.reply(texts.closed(account.name))


@router.on(TextMessage, prompt=ClosureReturn)
async def on_closure_return_reason(ctx: AnswerCtx[TextMessage, ClosureReturn], deps: Deps) -> None:
    """The return is decided with its reason: until then the card stays live (another admin may
    still confirm it, and then this return changes nothing and says so)."""
    account = await Account.get(id=ctx.answering.account)
    request = ctx.answering.request
    reason = given_reason(ctx.event.text, 500)
    if account.status == AccountStatus.CLOSED or account.closure_requested_at is None \
            or _stamp(account) != request:
        await ctx.reply(texts.closure_already_decided(account.name))
        return
    requester = await Person.get_or_none(id=account.closure_requested_by_id or 0)
    if not await guarded_update(Account, account.id, "closure_requested_at", None,
                                {account.closure_requested_at}, where={"status__in": list(CLOSABLE)},
                                closure_requested_by_id=None, closure_reason="", closure_evidence="",
                                closure_image=None):
        await ctx.reply(texts.closure_already_decided(account.name))
        return
    dept = await Department.get(id=account.department_id)
    await close_used_cards(ctx.outbox, closure_card(account, dept, "").card_id, exact=True,
                           title=texts.closed_title(closure_subject(account), texts.OUTCOME_RETURNED),
                           status=texts.card_closure_returned(ctx.person.name, ctx.local_now),
                           key=f"closure:{account.id}:{request}:returned", now=ctx.now)
    await audit.record(ctx.person.code, "closure_returned", account.name,
                       {"reason": reason, "requested_reason": account.closure_reason}, now=ctx.now)
    if requester is not None:
        await ctx.outbox.send(requester, Text(texts.closure_returned(account.name, ctx.person.name, reason)),
                              key=f"closure:{account.id}:{request}:returned:{requester.id}", now=ctx.now)
    await ctx.reply(texts.CLOSURE_RETURN_SENT if reason else texts.CLOSURE_RETURN_SENT_NO_REASON)
