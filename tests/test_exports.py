"""Exports opened again with openpyxl / python-docx and checked field by field."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document as DocxDocument
from openpyxl import load_workbook

from bot.cards import Document
from models import Account, AccountApplication, AccountStatus, ReviewReport
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
    account = await Account.get(name="某某发布")
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


async def test_form1_docx_is_the_application_as_filled(world: World) -> None:
    await fill_form(world)
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "form-apply-"), "提交")
    await world.tap("lisi", world.channel.last_card("lisi", "app-"), "同意")
    await world.tap("wangwu", world.channel.last_card("wangwu", "app-"), "批准")
    await world.say("zhangsan", "导出申请表 @某某微博")
    doc = sent_document(world, "zhangsan")
    table = DocxDocument(io.BytesIO(doc.data)).tables[0]
    cells = [(r.cells[0].text, r.cells[1].text) for r in table.rows]
    assert cells[0] == ("名称", "某某微博") and cells[1] == ("平台类型", "微博")
    assert ("主办单位", "宣传科") in cells and ("负责人姓名", "李四") in cells
    assert ("手机号码", "13800000004") in cells and ("QQ号码", "123456") in cells
    assert cells[-1] == ("新媒体平台申请说明", "发布本单位动态和服务信息，回应群众关切。")
    paragraphs = [p.text for p in DocxDocument(io.BytesIO(doc.data)).paragraphs]
    assert any("签字" in p for p in paragraphs)
    await world.say("zhangsan", "导出申请表 @某某发布")  # filed before the system: no application
    assert "无法导出申请表" in world.last_text("zhangsan")
    assert await AccountApplication.all().count() == 1


async def test_form2_docx_carries_the_filing_and_the_qr_code(world: World) -> None:
    from tests.handlers.test_registry import approved_account

    await approved_account(world)
    png = tiny_png()
    await world.say("zhangsan", "备案 @某某微博")
    for answer in ("mouweibo", "2026-11-20", "1200"):
        await world.say("zhangsan", answer)
    await world.image("zhangsan", png)
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "form-filing-"), "提交")
    await world.tap("wangwu", world.channel.last_card("wangwu", "filing-"), "已备案")
    assert (await Account.get(name="某某微博")).status == AccountStatus.OPERATING
    await world.say("lisi", "导出备案表 @某某微博")
    docx = DocxDocument(io.BytesIO(sent_document(world, "lisi").data))
    cells = dict((r.cells[0].text, r.cells[1].text) for r in docx.tables[0].rows)
    assert (cells["账号ID"], cells["创建时间"], cells["关注人数"]) == ("mouweibo", "2026-11-20", "1200")
    assert len(docx.inline_shapes) == 1  # the QR code


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
    assert ws is not None and [c.value for c in ws[2]][4] == "未提交"
    assert main(["export", "form2", "--account", "某某发布", "--out", str(tmp_path / "f.docx")]) == 0
    assert DocxDocument(str(tmp_path / "f.docx")).tables[0].rows[1].cells[1].text == "某某发布"
