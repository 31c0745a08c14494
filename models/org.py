"""The organisation: departments, people and the accounts they run (Art. 1, 4, 6, 7)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from tortoise import fields
from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.models import Model
from tortoise.queryset import QuerySet

from models.transitions import transition


class Platform(str, Enum):
    """Art. 1: the four kinds of official account."""

    WECHAT = "wechat"
    TOUTIAO = "toutiao"
    WEIBO = "weibo"
    APP = "app"


class AccountStatus(str, Enum):
    """Art. 3–5 lifecycle; only OPERATING accounts take drafts.

    UNFILED: an account that existed before the bot, listed in the organisation file without a
    filing date — open on its platform but not on file with the Information Center (Art. 4) until
    it is filed with 备案, as an APPROVED one is once opened."""

    APPLIED = "applied"
    APPROVED = "approved"
    UNFILED = "unfiled"
    OPERATING = "operating"
    MUST_STOP = "must_stop"
    SUSPENDED = "suspended"
    CLOSED = "closed"

    @property
    def live(self) -> bool:
        """Open on its platform, whatever its standing here (awaiting filing, must stop,
        suspended): its followers can write to it, and Art. 12 asks for an answer. Not yet
        opened (applied, approved) or closed: nobody can."""
        return self not in (AccountStatus.APPLIED, AccountStatus.APPROVED, AccountStatus.CLOSED)


# Which states an account may leave for which (``Account.transition``). Created applied/approved
# (an approval) or unfiled/operating (the organisation file); filed → operating (Art. 4); a
# 不合格 stops it, a 合格 of a new report restores it (Art. 5); closed once the Information Center
# confirms a closure (注销), from any state open on its platform.
ACCOUNT_TRANSITIONS: dict[AccountStatus, frozenset[AccountStatus]] = {
    AccountStatus.OPERATING: frozenset({AccountStatus.APPROVED, AccountStatus.UNFILED,
                                        AccountStatus.MUST_STOP}),
    AccountStatus.UNFILED: frozenset({AccountStatus.MUST_STOP}),
    AccountStatus.MUST_STOP: frozenset({AccountStatus.OPERATING, AccountStatus.UNFILED,
                                        AccountStatus.MUST_STOP}),
    AccountStatus.CLOSED: frozenset({AccountStatus.UNFILED, AccountStatus.OPERATING,
                                     AccountStatus.MUST_STOP, AccountStatus.SUSPENDED}),
}


class Role(str, Enum):
    """Roles given explicitly in the organisation file (head and officer follow from the
    department, leader and admin from the account)."""

    IC_ADMIN = "ic_admin"


# Art. 7: each department has one or two information officers.
MIN_OFFICERS = 1
MAX_OFFICERS = 2


class Department(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=128)
    info_center = fields.BooleanField(default=False)
    # The department's 主要负责人. A plain id, not a foreign key: person → department is the
    # foreign key, and tortoise cannot create two tables that reference each other.
    head_id = fields.IntField(null=True, db_index=True)
    # Group chat targets per platform: wecom_webhook_key, wecom_chatid, dingtalk_webhook, ...
    groups: dict[str, str] = fields.JSONField(default=dict)

    class Meta:
        table = "department"


class Person(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=64)
    title = fields.CharField(max_length=64, default="")
    office_phone = fields.CharField(max_length=32, default="")
    mobile = fields.CharField(max_length=32, default="")
    qq = fields.CharField(max_length=32, default="")
    wechat_id = fields.CharField(max_length=64, default="")
    wecom_userid = fields.CharField(max_length=64, null=True, unique=True)
    dingtalk_userid = fields.CharField(max_length=64, null=True, unique=True)
    department: fields.ForeignKeyNullableRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="members", null=True, on_delete=fields.SET_NULL
    )
    department_id: int | None
    is_officer = fields.BooleanField(default=False)
    # Extra roles beyond those implied by the department (e.g. "ic_admin").
    roles: list[str] = fields.JSONField(default=list)
    active = fields.BooleanField(default=True)

    class Meta:
        table = "person"


class Account(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=128, unique=True)
    platform = fields.CharEnumField(Platform, max_length=16)
    department: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="accounts", on_delete=fields.RESTRICT
    )
    department_id: int
    leader: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="led_accounts", null=True, on_delete=fields.SET_NULL
    )
    leader_id: int | None
    admin: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="administered_accounts", null=True, on_delete=fields.SET_NULL
    )
    admin_id: int | None
    # Art. 11: one post every 1–3 working days as the basis, adjusted to the department's work:
    # more than 3 only with the reason recorded here (shown in the registry).
    post_every_days = fields.SmallIntField(default=3)
    cadence_reason = fields.CharField(max_length=200, default="", db_default="")
    status = fields.CharEnumField(AccountStatus, max_length=16, default=AccountStatus.OPERATING)
    # When the bot first knew the account: its approval, or its import from the organisation
    # file. Never a filing date; the posting cadence counts from filing (see schedules.cadence).
    created_at = fields.DatetimeField()
    # The latest Publication's time, kept with each publication (same transaction) so that the
    # cadence sweep reads 10,000 accounts instead of aggregating a million publications.
    last_published_at = fields.DatetimeField(null=True)
    # Form 2 (备案登记表) and verification (认证).
    description = fields.TextField(default="")  # 宗旨、信息发布范围 (申请说明 / 平台简介)
    platform_account_id = fields.CharField(max_length=128, default="")  # 账号ID
    opened_on = fields.CharField(max_length=32, default="")  # 创建时间, as filed
    followers = fields.IntField(null=True)  # 关注人数 at filing
    qr_code = fields.BinaryField(null=True)
    filed_at = fields.DatetimeField(null=True)
    # Art. 4 (认证): when, by whom, and the evidence (a link to the platform's verified page, or
    # a screenshot) — 已认证 is not taken on one word.
    verified_at = fields.DatetimeField(null=True)
    verified_by_id = fields.IntField(null=True)
    verify_evidence = fields.CharField(max_length=2048, default="", db_default="")
    verify_image = fields.BinaryField(null=True)
    # Art. 5: why and since when an account must stop (no report by the deadline, or 不合格 with
    # the Information Center's reason). Cleared when a 合格 restores it.
    stopped_at = fields.DatetimeField(null=True)
    stop_reason = fields.CharField(max_length=500, default="", db_default="")
    # Art. 5 (注销): a closure asked for by the head or the Information Center with evidence of
    # deletion on the platform, then confirmed by the Information Center (closed_at, closed_by_id).
    closure_requested_at = fields.DatetimeField(null=True)
    closure_requested_by_id = fields.IntField(null=True)
    closure_reason = fields.CharField(max_length=500, default="", db_default="")
    closed_at = fields.DatetimeField(null=True)
    closed_by_id = fields.IntField(null=True)
    closure_evidence = fields.CharField(max_length=2048, default="")  # a link, or "截图"
    closure_image = fields.BinaryField(null=True)
    # Art. 4 (变更): roles whose holder left or moved, per the directory, not yet re-filed:
    # {"admin": {"person_id": 7, "why": "left" | "moved", "since": ISO time}}. Set by a
    # directory change (``handlers.contacts``), cleared per role when a change of that role is
    # filed (``handlers.registry``); while it is not empty the account is 需变更备案 and its head
    # and the Information Center are reminded weekly (``schedules.refile``).
    refile: dict[str, Any] = fields.JSONField(default=dict, db_default="{}")
    # Issue 17: the account's RSS/Atom feed (apps, websites), read by the watch sweep; "" none.
    feed_url = fields.CharField(max_length=2048, default="", db_default="")
    # When the watch last read the account's sources (``schedules.watch``), None never.
    watched_at = fields.DatetimeField(null=True)
    # A WeChat official account's callback settings: app_id, token, aes_key (safe mode), and
    # app_secret for relaying answers. From the organisation file; never logged or exported.
    wechat: dict[str, str] = fields.JSONField(default=dict)

    class Meta:
        table = "account"

    def refile_roles(self) -> list[tuple[str, int, str, datetime | None]]:
        """(role, person id, why, since) of each role to re-file (Art. 4), admin first."""
        out = []
        for role in ("admin", "leader"):
            entry = self.refile.get(role) if isinstance(self.refile, dict) else None
            if isinstance(entry, dict) and isinstance(entry.get("person_id"), int):
                since = entry.get("since")
                out.append((role, entry["person_id"], str(entry.get("why", "left")),
                            datetime.fromisoformat(since) if isinstance(since, str) else None))
        return out

    @classmethod
    async def transition(cls, account_id: int, to: AccountStatus, *,
                         frm: Collection[AccountStatus] | None = None,
                         where: Mapping[str, Any] | None = None, **changes: Any) -> bool:
        """Move the account to ``to`` as ``ACCOUNT_TRANSITIONS`` allows (``frm``: narrower)."""
        return await transition(cls, account_id, to, ACCOUNT_TRANSITIONS, frm=frm, where=where,
                                **changes)


def _info_center_admin_rule() -> Q:
    """Art. 2, 6: who acts for the Information Center — the head of an Information Center
    department, its information officers, and anyone given the ``ic_admin`` role. A plain member
    of the Information Center (neither head nor officer, no role) is not an admin.

    One SQL condition, the same on SQLite and PostgreSQL. ``roles`` is a JSON list of strings;
    tortoise's JSON containment (``roles__contains``) exists for PostgreSQL and MySQL only, so the
    role is found in the column's text (``CAST(roles AS VARCHAR) LIKE '%"ic_admin"%'``, the quotes
    making it a whole list item), through an annotation ``_roles_text`` of the query."""
    heads = Department.filter(info_center=True, head_id__isnull=False).values("head_id")
    return (Q(id__in=Subquery(heads)) | Q(is_officer=True, department__info_center=True)
            | Q(_roles_text__contains=f'"{Role.IC_ADMIN.value}"'))


def info_center_admin_query(exclude: Collection[int] = ()) -> QuerySet[Person]:
    """The active Information Center admins (``_info_center_admin_rule``), but ``exclude``, by id."""
    query = Person.annotate(_roles_text=RawSQL('CAST("roles" AS VARCHAR)')).filter(
        _info_center_admin_rule(), active=True)
    if exclude:
        query = query.exclude(id__in=list(exclude))
    return query.order_by("id")


async def info_center_admins(exclude: Collection[int] = ()) -> list[Person]:
    """The Information Center admins, in one query: heads and officers of Information Center
    departments, and anyone with the ic_admin role.

    ``exclude``: the people a decision concerns. Art. 6 (谁审批、谁监管): nobody decides their own
    application, filing, change or review, so its card goes to the other admins — the head of
    the Information Center when one of its officers applies, another admin when the head does."""
    return await info_center_admin_query(exclude)


async def is_info_center_admin(person: Person) -> bool:
    """Whether ``person`` is an Information Center admin (one query, reading nobody else)."""
    return await info_center_admin_query().filter(id=person.id).exists()
