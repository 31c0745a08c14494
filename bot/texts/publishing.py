"""Texts of publishing through the bot and of the watch (issue 17; Art. 10 先审后发, Art. 11, 13)."""

from __future__ import annotations

BUTTON_PUBLISH = "发布到公众号"
OUTCOME_PUBLISH_QUEUED = "已提交发布"


PUBLISH_USAGE = ("用法：发布 D12 — 把已通过审核的稿件发布到公众号"
                 "（需在组织文件中配置该公众号的 AppID、AppSecret）。")


def approved_card_title(ref: str) -> str:
    return f"稿件 {ref}：已通过审核"


def approved_card_body(title: str, head: str) -> str:
    return (f"《{title}》已由 {head} 审核通过。点「{BUTTON_PUBLISH}」由助手发布审核通过的版本；"
            f"在公众号后台自行发布的，发布后请回复：已发布 编号 链接")


def approved_card_closed(title: str, head: str) -> str:
    return f"《{title}》已由 {head} 审核通过，已交助手发布到公众号。"


def publish_not_wechat(account: str) -> str:
    return f"「{account}」不是微信公众号，不能由助手发布。发布后请回复：已发布 编号 链接"


def publish_no_credentials(account: str) -> str:
    return (f"「{account}」没有配置公众号接口（AppID、AppSecret），助手不能代为发布。"
            f"请信息中心在组织文件中补充；或在公众号后台发布后回复：已发布 编号 链接")


def publish_not_allowed(ref: str) -> str:
    return f"只有稿件 {ref} 的作者、本部门信息员或部门负责人可以发布。"


def publish_in_progress(ref: str, job: str) -> str:
    return f"稿件 {ref} 已在发布中（任务 {job}），结果会通知你。"


def publish_queued(ref: str, account: str, job: str) -> str:
    return f"正在把稿件 {ref} 发布到「{account}」（任务 {job}）：上传图片、创建草稿、提交发布，结果会通知你。"


def publish_submitted(ref: str, account: str) -> str:
    return f"稿件 {ref} 已提交微信发布（「{account}」），微信审核发布后会通知你。"


def publish_done(ref: str, account: str, url: str) -> str:
    return f"稿件 {ref} 已在「{account}」发布：{url}\n已自动登记，无需再回复“已发布”。"


def publish_failed(ref: str, account: str, reason: str) -> str:
    """``reason`` (``bot.texts.wechat_publish``, ``PUBLISH_NOT_FOUND``…) says what to send next
    with the placeholder 编号 (``发布 编号``, ``已发布 编号 链接``): the draft's number goes in."""
    return f"稿件 {ref} 未能发布到「{account}」：{reason.replace('发布 编号', f'发布 {ref}')}"


def publish_changed(ref: str) -> str:
    return f"稿件 {ref} 的内容与审核通过的版本不一致，不能发布。请重新提交审核。"


def publish_uncertain(ref: str, account: str) -> str:
    return (f"发布稿件 {ref} 时助手中断，不确定微信是否已收到。为免重复发布，不会自动重试："
            f"助手会在「{account}」已发布的文章中查找它并自动登记；若一段时间后仍未出现，请到公众号后台查看。")


PUBLISH_NOT_FOUND = ("提交后一直未收到微信的结果，24 小时内也没在公众号已发布的文章中找到它。"
                     "请到公众号后台查看；如未发布，可重新发送：发布 编号")
PUBLISH_GAVE_UP = "多次尝试都未成功（微信接口暂时不可用），已停止重试，请稍后重新发送：发布 编号"


def unapproved_publication(account: str, title: str, url: str, when: str) -> str:
    """Art. 10: found on the platform or in the feed, matching no approved version."""
    return (f"【未经审核发布】「{account}」发布了未经助手审核的内容：\n《{title or '（无标题）'}》\n"
            f"{url}\n发布时间：{when}\n按《管理办法》第十条，信息须经部门主要领导批准方可发布。"
            f"请部门负责人核实并处理，必要时在平台撤下。")


def published_blocked(account: str, title: str, url: str, words: list[str]) -> str:
    """Art. 13: a blocking word (a classified marking) in what is already published."""
    return (f"【紧急】「{account}」已发布的《{title or '（无标题）'}》中出现「{'、'.join(words)}」。"
            f"按《管理办法》第十三条，涉密信息不得上网，请立即核查并删除。\n{url}")


def unapproved_near(ref: str, changes: list[tuple[str, str]]) -> str:
    """After 【未经审核发布】: the approved draft it most resembles, and what differs."""
    diff = "；".join(f"「{a}」→「{b}」" for a, b in changes[:3])
    return f"\n与审核通过的稿件 {ref} 相近，但内容有改动" + (f"：{diff}" if diff else "") + "。"
