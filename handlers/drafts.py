"""投稿 (Art. 8, 9): an officer composes a draft — its account, its text, its category (Art. 8:
1 动态服务, 2 形象文化, 3 领导批准, 4 工作需要, asked with four buttons when left out).

The rest of a draft's life has its own module: attachments (``handlers.attachments``), 提交审核
and 取消 with screening (``handlers.submission``), 撤回 and 修改 (``handlers.revisions``), 已发布
(``handlers.publication``), 查看/我的/待审 (``handlers.listings``); the head's decision is
``handlers.approvals``. Every state change is a guarded transition (``Draft.transition``) and
every message goes through the outbox in the same transaction. Imports no channel.

A stopped account (Art. 5: must stop after no report or 不合格; also suspended or closed) takes
no new draft, no submission and no 已发布, and every refusal says why (the stop reason,
``handlers.common.stopped_text``). Its drafts waiting for the head are voided
(``void_pending_drafts``, through ``bot.draft_voiding``: moved to 已撤回, approval cards closed
with the reason, authors told). Once the account is restored the officer drafts anew (``查看 D12``
gives the text back). Approved drafts are left as they are: their 已发布 is refused while the
account is stopped, and allowed again after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot import audit, texts
from bot.card_closing import close_card
from bot.deps import Deps
from bot.draft_cards import ChooseCategory, category_card, load_view, preview_card
from bot.draft_voiding import void_drafts
from bot.events import TextMessage, bounded_key
from bot.prompts import PromptData
from bot.router import ActionCtx, AnswerCtx, Ctx, Router
from handlers.common import parse_category, stamp, stopped_text
from models import (
    Account,
    AccountStatus,
    Category,
    Department,
    Draft,
    DraftStatus,
    DraftVersion,
    Person,
)

router = Router(name=__name__)

CATEGORY_PROMPT_TTL = timedelta(minutes=30)
DRAFT_TEXT_PROMPT_TTL = timedelta(minutes=30)


@dataclass(frozen=True)
class DraftText(PromptData, kind="draft_text"):
    """投稿 without a text: the next message is the text of a draft for ``account``."""

    account: int
    category: str | None = None  # a Category's value, if the command named one


@dataclass(frozen=True)
class CategoryChoice(PromptData, kind="category"):
    """Which category draft ``draft`` at ``version`` is in (a button or a typed word answers)."""

    draft: int
    version: int


async def void_pending_drafts(ctx: Ctx[Any], account: Account, why: str) -> int:
    """Art. 5: void every draft of ``account`` waiting for approval (``bot.draft_voiding``): each
    moves to 已撤回, its approval card is closed with ``why`` on it, and its author is told why.
    Returns how many."""
    return await void_drafts(ctx.outbox, ctx.person.code, account.id, why, ctx.now)


# -- 投稿 ---------------------------------------------------------------------------------------
async def _officer_accounts(person: Person) -> list[Account]:
    if person.department_id is None:
        return []
    return await Account.filter(department_id=person.department_id).order_by("id")


@router.command(*texts.CMD_DRAFT)
async def on_draft(ctx: Ctx[TextMessage], deps: Deps) -> None:
    first_line, _, rest = ctx.args.partition("\n")
    tokens = first_line.split(maxsplit=1)
    own = await _officer_accounts(ctx.person)
    example = own[0].name if own else texts.ACCOUNT_PLACEHOLDER
    if tokens and tokens[0][0] in "@＠":
        name = tokens[0][1:]
        tail = tokens[1] if len(tokens) > 1 else ""
        account = await Account.get_or_none(name=name)
    elif len([a for a in own if a.status == AccountStatus.OPERATING]) == 1 and ctx.args.strip():
        # One account in the department: "投稿 正文" needs no @.
        account = next(a for a in own if a.status == AccountStatus.OPERATING)
        name, tail = account.name, first_line
    elif len(own) == 1 and own[0].status != AccountStatus.OPERATING and ctx.args.strip():
        await ctx.reply(stopped_text(own[0], texts.DOING_DRAFT))  # its only account: say why
        return
    else:
        await ctx.reply(texts.DRAFT_USAGE.format(example=example))
        return
    if account is None:
        await ctx.reply(texts.unknown_account(name, [a.name for a in own]))
        return
    if account.status != AccountStatus.OPERATING:
        await ctx.reply(stopped_text(account, texts.DOING_DRAFT))
        return
    department = await Department.get(id=account.department_id)
    if not (ctx.person.is_officer and ctx.person.department_id == department.id):
        await ctx.reply(texts.not_officer_of(account.name, department.name))
        return
    cat_word, _, after_cat = tail.partition(" ")
    category = parse_category(cat_word) if cat_word else None
    first_text = after_cat if category else tail
    text = "\n".join(part for part in (first_text.strip(), rest.strip()) if part)
    if not text:
        # On a phone, Enter often sends: take the body from the next message.
        await ctx.ask(DraftText(account.id, category.value if category else None),
                      texts.ask_draft_text(account.name), ttl=DRAFT_TEXT_PROMPT_TTL)
        return
    await _create_draft(ctx, account, category, text)


async def _create_draft(ctx: Ctx[Any], account: Account, category: Category | None,
                        text: str) -> None:
    draft = await Draft.create(account_id=account.id, author_id=ctx.person.id,
                               created_at=ctx.now, updated_at=ctx.now)
    await DraftVersion.create(draft_id=draft.id, number=1, category=category, text=text,
                              created_at=ctx.now)
    await audit.record(ctx.person.code, "draft_created", draft.ref,
                       {"account": account.name, "category": category.value if category else None},
                       now=ctx.now)
    await ctx.reply(texts.draft_created(draft.ref))
    if category is None:
        await ask_category(ctx, draft, 1)
    else:
        await ctx.reply(preview_card(await load_view(draft)))


@router.on(TextMessage, prompt=DraftText)
async def on_draft_text(ctx: AnswerCtx[TextMessage, DraftText], deps: Deps) -> None:
    account = await Account.get_or_none(id=ctx.answering.account)
    if account is None or account.status != AccountStatus.OPERATING:
        await ctx.reply(stopped_text(account, texts.DOING_DRAFT) if account else texts.EXPIRED_BUTTON)
        return
    code = ctx.answering.category
    await _create_draft(ctx, account, Category(code) if code else None, ctx.event.text.strip())


async def ask_category(ctx: Ctx[Any], draft: Draft, version: int) -> None:
    await ctx.ask(CategoryChoice(draft.id, version), category_card(draft, version), ttl=CATEGORY_PROMPT_TTL)


async def _set_category(ctx: Ctx[Any], draft_id: int, version: int, category: Category) -> bool:
    """Set it (closing the question, from a button too); False if this draft takes none now."""
    draft = await Draft.get_or_none(id=draft_id)
    if draft is None or draft.author_id != ctx.person.id:
        await ctx.reply(texts.NOT_YOUR_CARD)
        return False
    if draft.status != DraftStatus.COMPOSING or draft.version != version:
        await ctx.reply(texts.EXPIRED_BUTTON)
        return False
    await DraftVersion.filter(draft_id=draft.id, number=version).update(category=category)
    await ctx.close_prompt(CategoryChoice)
    await stamp(draft, ctx.now)
    await close_card(ctx.outbox, category_card(draft, version),
                     title=texts.closed_title(texts.draft_subject(draft.ref), texts.OUTCOME_CATEGORY),
                     status=texts.category_chosen(category.value),
                     key=bounded_key("cat", str(draft.id), str(version), ctx.event.key), now=ctx.now)
    await ctx.reply(preview_card(await load_view(draft)))
    return True


@router.action(ChooseCategory)
async def on_choose_category(ctx: ActionCtx[ChooseCategory], deps: Deps) -> None:
    p = ctx.payload
    category = parse_category(p.category)
    if category is None:
        await ctx.reply(texts.BAD_CATEGORY)
        return
    await _set_category(ctx, p.draft, p.version, category)


@router.on(TextMessage, prompt=CategoryChoice)
async def on_category_answer(ctx: AnswerCtx[TextMessage, CategoryChoice], deps: Deps) -> None:
    """A typed category; the question stays open until one is set."""
    category = parse_category(ctx.event.text)
    if category is None:
        await ctx.reply(texts.BAD_CATEGORY)
        await ctx.keep_prompt()
        return
    if not await _set_category(ctx, ctx.answering.draft, ctx.answering.version, category):
        await ctx.keep_prompt()
