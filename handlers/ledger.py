"""The Information Center's views of the registry (Art. 4, 6): 台账 lists every account, 账号 @x
shows one. Imports no channel.
"""

from __future__ import annotations

from bot import texts
from bot.events import TextMessage
from bot.router import Ctx, Deps, Router
from handlers.registry import is_ic_admin, own_account_from_args
from models import (
    Account,
    AccountApplication,
    AccountChange,
    Department,
    Person,
    ReviewReport,
)
from schedules.review import review_window

router = Router(name=__name__)


@router.command(*texts.CMD_REGISTRY)
async def on_registry(ctx: Ctx[TextMessage], deps: Deps) -> None:
    if not await is_ic_admin(ctx.person):
        await ctx.reply(texts.ONLY_INFO_CENTER_REGISTRY)
        return
    accounts = await Account.all().order_by("department_id", "id")
    depts = {d.id: d.name for d in await Department.all()}
    people = {p.id: p.name for p in await Person.all()}
    year, _ = review_window(ctx.local_now.date(), deps.settings)
    reviews = {r.account_id: r.status.value for r in await ReviewReport.filter(year=year).order_by("id")}
    lines = [texts.registry_line(
        a.name, texts.PLATFORM_NAMES.get(a.platform.value, ""), depts.get(a.department_id, ""),
        texts.ACCOUNT_STATUS_NAMES.get(a.status.value, a.status.value),
        people.get(a.leader_id or 0, ""), people.get(a.admin_id or 0, ""),
        ctx.local(a.last_published_at).strftime("%m-%d") if a.last_published_at else "",
        a.filed_at is not None, a.verified_at is not None,
        texts.review_status_name(reviews.get(a.id)))
        + texts.registry_cadence(a.post_every_days, a.cadence_reason) for a in accounts]
    await ctx.reply(texts.registry(lines))


@router.command(*texts.CMD_ACCOUNT)
async def on_account(ctx: Ctx[TextMessage], deps: Deps) -> None:
    found = await own_account_from_args(ctx, texts.ACCOUNT_USAGE)
    if found is None:
        return
    account, _ = found
    dept = await Department.get(id=account.department_id)
    people = {p.id: p for p in await Person.all()}
    changes = await AccountChange.filter(account_id=account.id).order_by("id")
    apps = await AccountApplication.filter(account_id=account.id)
    history = [texts.history_application(a.ref, ctx.local(a.created_at)) for a in apps]
    history += [texts.history_change(
        texts.ROLE_NAMES[c.role], people[c.old_person_id].name if c.old_person_id in people else "",
        people[c.new_person_id].name, ctx.local(c.filed_at) if c.filed_at else None) for c in changes]
    leader, admin = people.get(account.leader_id or 0), people.get(account.admin_id or 0)
    await ctx.reply(texts.account_record(
        account.name, texts.PLATFORM_NAMES.get(account.platform.value, ""), dept.name,
        texts.ACCOUNT_STATUS_NAMES.get(account.status.value, account.status.value),
        f"{leader.name} {leader.title} {leader.mobile}".strip() if leader else "",
        f"{admin.name} {admin.title} {admin.mobile}".strip() if admin else "",
        account.platform_account_id, account.followers,
        ctx.local(account.filed_at) if account.filed_at else None,
        ctx.local(account.verified_at) if account.verified_at else None,
        ctx.local(account.last_published_at) if account.last_published_at else None, history)
        + "\n" + texts.account_cadence(account.post_every_days, account.cadence_reason))
