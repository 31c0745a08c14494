"""The annual review (Art. 5), judging: the Information Center's [合格][不合格] on a report card,
the reason asked after 不合格, and who is told. Imports no channel.
"""

from __future__ import annotations

from typing import Any

from bot import audit, texts
from bot.cards import Text
from bot.events import TextMessage
from bot.router import Ctx, Deps, Router
from handlers.registry import is_ic_admin
from handlers.reviews import Judge, review_card
from models import Account, Department, Person, Prompt, ReviewReport, ReviewStatus

router = Router(name=__name__)


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
