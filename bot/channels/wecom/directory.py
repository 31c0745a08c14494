"""WeCom's directory (通讯录) as a self-built app (自建应用) sees it: ``bot.directory.Directory``
over ``WeComClient`` (issue 16: ``xmt org resolve`` and ``xmt org sync --from wecom``).

Which calls, and why (sources in ``docs/directory.md``):
- by mobile: ``user/getuserid``. A member outside the app's visible range (可见范围) is "not
  found", like a mobile no one has.
- departments: ``department/list`` without ``id``: every department in the visible range, with
  its name, in one call (``department/simplelist`` + ``department/get`` would cost a call per
  department against the same frequency limits).
- members: ``user/list?department_id=`` — the direct members of one department. ``user/list_id``
  (cursor-paginated, the replacement WeCom recommends) answers only to the 通讯录同步 secret, not
  to an app's secret, so a self-built app cannot use it.

What is withheld: since 2022-06-20 20:00 an app created after that date is no longer given a
member's mobile (nor avatar, gender, email, address) by ``user/get`` / ``user/list``; the name is
still given to a self-built app (代开发 apps need the administrator's grant for it). A withheld or
empty field is ``None`` here, and the caller keeps the organisation file's value.

``status`` (1 activated, 2 disabled, 4 not activated, 5 left): only 1 is ``active``; a member
without ``status`` is taken as active.

One person (``person``, for the change events' ``prepare``): ``user/get``. "No longer in the
directory" is any of: 46004 / 60111 (no such userid, 90313), 60011 (outside the app's visible
range: user/get reads "应用可见范围内的成员" only, 90196), or a member whose ``status`` is 5 (left).
A person moved out of the visible range therefore reads as gone, as the interface says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.channels.wecom.client import WeComClient
from bot.directory import DirectoryDepartment, DirectoryPerson, NoPermission

if TYPE_CHECKING:
    from bot.directory import Directory

ACTIVE, LEFT = 1, 5
OUTSIDE_RANGE = "60011"


def _text(value: Any) -> str | None:
    """A field as text, or None when absent or empty (withheld)."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def department_from(raw: dict[str, Any]) -> DirectoryDepartment:
    parent = raw.get("parentid")
    return DirectoryDepartment(id=str(raw["id"]), name=_text(raw.get("name")),
                               parent=str(parent) if parent not in (None, 0, "0", "") else None)


def person_from(raw: dict[str, Any]) -> DirectoryPerson:
    departments = raw.get("department") or []
    status = raw.get("status")
    return DirectoryPerson(
        userid=str(raw["userid"]), name=_text(raw.get("name")), mobile=_text(raw.get("mobile")),
        departments=tuple(str(d) for d in departments) if isinstance(departments, list) else (),
        active=status is None or int(status) == ACTIVE)


class WeComDirectory:
    """``bot.directory.Directory`` for WeCom; errors come from the client already mapped."""

    platform = "wecom"

    def __init__(self, client: WeComClient) -> None:
        self.client = client

    async def userid_by_mobile(self, mobile: str) -> str | None:
        return await self.client.userid_by_mobile(mobile)

    async def departments(self) -> list[DirectoryDepartment]:
        return [department_from(d) for d in await self.client.department_list() if "id" in d]

    async def members(self, department_id: str) -> list[DirectoryPerson]:
        return [person_from(u) for u in await self.client.user_list(department_id) if u.get("userid")]

    async def person(self, userid: str) -> DirectoryPerson | None:
        try:
            raw = await self.client.user_get(userid)
        except NoPermission as exc:
            if exc.code == OUTSIDE_RANGE:
                return None
            raise
        if raw is None or not raw.get("userid") or str(raw.get("status")) == str(LEFT):
            return None
        return person_from(raw)


if TYPE_CHECKING:
    _IS_A_DIRECTORY: type[Directory] = WeComDirectory
