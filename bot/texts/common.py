"""Shared by every domain module: the names of categories, statuses, platforms and roles; time
formats (``hm``, ``md``, ``md_hm``) and ``bare`` for a quoted reason; how a closed card's title reads
(``closed_title``); and what any conversation may hear whatever its subject (a stranger, a message
type the bot cannot read, an error, a stale button, a delivery that failed).
"""

from __future__ import annotations

import re
from datetime import date, datetime

CATEGORY_NAMES = {
    "1": "动态服务",
    "2": "形象文化",
    "3": "领导批准",
    "4": "工作需要",
}
CATEGORY_DESCRIPTIONS = {
    "1": "动态信息、宣传教育、服务信息、重要事项和行业动态",
    "2": "形象宣传、文化建设、公益活动",
    "3": "经领导批准发布的信息",
    "4": "结合工作需要认定需要发布或转发的信息",
}
PLATFORM_NAMES = {"wechat": "微信公众号", "toutiao": "头条号", "weibo": "微博", "app": "移动客户端"}
STATUS_NAMES = {
    "composing": "待提交",
    "pending": "待审核",
    "approved": "已通过",
    "rejected": "已驳回",
    "withdrawn": "已撤回",
    "cancelled": "已取消",
    "published": "已发布",
}
ACCOUNT_STATUS_NAMES = {
    "applied": "申请中",
    "approved": "已批准未开通",
    "unfiled": "已开通待备案",
    "operating": "运行中",
    "must_stop": "须停止运行",
    "suspended": "已暂停",
    "closed": "已注销",
}


def bare(reason: str) -> str:
    """A reason as said, without its closing punctuation: the sentence around it has its own
    (“理由：……要求。” not “要求。。”)."""
    return re.sub(r"[。．.；;，,、！!\s]+$", "", reason)


def hm(at: datetime) -> str:
    return at.strftime("%H:%M")


def md(at: date) -> str:
    """A date as people write it: 12月3日 (no leading zeros); a datetime is a date too."""
    return f"{at.month}月{at.day}日"


def category_label(code: str | None) -> str:
    return f"{code} {CATEGORY_NAMES[code]}" if code in CATEGORY_NAMES else "未选择"


UNSUPPORTED_KINDS = {"voice": "语音", "video": "视频", "location": "位置", "shortvideo": "小视频"}


def unsupported_message(what: str) -> str:
    name = UNSUPPORTED_KINDS.get(what, "这类")
    return f"暂时不能处理{name}消息。请发送文字；稿件的配图、附件和链接可以直接发送。"


NOT_IN_ORG = "你还不在本单位新媒体管理名单中，无法使用本助手。请联系信息中心登记。"
INTERNAL_ERROR = "处理这条消息时出错了，已记录。请稍后再试；如仍有问题请联系信息中心。"
NO_CHANNEL_FOR_RECIPIENT = "没有可以送达该收件人的渠道"
RECIPIENT_LEFT = "收件人已离职（不在组织中），消息不再发送"
EXPIRED_BUTTON = "这个按钮已失效，请按最新的卡片操作。"
NOT_YOUR_CARD = "这张卡片不是发给你的，无法操作。"
FIELD_ACCOUNT = "账号"
NO_TITLE = "（无标题）"
SKIP_WORDS = frozenset({"跳过", "skip", "无"})


def dead_letter_notice(row_id: int, what: str, error: str) -> str:
    return (
        f"【投递失败】消息 #{row_id}（{what}）多次发送失败，已停止重试。\n"
        f"原因：{error[:200]}\n请检查渠道配置或收件人的账号绑定。"
    )


CANCEL_WORDS = frozenset({"取消", "cancel", "退出"})
NONE_WORDS = frozenset({"无", "没有", "none", "-", "跳过", "skip", "稍后补", "稍后", "以后补", "暂无"})
ROLE_NAMES = {"leader": "负责人", "admin": "管理员"}


def md_hm(at: datetime) -> str:
    """11月27日 14:05 (local time, no leading zero on month and day)."""
    return f"{at.month}月{at.day}日 {at:%H:%M}"


NO_REPORT_STOP = "未按期提交年审报告"  # how an empty Account.stop_reason reads (no report by the deadline)


def closed_title(subject: str, outcome: str) -> str:
    """A decided card's title: what it was about and how it ended (稿件 D-12：已通过)."""
    return f"{subject}：{outcome}"
CARD_CLOSED_STATUS = "已处理"  # a closed card's grey label when its closing names no outcome (WeCom)
