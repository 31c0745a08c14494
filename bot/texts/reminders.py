"""What the sweeps send that belongs to no conversation: publishing cadence, late and zombie
accounts (Art. 11, 14), urging a head and the morning digest (Art. 10), and unverified accounts
(Art. 4). The inquiries' ladder and the review campaign keep theirs in ``inquiries`` and ``reviews``.
"""

from __future__ import annotations

from bot.texts.common import NO_TITLE


def cadence_due(account: str, days: int, every: int) -> str:
    return (f"【发布提醒】「{account}」已 {days} 个工作日没有发布新内容"
            f"（要求至少每 {every} 个工作日发布一次，《管理办法》第十一条）。"
            f"请信息员尽快投稿：投稿 @{account} 类别 标题（换行）正文")


def cadence_late(account: str, days: int, every: int, officers: list[str]) -> str:
    who = "、".join(officers) or "本部门信息员"
    return (f"【更新逾期】「{account}」已 {days} 个工作日没有更新，超出要求（每 {every} 个工作日一次）"
            f"{days - every} 个工作日。请督促{who}投稿，并及时审核待审稿件。")


def cadence_zombie(account: str, department: str, days: int, head: str, officers: list[str]) -> str:
    return (f"【僵尸账号预警】「{account}」（{department}）已 {days} 个工作日没有更新。"
            f"负责人：{head or '未登记'}；信息员：{'、'.join(officers) or '未登记'}。")


def urge_head(ref: str, title: str, author: str, hours: float, *, again: bool) -> str:
    word = "再次催办" if again else "催办"
    return (f"【{word}】{author} 提交的稿件 {ref}《{title or NO_TITLE}》等待你审核已 "
            f"{hours:.0f} 个工作小时，请在下方卡片上审核。")


def approval_overdue(ref: str, title: str, department: str, head: str, hours: float) -> str:
    return (f"【审核超时】{department}的稿件 {ref}《{title or NO_TITLE}》已等待审核 {hours:.0f} 个工作小时"
            f"（超过 2 个工作日），审核人：{head or '未登记'}。")


def digest_line(ref: str, title: str, account: str, author: str, hours: float) -> str:
    return f"{ref}《{title or NO_TITLE}》· {account} · {author} · 已等待 {hours:.0f} 个工作小时"


def digest(name: str, lines: list[str]) -> str:
    return f"早上好，{name}。有 {len(lines)} 篇稿件等待你审核（发送“待审”可逐篇审核）：\n" + "\n".join(lines)


def verify_reminder(account: str) -> str:
    return (f"【认证提醒】「{account}」已备案但尚未完成平台认证（《管理办法》第四条）。"
            f"认证完成后请发送“已认证 @{account} 认证页链接”，或先发“已认证 @{account}”再发认证页截图。")


def verify_overdue_head(account: str, weeks: int, admin: str) -> str:
    who = f"（管理员：{admin}）" if admin else ""
    return (f"【认证逾期】「{account}」备案已 {weeks} 周仍未完成平台认证{who}。"
            f"《管理办法》第四条要求开通后及时申请认证，请督促办理；"
            f"完成后发送“已认证 @{account} 认证页链接”（或截图）。")


def verify_overdue_ic(account: str, department: str, weeks: int) -> str:
    return (f"【认证逾期】{department}的「{account}」备案已 {weeks} 周仍未完成平台认证"
            f"（《管理办法》第四条），已提醒管理员和部门负责人，请跟进。")


def cadence_zombie_leader(account: str, department: str, days: int, head: str, officers: list[str]) -> str:
    """To the account's 主管领导 (Art. 14: the leader answers for the account)."""
    return (f"【僵尸账号预警】你是「{account}」（{department}）的主管领导，该账号已 {days} 个工作日没有更新。"
            f"部门负责人：{head or '未登记'}；信息员：{'、'.join(officers) or '未登记'}。"
            "请督促恢复更新；如不再运营，请部门负责人按规定在平台上注销。")
