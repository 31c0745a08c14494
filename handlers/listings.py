"""Reading drafts: 查看 D12 (the whole text), 我的 (an officer's drafts), 待审 (a head's queue).

Art. 10: a head should read all of what they approve — the approval card shows only an excerpt,
so 查看 gives the whole text and the attachments of the latest version, to its author, the
officers and head of its department and the Information Center. 待审 sends each pending card
again so the head can decide from there. Listings cost the same number of queries whatever the
number of drafts. Imports no channel.
"""

from __future__ import annotations

from bot import texts
from bot.deps import Deps
from bot.draft_cards import approval_card, load_view
from bot.events import TextMessage
from bot.router import Ctx, Router
from handlers.common import draft_from_args
from models import Account, AccountStatus, Department, Draft, DraftStatus, DraftVersion, Person
from models.org import is_info_center_admin

router = Router(name=__name__)

MINE_LIMIT = 10


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
               or await is_info_center_admin(ctx.person))
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
