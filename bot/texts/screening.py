"""Content screening (Art. 9, 13): the preview's hints, the word lists (词库) and their
maintenance, a blocked draft and who hears of it, and the second confirmation a review-level hit asks.
"""

from __future__ import annotations

from datetime import datetime

from bot.texts.common import hm

HINT_NO_IMAGE = "提示：还没有配图，发布信息尽量图文并茂（《管理办法》第九条），可以再发一张图片。"
HINT_NO_TITLE = "提示：建议第一行写标题，换行后写正文。"
HINT_LONG_PARAGRAPH = "提示：有的段落很长，内容应简洁、表达清晰，可以分段。"
BUTTON_CONFIRM = "确认通过"
CONFIRM_BODY = "这篇稿件含有需要注意的词语（见下），请确认内容无误后再点【确认通过】。"
WORDS_USAGE = ("词库命令（信息中心）：\n"
               "词库 添加|删除 拦截|复核|提示 词语 — 拦截：不能送审；复核：负责人须再次确认；提示：仅提醒\n"
               "词库 列出 [拦截|复核|提示] — 查看词库（含内置的涉密标志）\n"
               "词库 例外 添加|删除 短语 — 含敏感词但可以使用的说法，如“不得传播涉密信息”；词库 例外 列出")
LEVEL_NAMES = {"block": "拦截", "review": "复核", "hint": "提示"}
LEVEL_WORDS = {"block": "block", "拦截": "block", "禁止": "block", "review": "review", "复核": "review",
               "hint": "hint", "提示": "hint"}
WORDS_EXCEPTION = ("例外", "allow")
ONLY_INFO_CENTER_WORDS = "词库只能由信息中心管理员维护。"


def confirm_title(ref: str) -> str:
    return f"确认通过 {ref}"


def screening_note(level: str, word: str, context: str) -> str:
    mark = "⚠ 需复核" if level == "review" else "提示"
    return f"{mark}「{word}」：{context}"


def draft_blocked(ref: str, words: list[str]) -> str:
    return (f"稿件 {ref} 含有不得发布的内容：{'、'.join(words)}（《管理办法》第十三条：涉密信息不得发布）。"
            f"稿件没有送审，请删改后发送“修改 {ref} 新正文”。信息中心已知悉。")


def blocked_to_ic(ref: str, account: str, author: str, words: list[str]) -> str:
    return f"【拦截】{author} 为「{account}」提交的稿件 {ref} 含有：{'、'.join(words)}，已拦截，未送审。"


def words_changed(action: str, level: str, word: str, changed: bool) -> str:
    name = LEVEL_NAMES.get(level, level)
    if not changed:
        return f"「{word}」{'已在' if action == 'add' else '不在'}{name}词库中。"
    return f"已{'加入' if action == 'add' else '移出'}{name}词库：「{word}」，立即生效。"


def words_list(level: str, words: list[str], builtin: tuple[str, ...] = ()) -> str:
    name = LEVEL_NAMES.get(level, level)
    line = f"{name}词库（{len(words)} 个）：" + ("、".join(words) if words else "空")
    if builtin:
        line = (f"{name}·内置涉密标志（{len(builtin)} 个，始终拦截，不能删除；误拦可加例外）："
                f"{'、'.join(builtin)}\n" + line)
    return line


def words_builtin(word: str) -> str:
    return (f"「{word}」是内置的涉密标志，始终拦截，不能删除（《管理办法》第十三条）。"
            f"如果某个含“{word}”的说法是正常用语，可以加为例外，例如：词库 例外 添加 不得传播{word}信息")


def words_exceptions(phrases: list[str]) -> str:
    listed = "、".join(phrases) if phrases else "空"
    return f"例外（{len(phrases)} 个，其中的词不再拦截或提示）：{listed}"


def words_exception_changed(action: str, phrase: str, changed: bool) -> str:
    if not changed:
        return f"「{phrase}」{'已是' if action == 'add' else '不是'}例外。"
    return (f"已{'加为例外' if action == 'add' else '取消例外'}：「{phrase}」，立即生效"
            f"{'；其中的词不再拦截或提示，同一个词出现在别处仍照常处理' if action == 'add' else ''}。")


def words_exception_useless(phrase: str) -> str:
    return f"「{phrase}」里没有会被拦截、复核或提示的词，无需加为例外。"


def blocked_to_leader(ref: str, account: str, author: str, words: list[str]) -> str:
    """To the account's 主管领导 (Art. 13, 14): classified content stopped before approval."""
    return (f"【拦截】你是「{account}」的主管领导：{author} 提交的稿件 {ref} 含有不得发布的内容："
            f"{'、'.join(words)}（《管理办法》第十三条：涉密信息不得发布），已拦截，未送审。"
            f"信息中心已知悉；请关注账号的内容审核（第十四条）。")


OUTCOME_BLOCKED = "已拦截"
OUTCOME_CONFIRM_USED = "已处理"


def card_blocked(at: datetime) -> str:
    return f"已拦截 · 未送审 · {hm(at)}"


def blocked_note(word: str, context: str) -> str:
    return f"⛔ 拦截「{word}」：{context}"


def blocked_help(ref: str, admins: list[str]) -> str:
    who = "、".join(admins) if admins else "信息中心"
    return (f"本稿没有送审。请删改后发送“修改 {ref} 新正文”，或发送“撤回 {ref}”放弃。"
            f"如认为是误拦截（例如保密宣传中正当提到的词），请联系信息中心（{who}）："
            f"核实后可在词库中为这句话添加例外，你再发送“修改 {ref} 原正文”重新提交。")


def confirm_used_status(at: datetime) -> str:
    return f"已处理 · {hm(at)}"


# 词库's verbs (English aliases too).
WORDLIST_ACTIONS = {"添加": "add", "add": "add", "删除": "remove", "remove": "remove", "列出": "list",
                    "list": "list"}
