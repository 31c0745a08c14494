"""已发布 D12 链接: recording that an approved draft was published (Art. 10: 先审后发).

It is accepted only from the author or an officer of the account's department, for an operating
account (Art. 5), if the latest version was approved and its content still matches the hash the
head approved; the draft moves to published (a guarded transition), the account's last
publication (Art. 11's posting cadence counts from it) moves forward, and the department's group
chat is told. Imports no channel.
"""

from __future__ import annotations

from tortoise.expressions import Q

from bot import audit, texts
from bot.cards import Text
from bot.deps import Deps
from bot.draft_cards import DraftView, load_view
from bot.events import TextMessage
from bot.links import valid_link
from bot.router import Ctx, Router
from handlers.common import draft_from_args, stopped_text
from models import Account, AccountStatus, Decision, Draft, DraftStatus, Outcome, Publication

router = Router(name=__name__)


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
