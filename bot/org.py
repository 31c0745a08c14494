"""``xmt org import|export``: the organisation file (YAML; examples/org.yaml shows every field) ↔ the
database.

The file may carry the working calendar ahead of the chinesecalendar package under ``holidays:``
(the shape of ``XMT_HOLIDAYS_FILE``, ``bot.workdays.parse_holidays``): it is checked here with
the rest, line by line, but the bot reads holidays only from ``XMT_HOLIDAYS_FILE``, read by every
instance at start and again when it changes; setting that variable to the organisation file's
path is how its ``holidays:`` take effect (``xmt org import`` says so when it is not set so).

Import is idempotent (keyed by department code, person id, account name) and all-or-nothing:
the whole file is checked first — Art. 7 (each department has 1–2 information officers), every
reference names someone in ``people``, platforms are known — and a refusal names the department,
person or account at fault.

Art. 11: ``post_every_days`` 1–3 is the policy's basis; up to ``MAX_EVERY_DAYS`` is accepted
only with a ``cadence_reason`` (the department's situation), which the registry shows.

Art. 3, 4 — accounts that existed before the bot: ``filed_on`` is the date the Information
Center filed the account. With it, the account is operating and filed on that date; without it,
it is UNFILED (awaiting filing: no drafts, no cadence) until the Information Center acknowledges
its 备案. The import date is never a filing date. ``verified_on`` likewise records a verification
(认证) made before the bot: without it an existing account counts as unverified, and the weekly
reminders and the escalations of ``schedules.verification`` begin at once. Re-importing the same
file changes nothing, and a filing the bot recorded (an acknowledged 备案) is never moved by the
file, nor a verification the bot recorded (已认证); nor does the file bring back an account that
must stop or was closed.
"""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime, time, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from tortoise.transactions import in_transaction

from bot import audit, texts
from bot.workdays import HolidaysError, parse_holidays
from models import Account, AccountFiling, AccountStatus, Department, Person, Platform, Role
from models.org import MAX_OFFICERS, MIN_OFFICERS


class OrgError(Exception):
    pass


BASIS_EVERY_DAYS = 3  # Art. 11: 1–3 days is the basis
MAX_EVERY_DAYS = 20  # about a working month: beyond that an account is not kept up at all
DEFAULT_TZ = ZoneInfo("Asia/Shanghai")  # the settings' default; callers pass settings.tz


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PersonIn(_Strict):
    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=64)
    title: str = ""
    office_phone: str = ""
    mobile: str = ""
    qq: str = ""
    wechat_id: str = ""
    wecom_userid: str | None = None
    dingtalk_userid: str | None = None
    roles: list[Role] = []


class DepartmentIn(_Strict):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=128)
    info_center: bool = False
    head: str | None = None
    officers: list[str] = []
    members: list[str] = []
    groups: dict[str, str] = {}


class WechatIn(_Strict):
    app_id: str = Field(min_length=1, max_length=64)
    token: str = Field(min_length=3, max_length=32)
    aes_key: str | None = Field(default=None, min_length=43, max_length=43)
    app_secret: str | None = None


class AccountIn(_Strict):
    name: str = Field(min_length=1, max_length=128)
    platform: Platform
    department: str
    leader: str | None = None
    admin: str | None = None
    post_every_days: int = Field(default=3, ge=1, le=MAX_EVERY_DAYS)  # working days, Art. 11
    cadence_reason: str = Field(default="", max_length=200)
    filed_on: date | None = None  # Art. 4: the real filing date of an existing account
    verified_on: date | None = None  # Art. 4: when the platform verified it (认证), if it has been
    wechat: WechatIn | None = None
    # Issue 17: the account's RSS/Atom feed (an app's or a website's), read by the watch.
    feed_url: str = Field(default="", max_length=2048, pattern=r"^(https?://\S+)?$")


class OrgIn(_Strict):
    departments: list[DepartmentIn]
    people: list[PersonIn]
    accounts: list[AccountIn] = []
    # The years the working calendar gives (``holidays:``, checked by ``parse_holidays``).
    holidays: list[int] | None = None


def parse_org(text: str) -> OrgIn:
    years = _holidays(text) if _HOLIDAYS_KEY.search(text) else None
    try:
        raw = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: a date YAML reads, Python refuses
        raise OrgError(texts.org_bad_yaml(exc)) from None
    if isinstance(raw, dict) and years is not None:
        raw["holidays"] = years
    try:
        org = OrgIn.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise OrgError(texts.org_bad_shape(where, first["msg"])) from None
    check_org(org)
    return org


_HOLIDAYS_KEY = re.compile(r"^holidays\s*:", re.MULTILINE)


def _holidays(text: str) -> list[int]:
    """The years the file's ``holidays:`` gives, checked first (from YAML's nodes, so a refusal
    names the line: a bad date there never reaches the loader)."""
    try:
        return sorted(parse_holidays(text, texts.ORG_FILE_NAME))
    except HolidaysError as exc:
        raise OrgError(str(exc)) from None


def check_org(org: OrgIn) -> None:
    """Refuse a file that breaks the policy or references someone unknown."""
    people = {p.id for p in org.people}
    if len(people) != len(org.people):
        raise OrgError(texts.org_duplicate("people", "id"))
    codes = [d.code for d in org.departments]
    if len(set(codes)) != len(codes):
        raise OrgError(texts.org_duplicate("departments", "code"))
    placed: dict[str, str] = {}
    for d in org.departments:
        heads = [d.head] if d.head else []
        n = len(set(d.officers))
        if not MIN_OFFICERS <= n <= MAX_OFFICERS:
            raise OrgError(texts.org_officer_count(d.name, d.code, n, MIN_OFFICERS, MAX_OFFICERS))
        for who in [*heads, *d.officers, *d.members]:
            if who not in people:
                raise OrgError(texts.org_unknown_person(d.name, who))
            if who in placed and placed[who] != d.code:
                raise OrgError(texts.org_two_departments(who, placed[who], d.code))
            placed[who] = d.code
    names = [a.name for a in org.accounts]
    if len(set(names)) != len(names):
        raise OrgError(texts.org_duplicate("accounts", "name"))
    for a in org.accounts:
        if a.department not in codes:
            raise OrgError(texts.org_unknown_department(a.name, a.department))
        for role, ref in (("leader", a.leader), ("admin", a.admin)):
            if ref is not None and ref not in people:
                raise OrgError(texts.org_unknown_role_person(a.name, role, ref))
        a.cadence_reason = a.cadence_reason.strip()
        if a.post_every_days > BASIS_EVERY_DAYS and not a.cadence_reason:
            raise OrgError(texts.org_cadence_needs_reason(a.name, a.post_every_days, BASIS_EVERY_DAYS))
    for ident in ("wecom_userid", "dingtalk_userid"):
        ids = [getattr(p, ident) for p in org.people if getattr(p, ident)]
        if len(set(ids)) != len(ids):
            raise OrgError(texts.org_duplicate("people", ident))


async def import_org(org: OrgIn, *, now: datetime, actor: str = "cli",
                     tz: tzinfo = DEFAULT_TZ) -> dict[str, int]:
    """Create or update everything in ``org`` in one transaction."""
    today = now.astimezone(tz).date()
    for a in org.accounts:
        if a.filed_on is not None and a.filed_on > today:
            raise OrgError(texts.org_filed_in_future(a.name, a.filed_on.isoformat()))
        if a.verified_on is not None and a.verified_on > today:
            raise OrgError(texts.org_verified_in_future(a.name, a.verified_on.isoformat()))
    async with in_transaction():
        persons: dict[str, Person] = {}
        for p in org.people:
            values: dict[str, Any] = p.model_dump(exclude={"id"})
            person, _ = await Person.update_or_create(defaults=values, code=p.id)
            persons[p.id] = person
        depts: dict[str, Department] = {}
        for d in org.departments:
            dept, _ = await Department.update_or_create(
                defaults={"name": d.name, "info_center": d.info_center,
                          "head_id": persons[d.head].id if d.head else None, "groups": d.groups},
                code=d.code,
            )
            depts[d.code] = dept
            members = {*([d.head] if d.head else []), *d.officers, *d.members}
            for who in members:
                await Person.filter(id=persons[who].id).update(
                    department_id=dept.id, is_officer=who in d.officers)
        # Someone the file lists in no department no longer belongs to one (and is no officer).
        placed = {who for d in org.departments
                  for who in [*([d.head] if d.head else []), *d.officers, *d.members]}
        unplaced = [persons[p.id].id for p in org.people if p.id not in placed]
        if unplaced:
            await Person.filter(id__in=unplaced).update(department_id=None, is_officer=False)
        for a in org.accounts:
            fields: dict[str, Any] = {
                "platform": a.platform,
                "department_id": depts[a.department].id,
                "leader_id": persons[a.leader].id if a.leader else None,
                "admin_id": persons[a.admin].id if a.admin else None,
                "post_every_days": a.post_every_days,
                "cadence_reason": a.cadence_reason,
                "wechat": a.wechat.model_dump(exclude_none=True) if a.wechat else {},
                "feed_url": a.feed_url,
            }
            filed_at = datetime.combine(a.filed_on, time(0), tz) if a.filed_on else None
            verified_at = datetime.combine(a.verified_on, time(0), tz) if a.verified_on else None
            existing = await Account.get_or_none(name=a.name)
            if existing is None:
                await Account.create(
                    name=a.name, created_at=now, filed_at=filed_at, verified_at=verified_at,
                    verify_evidence=texts.VERIFIED_BY_ORG_FILE if verified_at else "",
                    status=AccountStatus.OPERATING if filed_at else AccountStatus.UNFILED, **fields)
                continue
            if verified_at is not None and existing.verified_by_id is None:  # not one 已认证 recorded
                fields.update(verified_at=verified_at, verify_evidence=texts.VERIFIED_BY_ORG_FILE)
            if filed_at is not None and await _file_may_set_filing(existing):
                fields["filed_at"] = filed_at
                if existing.status == AccountStatus.UNFILED:
                    fields["status"] = AccountStatus.OPERATING
            await Account.filter(id=existing.id).update(**fields)
        counts = {"departments": len(org.departments), "people": len(org.people),
                  "accounts": len(org.accounts)}
        if org.holidays:
            counts["holiday_years"] = len(org.holidays)
        await audit.record(actor, "org_imported", "", counts, now=now)
    return counts


async def _file_may_set_filing(account: Account) -> bool:
    """The file's ``filed_on`` applies to an account awaiting filing, or to one whose filing date
    came from the file itself; never over a 备案 the bot recorded, nor to an account approved in
    the bot (it is filed with 备案 once opened), stopped or closed."""
    if account.status not in (AccountStatus.UNFILED, AccountStatus.OPERATING):
        return False
    return not await AccountFiling.filter(account_id=account.id, acknowledged_at__isnull=False,
                                          returned=False).exists()


async def import_file(path: Path, *, now: datetime, tz: tzinfo = DEFAULT_TZ) -> dict[str, int]:
    text = await asyncio.to_thread(path.read_text, "utf-8")
    return await import_org(parse_org(text), now=now, tz=tz)


async def export_org(tz: tzinfo = DEFAULT_TZ) -> dict[str, Any]:
    people = await Person.all().order_by("id")
    by_id = {p.id: p for p in people}
    depts = await Department.all().order_by("id")
    out_depts = []
    for d in depts:
        members = [p for p in people if p.department_id == d.id]
        entry: dict[str, Any] = {"code": d.code, "name": d.name}
        if d.info_center:
            entry["info_center"] = True
        if d.head_id:
            entry["head"] = by_id[d.head_id].code
        entry["officers"] = [p.code for p in members if p.is_officer]
        others = [p.code for p in members if not p.is_officer and p.id != d.head_id]
        if others:
            entry["members"] = others
        if d.groups:
            entry["groups"] = d.groups
        out_depts.append(entry)
    out_people = []
    for p in people:
        row: dict[str, Any] = {"id": p.code, "name": p.name}
        for f in ("title", "office_phone", "mobile", "qq", "wechat_id", "wecom_userid",
                  "dingtalk_userid"):
            if getattr(p, f):
                row[f] = getattr(p, f)
        if p.roles:
            row["roles"] = p.roles
        out_people.append(row)
    codes = {d.id: d.code for d in depts}
    out_accounts = []
    for a in await Account.all().order_by("id"):
        row = {"name": a.name, "platform": a.platform.value,
               "department": codes[a.department_id], "post_every_days": a.post_every_days}
        if a.cadence_reason:
            row["cadence_reason"] = a.cadence_reason
        if a.feed_url:
            row["feed_url"] = a.feed_url
        if a.filed_at is not None:  # a real filing (from the file or a 备案), never the import
            row["filed_on"] = a.filed_at.astimezone(tz).date().isoformat()
        if a.verified_at is not None:
            row["verified_on"] = a.verified_at.astimezone(tz).date().isoformat()
        if a.leader_id:
            row["leader"] = by_id[a.leader_id].code
        if a.admin_id:
            row["admin"] = by_id[a.admin_id].code
        out_accounts.append(row)
    return {"departments": out_depts, "people": out_people, "accounts": out_accounts}


def dump_yaml(data: dict[str, Any]) -> str:
    return str(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
