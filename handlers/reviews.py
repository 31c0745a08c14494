"""The annual review (Art. 5), handing in: ``年审 @账号`` submits the report (text, or a text or
file sent next) and puts a card before the Information Center; ``年审记录 @账号`` shows every
report the account ever handed in. Judging it is ``handlers.judgement``; closing an account is
``handlers.closing``. Imports no channel.

The report starts from what the bot knows (``bot.figures``): ``年审 @账号`` alone shows the owner
the year's figures (posts per month, cadence kept, late and zombie episodes, inquiries, screening
blocks, changes filed) and asks for the text or file to go with them. On submission the figures
are computed again and frozen on the report (``ReviewReport.figures``): the card the Information
Center judges, the history and the review export show the figures the report was handed in with.

Who may hand in a report, and when (Art. 5: 每年11月份必须提交年审报告…未提交年审报告或审查不合格的，
该平台不得继续运行):
- in the review window (November), an account open on its platform that has no report waiting and
  no 合格 for the year;
- after a 不合格 (the account must stop, and its latest report failed), at any time, even in
  December: the administrator may answer the Information Center's reasons with a new report for
  the same year, which the Information Center judges like any other (a 合格 restores the account);
- never for an account stopped because no report came in by the deadline: it may not run on and
  must be closed (注销), so a late report is refused, saying why;
- never while a report of the account still waits for judgement: the refusal names that report.
Each submission is a new row: the history keeps every report, not only the latest.

Art. 6 (谁审批、谁监管): the card goes to the Information Center admins other than the people the
account concerns (the submitter, its administrator and 主管领导, the department head).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot import audit, texts
from bot.campaign import review_window
from bot.cards import Button, Card, Payload, Text
from bot.deps import Deps
from bot.events import FileMessage, TextMessage
from bot.figures import card_fields, figures_summary, render_figures, year_figures
from bot.prompts import PromptData
from bot.router import AnswerCtx, Ctx, Router
from handlers.common import account_from_args, may_act_for, own_account_from_args
from models import Account, AccountStatus, Department, Person, ReviewReport, ReviewStatus
from models.org import info_center_admins

router = Router(name=__name__)

# Reports are read without their file: a year of files does not belong in memory.
_COLUMNS = ("id", "account_id", "year", "file_name", "submitted_by_id", "submitted_at", "status",
            "decided_by_id", "decided_at", "reason", "figures")
_NOT_OPEN = (AccountStatus.APPLIED, AccountStatus.APPROVED, AccountStatus.CLOSED)


@dataclass(frozen=True)
class Judge(Payload, prefix="rev"):
    report: int
    ok: int  # 1 合格, 0 不合格


def review_card(report: ReviewReport, account: Account, by: str) -> Card:
    """The Information Center's card: the bot's figures as fields, the report (or its file) below."""
    body = report.text[:300] if report.text else texts.review_card_file(report.file_name)
    return Card(card_id=f"review-{report.id}", title=f"{texts.REVIEW_CARD_TITLE} {report.ref}",
                subtitle=texts.review_card_subtitle(account.name, report.year),
                fields=((texts.FIELD_SUBMITTER, by), *card_fields(report.figures)), body=body,
                buttons=(Button(texts.BUTTON_PASS, Judge(report.id, 1).pack(), "primary"),
                         Button(texts.BUTTON_FAIL, Judge(report.id, 0).pack(), "danger")))


def _stopped_by_failure(account: Account, latest: ReviewReport | None, year: int) -> bool:
    """A must-stop account whose stop is a 不合格 (not a missing report): its latest report
    failed, and the stop came with the Information Center's reason, or at or after that judgement,
    or the failure is of the review year under way (no report missing for it)."""
    if latest is None or latest.status != ReviewStatus.FAILED:
        return False
    if account.stop_reason or latest.year == year:
        return True
    return (account.stopped_at is not None and latest.decided_at is not None
            and latest.decided_at >= account.stopped_at - timedelta(minutes=1))


async def admissible_year(ctx: Ctx[Any], deps: Deps, account: Account) -> int | None:
    """The review year a report of ``account`` is taken for now; None after telling why not."""
    if account.status in _NOT_OPEN:
        await ctx.reply(texts.review_not_reviewable(account.name, account.status.value))
        return None
    waiting = await ReviewReport.filter(account_id=account.id, status=ReviewStatus.SUBMITTED).order_by(
        "id").only("id", "submitted_at").first()
    if waiting is not None:
        await ctx.reply(texts.review_waiting(account.name, waiting.ref, ctx.local(waiting.submitted_at)))
        return None
    latest = await ReviewReport.filter(account_id=account.id).order_by("-id").only(
        "id", "year", "status", "decided_at").first()
    year, open_now = review_window(ctx.local_now.date(), deps.settings)
    if account.status == AccountStatus.MUST_STOP:
        if latest is not None and _stopped_by_failure(account, latest, year):
            return int(latest.year)  # Art. 5: a new report after 不合格, at any time
        await ctx.reply(texts.review_no_report_stopped(account.name))
        return None
    if not open_now:
        await ctx.reply(texts.review_not_open(account.name))
        return None
    if latest is not None and latest.year == year and latest.status == ReviewStatus.PASSED:
        await ctx.reply(texts.review_already_passed(account.name, year, latest.ref))
        return None
    return year


async def _submit(ctx: Ctx[Any], deps: Deps, account: Account, year: int, *, text: str = "",
                  file_name: str = "", data: bytes | None = None, show_figures: bool = False) -> None:
    figures = await year_figures(account, year, ctx.now, deps.calendar)
    report = await ReviewReport.create(account_id=account.id, year=year, text=text[:20000],
                                       file_name=file_name[:255], file_data=data,
                                       submitted_by_id=ctx.person.id, submitted_at=ctx.now,
                                       figures=figures)
    await audit.record(ctx.person.code, "review_submitted", account.name,
                       {"report": report.ref, "year": year}, now=ctx.now)
    dept = await Department.get(id=account.department_id)
    concerned = {i for i in (ctx.person.id, account.admin_id, account.leader_id, dept.head_id) if i}
    judges = await info_center_admins(exclude=concerned)  # Art. 6
    card = review_card(report, account, ctx.person.name)
    for admin in judges:
        await ctx.outbox.send(admin, card, key=f"review:{report.id}:{admin.id}", now=ctx.now)
    if show_figures:
        await ctx.reply(texts.review_figures_attached(account.name, render_figures(figures)))
    if not judges:
        await ctx.reply(texts.review_no_judge(account.name))
    await ctx.reply(texts.review_submitted(report.ref, account.name))


@router.command(*texts.CMD_REVIEW)
async def on_review(ctx: Ctx[TextMessage], deps: Deps) -> None:
    found = await own_account_from_args(ctx, texts.REVIEW_USAGE)
    if found is None:
        return
    account, text = found
    year = await admissible_year(ctx, deps, account)
    if year is None:
        return
    if text:
        await _submit(ctx, deps, account, year, text=text, show_figures=True)
        return
    figures = await year_figures(account, year, ctx.now, deps.calendar)
    await ctx.reply(Text(render_figures(figures)))
    await ctx.ask(ReportText(account.id), texts.ASK_REVIEW_REPORT)


@dataclass(frozen=True)
class ReportText(PromptData, kind="review_report"):
    """评议 without a report: the next text or file is ``account``'s report."""

    account: int


async def _prompted(ctx: AnswerCtx[Any, ReportText], deps: Deps) -> tuple[Account, int] | None:
    """The account a report sent next is for, checked again (a report may have come in since)."""
    account = await Account.get(id=ctx.answering.account)
    year = await admissible_year(ctx, deps, account)
    return None if year is None else (account, year)


@router.on(TextMessage, prompt=ReportText)
async def on_review_text(ctx: AnswerCtx[TextMessage, ReportText], deps: Deps) -> None:
    found = await _prompted(ctx, deps)
    if found is not None:
        await _submit(ctx, deps, found[0], found[1], text=ctx.event.text.strip())


@router.on(FileMessage, prompt=ReportText)
async def on_review_file(ctx: AnswerCtx[FileMessage, ReportText], deps: Deps) -> None:
    found = await _prompted(ctx, deps)
    if found is not None:
        await _submit(ctx, deps, found[0], found[1], file_name=ctx.event.name, data=ctx.event.data)


@router.command(*texts.CMD_REVIEW_HISTORY)
async def on_review_history(ctx: Ctx[TextMessage], deps: Deps) -> None:
    """Every report of the account, oldest first: date, who handed it in, the verdict, who judged,
    the reason, and the figures it was handed in with. For the people responsible for the account
    and the Information Center."""
    found = await account_from_args(ctx, texts.REVIEW_HISTORY_USAGE)
    if found is None:
        return
    account, _ = found
    if not await may_act_for(ctx.person, account):
        await ctx.reply(texts.not_responsible_for(account.name))
        return
    reports = await ReviewReport.filter(account_id=account.id).order_by("id").only(*_COLUMNS)
    ids = {i for r in reports for i in (r.submitted_by_id, r.decided_by_id) if i}
    names = {p.id: p.name for p in await Person.filter(id__in=list(ids))} if ids else {}
    lines = [texts.review_history_line(
        r.ref, r.year, ctx.local(r.submitted_at), names.get(r.submitted_by_id, ""), r.status.value,
        names.get(r.decided_by_id or 0, ""), ctx.local(r.decided_at) if r.decided_at else None,
        r.reason, r.file_name, figures_summary(r.figures)) for r in reports]
    await ctx.reply(texts.review_history(account.name, lines))
