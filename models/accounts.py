"""Account governance (Art. 2–6, forms 1 and 2): applications, filings, changes of leader or
administrator. Imports nothing of the project beyond models."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from models.org import Account, Department, Person, Platform
from models.transitions import set_once, transition


class ApplicationStatus(str, Enum):
    SUBMITTED = "submitted"  # waiting for the department head's attestation
    ATTESTED = "attested"  # waiting for the Information Center
    APPROVED = "approved"
    REFUSED = "refused"  # the head did not attest
    REJECTED = "rejected"  # the Information Center turned it down


# Which states an application may leave for which (``transition`` checks these).
APPLICATION_TRANSITIONS: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    ApplicationStatus.ATTESTED: frozenset({ApplicationStatus.SUBMITTED}),
    ApplicationStatus.REFUSED: frozenset({ApplicationStatus.SUBMITTED}),
    ApplicationStatus.APPROVED: frozenset({ApplicationStatus.ATTESTED}),
    ApplicationStatus.REJECTED: frozenset({ApplicationStatus.ATTESTED}),
}


class AccountApplication(Model):
    """Form 1 (新媒体平台申请表) as submitted, and the two decisions on it."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=128)
    platform = fields.CharEnumField(Platform, max_length=16)
    department: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="applications", on_delete=fields.RESTRICT)
    department_id: int
    applicant: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="applications", on_delete=fields.RESTRICT)
    applicant_id: int
    leader_id = fields.IntField(null=True)
    admin_id = fields.IntField(null=True)
    form: dict[str, Any] = fields.JSONField(default=dict)  # every field of form 1, as answered
    status = fields.CharEnumField(ApplicationStatus, max_length=12, default=ApplicationStatus.SUBMITTED)
    head_id = fields.IntField(null=True)
    head_decided_at = fields.DatetimeField(null=True)
    ic_admin_id = fields.IntField(null=True)
    ic_decided_at = fields.DatetimeField(null=True)
    reason = fields.TextField(default="")
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="applications", null=True, on_delete=fields.SET_NULL)
    account_id: int | None
    created_at = fields.DatetimeField()

    class Meta:
        table = "account_application"
        indexes = (("status", "id"),)

    @property
    def ref(self) -> str:
        return f"S{self.id}"

    @classmethod
    async def transition(cls, app_id: int, to: ApplicationStatus, **changes: Any) -> bool:
        return await transition(cls, app_id, to, APPLICATION_TRANSITIONS, **changes)


class AccountChange(Model):
    """A change of an account's leader or administrator, re-filed with the Information Center."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="changes", on_delete=fields.CASCADE)
    account_id: int
    role = fields.CharField(max_length=8)  # leader | admin
    old_person_id = fields.IntField(null=True)
    new_person_id = fields.IntField()
    requested_by_id = fields.IntField()
    requested_at = fields.DatetimeField()
    filed_by_id = fields.IntField(null=True)  # the Information Center admin who acknowledged it
    filed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "account_change"

    @classmethod
    async def file(cls, change_id: int, by: int, at: datetime) -> bool:
        """The Information Center files the change, once: True for the admin who did."""
        return await set_once(cls, change_id, "filed_at", at, filed_by_id=by)


class AccountFiling(Model):
    """Form 2 (新媒体平台备案登记表) as submitted, copied onto the account once acknowledged.

    The Information Center acknowledges (已备案) or returns (退回) it.
    """

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="filings", on_delete=fields.CASCADE)
    account_id: int
    form: dict[str, Any] = fields.JSONField(default=dict)
    qr_code = fields.BinaryField(null=True)
    submitted_by_id = fields.IntField()
    submitted_at = fields.DatetimeField()
    acknowledged_by_id = fields.IntField(null=True)
    acknowledged_at = fields.DatetimeField(null=True)
    returned = fields.BooleanField(default=False)

    class Meta:
        table = "account_filing"

    @property
    def ref(self) -> str:
        return f"B{self.id}"

    @classmethod
    async def acknowledge(cls, filing_id: int, by: int, at: datetime, *, returned: bool) -> bool:
        """The Information Center files (已备案) or returns (退回) the filing, once: True for the
        admin who did."""
        return await set_once(cls, filing_id, "acknowledged_at", at, acknowledged_by_id=by,
                              returned=returned)


class ReviewStatus(str, Enum):
    SUBMITTED = "submitted"
    PASSED = "passed"
    FAILED = "failed"


# A report is judged once: 合格 or 不合格, from waiting only (a new report is a new row).
REVIEW_TRANSITIONS: dict[ReviewStatus, frozenset[ReviewStatus]] = {
    ReviewStatus.PASSED: frozenset({ReviewStatus.SUBMITTED}),
    ReviewStatus.FAILED: frozenset({ReviewStatus.SUBMITTED}),
}


class ReviewReport(Model):
    """An account's annual review report (Art. 5) and the Information Center's verdict."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="reviews", on_delete=fields.CASCADE)
    account_id: int
    year = fields.SmallIntField()
    text = fields.TextField(default="")
    file_name = fields.CharField(max_length=255, default="")
    file_data = fields.BinaryField(null=True)
    submitted_by_id = fields.IntField()
    submitted_at = fields.DatetimeField()
    status = fields.CharEnumField(ReviewStatus, max_length=10, default=ReviewStatus.SUBMITTED)
    decided_by_id = fields.IntField(null=True)
    decided_at = fields.DatetimeField(null=True)
    reason = fields.TextField(default="")
    # Art. 5: what the bot itself knows of the account's year (posts per month, cadence kept,
    # late/zombie episodes, inquiries, screening blocks, changes), frozen at submission so the
    # report the Information Center judged keeps the figures it was judged on.
    figures: dict[str, Any] | None = fields.JSONField(null=True)

    class Meta:
        table = "review_report"
        indexes = (("year", "account_id"),)

    @property
    def ref(self) -> str:
        return f"N{self.id}"

    @classmethod
    async def transition(cls, report_id: int, to: ReviewStatus, **changes: Any) -> bool:
        return await transition(cls, report_id, to, REVIEW_TRANSITIONS, **changes)
