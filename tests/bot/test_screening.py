"""Content screening (Art. 13): markings and their variants, near-misses, the three levels end to
end, list edits by chat and on disk, the built-in markings shown, exceptions for false positives."""

from __future__ import annotations

import pytest

from bot import texts
from bot.screening import ALLOW, MARKINGS, Level, Screener, WordLists
from models import Decision, Draft, DraftStatus
from tests.conftest import World


@pytest.mark.parametrize("text", [
    "本文件为机密，请勿外传", "绝密★启用前", "秘密★1年", "内部★", "內部資料", "機 密", "不 得 外 傳",
    "ｍｉｍｉ 机　密", "涉密人员名单", "【絕密】",
])
def test_markings_and_their_variants_are_caught(text: str) -> None:
    hits = Screener().screen(text)
    assert hits and all(h.level == Level.BLOCK for h in hits), text
    assert "【" in hits[0].context


@pytest.mark.parametrize("text", [
    "这不是秘密，欢迎大家来参观。", "加强内部管理，提升服务质量。", "机械密封件采购公告",
    "秘书处通知", "内部装修已完成",
])
def test_near_misses_are_not_flagged(text: str) -> None:
    assert Screener().screen(text) == []


def test_lists_by_level_and_the_strictest_level_wins() -> None:
    s = Screener({Level.REVIEW: ["拆迁"], Level.HINT: ["网红", "拆迁"], Level.BLOCK: ["暴恐"]})
    levels = {h.word: h.level for h in s.screen("网红打卡，拆迁补偿，暴 恐")}
    assert levels == {"网红": Level.HINT, "拆迁": Level.REVIEW, "暴恐": Level.BLOCK}


def test_files_are_reloaded_when_they_change(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lists = WordLists(tmp_path)
    assert lists.screener().screen("征地拆迁") == []
    (tmp_path / "review.txt").write_text("# 复核\n拆迁\n", "utf-8")
    assert [h.word for h in lists.screener().screen("征地拆迁")] == ["拆迁"]
    assert lists.add(Level.REVIEW, "补偿") and not lists.add(Level.REVIEW, "补偿")
    assert lists.words(Level.REVIEW) == ["拆迁", "补偿"]
    assert lists.remove(Level.REVIEW, "拆迁") and not lists.remove(Level.REVIEW, "拆迁")
    assert [h.word for h in lists.screener().screen("征地拆迁补偿")] == ["补偿"]


async def submit(world: World, text: str) -> Draft:
    await world.say("zhangsan", f"投稿 @某某发布 1 {text}")
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "pv-"), "提交审核")
    return await Draft.get()


async def test_a_classified_marking_never_reaches_the_approver(world: World) -> None:
    draft = await submit(world, "通知\n本文件为机密，请勿外传。")
    assert draft.status == DraftStatus.COMPOSING
    assert world.last_text("zhangsan") == texts.draft_blocked("D1", ["机密"])
    assert world.channel.cards_to("lisi") == []
    assert any(t.startswith("【拦截】张三 为「某某发布」提交的稿件 D1") for t in world.texts("wangwu"))
    await world.say("zhangsan", "修改 D1 通知\n本单位开放日安排。")  # a new version, screened again
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "pv-"), "提交审核")
    assert (await Draft.get()).status == DraftStatus.PENDING


async def test_review_words_are_highlighted_and_need_a_second_tap(world: World) -> None:
    world.bot.deps.wordlists.add(Level.REVIEW, "拆迁")
    world.bot.deps.wordlists.add(Level.HINT, "网红")
    await submit(world, "通知\n网红街区拆迁补偿方案公示。")
    card = world.channel.last_card("lisi", "ap-")
    assert card.highlights[0].startswith("⚠ 需复核「拆迁」：") and "【拆迁】" in card.highlights[0]
    assert any(h.startswith("提示「网红」") for h in card.highlights)
    await world.tap("lisi", card, "通过")
    assert await Decision.all().count() == 0  # not yet: a confirmation first
    confirm = world.channel.last_card("lisi", "apc-")
    await world.tap("lisi", confirm, "确认通过")
    assert (await Draft.get()).status == DraftStatus.APPROVED


async def test_word_lists_by_chat_for_the_information_center_only(world: World) -> None:
    await world.say("zhangsan", "词库 添加 block 暴恐")
    assert world.last_text("zhangsan") == texts.ONLY_INFO_CENTER_WORDS
    await world.say("wangwu", "词库 添加 拦截 暴恐")
    assert world.last_text("wangwu") == texts.words_changed("add", "block", "暴恐", True)
    await world.say("wangwu", "词库 列出 block")
    listed = world.last_text("wangwu")
    assert listed == texts.words_list("block", ["暴恐"], MARKINGS)
    assert "内置" in listed and "涉密" in listed and listed.endswith("拦截词库（1 个）：暴恐")
    await world.say("wangwu", "词库 乱来")
    assert world.last_text("wangwu") == texts.WORDS_USAGE
    draft = await submit(world, "标题\n暴恐内容")
    assert draft.status == DraftStatus.COMPOSING
    await world.say("wangwu", "词库 删除 block 暴恐")
    assert world.last_text("wangwu") == texts.words_changed("remove", "block", "暴恐", True)


async def test_writing_hints_on_the_preview(world: World) -> None:
    await world.say("zhangsan", "投稿 @某某发布 1 只有一行没有配图")
    preview = world.channel.last_card("zhangsan", "pv-")
    assert preview.highlights == (texts.HINT_NO_IMAGE, texts.HINT_NO_TITLE)
    await world.image("zhangsan", b"img")
    state = world.channel.card_state("zhangsan", preview.card_id)
    assert texts.HINT_NO_IMAGE not in state.highlights


async def test_text_inside_a_docx_attachment_is_screened(world: World) -> None:
    import io

    from docx import Document as DocxDocument

    doc = DocxDocument()
    doc.add_paragraph("附件正文：内部资料，注意保管")
    data = io.BytesIO()
    doc.save(data)
    await world.say("zhangsan", "投稿 @某某发布 1 标题\n正文")
    await world.file("zhangsan", data.getvalue(), "附件.docx")
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "pv-"), "提交审核")
    assert world.last_text("zhangsan") == texts.draft_blocked("D1", ["内部资料"])


def test_an_exception_allows_its_phrase_and_nothing_else() -> None:
    s = Screener({Level.REVIEW: ["拆迁"]}, ["不得传播涉密信息", "拆迁 政策解读"])
    assert s.screen("各单位不得传播涉密信息。") == []
    assert s.screen("各单位不 得 传 播 涉 密 信 息。") == []  # normalised like the words
    # The same marking elsewhere in the text is still caught, once, in its own place.
    hits = s.screen("不得传播涉密信息；附件为涉密文件。")
    assert [(h.word, h.level) for h in hits] == [("涉密", Level.BLOCK)] and "【涉密】文件" in hits[0].context
    assert s.screen("拆迁政策解读") == [] and [h.word for h in s.screen("拆迁补偿")] == ["拆迁"]
    assert [h.word for h in Screener().screen("不得传播涉密信息")] == ["涉密"]  # without it


async def test_a_false_positive_gets_an_exception_by_chat_and_the_markings_stay(world: World) -> None:
    """Issue 14: a draft about 保密宣传 was blocked for 涉密 with no way out. The Information
    Center sees the built-in markings, cannot remove one, and adds an exception instead."""
    text = "保密宣传\n请大家牢记：不得在互联网上传播涉密信息。"
    assert (await submit(world, text)).status == DraftStatus.COMPOSING  # blocked
    await world.say("wangwu", "词库 删除 拦截 涉密")
    assert world.last_text("wangwu") == texts.words_builtin("涉密")
    await world.say("wangwu", "词库 例外 添加 普通说法")
    assert world.last_text("wangwu") == texts.words_exception_useless("普通说法")
    phrase = "不得在互联网上传播涉密信息"
    await world.say("zhaoliu", f"词库 例外 添加 {phrase}")
    assert world.last_text("zhaoliu") == texts.words_exception_changed("add", phrase, True)
    assert world.bot.deps.wordlists.words(ALLOW) == [phrase]
    await world.say("wangwu", "词库 列出")
    assert "例外（1 个" in world.last_text("wangwu") and "内置涉密标志" in world.last_text("wangwu")
    await world.say("zhangsan", "修改 D1 " + text)
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "pv-"), "提交审核")
    assert (await Draft.get()).status == DraftStatus.PENDING
    from models import AuditEvent

    row = await AuditEvent.filter(action="words_allow_add").get()
    assert (row.actor, row.detail) == ("zhaoliu", {"phrase": "不得在互联网上传播涉密信息"})
    await world.say("zhangsan", "词库 例外 添加 机密文件")
    assert world.last_text("zhangsan") == texts.ONLY_INFO_CENTER_WORDS


LIST_WITH_NOTES = "# 复核词库：信息中心维护\n\n拆迁\n# 2024 年加的\n征地\n\n"


def test_edits_keep_comments_blank_lines_and_line_endings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lists = WordLists(tmp_path)
    (tmp_path / "review.txt").write_text(LIST_WITH_NOTES, "utf-8")
    assert lists.add(Level.REVIEW, "补偿")
    assert (tmp_path / "review.txt").read_text("utf-8") == LIST_WITH_NOTES + "补偿\n"
    assert lists.remove(Level.REVIEW, "拆迁")
    assert (tmp_path / "review.txt").read_text("utf-8") == (
        "# 复核词库：信息中心维护\n\n# 2024 年加的\n征地\n\n补偿\n")
    assert lists.words(Level.REVIEW) == ["征地", "补偿"]
    # A file saved on Windows keeps its CRLF; one without a final newline gets one first.
    (tmp_path / "hint.txt").write_bytes("# 提示\r\n网红".encode())
    assert lists.add(Level.HINT, "打卡")
    assert (tmp_path / "hint.txt").read_bytes() == "# 提示\r\n网红\r\n打卡\r\n".encode()
    assert lists.remove(Level.HINT, "网红")
    assert (tmp_path / "hint.txt").read_bytes() == "# 提示\r\n打卡\r\n".encode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hint.txt", "review.txt"]  # no temporary left


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import os

    lists = WordLists(tmp_path)
    (tmp_path / "review.txt").write_text(LIST_WITH_NOTES, "utf-8")

    def refused(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refused)
    with pytest.raises(OSError, match="disk full"):
        lists.add(Level.REVIEW, "补偿")
    with pytest.raises(OSError, match="disk full"):
        lists.remove(Level.REVIEW, "拆迁")
    assert (tmp_path / "review.txt").read_text("utf-8") == LIST_WITH_NOTES
    assert [p.name for p in tmp_path.iterdir()] == ["review.txt"]
