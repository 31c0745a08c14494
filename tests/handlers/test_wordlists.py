"""``词库`` edits (handlers.wordlists): the file keeps its comments, and the audit line and the file
change together — a write that fails leaves neither (the event's transaction rolls the audit line
back, the old file stays)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from bot import audit, texts
from bot.screening import Level, WordLists
from models import AuditEvent
from tests.conftest import World

NOTES = "# 拦截词库（信息中心）\n\n# 2024 年\n暴恐\n"


def folder(world: World) -> Path:
    return world.bot.deps.wordlists.folder


async def test_chat_edits_keep_the_comments_and_are_audited(world: World) -> None:
    folder(world).mkdir(parents=True, exist_ok=True)
    (folder(world) / "block.txt").write_text(NOTES, "utf-8")
    await world.say("wangwu", "词库 添加 拦截 赌博")
    assert world.last_text("wangwu") == texts.words_changed("add", "block", "赌博", True)
    assert (folder(world) / "block.txt").read_text("utf-8") == NOTES + "赌博\n"
    await world.say("wangwu", "词库 删除 拦截 暴恐")
    assert world.last_text("wangwu") == texts.words_changed("remove", "block", "暴恐", True)
    assert (folder(world) / "block.txt").read_text("utf-8") == "# 拦截词库（信息中心）\n\n# 2024 年\n赌博\n"
    await world.say("wangwu", "词库 添加 拦截 赌博")  # already listed: nothing written, nothing audited
    assert world.last_text("wangwu") == texts.words_changed("add", "block", "赌博", False)
    audited = await AuditEvent.filter(action__startswith="words_").order_by("id").values_list(
        "action", "subject", "detail")
    assert audited == [("words_add", "block", {"word": "赌博"}), ("words_remove", "block", {"word": "暴恐"})]


@pytest.mark.parametrize(("command", "action"), [
    ("词库 添加 拦截 赌博", "words_add"), ("词库 删除 拦截 暴恐", "words_remove"),
    ("词库 例外 添加 不得传播涉密信息", "words_allow_add"),
])
async def test_a_failed_write_leaves_no_audit_line_and_the_old_file(
        world: World, monkeypatch: pytest.MonkeyPatch, command: str, action: str) -> None:
    folder(world).mkdir(parents=True, exist_ok=True)
    (folder(world) / "block.txt").write_text(NOTES, "utf-8")
    replace = os.replace

    def refused(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(dst).parent == folder(world):
            raise OSError("read-only file system")
        replace(src, dst)

    monkeypatch.setattr(os, "replace", refused)
    await world.say("wangwu", command)
    assert world.last_text("wangwu") == texts.INTERNAL_ERROR
    assert not await AuditEvent.filter(action=action).exists()
    assert (folder(world) / "block.txt").read_text("utf-8") == NOTES
    assert sorted(p.name for p in folder(world).iterdir()) == ["block.txt"]
    monkeypatch.setattr(os, "replace", replace)
    await world.say("wangwu", command)  # once the disk takes it, the same command goes through
    assert await AuditEvent.filter(action=action).count() == 1


async def test_an_audit_line_that_cannot_be_written_leaves_the_file(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The audit line comes first: if it fails, the file was never touched."""
    folder(world).mkdir(parents=True, exist_ok=True)
    (folder(world) / "block.txt").write_text(NOTES, "utf-8")

    async def refused(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit down")

    monkeypatch.setattr(audit, "record", refused)
    await world.say("wangwu", "词库 添加 拦截 赌博")
    assert world.last_text("wangwu") == texts.INTERNAL_ERROR
    assert (folder(world) / "block.txt").read_text("utf-8") == NOTES


async def test_the_file_is_written_off_the_event_loop(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[int] = []
    write = WordLists._write

    def recording(self: WordLists, level: Level | str, text: str) -> None:
        threads.append(threading.get_ident())
        write(self, level, text)

    monkeypatch.setattr(WordLists, "_write", recording)
    await world.say("wangwu", "词库 添加 拦截 赌博")
    await world.say("wangwu", "词库 例外 删除 不存在的短语")  # nothing to change: nothing written
    await world.say("wangwu", "词库 删除 拦截 赌博")
    assert len(threads) == 2 and threading.get_ident() not in threads
