"""Exports in chat (Art. 2, 4, 5): ``导出台账`` and ``导出年审`` for the Information Center,
``导出申请表 @x`` (or ``导出申请表 S3``) and ``导出备案表 @x`` for the people responsible for an
account. The file arrives as a file message (through the simulator, a download link). Imports no
channel.

Form 1 exists from the moment the application is submitted, not only once approved: Art. 4 has
the department head sign and stamp it *before* it goes to the Information Center, so the
applicant prints it while it waits for the head. Before approval there is no account yet, so the
application is named by its reference (S3) or by the name applied for.

A handler only decides who may have which file and queues a ``FileRequest`` (``bot.exports.
*_request``: what to build and its parameters); the outbox builds the file when it delivers it
(``bot.exports.build_file``: the rows loaded from committed data, the bytes built in a worker
thread), outside the event's transaction. Building inside it held the database for the whole
build (on SQLite every other event waited behind a large registry), and the outbox row carried
megabytes of base64; now it carries a few parameters.
"""

from __future__ import annotations

import re
from typing import Any

from bot import exports, texts
from bot.campaign import review_window
from bot.deps import Deps
from bot.events import TextMessage
from bot.router import Ctx, Router
from handlers.common import may_act_for, own_account_from_args
from models import Account, AccountApplication, Department, Person
from models.org import is_info_center_admin

router = Router(name=__name__)

APPLICATION_REF = re.compile(r"^[Ss](\d{1,9})$")


@router.command(*texts.CMD_EXPORT_REGISTRY)
async def on_export_registry(ctx: Ctx[TextMessage], deps: Deps) -> None:
    if not await is_info_center_admin(ctx.person):
        await ctx.reply(texts.ONLY_INFO_CENTER_REGISTRY)
        return
    year, _ = review_window(ctx.local_now.date(), deps.settings)
    await ctx.reply(exports.registry_request(
        texts.export_file_name(texts.EXPORT_REGISTRY_SHEET, "", ctx.local_now) + ".xlsx", year,
        tz=deps.settings.tz, now=ctx.now, cal=deps.calendar))


@router.command(*texts.CMD_EXPORT_REVIEW)
async def on_export_review(ctx: Ctx[TextMessage], deps: Deps) -> None:
    """The annual review (Art. 5) of the review year under way, or of the year given (``导出年审
    2025``: reports are kept, so an earlier year's can be exported again): every report handed in,
    with the figures frozen on it."""
    if not await is_info_center_admin(ctx.person):
        await ctx.reply(texts.ONLY_INFO_CENTER_REVIEW_EXPORT)
        return
    year, _ = review_window(ctx.local_now.date(), deps.settings)
    asked = ctx.args.strip().removesuffix("年").removesuffix("年度")
    if asked:
        if not (asked.isdigit() and 2000 <= int(asked) <= year):
            await ctx.reply(texts.export_review_usage(year))
            return
        year = int(asked)
    await ctx.reply(exports.review_request(
        texts.export_file_name(texts.export_review_sheet(year), "", ctx.local_now) + ".xlsx", year,
        tz=deps.settings.tz))


async def find_application(ctx: Ctx[Any]) -> AccountApplication | None:
    """``S3`` or a name: the account's application, else the latest application under that name
    (a refused name may be applied for again). Replies and returns None when there is none."""
    arg = ctx.args.strip().split(" ")[0].lstrip("@＠").strip() if ctx.args.strip() else ""
    if not arg:
        await ctx.reply(texts.FORM1_USAGE)
        return None
    ref = APPLICATION_REF.match(arg)
    if ref:
        app = await AccountApplication.get_or_none(id=int(ref.group(1)))
    else:
        account = await Account.get_or_none(name=arg)
        if account is not None:
            app = await AccountApplication.filter(account_id=account.id).order_by("-id").first()
            if app is None:  # on file from before the bot: never applied through it
                await ctx.reply(texts.NO_APPLICATION)
                return None
        else:
            app = await AccountApplication.filter(name=arg).order_by("-id").first()
    if app is None:
        await ctx.reply(texts.no_application_named(arg))
    return app


async def may_export_form1(person: Person, app: AccountApplication) -> bool:
    """The applicant, the leader and administrator named in it, the department's head and
    officers, the Information Center; once the account exists, whoever may act for it."""
    if person.id in (app.applicant_id, app.leader_id, app.admin_id):
        return True
    dept = await Department.get(id=app.department_id)
    if person.department_id == dept.id and (person.is_officer or dept.head_id == person.id):
        return True
    account = await Account.get_or_none(id=app.account_id) if app.account_id else None
    if account is not None and await may_act_for(person, account):
        return True
    return await is_info_center_admin(person)


@router.command(*texts.CMD_EXPORT_FORM1)
async def on_export_form1(ctx: Ctx[TextMessage], deps: Deps) -> None:
    app = await find_application(ctx)
    if app is None:
        return
    if not await may_export_form1(ctx.person, app):
        await ctx.reply(texts.not_responsible_for(app.name))
        return
    await ctx.reply(exports.form1_request(
        texts.export_file_name(texts.FORM1_DOC_TITLE, app.name, ctx.local_now) + ".docx", app.id,
        tz=deps.settings.tz))


@router.command(*texts.CMD_EXPORT_FORM2)
async def on_export_form2(ctx: Ctx[TextMessage], deps: Deps) -> None:
    found = await own_account_from_args(ctx, texts.ACCOUNT_USAGE)
    if found is None:
        return
    account, _ = found
    await ctx.reply(exports.form2_request(
        texts.export_file_name(texts.FORM2_DOC_TITLE, account.name, ctx.local_now) + ".docx", account.id,
        tz=deps.settings.tz))
