"""Exports opened again with openpyxl / python-docx and checked field by field: the registry and
the annual review (Art. 2, 5, 11, 12: people, activity, every report), and forms 1 and 2 as the
policy's attachments read (Art. 4 第四条, 附件1 新媒体平台申请表, 附件2 新媒体平台备案登记表):
labels, blocks, order, signatures, A4."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from docx import Document as DocxDocument
from docx.document import Document as Docx
from openpyxl import load_workbook

from bot import exports, texts
from bot.cards import Document
from models import (
    Account,
    AccountApplication,
    AccountStatus,
    Draft,
    Inquiry,
    Person,
    Publication,
    Reminder,
    ReviewReport,
)
from tests.conftest import World
from tests.handlers.test_governance import fill_form


def tiny_png() -> bytes:
    """A real 1×1 PNG (python-docx reads the header to place the picture)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b""))


def sent_document(world: World, who: str) -> Document:
    docs = [m for m in world.channel.to(who) if isinstance(m, Document)]
    assert docs, f"no file sent to {who}"
    return docs[-1]


async def test_registry_xlsx_lists_every_account_with_its_state(world: World) -> None:
    """Art. 2: the registry (台账) the Information Center keeps, one row per account."""
    account = await Account.get(name="某某发布")
    # filed and running, whatever the organisation file's import makes of it (Art. 3, 4)
    await Account.filter(id=account.id).update(status=AccountStatus.OPERATING, filed_at=world.clock.now)
    await ReviewReport.create(account_id=account.id, year=2026, text="报告", submitted_by_id=4,
                              submitted_at=world.clock.now, status="passed")
    await world.say("zhangsan", "导出台账")
    assert not [m for m in world.channel.to("zhangsan") if isinstance(m, Document)]
    await world.say("wangwu", "导出台账")
    doc = sent_document(world, "wangwu")
    assert doc.name.endswith(".xlsx")
    ws = load_workbook(io.BytesIO(doc.data)).active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:5] == ("序号", "名称", "平台类型", "主办单位", "状态") and rows[0][-1] == "2026年审"
    first = dict(zip(rows[0], rows[1], strict=True))
    assert (first["名称"], first["平台类型"], first["主办单位"], first["状态"]) == (
        "某某发布", "微信公众号", "宣传科", "运行中")
    assert (first["负责人"], first["负责人手机"], first["管理员"], first["2026年审"]) == (
        "李四", "13800000003", "张三", "合格")
    assert len(rows) == 4


async def test_registry_xlsx_adds_people_activity_and_closure(world: World) -> None:
    """Art. 2, 5, 6, 11, 12: beside each account, the department's head and officers, the
    creation date as filed, the year's posts, late and zombie episodes (the reminders sent),
    inquiries received, answered, answered in time and overdue (as 咨询统计 counts them), and the
    closure with its evidence."""
    now = world.clock.now  # 26 Nov 2026
    account = await Account.get(name="某某发布")
    other = await Account.get(name="某某头条")
    await Account.filter(id=account.id).update(opened_on="2020-03-01", closed_at=now,
                                               closure_evidence="https://example.cn/closed/123")
    await Account.filter(id=other.id).update(post_every_days=5, cadence_reason="专题号，按周更新")
    zhangsan = await Person.get(code="zhangsan")
    for n, at in enumerate((now - timedelta(days=3), now - timedelta(days=40),
                            datetime(2025, 12, 31, 23, 0, tzinfo=world.clock.now.tzinfo)), start=1):
        draft = await Draft.create(account_id=account.id, author_id=zhangsan.id, created_at=at, updated_at=at)
        await Publication.create(draft_id=draft.id, account_id=account.id, version=1, content_hash=f"{n}",
                                 url=f"https://mp.weixin.qq.com/s/{n}", recorded_by_id=zhangsan.id,
                                 published_at=at)
    for step, period in (("late", "a"), ("late", "b"), ("zombie", "b"), ("due", "c")):
        await Reminder.create(key=Reminder.make_key("cadence", str(account.id), step, period),
                              kind="cadence", subject=str(account.id), step=step, period=period,
                              created_at=now)
    dept_id = account.department_id
    # one answered two hours after it came in; one unclaimed for three days (the ladder reached the head)
    for received, answered in ((now - timedelta(days=1), now - timedelta(hours=22)),
                               (now - timedelta(days=3), None)):
        await Inquiry.create(account_id=account.id, department_id=dept_id, source="chat", text="何时供暖？",
                             received_at=received, answered_at=answered)
    await Inquiry.create(account_id=other.id, department_id=dept_id, source="chat", text="？",
                         received_at=now - timedelta(days=400))  # another year
    await world.say("wangwu", "导出台账")
    ws = load_workbook(io.BytesIO(sent_document(world, "wangwu").data)).active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    first, second = (dict(zip(rows[0], r, strict=True)) for r in rows[1:3])
    assert (first["部门负责人"], first["信息员"], first["创建时间"]) == ("李四", "张三、陈七", "2020-03-01")
    assert (first["2026年发布数"], first["逾期更新(次)"], first["僵尸预警(次)"]) == (2, 2, 1)
    assert (first["咨询受理"], first["咨询已答复"], first["咨询按时答复"], first["咨询逾期"]) == (2, 1, 1, 1)
    assert (first["注销日期"], first["注销证明"]) == ("2026-11-26", "https://example.cn/closed/123")
    assert (second["名称"], second["2026年发布数"], second["咨询受理"], second["注销日期"]) == (
        "某某头条", 0, 0, None)
    assert (second["发布频率(工作日)"], second["频率调整原因"]) == (5, "专题号，按周更新")  # Art. 11


async def test_review_xlsx_in_chat_lists_every_report_with_platform_and_file(world: World) -> None:
    """Art. 5: the annual review export, in chat for the Information Center: every report of the
    year (a 不合格 then a new one: both), its file's name, the platform; 未提交 for the rest."""
    account = await Account.get(name="某某发布")
    zhangsan, wangwu = await Person.get(code="zhangsan"), await Person.get(code="wangwu")
    now = world.clock.now
    await ReviewReport.create(account_id=account.id, year=2026, text="", file_name="年审报告.docx",
                              file_data=b"PK", submitted_by_id=zhangsan.id, submitted_at=now,
                              status="failed", decided_by_id=wangwu.id, decided_at=now, reason="数据不全")
    await ReviewReport.create(account_id=account.id, year=2026, text="补充报告", submitted_by_id=zhangsan.id,
                              submitted_at=now + timedelta(days=1))
    await world.say("lisi", "导出年审")
    assert world.last_text("lisi") == texts.ONLY_INFO_CENTER_REVIEW_EXPORT
    assert not [m for m in world.channel.to("lisi") if isinstance(m, Document)]
    await world.say("wangwu", "导出年审")
    doc = sent_document(world, "wangwu")
    assert doc.name.endswith(".xlsx") and "2026年度年审" in doc.name
    ws = load_workbook(io.BytesIO(doc.data)).active
    assert ws is not None
    rows = [dict(zip(exports.REVIEW_HEADERS, r, strict=True))
            for r in list(ws.iter_rows(values_only=True))[1:]]
    assert [(r["名称"], r["年审结果"], r["报告编号"]) for r in rows] == [
        ("某某发布", "不合格", "N1"), ("某某发布", "待审核", "N2"), ("某某头条", "未提交", None),
        ("某某服务", "未提交", None)]
    assert (rows[0]["平台类型"], rows[0]["报告文件"], rows[0]["审核人"], rows[0]["不合格理由"]) == (
        "微信公众号", "年审报告.docx", "王五", "数据不全")
    assert (rows[1]["提交人"], rows[1]["提交时间"]) == ("张三", "2026-11-27")
    assert [r["序号"] for r in rows] == [1, 2, 3, 4]


async def test_review_xlsx_has_a_column_per_figure_frozen_on_each_report(world: World) -> None:
    """Art. 5 (with Art. 11, 12 figures): each report's row carries the bot's figures as they were
    frozen when it was handed in (a report without figures, and an account without a report, leave
    them blank)."""
    account = await Account.get(name="某某发布")
    zhangsan = await Person.get(code="zhangsan")
    await Account.filter(id=account.id).update(status=AccountStatus.OPERATING)
    await world.say("zhangsan", "年审 @某某发布 全年运行正常")
    report = await ReviewReport.get(account_id=account.id)
    assert report.figures is not None
    frozen = {**report.figures, "posts": 41, "posts_by_month": [3] * 11 + [0], "periods": 120,
              "periods_kept": 100, "kept_percent": 83, "late": 2, "zombie": 1, "inquiries": 9, "in_time": 7,
              "overdue": 2, "median_reply_hours": 3.5, "blocked_drafts": 1, "changes_filed": 1}
    await ReviewReport.filter(id=report.id).update(figures=frozen)
    await ReviewReport.create(account_id=account.id, year=2026, text="无数据的旧报告",
                              submitted_by_id=zhangsan.id, submitted_at=world.clock.now)
    await world.say("wangwu", "导出年审")
    ws = load_workbook(io.BytesIO(sent_document(world, "wangwu").data)).active
    assert ws is not None
    header, *body = list(ws.iter_rows(values_only=True))
    assert list(header) == exports.REVIEW_HEADERS
    assert header[-len(texts.EXPORT_REVIEW_FIGURE_HEADERS):] == tuple(texts.EXPORT_REVIEW_FIGURE_HEADERS)
    first, second, none = (dict(zip(header, r, strict=True)) for r in body[:3])
    assert (first["报告编号"], first["数据截至"], first["发布数"], first["1月发布"], first["12月发布"]) == (
        "N1", "2026-11-26", 41, 3, 0)
    assert (first["发布频率(工作日)"], first["更新周期"], first["按期周期"], first["按期率(%)"]
            ) == (2, 120, 100, 83)
    assert (first["逾期更新(次)"], first["僵尸预警(次)"], first["咨询受理"], first["咨询按时答复"],
            first["咨询逾期"], first["答复用时中位数(工作小时)"], first["敏感词拦截(篇)"],
            first["变更备案(次)"]) == (2, 1, 9, 7, 2, 3.5, 1, 1)
    assert second["报告编号"] == "N2" and second["发布数"] is None and second["按期率(%)"] is None
    assert none["年审结果"] == "未提交" and none["发布数"] is None


Triple = tuple[str, str, str]


def form_rows(doc: Docx) -> list[Triple]:
    """The form's one table as (block, label, value): merged cells read the same on every row."""
    assert len(doc.tables) == 1
    return [(r.cells[0].text, r.cells[1].text, r.cells[2].text) for r in doc.tables[0].rows]


def value_of(rows: list[Triple], label: str) -> str:
    values = [v for _, lab, v in rows if lab == label]
    assert len(values) == 1, f"{label}: {values}"
    return values[0]


def block(rows: list[Triple], name: str) -> list[tuple[str, str]]:
    return [(lab, v) for b, lab, v in rows if b == name and lab != name]


def assert_a4(doc: Docx) -> None:
    """Word stores lengths in twentieths of a point: compare in centimetres to 0.01."""
    s = doc.sections[0]
    sizes = (s.page_width, s.page_height, s.top_margin, s.bottom_margin, s.left_margin, s.right_margin)
    assert [round(x.cm, 2) if x is not None else None for x in sizes] == [21.0, 29.7, 2.54, 2.54, 2.8, 2.6]
    # the table's grid (what a fixed-layout table is drawn from) fills the 15.6 cm between margins
    widths = [c.width for c in doc.tables[0].columns]
    assert [round(w.cm, 1) if w is not None else None for w in widths] == [2.6, 3.6, 9.4]


def opened(world: World, who: str) -> Docx:
    doc = sent_document(world, who)
    assert doc.name.endswith(".docx")
    return DocxDocument(io.BytesIO(doc.data))


async def submit_application(world: World) -> None:
    await fill_form(world)
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "form-apply-"), "提交")


async def test_form1_exists_once_submitted_with_the_attachments_labels_and_blocks(world: World) -> None:
    """Art. 4: the head signs and stamps form 1 before it goes to the Information Center, so it is
    exported from submission; 预申请名称, and 主管领导 / 后台管理人员 as two blocks, each with
    its own 职务/办公电话/手机号码; signatures blank with lines for signature and stamp."""
    await submit_application(world)
    assert "导出申请表 S1" in world.last_text("zhangsan")  # the applicant is told how
    await world.say("zhangsan", "导出申请表 S1")
    doc = opened(world, "zhangsan")
    assert_a4(doc)
    rows = form_rows(doc)
    assert rows[0] == ("预申请名称", "预申请名称", "某某微博")
    assert [lab for _, lab, _ in rows[:4]] == [
        "预申请名称", texts.FORM_PLATFORM, "主办单位", "申请时间"]
    assert (rows[1][2], rows[2][2], rows[3][2]) == ("微博", "宣传科", "2026年11月26日")
    assert block(rows, "主管领导") == [("负责人姓名", "李四"), ("职务", "宣传科科长"),
                                       ("办公电话", "010-80000003"), ("手机号码", "13800000003")]
    assert block(rows, "后台管理人员") == [
        ("管理员姓名", "张三"), ("职务", "科员"), ("办公电话", ""), ("手机号码", "13800000004"),
        ("QQ号码", "123456"), ("微信号", "zhangsan_wx")]
    assert [lab for b, lab, _ in rows[4:14]] == ["负责人姓名", "职务", "办公电话", "手机号码", "管理员姓名",
                                                 "职务", "办公电话", "手机号码", "QQ号码", "微信号"]
    assert value_of(rows, "新媒体平台申请说明") == "发布本单位动态和服务信息，回应群众关切。"
    head = value_of(rows, "所在部门主要负责人意见").split("\n")
    assert head == ["意见：________________", "负责人：____________", "日期：____年__月__日",
                    "签字：______________　　（盖章）"]
    ic = value_of(rows, "信息中心审批意见").split("\n")
    assert ic[0] == "意见：________________" and ic[-1] == texts.FORM_SIGN_AND_STAMP
    assert [p.text for p in doc.paragraphs[:3]] == ["附件1", "新媒体平台申请表", "申请编号：S1"]
    # by the name applied for, too (there is no account yet)
    await world.say("lisi", "导出申请表 @某某微博")
    assert form_rows(opened(world, "lisi"))[0][2] == "某某微博"
    # someone with nothing to do with it: refused, and nothing sent
    await world.say("wujiu", "导出申请表 S1")
    assert world.last_text("wujiu") == texts.not_responsible_for("某某微博")
    assert not [m for m in world.channel.to("wujiu") if isinstance(m, Document)]
    await world.say("zhangsan", "导出申请表 S9")
    assert world.last_text("zhangsan") == texts.no_application_named("S9")
    await world.say("zhangsan", "导出申请表")
    assert world.last_text("zhangsan") == texts.FORM1_USAGE


async def test_form1_prints_the_heads_attestation_and_the_information_centers_decision(
        world: World) -> None:
    """Art. 4: once the head attested and the Information Center decided, their names, dates and
    opinions are on the form; the lines for the handwritten signature and the stamp stay."""
    await submit_application(world)
    await world.tap("lisi", world.channel.last_card("lisi", "app-"), "同意")
    await world.say("zhangsan", "导出申请表 @某某微博")
    rows = form_rows(opened(world, "zhangsan"))
    assert value_of(rows, "所在部门主要负责人意见").split("\n") == [
        "意见：同意", "负责人：李四", "日期：2026年11月26日", texts.FORM_SIGN_AND_STAMP]
    assert value_of(rows, "信息中心审批意见").startswith("意见：________________\n审批人：____________")
    world.clock.advance(days=1)
    await world.tap("wangwu", world.channel.last_card("wangwu", "app-"), "批准")
    world.clock.advance(days=5)
    await world.say("zhangsan", "导出申请表 @某某微博")  # now an account: found through it
    rows = form_rows(opened(world, "zhangsan"))
    assert value_of(rows, "信息中心审批意见").split("\n") == [
        "意见：同意开通", "审批人：王五", "日期：2026年11月27日", texts.FORM_SIGN_AND_STAMP]
    assert value_of(rows, "申请时间") == "2026年11月26日"  # the application's day, not the export's
    await world.say("zhangsan", "导出申请表 @某某发布")  # on file before the bot: no application
    assert world.last_text("zhangsan") == texts.NO_APPLICATION
    assert await AccountApplication.all().count() == 1


async def test_form1_of_a_rejected_application_prints_the_reason(world: World) -> None:
    """Art. 4: a decision against is printed with its reason, by whom and when."""
    await submit_application(world)
    await world.tap("lisi", world.channel.last_card("lisi", "app-"), "同意")
    await world.tap("wangwu", world.channel.last_card("wangwu", "app-"), "驳回")
    await world.say("wangwu", "同类账号已有，请合并运营")
    await world.say("wangwu", "导出申请表 S1")
    rows = form_rows(opened(world, "wangwu"))
    assert value_of(rows, "信息中心审批意见").split("\n")[:2] == [
        "意见：不同意。同类账号已有，请合并运营", "审批人：王五"]


async def file_account(world: World, png: bytes) -> None:
    await submit_application(world)
    await world.tap("lisi", world.channel.last_card("lisi", "app-"), "同意")
    await world.tap("wangwu", world.channel.last_card("wangwu", "app-"), "批准")
    world.clock.advance(days=2)  # filed on 28 Nov
    await world.say("zhangsan", "备案 @某某微博")
    for answer in ("mouweibo", "2026-11-27", "1200"):
        await world.say("zhangsan", answer)
    await world.image("zhangsan", png)
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "form-filing-"), "提交")


async def test_form2_is_the_filing_with_its_date_every_answer_and_the_qr_in_the_table(world: World) -> None:
    """Art. 4 (附件2): 填写时间 is the day the filing was handed in, not the export's; the
    administrator's office phone and QQ given in the answers are printed; the QR code is a
    picture in its own row of the table, after 关注人数; the wording is 备案, never 审批."""
    await file_account(world, tiny_png())
    await world.say("lisi", "导出备案表 @某某微博")  # handed in, not yet filed: blank filing lines
    rows = form_rows(opened(world, "lisi"))
    assert value_of(rows, "信息中心备案").split("\n")[:3] == [
        "意见：________________", "备案人：____________", "日期：____年__月__日"]
    world.clock.advance(days=1)
    await world.tap("wangwu", world.channel.last_card("wangwu", "filing-"), "已备案")
    assert (await Account.get(name="某某微博")).status == AccountStatus.OPERATING
    world.clock.advance(days=10)
    await world.say("lisi", "导出备案表 @某某微博")
    doc = opened(world, "lisi")
    assert_a4(doc)
    assert [p.text for p in doc.paragraphs[:3]] == [
        "附件2", "新媒体平台备案登记表", "填写时间：2026年11月28日"]
    rows = form_rows(doc)
    assert [lab for _, lab, _ in rows[:7]] == ["名称", texts.FORM_PLATFORM, "账号ID", "主办单位",
                                               "创建时间", "关注人数", "二维码"]
    assert [v for _, _, v in rows[:6]] == ["某某微博", "微博", "mouweibo", "宣传科", "2026-11-27", "1200"]
    qr_cell = doc.tables[0].rows[6].cells[2]
    assert qr_cell._tc.xpath(".//pic:pic")  # the picture is inside the table, in the QR row
    assert len(doc.inline_shapes) == 1
    assert block(rows, "主管领导") == [("负责人姓名", "李四"), ("职务", "宣传科科长"),
                                       ("办公电话", "010-80000003"), ("手机号码", "13800000003")]
    assert block(rows, "后台管理人员") == [
        ("管理员姓名", "张三"), ("职务", "科员"), ("办公电话", ""), ("手机号码", "13800000004"),
        ("QQ号码", "123456"), ("微信号", "zhangsan_wx")]  # the QQ answered in form 1
    assert value_of(rows, "新媒体平台简介") == "发布本单位动态和服务信息，回应群众关切。"
    assert value_of(rows, "主办单位报送").split("\n") == ["报送人：张三", texts.FORM_SIGN_AND_STAMP]
    assert value_of(rows, "信息中心备案").split("\n") == [
        "意见：已备案", "备案人：王五", "日期：2026年11月29日", texts.FORM_SIGN_AND_STAMP]
    every_text = "\n".join([p.text for p in doc.paragraphs] + ["\n".join(r) for r in rows])
    assert "审批" not in every_text


async def test_form2_keeps_answers_about_the_same_person_only(world: World) -> None:
    """Art. 4: after a change of administrator the new one's details come from the registry, not
    the old administrator's answers; an account never filed prints a blank 填写时间."""
    from tests.handlers.test_registry import approved_account

    await approved_account(world)
    await world.say("lisi", "导出备案表 @某某微博")
    doc = opened(world, "lisi")
    assert doc.paragraphs[2].text == "填写时间：____年__月__日"
    rows = form_rows(doc)
    assert value_of(rows, "二维码") == "" and not doc.inline_shapes
    assert block(rows, "后台管理人员")[4] == ("QQ号码", "")
    account = await Account.get(name="某某微博")
    wujiu = await Person.get(code="wujiu")
    await Account.filter(id=account.id).update(admin_id=wujiu.id)
    await world.say("lisi", "导出备案表 @某某微博")
    rows = form_rows(opened(world, "lisi"))
    assert block(rows, "后台管理人员")[0] == ("管理员姓名", "吴九")
    assert block(rows, "后台管理人员")[4] == ("QQ号码", "100000007")


def test_cli_exports_registry_and_review(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.cli import main
    from tests.conftest import DEMO_ORG

    monkeypatch.setenv("XMT_DATABASE_URL", f"sqlite://{tmp_path / 'e.sqlite3'}")
    monkeypatch.chdir(tmp_path)
    assert main(["org", "import", str(DEMO_ORG)]) == 0
    assert main(["export", "registry", "--out", str(tmp_path / "r.xlsx")]) == 0
    ws = load_workbook(tmp_path / "r.xlsx").active
    assert ws is not None and ws.max_row == 4
    assert main(["export", "review", "--out", str(tmp_path / "v.xlsx"), "--year", "2026"]) == 0
    ws = load_workbook(tmp_path / "v.xlsx").active
    assert ws is not None
    first = dict(zip(exports.REVIEW_HEADERS, [c.value for c in ws[2]], strict=True))
    assert first["年审结果"] == "未提交"
    assert main(["export", "form2", "--account", "某某发布", "--out", str(tmp_path / "f.docx")]) == 0
    rows = form_rows(DocxDocument(str(tmp_path / "f.docx")))
    assert value_of(rows, "名称") == "某某发布" and value_of(rows, "负责人姓名") == "李四"
    # Form 1 exists only for an application (an imported account has none); an unknown account
    # for form 2 is refused with its own exit status.
    assert main(["export", "form1", "--account", "某某发布", "--out", str(tmp_path / "a.docx")]) == 1
    assert main(["export", "form2", "--account", "没有这个号", "--out", str(tmp_path / "b.docx")]) == 2
    assert not (tmp_path / "a.docx").exists() and not (tmp_path / "b.docx").exists()


async def test_review_xlsx_of_an_earlier_year(world: World) -> None:
    """Art. 5: every report is kept, so the Information Center exports an earlier year's review
    again (导出年审 2025); a year that is not one is refused with the usage."""
    account = await Account.get(name="某某发布")
    zhangsan = await Person.get(code="zhangsan")
    for year in (2025, 2026):
        await ReviewReport.create(account_id=account.id, year=year, text=f"{year}报告",
                                  submitted_by_id=zhangsan.id,
                                  submitted_at=datetime(year, 11, 20, 10, 0, tzinfo=world.clock.now.tzinfo))
    await world.say("wangwu", "导出年审 2025")
    doc = sent_document(world, "wangwu")
    assert "2025年度年审" in doc.name
    ws = load_workbook(io.BytesIO(doc.data)).active
    assert ws is not None and ws.title == "2025年度年审"
    rows = [dict(zip(exports.REVIEW_HEADERS, r, strict=True))
            for r in list(ws.iter_rows(values_only=True))[1:]]
    assert [(r["名称"], r["报告编号"], r["提交时间"]) for r in rows if r["报告编号"]] == [
        ("某某发布", "N1", "2025-11-20")]
    for wrong in ("去年", "2027", "1999"):
        await world.say("wangwu", f"导出年审 {wrong}")
        assert world.last_text("wangwu") == texts.export_review_usage(2026)
    assert len([m for m in world.channel.to("wangwu") if isinstance(m, Document)]) == 1
