"""Exports in chat (Art. 2, 4): ``导出台账`` for the Information Center, ``导出申请表 @x`` and
``导出备案表 @x`` for the people responsible for an account. The file arrives as a file message
(through the simulator, a download link). Imports no channel."""

from __future__ import annotations

from bot import exports, texts
from bot.cards import Document
from bot.events import TextMessage
from bot.router import Ctx, Deps, Router
from handlers.registry import is_ic_admin, own_account_from_args
from models import AccountApplication, ApplicationStatus, Department, Person
from schedules.review import review_window

router = Router(name=__name__)


@router.command(*texts.CMD_EXPORT_REGISTRY)
async def on_export_registry(ctx: Ctx[TextMessage], deps: Deps) -> None:
    if not await is_ic_admin(ctx.person):
        await ctx.reply(texts.ONLY_INFO_CENTER_REGISTRY)
        return
    year, _ = review_window(ctx.local_now.date(), deps.settings)
    data = exports.registry_xlsx(await exports.load_registry(year), deps.settings.tz, year)
    name = texts.export_file_name(texts.EXPORT_REGISTRY_SHEET, "", ctx.local_now) + ".xlsx"
    await ctx.reply(Document(name, data, exports.XLSX))


@router.command(*texts.CMD_EXPORT_FORM1)
async def on_export_form1(ctx: Ctx[TextMessage], deps: Deps) -> None:
    found = await own_account_from_args(ctx, texts.ACCOUNT_USAGE)
    if found is None:
        return
    account, _ = found
    app = await AccountApplication.filter(account_id=account.id, status=ApplicationStatus.APPROVED).first()
    if app is None:
        await ctx.reply(texts.NO_APPLICATION)
        return
    dept = await Department.get(id=app.department_id)
    data = exports.form1_docx(app, dept.name, deps.settings.tz)
    name = texts.export_file_name(texts.FORM1_DOC_TITLE, account.name, ctx.local_now) + ".docx"
    await ctx.reply(Document(name, data, exports.DOCX))


@router.command(*texts.CMD_EXPORT_FORM2)
async def on_export_form2(ctx: Ctx[TextMessage], deps: Deps) -> None:
    found = await own_account_from_args(ctx, texts.ACCOUNT_USAGE)
    if found is None:
        return
    account, _ = found
    dept = await Department.get(id=account.department_id)
    leader = await Person.get_or_none(id=account.leader_id or 0)
    admin = await Person.get_or_none(id=account.admin_id or 0)
    data = exports.form2_docx(account, dept.name, leader, admin, ctx.now, deps.settings.tz)
    name = texts.export_file_name(texts.FORM2_DOC_TITLE, account.name, ctx.local_now) + ".docx"
    await ctx.reply(Document(name, data, exports.DOCX))
