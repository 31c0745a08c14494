"""``词库 添加|删除|列出 <级别> <词>`` (Art. 13, 15): the Information Center keeps the screening
word lists from chat; the same files can be edited on disk. Imports no channel."""

from __future__ import annotations

from bot import audit, texts
from bot.events import TextMessage
from bot.router import Ctx, Deps, Router
from bot.screening import Level
from handlers.registry import is_ic_admin

router = Router(name=__name__)
ACTIONS = {"添加": "add", "add": "add", "删除": "remove", "remove": "remove", "列出": "list", "list": "list"}


@router.command(*texts.CMD_WORDS)
async def on_words(ctx: Ctx[TextMessage], deps: Deps) -> None:
    if not await is_ic_admin(ctx.person):
        await ctx.reply(texts.ONLY_INFO_CENTER_WORDS)
        return
    parts = ctx.args.split()
    action = ACTIONS.get(parts[0]) if parts else None
    level = texts.LEVEL_WORDS.get(parts[1]) if len(parts) > 1 else None
    if action is None or level is None or (action != "list" and len(parts) < 3):
        await ctx.reply(texts.WORDS_USAGE)
        return
    lists = deps.wordlists
    if action == "list":
        await ctx.reply(texts.words_list(level, lists.words(Level(level))))
        return
    word = " ".join(parts[2:])[:64]
    changed = lists.add(Level(level), word) if action == "add" else lists.remove(Level(level), word)
    if changed:
        await audit.record(ctx.person.code, f"words_{action}", level, {"word": word}, now=ctx.now)
    await ctx.reply(texts.words_changed(action, level, word, changed))
