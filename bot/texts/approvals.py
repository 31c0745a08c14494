"""The head's decision on a draft (Art. 10: 先审后发): the approval card, approve and reject with
the reason, refusals on a decided or stale card; and the accountability rule every decision follows
(Art. 6: 谁审批、谁监管), which hands a decision about oneself to another Information Center admin.
"""

from __future__ import annotations

from datetime import datetime

from bot.texts.common import STATUS_NAMES, hm

APPROVAL_TITLE = "稿件待审核"
BUTTON_APPROVE = "通过"
BUTTON_REJECT = "驳回"


def card_approved(name: str, at: datetime) -> str:
    return f"已通过 · {name} · {hm(at)}"


def card_rejected(name: str, at: datetime) -> str:
    return f"已驳回 · {name} · {hm(at)}"


def approved_to_author(ref: str, title: str, head: str) -> str:
    return (
        f"稿件 {ref}《{title}》已由 {head} 审核通过。\n"
        f"发布后请回复：已发布 {ref} 链接"
    )


def approved_to_head(ref: str) -> str:
    return f"已通过稿件 {ref}，已通知信息员。"


def rejected_to_author(ref: str, title: str, head: str) -> str:
    return f"稿件 {ref}《{title}》被 {head} 驳回。可发送“修改 {ref} 新正文”后重新提交。"


ASK_REJECT_REASON = "请回复驳回理由（将转告信息员），或回复“跳过”。"


def reject_reason_to_author(ref: str, reason: str) -> str:
    return f"稿件 {ref} 的驳回理由：{reason}"


def reject_reason_skipped_to_author(ref: str) -> str:
    return f"稿件 {ref} 的审核人未说明驳回理由。"


REJECT_REASON_SENT = "驳回理由已转告信息员。"
REJECT_REASON_SKIPPED = "好的，未填写驳回理由。"


def already_decided(ref: str, outcome: str, name: str, at: datetime) -> str:
    word = "通过" if outcome == "approve" else "驳回"
    return f"稿件 {ref} 已由 {name} 于 {hm(at)} {word}，无需重复操作。"


def not_pending(ref: str, status: str) -> str:
    return f"稿件 {ref} 当前为「{STATUS_NAMES.get(status, status)}」，不能审核。"


def stale_version(ref: str, version: int) -> str:
    return f"稿件 {ref} 已被修改为第 {version} 版，这张卡片已作废；请审核新版本的卡片。"


def only_head_decides(ref: str, department: str) -> str:
    return f"只有「{department}」的主要负责人可以审核稿件 {ref}。"


def author_cannot_decide(ref: str) -> str:
    return f"不能审核自己提交的稿件 {ref}（谁审批谁监管，需由他人审核）。"


def decides_own(subject: str) -> str:
    return (f"{subject}与你本人有关，按“谁审批、谁监管”（《管理办法》第六条）不能由你自己决定，"
            f"已交由信息中心其他管理员处理。")


def nobody_else_decides(subject: str) -> str:
    return (f"信息中心目前没有与{subject}无关的管理员：按“谁审批、谁监管”（《管理办法》第六条），"
            f"与此事有关的人（申请人、报送人、账号的负责人或管理员）不能自己决定，所以暂时无人可以处理。"
            f"请单位为信息中心增加一名管理员（组织文件中信息中心的信息员，或 ic_admin 角色）；"
            f"增加后，信息中心管理员再点一次卡片上的按钮，卡片即转给新管理员。")


OUTCOME_APPROVED = "已通过"
OUTCOME_REJECTED = "已驳回"


def rejected_to_head(ref: str) -> str:
    return f"已驳回稿件 {ref}，已通知信息员。{ASK_REJECT_REASON}"
