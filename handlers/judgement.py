"""The annual review (Art. 5), judging in chat: the Information Center's [合格][不合格] on a report
card, the reason asked after 不合格, and who is told. Imports no channel.

The judgement itself is ``bot.judging.judge`` (Art. 5, 6: the checks, the guarded transition,
the audit line, the card closed, the stop or the restoration, who is told), the one function the
console's review page calls too (issue 18: no second truth). This module is its chat side: the
card's button calls it and shows the result; a 不合格 without a reason opens the question
(``FailReason``), whose answer goes to ``bot.judging.give_fail_reason``. If no reason comes within
the hour (the question was replaced by the next card's, or forgotten), the review sweep tells them
without it (``schedules.review``), and a reason given later follows.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.deps import Deps
from bot.events import TextMessage
from bot.judging import give_fail_reason, judge
from bot.prompts import PromptData
from bot.router import ActionCtx, AnswerCtx, Router
from handlers.reviews import Judge

router = Router(name=__name__)


@router.action(Judge)
async def on_judge(ctx: ActionCtx[Judge], deps: Deps) -> None:
    """A tap on [合格][不合格]: judged by ``bot.judging.judge``; 不合格 asks the reason next."""
    result = await judge(ctx.payload.report, bool(ctx.payload.ok), by=ctx.person, now=ctx.now, deps=deps)
    if result.ask_reason:
        await ctx.ask(FailReason(ctx.payload.report), result.text)
    else:
        await ctx.reply(result.text)


@dataclass(frozen=True)
class FailReason(PromptData, kind="review_reason"):
    """Asked of the Information Center admin who judged ``report`` 不合格: why."""

    report: int


@router.on(TextMessage, prompt=FailReason)
async def on_fail_reason(ctx: AnswerCtx[TextMessage, FailReason], deps: Deps) -> None:
    await ctx.reply(await give_fail_reason(ctx.answering.report, ctx.event.text, now=ctx.now, deps=deps))
