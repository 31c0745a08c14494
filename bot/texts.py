"""Every user-facing Chinese text of xmt-bot, in one place.

Handlers and the outbox import their wording from here; nothing else writes Chinese for users.
Keep texts short enough for a phone screen; a refusal always says why and what to do instead.
"""

from __future__ import annotations

import re
from datetime import datetime

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


def md(at: datetime) -> str:
    """A date as people write it: 12月3日 (no leading zeros)."""
    return f"{at.month}月{at.day}日"


def category_label(code: str | None) -> str:
    return f"{code} {CATEGORY_NAMES[code]}" if code in CATEGORY_NAMES else "未选择"


HELP = """可用命令（中英文均可）：
投稿 @账号 [类别] 正文 — 新建稿件，之后几分钟内发送的图片、文件、链接自动附上（draft）
修改 D12 正文 — 修改稿件，生成新版本，需重新审核（revise）
撤回 D12 — 撤回待审核的稿件（withdraw）
已发布 D12 链接 — 登记已发布的稿件（published）
查看 D12 — 查看稿件全文和附件（view）
我的 — 查看我的稿件（mine）
待审 — 查看等待我审核的稿件（pending）
申请开通 — 填写《新媒体平台申请表》，经部门负责人签署、信息中心批准后开通（apply）
备案 @账号 — 开通后填写《备案登记表》（账号ID、创建时间、关注人数、二维码）（file）
已认证 @账号 链接 — 登记平台认证，附认证页链接，或先发命令再发截图（verified）
变更 @账号 管理员|负责人 姓名 — 报信息中心备案（change）
年审 @账号 [报告] — 11月提交年度年审报告，先附上本助手记录的全年数据；不合格后可随时重交（review）
年审记录 @账号 — 历次年审报告、结果、审核人和数据（review-history）
注销 @账号 原因 [链接] — 部门负责人或信息中心申请，须停运的账号管理员亦可；附注销证明，信息中心确认（closed）
账号 @账号 — 查看账号档案；台账 — 全部账号（信息中心）
导出台账 / 导出年审 [年份] — 以文件发送（信息中心）
导出申请表 @账号或S编号（提交即可导出）/ 导出备案表 @账号 — 以文件发送
咨询 @账号 内容 来自 渠道 — 登记群众咨询；回复 Q7 内容 — 答复；咨询统计（inquiry / reply）
词库 添加|删除|列出 拦截|复核|提示 词；词库 例外 添加 短语 — 维护敏感词库（信息中心）
帮助 — 显示本说明（help）
类别：1 动态服务　2 形象文化　3 领导批准　4 工作需要（《管理办法》第八条）"""

UNKNOWN_COMMAND = "没有看懂这条消息。\n" + HELP
UNSUPPORTED_KINDS = {"voice": "语音", "video": "视频", "location": "位置", "shortvideo": "小视频"}


def unsupported_message(what: str) -> str:
    name = UNSUPPORTED_KINDS.get(what, "这类")
    return f"暂时不能处理{name}消息。请发送文字；稿件的配图、附件和链接可以直接发送。"
NOT_IN_ORG = "你还不在本单位新媒体管理名单中，无法使用本助手。请联系信息中心登记。"
INTERNAL_ERROR = "处理这条消息时出错了，已记录。请稍后再试；如仍有问题请联系信息中心。"
NO_CHANNEL_FOR_RECIPIENT = "没有可以送达该收件人的渠道"
EXPIRED_BUTTON = "这个按钮已失效，请按最新的卡片操作。"
NOT_YOUR_CARD = "这张卡片不是发给你的，无法操作。"

DRAFT_USAGE = (
    "投稿格式：投稿 @账号 [类别] 正文\n"
    "例如：投稿 @{example} 1 标题\n正文……\n"
    "类别：1 动态服务　2 形象文化　3 领导批准　4 工作需要"
)


def ask_draft_text(account: str) -> str:
    return (f"请发送「{account}」的稿件正文（第一行作为标题）。"
            f"也可以直接写在命令后面：投稿 @{account} 1 标题（换行）正文……")


ASK_CATEGORY = "请选择稿件类别（《管理办法》第八条），点击下方按钮或回复编号 1–4："
BAD_CATEGORY = "类别只能是 1 动态服务、2 形象文化、3 领导批准、4 工作需要，请回复编号 1–4。"
ATTACH_HINT = "几分钟内发送的图片、文件、链接会附加到这篇稿件。确认无误后点击【提交审核】。"
NO_OPEN_DRAFT_FOR_ATTACHMENT = (
    "没有正在编辑的稿件可以附加。请先发送：投稿 @账号 正文，再在几分钟内发送图片、文件或链接。"
)


def unknown_account(name: str, candidates: list[str]) -> str:
    hint = "可投稿的账号：" + "、".join(candidates) if candidates else "你所在部门还没有登记账号。"
    return f"没有找到账号「{name}」。{hint}"


def account_not_operating(name: str, status: str) -> str:
    return (
        f"账号「{name}」当前状态为「{ACCOUNT_STATUS_NAMES.get(status, status)}」，"
        "不能投稿（《管理办法》第三条：只有已登记并运行中的账号才能发布）。"
    )


def not_officer_of(account: str, department: str) -> str:
    return f"只有「{department}」的信息员可以为「{account}」投稿（《管理办法》第七条）。"


def no_head(department: str) -> str:
    return f"「{department}」还没有登记主要负责人，稿件无法送审。请联系信息中心。"


def head_cannot_self_approve(department: str) -> str:
    return (
        f"你是「{department}」的主要负责人，不能审批自己提交的稿件。"
        "请由本部门信息员投稿。"
    )


def draft_created(ref: str, attachments_hint: bool = True) -> str:
    return f"已创建稿件 {ref}。" + (ATTACH_HINT if attachments_hint else "")


def attached(ref: str, what: str, count: int) -> str:
    return f"已附加到稿件 {ref}：{what}（共 {count} 个附件）。"


PREVIEW_TITLE = "稿件预览"
APPROVAL_TITLE = "稿件待审核"
BUTTON_SUBMIT = "提交审核"
BUTTON_CANCEL = "取消"
BUTTON_APPROVE = "通过"
BUTTON_REJECT = "驳回"
FIELD_ACCOUNT = "账号"
FIELD_CATEGORY = "类别"
FIELD_AUTHOR = "信息员"
FIELD_ATTACHMENTS = "附件"
FIELD_VERSION = "版本"
FIELD_TITLE = "标题"
NO_TITLE = "（无标题）"


def attachments_summary(images: int, files: int, links: int) -> str:
    parts = []
    if images:
        parts.append(f"图片 {images}")
    if files:
        parts.append(f"文件 {files}")
    if links:
        parts.append(f"链接 {links}")
    return "、".join(parts) if parts else "无"


def card_submitted(at: datetime) -> str:
    return f"已提交审核 · {hm(at)}"


def card_cancelled(at: datetime) -> str:
    return f"已取消 · {hm(at)}"


def card_approved(name: str, at: datetime) -> str:
    return f"已通过 · {name} · {hm(at)}"


def card_rejected(name: str, at: datetime) -> str:
    return f"已驳回 · {name} · {hm(at)}"


def card_withdrawn(at: datetime) -> str:
    return f"已撤回 · {hm(at)}"


def card_superseded(version: int) -> str:
    return f"已修改为第 {version} 版，本版作废"


def submitted(ref: str, head: str) -> str:
    return f"稿件 {ref} 已提交，等待 {head} 审核。审核结果会通知你。"


def cancelled(ref: str) -> str:
    return f"稿件 {ref} 已取消。"


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
SKIP_WORDS = frozenset({"跳过", "skip", "无"})


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


def only_author(ref: str) -> str:
    return f"只有稿件 {ref} 的作者可以这样操作。"


def unknown_draft(text: str) -> str:
    return f"没有找到稿件「{text}」。稿件编号形如 D12，可发送“我的”查看。"


def needs_draft_ref(command: str) -> str:
    return f"请写上稿件编号，例如：{command} D12"


def withdrawn(ref: str) -> str:
    return f"稿件 {ref} 已撤回。"


def cannot_withdraw(ref: str, status: str) -> str:
    return f"稿件 {ref} 当前为「{STATUS_NAMES.get(status, status)}」，只有待提交或待审核的稿件可以撤回。"


def withdrawn_to_head(ref: str, title: str, author: str) -> str:
    return f"{author} 撤回了稿件 {ref}《{title}》，无需再审核。"


def revise_needs_text(ref: str) -> str:
    return f"请把新正文写在编号后面，例如：修改 {ref} 新的标题（换行）新的正文……"


def cannot_revise(ref: str, status: str) -> str:
    return f"稿件 {ref} 当前为「{STATUS_NAMES.get(status, status)}」，不能再修改；请重新投稿。"


def revised(ref: str, version: int) -> str:
    return f"稿件 {ref} 已生成第 {version} 版，需重新提交审核。" + ATTACH_HINT


def revised_to_head(ref: str, version: int) -> str:
    return f"稿件 {ref} 已被修改为第 {version} 版，旧版本的审核卡片已作废。"


def publish_usage(ref: str = "D12") -> str:
    return f"请写上稿件编号和发布链接，例如：已发布 {ref} https://…"


def bad_link(text: str) -> str:
    return f"「{text}」不是有效的链接，请发送以 http:// 或 https:// 开头的发布地址。"


def cannot_publish(ref: str, status: str) -> str:
    reasons = {
        "composing": "还没有提交审核",
        "pending": "还在等待审核",
        "rejected": "已被驳回，请修改后重新提交",
        "withdrawn": "已撤回",
        "cancelled": "已取消",
        "published": "已经登记过发布",
    }
    why = reasons.get(status, f"当前为「{STATUS_NAMES.get(status, status)}」")
    return f"稿件 {ref} {why}，不能登记发布（先审后发，《管理办法》第十条）。"


def not_approved_version(ref: str) -> str:
    return (
        f"稿件 {ref} 的最新版本没有经过审核通过，不能登记发布"
        "（先审后发：审核只覆盖当时的内容）。请重新提交审核。"
    )


def published(ref: str, account: str) -> str:
    return f"已登记：稿件 {ref} 已在「{account}」发布。"


def published_to_group(account: str, ref: str, title: str, author: str, url: str) -> str:
    return f"「{account}」发布了新内容：《{title}》（{ref}，{author}）\n{url}"


def published_to_head(ref: str, title: str, url: str) -> str:
    return f"你审核通过的稿件 {ref}《{title}》已发布：{url}"


def draft_full_text(ref: str, version: int, status: str, text: str, attachments: list[str]) -> str:
    lines = [f"稿件 {ref}（第 {version} 版 · {STATUS_NAMES.get(status, status)}）", "", text]
    if attachments:
        lines += ["", "附件：", *attachments]
    return "\n".join(lines)


def view_hint(ref: str) -> str:
    return f"全文和附件：发送“查看 {ref}”"


def cannot_view(ref: str) -> str:
    return f"只有作者、本部门的负责人和信息员、信息中心可以查看稿件 {ref}。"


MINE_EMPTY = "你还没有稿件。发送“投稿 @账号 正文”开始。"
MINE_TITLE = "我的稿件（最近 {n} 篇）："
PENDING_EMPTY = "目前没有等待你审核的稿件。"
PENDING_TITLE = "等待你审核的稿件（{n} 篇）："
NOT_A_HEAD = "你不是任何部门的主要负责人，没有需要审核的稿件。"


def draft_line(ref: str, title: str, account: str, status: str, version: int) -> str:
    v = f" 第{version}版" if version > 1 else ""
    return f"{ref}《{title or NO_TITLE}》· {account} · {STATUS_NAMES.get(status, status)}{v}"


def dead_letter_notice(row_id: int, what: str, error: str) -> str:
    return (
        f"【投递失败】消息 #{row_id}（{what}）多次发送失败，已停止重试。\n"
        f"原因：{error[:200]}\n请检查渠道配置或收件人的账号绑定。"
    )


# -- command words (the first is what help shows; the rest are aliases) ---------------------------
CMD_DRAFT = ("投稿", "draft", "submit")
CMD_REVISE = ("修改", "revise", "edit")
CMD_WITHDRAW = ("撤回", "withdraw")
CMD_PUBLISHED = ("已发布", "published")
CMD_MINE = ("我的", "mine", "my")
CMD_VIEW = ("查看", "view", "show")
CMD_PENDING = ("待审", "pending", "todo")
CMD_HELP = ("帮助", "help", "?", "？")

ATTACHMENT_KIND_NAMES = {"image": "图片", "file": "文件", "link": "链接"}
DEFAULT_IMAGE_NAME = "图片"
ACCOUNT_PLACEHOLDER = "账号名称"
HEAD_PLACEHOLDER = "部门负责人"


def category_words(code: str, name: str) -> tuple[str, ...]:
    """What a person may type for a category: 1, 动态服务, 类别1, (1), （1）, 1动态服务."""
    return (code, name, f"类别{code}", f"({code})", f"（{code}）", f"{code}{name}")


def version_label(number: int) -> str:
    return f"第 {number} 版"


def category_card_title(ref: str) -> str:
    return f"选择类别 {ref}"


def category_chosen(code: str) -> str:
    return f"类别：{category_label(code)}"


# -- simulator ------------------------------------------------------------------------------------
STRANGER_NAME = "访客（不在名单）"
FOLLOWER_NAME = "公众号粉丝（演示）"


def group_chat_name(department: str) -> str:
    return f"{department}工作群"


# -- organisation file (xmt org import) -----------------------------------------------------------
def org_bad_yaml(error: object) -> str:
    return f"不是有效的 YAML：{error}"


def org_bad_shape(where: str, message: str) -> str:
    return f"组织文件格式错误（{where}）：{message}"


def org_duplicate(section: str, what: str) -> str:
    return f"{section} 中有重复的 {what}"


def org_officer_count(name: str, code: str, n: int, low: int, high: int) -> str:
    return (f"部门「{name}」（{code}）有 {n} 名信息员；《管理办法》第七条要求每个部门设置 "
            f"{low}–{high} 名信息员。")


def org_unknown_person(department: str, who: str) -> str:
    return f"部门「{department}」引用了不存在的人员 {who}"


def org_two_departments(who: str, first: str, second: str) -> str:
    return f"人员 {who} 同时属于「{first}」和「{second}」"


def org_unknown_department(account: str, department: str) -> str:
    return f"账号「{account}」的部门 {department} 不存在"


def org_unknown_role_person(account: str, role: str, who: str) -> str:
    return f"账号「{account}」的 {role} {who} 不存在"


# -- command line ---------------------------------------------------------------------------------
CLI_DESCRIPTION = "xmt-bot 新媒体平台管理助手"
CLI_HELP = {
    "host": "监听地址（默认 127.0.0.1）",
    "port": "端口（默认 8080）",
    "serve": "启动机器人（回调、模拟器、定时任务）",
    "demo": "用内置 SQLite、本地模拟器和演示组织启动",
    "org_file": "演示组织文件",
    "org": "组织架构导入导出",
    "import": "从 YAML 导入（可重复执行）",
    "export": "导出为 YAML",
    "audit": "审计日志",
    "verify": "校验审计日志哈希链",
    "dingtalk": "钉钉设置",
    "reminders": "提醒",
    "export_files": "导出台账、年审表（.xlsx）或申请表、备案表（.docx）",
    "account": "账号名称（form1、form2 需要）",
    "run-now": "立即运行提醒检查（可指定 {sweeps}），并列出发出的提醒",  # the names of schedules.SWEEPS
    "run-now-demo": "用演示的数据库（xmt demo 的 var/demo.sqlite3）；提醒由正在运行的演示发到模拟器",
    "at": "把时钟拨到这个本地时间再运行，如 \"2026-12-03 10:00\"（演示提醒用）",
    "register": "登记卡片回调地址（HTTP 模式）",
}
CLI_OUTSIDE_HOURS = "现在不在工作时间：提醒会在下一个工作时段开始时发出。"


def cli_clock(now: datetime) -> str:
    return f"演示时钟：{now:%Y-%m-%d %H:%M}（从这里继续走）"


def cli_unknown_sweep(kind: str, known: list[str]) -> str:
    return f"没有“{kind}”这种提醒；可用：{'、'.join(known)}"


def cli_sweep_count(name: str, count: int) -> str:
    names = {"cadence": "发布频率", "approvals": "审核催办", "digest": "晨间待审汇总",
             "review": "年审", "verify": "认证", "inquiries": "咨询答复"}
    return f"{names.get(name, name)}：发出 {count} 条提醒"


def cli_sweep_line(to: str, text: str) -> str:
    return f"{to}：{text[:60]}"


CLI_DINGTALK_OFF = "钉钉未配置：请先设置 XMT_DINGTALK_CLIENT_ID 等变量。"


def cli_dingtalk_registered(url: str, key: str) -> str:
    return f"已登记卡片回调：{url}（callbackRouteKey={key}）"


def cli_dingtalk_register_failed(error: object) -> str:
    return f"登记卡片回调失败：{error}"
SETTINGS_ERROR = "配置错误 / configuration error:"


def cli_started(url: str) -> str:
    return f"xmt-bot 已启动：{url}"


def cli_simulator(url: str) -> str:
    return f"聊天模拟器：{url}  （按 Ctrl+C 停止）"


def cli_missing_file(path: object) -> str:
    return f"找不到文件 {path}"


def cli_unreadable(path: object, error: object) -> str:
    return f"无法读取 {path}：{error}"


def cli_org_counts(prefix: str, counts: dict[str, int]) -> str:
    return (f"{prefix}{counts['departments']} 个部门、{counts['people']} 人、"
            f"{counts['accounts']} 个账号")


def cli_import_refused(error: object) -> str:
    return f"导入被拒绝：{error}"


def cli_exported(path: object) -> str:
    return f"已导出到 {path}"


def cli_audit_ok(rows: int) -> str:
    return f"审计日志完整：{rows} 条记录，哈希链校验通过。"


def cli_audit_bad(bad_id: int | None, reason: str, rows: int) -> str:
    return f"审计日志校验失败：id={bad_id} 的记录{reason}；之前的 {rows} 条完好。"


AUDIT_REASON_LINK = "与上一条记录的哈希链接不上（前面有记录被删改）"
AUDIT_REASON_HASH = "内容与其哈希不符（被修改过）"


# -- reminders (Art. 10, 11) ---------------------------------------------------------------------
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


# -- guided forms --------------------------------------------------------------------------------
CANCEL_WORDS = frozenset({"取消", "cancel", "退出"})
NONE_WORDS = frozenset({"无", "没有", "none", "-", "跳过", "skip", "稍后补", "稍后", "以后补", "暂无"})
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


# -- account applications (Art. 3, 4; form 1) ------------------------------------------------------
CMD_APPLY = ("申请开通", "apply")
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


# -- filing (form 2), verification, changes, registry (Art. 2, 4) --------------------------------------
CMD_FILE = ("备案", "file")
CMD_VERIFIED = ("已认证", "verified")
CMD_CHANGE = ("变更", "change")
CMD_REGISTRY = ("台账", "registry")
CMD_ACCOUNT = ("账号", "account")
FORM2_TITLE = "新媒体平台备案登记表"
FILE_USAGE = "请写上账号名称，例如：备案 @某某发布"
VERIFIED_USAGE = ("请写上账号名称和认证证明，例如：已认证 @某某发布 https://…（平台上显示已认证的页面）；"
                  "也可以先发“已认证 @某某发布”，再发认证页面的截图。")
CHANGE_USAGE = "变更格式：变更 @账号 管理员|负责人 姓名，例如：变更 @某某发布 管理员 陈七"
ACCOUNT_USAGE = "请写上账号名称，例如：账号 @某某发布"
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
ROLE_NAMES = {"leader": "负责人", "admin": "管理员"}
ONLY_INFO_CENTER_REGISTRY = "台账只对信息中心管理员开放。"


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


def verify_reminder(account: str) -> str:
    return (f"【认证提醒】「{account}」已备案但尚未完成平台认证（《管理办法》第四条）。"
            f"认证完成后请发送“已认证 @{account} 认证页链接”，或先发“已认证 @{account}”再发认证页截图。")


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


def registry_line(name: str, platform: str, dept: str, status: str, leader: str, admin: str,
                  last: str, filed: bool, verified: bool, review: str) -> str:
    flags = ("已备案" if filed else "未备案") + ("·已认证" if verified else "·未认证")
    return (f"「{name}」{platform}·{dept}·{status}·{flags}·负责人 {leader or '—'}·管理员 {admin or '—'}"
            f"·最近发布 {last or '无'}·年审 {review}")


def registry(lines: list[str]) -> str:
    return f"新媒体账号台账（{len(lines)} 个）：\n" + "\n".join(lines) if lines else "台账中还没有账号。"


def account_record(name: str, platform: str, dept: str, status: str, leader: str, admin: str,
                   account_id: str, followers: int | None, filed: datetime | None,
                   verified: datetime | None, last: datetime | None, cadence: str) -> str:
    """The head of 账号 @x: where the account stands (its life follows, see ``life_*``)."""
    return "\n".join([f"「{name}」{platform} · {dept} · {status}",
                      f"负责人：{leader or '未登记'}", f"管理员：{admin or '未登记'}",
                      f"账号ID：{account_id or '未登记'}　"
                      f"关注人数：{followers if followers is not None else '未登记'}",
                      f"备案：{filed:%Y-%m-%d}" if filed else "备案：未备案",
                      f"认证：{verified:%Y-%m-%d}" if verified else "认证：未认证",
                      f"最近发布：{last:%Y-%m-%d}" if last else "最近发布：无",
                      cadence])


# -- the annual review and closing (Art. 5) --------------------------------------------------------
CMD_REVIEW = ("年审", "review")
CMD_CLOSED = ("注销", "已注销", "closed")
REVIEW_USAGE = "年审格式：年审 @账号 报告正文（也可以先发“年审 @账号”，再发文字或文件）"
CLOSED_USAGE = ("注销格式：注销 @账号 原因 证明链接，例如：注销 @某某发布 业务调整不再运营 https://…\n"
                "也可以先发“注销 @账号 原因”，再发平台注销（或关闭）成功页面的截图。")
ASK_REVIEW_REPORT = ("上面是本助手记录的本年度数据，提交时会随报告一并交给信息中心。"
                     "请发送年审报告：直接回复文字，或发送报告文件。")
ASK_CLOSURE_EVIDENCE = ("请发送账号已在平台上注销或关闭的证明：注销（关闭）成功页面的截图，"
                        "或能看到账号已注销的链接（http:// 或 https:// 开头）。")
REVIEW_CARD_TITLE = "年审报告"
BUTTON_PASS = "合格"  # noqa: S105 - a button label, not a password
BUTTON_FAIL = "不合格"
ASK_FAIL_REASON = "请回复不合格的理由（将转告账号负责人和管理员），或回复“跳过”。"
FAIL_REASON_SENT = "理由已转告账号负责人和管理员。"
CLOSURE_SCREENSHOT = "注销截图"


def review_kickoff(account: str, year: int, deadline: str) -> str:
    return (f"【{year}年度年审】「{account}」请于 {deadline}（含）前提交年审报告（《管理办法》第五条）："
            f"发送“年审 @{account} 报告正文”，或先发“年审 @{account}”再发报告文件。"
            f"报告应包括全年运营情况、发布数量、互动回复和存在的问题。未提交或不合格的账号须停止运行并注销。")


def review_reminder(account: str, year: int, deadline: str, last: bool) -> str:
    head = "【年审最后提醒】" if last else "【年审提醒】"
    return (f"{head}「{account}」还没有提交{year}年度年审报告，截止 {deadline}。"
            f"发送“年审 @{account} 报告正文”提交。")


def review_submitted(ref: str, account: str) -> str:
    return f"「{account}」的年审报告 {ref} 已提交信息中心，审核结果会通知你。"


def review_not_open(account: str) -> str:
    return f"现在不在年审报告提交期内，「{account}」无需提交。"


def review_already(ref: str, status: str) -> str:
    names = {"passed": "合格", "failed": "不合格", "submitted": "待审核"}
    return f"年审报告 {ref} 已审核为「{names.get(status, status)}」，无需重复操作。"


def card_passed(name: str, at: datetime) -> str:
    return f"合格 · {name} · {hm(at)}"


def card_failed(name: str, at: datetime) -> str:
    return f"不合格 · {name} · {hm(at)}"


def review_passed(account: str, year: int) -> str:
    return f"「{account}」{year}年度年审合格，可继续运行。"


def review_failed(account: str, year: int, reason: str) -> str:
    text = f"「{account}」{year}年度年审不合格。"
    if reason:
        text += f"理由：{bare(reason)}。"
    return text + "年审截止后该账号须停止运行并注销（《管理办法》第五条）；如有异议请联系信息中心。"


def review_must_stop(account: str, year: int, part: str = "") -> str:
    """To the administrator, the head or (``part`` "leader") the 主管领导 of one account stopped for
    no report: what follows is the closing flow (注销 with evidence, confirmed by the Information Center)."""
    who = "你是该账号的主管领导。" if part == "leader" else ""
    return (f"【停止运行】「{account}」未在截止日前提交{year}年度年审报告，已登记为“须停止运行”"
            f"（《管理办法》第五条：未提交年审报告的，该平台不得继续运行）。{who}请立即停止发布，在平台上注销"
            f"（关闭）账号，然后发送“注销 @{account} 未提交年审报告 证明链接”，或先发“注销 @{account} "
            f"未提交年审报告”再发注销成功页面的截图，由信息中心确认。")


def review_close_reminder(account: str) -> str:
    return (f"【注销提醒】「{account}」须停止运行，但尚未注销。请在平台上注销（关闭）账号后发送"
            f"“注销 @{account} 原因 证明链接”（或先发命令再发截图），由信息中心确认。")


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


# -- exports ---------------------------------------------------------------------------------------
CMD_EXPORT_REGISTRY = ("导出台账", "export-registry")
CMD_EXPORT_FORM1 = ("导出申请表", "export-form1")
CMD_EXPORT_FORM2 = ("导出备案表", "export-form2")
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


def review_status_name(status: str | None) -> str:
    return {"submitted": "待审核", "passed": "合格", "failed": "不合格"}.get(status or "", "未提交")


def export_file_name(kind: str, name: str, at: datetime) -> str:
    return f"{name}{kind}{at:%Y%m%d}"


def exported(path: object) -> str:
    return f"已导出：{path}"


# -- inquiries from the public (Art. 12) -------------------------------------------------------------
CMD_INQUIRY = ("咨询", "inquiry")
CMD_REPLY = ("回复", "reply")
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


def md_hm(at: datetime) -> str:
    """11月27日 14:05 (local time, no leading zero on month and day)."""
    return f"{at.month}月{at.day}日 {at:%H:%M}"


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


CMD_INQUIRY_STATS = ("咨询统计", "inquiry-stats")
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


# -- content screening (Art. 9, 13) ------------------------------------------------------------------
HINT_NO_IMAGE = "提示：还没有配图，发布信息尽量图文并茂（《管理办法》第九条），可以再发一张图片。"
HINT_NO_TITLE = "提示：建议第一行写标题，换行后写正文。"
HINT_LONG_PARAGRAPH = "提示：有的段落很长，内容应简洁、表达清晰，可以分段。"
BUTTON_CONFIRM = "确认通过"
CONFIRM_BODY = "这篇稿件含有需要注意的词语（见下），请确认内容无误后再点【确认通过】。"
CMD_WORDS = ("词库", "words")
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


# -- Issue 13 point 3 (cadence, Art. 11) and point 6 (existing accounts, Art. 3, 4) ----------------
def org_cadence_needs_reason(account: str, every: int, basis: int) -> str:
    return (f"账号「{account}」的发布频率为每 {every} 个工作日一次，超过《管理办法》第十一条的基础要求"
            f"（1–{basis} 天一次）：请在 cadence_reason 中写明根据工作情况调整的原因（200 字以内）。")


def org_filed_in_future(account: str, filed_on: str) -> str:
    return f"账号「{account}」的备案日期 filed_on: {filed_on} 晚于今天，请填写信息中心实际备案的日期。"


def registry_cadence(every: int, reason: str) -> str:
    """The cadence part of a 台账 line (Art. 11): the reason shows when it is slower than the basis."""
    return f"·每 {every} 个工作日发布" + (f"（原因：{reason}）" if reason else "")


def account_cadence(every: int, reason: str) -> str:
    return f"发布频率：每 {every} 个工作日至少一次" + (f"（调整原因：{reason}）" if reason else "")


# -- forms 1 and 2 as the attachments read (issue 13, point 10: Art. 4, 附件1, 附件2) -----------------
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
CMD_EXPORT_REVIEW = ("导出年审", "export-review")
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


# -- issue 13 point 11: the annual-review campaign, one message per person (Art. 5) --------------
REVIEW_LIST_MAX = 20  # accounts named in one message; the rest are counted
REVIEW_LIST_BYTES = 1200  # and fewer if the names are long: WeCom takes 2,048 bytes of text
REVIEW_ASK = {  # what each person is asked to do for an account, by their part in it
    "admin": "请你提交（你是管理员）",
    "head": "请督促提交（你是部门负责人）",
}
REVIEW_STOP_ASK = {
    "admin": "你是管理员",
    "head": "你是部门负责人",
}


def review_account_list(accounts: list[tuple[str, str]], headings: dict[str, str]) -> str:
    """One line per part (``headings[part]``, or the part itself: a department), naming at most
    ``REVIEW_LIST_MAX`` accounts in all (fewer if the names are long), then “等 N 个账号”."""
    groups: dict[str, list[str]] = {}
    for name, part in accounts:
        groups.setdefault(part, []).append(name)
    lines, shown, size = [], 0, 0
    order = list(headings)
    for part in sorted(groups, key=lambda p: order.index(p) if p in order else len(order)):
        names = groups[part]
        picked: list[str] = []
        for name in names:
            size += len(name.encode()) + 9
            if shown >= REVIEW_LIST_MAX or (shown and size > REVIEW_LIST_BYTES):
                break
            picked.append(f"「{name}」")
            shown += 1
        listed = ("、".join(picked) + (f"等 {len(names)} 个账号" if len(picked) < len(names) else "")
                  if picked else f"另有 {len(names)} 个账号")
        heading = headings.get(part, part)
        lines.append(f"· {heading}：{listed}" if heading else f"· {listed}")
    return "\n".join(lines)


def review_kickoff_many(accounts: list[tuple[str, str]], year: int, deadline: str) -> str:
    """``accounts``: (name, "admin" | "head")."""
    return (f"【{year}年度年审】你负责的 {len(accounts)} 个账号须于 {deadline}（含）前提交年审报告"
            f"（《管理办法》第五条）：\n{review_account_list(accounts, REVIEW_ASK)}\n"
            f"每个账号分别提交：发送“年审 @账号 报告正文”，或先发“年审 @账号”再发报告文件。"
            f"报告应包括全年运营情况、发布数量、互动回复和存在的问题。未提交或不合格的账号须停止运行并注销。")


def review_reminder_many(accounts: list[tuple[str, str]], year: int, deadline: str, last: bool) -> str:
    head = "【年审最后提醒】" if last else "【年审提醒】"
    return (f"{head}你负责的 {len(accounts)} 个账号还没有提交{year}年度年审报告，截止 {deadline}：\n"
            f"{review_account_list(accounts, REVIEW_ASK)}\n发送“年审 @账号 报告正文”逐个提交。")


def review_must_stop_many(accounts: list[tuple[str, str]], year: int) -> str:
    listed = review_account_list(accounts, REVIEW_STOP_PARTS)
    return (f"【停止运行】你负责的 {len(accounts)} 个账号未在截止日前提交{year}年度年审报告，"
            f"已登记为“须停止运行”（《管理办法》第五条：未提交年审报告的，该平台不得继续运行）：\n{listed}\n"
            f"请立即停止发布，在平台上注销（关闭）这些账号，"
            f"每注销一个发送“注销 @账号 未提交年审报告 证明链接”（或先发命令再发截图），由信息中心确认。")


def review_must_stop_center(accounts: list[tuple[str, str]], year: int) -> str:
    """To the Information Center: (account, department) of every account stopped for no report."""
    return (f"【停止运行】{len(accounts)} 个账号未在截止日前提交{year}年度年审报告，"
            f"已登记为“须停止运行”（《管理办法》第五条）：\n{review_account_list(accounts, {})}\n"
            f"已通知各账号的管理员、部门负责人和主管领导停止发布并注销；注销申请会送来由你确认。")


def review_close_reminder_many(accounts: list[str]) -> str:
    listed = review_account_list([(name, "") for name in accounts], {"": ""})
    return (f"【注销提醒】你负责的 {len(accounts)} 个账号须停止运行，但尚未注销：\n{listed}\n"
            f"在平台上注销（关闭）后，请逐个发送“注销 @账号 原因 证明链接”（或先发命令再发截图），"
            f"由信息中心确认。")


# -- verification escalation (Art. 4 第四条: 开通后应及时申请认证) ---------------------------------
def verify_overdue_head(account: str, weeks: int, admin: str) -> str:
    who = f"（管理员：{admin}）" if admin else ""
    return (f"【认证逾期】「{account}」备案已 {weeks} 周仍未完成平台认证{who}。"
            f"《管理办法》第四条要求开通后及时申请认证，请督促办理；"
            f"完成后发送“已认证 @{account} 认证页链接”（或截图）。")


def verify_overdue_ic(account: str, department: str, weeks: int) -> str:
    return (f"【认证逾期】{department}的「{account}」备案已 {weeks} 周仍未完成平台认证"
            f"（《管理办法》第四条），已提醒管理员和部门负责人，请跟进。")


# -- accountability (Art. 6 第六条: 谁审批、谁监管) ------------------------------------------------
def decides_own(subject: str) -> str:
    return (f"{subject}与你本人有关，按“谁审批、谁监管”（《管理办法》第六条）不能由你自己决定，"
            f"已交由信息中心其他管理员处理。")


# -- points 7, 8: closing (Art. 5 第五条) and verification evidence (Art. 4 第四条) ---------------
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


# -- issue 13 point 2: the bot's own figures in the annual review report, report history (Art. 5) --
CMD_REVIEW_HISTORY = ("年审记录", "review-history")
REVIEW_HISTORY_USAGE = "年审记录格式：年审记录 @账号"
FIGURES_NONE = "—"
REVIEW_CARD_FIGURES = "本助手记录"
REVIEW_CARD_REPORT = "报告"


def review_figures(*, year: int, month: int, day: int, posts: int, by_month: list[int], every: int,
                   periods: int, kept: int, kept_pct: int | None, late: int, zombie: int, inquiries: int,
                   in_time: int, overdue: int, median_hours: float | None, blocked: int,
                   changes: int) -> str:
    """The bot's figures of the year, a few lines (a chat message, the review card)."""
    months = "、".join(f"{m}月 {n}" for m, n in enumerate(by_month[:month], start=1))
    if periods:
        cadence = f"每 {every} 个工作日一次，{kept}/{periods} 个周期按期更新（{kept_pct}%）"
    else:
        cadence = f"每 {every} 个工作日一次，尚无完整周期（未备案，或备案、登记不久）"
    median = f"{median_hours} 个工作小时" if median_hours is not None else FIGURES_NONE
    return "\n".join([
        f"【本助手记录的{year}年度数据】截至{month}月{day}日：",
        f"· 发布 {posts} 篇" + (f"（{months}）" if posts else ""),
        f"· 更新频率（第十一条）：{cadence}",
        f"· 逾期更新 {late} 次，长期未更新（僵尸）预警 {zombie} 次",
        f"· 群众咨询（第十二条）：收到 {inquiries}，按时答复 {in_time}，逾期 {overdue}，"
        f"答复用时中位数 {median}",
        f"· 敏感词拦截稿件 {blocked} 篇；负责人/管理员变更备案 {changes} 次",
    ])


def review_figures_line(*, posts: int, kept_pct: int | None, late: int, zombie: int, inquiries: int,
                        in_time: int, overdue: int, blocked: int, changes: int) -> str:
    kept = f"{kept_pct}%" if kept_pct is not None else FIGURES_NONE
    return (f"发布 {posts} 篇·按期 {kept}·逾期更新 {late}·僵尸 {zombie}·咨询 {inquiries}"
            f"（按时 {in_time}，逾期 {overdue}）·拦截 {blocked}·变更 {changes}")


def review_card_fields(*, posts: int, kept_pct: int | None, kept: int, periods: int, late: int, zombie: int,
                       inquiries: int, in_time: int, overdue: int, median_hours: float | None, blocked: int,
                       changes: int) -> list[tuple[str, str]]:
    """The figures as card fields (WeCom shows six fields with names of five characters at most)."""
    median = f"，中位 {median_hours} 小时" if median_hours is not None else ""
    return [("发布", f"{posts} 篇"),
            ("按期更新", f"{kept_pct}%（{kept}/{periods}）" if kept_pct is not None else FIGURES_NONE),
            ("逾期/僵尸", f"{late} / {zombie} 次"),
            ("咨询", f"{inquiries}，按时 {in_time}，逾期 {overdue}{median}"),
            ("拦截/变更", f"{blocked} 篇 / {changes} 次")]


def review_figures_attached(account: str, figures: str) -> str:
    return f"「{account}」的年审报告附上了本助手记录的数据：\n{figures}"


def review_waiting(account: str, ref: str, at: datetime) -> str:
    return (f"「{account}」的年审报告 {ref}（{at.month}月{at.day}日提交）还在等信息中心审核，"
            f"审核后如有需要再提交新的报告。")


def review_no_report_stopped(account: str) -> str:
    return (f"「{account}」未在截止日前提交年审报告，已登记为“须停止运行”。按《管理办法》第五条，"
            f"未提交年审报告的账号不得继续运行，须注销，不能再补交报告。请在平台上注销账号后发送"
            f"“注销 @{account} 原因”并附注销证明。")


def review_already_passed(account: str, year: int, ref: str) -> str:
    return f"「{account}」{year}年度年审已合格（{ref}），无需再提交。"


def review_not_reviewable(account: str, status: str) -> str:
    return f"「{account}」当前为「{ACCOUNT_STATUS_NAMES.get(status, status)}」，不需要提交年审报告。"


def review_no_judge(account: str) -> str:
    return (f"「{account}」的年审报告已登记，但信息中心没有与该账号无关的管理员可以审核"
            f"（《管理办法》第六条：谁审批、谁监管），请联系信息中心安排。")


def review_history(account: str, lines: list[str]) -> str:
    if not lines:
        return f"「{account}」还没有提交过年审报告。"
    return f"「{account}」的年审记录（共 {len(lines)} 份）：\n" + "\n".join(lines)


def review_history_line(ref: str, year: int, submitted: datetime, by: str, status: str, judge: str,
                        decided: datetime | None, reason: str, file_name: str, figures: str) -> str:
    line = f"· {ref} {year}年度，{submitted:%Y-%m-%d} {by}提交"
    if file_name:
        line += f"（文件：{file_name}）"
    line += f"：{review_status_name(status)}"
    if judge and decided is not None:
        line += f"（{judge} {decided:%Y-%m-%d}）"
    if reason:
        line += f"，理由：{bare(reason)}"
    if figures:
        line += f"\n  数据：{figures}"
    return line


EXPORT_REVIEW_FIGURE_HEADERS = ["数据截至", "发布数", *[f"{m}月发布" for m in range(1, 13)],
                                "发布频率(工作日)", "更新周期", "按期周期", "按期率(%)", "逾期更新(次)",
                                "僵尸预警(次)", "咨询受理", "咨询按时答复", "咨询逾期",
                                "答复用时中位数(工作小时)", "敏感词拦截(篇)", "变更备案(次)"]


# -- point 5: accountability (Art. 6 第六条 谁审批、谁监管; Art. 14 第十四条 主管领导责任) --------------
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


def nobody_else_decides(subject: str) -> str:
    return (f"信息中心目前没有与{subject}无关的管理员：按“谁审批、谁监管”（《管理办法》第六条），"
            f"与此事有关的人（申请人、报送人、账号的负责人或管理员）不能自己决定，所以暂时无人可以处理。"
            f"请单位为信息中心增加一名管理员（组织文件中信息中心的信息员，或 ic_admin 角色）；"
            f"增加后，信息中心管理员再点一次卡片上的按钮，卡片即转给新管理员。")


def cadence_zombie_leader(account: str, department: str, days: int, head: str, officers: list[str]) -> str:
    """To the account's 主管领导 (Art. 14: the leader answers for the account)."""
    return (f"【僵尸账号预警】你是「{account}」（{department}）的主管领导，该账号已 {days} 个工作日没有更新。"
            f"部门负责人：{head or '未登记'}；信息员：{'、'.join(officers) or '未登记'}。"
            "请督促恢复更新；如不再运营，请部门负责人按规定在平台上注销。")


# -- WeChat followers: the passive reply to a question (Art. 12; issue 14) -------------------------
FOLLOWER_ACK = "您好，留言已收到。工作人员会在工作时间尽快答复，答复将通过本公众号发给您。"


def closure_reason_for_drafts(account: str) -> str:
    return f"「{account}」已注销（《管理办法》第五条）"


# -- point 1: the annual review stops and restores an account (Art. 5 第五条) -----------------------
NO_REPORT_STOP = "未按期提交年审报告"  # how an empty Account.stop_reason reads (no report by the deadline)
FAIL_REASON_TOLD = "理由已转告账号管理员、部门负责人和主管领导。"
FAIL_REASON_SKIPPED_TOLD = "好的，未填写理由；已通知账号管理员、部门负责人和主管领导。"


def stop_reason_failed(year: int, reason: str = "") -> str:
    """Account.stop_reason after 不合格 (the Information Center's reason once given)."""
    return f"{year}年度年审不合格" + (f"，理由：{bare(reason)}" if reason else "")


def account_stopped_why(account: str, status: str, reason: str) -> str:
    """Why a stopped account takes no drafts: the ``why`` of ``void_pending_drafts``."""
    if status == "must_stop":
        return f"「{account}」须停止运行（{reason or NO_REPORT_STOP}，《管理办法》第五条）"
    return f"「{account}」当前为「{ACCOUNT_STATUS_NAMES.get(status, status)}」"


def account_stopped(account: str, status: str, reason: str, doing: str) -> str:
    """A refusal on a stopped account, saying why: ``doing`` is 投稿, 提交审核, 审核稿件, 登记发布."""
    if status == "must_stop":
        return f"{account_stopped_why(account, status, reason)}，不能{doing}。"
    return (f"账号「{account}」当前状态为「{ACCOUNT_STATUS_NAMES.get(status, status)}」，"
            f"不能{doing}（《管理办法》第三条：只有已登记并运行中的账号才能发布）。")


def draft_voided_status(why: str) -> str:
    return f"已作废 · {why}"


def draft_voided_to_author(ref: str, title: str, why: str) -> str:
    return (f"你的稿件 {ref}《{title}》还没有审核，已作废：{why}。"
            f"账号恢复运行后可重新投稿；发送“查看 {ref}”可取回正文。")


REVIEW_STOP_PARTS = {  # one's part in an account that must stop
    "admin": "你是管理员",
    "head": "你是部门负责人",
    "leader": "你是主管领导",
}


def review_waiting_center(accounts: list[tuple[str, str]]) -> str:
    """To an Information Center admin, daily from 25 November: (account, department) of every
    report waiting for their judgement (Art. 5: the judgement decides whether the account runs)."""
    return (f"【年审待审核】{len(accounts)} 个账号的年审报告在等待审核"
            f"（《管理办法》第五条：审核结果决定账号能否继续运行，未审核前账号照常运行）：\n"
            f"{review_account_list(accounts, {})}\n"
            f"请在各报告卡片上点“合格”或“不合格”；发送“年审记录 @账号”可查看报告。")


def decision_review(ref: str, account: str) -> str:
    """For ``texts.decides_own``: the report a judgement is about."""
    return f"「{account}」的年审报告 {ref}"


def review_stopped_failed(account: str, year: int, reason: str) -> str:
    """To the administrator, the head and the 主管领导 after 不合格 (Art. 5, 14)."""
    why = f"理由：{bare(reason)}。" if reason else "信息中心未填写理由。"
    return (f"【年审不合格】「{account}」{year}年度年审不合格，{why}"
            f"按《管理办法》第五条，账号即日起停止运行：待审稿件（如有）已作废，不能投稿、送审或登记发布。"
            f"整改后可重新提交年审报告（发送“年审 @{account} 报告正文”），信息中心审核合格即恢复运行；"
            f"不再运营的，请在平台上注销账号，再发送“注销 @{account} 原因”并附注销证明（链接或截图）。")


def review_fail_reason_late(account: str, year: int, reason: str) -> str:
    return f"「{account}」{year}年度年审不合格的理由（信息中心补充）：{reason}"


def review_restored(account: str, year: int) -> str:
    return f"「{account}」{year}年度年审合格，账号恢复运行，可以正常投稿和发布（《管理办法》第五条）。"


def review_passed_not_running(account: str, year: int, status: str) -> str:
    """合格 on a report of an account that is suspended or closed: nothing restarts."""
    name = ACCOUNT_STATUS_NAMES.get(status, status)
    return f"「{account}」{year}年度年审合格。账号当前为「{name}」，状态不变。"


def blocked_to_leader(ref: str, account: str, author: str, words: list[str]) -> str:
    """To the account's 主管领导 (Art. 13, 14): classified content stopped before approval."""
    return (f"【拦截】你是「{account}」的主管领导：{author} 提交的稿件 {ref} 含有不得发布的内容："
            f"{'、'.join(words)}（《管理办法》第十三条：涉密信息不得发布），已拦截，未送审。"
            f"信息中心已知悉；请关注账号的内容审核（第十四条）。")
SIM_FOLLOWER_NO_ACCOUNT = "没有可以留言的微信公众号。"
SIM_FOLLOWER_EMPTY = "请写下要留言的内容。"


def sim_follower_unknown(name: str) -> str:
    return f"没有名为「{name}」的账号。"


def sim_follower_not_wechat(name: str) -> str:
    return f"「{name}」不是微信公众号，粉丝不能在这里给它留言。"
DOING_DRAFT = "投稿"
DOING_SUBMIT = "提交审核"
DOING_APPROVE = "审核稿件"
DOING_PUBLISH = "登记发布"
# The simulator's refusals (shown to the person as a notice on the page).
SIM_PICK_PERSON = "请先选择以谁的身份聊天。"
SIM_BAD_NUMBERS = "after 和 wait 须为数字。"
SIM_FILE_REQUIRED = "请选择要发送的文件。"
SIM_NOT_JSON = "请求格式不对（须为 JSON）。"
SIM_FOLLOWER_REQUIRED = "请以公众号粉丝的身份写下留言。"
SIM_TAP_REQUIRED = "按钮数据缺失，请刷新页面后再试。"


def sim_text_length(limit: int) -> str:
    return f"消息须为 1 到 {limit} 个字符。"


def bad_closure_link(text: str) -> str:
    return (f"「{text}」不是有效的链接。注销证明请发送以 http:// 或 https:// 开头、能看到账号已注销（关闭）"
            f"的地址，或注销成功页面的截图。")


# -- point 9: 账号 @x, the account's whole life in order, who and when (Art. 4, 5, 6) ---------------
ACCOUNT_RECORD_BYTES = 2000  # one message: WeCom takes 2,048 bytes of text; a little to spare
LIFE_TITLE = "经历（按时间先后）："
LIFE_TEXT_CHARS = 60  # a reason or opinion in one line of the life
LIFE_LINK_CHARS = 120  # an evidence link
LIFE_NOBODY = "（姓名未记录）"
LIFE_UNTIMED = "（时间未记录）"
LIFE_IMPORTED = "由组织文件导入台账（无开通申请记录）"
LIFE_FILED_WITHOUT_FORM = "备案（组织文件所载备案日期，无备案登记表）"


def life_cut(text: str, limit: int = LIFE_TEXT_CHARS) -> str:
    """Free text on one line of the life: newlines folded, at most ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def life_when(at: datetime, date_only: bool = False) -> str:
    return f"{at:%Y-%m-%d}" if date_only else f"{at:%Y-%m-%d %H:%M}"


def life_omitted(n: int, account: str) -> str:
    return f"（更早的 {n} 条记录从略；历年年审见“年审记录 @{account}”）"


def life_applied(ref: str, by: str) -> str:
    return f"{by} 提交开通申请 {ref}"


def life_attested(head: str, own: bool, refused: bool) -> str:
    """The department head's signature on form 1 (Art. 4), or the refusal to sign."""
    if refused:
        return f"部门负责人 {head} 未同意，申请退回"
    return f"部门负责人 {head} 签字同意" + ("（即申请人本人）" if own else "")


def life_ic_decided(by: str, approved: bool, opinion: str) -> str:
    return (f"信息中心 {by} " + ("批准开通" if approved else "不予批准")
            + (f"，意见：{opinion}" if opinion else ""))


def life_filing_submitted(ref: str, by: str, pending: bool) -> str:
    return f"{by} 报送备案登记表 {ref}" + ("，待信息中心备案" if pending else "")


def life_filing_decided(ref: str, by: str, returned: bool) -> str:
    return f"信息中心 {by} " + (f"退回备案登记表 {ref}" if returned else f"已备案 {ref}")


def life_verified(by: str, evidence: str) -> str:
    """Art. 4 (认证); ``by`` or ``evidence`` empty on rows from before they were recorded."""
    return ((f"{by} 登记已认证" if by else "已认证（登记人未记录）")
            + (f"，证明：{evidence}" if evidence else "，证明未记录"))


def life_change_requested(role: str, old: str, new: str, by: str, pending: bool) -> str:
    return f"{by} 申请变更{role}：{old or '—'} → {new}" + ("，待信息中心备案" if pending else "")


def life_change_filed(role: str, old: str, new: str, by: str) -> str:
    return f"信息中心 {by} 备案{role}变更，{new} 接任" + (f"（原{role} {old}）" if old else "")


def life_review_submitted(ref: str, year: int, by: str, pending: bool) -> str:
    return f"{by} 提交{year}年度年审报告 {ref}" + ("，待信息中心评定" if pending else "")


def life_review_judged(ref: str, by: str, passed: bool, reason: str) -> str:
    """Art. 5: 不合格 stops the account at once; a 合格 lets it run again."""
    if passed:
        return f"信息中心 {by} 评定 {ref} 合格" + (f"，意见：{reason}" if reason else "")
    return f"信息中心 {by} 评定 {ref} 不合格，账号须停止运行" + (f"；理由：{bare(reason)}" if reason else "")


def life_stopped(reason: str) -> str:
    return f"起须停止运行：{reason or NO_REPORT_STOP}（《管理办法》第五条）"


def life_closure_requested(by: str, reason: str, evidence: str, pending: bool) -> str:
    return (f"{by} 申请注销" + (f"，原因：{reason}" if reason else "")
            + (f"，证明：{evidence}" if evidence else "，未附证明")
            + ("，待信息中心确认" if pending else ""))


def life_closed(by: str) -> str:
    return f"信息中心 {by} 确认注销" if by else "已注销（确认人未记录）"


def registry_standing(must_stop: bool, reason: str, closing: bool) -> str:
    """After the status on a 台账 line: why it must stop, and a closure waiting for confirmation."""
    return ((f"（{life_cut(reason or NO_REPORT_STOP, 40)}）" if must_stop else "")
            + ("·注销待确认" if closing else ""))


# -- issue 13 point 12 (review export, H2): an earlier year's review -------------------------------
def export_review_usage(year: int) -> str:
    return f"导出年审格式：导出年审（本年度 {year}），或 导出年审 年份，例如 导出年审 {year - 1}"


def closure_open_inquiries(n: int) -> str:
    return f"注意：该账号还有 {n} 条群众咨询未答复（《管理办法》第十二条），注销前请督促答复。"


# -- the demo's first start (bot/demo.py) ----------------------------------------------------------
CLI_DEMO_REPLAY = "首次启动演示：正在回放几周来的工作（发稿、审核、咨询、年审），约需几秒……"


# -- issue 14 points 1, 2, 6, 7 (closing cards): a closed card's title names the outcome ------------
def closed_title(subject: str, outcome: str) -> str:
    """A decided card's title: what it was about and how it ended (稿件 D-12：已通过)."""
    return f"{subject}：{outcome}"


def draft_subject(ref: str) -> str:
    return f"稿件 {ref}"


OUTCOME_SUBMITTED = "已提交审核"
OUTCOME_CANCELLED = "已取消"
OUTCOME_APPROVED = "已通过"
OUTCOME_REJECTED = "已驳回"
OUTCOME_WITHDRAWN = "已撤回"
OUTCOME_SUPERSEDED = "本版作废"
OUTCOME_VOIDED = "已作废"
OUTCOME_BLOCKED = "已拦截"
OUTCOME_CATEGORY = "已选类别"
OUTCOME_CONFIRM_USED = "已处理"
OUTCOME_ATTESTED = "负责人已同意"
OUTCOME_REFUSED = "负责人不同意"
OUTCOME_GRANTED = "已批准"
OUTCOME_DENIED = "已驳回"
OUTCOME_FILED = "已备案"
OUTCOME_RETURNED = "已退回"
OUTCOME_PASSED = "合格"
OUTCOME_FAILED = "不合格"
OUTCOME_ANSWERED = "已回复"
OUTCOME_DEADLINE_SET = "已承诺答复期限"
OUTCOME_CLOSURE_CONFIRMED = "已确认注销"
OUTCOME_FORM_SUBMITTED = "已提交"
OUTCOME_FORM_CANCELLED = "已放弃"


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


def deadline_set_status(due: str) -> str:
    return f"已承诺 · {due}前答复"


def form_card_status(outcome: str, at: datetime) -> str:
    return f"{outcome} · {hm(at)}"


def change_filed_to_ic(account: str, role: str, new: str) -> str:
    return f"已为「{account}」登记{role}变更为 {new}，相关人员已收到通知。"


def attested_to_head(ref: str, name: str) -> str:
    return f"已同意开通申请 {ref}「{name}」，已报送信息中心审批。"


def refused_to_head(ref: str, name: str) -> str:
    return f"已登记：不同意开通申请 {ref}「{name}」，申请人已收到通知。"


def granted_to_ic(ref: str, name: str) -> str:
    return f"已批准开通申请 {ref}「{name}」，申请人已收到通知；开通后请其报送备案登记。"


# -- the organisation file: verification of existing accounts (Art. 4) -----------------------------
VERIFIED_BY_ORG_FILE = "组织文件所载认证日期"


def org_verified_in_future(account: str, on: str) -> str:
    return f"账号「{account}」的认证日期 verified_on {on} 晚于今天，请核对。"


def filed_to_ic(ref: str, account: str) -> str:
    return f"已备案：「{account}」{ref}，账号转为运行中，报送人已收到通知。"


def returned_to_ic(ref: str, account: str) -> str:
    return f"已退回「{account}」的备案登记 {ref}，报送人已收到通知。"


def rejected_to_head(ref: str) -> str:
    return f"已驳回稿件 {ref}，已通知信息员。{ASK_REJECT_REASON}"


def passed_to_ic(ref: str, account: str) -> str:
    return f"已登记「{account}」的年审报告 {ref} 为合格，负责人和管理员已收到通知。"


# -- a closed account's open Information Center cards (Art. 5: 注销 ends every pending matter) ----
def card_void_account_closed(name: str, at: datetime) -> str:
    return f"账号已注销 · {name} · {hm(at)}"


def filing_subject(ref: str, account: str) -> str:
    return f"{FILING_CARD_TITLE} {ref}「{account}」"


def change_subject(account: str) -> str:
    return f"{CHANGE_CARD_TITLE}「{account}」"


def review_subject(ref: str, account: str) -> str:
    return f"{REVIEW_CARD_TITLE} {ref}「{account}」"


WHAT_FILING = "备案登记 {ref} "
WHAT_CHANGE = "负责人/管理员变更备案"
WHAT_REVIEW = "年审报告 {ref} "


def account_closed_nothing_to_do(account: str, what: str) -> str:
    return f"账号「{account}」已注销，{what}不再办理。"


def deadline_already(ref: str, due: datetime) -> str:
    return (f"咨询 {ref} 已承诺于 {md_hm(due)}前答复，答复期限承诺后不再更改；"
            f"请按期答复，答复后点【已回复】或发送“回复 {ref} 答复内容”。")


# -- the guided form's summary after 修改 ---------------------------------------------------------
OUTCOME_FORM_EDITED = "修改中"
FORM_SUMMARY_REPLACED = "这张确认卡片已作废（点过【修改】），改好后会发来新的确认卡片，请在新卡片上操作。"


def form_edited_status(at: datetime) -> str:
    return f"已点修改 · {hm(at)} · 改好后发新的确认卡片"
