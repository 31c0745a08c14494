"""已发布 D12 链接: recording that an approved draft was published (Art. 10: 先审后发).

It is accepted only from the author or an officer of the account's department, for an operating
account (Art. 5), if the latest version was approved and its content still matches the hash the
head approved; the draft moves to published (a guarded transition), the account's last
publication (Art. 11's posting cadence counts from it) moves forward, and the department's group
chat is told (``bot.publications``, shared with publishing through the bot and the watch).
Imports no channel.
"""

from __future__ import annotations

from bot import texts
from bot.deps import Deps
from bot.draft_cards import load_view
from bot.events import TextMessage
from bot.links import valid_link
from bot.publications import approved_hash, record
from bot.router import Ctx, Router
from handlers.common import draft_from_args, stopped_text
from models import AccountStatus, Draft, DraftStatus

router = Router(name=__name__)


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
    if not valid_link(link):
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
    digest = await approved_hash(view)
    if digest is None:
        await ctx.reply(texts.not_approved_version(draft.ref))
        return
    if not await record(view, digest, link, recorded_by_id=ctx.person.id, actor=ctx.person.code,
                        at=ctx.now, now=ctx.now, outbox=ctx.outbox):
        fresh = await Draft.get(id=draft.id)
        await ctx.reply(texts.cannot_publish(draft.ref, fresh.status.value))
        return
    await ctx.reply(texts.published(draft.ref, view.account.name))
