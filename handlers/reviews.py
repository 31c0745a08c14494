"""The annual review and closing (Art. 5): ``年审 @账号`` submits the report (text, or a text or
file sent next), the Information Center judges it [合格][不合格]; ``已注销 @账号`` with a link or
a screenshot closes an account that must stop. Imports no channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from bot import audit, texts
from bot.cards import Button, Card, Payload, Text
from bot.events import FileMessage, ImageMessage, TextMessage
from bot.router import Ctx, Deps, Router
from handlers.registry import is_ic_admin, own_account_from_args
from models import Account, AccountStatus, Department, Person, Prompt, ReviewReport, ReviewStatus
from models.org import info_center_admins
from schedules.review import review_window

router = Router(name=__name__)


@dataclass(frozen=True)
class Judge(Payload, prefix="rev"):
    report: int
    ok: int  # 1 合格, 0 不合格


def review_card(report: ReviewReport, account: Account, by: str) -> Card:
    body = report.text[:300] if report.text else f"（文件：{report.file_name}）"
    return Card(card_id=f"review-{report.id}", title=f"{texts.REVIEW_CARD_TITLE} {report.ref}",
                subtitle=f"「{account.name}」{report.year}年度",
                fields=((texts.FIELD_SUBMITTER, by),), body=body,
                buttons=(Button(texts.BUTTON_PASS, Judge(report.id, 1).pack(), "primary"),
                         Button(texts.BUTTON_FAIL, Judge(report.id, 0).pack(), "danger")))


async def _submit(ctx: Ctx[Any], deps: Deps, account: Account, *, text: str = "",
                  file_name: str = "", data: bytes | None = None) -> None:
    year, _ = review_window(ctx.local_now.date(), deps.settings)
    report = await ReviewReport.create(account_id=account.id, year=year, text=text[:20000],
                                       file_name=file_name[:255], file_data=data,
                                       submitted_by_id=ctx.person.id, submitted_at=ctx.now)
    await audit.record(ctx.person.code, "review_submitted", account.name,
                       {"report": report.ref, "year": year}, now=ctx.now)
    for admin in await info_center_admins():
        await ctx.outbox.send(admin, review_card(report, account, ctx.person.name),
                              key=f"review:{report.id}:{admin.id}", now=ctx.now)
    await ctx.reply(texts.review_submitted(report.ref, account.name))


@router.command(*texts.CMD_REVIEW)
async def on_review(ctx: Ctx[TextMessage], deps: Deps) -> None:
    found = await own_account_from_args(ctx, texts.REVIEW_USAGE)
    if found is None:
        return
    account, text = found
    _, open_now = review_window(ctx.local_now.date(), deps.settings)
    if not open_now:
        await ctx.reply(texts.review_not_open(account.name))
        return
    if text:
        await _submit(ctx, deps, account, text=text)
        return
    await ctx.ask("review_report", {"account": account.id}, texts.ASK_REVIEW_REPORT)


@router.on(TextMessage, prompt="review_report")
async def on_review_text(ctx: Ctx[TextMessage], deps: Deps) -> None:
    assert ctx.prompt is not None
    await Prompt.filter(id=ctx.prompt.id).delete()
    account = await Account.get(id=int(ctx.prompt.data["account"]))
    await _submit(ctx, deps, account, text=ctx.event.text.strip())


@router.on(FileMessage, prompt="review_report")
async def on_review_file(ctx: Ctx[FileMessage], deps: Deps) -> None:
    assert ctx.prompt is not None
    await Prompt.filter(id=ctx.prompt.id).delete()
    account = await Account.get(id=int(ctx.prompt.data["account"]))
    await _submit(ctx, deps, account, file_name=ctx.event.name, data=ctx.event.data)


@router.action(Judge)
async def on_judge(ctx: Ctx[Any], deps: Deps) -> None:
    p: Judge = ctx.payload
    report = await ReviewReport.get_or_none(id=p.report)
    if report is None:
        await ctx.reply(texts.EXPIRED_BUTTON)
        return
    if not await is_ic_admin(ctx.person):
        await ctx.reply(texts.ONLY_INFO_CENTER)
        return
    to = ReviewStatus.PASSED if p.ok else ReviewStatus.FAILED
    if not await ReviewReport.filter(id=report.id, status=ReviewStatus.SUBMITTED).update(
            status=to, decided_by_id=ctx.person.id, decided_at=ctx.now):
        fresh = await ReviewReport.get(id=report.id)
        await ctx.reply(texts.review_already(report.ref, fresh.status.value))
        return
    account = await Account.get(id=report.account_id)
    by = await Person.get(id=report.submitted_by_id)
    status = (texts.card_passed if p.ok else texts.card_failed)(ctx.person.name, ctx.local_now)
    await ctx.outbox.update_card(review_card(report, account, by.name).closed(status),
                                 key=f"review:{report.id}:decided", now=ctx.now)
    await audit.record(ctx.person.code, f"review_{to.value}", account.name,
                       {"report": report.ref, "year": report.year}, now=ctx.now)
    if p.ok:
        for person in await _owners(account):
            await ctx.outbox.send(person, Text(texts.review_passed(account.name, report.year)),
                                  key=f"review:{report.id}:passed:{person.id}", now=ctx.now)
        return
    await ctx.ask("review_reason", {"report": report.id}, texts.ASK_FAIL_REASON)


@router.on(TextMessage, prompt="review_reason")
async def on_fail_reason(ctx: Ctx[TextMessage], deps: Deps) -> None:
    assert ctx.prompt is not None
    await Prompt.filter(id=ctx.prompt.id).delete()
    report = await ReviewReport.get(id=int(ctx.prompt.data["report"]))
    said = ctx.event.text.strip()
    reason = "" if said.casefold() in texts.SKIP_WORDS else said[:2000]
    await ReviewReport.filter(id=report.id).update(reason=reason)
    account = await Account.get(id=report.account_id)
    for person in await _owners(account):
        await ctx.outbox.send(person, Text(texts.review_failed(account.name, report.year, reason)),
                              key=f"review:{report.id}:failed:{person.id}", now=ctx.now)
    await ctx.reply(texts.FAIL_REASON_SENT if reason else texts.REJECT_REASON_SKIPPED)


async def _owners(account: Account) -> list[Person]:
    dept = await Department.get(id=account.department_id)
    ids = [i for i in (account.admin_id, dept.head_id) if i]
    return await Person.filter(id__in=ids, active=True).order_by("id")


# -- 已注销 ---------------------------------------------------------------------------------------
async def _close(ctx: Ctx[Any], account: Account, evidence: str, image: bytes | None) -> None:
    if not await Account.filter(id=account.id, status=AccountStatus.MUST_STOP).update(
            status=AccountStatus.CLOSED, closed_at=ctx.now, closure_evidence=evidence[:2048],
            closure_image=image):
        fresh = await Account.get(id=account.id)
        await ctx.reply(texts.cannot_close(account.name, fresh.status.value))
        return
    await audit.record(ctx.person.code, "account_closed", account.name, {"evidence": evidence},
                       now=ctx.now)
    for admin in await info_center_admins():
        await ctx.outbox.send(admin, Text(texts.closed_to_ic(account.name, ctx.person.name, evidence)),
                              key=f"closed:{account.id}:{admin.id}", now=ctx.now)
    await ctx.reply(texts.closed(account.name))


@router.command(*texts.CMD_CLOSED)
async def on_closed(ctx: Ctx[TextMessage], deps: Deps) -> None:
    found = await own_account_from_args(ctx, texts.CLOSED_USAGE)
    if found is None:
        return
    account, rest = found
    if account.status != AccountStatus.MUST_STOP:
        await ctx.reply(texts.cannot_close(account.name, account.status.value))
        return
    link = rest.split()[0] if rest.split() else ""
    if link:
        parsed = urlparse(link)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            await ctx.reply(texts.bad_link(link))
            return
        await _close(ctx, account, link, None)
        return
    await ctx.ask("closure_evidence", {"account": account.id}, texts.ASK_CLOSURE_EVIDENCE)


@router.on(ImageMessage, prompt="closure_evidence")
async def on_closure_image(ctx: Ctx[ImageMessage], deps: Deps) -> None:
    assert ctx.prompt is not None
    await Prompt.filter(id=ctx.prompt.id).delete()
    account = await Account.get(id=int(ctx.prompt.data["account"]))
    await _close(ctx, account, texts.CLOSURE_SCREENSHOT, ctx.event.data)
