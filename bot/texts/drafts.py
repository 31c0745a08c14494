"""A draft's life (Art. 7-10): drafting with its category and attachments, the preview card,
submission, revision, withdrawal, publication, the listings (我的, 待审, 查看), and the refusals and
voiding on an account that must stop, is suspended or closed.
"""

from __future__ import annotations

from datetime import datetime

from bot.texts.common import ACCOUNT_STATUS_NAMES, NO_REPORT_STOP, NO_TITLE, STATUS_NAMES, category_label, hm

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
BUTTON_SUBMIT = "提交审核"
BUTTON_CANCEL = "取消"
FIELD_CATEGORY = "类别"
FIELD_AUTHOR = "信息员"
FIELD_ATTACHMENTS = "附件"
FIELD_VERSION = "版本"
FIELD_TITLE = "标题"


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


def card_withdrawn(at: datetime) -> str:
    return f"已撤回 · {hm(at)}"


def card_superseded(version: int) -> str:
    return f"已修改为第 {version} 版，本版作废"


def submitted(ref: str, head: str) -> str:
    return f"稿件 {ref} 已提交，等待 {head} 审核。审核结果会通知你。"


def cancelled(ref: str) -> str:
    return f"稿件 {ref} 已取消。"


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


ATTACHMENT_KIND_NAMES = {"image": "图片", "file": "文件", "link": "链接"}
DEFAULT_IMAGE_NAME = "图片"
DEFAULT_IMAGE_FILE = "图片.png"  # a DingTalk picture, which comes without a name
DEFAULT_FILE_NAME = "文件"  # a DingTalk file without its fileName
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


DOING_DRAFT = "投稿"
DOING_SUBMIT = "提交审核"
DOING_APPROVE = "审核稿件"
DOING_PUBLISH = "登记发布"


def draft_subject(ref: str) -> str:
    return f"稿件 {ref}"


OUTCOME_SUBMITTED = "已提交审核"
OUTCOME_CANCELLED = "已取消"
OUTCOME_WITHDRAWN = "已撤回"
OUTCOME_SUPERSEDED = "本版作废"
OUTCOME_VOIDED = "已作废"
OUTCOME_CATEGORY = "已选类别"
