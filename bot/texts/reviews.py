"""The annual review (Art. 5): the campaign's kickoff and reminders (one message per person for
many accounts), the report with the bot's own figures, its judgement (合格 restores, 不合格 stops the
account), the history (年审记录), and what an account stopped for no report is told.
"""

from __future__ import annotations

from datetime import datetime

from bot.texts.common import ACCOUNT_STATUS_NAMES, bare, hm

REVIEW_USAGE = "年审格式：年审 @账号 报告正文（也可以先发“年审 @账号”，再发文字或文件）"
ASK_REVIEW_REPORT = ("上面是本助手记录的本年度数据，提交时会随报告一并交给信息中心。"
                     "请发送年审报告：直接回复文字，或发送报告文件。")
REVIEW_CARD_TITLE = "年审报告"
BUTTON_PASS = "合格"  # noqa: S105 - a button label, not a password
BUTTON_FAIL = "不合格"
ASK_FAIL_REASON = "请回复不合格的理由（将转告账号负责人和管理员），或回复“跳过”。"
FAIL_REASON_SENT = "理由已转告账号负责人和管理员。"


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


def review_status_name(status: str | None) -> str:
    return {"submitted": "待审核", "passed": "合格", "failed": "不合格"}.get(status or "", "未提交")


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


REVIEW_HISTORY_USAGE = "年审记录格式：年审记录 @账号"
FIGURES_NONE = "—"
REVIEW_CARD_FIGURES = "本助手记录"
REVIEW_CARD_REPORT = "报告"


def review_figures(*, year: int, month: int, day: int, posts: int, by_month: list[int], every: int,
                   periods: int, kept: int, kept_pct: int | None, late: int, zombie: int, inquiries: int,
                   in_time: int, overdue: int, median_hours: float | None, blocked: int,
                   changes: int, unapproved: int = 0) -> str:
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
        f"· 未经审核发布（第十条，平台或订阅源所见）{unapproved} 篇",
    ])


def review_figures_line(*, posts: int, kept_pct: int | None, late: int, zombie: int, inquiries: int,
                        in_time: int, overdue: int, blocked: int, changes: int, unapproved: int = 0) -> str:
    kept = f"{kept_pct}%" if kept_pct is not None else FIGURES_NONE
    return (f"发布 {posts} 篇·按期 {kept}·逾期更新 {late}·僵尸 {zombie}·咨询 {inquiries}"
            f"（按时 {in_time}，逾期 {overdue}）·拦截 {blocked}·变更 {changes}"
            + (f"·未经审核发布 {unapproved}" if unapproved else ""))


def review_card_fields(*, posts: int, kept_pct: int | None, kept: int, periods: int, late: int, zombie: int,
                       inquiries: int, in_time: int, overdue: int, median_hours: float | None, blocked: int,
                       changes: int, unapproved: int = 0) -> list[tuple[str, str]]:
    """The figures as card fields (WeCom shows six fields with names of five characters at most)."""
    median = f"，中位 {median_hours} 小时" if median_hours is not None else ""
    # Six fields at most on WeCom, one is the submitter: the unapproved count goes with the posts.
    return [("发布", f"{posts} 篇" + (f"，未经审核 {unapproved} 篇" if unapproved else "")),
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


FAIL_REASON_TOLD = "理由已转告账号管理员、部门负责人和主管领导。"
FAIL_REASON_SKIPPED_TOLD = "好的，未填写理由；已通知账号管理员、部门负责人和主管领导。"


def stop_reason_failed(year: int, reason: str = "") -> str:
    """Account.stop_reason after 不合格 (the Information Center's reason once given)."""
    return f"{year}年度年审不合格" + (f"，理由：{bare(reason)}" if reason else "")


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


OUTCOME_PASSED = "合格"
OUTCOME_FAILED = "不合格"


def passed_to_ic(ref: str, account: str) -> str:
    return f"已登记「{account}」的年审报告 {ref} 为合格，负责人和管理员已收到通知。"


def review_subject(ref: str, account: str) -> str:
    return f"{REVIEW_CARD_TITLE} {ref}「{account}」"


WHAT_REVIEW = "年审报告 {ref} "


def review_card_file(name: str) -> str:
    return f"（文件：{name}）"


def review_card_subtitle(account: str, year: int) -> str:
    return f"「{account}」{year}年度"
