"""Exports for the Information Center (Art. 2, 4, 5): the registry and the annual review as .xlsx
(openpyxl), and the filled forms 1 and 2 as .docx (python-docx) laid out like the attachments of
the policy, with room for signature and stamp. Pure functions of data already loaded, plus the
loaders that read it in a fixed number of queries.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from docx import Document as DocxDocument
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from bot import texts
from models import Account, AccountApplication, Department, Person, ReviewReport

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Registry:
    accounts: list[Account]
    departments: dict[int, Department]
    people: dict[int, Person]
    reviews: dict[int, ReviewReport]  # account id → this year's latest report


async def load_registry(year: int) -> Registry:
    accounts = await Account.all().order_by("department_id", "id")
    departments = {d.id: d for d in await Department.all()}
    people = {p.id: p for p in await Person.all()}
    reviews: dict[int, ReviewReport] = {}
    for r in await ReviewReport.filter(year=year).order_by("id"):
        reviews[r.account_id] = r
    return Registry(accounts, departments, people, reviews)


def _sheet(ws: Worksheet, headers: list[str], rows: list[list[object]]) -> None:
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for column, header in zip(ws.columns, headers, strict=False):
        width = max(len(str(c.value or "")) for c in column)
        ws.column_dimensions[column[0].column_letter].width = min(60, max(len(header) * 2, width * 2) + 2)
    ws.freeze_panes = "A2"


def _date(at: datetime | None, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d") if at else ""


def registry_xlsx(reg: Registry, tz: ZoneInfo, year: int) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = texts.EXPORT_REGISTRY_SHEET
    rows: list[list[object]] = []
    for n, a in enumerate(reg.accounts, start=1):
        leader, admin = reg.people.get(a.leader_id or 0), reg.people.get(a.admin_id or 0)
        review = reg.reviews.get(a.id)
        rows.append([
            n, a.name, texts.PLATFORM_NAMES.get(a.platform.value, ""),
            reg.departments[a.department_id].name,
            texts.ACCOUNT_STATUS_NAMES.get(a.status.value, a.status.value),
            leader.name if leader else "", leader.mobile if leader else "",
            admin.name if admin else "", admin.mobile if admin else "",
            a.platform_account_id, a.followers if a.followers is not None else "",
            _date(a.filed_at, tz), _date(a.verified_at, tz), _date(a.last_published_at, tz),
            a.post_every_days, texts.review_status_name(review.status.value if review else None),
        ])
    _sheet(ws, texts.EXPORT_REGISTRY_HEADERS(year), rows)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def review_xlsx(reg: Registry, tz: ZoneInfo, year: int) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = texts.export_review_sheet(year)
    rows: list[list[object]] = []
    for n, a in enumerate(reg.accounts, start=1):
        review = reg.reviews.get(a.id)
        by = reg.people.get(review.submitted_by_id) if review else None
        judge = reg.people.get(review.decided_by_id or 0) if review else None
        rows.append([
            n, a.name, reg.departments[a.department_id].name,
            texts.ACCOUNT_STATUS_NAMES.get(a.status.value, a.status.value),
            texts.review_status_name(review.status.value if review else None),
            _date(review.submitted_at, tz) if review else "", by.name if by else "",
            judge.name if judge else "", _date(review.decided_at, tz) if review else "",
            review.reason if review else "",
        ])
    _sheet(ws, texts.EXPORT_REVIEW_HEADERS, rows)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _form_doc(title: str, rows: list[tuple[str, str]], closing: list[str]) -> bytes:
    doc = DocxDocument()
    heading = doc.add_heading(title, level=1)
    heading.alignment = 1  # centred
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
        for paragraph in cells[0].paragraphs:
            for run in paragraph.runs:
                run.font.bold = True
                run.font.size = Pt(11)
    for line in closing:
        doc.add_paragraph(line)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def form1_docx(app: AccountApplication, department: str, tz: ZoneInfo) -> bytes:
    """附件1 新媒体平台申请表, filled from the application as submitted."""
    f = app.form
    rows = [("名称", app.name), ("平台类型", str(f.get("platform", ""))), ("主办单位", department),
            ("申请时间", _date(app.created_at, tz)),
            ("负责人姓名", str(f.get("leader", ""))), ("职务", str(f.get("leader_title", ""))),
            ("办公电话", str(f.get("leader_office_phone", ""))),
            ("手机号码", str(f.get("leader_mobile", ""))),
            ("管理员姓名", str(f.get("admin", ""))), ("职务", str(f.get("admin_title", ""))),
            ("办公电话", str(f.get("admin_office_phone", ""))),
            ("手机号码", str(f.get("admin_mobile", ""))), ("QQ号码", str(f.get("admin_qq", ""))),
            ("微信号", str(f.get("admin_wechat", ""))),
            ("新媒体平台申请说明", str(f.get("description", "")))]
    return _form_doc(texts.FORM1_DOC_TITLE, rows, texts.FORM_SIGNATURE_LINES)


def form2_docx(account: Account, department: str, leader: Person | None, admin: Person | None,
               now: datetime, tz: ZoneInfo) -> bytes:
    """附件2 新媒体平台备案登记表, filled from the registry (the QR code as a picture)."""
    rows = [("填写时间", now.astimezone(tz).strftime("%Y-%m-%d")), ("名称", account.name),
            ("平台类型", texts.PLATFORM_NAMES.get(account.platform.value, "")),
            ("账号ID", account.platform_account_id), ("主办单位", department),
            ("创建时间", account.opened_on),
            ("关注人数", str(account.followers) if account.followers is not None else ""),
            ("负责人姓名", leader.name if leader else ""), ("职务", leader.title if leader else ""),
            ("办公电话", leader.office_phone if leader else ""),
            ("手机号码", leader.mobile if leader else ""),
            ("管理员姓名", admin.name if admin else ""), ("职务", admin.title if admin else ""),
            ("办公电话", admin.office_phone if admin else ""),
            ("手机号码", admin.mobile if admin else ""), ("QQ号码", admin.qq if admin else ""),
            ("微信号", admin.wechat_id if admin else ""), ("新媒体平台简介", account.description)]
    doc_bytes = _form_doc(texts.FORM2_DOC_TITLE, rows, texts.FORM_SIGNATURE_LINES)
    if not account.qr_code:
        return doc_bytes
    doc = DocxDocument(io.BytesIO(doc_bytes))
    doc.add_paragraph("二维码：")
    try:
        doc.add_picture(io.BytesIO(account.qr_code))
    except Exception:  # not an image python-docx can read: say so rather than fail the export
        doc.add_paragraph(texts.QR_NOT_AN_IMAGE)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
