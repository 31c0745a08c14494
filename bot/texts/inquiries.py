"""Inquiries from the public (Art. 12): registering, claiming, promising a reply deadline,
answering, the reminder ladder to officers, head and Information Center, 咨询统计, and what a
WeChat follower is told (the passive acknowledgement, the promised date).
"""

from __future__ import annotations

from datetime import datetime

from bot.texts.common import ACCOUNT_STATUS_NAMES, hm, md, md_hm

FROM_WORD = "来自"
INQUIRY_USAGE = ("登记咨询：咨询 @账号 咨询内容 来自 渠道或称呼，"
                 "例如：咨询 @某某发布 供暖什么时候开始？来自 微博网友")
REPLY_USAGE = "答复格式：回复 Q7 答复内容"
INQUIRY_CARD_TITLE = "群众咨询"
FIELD_SOURCE = "来源"
FIELD_RECEIVED = "收到"
FIELD_OWNER = "承办人"
FIELD_DUE = "承诺答复"
UNCLAIMED = "未认领"
BUTTON_CLAIM = "认领"
BUTTON_COMMIT = "承诺时限"
BUTTON_ANSWERED = "已回复"
COMMIT_HINT = ("承诺在几个工作日内答复？也可以直接回复日期，如 12月3日"
               "（《管理办法》第十二条：不能即时回复的，应承诺答复期限）")
BAD_DUE_DATE = "没看懂这个日期。请回复如 12月3日 或 2026-12-03 的日期（不早于今天），或点上面的按钮。"


def source_name(source: str, asker: str) -> str:
    """Where an inquiry came from. A WeChat follower is known only by an openid (28 characters
    that mean nothing to a person): shown as 关注者 with its last four, enough to see that two
    questions came from the same follower."""
    if source.startswith("wechat"):
        return f"公众号留言 · 关注者（尾号 {asker[-4:]}）" if asker else "公众号留言"
    kind = {"chat": "登记"}.get(source, source.removeprefix("api:"))
    return f"{kind} · {asker}" if asker else kind


def inquiry_account_not_live(name: str, status: str) -> str:
    return (f"账号「{name}」当前状态为「{ACCOUNT_STATUS_NAMES.get(status, status)}」，"
            f"不在平台上运行，不能登记它的群众咨询。")


def inquiry_registered(ref: str, account: str) -> str:
    return f"已登记咨询 {ref}（「{account}」），已发给本部门信息员认领。"


def inquiry_not_yours(ref: str) -> str:
    return f"咨询 {ref} 由所属部门的信息员和负责人办理。"


def inquiry_answered_already(ref: str, name: str, at: datetime) -> str:
    return f"咨询 {ref} 已由 {name} 于 {md_hm(at)} 答复，无需再答。"


def inquiry_owned_by(ref: str, owner: str) -> str:
    return (f"咨询 {ref} 由 {owner} 认领承办，只有承办人或部门负责人可以答复。"
            f"如需协助，请联系 {owner}。")


def inquiry_answered_by_head(ref: str, account: str, head: str, at: datetime, answer: str) -> str:
    short = answer if len(answer) <= 200 else answer[:200] + "…"
    return f"你承办的咨询 {ref}（「{account}」）已由部门负责人 {head} 于 {md_hm(at)} 答复：{short}"


def inquiry_claimed(ref: str) -> str:
    return f"你已认领咨询 {ref}。能即时答复请发送“回复 {ref} 内容”，否则请点【承诺时限】。"


def inquiry_claimed_by(ref: str, name: str) -> str:
    return f"咨询 {ref} 已由 {name} 认领。"


def commit_title(ref: str) -> str:
    return f"承诺答复时限 {ref}"


def working_days(n: int) -> str:
    return f"{n}个工作日"


def deadline_committed(ref: str, due: datetime) -> str:
    return f"已承诺：咨询 {ref} 将于 {md_hm(due)}前答复。到期前会提醒你。"


def ask_answer(ref: str) -> str:
    return f"请回复咨询 {ref} 的答复内容。"


def card_answered(name: str, at: datetime) -> str:
    return f"已回复 · {name} · {hm(at)}"


def inquiry_answered(ref: str) -> str:
    return f"咨询 {ref} 已登记为已答复。"


def inquiry_unclaimed(ref: str, account: str) -> str:
    return f"【咨询待认领】「{account}」的群众咨询 {ref} 已超过 2 个工作小时无人认领，请尽快认领并答复。"


def inquiry_unclaimed_head(ref: str, account: str, received: datetime, officers: list[str]) -> str:
    who = "、".join(officers) or "无"
    return (f"【咨询无人认领】「{account}」的群众咨询 {ref}（{md_hm(received)} 收到）"
            f"已超过 1 个工作日无人认领。信息员：{who}。"
            f"请安排认领并答复（《管理办法》第十二条：应及时回复），也可以直接发送“回复 {ref} 答复内容”。")


def inquiry_unclaimed_ic(ref: str, account: str, department: str, received: datetime, head: str) -> str:
    return (f"【咨询无人认领】{department}「{account}」的群众咨询 {ref}（{md_hm(received)} 收到）"
            f"已超过 2 个工作日无人认领，部门负责人：{head or '未设'}。")


def inquiry_uncommitted(ref: str, account: str, claimed: datetime) -> str:
    return (f"【答复提醒】你 {md_hm(claimed)} 认领的咨询 {ref}（「{account}」）还没有答复，"
            f"也没有承诺答复期限。能答复请发送“回复 {ref} 答复内容”；"
            f"不能即时答复的，请点【承诺时限】（《管理办法》第十二条）。"
            f"今天下班前仍未办理的，将告知部门负责人。")


def inquiry_uncommitted_head(ref: str, account: str, owner: str, claimed: datetime) -> str:
    return (f"【答复逾期】「{account}」的咨询 {ref} 由 {owner or '未知'} 于 {md_hm(claimed)} 认领，"
            f"至今既未答复，也未承诺答复期限。请督促办理，也可以直接发送“回复 {ref} 答复内容”。")


def inquiry_due_soon(ref: str, account: str, due: datetime) -> str:
    return f"【答复提醒】你承办的咨询 {ref}（「{account}」）承诺 {md_hm(due)}前答复，请抓紧。"


def inquiry_overdue(ref: str, account: str, owner: str, due: datetime) -> str:
    return (f"【答复逾期】「{account}」的咨询 {ref} 承诺 {md_hm(due)}前答复，现已逾期。"
            f"承办人：{owner or '未认领'}。请督促答复。")


def inquiry_overdue_ic(ref: str, account: str, department: str, owner: str, due: datetime) -> str:
    return (f"【答复严重逾期】{department}「{account}」的咨询 {ref} 已逾期超过 3 个工作日"
            f"（承诺 {md(due)}前），承办人：{owner or '未认领'}。")


STATS_NOT_ALLOWED = "咨询统计对部门负责人和信息中心开放。"


def stats_line(department: str, received: int, in_time: int, overdue: int, median: float | None) -> str:
    if median is None:
        m = "暂无（还没有已答复的咨询）"
    elif median < 1:
        m = f"{max(1, round(median * 60))} 分钟（工作时间）"
    else:
        m = f"{median:.1f} 个工作小时"
    return f"{department}：收到 {received}，按时答复 {in_time}，逾期 {overdue}，答复用时中位数 {m}"


def stats(days: int, lines: list[str]) -> str:
    if not lines:
        return f"近 {days} 天没有群众咨询。"
    return f"近 {days} 天群众咨询（《管理办法》第十二条）：\n" + "\n".join(lines)


def relay_window_closed(ref: str) -> str:
    return (f"提问已超过 48 小时，公众号不能再向这位粉丝发消息。咨询 {ref} 已记为“需另行答复”："
            f"请在公众号留言区或其他渠道答复。")


def deadline_notice(due: datetime) -> str:
    return f"您好，您的咨询已收到，我们将于 {md(due)}前答复。"


FOLLOWER_ACK = "您好，留言已收到。工作人员会在工作时间尽快答复，答复将通过本公众号发给您。"
OUTCOME_ANSWERED = "已回复"
OUTCOME_DEADLINE_SET = "已承诺答复期限"


def deadline_set_status(due: str) -> str:
    return f"已承诺 · {due}前答复"


def deadline_already(ref: str, due: datetime) -> str:
    return (f"咨询 {ref} 已承诺于 {md_hm(due)}前答复，答复期限承诺后不再更改；"
            f"请按期答复，答复后点【已回复】或发送“回复 {ref} 答复内容”。")
