"""A draft as cards and checks show it, for handlers and sweeps alike: ``DraftView`` (a draft with
its version, attachments, account, department and author, loaded in a fixed number of queries),
the typed payloads of its buttons, its card ids, and the builders of its preview, approval and
category cards with the Art. 9 writing hints and the screening notes (Art. 13) shown on them.

It lives below handlers and schedules because both build these cards: the officer's and the
head's taps (``handlers.drafts``, ``handlers.submission``, ``handlers.approvals``…) and the
approval reminders (``schedules.approvals`` sends the card again). Cards are domain cards
(``bot.cards.Card``); each channel renders them. Never imports ``bot.channels``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import texts
from bot.cards import Button, Card, Payload
from models import Account, Attachment, AttachmentKind, Department, Draft, DraftVersion, Person
from models.drafts import content_hash, excerpt_of, title_of


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
