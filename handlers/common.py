"""What several handler modules share: parsing a draft reference or a category, the Information
Center card's subject check, refusals for a stopped or closed account, and voiding a closed
account's open cards.

Handler-only: what sweeps need as well (draft views and card builders, closing a card) lives
below, in ``bot.draft_cards`` and ``bot.card_closing``. Never import ``bot.channels`` here.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, TypeVar

from tortoise.models import Model

from bot import texts
from bot.card_closing import close_used_cards
from bot.outbox import Outbox
from bot.router import Ctx
from models import (
    Account,
    AccountChange,
    AccountFiling,
    AccountStatus,
    Category,
    Department,
    Draft,
    Person,
    ReviewReport,
    ReviewStatus,
)
from models.org import is_info_center_admin

# -- parsing -----------------------------------------------------------------------------------
_CATEGORY_WORDS: dict[str, Category] = {}
for _code, _name in texts.CATEGORY_NAMES.items():
    for _word in texts.category_words(_code, _name):
        _CATEGORY_WORDS[_word] = Category(_code)


def parse_category(word: str) -> Category | None:
    return _CATEGORY_WORDS.get(word.strip())


_DRAFT_REF = re.compile(r"^[Dd]?(\d{1,9})$")


def parse_draft_ref(word: str) -> int | None:
    match = _DRAFT_REF.match(word.strip())
    return int(match.group(1)) if match else None


async def draft_from_args(
    ctx: Ctx[Any], command: str, *, author_only: bool = False
) -> tuple[Draft, str] | None:
    """Read ``D12 rest…`` from the command's arguments; reply and return None when it's wrong
    (no such draft, or — with ``author_only`` — someone else's)."""
    first, _, rest = ctx.args.strip().partition(" ")
    first, _, more = first.partition("\n")
    rest = (more + "\n" + rest).strip() if more else rest.strip()
    if not first:
        await ctx.reply(texts.needs_draft_ref(command))
        return None
    draft_id = parse_draft_ref(first)
    draft = await Draft.get_or_none(id=draft_id) if draft_id else None
    if draft is None:
        await ctx.reply(texts.unknown_draft(first))
        return None
    if author_only and draft.author_id != ctx.person.id:
        await ctx.reply(texts.only_author(draft.ref))
        return None
    return draft, rest


# -- Information Center cards and stopped accounts ---------------------------------------------
M = TypeVar("M", bound=Model)


async def ic_card_subject(ctx: Ctx[Any], model: type[M], item_id: int,
                          refusal: str = texts.ONLY_INFO_CENTER) -> M | None:
    """What an Information Center card's button acts on (an application, a filing, a change, a
    report, an account), or None after telling the person why not: it is gone (an expired
    button), or they are not an Information Center admin (``refusal``). Art. 2, 6: only the
    Information Center decides these; whether the decision concerns them is asked after."""
    item = await model.get_or_none(id=item_id)
    if item is None:
        await ctx.reply(texts.EXPIRED_BUTTON)
        return None
    if not await is_info_center_admin(ctx.person):
        await ctx.reply(refusal)
        return None
    return item


async def void_closed_account_cards(outbox: Outbox, account: Account, *, status: str,
                                    now: datetime) -> int:
    """Art. 5: once an account is closed (注销 confirmed) nothing about it is still decided. Its
    open filings (备案登记), leader/administrator changes (变更备案) and annual-review reports
    waiting for a judgement are voided: their cards close as 已作废 with ``status`` (who closed the
    account, when), and a tap that arrives later is refused (``refuse_if_closed``). A stopped
    account (must-stop, suspended) keeps them: it still exists, its registry stays to be kept,
    and a new report may restore it. Three queries, then one update per open card."""
    closed = 0
    for filing in await AccountFiling.filter(account_id=account.id, acknowledged_at__isnull=True):
        closed += await close_used_cards(
            outbox, f"filing-{filing.id}", exact=True, status=status, now=now,
            title=texts.closed_title(texts.filing_subject(filing.ref, account.name),
                                     texts.OUTCOME_VOIDED),
            key=f"closed:{account.id}:filing:{filing.id}")
    for change in await AccountChange.filter(account_id=account.id, filed_at__isnull=True):
        closed += await close_used_cards(
            outbox, f"change-{change.id}", exact=True, status=status, now=now,
            title=texts.closed_title(texts.change_subject(account.name), texts.OUTCOME_VOIDED),
            key=f"closed:{account.id}:change:{change.id}")
    for report in await ReviewReport.filter(account_id=account.id, status=ReviewStatus.SUBMITTED):
        closed += await close_used_cards(
            outbox, f"review-{report.id}", exact=True, status=status, now=now,
            title=texts.closed_title(texts.review_subject(report.ref, account.name),
                                     texts.OUTCOME_VOIDED),
            key=f"closed:{account.id}:review:{report.id}")
    return closed


async def refuse_if_closed(ctx: Ctx[Any], account: Account, what: str) -> bool:
    """A tap on an Information Center card of a closed account: refused, saying so (its card was
    voided when the closure was confirmed, but a copy may be tapped before the update lands)."""
    if account.status != AccountStatus.CLOSED:
        return False
    await ctx.reply(texts.account_closed_nothing_to_do(account.name, what))
    return True


async def stamp(draft: Draft, now: datetime) -> None:
    """Record activity on a draft (the attach window counts from here)."""
    await Draft.filter(id=draft.id).update(updated_at=now)


def stopped_text(account: Account, doing: str) -> str:
    """Art. 5: the refusal for ``doing`` on an account that is not operating, saying why."""
    return texts.account_stopped(account.name, account.status.value, account.stop_reason, doing)


# -- who may act for an account -------------------------------------------------------------------
async def may_act_for(person: Person, account: Account) -> bool:
    """The account's leader or administrator, its department's head or officers, or the IC."""
    if person.id in (account.leader_id, account.admin_id):
        return True
    dept = await Department.get(id=account.department_id)
    if person.department_id == dept.id and (person.is_officer or dept.head_id == person.id):
        return True
    return await is_info_center_admin(person)


async def account_from_args(ctx: Ctx[Any], usage: str) -> tuple[Account, str] | None:
    """``@账号 rest…`` → the account; reply and None when it is missing or unknown."""
    first, _, rest = ctx.args.strip().partition(" ")
    name = first.lstrip("@＠").strip()
    if not name:
        await ctx.reply(usage)
        return None
    account = await Account.get_or_none(name=name)
    if account is None:
        await ctx.reply(texts.unknown_account(name, []))
        return None
    return account, rest.strip()


async def own_account_from_args(ctx: Ctx[Any], usage: str) -> tuple[Account, str] | None:
    """``account_from_args`` for an action only the people responsible may take."""
    found = await account_from_args(ctx, usage)
    if found is not None and not await may_act_for(ctx.person, found[0]):
        await ctx.reply(texts.not_responsible_for(found[0].name))
        return None
    return found
