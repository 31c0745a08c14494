"""What several handler modules share: typed payloads, draft lookups, and card builders.

Handlers speak in domain cards (``bot.cards.Card``); each channel renders them. Never import
``bot.channels`` here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from tortoise.models import Model

from bot import texts
from bot.cards import Button, Card, Payload
from bot.outbox import Outbox
from bot.router import Ctx
from models import (
    Account,
    AccountChange,
    AccountFiling,
    AccountStatus,
    Attachment,
    AttachmentKind,
    Category,
    Department,
    Draft,
    DraftVersion,
    OutboxMessage,
    Person,
    ReviewReport,
    ReviewStatus,
)
from models.drafts import content_hash, excerpt_of, title_of
from models.org import info_center_admins


# -- typed button payloads ---------------------------------------------------------------------
@dataclass(frozen=True)
class SubmitDraft(Payload, prefix="sub"):
    draft: int
    version: int


@dataclass(frozen=True)
class CancelDraft(Payload, prefix="can"):
    draft: int
    version: int


@dataclass(frozen=True)
class ChooseCategory(Payload, prefix="cat"):
    draft: int
    version: int
    category: str


@dataclass(frozen=True)
class Approve(Payload, prefix="ap"):
    draft: int
    version: int


@dataclass(frozen=True)
class ConfirmApprove(Payload, prefix="apc"):
    """The second tap 确认通过 that approving a draft with review-level hits needs."""

    draft: int
    version: int


@dataclass(frozen=True)
class Reject(Payload, prefix="rj"):
    draft: int
    version: int


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


# -- loading -----------------------------------------------------------------------------------
@dataclass
class DraftView:
    """A draft with everything a card or a check needs, loaded in a fixed number of queries."""

    draft: Draft
    version: DraftVersion
    attachments: list[Attachment]
    account: Account
    department: Department
    author: Person

    @property
    def ref(self) -> str:
        return self.draft.ref

    @property
    def title(self) -> str:
        return title_of(self.version.text) or texts.NO_TITLE

    def computed_hash(self) -> str:
        return content_hash(
            self.version.text,
            self.version.category,
            [(a.kind.value, a.name, a.url, a.sha256) for a in self.attachments],
        )


async def load_view(draft: Draft, version_number: int | None = None) -> DraftView:
    number = version_number or draft.version
    version = await DraftVersion.get(draft_id=draft.id, number=number)
    attachments = await Attachment.filter(version_id=version.id).order_by("id")
    account = await Account.get(id=draft.account_id)
    department = await Department.get(id=account.department_id)
    author = await Person.get(id=draft.author_id)
    return DraftView(draft, version, attachments, account, department, author)


async def load_views(drafts: list[Draft]) -> dict[int, DraftView]:
    """``load_view`` for many drafts at their latest version, in five queries whatever their number."""
    if not drafts:
        return {}
    ids = [d.id for d in drafts]
    versions = {(v.draft_id, v.number): v for v in await DraftVersion.filter(draft_id__in=ids)}
    latest = {d.id: versions[(d.id, d.version)] for d in drafts}
    attachments: dict[int, list[Attachment]] = {}
    for a in await Attachment.filter(version_id__in=[v.id for v in latest.values()]).order_by("id"):
        attachments.setdefault(a.version_id, []).append(a)
    accounts = {a.id: a for a in await Account.filter(id__in=list({d.account_id for d in drafts}))}
    departments = {x.id: x for x in await Department.filter(
        id__in=list({a.department_id for a in accounts.values()}))}
    authors = {p.id: p for p in await Person.filter(id__in=list({d.author_id for d in drafts}))}
    return {
        d.id: DraftView(d, latest[d.id], attachments.get(latest[d.id].id, []),
                        accounts[d.account_id], departments[accounts[d.account_id].department_id],
                        authors[d.author_id])
        for d in drafts
    }


# -- cards -------------------------------------------------------------------------------------
def preview_card_id(draft_id: int, version: int) -> str:
    return f"pv-{draft_id}-{version}"


def approval_card_id(draft_id: int, version: int) -> str:
    return f"ap-{draft_id}-{version}"


def confirm_card_prefix(draft_id: int, version: int) -> str:
    """The 确认通过 cards of one version (one per 通过 tap that needed confirming)."""
    return f"apc-{draft_id}-{version}-"


def category_card_id(draft_id: int, version: int) -> str:
    return f"cat-{draft_id}-{version}"


def _summary(view: DraftView) -> str:
    kinds = [a.kind for a in view.attachments]
    return texts.attachments_summary(
        kinds.count(AttachmentKind.IMAGE), kinds.count(AttachmentKind.FILE),
        kinds.count(AttachmentKind.LINK),
    )


def _fields(view: DraftView) -> tuple[tuple[str, str], ...]:
    account = f"{view.account.name}（{texts.PLATFORM_NAMES.get(view.account.platform.value, '')}）"
    rows = [
        (texts.FIELD_ACCOUNT, account),
        (texts.FIELD_CATEGORY, texts.category_label(
            view.version.category.value if view.version.category else None)),
        (texts.FIELD_AUTHOR, view.author.name),
        (texts.FIELD_ATTACHMENTS, _summary(view)),
    ]
    if view.version.number > 1:
        rows.append((texts.FIELD_VERSION, texts.version_label(view.version.number)))
    return tuple(rows)


LONG_PARAGRAPH = 400


def writing_hints(view: DraftView) -> tuple[str, ...]:
    """Art. 9 (准确、简洁、图文并茂): hints on the preview, never a block."""
    hints = []
    if not any(a.kind == AttachmentKind.IMAGE for a in view.attachments):
        hints.append(texts.HINT_NO_IMAGE)
    lines = [ln.strip() for ln in view.version.text.splitlines() if ln.strip()]
    if len(lines) < 2:
        hints.append(texts.HINT_NO_TITLE)
    if any(len(ln) > LONG_PARAGRAPH for ln in lines[1:]):
        hints.append(texts.HINT_LONG_PARAGRAPH)
    return tuple(hints)


def screening_notes(view: DraftView) -> tuple[str, ...]:
    """What screening found (review and hint levels), with context, for the approver."""
    return tuple(texts.screening_note(h["level"], h["word"], h["context"])
                 for h in view.version.screening if h["level"] != "block")


def needs_confirmation(view: DraftView) -> bool:
    return any(h["level"] == "review" for h in view.version.screening)


def preview_card(view: DraftView) -> Card:
    d, v = view.draft.id, view.version.number
    return Card(
        card_id=preview_card_id(d, v),
        title=f"{texts.PREVIEW_TITLE} {view.ref}",
        subtitle=view.title,
        fields=_fields(view),
        body=view.version.text,
        highlights=writing_hints(view),
        buttons=(
            Button(texts.BUTTON_SUBMIT, SubmitDraft(d, v).pack(), "primary"),
            Button(texts.BUTTON_CANCEL, CancelDraft(d, v).pack(), "default"),
        ),
    )


def approval_card(view: DraftView) -> Card:
    d, v = view.draft.id, view.version.number
    return Card(
        card_id=approval_card_id(d, v),
        title=f"{texts.APPROVAL_TITLE} {view.ref}",
        subtitle=view.title,
        fields=_fields(view),
        body=excerpt_of(view.version.text, 200),
        highlights=(*screening_notes(view), texts.view_hint(view.ref)),
        buttons=(
            Button(texts.BUTTON_APPROVE, Approve(d, v).pack(), "primary"),
            Button(texts.BUTTON_REJECT, Reject(d, v).pack(), "danger"),
        ),
    )


def category_card(draft: Draft, version: int) -> Card:
    return Card(
        card_id=category_card_id(draft.id, version),
        title=texts.category_card_title(draft.ref),
        body=texts.ASK_CATEGORY,
        fields=tuple((code, texts.CATEGORY_DESCRIPTIONS[code]) for code in texts.CATEGORY_NAMES),
        buttons=tuple(
            Button(f"{code} {name}", ChooseCategory(draft.id, version, code).pack(), "default")
            for code, name in texts.CATEGORY_NAMES.items()
        ),
    )


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
    if ctx.person.id not in {a.id for a in await info_center_admins()}:
        await ctx.reply(refusal)
        return None
    return item


async def close_card(outbox: Outbox, card: Card, *, title: str, status: str, key: str,
                     now: datetime) -> None:
    """The one way a card is closed (decided, voided, used once): every recipient's copy keeps
    its subtitle, fields, body and notes, its title becomes ``title`` (the outcome: made by
    ``texts.closed_title``), ``status`` says who and when, and its buttons go. ``card`` is the
    card as it was sent (rebuilt by its builder), never an empty stand-in: an update replaces
    the whole card on every platform, so whatever is missing here disappears from every copy."""
    await outbox.update_card(card.closed(status, title=title), key=key, now=now)


async def close_used_cards(outbox: Outbox, prefix: str, *, title: str, status: str, key: str,
                           now: datetime, exact: bool = False) -> int:
    """Close every still-open card whose id starts with ``prefix`` (or is it, ``exact``), as it
    was sent: for one-shot cards (a 确认通过 card, an inquiry's deadline choice: their ids carry
    the tap that made them, so there may be several, and a platform's tap does not bring our
    card id back) and cards whose content was a snapshot (a closure card's count of open
    questions). Through ``close_card``; a card closed before is left alone. Returns how many."""
    match = {"card_id": prefix} if exact else {"card_id__startswith": prefix}
    sent = await OutboxMessage.filter(kind="card", **match).order_by("id")
    done: set[str] = {str(c) for c in await OutboxMessage.filter(kind="card_update", **match)
                      .values_list("card_id", flat=True)}
    closed = 0
    for row in sent:
        if row.card_id is None or row.card_id in done:
            continue
        done.add(row.card_id)
        await close_card(outbox, Card.from_json(row.body), title=title, status=status,
                         key=f"{key}:{row.card_id}"[:255], now=now)
        closed += 1
    return closed


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
