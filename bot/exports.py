"""Exports for the Information Center (Art. 2, 4, 5): the registry and the annual review as .xlsx
(openpyxl), and the filled forms 1 and 2 as .docx (python-docx) laid out like the attachments of
the policy, with room for signature and stamp. Pure functions of data already loaded, plus the
loaders that read it in a fixed number of queries.

Two kinds of function, kept apart: the loaders (``load_registry``, ``load_form1``,
``load_form2``) are async and only read the database; the builders (``registry_xlsx``,
``review_xlsx``, ``form1_document``, ``form2_document``) are synchronous, pure CPU (openpyxl,
python-docx) and touch no database, so callers run them in a worker thread with
``asyncio.to_thread`` (``handlers.exports.send_file``, ``bot.cli``) and the event loop stays free.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import _Cell
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from tortoise.functions import Count

from bot import texts
from bot.cards import Document as OutgoingDocument
from bot.cards import FileRequest
from bot.inquiry_ladder import first_commitments, is_overdue, times_of
from bot.reminders import CADENCE as CADENCE_KIND
from bot.workdays import WorkCalendar
from models import (
    Account,
    AccountApplication,
    AccountFiling,
    ApplicationStatus,
    Department,
    Inquiry,
    Person,
    Publication,
    Reminder,
    ReviewReport,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Activity:
    """What an account did in the year, counted from the records the bot keeps anyway."""

    posts: int = 0  # publications recorded (已发布)
    late: int = 0  # cadence episodes that reached "late" (the head was told)
    zombie: int = 0  # … and "zombie" (the Information Center was told)
    inquiries: int = 0  # received
    answered: int = 0
    in_time: int | None = None  # answered before the ladder reached the head (None: not counted)
    overdue: int | None = None  # the ladder reached the head (咨询统计's definition)


@dataclass(frozen=True)
class Registry:
    accounts: list[Account]
    departments: dict[int, Department]
    people: dict[int, Person]
    reviews: dict[int, ReviewReport]  # account id → this year's latest report
    history: dict[int, list[ReviewReport]] = field(default_factory=dict)  # every report, in order
    officers: dict[int, list[Person]] = field(default_factory=dict)  # department id → its officers
    activity: dict[int, Activity] = field(default_factory=dict)  # account id → the year's counts


def year_bounds(year: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """1 January to 1 January, local time: a post at 00:30 on 1 January counts in the new year."""
    return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)


async def load_registry(year: int, tz: ZoneInfo | None = None, *, now: datetime | None = None,
                        cal: WorkCalendar | None = None) -> Registry:
    """Everything both spreadsheets show, in a fixed number of queries whatever the number of
    accounts (counts are grouped in the database or read as bare columns, never per account).

    With ``now`` and the working calendar, inquiries answered in time and overdue are counted as
    咨询统计 counts them (``bot.inquiry_ladder.is_overdue``, the reminder ladder's own rule), so
    the spreadsheet and the chat never disagree; without them those two columns stay empty."""
    accounts = await Account.all().order_by("department_id", "id")
    departments = {d.id: d for d in await Department.all()}
    people = {p.id: p for p in await Person.all()}
    officers: dict[int, list[Person]] = {}
    for p in sorted(people.values(), key=lambda p: p.id):
        if p.is_officer and p.active and p.department_id is not None:
            officers.setdefault(p.department_id, []).append(p)
    reviews: dict[int, ReviewReport] = {}
    history: dict[int, list[ReviewReport]] = {}
    for r in await ReviewReport.filter(year=year).order_by("id").only(*REVIEW_COLUMNS):
        reviews[r.account_id] = r
        history.setdefault(r.account_id, []).append(r)
    start, end = year_bounds(year, tz or ZoneInfo("UTC"))
    posts = {int(c["account_id"]): int(c["n"]) for c in await Publication.filter(
        published_at__gte=start, published_at__lt=end).annotate(n=Count("id")).group_by(
        "account_id").values("account_id", "n")}
    episodes: dict[tuple[int, str], int] = {}
    for sent in await Reminder.filter(kind=CADENCE_KIND, step__in=["late", "zombie"],
                                      created_at__gte=start, created_at__lt=end).values("subject", "step"):
        if str(sent["subject"]).isdigit():
            key = (int(sent["subject"]), str(sent["step"]))
            episodes[key] = episodes.get(key, 0) + 1
    received: dict[int, int] = {}
    answered: dict[int, int] = {}
    in_time: dict[int, int] = {}
    overdue: dict[int, int] = {}
    judge = now is not None and cal is not None
    committed = await first_commitments(start) if judge else {}
    for q in await Inquiry.filter(received_at__gte=start, received_at__lt=end).values(
            "id", "account_id", "received_at", "owner_id", "claimed_at", "due_at", "answered_at"):
        account_id = q["account_id"]
        received[account_id] = received.get(account_id, 0) + 1
        if q["answered_at"] is not None:
            answered[account_id] = answered.get(account_id, 0) + 1
        if now is not None and cal is not None:
            late = is_overdue(times_of(q, committed), now, cal)
            overdue[account_id] = overdue.get(account_id, 0) + late
            in_time[account_id] = in_time.get(account_id, 0) + (q["answered_at"] is not None and not late)
    activity = {a.id: Activity(posts.get(a.id, 0), episodes.get((a.id, "late"), 0),
                               episodes.get((a.id, "zombie"), 0), received.get(a.id, 0),
                               answered.get(a.id, 0), in_time.get(a.id, 0) if judge else None,
                               overdue.get(a.id, 0) if judge else None) for a in accounts}
    return Registry(accounts, departments, people, reviews, history, officers, activity)


# The report's text and file stay in the database: a year of reports with their files would not fit
# in memory for a large organisation, and the spreadsheet shows the file's name only.
REVIEW_COLUMNS = ("id", "account_id", "year", "file_name", "submitted_by_id", "submitted_at", "status",
                  "decided_by_id", "decided_at", "reason", "figures")


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


def _count(n: int | None) -> int | str:
    return "" if n is None else n


def _name(reg: Registry, person_id: int | None) -> str:
    person = reg.people.get(person_id or 0)
    return person.name if person else ""


def registry_xlsx(reg: Registry, tz: ZoneInfo, year: int) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = texts.EXPORT_REGISTRY_SHEET
    rows: list[list[object]] = []
    for n, a in enumerate(reg.accounts, start=1):
        leader, admin = reg.people.get(a.leader_id or 0), reg.people.get(a.admin_id or 0)
        dept = reg.departments[a.department_id]
        review = reg.reviews.get(a.id)
        done = reg.activity.get(a.id, Activity())
        rows.append([
            n, a.name, texts.PLATFORM_NAMES.get(a.platform.value, ""), dept.name,
            texts.ACCOUNT_STATUS_NAMES.get(a.status.value, a.status.value),
            _name(reg, dept.head_id), "、".join(p.name for p in reg.officers.get(dept.id, [])),
            leader.name if leader else "", leader.mobile if leader else "",
            admin.name if admin else "", admin.mobile if admin else "",
            a.platform_account_id, a.opened_on, a.followers if a.followers is not None else "",
            _date(a.filed_at, tz), _date(a.verified_at, tz), _date(a.last_published_at, tz),
            a.post_every_days, a.cadence_reason,
            done.posts, done.late, done.zombie, done.inquiries, done.answered,
            _count(done.in_time), _count(done.overdue),
            _date(a.closed_at, tz), a.closure_evidence,
            texts.review_status_name(review.status.value if review else None),
        ])
    _sheet(ws, texts.EXPORT_REGISTRY_HEADERS(year), rows)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# The review sheet: the report's columns, then a column per figure the bot froze on the report
# (``bot.figures``): what the Information Center judged, not what the records say today.
REVIEW_HEADERS = [*texts.EXPORT_REVIEW_HEADERS, *texts.EXPORT_REVIEW_FIGURE_HEADERS]
_FIGURE_KEYS = ("post_every_days", "periods", "periods_kept", "kept_percent", "late", "zombie", "inquiries",
                "in_time", "overdue", "median_reply_hours", "blocked_drafts", "changes_filed", "unapproved")


def _figure_cells(figures: Mapping[str, Any] | None) -> list[object]:
    """The figures' cells, blank for a report without figures (or a figure it does not have)."""
    if not figures:
        return [""] * len(texts.EXPORT_REVIEW_FIGURE_HEADERS)
    months = list(figures.get("posts_by_month") or [])
    months = (months + [""] * 12)[:12]

    def cell(key: str) -> object:
        value = figures.get(key)
        return "" if value is None else value

    return [cell("as_of"), cell("posts"), *months, *(cell(k) for k in _FIGURE_KEYS)]


def review_xlsx(reg: Registry, tz: ZoneInfo, year: int) -> bytes:
    """One row per report handed in (a 不合格 then a new report: both rows, in order) with the
    figures frozen on it, one row "未提交" for an account without any."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = texts.export_review_sheet(year)
    rows: list[list[object]] = []
    n = 0
    for a in reg.accounts:
        head = [a.name, texts.PLATFORM_NAMES.get(a.platform.value, ""), reg.departments[a.department_id].name,
                texts.ACCOUNT_STATUS_NAMES.get(a.status.value, a.status.value)]
        reports = reg.history.get(a.id) or ([reg.reviews[a.id]] if a.id in reg.reviews else [])
        if not reports:
            n += 1
            rows.append([n, *head, texts.review_status_name(None), "", "", "", "", "", "", "",
                         *_figure_cells(None)])
        for r in reports:
            n += 1
            rows.append([n, *head, texts.review_status_name(r.status.value), r.ref,
                         _date(r.submitted_at, tz), _name(reg, r.submitted_by_id), r.file_name,
                         _name(reg, r.decided_by_id), _date(r.decided_at, tz), r.reason,
                         *_figure_cells(r.figures)])
    _sheet(ws, REVIEW_HEADERS, rows)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# -- forms 1 and 2 (附件1, 附件2) -------------------------------------------------------------------
# Both forms are one table of three columns: a block name (主管领导, 后台管理人员) merged down the
# rows of its block, the attachment's label, the value. Rows outside a block merge the first two
# columns, so every label reads as in the attachment and no 职务/办公电话 is left without saying
# whose. Pages are A4 (python-docx's default template is US Letter).
A4_WIDTH, A4_HEIGHT = Cm(21.0), Cm(29.7)
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = Cm(2.54), Cm(2.54), Cm(2.8), Cm(2.6)
COLUMN_WIDTHS = (Cm(2.6), Cm(3.6), Cm(9.4))  # 15.6 cm = 21.0 − 2.8 − 2.6
QR_WIDTH = Cm(3.5)
FONT = "宋体"
TITLE_FONT = "黑体"

Row = tuple[str, str, "str | bytes | None"]  # (block, label, value); bytes: a picture (the QR code)


@dataclass(frozen=True)
class Decision:
    """One signature on a form: who, when, what they said (empty while nobody has decided)."""

    name: str = ""
    at: datetime | None = None
    opinion: str = ""


@dataclass(frozen=True)
class Form1:
    """附件1 as submitted, and the two decisions on it (the head's attestation, the IC's decision)."""

    app: AccountApplication
    department: str
    head: Decision
    info_center: Decision


@dataclass(frozen=True)
class Form2:
    """附件2 for an account: the latest filing's answers over the registry (see ``load_form2``)."""

    account: Account
    department: str
    filled_at: datetime | None  # 填写时间: when the filing was handed in, never the export
    answers: dict[str, str]  # platform_account_id, opened_on, followers, description
    qr_code: bytes | None
    leader: dict[str, str]  # leader, leader_title, leader_office_phone, leader_mobile
    admin: dict[str, str]  # … admin_qq, admin_wechat
    submitted_by: str
    filed: Decision  # the Information Center's 已备案


def _set_font(run_or_style: Any, name: str, size: Pt | None = None, bold: bool | None = None) -> None:
    """Latin and East Asian font both: Word takes Chinese glyphs from w:eastAsia."""
    font = run_or_style.font
    font.name = name
    if size is not None:
        font.size = size
    if bold is not None:
        font.bold = bold
    r_pr = run_or_style.element.get_or_add_rPr()
    r_fonts = r_pr.find(qn("w:rFonts"))
    if r_fonts is None:
        r_fonts = OxmlElement("w:rFonts")
        r_pr.append(r_fonts)
    r_fonts.set(qn("w:eastAsia"), name)


def _a4_document() -> DocxDocument:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = A4_WIDTH, A4_HEIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    _set_font(doc.styles["Normal"], FONT, Pt(10.5))
    return doc


def _heading(doc: DocxDocument, attachment: str, title: str, corner: str) -> None:
    mark = doc.add_paragraph()
    _set_font(mark.add_run(attachment), TITLE_FONT, Pt(12))
    head = doc.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_font(head.add_run(title), TITLE_FONT, Pt(18), bold=True)
    line = doc.add_paragraph()
    line.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _set_font(line.add_run(corner), FONT, Pt(10.5))


def _fill(cell: _Cell, value: str | bytes | None, *, bold: bool = False) -> None:
    """Write ``value`` into ``cell``: lines as paragraphs, bytes as a picture."""
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    first = cell.paragraphs[0]
    if isinstance(value, bytes):
        try:
            first.add_run().add_picture(io.BytesIO(value), width=QR_WIDTH)
        except Exception:  # not an image python-docx can read: say so rather than fail the export
            _set_font(first.add_run(texts.QR_NOT_AN_IMAGE), FONT)
        return
    for n, line in enumerate((value or "").split("\n")):
        paragraph = first if n == 0 else cell.add_paragraph()
        _set_font(paragraph.add_run(line), FONT, bold=bold)


def _form_table(doc: DocxDocument, rows: list[Row]) -> None:
    table = doc.add_table(rows=len(rows), cols=3)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, COLUMN_WIDTHS, strict=True):
        column.width = width  # the grid: a fixed-layout table is drawn from it (Word, LibreOffice)
    for row in table.rows:
        for cell, width in zip(row.cells, COLUMN_WIDTHS, strict=True):
            cell.width = width
    n = 0
    while n < len(rows):
        block = rows[n][0]
        cells = table.rows[n].cells
        if not block:
            label_cell = cells[0].merge(cells[1])
            _fill(label_cell, rows[n][1], bold=True)
            _fill(cells[2], rows[n][2])
            n += 1
            continue
        end = n
        while end + 1 < len(rows) and rows[end + 1][0] == block:
            end += 1
        merged = cells[0].merge(table.rows[end].cells[0])
        _fill(merged, block, bold=True)
        for k in range(n, end + 1):
            _fill(table.rows[k].cells[1], rows[k][1], bold=True)
            _fill(table.rows[k].cells[2], rows[k][2])
        n = end + 1


def _save(doc: DocxDocument) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _day(at: datetime | None, tz: ZoneInfo) -> str:
    return texts.form_date(at.astimezone(tz)) if at else texts.FORM_BLANK_DATE


def _signature(title: str, decision: Decision, tz: ZoneInfo) -> str:
    """The opinion, who decided and when (blank lines while undecided), and the lines for the
    handwritten signature and the stamp, which the paper form needs in any case."""
    return "\n".join([texts.form_opinion(decision.opinion), texts.form_signed_by(title, decision.name),
                       texts.form_date_line(_day(decision.at, tz)),
                       texts.FORM_SIGN_AND_STAMP])


def _person_rows(block: str, prefix: str, p: Mapping[str, Any], admin: bool) -> list[Row]:
    rows: list[Row] = [(block, texts.FORM_LEADER_NAME if not admin else texts.FORM_ADMIN_NAME,
                        str(p.get(prefix, "") or "")),
                       (block, texts.FORM_TITLE, str(p.get(f"{prefix}_title", "") or "")),
                       (block, texts.FORM_OFFICE_PHONE, str(p.get(f"{prefix}_office_phone", "") or "")),
                       (block, texts.FORM_MOBILE, str(p.get(f"{prefix}_mobile", "") or ""))]
    if admin:
        rows += [(block, texts.FORM_QQ, str(p.get(f"{prefix}_qq", "") or "")),
                 (block, texts.FORM_WECHAT, str(p.get(f"{prefix}_wechat", "") or ""))]
    return rows


async def load_form1(app: AccountApplication) -> Form1:
    """Form 1 with the names of the head who attested (or refused) and the IC admin who decided."""
    dept = await Department.get(id=app.department_id)
    ids = [i for i in (app.head_id, app.ic_admin_id) if i]
    people = {p.id: p for p in await Person.filter(id__in=ids)}
    head = people.get(app.head_id or 0)
    ic = people.get(app.ic_admin_id or 0)
    head_opinion = {ApplicationStatus.REFUSED: texts.FORM1_HEAD_REFUSED}.get(
        app.status, texts.FORM1_HEAD_AGREED if app.head_decided_at else "")
    if app.status == ApplicationStatus.APPROVED:
        ic_opinion = texts.FORM1_IC_APPROVED
    elif app.status == ApplicationStatus.REJECTED:
        ic_opinion = texts.form1_ic_rejected(app.reason)
    else:
        ic_opinion = ""
    return Form1(app, dept.name,
                 Decision(head.name if head else "", app.head_decided_at, head_opinion),
                 Decision(ic.name if ic else "", app.ic_decided_at, ic_opinion))


def form1_document(form: Form1, tz: ZoneInfo) -> bytes:
    """附件1 新媒体平台申请表: labels, order and blocks as the attachment; the two signatures below."""
    app, f = form.app, form.app.form
    doc = _a4_document()
    _heading(doc, texts.FORM1_ATTACHMENT, texts.FORM1_DOC_TITLE, texts.form1_corner(app.ref))
    rows: list[Row] = [
        ("", texts.FORM1_NAME, app.name),
        ("", texts.FORM_PLATFORM,
         str(f.get("platform", "")) or texts.PLATFORM_NAMES.get(app.platform.value, "")),
        ("", texts.FORM_DEPARTMENT, str(f.get("department", "")) or form.department),
        ("", texts.FORM1_APPLIED_AT, _day(app.created_at, tz)),
        *_person_rows(texts.FORM_LEADER_BLOCK, "leader", f, admin=False),
        *_person_rows(texts.FORM_ADMIN_BLOCK, "admin", f, admin=True),
        ("", texts.FORM1_DESCRIPTION, str(f.get("description", ""))),
        ("", texts.FORM1_HEAD_OPINION, _signature(texts.FORM_SIGNER_HEAD, form.head, tz)),
        ("", texts.FORM1_IC_OPINION, _signature(texts.FORM_SIGNER_IC, form.info_center, tz)),
    ]
    _form_table(doc, rows)
    return _save(doc)


def _answers_for(person: Person | None, prefix: str, sources: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """What the forms answered about ``person`` (only answers given for this same person: a later
    change of administrator must not inherit the old one's phone), over the registry's record."""
    if person is None:
        return {}
    keys = ("title", "office_phone", "mobile") + (("qq", "wechat") if prefix == "admin" else ())
    registry = {"title": person.title, "office_phone": person.office_phone, "mobile": person.mobile,
                "qq": person.qq, "wechat": person.wechat_id}
    out = {prefix: person.name}
    for key in keys:
        given = [str(s.get(f"{prefix}_{key}") or "") for s in sources
                 if s.get(f"{prefix}_code") == person.code]
        out[f"{prefix}_{key}"] = next((g for g in given if g), registry[key] or "")
    return out


async def load_form2(account: Account) -> Form2:
    """Form 2 as filed: the latest filing not returned (pending or acknowledged: its answers and QR
    code are what the account copies once the IC acknowledges), over the account's registry
    fields; the people's details from the answers given about the same people, the filing's then
    the application's (form 1 asks the office phone and QQ the registry may not know), then the
    registry."""
    dept = await Department.get(id=account.department_id)
    filing = await AccountFiling.filter(account_id=account.id, returned=False).order_by("-id").first()
    app = await AccountApplication.filter(account_id=account.id).order_by("-id").first()
    ids = [i for i in (account.leader_id, account.admin_id,
                       filing.submitted_by_id if filing else None,
                       filing.acknowledged_by_id if filing else None) if i]
    people = {p.id: p for p in await Person.filter(id__in=ids)}
    sources = [s for s in (filing.form if filing else None, app.form if app else None) if s]
    answers = _registry_answers(account)
    qr = account.qr_code
    if filing is not None:
        answers.update({k: str(v) for k, v in filing.form.items() if k in answers and v not in (None, "")})
        qr = filing.qr_code or qr
    acked = people.get(filing.acknowledged_by_id or 0) if filing else None
    by = people.get(filing.submitted_by_id) if filing else None
    return Form2(
        account, dept.name, filling_time(account, filing), answers, bytes(qr) if qr else None,
        _answers_for(people.get(account.leader_id or 0), "leader", sources),
        _answers_for(people.get(account.admin_id or 0), "admin", sources),
        by.name if by else "",
        Decision(acked.name if acked else "", filing.acknowledged_at if filing else None,
                 texts.FORM2_FILED if filing and filing.acknowledged_at else ""))


def _registry_answers(account: Account) -> dict[str, str]:
    return {"platform_account_id": account.platform_account_id, "opened_on": account.opened_on,
            "followers": str(account.followers) if account.followers is not None else "",
            "description": account.description}


def filling_time(account: Account, filing: AccountFiling | None) -> datetime | None:
    """填写时间: the day the filing was handed in; for an account filed before the bot, its filing
    date; never the day of the export."""
    if filing is not None:
        return filing.submitted_at
    return account.filed_at


def form2_document(form: Form2, tz: ZoneInfo) -> bytes:
    """附件2 新媒体平台备案登记表: 填写时间 above the table, the QR code in its row after 关注人数, the
    filing (备案) by the Information Center below."""
    a, f = form.account, form.answers
    doc = _a4_document()
    _heading(doc, texts.FORM2_ATTACHMENT, texts.FORM2_DOC_TITLE,
             texts.form2_filled_at(_day(form.filled_at, tz)))
    rows: list[Row] = [
        ("", texts.FORM2_NAME, a.name),
        ("", texts.FORM_PLATFORM, texts.PLATFORM_NAMES.get(a.platform.value, "")),
        ("", texts.FORM2_ACCOUNT_ID, f.get("platform_account_id", "")),
        ("", texts.FORM_DEPARTMENT, form.department),
        ("", texts.FORM2_OPENED_ON, f.get("opened_on", "")),
        ("", texts.FORM2_FOLLOWERS, f.get("followers", "")),
        ("", texts.FORM2_QR, form.qr_code or ""),
        *_person_rows(texts.FORM_LEADER_BLOCK, "leader", form.leader, admin=False),
        *_person_rows(texts.FORM_ADMIN_BLOCK, "admin", form.admin, admin=True),
        ("", texts.FORM2_DESCRIPTION, f.get("description", "")),
        ("", texts.FORM2_DEPARTMENT_SEAL, "\n".join([texts.form2_submitted_by(form.submitted_by),
                                                      texts.FORM_SIGN_AND_STAMP])),
        ("", texts.FORM2_IC_FILING, _signature(texts.FORM_SIGNER_FILING, form.filed, tz)),
    ]
    _form_table(doc, rows)
    return _save(doc)


# -- files built when the outbox delivers them (``bot.cards.FileRequest``) -------------------------
def registry_request(name: str, year: int, *, tz: ZoneInfo, now: datetime, cal: WorkCalendar) -> FileRequest:
    return FileRequest(name, XLSX, "registry", {"year": year, "tz": tz.key, "now": now.isoformat(),
                                                "hours": cal.hours})


def review_request(name: str, year: int, *, tz: ZoneInfo) -> FileRequest:
    return FileRequest(name, XLSX, "review", {"year": year, "tz": tz.key})


def form1_request(name: str, application_id: int, *, tz: ZoneInfo) -> FileRequest:
    return FileRequest(name, DOCX, "form1", {"application": application_id, "tz": tz.key})


def form2_request(name: str, account_id: int, *, tz: ZoneInfo) -> FileRequest:
    return FileRequest(name, DOCX, "form2", {"account": account_id, "tz": tz.key})


async def build_file(request: FileRequest) -> OutgoingDocument:
    """Load what ``request`` names (on the loop, from committed data, in no transaction) and build
    its bytes in a worker thread: openpyxl and python-docx are pure CPU, and a registry of 10,000
    accounts takes long enough to stall every callback. The registry counts inquiries as of the
    moment it was asked for (``now``), as the person asking would expect."""
    p, tz = request.params, ZoneInfo(str(request.params["tz"]))
    build: Callable[[], bytes]
    if request.build == "registry":
        cal = WorkCalendar.parse(tz, str(p["hours"]))
        reg = await load_registry(int(p["year"]), tz, now=datetime.fromisoformat(str(p["now"])), cal=cal)
        build = partial(registry_xlsx, reg, tz, int(p["year"]))
    elif request.build == "review":
        reg = await load_registry(int(p["year"]), tz)
        build = partial(review_xlsx, reg, tz, int(p["year"]))
    elif request.build == "form1":
        form1 = await load_form1(await AccountApplication.get(id=int(p["application"])))
        build = partial(form1_document, form1, tz)
    elif request.build == "form2":
        form2 = await load_form2(await Account.get(id=int(p["account"])))
        build = partial(form2_document, form2, tz)
    else:
        raise ValueError(f"no file called {request.build!r}")
    return OutgoingDocument(request.name, await asyncio.to_thread(build), request.mime)
