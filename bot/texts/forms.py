"""The guided form, whatever it fills (forms 1 and 2): one question at a time, items taken from
the directory, then a summary card to submit or edit; cancel and skip words are in ``common``.
"""

from __future__ import annotations

from datetime import datetime

from bot.texts.common import hm

FORM_OPTIONAL_HINT = "（可选：没有或稍后再补，请回复“跳过”）"
FORM_EMPTY = "—"
FORM_SUMMARY_HINT = "请核对以上内容：无误点【提交】，需要改动点【修改】。"
FORM_USE_BUTTONS = "表格已填完，请点卡片上的【提交】或【修改】；回复“取消”放弃。"
FORM_CANCELLED = "已取消"
BUTTON_FORM_SUBMIT = "提交"
BUTTON_FORM_EDIT = "修改"
FORM_NOT_AN_IMAGE_STEP = "现在不需要图片，请按提示回复文字；回复“取消”可放弃填写。"


def form_image_received(size: int) -> str:
    return f"已收到图片（{max(1, size // 1024)} KB）"


def form_started(title: str, n: int) -> str:
    return f"开始填写《{title}》，共 {n} 项，随时回复“取消”可放弃。"


def form_question(step: int, total: int, question: str) -> str:
    return f"（{step}/{total}）{question}"


def form_filled(first: int, last: int, filled: list[tuple[str, str]]) -> str:
    """Items the form took from the directory (or from an earlier answer), said before the
    counter jumps over them."""
    items = "、".join(f"{label}：{value}" for label, value in filled)
    where = f"第 {first} 项" if first == last else f"第 {first}–{last} 项"
    return f"{where}已按通讯录填好（{items}），不用再答；要改可在最后点【修改】。"


def form_image_wanted(step: int, total: int, question: str, optional: bool) -> str:
    later = "，或回复“跳过”以后再补" if optional else ""
    return f"（{step}/{total}）这一项请直接发送图片{later}。{question}"


def form_invalid(why: str, question: str) -> str:
    return f"{why}\n{question}"


def form_pick_number(n: int) -> str:
    return f"请回复要修改的项目序号（1–{n}）。"


def form_missing(labels: list[str]) -> str:
    return f"还缺少：{'、'.join(labels)}。请点【修改】补填。"


def form_summary_title(title: str) -> str:
    return f"请核对：{title}"


def form_cancelled(title: str) -> str:
    return f"已放弃填写《{title}》。"


OUTCOME_FORM_SUBMITTED = "已提交"
OUTCOME_FORM_CANCELLED = "已放弃"


def form_card_status(outcome: str, at: datetime) -> str:
    return f"{outcome} · {hm(at)}"


OUTCOME_FORM_EDITED = "修改中"
FORM_SUMMARY_REPLACED = "这张确认卡片已作废（点过【修改】），改好后会发来新的确认卡片，请在新卡片上操作。"


def form_edited_status(at: datetime) -> str:
    return f"已点修改 · {hm(at)} · 改好后发新的确认卡片"


# -- the labels of the guided forms' answers (Art. 4: 附件1 and 附件2, as the summary card shows them)
FORM1_LABELS = {
    "name": "名称", "platform": "平台类型", "department": "主办单位",
    "leader": "负责人姓名", "leader_title": "负责人职务", "leader_office_phone": "负责人办公电话",
    "leader_mobile": "负责人手机号码", "admin": "管理员姓名", "admin_title": "管理员职务",
    "admin_office_phone": "管理员办公电话", "admin_mobile": "管理员手机号码", "admin_qq": "QQ号码",
    "admin_wechat": "微信号", "description": "申请说明",
}
FORM2_LABELS = {
    "platform_account_id": "账号ID", "opened_on": "创建时间", "followers": "关注人数", "qr": "二维码",
    "leader": "负责人", "admin": "管理员", "description": "平台简介",
}
OWN_DEPARTMENT_WORDS = ("本部门", "我们部门")  # an answer to 主办单位 meaning the applicant's own
