"""台账 and 账号 @x: one line per account in the registry, and one account's record with its whole
life in order, who and when (Art. 4, 5, 6). ``ACCOUNT_RECORD_BYTES`` keeps the record in one message.
"""

from __future__ import annotations

from datetime import datetime

from bot.texts.common import NO_REPORT_STOP, bare

ACCOUNT_USAGE = "请写上账号名称，例如：账号 @某某发布"
ONLY_INFO_CENTER_REGISTRY = "台账只对信息中心管理员开放。"


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


def registry_cadence(every: int, reason: str) -> str:
    """The cadence part of a 台账 line (Art. 11): the reason shows when it is slower than the basis."""
    return f"·每 {every} 个工作日发布" + (f"（原因：{reason}）" if reason else "")


def account_cadence(every: int, reason: str) -> str:
    return f"发布频率：每 {every} 个工作日至少一次" + (f"（调整原因：{reason}）" if reason else "")


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


def registry_standing(must_stop: bool, reason: str, closing: bool, refile: bool = False) -> str:
    """After the status on a 台账 line: why it must stop, a closure waiting for confirmation, and a
    leader or administrator gone whose change is not filed yet (Art. 4)."""
    return ((f"（{life_cut(reason or NO_REPORT_STOP, 40)}）" if must_stop else "")
            + ("·注销待确认" if closing else "") + ("·需变更备案" if refile else ""))


def life_unapproved(title: str, url: str) -> str:
    """In 账号 @x: an item the watch found published without approval (Art. 10)."""
    return f"未经审核发布《{life_cut(title, 30) or '（无标题）'}》{life_cut(url, LIFE_LINK_CHARS)}"
