"""Exports in chat (Art. 2, 4, 5): ``导出台账`` and ``导出年审`` for the Information Center,
``导出申请表 @x`` (or ``导出申请表 S3``) and ``导出备案表 @x`` for the people responsible for an
account. The file arrives as a file message (through the simulator, a download link). Imports no
channel.

Form 1 exists from the moment the application is submitted, not only once approved: Art. 4 has
the department head sign and stamp it *before* it goes to the Information Center, so the
applicant prints it while it waits for the head. Before approval there is no account yet, so the
application is named by its reference (S3) or by the name applied for.

Each export is three steps: load the rows (async, ``bot.exports.load_*``), build the bytes (the
pure builders of ``bot.exports``, in a worker thread through ``send_file``), hand the Document to
the outbox (``ctx.reply``). python-docx and openpyxl are pure CPU and a registry of 10,000
accounts takes long enough to stall every other callback; the data is loaded first, on the loop,
and handed over as plain objects. The handler runs inside the event's transaction
(``bot.inbound``: claim, handler and outbox rows commit together), so the build does too; it
only keeps the loop free.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from functools import partial
from typing import Any

from bot import exports, texts
from bot.campaign import review_window
from bot.cards import Document
from bot.deps import Deps
from bot.events import TextMessage
from bot.router import Ctx, Router
from handlers.common import may_act_for, own_account_from_args
from models import Account, AccountApplication, Department, Person
from models.org import is_info_center_admin

router = Router(name=__name__)

APPLICATION_REF = re.compile(r"^[Ss](\d{1,9})$")


async def send_file(ctx: Ctx[Any], name: str, mime: str, build: Callable[[], bytes]) -> None:
    """Build the file in a worker thread (``build`` is one of ``bot.exports``' pure builders over
    rows already loaded) and hand it to the outbox as the reply."""
    await ctx.reply(Document(name, await asyncio.to_thread(build), mime))


@router.command(*texts.CMD_EXPORT_REGISTRY)
async def on_export_registry(ctx: Ctx[TextMessage], deps: Deps) -> None:
    if not await is_info_center_admin(ctx.person):
        await ctx.reply(texts.ONLY_INFO_CENTER_REGISTRY)
        return
    year, _ = review_window(ctx.local_now.date(), deps.settings)
    registry = await exports.load_registry(year, deps.settings.tz, now=ctx.now, cal=deps.calendar)
    await send_file(ctx, texts.export_file_name(texts.EXPORT_REGISTRY_SHEET, "", ctx.local_now) + ".xlsx",
                    exports.XLSX, partial(exports.registry_xlsx, registry, deps.settings.tz, year))


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
    registry = await exports.load_registry(year, deps.settings.tz)
    await send_file(ctx, texts.export_file_name(texts.export_review_sheet(year), "", ctx.local_now) + ".xlsx",
                    exports.XLSX, partial(exports.review_xlsx, registry, deps.settings.tz, year))


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
    form = await exports.load_form1(app)
    await send_file(ctx, texts.export_file_name(texts.FORM1_DOC_TITLE, app.name, ctx.local_now) + ".docx",
                    exports.DOCX, partial(exports.form1_document, form, deps.settings.tz))


@router.command(*texts.CMD_EXPORT_FORM2)
async def on_export_form2(ctx: Ctx[TextMessage], deps: Deps) -> None:
    found = await own_account_from_args(ctx, texts.ACCOUNT_USAGE)
    if found is None:
        return
    account, _ = found
    form = await exports.load_form2(account)
    await send_file(ctx, texts.export_file_name(texts.FORM2_DOC_TITLE, account.name, ctx.local_now) + ".docx",
                    exports.DOCX, partial(exports.form2_document, form, deps.settings.tz))
