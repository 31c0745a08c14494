"""DingTalk's directory (通讯录) as ``bot.directory.Directory``: what ``xmt org resolve`` and
``xmt org sync --from dingtalk`` read, over the oapi ``topapi`` calls of ``DingTalkClient``.

- By mobile: ``topapi/v2/user/getbymobile`` (permission 根据手机号获取成员基本信息). Only active
  members are found; someone who left, or is out of what the app may read, is None.
- Departments: the root (``dept_id`` 1, ``topapi/v2/department/get``) then a walk down
  ``topapi/v2/department/listsub`` (one level per call; 通讯录部门信息读权限). Each department
  is asked once even if an answer names it twice (no loop on a bad answer).
- Members: ``topapi/v2/user/list`` (通讯录部门成员读权限), pages of 100 by cursor, the
  members directly in the department only. ``mobile`` is returned to an internal app only with
  the separate permission to read employees' mobile numbers: without it the key is absent and
  the person's mobile is None here (never ""), as is a missing name, so the caller falls back
  to the organisation file. ``active`` false (not yet activated) keeps the person, inactive.
- One person: ``topapi/v2/user/get`` (通讯录个人信息读权限 / 成员信息读权限), the same fields as
  a user/list entry; a member who left is errcode 60121 (or 33012 for an id that is no one's):
  None. Used by ``DingTalkChannel.prepare`` for the address-book change events.

DingTalk department ids are numbers; the interface speaks text. The facts and their pages are
in docs/directory-dingtalk.md.
"""

from __future__ import annotations

from typing import Any

from bot.channels.dingtalk.client import DingTalkClient
from bot.directory import DirectoryDepartment, DirectoryError, DirectoryPerson

ROOT = 1


def _text(value: Any) -> str | None:
    """A returned string field, or None when withheld (absent, null or empty)."""
    return str(value) if isinstance(value, (str, int)) and str(value) else None


def _dept_id(department_id: str) -> int:
    try:
        return int(department_id)
    except ValueError:
        raise DirectoryError(f"DingTalk department id {department_id!r} is not a number",
                             code="dept_id") from None


def person(entry: dict[str, Any]) -> DirectoryPerson:
    """A ``user/list`` entry as a DirectoryPerson."""
    departments = entry.get("dept_id_list") or []
    return DirectoryPerson(
        userid=str(entry["userid"]),
        name=_text(entry.get("name")),
        mobile=_text(entry.get("mobile")),
        departments=tuple(str(d) for d in departments if isinstance(d, int)),
        active=entry.get("active") is not False)


class DingTalkDirectory:
    """``bot.directory.Directory`` for DingTalk (Person column ``dingtalk_userid``)."""

    platform = "dingtalk"

    def __init__(self, client: DingTalkClient) -> None:
        self.client = client

    async def userid_by_mobile(self, mobile: str) -> str | None:
        return await self.client.user_by_mobile(mobile)

    async def departments(self) -> list[DirectoryDepartment]:
        root = await self.client.department(ROOT)
        found = [DirectoryDepartment(id=str(ROOT), name=_text(root.get("name")), parent=None)]
        seen = {ROOT}
        queue = [ROOT]
        while queue:
            parent = queue.pop(0)
            for entry in await self.client.sub_departments(parent):
                dept = entry.get("dept_id")
                if not isinstance(dept, int) or dept in seen:
                    continue
                seen.add(dept)
                queue.append(dept)
                parent_id = entry.get("parent_id")
                found.append(DirectoryDepartment(
                    id=str(dept), name=_text(entry.get("name")),
                    parent=str(parent_id) if isinstance(parent_id, int) else str(parent)))
        return found

    async def members(self, department_id: str) -> list[DirectoryPerson]:
        dept = _dept_id(department_id)
        people: dict[str, DirectoryPerson] = {}
        cursor: int | None = 0
        while cursor is not None:
            page, cursor = await self.client.users_page(dept, cursor)
            for entry in page:
                if entry.get("userid"):
                    people.setdefault(str(entry["userid"]), person(entry))
        return list(people.values())

    async def person(self, userid: str) -> DirectoryPerson | None:
        entry = await self.client.user(userid)
        return None if entry is None else person(entry)
