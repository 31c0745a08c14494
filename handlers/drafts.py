"""Officers' side of the post flow (Art. 8, 9, 10): 投稿, attachments, category, submit, cancel,
撤回, 修改, 已发布, 我的.

Every state change here is a guarded transition (``Draft.transition``) and every message goes
through the outbox in the same transaction. Imports no channel.

A stopped account (Art. 5: must stop after no report or 不合格; also suspended or closed) takes
no new draft, no submission and no 已发布, and every refusal says why (the stop reason). Its
drafts waiting for the head are voided (``void_pending_drafts``): moved to 已撤回 — the only
state the draft model lets a pending draft leave for that is final and is not a decision (a
rejection would read as the head's verdict, and back to "composing" would let a stray attachment
join it) — their approval cards closed with the reason, and their authors told. Once the account
is restored the officer drafts anew (``查看 D12`` gives the text back). Approved drafts are left
as they are: their 已发布 is refused while the account is stopped, and allowed again after.

Art. 13, 14: a draft blocked by screening for classified content is told to the Information
Center and to the account's 主管领导, who answers for the account.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from docx import Document as DocxDocument
from tortoise.expressions import Q

from bot import audit, texts
from bot.cards import Text
from bot.deps import Deps
from bot.events import FileMessage, ImageMessage, LinkMessage, TextMessage, bounded_key
from bot.outbox import Outbox
from bot.router import Ctx, Router
from bot.screening import Level
from handlers.common import (
    CancelDraft,
    ChooseCategory,
    DraftView,
    SubmitDraft,
    approval_card,
    approval_card_id,
    category_card,
    category_card_id,
    close_card,
    close_used_cards,
    confirm_card_prefix,
    draft_from_args,
    load_view,
    load_views,
    parse_category,
    preview_card,
    preview_card_id,
    stamp,
)
from models import (
    Account,
    AccountStatus,
    Attachment,
    AttachmentKind,
    Category,
    Decision,
    Department,
    Draft,
    DraftStatus,
    DraftVersion,
    Outcome,
    Person,
    Prompt,
    Publication,
)
from models.org import info_center_admins

router = Router(name=__name__)

CATEGORY_PROMPT_TTL = timedelta(minutes=30)
DRAFT_TEXT_PROMPT_TTL = timedelta(minutes=30)
MINE_LIMIT = 10


# -- stopped accounts (Art. 5) -------------------------------------------------------------------
def stopped_text(account: Account, doing: str) -> str:
    """The refusal for ``doing`` on an account that is not operating, saying why."""
    return texts.account_stopped(account.name, account.status.value, account.stop_reason, doing)


def stopped_why(account: Account) -> str:
    """Why the account takes no drafts, as ``void_pending_drafts`` wants it."""
    return texts.account_stopped_why(account.name, account.status.value, account.stop_reason)


async def void_pending_drafts(ctx: Ctx[Any], account: Account, why: str) -> int:
    """Void every draft of ``account`` waiting for approval: each moves to 已撤回, its approval
    card is closed with ``why`` on it, and its author is told why. Returns how many."""
    return await void_drafts(ctx.outbox, ctx.person.code, account.id, why, ctx.now)


async def void_drafts(outbox: Outbox, actor: str, account_id: int, why: str, now: datetime) -> int:
    """``void_pending_drafts`` for a caller without an event (a sweep): ``actor`` goes into the
    audit log. Each draft moves with a conditional UPDATE, so a head's tap or a second caller at
    the same moment voids or decides it once."""
    drafts = await Draft.filter(account_id=account_id, status=DraftStatus.PENDING).order_by("id")
    views = await load_views(drafts)
    voided = 0
    for draft in drafts:
        if not await Draft.transition(draft.id, DraftStatus.WITHDRAWN, now, at_version=draft.version):
            continue  # decided or withdrawn meanwhile
        view = views[draft.id]
        title = texts.closed_title(texts.draft_subject(draft.ref), texts.OUTCOME_VOIDED)
        status = texts.draft_voided_status(why)
        await close_card(outbox, approval_card(view), title=title, status=status,
                         key=f"voided:ap:{draft.id}", now=now)
        await close_used_cards(outbox, confirm_card_prefix(draft.id, draft.version), title=title,
                               status=status, key=f"voided:apc:{draft.id}", now=now)
        await outbox.send(view.author, Text(texts.draft_voided_to_author(draft.ref, view.title, why)),
                          key=f"voided:author:{draft.id}", now=now)
        await audit.record(actor, "draft_voided", draft.ref,
                           {"version": draft.version, "account": view.account.name, "why": why},
                           now=now)
        voided += 1
    return voided


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
        await ctx.ask("draft_text",
                      {"account": account.id, "category": category.value if category else None},
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
        await _ask_category(ctx, draft, 1)
    else:
        await ctx.reply(preview_card(await load_view(draft)))


@router.on(TextMessage, prompt="draft_text")
async def on_draft_text(ctx: Ctx[TextMessage], deps: Deps) -> None:
    assert ctx.prompt is not None
    await Prompt.filter(id=ctx.prompt.id).delete()
    account = await Account.get_or_none(id=int(ctx.prompt.data["account"]))
    if account is None or account.status != AccountStatus.OPERATING:
        await ctx.reply(stopped_text(account, texts.DOING_DRAFT) if account else texts.EXPIRED_BUTTON)
        return
    code = ctx.prompt.data.get("category")
    await _create_draft(ctx, account, Category(code) if code else None, ctx.event.text.strip())


async def _ask_category(ctx: Ctx[Any], draft: Draft, version: int) -> None:
    await ctx.ask("category", {"draft": draft.id, "version": version}, category_card(draft, version),
                  ttl=CATEGORY_PROMPT_TTL)


async def _set_category(ctx: Ctx[Any], draft_id: int, version: int, category: Category) -> None:
    draft = await Draft.get_or_none(id=draft_id)
    if draft is None or draft.author_id != ctx.person.id:
        await ctx.reply(texts.NOT_YOUR_CARD)
        return
    if draft.status != DraftStatus.COMPOSING or draft.version != version:
        await ctx.reply(texts.EXPIRED_BUTTON)
        return
    await DraftVersion.filter(draft_id=draft.id, number=version).update(category=category)
    await Prompt.filter(person_id=ctx.person.id, kind="category").delete()
    await stamp(draft, ctx.now)
    await close_card(ctx.outbox, category_card(draft, version),
                     title=texts.closed_title(texts.draft_subject(draft.ref), texts.OUTCOME_CATEGORY),
                     status=texts.category_chosen(category.value),
                     key=bounded_key("cat", str(draft.id), str(version), ctx.event.key), now=ctx.now)
    await ctx.reply(preview_card(await load_view(draft)))


@router.action(ChooseCategory)
async def on_choose_category(ctx: Ctx[Any], deps: Deps) -> None:
    p: ChooseCategory = ctx.payload
    category = parse_category(p.category)
    if category is None:
        await ctx.reply(texts.BAD_CATEGORY)
        return
    await _set_category(ctx, p.draft, p.version, category)


@router.on(TextMessage, prompt="category")
async def on_category_answer(ctx: Ctx[TextMessage], deps: Deps) -> None:
    assert ctx.prompt is not None
    category = parse_category(ctx.event.text)
    if category is None:
        await ctx.reply(texts.BAD_CATEGORY)
        return
    await _set_category(ctx, int(ctx.prompt.data["draft"]), int(ctx.prompt.data["version"]),
                        category)


# -- attachments --------------------------------------------------------------------------------
async def _attach(ctx: Ctx[Any], deps: Deps, kind: AttachmentKind, *, name: str = "",
                  url: str = "", mime: str = "", data: bytes | None = None) -> None:
    since = ctx.now - timedelta(minutes=deps.settings.attach_window_minutes)
    draft = (
        await Draft.filter(author_id=ctx.person.id, status=DraftStatus.COMPOSING,
                           updated_at__gte=since)
        .order_by("-updated_at", "-id").first()
    )
    if draft is None:
        await ctx.reply(texts.NO_OPEN_DRAFT_FOR_ATTACHMENT)
        return
    version = await DraftVersion.get(draft_id=draft.id, number=draft.version)
    digest = hashlib.sha256(data if data is not None else url.encode()).hexdigest()
    att = await Attachment.create(
        version_id=version.id, kind=kind, name=name[:255], url=url[:2048], mime=mime[:128],
        data=data, sha256=digest, size=len(data) if data else 0, created_at=ctx.now,
    )
    await stamp(draft, ctx.now)
    view = await load_view(draft)
    what = texts.ATTACHMENT_KIND_NAMES[kind.value]
    await ctx.reply(texts.attached(draft.ref, f"{what} {name or url}".strip(),
                                   len(view.attachments)))
    if view.version.category is not None:
        # The preview shows the new attachment count, in place.
        await ctx.outbox.update_card(preview_card(view), key=f"att:{att.id}", now=ctx.now)


@router.on(ImageMessage)
async def on_image(ctx: Ctx[ImageMessage], deps: Deps) -> None:
    e = ctx.event
    await _attach(ctx, deps, AttachmentKind.IMAGE, name=e.name or texts.DEFAULT_IMAGE_NAME,
                  url=e.url, mime=e.mime, data=e.data)


@router.on(FileMessage)
async def on_file(ctx: Ctx[FileMessage], deps: Deps) -> None:
    e = ctx.event
    await _attach(ctx, deps, AttachmentKind.FILE, name=e.name, url=e.url, mime=e.mime,
                  data=e.data)


@router.on(LinkMessage)
async def on_link(ctx: Ctx[LinkMessage], deps: Deps) -> None:
    await _attach(ctx, deps, AttachmentKind.LINK, name=ctx.event.title, url=ctx.event.url)


# -- submit / cancel ----------------------------------------------------------------------------
async def _own_composing(ctx: Ctx[Any], draft_id: int, version: int) -> Draft | None:
    draft = await Draft.get_or_none(id=draft_id)
    if draft is None or draft.author_id != ctx.person.id:
        await ctx.reply(texts.NOT_YOUR_CARD)
        return None
    if draft.version != version:
        await ctx.reply(texts.stale_version(draft.ref, draft.version))
        return None
    if draft.status != DraftStatus.COMPOSING:
        await ctx.reply(texts.not_pending(draft.ref, draft.status.value)
                        if draft.status != DraftStatus.PENDING
                        else texts.submitted(draft.ref, texts.HEAD_PLACEHOLDER))
        return None
    return draft


@router.action(SubmitDraft)
async def on_submit(ctx: Ctx[Any], deps: Deps) -> None:
    p: SubmitDraft = ctx.payload
    draft = await _own_composing(ctx, p.draft, p.version)
    if draft is None:
        return
    view = await load_view(draft)
    if view.account.status != AccountStatus.OPERATING:
        await ctx.reply(stopped_text(view.account, texts.DOING_SUBMIT))
        return
    if view.version.category is None:
        await _ask_category(ctx, draft, draft.version)
        return
    head = await Person.get_or_none(id=view.department.head_id or 0, active=True)
    if head is None:
        await ctx.reply(texts.no_head(view.department.name))
        return
    if head.id == ctx.person.id:
        await ctx.reply(texts.head_cannot_self_approve(view.department.name))
        return
    digest = view.computed_hash()
    hits = deps.wordlists.screener().screen(screened_text(view))
    found = [{"word": h.word, "level": h.level.value, "context": h.context} for h in hits]
    if any(h.level == Level.BLOCK for h in hits):  # Art. 13: never reaches the approver
        words = sorted({h.word for h in hits if h.level == Level.BLOCK})
        if any(h.get("level") == "block" for h in view.version.screening or []):
            await ctx.reply(texts.draft_blocked(draft.ref, words))  # a stale tap: alerted once
            return
        await DraftVersion.filter(id=view.version.id).update(screening=found)
        await audit.record(ctx.person.code, "draft_blocked", draft.ref,
                           {"version": p.version, "words": words}, now=ctx.now)
        await ctx.reply(texts.draft_blocked(draft.ref, words))
        admins = await info_center_admins()
        await _close_blocked(ctx, view, found, [a.name for a in admins])
        for admin in admins:
            await ctx.outbox.send(admin, Text(texts.blocked_to_ic(
                draft.ref, view.account.name, ctx.person.name, words)),
                key=f"blocked:{draft.id}:{p.version}:{admin.id}", now=ctx.now)
        leader = await Person.get_or_none(id=view.account.leader_id or 0, active=True)
        if leader is not None and leader.id != ctx.person.id and leader.id not in {a.id for a in admins}:
            await ctx.outbox.send(leader, Text(texts.blocked_to_leader(
                draft.ref, view.account.name, ctx.person.name, words)),
                key=f"blocked:{draft.id}:{p.version}:leader:{leader.id}", now=ctx.now)
        return
    if not await Draft.transition(draft.id, DraftStatus.PENDING, ctx.now, at_version=p.version):
        await ctx.reply(texts.EXPIRED_BUTTON)
        return
    await DraftVersion.filter(id=view.version.id).update(content_hash=digest, screening=found)
    view.version.content_hash = digest
    view.version.screening = found
    await close_card(ctx.outbox, preview_card(view),
                     title=texts.closed_title(texts.draft_subject(draft.ref), texts.OUTCOME_SUBMITTED),
                     status=texts.card_submitted(ctx.local_now), key=f"submitted:{draft.id}:{p.version}",
                     now=ctx.now)
    await ctx.outbox.send(head, approval_card(view),
                          key=f"approval:{draft.id}:{p.version}:{head.id}", now=ctx.now)
    await audit.record(ctx.person.code, "draft_submitted", draft.ref,
                       {"version": p.version, "hash": digest, "account": view.account.name,
                        "category": view.version.category.value, "approver": head.code},
                       now=ctx.now)
    await ctx.reply(texts.submitted(draft.ref, head.name))


async def _close_blocked(ctx: Ctx[Any], view: DraftView, found: list[dict[str, str]],
                         admins: list[str]) -> None:
    """Art. 13: the blocked draft's preview says 已拦截, shows each blocked word in its sentence
    and how to ask the Information Center (an exception for a legitimate sentence), and loses
    its buttons: a second 提交审核 would only be blocked again."""
    notes = tuple(texts.blocked_note(h["word"], h["context"]) for h in found if h["level"] == "block")
    card = dataclasses.replace(preview_card(view),
                               highlights=(*notes, texts.blocked_help(view.ref, admins)))
    await close_card(ctx.outbox, card,
                     title=texts.closed_title(texts.draft_subject(view.ref), texts.OUTCOME_BLOCKED),
                     status=texts.card_blocked(ctx.local_now),
                     key=f"blocked:pv:{view.draft.id}:{view.version.number}", now=ctx.now)


def screened_text(view: DraftView) -> str:
    """Everything that will be published: the text, link titles, file names, and the text of
    .txt and .docx attachments."""
    parts = [view.version.text]
    for a in view.attachments:
        parts.append(a.name)
        if a.data and a.name.lower().endswith(".txt"):
            parts.append(a.data.decode("utf-8", errors="ignore"))
        elif a.data and a.name.lower().endswith(".docx"):
            try:
                doc = DocxDocument(io.BytesIO(a.data))
                parts += [p.text for p in doc.paragraphs]
                parts += [c.text for t in doc.tables for r in t.rows for c in r.cells]
            except Exception:  # not a readable .docx: screened by its name only
                parts.append("")
    return "\n".join(parts)


@router.action(CancelDraft)
async def on_cancel(ctx: Ctx[Any], deps: Deps) -> None:
    p: CancelDraft = ctx.payload
    draft = await _own_composing(ctx, p.draft, p.version)
    if draft is None:
        return
    if not await Draft.transition(draft.id, DraftStatus.CANCELLED, ctx.now, at_version=p.version):
        await ctx.reply(texts.EXPIRED_BUTTON)
        return
    view = await load_view(draft)
    await close_card(ctx.outbox, preview_card(view),
                     title=texts.closed_title(texts.draft_subject(draft.ref), texts.OUTCOME_CANCELLED),
                     status=texts.card_cancelled(ctx.local_now), key=f"cancelled:{draft.id}:{p.version}",
                     now=ctx.now)
    await Prompt.filter(person_id=ctx.person.id, kind="category").delete()
    await audit.record(ctx.person.code, "draft_cancelled", draft.ref, {"version": p.version},
                       now=ctx.now)
    await ctx.reply(texts.cancelled(draft.ref))


# -- 撤回 / 修改 ---------------------------------------------------------------------------------
@router.command(*texts.CMD_WITHDRAW)
async def on_withdraw(ctx: Ctx[TextMessage], deps: Deps) -> None:
    found = await draft_from_args(ctx, texts.CMD_WITHDRAW[0], author_only=True)
    if found is None:
        return
    draft, _ = found
    was_pending = draft.status == DraftStatus.PENDING
    if not await Draft.transition(draft.id, DraftStatus.WITHDRAWN, ctx.now,
                                  at_version=draft.version):
        fresh = await Draft.get(id=draft.id)
        await ctx.reply(texts.cannot_withdraw(draft.ref, fresh.status.value))
        return
    view = await load_view(draft)
    status = texts.card_withdrawn(ctx.local_now)
    title = texts.closed_title(texts.draft_subject(draft.ref), texts.OUTCOME_WITHDRAWN)
    await close_card(ctx.outbox, preview_card(view), title=title, status=status,
                     key=f"withdrawn:pv:{draft.id}", now=ctx.now)
    await close_used_cards(ctx.outbox, category_card_id(draft.id, draft.version), exact=True, title=title,
                           status=status, key=f"withdrawn:cat:{draft.id}", now=ctx.now)
    if was_pending:
        await close_card(ctx.outbox, approval_card(view), title=title, status=status,
                         key=f"withdrawn:ap:{draft.id}", now=ctx.now)
        await close_used_cards(ctx.outbox, confirm_card_prefix(draft.id, draft.version), title=title,
                               status=status, key=f"withdrawn:apc:{draft.id}", now=ctx.now)
    await audit.record(ctx.person.code, "draft_withdrawn", draft.ref,
                       {"version": draft.version}, now=ctx.now)
    await ctx.reply(texts.withdrawn(draft.ref))


@router.command(*texts.CMD_REVISE)
async def on_revise(ctx: Ctx[TextMessage], deps: Deps) -> None:
    found = await draft_from_args(ctx, texts.CMD_REVISE[0], author_only=True)
    if found is None:
        return
    draft, text = found
    if not text:
        await ctx.reply(texts.revise_needs_text(draft.ref))
        return
    old = await load_view(draft)
    new_number = draft.version + 1
    if not await Draft.transition(draft.id, DraftStatus.COMPOSING, ctx.now,
                                  at_version=draft.version, version=new_number):
        fresh = await Draft.get(id=draft.id)
        await ctx.reply(texts.cannot_revise(draft.ref, fresh.status.value))
        return
    version = await DraftVersion.create(draft_id=draft.id, number=new_number,
                                        category=old.version.category, text=text,
                                        created_at=ctx.now)
    # Attachments carry over; anything sent in the next minutes adds to the new version.
    await Attachment.bulk_create([
        Attachment(version_id=version.id, kind=a.kind, name=a.name, url=a.url, mime=a.mime,
                   data=a.data, sha256=a.sha256, size=a.size, created_at=a.created_at)
        for a in old.attachments
    ])
    superseded = texts.card_superseded(new_number)
    title = texts.closed_title(texts.draft_subject(draft.ref), texts.OUTCOME_SUPERSEDED)
    await close_card(ctx.outbox, preview_card(old), title=title, status=superseded,
                     key=f"revised:pv:{draft.id}:{new_number}", now=ctx.now)
    await close_used_cards(ctx.outbox, category_card_id(draft.id, new_number - 1), exact=True,
                           title=title, status=superseded, key=f"revised:cat:{draft.id}:{new_number}",
                           now=ctx.now)
    if draft.status in (DraftStatus.PENDING, DraftStatus.APPROVED):
        await close_card(ctx.outbox, approval_card(old), title=title, status=superseded,
                         key=f"revised:ap:{draft.id}:{new_number}", now=ctx.now)
        await close_used_cards(ctx.outbox, confirm_card_prefix(draft.id, new_number - 1), title=title,
                               status=superseded, key=f"revised:apc:{draft.id}:{new_number}", now=ctx.now)
        head = await Person.get_or_none(id=old.department.head_id or 0)
        if head is not None:
            await ctx.outbox.send(head, Text(texts.revised_to_head(draft.ref, new_number)),
                                  key=f"revised:head:{draft.id}:{new_number}", now=ctx.now)
    await audit.record(ctx.person.code, "draft_revised", draft.ref,
                       {"version": new_number, "previous_hash": old.version.content_hash},
                       now=ctx.now)
    draft.version = new_number
    await ctx.reply(texts.revised(draft.ref, new_number))
    if old.version.category is None:
        await _ask_category(ctx, draft, new_number)
    else:
        await ctx.reply(preview_card(await load_view(draft)))


# -- 已发布 --------------------------------------------------------------------------------------
def _valid_link(text: str) -> bool:
    parsed = urlparse(text)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc) and len(text) <= 2048


async def _approved_hash(view: DraftView) -> str | None:
    """The hash the head approved for the latest version, if the content still matches it."""
    decision = await Decision.get_or_none(draft_id=view.draft.id, version=view.version.number,
                                          outcome=Outcome.APPROVE)
    if decision is None:
        return None
    current = view.computed_hash()
    if decision.content_hash != current or view.version.content_hash != current:
        return None
    return current


@router.command(*texts.CMD_PUBLISHED)
async def on_published(ctx: Ctx[TextMessage], deps: Deps) -> None:
    found = await draft_from_args(ctx, texts.CMD_PUBLISHED[0])
    if found is None:
        return
    draft, link = found
    link = link.split()[0] if link.split() else ""
    if not link:
        await ctx.reply(texts.publish_usage(draft.ref))
        return
    if not _valid_link(link):
        await ctx.reply(texts.bad_link(link))
        return
    view = await load_view(draft)
    may_record = draft.author_id == ctx.person.id or (
        ctx.person.is_officer and ctx.person.department_id == view.department.id)
    if not may_record:
        await ctx.reply(texts.only_author(draft.ref))
        return
    if view.account.status != AccountStatus.OPERATING:  # Art. 5: a stopped account publishes nothing
        await ctx.reply(stopped_text(view.account, texts.DOING_PUBLISH))
        return
    if draft.status != DraftStatus.APPROVED:
        await ctx.reply(texts.cannot_publish(draft.ref, draft.status.value))
        return
    digest = await _approved_hash(view)
    if digest is None:
        await ctx.reply(texts.not_approved_version(draft.ref))
        return
    if not await Draft.transition(draft.id, DraftStatus.PUBLISHED, ctx.now,
                                  at_version=view.version.number):
        fresh = await Draft.get(id=draft.id)
        await ctx.reply(texts.cannot_publish(draft.ref, fresh.status.value))
        return
    await Publication.create(draft_id=draft.id, account_id=view.account.id,
                             version=view.version.number, content_hash=digest, url=link,
                             recorded_by_id=ctx.person.id, published_at=ctx.now)
    await Account.filter(Q(last_published_at__isnull=True) | Q(last_published_at__lt=ctx.now),
                         id=view.account.id).update(last_published_at=ctx.now)
    await audit.record(ctx.person.code, "draft_published", draft.ref,
                       {"version": view.version.number, "hash": digest, "url": link,
                        "account": view.account.name}, now=ctx.now)
    await ctx.reply(texts.published(draft.ref, view.account.name))
    await ctx.outbox.send(
        view.department,
        Text(texts.published_to_group(view.account.name, draft.ref, view.title, view.author.name,
                                      link)),
        key=f"published:group:{draft.id}", now=ctx.now,
    )


# -- 查看 ---------------------------------------------------------------------------------------
@router.command(*texts.CMD_VIEW)
async def on_view(ctx: Ctx[TextMessage], deps: Deps) -> None:
    """The whole text and the attachments of a draft's latest version: the card shows only an
    excerpt, and a head should read all of what they approve."""
    found = await draft_from_args(ctx, texts.CMD_VIEW[0])
    if found is None:
        return
    view = await load_view(found[0])
    same_department = ctx.person.department_id == view.department.id and (
        ctx.person.is_officer or view.department.head_id == ctx.person.id)
    allowed = (view.draft.author_id == ctx.person.id or same_department
               or ctx.person.id in {p.id for p in await info_center_admins()})
    if not allowed:
        await ctx.reply(texts.cannot_view(view.ref))
        return
    names = [f"{texts.ATTACHMENT_KIND_NAMES[a.kind.value]} {a.name or a.url} {a.url if a.name else ''}"
             .strip() for a in view.attachments]
    await ctx.reply(texts.draft_full_text(view.ref, view.version.number, view.draft.status.value,
                                          view.version.text, names))


# -- 我的 ---------------------------------------------------------------------------------------
@router.command(*texts.CMD_MINE)
async def on_mine(ctx: Ctx[TextMessage], deps: Deps) -> None:
    drafts = await Draft.filter(author_id=ctx.person.id).order_by("-id").limit(MINE_LIMIT)
    if not drafts:
        await ctx.reply(texts.MINE_EMPTY)
        return
    await ctx.reply(await _listing(texts.MINE_TITLE.format(n=len(drafts)), drafts))


async def _listing(header: str, drafts: list[Draft]) -> str:
    """One line per draft; two queries whatever the number of drafts."""
    accounts = {a.id: a.name for a in await Account.filter(
        id__in=list({d.account_id for d in drafts}))}
    versions = {(v.draft_id, v.number): v for v in await DraftVersion.filter(
        draft_id__in=[d.id for d in drafts])}
    lines = [header]
    for d in drafts:
        v = versions.get((d.id, d.version))
        title = v.title if v else ""
        lines.append(texts.draft_line(d.ref, title, accounts.get(d.account_id, ""),
                                      d.status.value, d.version))
    return "\n".join(lines)


async def pending_for_head(person: Person) -> list[Draft] | None:
    """Drafts waiting for ``person`` as department head; None if they head no department."""
    dept_ids = await Department.filter(head_id=person.id).values_list("id", flat=True)
    if not dept_ids:
        return None
    return await Draft.filter(status=DraftStatus.PENDING, account__status=AccountStatus.OPERATING,
                              account__department_id__in=list(dept_ids)).order_by("id")


@router.command(*texts.CMD_PENDING)
async def on_pending(ctx: Ctx[TextMessage], deps: Deps) -> None:
    drafts = await pending_for_head(ctx.person)
    if drafts is None:
        await ctx.reply(texts.NOT_A_HEAD)
        return
    if not drafts:
        await ctx.reply(texts.PENDING_EMPTY)
        return
    await ctx.reply(await _listing(texts.PENDING_TITLE.format(n=len(drafts)), drafts))
    # Re-send each pending card so the head can decide from here.
    for d in drafts:
        view = await load_view(d)
        await ctx.reply(approval_card(view))


__all__ = ["approval_card_id", "preview_card_id", "router", "void_pending_drafts"]
