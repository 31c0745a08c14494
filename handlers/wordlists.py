"""``词库`` (Art. 13, 15): the Information Center keeps the screening word lists from chat; the
same files can be edited on disk (``bot.screening``). Imports no channel.

- ``词库 添加|删除 拦截|复核|提示 词`` (English level names too: block, review, hint);
- ``词库 列出 [级别]`` — the lists, the built-in classified markings first (they always block and
  cannot be removed: they are the rule of Art. 13, not the Information Center's choice);
- ``词库 例外 添加|删除|列出 短语`` — a phrase that contains a marking or a listed word and is
  allowed (不得传播涉密信息 in an article about 保密宣传). Refused when the phrase contains
  nothing the screening would flag: an exception that does nothing is only noise.

Every change is audited with who made it (Art. 14). The file is written after the audit line,
inside the event's transaction, and atomically (``WordLists``): a write that fails raises, and
the transaction takes the audit line back with it, so the trail never records a change the file
does not hold. The write (a temporary file, fsync, rename) runs off the event loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bot import audit, texts
from bot.deps import Deps
from bot.events import TextMessage
from bot.router import Ctx, Router
from bot.screening import ALLOW, MARKINGS, Level, Screener
from models.org import is_info_center_admin

router = Router(name=__name__)
MAX_WORD = 64


@router.command(*texts.CMD_WORDS)
async def on_words(ctx: Ctx[TextMessage], deps: Deps) -> None:
    if not await is_info_center_admin(ctx.person):
        await ctx.reply(texts.ONLY_INFO_CENTER_WORDS)
        return
    parts = ctx.args.split()
    if parts and parts[0] in texts.WORDS_EXCEPTION:
        await _exceptions(ctx, deps, parts[1:])
        return
    action = texts.WORDLIST_ACTIONS.get(parts[0]) if parts else None
    lists = deps.wordlists
    if action == "list" and len(parts) == 1:  # every level, and the exceptions
        await ctx.reply("\n".join([
            *(texts.words_list(lv.value, lists.words(lv), MARKINGS if lv == Level.BLOCK else ())
              for lv in Level), texts.words_exceptions(lists.words(ALLOW))]))
        return
    level = texts.LEVEL_WORDS.get(parts[1]) if len(parts) > 1 else None
    if action is None or level is None or (action != "list" and len(parts) < 3):
        await ctx.reply(texts.WORDS_USAGE)
        return
    if action == "list":
        await ctx.reply(texts.words_list(level, lists.words(Level(level)),
                                         MARKINGS if level == Level.BLOCK.value else ()))
        return
    word = " ".join(parts[2:])[:MAX_WORD]
    if action == "remove" and word in MARKINGS and word not in lists.words(Level(level)):
        await ctx.reply(texts.words_builtin(word))
        return
    changed = await _edit(ctx, deps, Level(level), word, action, f"words_{action}", {"word": word})
    await ctx.reply(texts.words_changed(action, level, word, changed))


async def _exceptions(ctx: Ctx[TextMessage], deps: Deps, parts: list[str]) -> None:
    lists = deps.wordlists
    action = texts.WORDLIST_ACTIONS.get(parts[0]) if parts else None
    if action == "list":
        await ctx.reply(texts.words_exceptions(lists.words(ALLOW)))
        return
    if action is None or len(parts) < 2:
        await ctx.reply(texts.WORDS_USAGE)
        return
    phrase = " ".join(parts[1:])[:MAX_WORD]
    if action == "add":
        # Screened with today's lists and no exception: would anything in it be flagged?
        flagged = Screener({lv: lists.words(lv) for lv in Level}).screen(phrase)
        if not flagged:
            await ctx.reply(texts.words_exception_useless(phrase))
            return
    changed = await _edit(ctx, deps, ALLOW, phrase, action, f"words_allow_{action}", {"phrase": phrase})
    await ctx.reply(texts.words_exception_changed(action, phrase, changed))


async def _edit(ctx: Ctx[TextMessage], deps: Deps, level: Level | str, word: str, action: str,
                audited: str, detail: dict[str, Any]) -> bool:
    """Add or remove ``word`` in the list of ``level``: the audit line first, then the file.
    False (and neither) when there is nothing to change. A failed write raises: the event's
    transaction rolls the audit line back and the old file stays."""
    lists = deps.wordlists
    listed = word in lists.words(level)
    if listed == (action == "add"):
        return False
    subject = level.value if isinstance(level, Level) else level
    await audit.record(ctx.person.code, audited, subject, detail, now=ctx.now)
    # Read again under the audit's lock (PostgreSQL's advisory lock, SQLite's one writer): the
    # file written is the latest one plus this change, whoever else edits the list meanwhile.
    await asyncio.to_thread(lists.add if action == "add" else lists.remove, level, word)
    return True
