"""The local chat simulator: the names of its pseudo-people and group chats, and its refusals
(shown as a notice on the page); and the demo's replayed weeks (``bot.demo``).
"""

from __future__ import annotations

STRANGER_NAME = "访客（不在名单）"
FOLLOWER_NAME = "公众号粉丝（演示）"


def group_chat_name(department: str) -> str:
    return f"{department}工作群"


SIM_FOLLOWER_NO_ACCOUNT = "没有可以留言的微信公众号。"
SIM_FOLLOWER_EMPTY = "请写下要留言的内容。"


def sim_follower_unknown(name: str) -> str:
    return f"没有名为「{name}」的账号。"


def sim_follower_not_wechat(name: str) -> str:
    return f"「{name}」不是微信公众号，粉丝不能在这里给它留言。"


# The simulator's refusals (shown to the person as a notice on the page).
SIM_PICK_PERSON = "请先选择以谁的身份聊天。"
SIM_BAD_NUMBERS = "after 和 wait 须为数字。"
SIM_FILE_REQUIRED = "请选择要发送的文件。"
SIM_NOT_JSON = "请求格式不对（须为 JSON）。"
SIM_FOLLOWER_REQUIRED = "请以公众号粉丝的身份写下留言。"
SIM_TAP_REQUIRED = "按钮数据缺失，请刷新页面后再试。"


def sim_text_length(limit: int) -> str:
    return f"消息须为 1 到 {limit} 个字符。"
