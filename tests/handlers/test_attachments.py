"""What of an attachment is screened (Art. 13), and that reading a .docx runs off the event loop
and outside any transaction: ``docx_text`` reads paragraphs and table cells of a real .docx, the
inbox reads a file's text in a worker thread before the event's transaction and the attachment
keeps it, ``screened_text`` joins it with the text and file names (a .docx that is not one is
screened by its name only; a row from before the text was kept is read then), and 提交审核 calls
it through ``asyncio.to_thread``."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from typing import Any

import pytest
from docx import Document as DocxDocument

from bot import screening, texts
from bot.draft_cards import load_view
from handlers import attachments, submission
from models import Attachment, Draft, DraftStatus
from tests.conftest import World


def small_docx(paragraph: str, cell: str) -> bytes:
    doc = DocxDocument()
    doc.add_paragraph(paragraph)
    doc.add_table(rows=1, cols=2).cell(0, 1).text = cell
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_docx_text_reads_paragraphs_then_table_cells() -> None:
    text = screening.docx_text(small_docx("第一段：供暖安排", "表格里的电话"))
    assert "第一段：供暖安排" in text and "表格里的电话" in text
    assert text.index("第一段：供暖安排") < text.index("表格里的电话")


def test_docx_text_refuses_what_is_not_a_docx() -> None:
    with pytest.raises(Exception):  # noqa: B017 -- python-docx raises several kinds
        screening.docx_text(b"PK not really a zip")


async def test_screened_text_holds_the_text_the_names_and_the_docx_inside(world: World) -> None:
    await world.say("zhangsan", "投稿 @某某发布 1 标题\n正文")
    await world.file("zhangsan", small_docx("附件段落", "附件表格"), "说明.docx")
    await world.file("zhangsan", b"PK broken", "坏文件.docx")
    await world.file("zhangsan", "纯文本内容".encode(), "备注.txt")
    view = await load_view(await Draft.get(id=1))
    lines = attachments.screened_text(view).split("\n")
    assert lines[:2] == ["标题", "正文"]
    for expected in ("说明.docx", "附件段落", "附件表格", "坏文件.docx", "备注.txt", "纯文本内容"):
        assert expected in lines


async def test_submitting_reads_the_attachments_in_a_worker_thread(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The .docx is parsed through ``asyncio.to_thread`` (a recording wrapper around the real one)
    when it arrives, screening runs there too, and what was read is what screening blocked."""
    calls: list[Callable[..., Any]] = []
    real = asyncio.to_thread

    async def recording(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        calls.append(func)
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(submission.asyncio, "to_thread", recording)
    await world.say("zhangsan", "投稿 @某某发布 1 标题\n正文")
    await world.file("zhangsan", small_docx("附件正文", "内部资料，注意保管"), "附件.docx")
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "pv-"), "提交审核")
    # the file's text when it arrived (bot.inbound), then the screening at 提交审核
    assert calls == [screening.readable_text, attachments.screened_text]
    assert world.last_text("zhangsan") == texts.draft_blocked("D1", ["内部资料"])
    assert (await Draft.get(id=1)).status == DraftStatus.COMPOSING


async def test_a_files_text_is_read_in_a_thread_before_the_transaction_and_kept(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from tortoise import connections

    import bot.inbound

    seen: list[tuple[str, bool]] = []
    real = screening.readable_text

    def recording(name: str, data: bytes) -> str | None:
        seen.append((type(connections.get("default")).__name__,
                     threading.current_thread() is threading.main_thread()))
        return real(name, data)

    monkeypatch.setattr(bot.inbound, "readable_text", recording)
    await world.say("zhangsan", "投稿 @某某发布 1 标题\n正文")
    await world.file("zhangsan", small_docx("附件段落", "附件表格"), "说明.docx")
    await world.file("zhangsan", b"\x89PNG", "logo.png")
    assert len(seen) == 2 and all("Transaction" not in kind and not main for kind, main in seen), seen
    kept = {a.name: a.text for a in await Attachment.all()}
    assert kept == {"说明.docx": "附件段落\n\n附件表格", "logo.png": None}


async def test_a_row_from_before_the_text_was_kept_is_still_screened(world: World) -> None:
    await world.say("zhangsan", "投稿 @某某发布 1 标题\n正文")
    await world.file("zhangsan", small_docx("旧附件段落", "旧表格"), "旧.docx")
    await Attachment.filter(name="旧.docx").update(text=None)  # as a row written before 0010
    view = await load_view(await Draft.get(id=1))
    assert "旧附件段落" in attachments.screened_text(view).split("\n")
