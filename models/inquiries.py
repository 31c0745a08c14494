"""Inquiries from the public (Art. 12): who asked what, through which account, who answers and
by when."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from models.org import Account
from models.transitions import transition

SOURCE_LIMIT = 128
ASKER_LIMIT = 128


class InquiryStatus(str, Enum):
    OPEN = "open"  # nobody has claimed it
    CLAIMED = "claimed"
    ANSWERED = "answered"


# Claimed by one officer (or by the head who answers an unclaimed one), answered once.
INQUIRY_TRANSITIONS: dict[InquiryStatus, frozenset[InquiryStatus]] = {
    InquiryStatus.CLAIMED: frozenset({InquiryStatus.OPEN}),
    InquiryStatus.ANSWERED: frozenset({InquiryStatus.OPEN, InquiryStatus.CLAIMED}),
    # Released when its owner leaves the organisation (``handlers.contacts``): claimable again.
    InquiryStatus.OPEN: frozenset({InquiryStatus.CLAIMED}),
}


class Inquiry(Model):
    """One question from a member of the public, bound to an account and so to a department."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="inquiries", on_delete=fields.RESTRICT)
    account_id: int
    department_id = fields.IntField()
    # chat | wechat:<openid> | api:<source name>: 128 fits a channel and any platform id
    # (a WeCom userid is up to 64). Longer values are bounded by ``bot.events.bounded_key``.
    source = fields.CharField(max_length=SOURCE_LIMIT)
    asker = fields.CharField(max_length=ASKER_LIMIT, default="")  # a name, a channel, an openid
    text = fields.TextField()
    received_at = fields.DatetimeField()
    registered_by_id = fields.IntField(null=True)  # the officer who typed it in (咨询 …)
    status = fields.CharEnumField(InquiryStatus, max_length=8, default=InquiryStatus.OPEN)
    owner_id = fields.IntField(null=True)
    claimed_at = fields.DatetimeField(null=True)
    due_at = fields.DatetimeField(null=True)  # the committed reply deadline
    answered_at = fields.DatetimeField(null=True)
    answered_by_id = fields.IntField(null=True)
    answer = fields.TextField(default="")
    # For WeChat followers: "sent" (relayed through the official account) or "elsewhere" (the
    # 48-hour window had closed: the officer answers by another way).
    relay = fields.CharField(max_length=12, default="")

    class Meta:
        table = "inquiry"
        indexes = (("status", "received_at"), ("department_id", "received_at"))

    @property
    def ref(self) -> str:
        return f"Q{self.id}"

    @classmethod
    async def transition(cls, inquiry_id: int, to: InquiryStatus, *, only_owner: int | None = None,
                         **changes: Any) -> bool:
        """``only_owner``: the move is this owner's only (an answer by someone not the head)."""
        where = None if only_owner is None else {"owner_id": only_owner}
        return await transition(cls, inquiry_id, to, INQUIRY_TRANSITIONS, where=where, **changes)

    @classmethod
    async def release(cls, inquiry_id: int, owner_id: int) -> bool:
        """Back to unclaimed, if ``owner_id`` still holds it (the promised deadline stays)."""
        return await transition(cls, inquiry_id, InquiryStatus.OPEN, INQUIRY_TRANSITIONS,
                                where={"owner_id": owner_id}, owner_id=None, claimed_at=None)

    @classmethod
    async def claim(cls, inquiry_id: int, person_id: int, now: datetime) -> bool:
        """Make ``person_id`` the owner if nobody is: True if they won it."""
        return await transition(cls, inquiry_id, InquiryStatus.CLAIMED, INQUIRY_TRANSITIONS,
                                where={"owner_id__isnull": True}, owner_id=person_id, claimed_at=now)
