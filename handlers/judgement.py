"""The annual review (Art. 5), judging: the Information Center's [合格][不合格] on a report card,
the reason asked after 不合格, and who is told. Imports no channel.

Art. 5 (未提交年审报告或审查不合格的，该平台不得继续运行): the judgement decides, whenever it comes.
- 不合格 stops the account at once, on the button — not on 1 December: an account judged on
  3 November does not publish for four more weeks. The account becomes must-stop (``stopped_at``,
  ``stop_reason`` = "YYYY年度年审不合格", with the Information Center's reason once given), its
  drafts waiting for approval are voided (``handlers.drafts.void_pending_drafts``), and new drafts,
  submissions and 已发布 are refused saying why. The administrator, the department head and the
  account's 主管领导 (Art. 14: the leader answers for the account) are told, with the reason, what
  follows: a new report (the Information Center judges it like any other, ``handlers.reviews``) or
  the closing flow (``注销 @账号 原因`` with evidence, ``handlers.closing``). They are told when the
  reason is given (or skipped), so the message carries it; the stop does not wait for it. If no
  reason comes within the hour (the question was replaced by the next card's, or forgotten), the
  review sweep tells them without it (``schedules.review``), and a reason given later follows.
- 合格 on a report of a must-stop account restores it (a new report after 不合格): back to
  operating (to awaiting filing if it was never filed), ``stopped_at``/``stop_reason`` cleared,
  and the same three people are told it runs again. 合格 otherwise says the account may continue
  (an account suspended or closed meanwhile is told its status stays).

Art. 6 (谁审批、谁监管): the Information Center admin who judges must not be concerned by the
report: not its submitter, the account's administrator or 主管领导, nor the department head
(``decides_own``; the card goes to the others in the first place, ``handlers.reviews``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot import audit, texts
from bot.campaign import failure_notice, review_people
from bot.cards import Text
from bot.deps import Deps
from bot.events import TextMessage
from bot.prompts import PromptData
from bot.reminders import REVIEW as KIND
from bot.reminders import Send, remind_many
from bot.router import ActionCtx, AnswerCtx, Ctx, Router
from handlers.common import ic_card_subject, refuse_if_closed
from handlers.decisions import decided, decides_own, given_reason
from handlers.drafts import void_pending_drafts
from handlers.reviews import Judge, review_card
from models import Account, AccountStatus, Department, Person, ReviewReport, ReviewStatus
from models.transitions import guarded_update

router = Router(name=__name__)

# An account a 不合格 stops: open on its platform and not stopped otherwise (suspended is the
# Information Center's own stop; closed is final): models.org.ACCOUNT_TRANSITIONS[MUST_STOP].


@router.action(Judge)
async def on_judge(ctx: ActionCtx[Judge], deps: Deps) -> None:
    p = ctx.payload
    report = await ic_card_subject(ctx, ReviewReport, p.report)
    if report is None:
        return
    account = await Account.get(id=report.account_id)
    if await refuse_if_closed(ctx, account, texts.WHAT_REVIEW.format(ref=report.ref)):
        return
    dept = await Department.get(id=account.department_id)
    concerned = {report.submitted_by_id, account.admin_id, account.leader_id, dept.head_id}
    if await decides_own(ctx, concerned, texts.decision_review(report.ref, account.name)):
        return
    to = ReviewStatus.PASSED if p.ok else ReviewStatus.FAILED
    by = await Person.get(id=report.submitted_by_id)
    status = (texts.card_passed if p.ok else texts.card_failed)(ctx.person.name, ctx.local_now)
    won = await ReviewReport.transition(report.id, to, decided_by_id=ctx.person.id, decided_at=ctx.now)
    if not await decided(
            ctx, won, lambda: _review_already(report), review_card(report, account, by.name),
            subject=texts.review_subject(report.ref, account.name),
            outcome=texts.OUTCOME_PASSED if p.ok else texts.OUTCOME_FAILED, status=status,
            key=f"review:{report.id}:decided",
            audited=(f"review_{to.value}", account.name, {"report": report.ref, "year": report.year})):
        return
    if p.ok:
        await _passed(ctx, report, account)
        await ctx.reply(texts.passed_to_ic(report.ref, account.name))
        return
    # 不合格: the account stops now; the reason (asked next) completes stop_reason and the notice.
    stop_reason = texts.stop_reason_failed(report.year)
    if await Account.transition(account.id, AccountStatus.MUST_STOP, stopped_at=ctx.now,
                                stop_reason=stop_reason):
        await audit.record(ctx.person.code, "account_stopped", account.name,
                           {"report": report.ref, "reason": stop_reason}, now=ctx.now)
        await account.refresh_from_db()
        await void_pending_drafts(ctx, account, texts.account_stopped_why(
            account.name, account.status.value, stop_reason))
    await ctx.ask(FailReason(report.id), texts.ASK_FAIL_REASON)


async def _review_already(report: ReviewReport) -> str:
    return texts.review_already(report.ref, (await ReviewReport.get(id=report.id)).status.value)


async def _passed(ctx: Ctx[Any], report: ReviewReport, account: Account) -> None:
    if account.status == AccountStatus.MUST_STOP:
        # A new report after 不合格 passed: the account runs again (awaiting filing if never filed).
        back = AccountStatus.OPERATING if account.filed_at is not None else AccountStatus.UNFILED
        if await Account.transition(account.id, back, frm={AccountStatus.MUST_STOP}, stopped_at=None,
                                    stop_reason=""):
            await audit.record(ctx.person.code, "account_restored", account.name,
                               {"report": report.ref, "status": back.value}, now=ctx.now)
            for person in await review_people(account, leader=True):
                await ctx.outbox.send(person, Text(texts.review_restored(account.name, report.year)),
                                      key=f"review:{report.id}:restored:{person.id}", now=ctx.now)
            return
    if account.status in (AccountStatus.OPERATING, AccountStatus.UNFILED):
        text = texts.review_passed(account.name, report.year)
    else:
        text = texts.review_passed_not_running(account.name, report.year, account.status.value)
    for person in await review_people(account, leader=False):
        await ctx.outbox.send(person, Text(text), key=f"review:{report.id}:passed:{person.id}",
                              now=ctx.now)


@dataclass(frozen=True)
class FailReason(PromptData, kind="review_reason"):
    """Asked of the Information Center admin who judged ``report`` 不合格: why."""

    report: int


@router.on(TextMessage, prompt=FailReason)
async def on_fail_reason(ctx: AnswerCtx[TextMessage, FailReason], deps: Deps) -> None:
    report = await ReviewReport.get(id=ctx.answering.report)
    reason = given_reason(ctx.event.text, 2000)
    await ReviewReport.filter(id=report.id).update(reason=reason)
    account = await Account.get(id=report.account_id)
    if reason and account.status == AccountStatus.MUST_STOP:
        # The stop this judgement made (no later one): its reason now names the Information Center's.
        stop_reason = texts.stop_reason_failed(report.year, reason)[:500]
        await guarded_update(Account, account.id, "stop_reason", stop_reason,
                             {texts.stop_reason_failed(report.year)},
                             where={"status": AccountStatus.MUST_STOP})
    people = await review_people(account, leader=True)
    text = Text(texts.review_stopped_failed(account.name, report.year, reason))
    if not await remind_many(KIND, [failure_notice(report.id, report.year)],
                             [(Send(p, text), f"review:{report.id}:failed:{p.id}") for p in people],
                             deps=deps, now=ctx.now) and reason:
        # The sweep told them already, without a reason (it came late): the reason follows.
        late = Text(texts.review_fail_reason_late(account.name, report.year, reason))
        for person in people:
            await ctx.outbox.send(person, late, key=f"review:{report.id}:reason:{person.id}", now=ctx.now)
    await ctx.reply(texts.FAIL_REASON_TOLD if reason else texts.FAIL_REASON_SKIPPED_TOLD)

