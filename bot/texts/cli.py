"""The command line (``xmt …``): its help, what it prints, the audit check's verdicts, and the
organisation file's import errors (``xmt org import``, ``bot.org``).
"""

from __future__ import annotations

from datetime import datetime


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
    "resolve": "按手机号从通讯录查出每人的企业微信/钉钉账号并写入（可重复执行）",
    "from": "查哪个通讯录：wecom 或 dingtalk",
    "partial": "有查询失败时仍写入已找到的",
    "org_file_import": "先导入这个组织文件（可省略）",
    "sync": "对照通讯录列出组织的变化（新增、离开、调动、改名的人，新增、撤销的部门）；加 --apply 写入",
    "apply": "写入调动、改名和离开（停用）；不加则只列出，不改动",
    "calendar": "工作日历（节假日和调休）",
    "calendar_check": ("显示某年（默认今年和明年）的工作日按哪个来源计算、有几个节假日；"
                       "所示年份没有数据时退出码为 1"),
    "year": "年份，如 2027",
}
CLI_DEMO_ORG_LOADED = "已载入演示组织："  # then cli_org_counts
CLI_IMPORTED = "已导入："
CLI_OUTSIDE_HOURS = "现在不在工作时间：提醒会在下一个工作时段开始时发出。"


def cli_clock(now: datetime) -> str:
    return f"演示时钟：{now:%Y-%m-%d %H:%M}（从这里继续走）"


def cli_unknown_sweep(kind: str, known: list[str]) -> str:
    return f"没有“{kind}”这种提醒；可用：{'、'.join(known)}"


def cli_sweep_count(name: str, count: int) -> str:
    names = {"cadence": "发布频率", "approvals": "审核催办", "digest": "晨间待审汇总",
             "review": "年审", "verify": "认证", "inquiries": "咨询答复",
             "refile": "变更备案", "watch": "发布巡查（未经审核发布）", "calendar": "工作日历"}
    return f"{names.get(name, name)}：发出 {count} 条提醒"


def cli_sweep_line(to: str, text: str) -> str:
    """One message as run-now lists it: its first line, cut at 60 characters."""
    first = text.strip().split("\n", 1)[0]
    cut = len(first) > 60 or "\n" in text.strip()
    return f"{to}：{first[:60]}{'…' if cut else ''}"


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


def org_cadence_needs_reason(account: str, every: int, basis: int) -> str:
    return (f"账号「{account}」的发布频率为每 {every} 个工作日一次，超过《管理办法》第十一条的基础要求"
            f"（1–{basis} 天一次）：请在 cadence_reason 中写明根据工作情况调整的原因（200 字以内）。")


def org_filed_in_future(account: str, filed_on: str) -> str:
    return f"账号「{account}」的备案日期 filed_on: {filed_on} 晚于今天，请填写信息中心实际备案的日期。"


CLI_DEMO_REPLAY = "首次启动演示：正在回放几周来的工作（发稿、审核、咨询、年审），约需几秒……"


def org_verified_in_future(account: str, on: str) -> str:
    return f"账号「{account}」的认证日期 verified_on {on} 晚于今天，请核对。"


# -- xmt org resolve (issue 16) ----------------------------------------------------------------------
RESOLVE_OUTCOMES = {"found": "已找到", "not_found": "未找到（不在应用可见范围，或通讯录无此手机号）",
                    "ambiguous": "有歧义（该账号已属于他人）", "failed": "查询失败"}
PLATFORM_DIRECTORY = {"wecom": "企业微信通讯录", "dingtalk": "钉钉通讯录"}
CLI_RESOLVE_NEEDS_WECOM = ("查企业微信通讯录需要 XMT_WECOM_CORP_ID 和 XMT_WECOM_SECRET"
                           "（见 docs/configuration.md）。")
CLI_RESOLVE_NEEDS_DINGTALK = ("查钉钉通讯录需要 XMT_DINGTALK_CLIENT_ID 和 XMT_DINGTALK_CLIENT_SECRET"
                              "（见 docs/configuration.md）。")


def cli_resolve_row(code: str, name: str, mobile: str, outcome: str, userid: str, detail: str) -> str:
    shown = mobile[:3] + "****" + mobile[-4:] if len(mobile) >= 11 else mobile
    tail = f" → {userid}" if userid else ""
    extra = f"（{detail}）" if detail else ""
    return f"{name}（{code}） {shown}：{RESOLVE_OUTCOMES.get(outcome, outcome)}{tail}{extra}"


def cli_resolve_summary(platform: str, written: int, counts: dict[str, int], failed: bool,
                        partial: bool) -> str:
    parts = "，".join(f"{RESOLVE_OUTCOMES[k].split('（')[0]} {v}" for k, v in counts.items() if v)
    where = PLATFORM_DIRECTORY.get(platform, platform)
    if failed and not partial:
        return (f"按手机号查询{where}：{parts or '无需查询'}。有查询失败，未写入任何账号；"
                f"排除原因后重试，或加 --partial 只写入已找到的。")
    return f"按手机号查询{where}：{parts or '无需查询（人人已有账号）'}。已写入 {written} 人的账号。"


# -- xmt org sync (issue 16) -------------------------------------------------------------------------
SYNC_ROLES = {"admin": "「{}」的管理员", "leader": "「{}」的分管领导", "head": "{}的主要负责人",
              "officer": "{}的信息员", "ic_admin": "信息中心管理员"}


def cli_sync_line(change: str, subject: str, name: str, before: str, after: str,
                  roles: tuple[tuple[str, str], ...]) -> str:
    """One plan line of ``xmt org sync`` (``change``: a ``bot.org_sync.Change`` value)."""
    who = f"{name}（{subject}）" if name else subject
    if change == "department_added":
        return f"部门「{name}」：通讯录有，组织中没有（只列出：部门及其负责人、信息员在组织文件中添加）"
    if change == "department_removed":
        return f"部门「{name}」（{subject}）：通讯录中没有（只列出，不删除；也可能不在应用可见范围）"
    if change == "department_unnamed":
        return f"通讯录部门 {subject}：名称未返回，无法对照（只列出）"
    if change == "person_added":
        return (f"{who}：通讯录有，组织中没有（只列出：人员在组织文件中添加，其角色来自那里，"
                f"再 xmt org import）")
    if change == "person_moved":
        return f"{who}：调动 {before or '（无部门）'} → {after}"
    if change == "person_renamed":
        return f"{who}：改名 {before} → {after}"
    held = "、".join(SYNC_ROLES.get(kind, kind).format(where) for kind, where in roles)
    tail = f"；此人是{held}，需另行指定接替（第四条、第七条）" if held else ""
    return f"{who}：已不在通讯录（或不在应用可见范围），写入时停用{tail}"


def cli_sync_summary(platform: str, changes: int, listed: int, apply: bool, applied: int,
                     told: int = 0) -> str:
    where = PLATFORM_DIRECTORY.get(platform, platform)
    if not changes and not listed:
        return f"对照{where}：组织与通讯录一致，无需改动。"
    if apply:
        notices = (f"已为离开或调动的人员写入 {told} 条后续通知（需变更备案、缺信息员、缺审核人等），"
                   f"由运行中的助手发送。" if told else "")
        return f"对照{where}：已写入 {applied} 项（调动、改名、停用），另有 {listed} 项只列出。{notices}"
    return (f"对照{where}：{changes} 项可写入（调动、改名、停用），{listed} 项只列出；"
            f"未改动任何数据，确认后加 --apply 写入。")


def cli_sync_failed(platform: str, kind: str, code: str, message: str) -> str:
    where = PLATFORM_DIRECTORY.get(platform, platform)
    why = {"NoPermission": "应用没有这项权限",
           "DirectoryThrottled": "调用太频繁，稍后再试"}.get(kind, "调用失败")
    return f"读取{where}失败：{why}（{code or '无错误码'}：{message}）。未改动任何数据。"
