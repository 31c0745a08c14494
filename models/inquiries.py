"""Inquiries from the public (Art. 12): who asked what, through which account, who answers and
by when."""

from __future__ import annotations

from enum import Enum

from tortoise import fields
from tortoise.models import Model

from models.org import Account

SOURCE_LIMIT = 128
ASKER_LIMIT = 128


class InquiryStatus(str, Enum):
    OPEN = "open"  # nobody has claimed it
    CLAIMED = "claimed"
    ANSWERED = "answered"


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
