"""The annual review's judgement (Art. 5), one function for every place it is given: the
Information Center's [合格][不合格] on a report card in chat (``handlers.judgement``) and the
console's review page. Same checks, same guarded transition, same audit line, same
notifications, and the chat card closes whichever place judged. Imports no channel and no chat
context: it returns what the judge is told (``JudgeResult.text``) and the caller shows it.

Art. 5 (未提交年审报告或审查不合格的，该平台不得继续运行): the judgement decides, whenever it comes.
- 不合格 stops the account at once — not on 1 December: an account judged on 3 November does not
  publish for four more weeks. The account becomes must-stop (``stopped_at``, ``stop_reason`` =
  "YYYY年度年审不合格", with the Information Center's reason once given), its drafts waiting for
  approval are voided (``bot.draft_voiding``), and new drafts, submissions and 已发布 are refused
  saying why. The administrator, the department head and the account's 主管领导 (Art. 14: the
  leader answers for the account) are told, with the reason, what follows: a new report or the
  closing flow. They are told when the reason is given (or skipped), so the message carries it;
  the stop does not wait for it. The console asks the reason in the same form and gives it at
  once (``judge(..., reason=...)``); the card asks it next in chat (``JudgeResult.ask_reason``)
  and the answer comes through ``give_fail_reason``. If no reason comes within the hour, the
  review sweep tells them without it (``schedules.review``), and a reason given later follows.
- 合格 on a report of a must-stop account restores it (a new report after 不合格): back to
  operating (to awaiting filing if it was never filed), ``stopped_at``/``stop_reason`` cleared,
  and the same three people are told it runs again. 合格 otherwise says the account may continue
  (an account suspended or closed meanwhile is told its status stays).

Art. 2, 6: only an Information Center admin judges, and not one the report concerns (谁审批、谁监管:
its submitter, the account's administrator or 主管领导, the department head). A closed account's
reports are not judged any more. Issue 18: a judgement from the console is audited as such
(``"via": "console"`` in the audit lines it writes), so the trail says who did it from the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from tortoise.transactions import in_transaction

from bot import audit, texts
from bot.campaign import failure_notice, review_people
from bot.card_closing import close_used_cards
from bot.cards import Text
from bot.decisions import given_reason, own_case
from bot.deps import Deps
from bot.draft_voiding import void_drafts
from bot.reminders import REVIEW, Send, remind_many
from models import Account, AccountStatus, Department, Person, ReviewReport, ReviewStatus
from models.org import is_info_center_admin
from models.transitions import guarded_update

Via = Literal["card", "console"]
REASON_CHARS = 2000  # the longest reason kept (ReviewReport.reason)


class Judged(StrEnum):
    """What became of a judgement."""

    PASSED = "passed"  # judged 合格
    FAILED = "failed"  # judged 不合格: the account stopped
    ALREADY = "already"  # someone judged it first (the guarded transition lost)
    CONCERNED = "concerned"  # Art. 6: the report concerns the judge
    CLOSED = "closed"  # the account is closed: nothing to judge
    NOT_ALLOWED = "not_allowed"  # not an Information Center admin
    GONE = "gone"  # no such report


@dataclass(frozen=True)
class JudgeResult:
    """The outcome and the Chinese text for the judge. ``ask_reason``: 不合格 with no reason given,
    ``text`` is the question (the card asks it next; the answer goes to ``give_fail_reason``)."""

    outcome: Judged
    text: str
    ask_reason: bool = False

    @property
    def judged(self) -> bool:
        """Whether this call decided the report (合格 or 不合格)."""
        return self.outcome in (Judged.PASSED, Judged.FAILED)


def _detail(detail: dict[str, Any], via: Via) -> dict[str, Any]:
    """An audit line's details, saying so when the console wrote it (issue 18)."""
    return {**detail, "via": via} if via == "console" else detail


async def judge(report_id: int, ok: bool, *, by: Person, now: datetime, deps: Deps,
                reason: str | None = None, via: Via = "card") -> JudgeResult:
    """Judge report ``report_id`` 合格 (``ok``) or 不合格 as ``by`` at ``now`` (UTC).

    Refused, nothing changed, when the report is gone, ``by`` is not an Information Center admin,
    the account is closed, or the report concerns ``by`` (Art. 6). Otherwise one guarded
    transition decides: a second judgement loses and is told how it was decided. The winner
    closes every copy of the chat card (its title says the outcome, its status who and when),
    writes the audit line, and then: 合格 restores a must-stop account or tells the people it may
    continue; 不合格 stops the account, voids its pending drafts and — with ``reason`` (the
    console's form; "" or 跳过 = none) — stores the reason and tells the people with it; without
    (``None``: the card) the result asks for it.

    One transaction (a savepoint inside the inbox's when the card calls it). The outbox rows it
    writes go out once the caller has committed and woken the outbox (``deps.outbox.wake()``;
    the inbox does it for the card)."""
    async with in_transaction():
        return await _judge(report_id, ok, by=by, now=now, deps=deps, reason=reason, via=via)


async def _judge(report_id: int, ok: bool, *, by: Person, now: datetime, deps: Deps,
                 reason: str | None, via: Via) -> JudgeResult:
    report = await ReviewReport.get_or_none(id=report_id)
    if report is None:
        return JudgeResult(Judged.GONE, texts.EXPIRED_BUTTON)
    if not await is_info_center_admin(by):
        return JudgeResult(Judged.NOT_ALLOWED, texts.ONLY_INFO_CENTER)
    account = await Account.get(id=report.account_id)
    if account.status == AccountStatus.CLOSED:
        return JudgeResult(Judged.CLOSED, texts.account_closed_nothing_to_do(
            account.name, texts.WHAT_REVIEW.format(ref=report.ref)))
    dept = await Department.get(id=account.department_id)
    refusal = await own_case(by, {report.submitted_by_id, account.admin_id, account.leader_id, dept.head_id},
                             texts.decision_review(report.ref, account.name))
    if refusal is not None:
        return JudgeResult(Judged.CONCERNED, refusal)
    to = ReviewStatus.PASSED if ok else ReviewStatus.FAILED
    if not await ReviewReport.transition(report.id, to, decided_by_id=by.id, decided_at=now):
        status = (await ReviewReport.get(id=report.id)).status.value
        return JudgeResult(Judged.ALREADY, texts.review_already(report.ref, status))
    local_now = now.astimezone(deps.settings.tz)
    await close_used_cards(
        deps.outbox, f"review-{report.id}", exact=True, key=f"review:{report.id}:decided", now=now,
        title=texts.closed_title(texts.review_subject(report.ref, account.name),
                                 texts.OUTCOME_PASSED if ok else texts.OUTCOME_FAILED),
        status=(texts.card_passed if ok else texts.card_failed)(by.name, local_now))
    await audit.record(by.code, f"review_{to.value}", account.name,
                       _detail({"report": report.ref, "year": report.year}, via), now=now)
    if ok:
        await _passed(report, account, by=by, now=now, deps=deps, via=via)
        return JudgeResult(Judged.PASSED, texts.passed_to_ic(report.ref, account.name))
    # 不合格: the account stops now; the reason (given, or asked next) completes stop_reason and the notice.
    stop_reason = texts.stop_reason_failed(report.year)
    if await Account.transition(account.id, AccountStatus.MUST_STOP, stopped_at=now, stop_reason=stop_reason):
        await audit.record(by.code, "account_stopped", account.name,
                           _detail({"report": report.ref, "reason": stop_reason}, via), now=now)
        await account.refresh_from_db()
        await void_drafts(deps.outbox, by.code, account.id, texts.account_stopped_why(
            account.name, account.status.value, stop_reason), now)
    if reason is None:
        return JudgeResult(Judged.FAILED, texts.ASK_FAIL_REASON, ask_reason=True)
    return JudgeResult(Judged.FAILED, await give_fail_reason(report.id, reason, now=now, deps=deps))


async def _passed(report: ReviewReport, account: Account, *, by: Person, now: datetime, deps: Deps,
                  via: Via) -> None:
    """合格: a must-stop account runs again (awaiting filing if never filed) and its three people
    are told; otherwise the administrator and the head hear it may continue (or that its status
    stays, when it was suspended meanwhile)."""
    if account.status == AccountStatus.MUST_STOP:
        back = AccountStatus.OPERATING if account.filed_at is not None else AccountStatus.UNFILED
        if await Account.transition(account.id, back, frm={AccountStatus.MUST_STOP}, stopped_at=None,
                                    stop_reason=""):
            await audit.record(by.code, "account_restored", account.name,
                               _detail({"report": report.ref, "status": back.value}, via), now=now)
            for person in await review_people(account, leader=True):
                await deps.outbox.send(person, Text(texts.review_restored(account.name, report.year)),
                                       key=f"review:{report.id}:restored:{person.id}", now=now)
            return
    if account.status in (AccountStatus.OPERATING, AccountStatus.UNFILED):
        text = texts.review_passed(account.name, report.year)
    else:
        text = texts.review_passed_not_running(account.name, report.year, account.status.value)
    for person in await review_people(account, leader=False):
        await deps.outbox.send(person, Text(text), key=f"review:{report.id}:passed:{person.id}", now=now)


async def give_fail_reason(report_id: int, said: str, *, now: datetime, deps: Deps) -> str:
    """The Information Center's reason for the 不合格 of report ``report_id`` (``said``: as typed
    or entered; 跳过, 无 … = none): stored on the report and in the stop reason of the stop that
    judgement made, and the administrator, the head and the 主管领导 told with it — once: if the
    review sweep told them already without it (the reason came late), the reason follows in a
    message of its own. Returns what the judge is told. Used by the card's question
    (``handlers.judgement``) and by ``judge`` when the reason comes with the judgement."""
    report = await ReviewReport.get(id=report_id)
    reason = given_reason(said, REASON_CHARS)
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
    if not await remind_many(REVIEW, [failure_notice(report.id, report.year)],
                             [(Send(p, text), f"review:{report.id}:failed:{p.id}") for p in people],
                             deps=deps, now=now) and reason:
        # The sweep told them already, without a reason (it came late): the reason follows.
        late = Text(texts.review_fail_reason_late(account.name, report.year, reason))
        for person in people:
            await deps.outbox.send(person, late, key=f"review:{report.id}:reason:{person.id}", now=now)
    return texts.FAIL_REASON_TOLD if reason else texts.FAIL_REASON_SKIPPED_TOLD
