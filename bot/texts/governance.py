"""An account's governance (Art. 2-5): the application (form 1, Art. 3, 4) with the head's
attestation and the Information Center's decision, filing (form 2), platform verification and its
evidence, changes of leader or administrator, and closing (注销, Art. 5) with its evidence and the
cards a closed account leaves behind.
"""

from __future__ import annotations

from datetime import datetime

from bot.texts.common import ACCOUNT_STATUS_NAMES, bare, hm
from bot.texts.exports import form1_export_hint

FORM1_TITLE = "新媒体平台申请表"
PLATFORM_WORDS = {
    "微信": "wechat", "微信公众号": "wechat", "公众号": "wechat", "wechat": "wechat",
    "头条": "toutiao", "头条号": "toutiao", "今日头条": "toutiao", "toutiao": "toutiao",
    "微博": "weibo", "weibo": "weibo",
    "移动客户端": "app", "客户端": "app", "app": "app", "APP": "app",
}
Q_NAME = "新媒体平台的名称是什么？"
Q_PLATFORM = "平台类型：微信、头条号、微博，还是移动客户端？"
Q_DEPARTMENT = "主办单位是哪个部门？（回复部门名称，本部门可回复“本部门”）"
Q_LEADER = "负责人是谁？（回复姓名）"
Q_LEADER_TITLE = "负责人的职务？"
Q_LEADER_PHONE = "负责人的办公电话？"
Q_LEADER_MOBILE = "负责人的手机号码？"
Q_ADMIN = "管理员是谁？（回复姓名）"
Q_ADMIN_TITLE = "管理员的职务？"
Q_ADMIN_PHONE = "管理员的办公电话？"
Q_ADMIN_MOBILE = "管理员的手机号码？"
Q_ADMIN_QQ = "管理员的QQ号码？"
Q_ADMIN_WECHAT = "管理员的微信号？"
Q_DESCRIPTION = "申请说明：开通的宗旨和信息发布范围（一两句话即可）。"
BAD_PLATFORM = "平台类型只能是：微信、头条号、微博、移动客户端。"
BAD_MOBILE = "手机号码应为 11 位数字，以 1 开头。"
BAD_PHONE = "办公电话只能包含数字和“-”，如 010-80000001。"
BAD_QQ = "QQ号码应为 5–12 位数字。"
BAD_WECHAT = "微信号应为 6–20 位字母、数字、“_”或“-”，以字母开头。"


def name_taken(name: str) -> str:
    return f"已有名为「{name}」的账号或申请，请换一个名称（《管理办法》第三条：不得重复开通）。"


def unknown_department_name(name: str, known: list[str]) -> str:
    return f"没有找到部门「{name}」。可选：{'、'.join(known)}"


def unknown_person_name(name: str) -> str:
    return f"组织名单里没有「{name}」。请回复名单中人员的姓名；新人员请先联系信息中心登记。"


def ambiguous_person(name: str, codes: list[str]) -> str:
    return f"名单里有多位「{name}」，请回复其账号：{'、'.join(codes)}"


def application_submitted(ref: str, head: str) -> str:
    return (f"申请 {ref} 已提交，等待 {head} 签署意见，之后由信息中心审批。结果会通知你。\n"
            + form1_export_hint(ref))


def application_no_head(department: str) -> str:
    return f"「{department}」还没有登记主要负责人，申请无法送签。请联系信息中心。"


APPLICATION_CARD_TITLE = "新媒体平台开通申请"
BUTTON_ATTEST = "同意"
BUTTON_REFUSE = "不同意"
BUTTON_GRANT = "批准"
BUTTON_DENY = "驳回"
FIELD_APPLICANT = "申请人"
FIELD_DEPARTMENT = "主办单位"
FIELD_PLATFORM = "平台类型"
FIELD_LEADER = "负责人"
FIELD_ADMIN = "管理员"
FIELD_PURPOSE = "申请说明"


def card_attested(name: str, at: datetime) -> str:
    return f"负责人已同意 · {name} · {hm(at)}"


def card_refused(name: str, at: datetime) -> str:
    return f"负责人不同意 · {name} · {hm(at)}"


def card_granted(name: str, at: datetime) -> str:
    return f"已批准 · {name} · {hm(at)}"


def card_denied(name: str, at: datetime) -> str:
    return f"已驳回 · {name} · {hm(at)}"


def only_department_head(department: str) -> str:
    return f"只有「{department}」的主要负责人可以签署这份申请。"


ONLY_INFO_CENTER = "只有信息中心管理员可以审批开通申请和受理备案。"


def application_already(ref: str, status: str) -> str:
    names = {"attested": "已由负责人签署", "approved": "已批准", "refused": "负责人未同意",
             "rejected": "已驳回", "submitted": "等待负责人签署"}
    return f"申请 {ref} {names.get(status, status)}，无需重复操作。"


def attested_to_applicant(ref: str, name: str, head: str) -> str:
    return f"申请 {ref}「{name}」已由 {head} 签署同意，已转信息中心审批。"


def refused_to_applicant(ref: str, name: str, head: str) -> str:
    return f"申请 {ref}「{name}」未获 {head} 同意，未送信息中心。如需开通请与负责人沟通后重新申请。"


def granted_to_applicant(ref: str, name: str) -> str:
    return (f"申请 {ref}「{name}」已获信息中心批准。开通账号后请发送“备案 @{name}”登记账号信息，"
            f"并尽快完成平台认证（《管理办法》第四条）。")


def denied_to_applicant(ref: str, name: str, reason: str) -> str:
    return f"申请 {ref}「{name}」被信息中心驳回。" + (f"理由：{reason}" if reason else "")


ASK_DENY_REASON = "请回复驳回理由（将转告申请人），或回复“跳过”。"
DENY_REASON_SENT = "驳回理由已转告申请人。"
FORM2_TITLE = "新媒体平台备案登记表"
FILE_USAGE = "请写上账号名称，例如：备案 @某某发布"
VERIFIED_USAGE = ("请写上账号名称和认证证明，例如：已认证 @某某发布 https://…（平台上显示已认证的页面）；"
                  "也可以先发“已认证 @某某发布”，再发认证页面的截图。")
CHANGE_USAGE = "变更格式：变更 @账号 管理员|负责人 姓名，例如：变更 @某某发布 管理员 陈七"
Q_ACCOUNT_ID = "账号ID（平台上的账号名或原始ID）？"
Q_OPENED_ON = "账号创建时间（如 2026-11-20）？"
Q_FOLLOWERS = "目前关注人数？"
Q_QR = "请发送账号二维码图片。"
BAD_DATE = "日期格式应为 年-月-日，如 2026-11-20，且不晚于今天。"
BAD_FOLLOWERS = "关注人数请回复数字，如 1200。"
FILING_CARD_TITLE = "新媒体平台备案登记"
CHANGE_CARD_TITLE = "负责人/管理员变更备案"
FIELD_ACCOUNT_ID = "账号ID"
FIELD_OPENED_ON = "创建时间"
FIELD_FOLLOWERS = "关注人数"
FIELD_SUBMITTER = "报送人"
FIELD_ROLE = "变更项"
FIELD_OLD = "原"
FIELD_NEW = "新"
BUTTON_FILED = "已备案"
BUTTON_RETURN = "退回"


def not_responsible_for(account: str) -> str:
    return f"只有「{account}」的负责人、管理员、所属部门的负责人和信息员，或信息中心可以这样操作。"


def cannot_file(account: str, status: str) -> str:
    return f"「{account}」当前为「{ACCOUNT_STATUS_NAMES.get(status, status)}」，不能备案。"


def filing_submitted(ref: str, account: str) -> str:
    return f"「{account}」的备案登记 {ref} 已报送信息中心，受理后会通知你。"


def card_filed(name: str, at: datetime) -> str:
    return f"已备案 · {name} · {hm(at)}"


def card_returned(name: str, at: datetime) -> str:
    return f"已退回 · {name} · {hm(at)}"


def filing_already(ref: str) -> str:
    return f"备案登记 {ref} 已处理过，无需重复操作。"


def filing_returned(ref: str, account: str) -> str:
    return f"「{account}」的备案登记 {ref} 被信息中心退回，请核对后重新发送“备案 @{account}”。"


def filed_to_submitter(ref: str, account: str, unverified: bool) -> str:
    text = f"「{account}」已完成备案（{ref}），可以投稿了。"
    if unverified:
        text += f"请尽快完成平台认证，完成后发送“已认证 @{account}”（《管理办法》第四条）。"
    return text


def already_verified(account: str, at: datetime | None = None, by: str = "") -> str:
    when = f"{at:%Y-%m-%d %H:%M} " if at else ""
    who = f"由 {by} " if by else ""
    return f"「{account}」已于 {when}{who}登记为已认证，无需重复登记。" if when or who \
        else f"「{account}」已登记为已认证。"


def verified(account: str) -> str:
    return f"已登记：「{account}」已完成平台认证，证明已转信息中心。"


def change_same(account: str, role: str, name: str) -> str:
    return f"{name} 已经是「{account}」的{role}，无需变更。"


def change_requested(account: str, role: str, name: str) -> str:
    return f"已向信息中心报送：「{account}」的{role}变更为 {name}。备案后生效，并通知新旧人员。"


def change_already(change_id: int) -> str:
    return f"变更 #{change_id} 已备案，无需重复操作。"


def change_to_new(account: str, role: str) -> str:
    return f"信息中心已备案：你现在是「{account}」的{role}（《管理办法》第四条）。"


def change_to_old(account: str, role: str, new: str) -> str:
    return f"信息中心已备案：「{account}」的{role}已变更为 {new}，你不再担任。感谢你的工作。"


CLOSED_USAGE = ("注销格式：注销 @账号 原因 证明链接，例如：注销 @某某发布 业务调整不再运营 https://…\n"
                "也可以先发“注销 @账号 原因”，再发平台注销（或关闭）成功页面的截图。")
ASK_CLOSURE_EVIDENCE = ("请发送账号已在平台上注销或关闭的证明：注销（关闭）成功页面的截图，"
                        "或能看到账号已注销的链接（http:// 或 https:// 开头）。")
CLOSURE_SCREENSHOT = "注销截图"


def cannot_close(account: str, status: str) -> str:
    """Who may ask to close an account in this status (Art. 5): the head or the Information
    Center; a must-stop one also its administrator and the department's officers."""
    name = ACCOUNT_STATUS_NAMES.get(status, status)
    if status in ("applied", "approved"):
        return f"「{account}」当前为「{name}」，还没有在平台上开通，无需注销。"
    if status == "must_stop":
        return (f"「{account}」须停止运行，可由账号管理员、所属部门的负责人和信息员，或信息中心"
                f"申请注销（《管理办法》第五条）。")
    return (f"「{account}」当前为「{name}」，只有所属部门的主要负责人或信息中心可以申请注销"
            f"（《管理办法》第五条）。")


def closed(account: str) -> str:
    """To the Information Center admin who confirmed a closure."""
    return f"已确认：「{account}」已注销，相关人员已收到通知。"


def closed_to_ic(account: str, by: str, evidence: str) -> str:
    return f"「{account}」的注销申请已由 {by} 确认，账号已注销。证明：{evidence}"


EVIDENCE_SCREENSHOT = "截图"
CLOSURE_CARD_TITLE = "账号注销确认"
BUTTON_CONFIRM_CLOSURE = "确认注销"
FIELD_REASON = "注销原因"
FIELD_EVIDENCE = "注销证明"
FIELD_REQUESTER = "申请人"
FIELD_STATUS = "当前状态"
ONLY_IC_CONFIRMS_CLOSURE = "只有信息中心管理员可以确认或退回注销申请（《管理办法》第五条）。"
ASK_CLOSURE_RETURN_REASON = "请回复退回理由（将转告申请人），或回复“跳过”。"
CLOSURE_RETURN_SENT = "已退回，理由已转告申请人。"
CLOSURE_RETURN_SENT_NO_REASON = "已退回并通知申请人。"
ASK_CLOSURE_EVIDENCE_AGAIN = ("还缺注销证明：请发送注销（关闭）成功页面的截图，"
                              "或以 http:// 或 https:// 开头的链接；回复“取消”放弃申请。")


def close_reason_needed(account: str) -> str:
    return (f"请写明注销原因，例如：注销 @{account} 业务调整不再运营 https://…"
            f"（链接也可以不写，之后再发截图）。")


def closure_reason_must_stop(stop_reason: str) -> str:
    return f"须停止运行：{stop_reason}" if stop_reason else "须停止运行（未按期提交年审报告或年审不合格）"


def closure_waiting(account: str, by: str, at: datetime) -> str:
    return (f"「{account}」已有一份注销申请：{by} 于 {at:%Y-%m-%d %H:%M} 提出，正等待信息中心确认，"
            f"无需重复申请。")


def closure_already_closed(account: str, at: datetime | None, by: str) -> str:
    when = f"{at:%Y-%m-%d %H:%M}" if at else "此前"
    return f"「{account}」已于 {when} 注销" + (f"（{by} 确认）" if by else "") + "，无需再次申请。"


def closure_requested(account: str, admins: list[str]) -> str:
    return (f"「{account}」的注销申请和证明已报信息中心（{'、'.join(admins)}）确认（《管理办法》第五条）。"
            f"确认后账号登记为已注销，提醒随之停止。")


def closure_no_other_ic(account: str) -> str:
    return (f"「{account}」的注销须由信息中心的另一位管理员确认（“谁审批、谁监管”，《管理办法》第六条），"
            f"但信息中心目前只有你一人。请由账号所属部门的负责人提出申请，或在组织名单中增设信息中心管理员后再提出。"
            f"这次申请没有登记。")


def closure_card_subtitle(account: str, platform: str, department: str) -> str:
    return f"「{account}」· {platform} · {department}"


def closure_evidence_label(evidence: str) -> str:
    return "截图（见随后发送的图片）" if evidence == EVIDENCE_SCREENSHOT else evidence


def closure_screenshot_name(account: str) -> str:
    return f"{account}-注销证明截图.png"


def card_closure_confirmed(name: str, at: datetime) -> str:
    return f"已确认注销 · {name} · {hm(at)}"


def card_closure_returned(name: str, at: datetime) -> str:
    return f"已退回 · {name} · {hm(at)}"


def closure_confirmed(account: str, by: str, at: datetime, reason: str) -> str:
    return (f"「{account}」的注销已由信息中心 {by} 于 {at:%Y-%m-%d %H:%M} 确认，账号登记为“已注销”"
            f"（原因：{reason}）。该账号不再接收投稿，相关提醒已停止，待审核的稿件已作废。")


def closure_returned(account: str, by: str, reason: str) -> str:
    text = f"「{account}」的注销申请被信息中心 {by} 退回，账号状态不变。"
    if reason:
        text += f"理由：{bare(reason)}。"
    return text + f"如仍需注销，请补充后重新发送“注销 @{account} 原因 证明链接”。"


def closure_already_decided(account: str) -> str:
    return f"「{account}」的这份注销申请已经处理过（已确认或已退回），无需重复操作。"


def closure_subject(account: str) -> str:
    """For ``texts.decides_own``: "…与你本人有关" (the requester cannot confirm it)."""
    return f"「{account}」的注销申请由你提出，"


def ask_verify_evidence(account: str) -> str:
    return (f"登记「{account}」已认证需要证明（《管理办法》第四条）：请发送平台上显示已认证的页面截图，"
            f"或该页面的链接（http:// 或 https:// 开头）。")


def bad_verify_link(text: str, account: str, prompted: bool = False) -> str:
    if prompted:
        return (f"「{text}」不是有效的链接。请发送能看到「{account}」已认证的页面截图，或以 http:// 或 "
                f"https:// 开头的页面地址；回复“取消”放弃登记。")
    return (f"「{text}」不是有效的链接。请发送以 http:// 或 https:// 开头、"
            f"能看到「{account}」已认证的页面地址，或先发“已认证 @{account}”再发截图。")


EVIDENCE_CANCELLED = "已取消，没有登记。"


def cannot_verify(account: str, status: str) -> str:
    return f"「{account}」当前为「{ACCOUNT_STATUS_NAMES.get(status, status)}」，不能登记认证。"


def verified_to_ic(account: str, department: str, by: str, evidence: str) -> str:
    shown = "截图（见随后发送的图片）" if evidence == EVIDENCE_SCREENSHOT else evidence
    return (f"【认证登记】{department}的「{account}」已由 {by} 登记完成平台认证（《管理办法》第四条）。"
            f"证明：{shown}")


def verify_screenshot_name(account: str) -> str:
    return f"{account}-认证证明截图.png"


FIELD_ATTESTED_BY = "部门负责人签字"


def attested_by(head: str, own: bool) -> str:
    """The head's attestation on the Information Center's card; ``own``: the head applied."""
    return f"{head}（即申请人本人，部门内无他人审核）" if own else f"{head} 已同意"


def decision_application(ref: str, name: str) -> str:
    return f"申请 {ref}「{name}」"


def decision_filing(ref: str, account: str) -> str:
    return f"「{account}」的备案登记 {ref}"


def decision_change(account: str, role: str) -> str:
    return f"「{account}」的{role}变更"


def closure_reason_for_drafts(account: str) -> str:
    return f"「{account}」已注销（《管理办法》第五条）"


def bad_closure_link(text: str) -> str:
    return (f"「{text}」不是有效的链接。注销证明请发送以 http:// 或 https:// 开头、能看到账号已注销（关闭）"
            f"的地址，或注销成功页面的截图。")


def closure_open_inquiries(n: int) -> str:
    return f"注意：该账号还有 {n} 条群众咨询未答复（《管理办法》第十二条），注销前请督促答复。"


OUTCOME_ATTESTED = "负责人已同意"
OUTCOME_REFUSED = "负责人不同意"
OUTCOME_GRANTED = "已批准"
OUTCOME_DENIED = "已驳回"
OUTCOME_FILED = "已备案"
OUTCOME_RETURNED = "已退回"
OUTCOME_CLOSURE_CONFIRMED = "已确认注销"


def change_filed_to_ic(account: str, role: str, new: str) -> str:
    return f"已为「{account}」登记{role}变更为 {new}，相关人员已收到通知。"


def attested_to_head(ref: str, name: str) -> str:
    return f"已同意开通申请 {ref}「{name}」，已报送信息中心审批。"


def refused_to_head(ref: str, name: str) -> str:
    return f"已登记：不同意开通申请 {ref}「{name}」，申请人已收到通知。"


def granted_to_ic(ref: str, name: str) -> str:
    return f"已批准开通申请 {ref}「{name}」，申请人已收到通知；开通后请其报送备案登记。"


VERIFIED_BY_ORG_FILE = "组织文件所载认证日期"


def filed_to_ic(ref: str, account: str) -> str:
    return f"已备案：「{account}」{ref}，账号转为运行中，报送人已收到通知。"


def returned_to_ic(ref: str, account: str) -> str:
    return f"已退回「{account}」的备案登记 {ref}，报送人已收到通知。"


def card_void_account_closed(name: str, at: datetime) -> str:
    return f"账号已注销 · {name} · {hm(at)}"


def filing_subject(ref: str, account: str) -> str:
    return f"{FILING_CARD_TITLE} {ref}「{account}」"


def change_subject(account: str) -> str:
    return f"{CHANGE_CARD_TITLE}「{account}」"


WHAT_FILING = "备案登记 {ref} "
WHAT_CHANGE = "负责人/管理员变更备案"


def account_closed_nothing_to_do(account: str, what: str) -> str:
    return f"账号「{account}」已注销，{what}不再办理。"


# The words for the two roles of an account that 变更 takes (English aliases too).
ROLE_WORDS = {"管理员": "admin", "admin": "admin", "负责人": "leader", "主管领导": "leader",
              "leader": "leader"}
