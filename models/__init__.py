"""Tortoise models of xmt-bot and their state rules.

Imports nothing else of the project (the layers: docs/architecture.md, checked by
tests/test_layers.py). The tortoise app label is ``models``;
migrations live in ``models/migrations`` (tortoise's built-in migration engine).

Quirk: tortoise turns the first line of a model's docstring into the table comment, and its
SQLite migration executor splits statements on ";" — keep ";" out of that first line.
"""

from models.accounts import (
    AccountApplication,
    AccountChange,
    AccountFiling,
    ApplicationStatus,
    ReviewReport,
    ReviewStatus,
)
from models.console import ConsoleKey, ConsoleLink
from models.drafts import (
    Attachment,
    AttachmentKind,
    Category,
    Decision,
    Draft,
    DraftStatus,
    DraftVersion,
    Outcome,
    Publication,
)
from models.infra import (
    AuditEvent,
    InboundEvent,
    InboundStatus,
    OutboxMessage,
    OutboxStatus,
    Prompt,
    SimMessage,
)
from models.inquiries import Inquiry, InquiryStatus
from models.org import Account, AccountStatus, Department, Person, Platform, Role
from models.publishing import JobStatus, PublishJob, SeenItem
from models.reminders import Reminder
from models.tokens import WechatToken

MODULES = [
    "models.org", "models.drafts", "models.infra", "models.reminders", "models.accounts",
    "models.inquiries", "models.publishing", "models.tokens", "models.console",
]

__all__ = [
    "MODULES",
    "Account",
    "AccountApplication",
    "AccountChange",
    "AccountFiling",
    "AccountStatus",
    "ApplicationStatus",
    "Attachment",
    "AttachmentKind",
    "AuditEvent",
    "Category",
    "ConsoleKey",
    "ConsoleLink",
    "Decision",
    "Department",
    "Draft",
    "DraftStatus",
    "DraftVersion",
    "InboundEvent",
    "InboundStatus",
    "Inquiry",
    "InquiryStatus",
    "JobStatus",
    "OutboxMessage",
    "OutboxStatus",
    "Outcome",
    "Person",
    "Platform",
    "Prompt",
    "Publication",
    "PublishJob",
    "Reminder",
    "ReviewReport",
    "ReviewStatus",
    "Role",
    "SeenItem",
    "SimMessage",
    "WechatToken",
]
