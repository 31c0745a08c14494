"""撤回 and 修改 of a draft by its author (Art. 10: what is published is what the head approved).

撤回 takes back a draft being composed or waiting for the head (its preview, category and
approval cards close as 已撤回). 修改 makes a new version (attachments carry over): the old
version's cards close as superseded, a head who was asked or had approved is told, and the new
version needs its own submission and approval. Both are guarded transitions, so a head's tap at
the same moment and the author's change happen in one order. Imports no channel.
"""

from __future__ import annotations

from bot import audit, texts
from bot.card_closing import close_card, close_used_cards
from bot.cards import Text
from bot.deps import Deps
from bot.draft_cards import approval_card, category_card_id, confirm_card_prefix, load_view, preview_card
from bot.events import TextMessage
from bot.router import Ctx, Router
from handlers.common import draft_from_args
from handlers.drafts import ask_category
from models import Attachment, Draft, DraftStatus, DraftVersion, Person

router = Router(name=__name__)


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
                   data=a.data, sha256=a.sha256, size=a.size, text=a.text, created_at=a.created_at)
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
        await ask_category(ctx, draft, new_number)
    else:
        await ctx.reply(preview_card(await load_view(draft)))
