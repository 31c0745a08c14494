"""Exported files: the registry and review workbooks (.xlsx), and forms 1 and 2 (.docx) as the
policy's attachments read them (附件1, 附件2: labels, blocks, signature lines), with their file names.
"""

from __future__ import annotations

from datetime import datetime

EXPORT_REGISTRY_SHEET = "新媒体账号台账"
EXPORT_REVIEW_HEADERS = ["序号", "名称", "平台类型", "主办单位", "账号状态", "年审结果", "报告编号",
                         "提交时间", "提交人", "报告文件", "审核人", "审核时间", "不合格理由"]
FORM1_DOC_TITLE = "新媒体平台申请表"
FORM2_DOC_TITLE = "新媒体平台备案登记表"
FORM_SIGNATURE_LINES = ["", "部门主要负责人（签字）：______________　　（公章）",
                        "", "信息中心审批意见：______________　　日期：____年__月__日"]
QR_NOT_AN_IMAGE = "（登记的二维码不是可识别的图片，请另附）"
NO_APPLICATION = "这个账号没有在本系统中的开通申请记录（早于系统登记的账号），无法导出申请表。"


def EXPORT_REGISTRY_HEADERS(year: int) -> list[str]:
    return ["序号", "名称", "平台类型", "主办单位", "状态", "部门负责人", "信息员",
            "负责人", "负责人手机", "管理员", "管理员手机", "账号ID", "创建时间", "关注人数", "备案日期",
            "认证日期", "最近发布", "发布频率(工作日)", "频率调整原因", f"{year}年发布数", "逾期更新(次)",
            "僵尸预警(次)",
            "咨询受理", "咨询已答复", "咨询按时答复", "咨询逾期", "注销日期", "注销证明", f"{year}年审"]


def export_review_sheet(year: int) -> str:
    return f"{year}年度年审"


def export_file_name(kind: str, name: str, at: datetime) -> str:
    return f"{name}{kind}{at:%Y%m%d}"


def exported(path: object) -> str:
    return f"已导出：{path}"


FORM1_ATTACHMENT = "附件1"
FORM2_ATTACHMENT = "附件2"
FORM1_NAME = "预申请名称"
FORM2_NAME = "名称"
FORM_PLATFORM = "平台类型\n（选填微信、头条号、微博或移动客户端）"
FORM_DEPARTMENT = "主办单位"
FORM1_APPLIED_AT = "申请时间"
FORM_LEADER_BLOCK = "主管领导"
FORM_ADMIN_BLOCK = "后台管理人员"
FORM_LEADER_NAME = "负责人姓名"
FORM_ADMIN_NAME = "管理员姓名"
FORM_TITLE = "职务"
FORM_OFFICE_PHONE = "办公电话"
FORM_MOBILE = "手机号码"
FORM_QQ = "QQ号码"
FORM_WECHAT = "微信号"
FORM1_DESCRIPTION = "新媒体平台申请说明"
FORM1_HEAD_OPINION = "所在部门主要负责人意见"
FORM1_IC_OPINION = "信息中心审批意见"
FORM1_HEAD_AGREED = "同意"
FORM1_HEAD_REFUSED = "不同意"
FORM1_IC_APPROVED = "同意开通"
FORM_SIGNER_HEAD = "负责人"
FORM_SIGNER_IC = "审批人"
FORM_SIGNER_FILING = "备案人"
FORM_BLANK_DATE = "____年__月__日"
FORM_SIGN_AND_STAMP = "签字：______________　　（盖章）"
FORM2_ACCOUNT_ID = "账号ID"
FORM2_OPENED_ON = "创建时间"
FORM2_FOLLOWERS = "关注人数"
FORM2_QR = "二维码"
FORM2_DESCRIPTION = "新媒体平台简介"
FORM2_DEPARTMENT_SEAL = "主办单位报送"
FORM2_IC_FILING = "信息中心备案"
FORM2_FILED = "已备案"
FORM1_USAGE = "请写上账号名称或申请编号，例如：导出申请表 @某某微博，或 导出申请表 S3"
ONLY_INFO_CENTER_REVIEW_EXPORT = "年审表只对信息中心管理员开放。"


def form1_ic_rejected(reason: str) -> str:
    return f"不同意。{reason}" if reason else "不同意"


def form_date(at: datetime) -> str:
    return f"{at.year}年{at.month}月{at.day}日"


def form_opinion(opinion: str) -> str:
    return f"意见：{opinion or '________________'}"


def form_signed_by(title: str, name: str) -> str:
    return f"{title}：{name or '____________'}"


def form_date_line(day: str) -> str:
    return f"日期：{day or FORM_BLANK_DATE}"


def form1_corner(ref: str) -> str:
    return f"申请编号：{ref}"


def form2_filled_at(day: str) -> str:
    return f"填写时间：{day}"


def form2_submitted_by(name: str) -> str:
    return f"报送人：{name or '____________'}"


def no_application_named(name: str) -> str:
    return f"没有找到名为「{name}」的账号或开通申请。"


def form1_export_hint(ref: str) -> str:
    return (f"申请表可随时导出：发送“导出申请表 {ref}”，打印后请部门主要负责人签字、加盖公章"
            "（《管理办法》第四条）。")


EXPORT_REVIEW_FIGURE_HEADERS = ["数据截至", "发布数", *[f"{m}月发布" for m in range(1, 13)],
                                "发布频率(工作日)", "更新周期", "按期周期", "按期率(%)", "逾期更新(次)",
                                "僵尸预警(次)", "咨询受理", "咨询按时答复", "咨询逾期",
                                "答复用时中位数(工作小时)", "敏感词拦截(篇)", "变更备案(次)",
                                "未经审核发布(篇)"]


def export_review_usage(year: int) -> str:
    return f"导出年审格式：导出年审（本年度 {year}），或 导出年审 年份，例如 导出年审 {year - 1}"
