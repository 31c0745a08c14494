"""The registry views (Art. 4, 5, 6): 台账 lists every account for the Information Center;
``账号 @x`` shows one account — its standing (platform, department, status, leader, administrator,
account id, followers, filing, verification, last publication, cadence) and then its whole life in
order, each line saying when and who. Imports no channel.

The life is ``bot.history`` (what it is read from and how each act reads), shared with the
console's account page (issue 18: the same lines).

Length: a WeCom text holds 2,048 bytes (the channel cuts the rest), and a long-lived account (ten
years of reviews, changes of administrator) outgrows it. The reply is one message: the header, then
the LATEST events that fit in ``texts.ACCOUNT_RECORD_BYTES``, with one line saying how many earlier
ones are left out. One message because the reader asks "where does this account stand and how did
it get here": the header holds the standing, the recent events are the ones acted on, and several
messages for one question arrive interleaved with cards and reminders on a phone. The older
reviews are all in ``年审记录 @账号``.

Queries are bounded: the account, its department, and ``bot.history.load_life``'s six — whatever
the length of the life.
"""

from __future__ import annotations

from collections.abc import Callable

from bot import texts
from bot.campaign import review_window
from bot.deps import Deps
from bot.events import TextMessage
from bot.history import history_lines, load_life
from bot.router import Ctx, Router
from handlers.common import own_account_from_args
from models import Account, AccountStatus, Department, Person, ReviewReport
from models.org import is_info_center_admin

router = Router(name=__name__)


@router.command(*texts.CMD_REGISTRY)
async def on_registry(ctx: Ctx[TextMessage], deps: Deps) -> None:
    if not await is_info_center_admin(ctx.person):
        await ctx.reply(texts.ONLY_INFO_CENTER_REGISTRY)
        return
    accounts = await Account.all().order_by("department_id", "id")
    depts = {d.id: d.name for d in await Department.all()}
    people = {p.id: p.name for p in await Person.all()}
    year, _ = review_window(ctx.local_now.date(), deps.settings)
    reviews = {r.account_id: r.status.value for r in await ReviewReport.filter(year=year).order_by("id")
               .only("id", "account_id", "status")}
    lines = [texts.registry_line(
        a.name, texts.PLATFORM_NAMES.get(a.platform.value, ""), depts.get(a.department_id, ""),
        texts.ACCOUNT_STATUS_NAMES.get(a.status.value, a.status.value)
        + texts.registry_standing(a.status == AccountStatus.MUST_STOP, a.stop_reason,
                                  a.closure_requested_at is not None and a.closed_at is None,
                                  bool(a.refile_roles())),
        people.get(a.leader_id or 0, ""), people.get(a.admin_id or 0, ""),
        ctx.local(a.last_published_at).strftime("%m-%d") if a.last_published_at else "",
        a.filed_at is not None, a.verified_at is not None,
        texts.review_status_name(reviews.get(a.id)))
        + texts.registry_cadence(a.post_every_days, a.cadence_reason) for a in accounts]
    await ctx.reply(texts.registry(lines))


# -- 账号 @x: the account's life ---------------------------------------------------------------------
def fit(header: str, lines: list[str], limit: int, omitted: Callable[[int], str]) -> str:
    """The header and the latest ``lines`` that fit in ``limit`` UTF-8 bytes, oldest first, with
    one line, ``omitted(n)``, saying how many earlier ones are left out."""
    size = len(header.encode()) + len(texts.LIFE_TITLE.encode()) + 2
    kept: list[str] = []
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i]
        note = len(omitted(i).encode()) + 1 if i else 0  # i lines would be left out
        if size + len(line.encode()) + 1 + note > limit:
            break
        kept.append(line)
        size += len(line.encode()) + 1
    kept.reverse()
    left_out = len(lines) - len(kept)
    body = ([omitted(left_out)] if left_out else []) + kept
    return "\n".join([header, texts.LIFE_TITLE, *body]) if lines else header


@router.command(*texts.CMD_ACCOUNT)
async def on_account(ctx: Ctx[TextMessage], deps: Deps) -> None:
    found = await own_account_from_args(ctx, texts.ACCOUNT_USAGE)
    if found is None:
        return
    account, _ = found
    dept = await Department.get(id=account.department_id)
    life, people = await load_life(account)
    leader, admin = people.get(account.leader_id or 0), people.get(account.admin_id or 0)
    header = texts.account_record(
        account.name, texts.PLATFORM_NAMES.get(account.platform.value, ""), dept.name,
        texts.ACCOUNT_STATUS_NAMES.get(account.status.value, account.status.value),
        f"{leader.name} {leader.title} {leader.mobile}".strip() if leader else "",
        f"{admin.name} {admin.title} {admin.mobile}".strip() if admin else "",
        account.platform_account_id, account.followers,
        ctx.local(account.filed_at) if account.filed_at else None,
        ctx.local(account.verified_at) if account.verified_at else None,
        ctx.local(account.last_published_at) if account.last_published_at else None,
        texts.account_cadence(account.post_every_days, account.cadence_reason))
    lines = [h.line for h in history_lines(life, people, ctx.tz)]
    await ctx.reply(fit(header, lines, texts.ACCOUNT_RECORD_BYTES,
                        lambda n: texts.life_omitted(n, account.name)))
