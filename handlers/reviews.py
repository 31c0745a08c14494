"""The annual review (Art. 5), handing in: ``年审 @账号`` submits the report (text, or a text or
file sent next) and puts a card before the Information Center. Judging it is ``handlers.judgement``;
closing an account is ``handlers.closing``. Imports no channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot import audit, texts
from bot.cards import Button, Card, Payload
from bot.events import FileMessage, TextMessage
from bot.router import Ctx, Deps, Router
from handlers.registry import own_account_from_args
from models import Account, Prompt, ReviewReport
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
