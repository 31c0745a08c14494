"""The console (issue 18): what chat says about it (``登录后台``), and the console's messages that
Python writes (refusals, flashes). The pages' own wording lives in their templates
(``console/templates/``), which are the console's texts."""

from __future__ import annotations


def console_link(url: str, minutes: int) -> str:
    return f"管理后台登录链接（{minutes} 分钟内有效，只能用一次，请勿转发）：\n{url}"


CONSOLE_NOT_ALLOWED = ("管理后台供信息中心和各部门主要负责人使用：信息中心看全部账号，"
                       "部门负责人看本部门账号。你可以用“账号 @账号”查看账号档案。")
CONSOLE_LINK_INVALID = ("登录链接无效、已用过或已过期（10 分钟内有效，只能用一次）。"
                        "请在聊天中重新发送“登录后台”。")
CONSOLE_SIGNED_OUT = "已退出管理后台。"
CONSOLE_FORBIDDEN = "你没有查看这一页的权限：部门负责人只能查看本部门的账号。"
CONSOLE_NO_ACCESS = "你目前不是信息中心管理员，也不是部门主要负责人，不能使用管理后台。"
CONSOLE_SESSION_ENDED = "登录已过期，请在聊天中发送“登录后台”获取新的登录链接。"
CONSOLE_CSRF = "页面已过期（表单校验失败），请刷新页面后重试。"

#: The console's names for the states its tables show (``console.queries``).
REVIEW_STATE_NAMES = {"submitted": "待评定", "passed": "合格", "failed": "不合格", "missing": "未提交",
                      "none": "无需提交"}
CADENCE_NAMES = {"ok": "按期更新", "late": "逾期", "zombie": "僵尸账号", "none": "—"}
PUBLICATION_SOURCE_NAMES = {"chat": "已发布登记", "wechat": "助手发布", "seen": "巡检发现"}
CONSOLE_NO_ACCOUNT = "没有这个账号（可能已被删除，或链接有误）。"
CONSOLE_NO_REPORT = "没有这份年审报告（链接有误，或已被删除）。"
CONSOLE_BAD_VERDICT = "请选择“合格”或“不合格”。"
CONSOLE_ONLY_IC_JUDGES = ("只有信息中心管理员可以评定年审报告（《管理办法》第五条）；"
                          "部门负责人可以查看本部门的报告。")
CONSOLE_IC_ONLY = "这一页只对信息中心管理员开放。"


def console_retried(message_id: int) -> str:
    return f"消息 #{message_id} 已重新排队发送。"


def console_not_dead(message_id: int) -> str:
    return f"消息 #{message_id} 已不在失败列表中（可能已由他人重试或已发出）。"


def console_heatmap_title(account: str, year: int) -> str:
    return f"「{account}」{year}年每日发布"


CONSOLE_WEEKDAYS = ("一", "", "三", "", "五", "", "日")


def console_missed_label(every: int) -> str:
    return f"橙框：连续超过 {every} 个工作日未发布（《管理办法》第十一条）"


def console_day_label(day: object, posts: int) -> str:
    return f"{day}：发布 {posts} 篇" if posts else f"{day}：未发布"
CONSOLE_RECEIVED = "收到"
CONSOLE_OVERDUE = "逾期"
CONSOLE_NO_INQUIRIES = "这段时间没有收到咨询"


def console_trend_title(weeks: int) -> str:
    return f"最近 {weeks} 周每周收到和逾期的咨询"


# Signing in with WeCom or DingTalk (console/oauth.py; docs/console-signin.md)
CONSOLE_OAUTH_UNKNOWN_PLATFORM = ("没有这种登录方式（本系统未接入该平台）。"
                                  "请在聊天中发送“登录后台”获取登录链接。")
CONSOLE_OAUTH_STATE = ("登录请求已失效（超过 10 分钟、已用过，或不是从本系统发起的）。"
                       "请回到登录页重新登录。")
CONSOLE_OAUTH_DECLINED = "没有完成授权，未登录。请回到登录页重新登录。"
CONSOLE_OAUTH_CODE = "平台的登录凭证无效或已过期（只能用一次，5 分钟内有效）。请回到登录页重新登录。"
CONSOLE_OAUTH_NOT_MEMBER = "你登录的账号不是本单位通讯录中的成员，不能使用管理后台。"
CONSOLE_OAUTH_UNKNOWN_PERSON = ("你的账号没有登记在新媒体助手的人员名单中（或已停用），不能使用管理后台。"
                                "请联系信息中心核对。")
CONSOLE_OAUTH_UNAVAILABLE = ("暂时无法向平台确认你的身份（平台繁忙或网络故障）。"
                             "请稍后重试，或在聊天中发送“登录后台”获取登录链接。")
CONSOLE_OAUTH_MISCONFIGURED = ("平台拒绝了本系统的登录配置（应用密钥、可信域名或接口权限）。"
                               "请联系信息中心管理员检查；现在可以在聊天中发送“登录后台”获取登录链接。")


def console_oauth_button(label: str) -> str:
    return f"用{label}登录"
