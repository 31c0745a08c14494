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
