"""The local chat simulator: the names of its pseudo-people and group chats, and its refusals
(shown as a notice on the page); and the demo's replayed weeks (``bot.demo``).
"""

from __future__ import annotations

from bot.texts.commands import CMD_DRAFT, CMD_INQUIRY, CMD_PUBLISHED, CMD_REVIEW
from bot.texts.inquiries import FROM_WORD

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


# The demo's replayed weeks (bot.demo): what its people write. The accounts are those of
# examples/org.yaml; the commands and buttons are the ones people use (CMD_*, BUTTON_*).
DEMO_ACCOUNT_NEWS = "某某发布"
DEMO_ACCOUNT_HEADLINES = "某某头条"
DEMO_ACCOUNT_SERVICE = "某某服务"
DEMO_POST_NEWS = ("本周服务信息（{days}）", "办事大厅开放时间与近期服务事项。")  # (title, body)
DEMO_POST_HEADLINES = ("工作动态（{days}）", "本单位近期工作动态。")
DEMO_POST_SERVICE = ("办事指南更新（{days}）", "办事指南已更新，请以最新版本为准。")
DEMO_POST_PENDING = ("冬季安全提示", "冬季用电用火安全提示。")
DEMO_INQUIRY = "办事大厅周六开门吗？"
DEMO_INQUIRY_SOURCE = "电话"


def demo_draft(account: str, title: str, body: str) -> str:
    return f"{CMD_DRAFT[0]} @{account} 1 {title}\n{body}"


def demo_published(ref: str, url: str) -> str:
    return f"{CMD_PUBLISHED[0]} {ref} {url}"


def demo_review(account: str, year: int, passed: bool) -> str:
    report = "按时发布，无逾期咨询。" if passed else "坚持先审后发，群众留言均已答复。"
    return f"{CMD_REVIEW[0]} @{account} {year}年度运行情况：{report}"


def demo_inquiry(account: str) -> str:
    return f"{CMD_INQUIRY[0]} @{account} {DEMO_INQUIRY} {FROM_WORD} {DEMO_INQUIRY_SOURCE}"


# 通讯录变更 (issue 16): the simulator plays the address book's changes as a platform would send
# them; its refusals and the line the page shows after a click.
SIM_DIRECTORY_REQUIRED = "请选择通讯录变更的类型（离职、调岗或撤销部门）。"
SIM_DIRECTORY_PERSON_REQUIRED = "请选择发生变更的人员。"
SIM_DIRECTORY_DEPARTMENT_REQUIRED = "请选择部门。"
SIM_DIRECTORY_DUPLICATE = "这次通讯录变更已模拟过，已忽略。"


def sim_directory_no_person(code: str) -> str:
    return f"名单中没有在职人员「{code}」。"


def sim_directory_no_department(code: str) -> str:
    return f"没有部门「{code}」。"


def sim_directory_already_in(name: str, department: str) -> str:
    return f"{name}已在{department}，无需调岗。"


def sim_directory_left(name: str) -> str:
    return f"已模拟：{name}离职（通讯录）"


def sim_directory_moved(name: str, department: str) -> str:
    return f"已模拟：{name}调岗到{department}（通讯录）"


def sim_directory_removed(department: str) -> str:
    return f"已模拟：撤销部门「{department}」（通讯录）"


# 公众号后台直接发布 (issue 17): the simulator stands in for WeChat's publishing API
# (bot.channels.local.publisher). Someone publishes on the platform without the bot; the watch
# reads the account at once and reports it. Refusals, the line after a click, the article page.
SIM_PUBLISH_REQUIRED = "请选择微信公众号，并写下标题和正文。"
SIM_PUBLISH_OFF = "模拟器没有开启公众号发布模拟。"
SIM_PUBLISH_DUPLICATE = "这次发布已模拟过，已忽略。"
SIM_PUBLISH_LOST = "模拟器重启过，这个发布任务已不在模拟的公众号后台，请重新发布。"
SIM_ARTICLE_BY_BOT = "经助手审核后发布"
SIM_ARTICLE_BY_HAND = "公众号后台直接发布（未经助手审核）"
SIM_ARTICLE_NOTE = "本页由本地模拟器提供，模拟微信公众号上的文章；重启模拟器后不再保留。"


def sim_publish_title(limit: int) -> str:
    return f"请写下标题（1 到 {limit} 个字）。"


def sim_publish_text(limit: int) -> str:
    return f"请写下正文（1 到 {limit} 个字）。"


def sim_publish_unknown(name: str) -> str:
    return f"没有名为「{name}」的账号。"


def sim_publish_not_wechat(name: str) -> str:
    return f"「{name}」不是微信公众号：只有微信公众号可以模拟后台直接发布。"


def sim_publish_not_watched(name: str) -> str:
    return (f"「{name}」没有开通或已注销，或组织文件中没有它的 AppID 和 AppSecret："
            "助手看不到它在公众号后台发布的内容。")


def sim_published_by_hand(account: str, title: str, reported: int) -> str:
    seen = ("助手已发现：【未经审核发布】已通知部门负责人、主管领导和信息中心。" if reported
            else "助手已查看：它与已通过审核的稿件相符，不报告。")
    return f"已模拟：「{account}」在公众号后台直接发布了《{title}》。{seen}"
