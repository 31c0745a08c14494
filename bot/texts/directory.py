"""Texts of directory changes (通讯录): who left or moved, the roles they leave (Art. 4 变更备案,
Art. 7 信息员, Art. 10 审核), and 代审."""

from __future__ import annotations

DIRECTORY_NAMES = {"wecom": "企业微信通讯录", "dingtalk": "钉钉通讯录", "local": "模拟通讯录"}
ACTING_USAGE = "用法：代审 部门 姓名 — 部门主要负责人离职后，由信息中心指定代为审核该部门稿件的人。"


def source(channel: str) -> str:
    return DIRECTORY_NAMES.get(channel, "通讯录")


def why_text(why: str, where: str = "") -> str:
    """"已离职" or "已调至「某部门」"."""
    return f"已调至「{where}」" if why == "moved" and where else ("已调离" if why == "moved" else "已离职")


def refile_needed(account: str, role: str, person: str, why: str, channel: str,
                  successor: str = "", successor_note: str = "", moved: bool = False) -> str:
    """To the department head and the Information Center: an account's leader or administrator
    is gone, so the change is to be filed (Art. 4). ``moved``: they may keep the role, filed again."""
    suggestion = (f"请发送：变更 @{account} {role} {successor}（{successor_note}，可按实际人选修改）"
                  if successor else f"请发送：变更 @{account} {role} 姓名")
    if moved:
        suggestion += f"\n如仍由{person}担任，请发送：变更 @{account} {role} {person}（重新备案）"
    return (f"【需变更备案】账号「{account}」的{role}{person}{why}（{source(channel)}）。"
            f"按《管理办法》第四条，{role}变更须报信息中心备案。\n{suggestion}")


def refile_reminder(account: str, roles: list[tuple[str, str]], weeks: int) -> str:
    """Weekly, until filed: (role, person) pairs still to re-file."""
    gone = "、".join(f"{role}{person}" for role, person in roles)
    return (f"【需变更备案·提醒】账号「{account}」的{gone}已不在岗 {weeks} 周，变更尚未备案。"
            f"请发送：变更 @{account} 管理员|负责人 姓名")


SUCCESSOR_OFFICER = "本部门信息员"
SUCCESSOR_HEAD = "本部门主要负责人"


def no_officer_left(department: str, person: str, why: str, accounts: list[str]) -> str:
    """Art. 7: the department's last information officer is gone."""
    which = f"其账号（{'、'.join(accounts)}）" if accounts else "其账号"
    return (f"【缺信息员】「{department}」的信息员{person}{why}，该部门已无信息员。"
            f"按《管理办法》第七条，在指定新的信息员之前，{which}无法投稿。"
            f"请在组织文件中为该部门指定信息员后重新导入（xmt org import）。")


def officer_drafts_to_head(person: str, why: str, pending: list[str], approved: list[str],
                           composing: list[str]) -> str:
    """To the head: the drafts of an officer who is gone stay with them."""
    lines = [f"信息员{person}{why}，其稿件如下："]
    if pending:
        lines.append(f"待审核：{'、'.join(pending)} — 仍由您审核")
    if approved:
        lines.append(f"已通过未发布：{'、'.join(approved)} — 发布后由本部门信息员登记（已发布 编号 链接）")
    if composing:
        lines.append(f"未提交：{'、'.join(composing)} — 无人可再提交，如需发布请由新信息员重新投稿")
    return "\n".join(lines)


def head_left(department: str, person: str, why: str, pending: list[str], applications: list[str]) -> str:
    """To the Information Center: a department has no head to approve its drafts (Art. 10) or
    sign its applications (Art. 3)."""
    waiting = f"{len(pending)} 篇稿件待审核（{'、'.join(pending)}）" if pending else "目前没有待审核的稿件"
    if applications:
        waiting += f"，{len(applications)} 份开通申请待签署（{'、'.join(applications)}）"
    return (f"【缺审核人】「{department}」的主要负责人{person}{why}，{waiting}。"
            f"请发送：代审 {department} 姓名 — 指定代审人，待审稿件和申请将转给他/她。")


def inquiry_released(ref: str, person: str, why: str, due: str) -> str:
    promised = f"，已承诺 {due} 前答复" if due else ""
    return f"咨询 {ref} 原由{person}认领{promised}；{person}{why}，咨询已退回待认领，请尽快重新认领。"


def unsure_update(person: str, channel: str) -> str:
    return (f"{source(channel)}报告{person}的信息有变，但未能读取其现在的部门。"
            f"为免误改，未作变更；请运行 xmt org sync --from {channel} 核对。")


def userid_taken(person: str, userid: str, channel: str) -> str:
    return (f"{source(channel)}将{person}的账号改为 {userid}，但组织中已有人使用该账号，未作变更。"
            f"请核对组织文件后重新导入。")


def department_removed(department: str, channel: str, accounts: list[str]) -> str:
    held = (f"其账号（{'、'.join(accounts)}）需划转到其他部门或注销。" if accounts else "该部门没有账号。")
    return (f"【部门撤销】「{department}」已从{source(channel)}中删除。{held}"
            f"部门与角色以组织文件为准，请修改后重新导入。")


def unsure_department_removed(channel: str) -> str:
    return (f"{source(channel)}报告有部门被删除，但未能读取现有部门。"
            f"请运行 xmt org sync --from {channel} 核对。")


def acting_named_to_ic(department: str, person: str, pending: int, applications: int = 0) -> str:
    more = f"，{applications} 份开通申请" if applications else ""
    return f"已指定{person}代审「{department}」的稿件；{pending} 篇待审稿件{more}已转给其审核。"


def acting_named_to_person(department: str, pending: int, applications: int = 0) -> str:
    waiting = f"{pending} 篇待审稿件" + (f"、{applications} 份待签署的开通申请" if applications else "")
    more = f"现有 {waiting}，卡片随后送达。" if pending or applications else "目前没有待审稿件。"
    return f"信息中心指定您代为审核「{department}」的稿件（该部门主要负责人不在岗）。{more}"


def acting_head_present(department: str, head: str) -> str:
    return (f"「{department}」的主要负责人{head}在岗，由其审核。"
            f"主要负责人的变更请在组织文件中修改后重新导入。")


def unknown_department(name: str) -> str:
    return f"没有名为「{name}」的部门。请写部门全称或代码。"


def acting_is_officer(name: str, department: str) -> str:
    return (f"{name}是「{department}」的信息员，稿件由信息员撰写，不能同时审核（第十条 先审后发）。"
            f"请指定部门其他负责同志，或信息中心人员。")


def acting_is_gone_person(name: str) -> str:
    return f"{name}不在岗（已离职），不能代审。"


ACTING_ONLY_IC = "只有信息中心可以指定代审人。"
REFILE_MARK = "需变更备案"


def refile_line(role: str, person: str, why: str) -> str:
    """In 账号 @x: a role whose holder the directory says is gone, not yet re-filed (Art. 4)."""
    return f"通讯录显示{role}{person}{why}，{REFILE_MARK}"
