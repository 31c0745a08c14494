"""Domain events: what a channel turns a platform callback into. No platform detail here.

Every event carries the channel it came from, the sender's identity on that channel, and a key
that is unique per platform delivery (the dedupe key). Events round-trip through JSON so that an
acknowledged but unprocessed event survives a restart (see ``bot.inbound``).

Keys derived from platform values (the inbound dedupe key, reply keys in the outbox) go through
``bounded_key``: a platform decides how long a msgId or an EventKey is (we have seen 10,000
characters), our key columns do not (255). A part that does not fit is replaced by its sha256, so
a long key still maps to one value (a redelivery is still a repeat) and two long keys to two.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, ClassVar

KEY_LIMIT = 255  # InboundEvent.key and OutboxMessage.key
_DIGEST = 64  # characters of a sha256 hex digest


def digest(text: str) -> str:
    """sha256 hex of ``text``; never raises (lone surrogates from a platform are hashed too)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def bounded_key(*parts: str, limit: int = KEY_LIMIT) -> str:
    """``":".join(parts)``, unchanged when it fits in ``limit`` characters (so keys stay as
    readable as they were and rows stored before keep matching). Otherwise the longest parts
    (only parts longer than a digest) are replaced by their sha256 hex, one by one, until it
    fits; if even that is too long, the whole key is hashed. Deterministic: the same parts
    give the same key, different parts different keys (short parts are kept as they are, so
    ``bounded_key(k, "r1")`` and ``bounded_key(k, "r2")`` stay apart for any ``k``)."""
    joined = ":".join(parts)
    if len(joined) <= limit:
        return joined
    out = list(parts)
    for i in sorted(range(len(out)), key=lambda i: len(out[i]), reverse=True):
        if len(out[i]) <= _DIGEST:
            break
        out[i] = digest(out[i])
        joined = ":".join(out)
        if len(joined) <= limit:
            return joined
    return digest(":".join(parts))[:limit]


@dataclass(frozen=True, kw_only=True)
class Event:
    kind: ClassVar[str] = "event"
    channel: str
    sender: str  # the sender's id on that channel (WeCom userid, DingTalk userid, local code)
    key: str  # unique per platform delivery
    received_at: datetime
    chat: str | None = None  # group chat id when the message came from a group

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, bytes):
                value = base64.b64encode(value).decode()
            out[f.name] = value
        return out

    @staticmethod
    def from_json(kind: str, data: dict[str, Any]) -> Event:
        cls = EVENT_TYPES[kind]
        values = dict(data)
        for f in dataclasses.fields(cls):
            if f.name not in values:
                continue
            if f.type in ("datetime", datetime):
                values[f.name] = datetime.fromisoformat(values[f.name])
            elif f.type in ("bytes", "bytes | None", bytes) and values[f.name] is not None:
                values[f.name] = base64.b64decode(values[f.name])
        return cls(**values)


@dataclass(frozen=True, kw_only=True)
class TextMessage(Event):
    kind: ClassVar[str] = "text"
    text: str


@dataclass(frozen=True, kw_only=True)
class ImageMessage(Event):
    kind: ClassVar[str] = "image"
    name: str = ""
    mime: str = "image/png"
    data: bytes | None = None  # downloaded before the handler runs: platform media ids expire
    url: str = ""
    media_id: str = ""  # the platform's reference, until the bytes are downloaded


@dataclass(frozen=True, kw_only=True)
class FileMessage(Event):
    kind: ClassVar[str] = "file"
    name: str
    mime: str = "application/octet-stream"
    data: bytes | None = None
    url: str = ""
    media_id: str = ""
    text: str | None = None  # the text inside a .txt/.docx, read before the handler (bot.inbound)


@dataclass(frozen=True, kw_only=True)
class UnsupportedMessage(Event):
    """A message type the bot cannot use (voice, video, location…): the sender is told."""

    kind: ClassVar[str] = "unsupported"
    what: str


@dataclass(frozen=True, kw_only=True)
class LinkMessage(Event):
    kind: ClassVar[str] = "link"
    title: str
    url: str
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class CardAction(Event):
    """A button tap on a card. ``payload`` is the packed typed payload (see ``bot.cards``)."""

    kind: ClassVar[str] = "card_action"
    payload: str
    card_id: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # platform bits (e.g. response code)


@dataclass(frozen=True, kw_only=True)
class PublicInquiry(Event):
    """A question from a member of the public, from an intake source (not a person on file):
    ``sender`` is the source's name, ``asker`` who asked there."""

    kind: ClassVar[str] = "public_inquiry"
    account: str
    text: str
    asker: str = ""


class Change(str, Enum):
    """What a ``ContactChange`` says happened in the platform's address book."""

    LEFT = "left"  # the person was deleted from the directory (离职)
    UPDATED = "updated"  # the person's departments or name changed (调岗, 改名)
    DEPARTMENT_REMOVED = "department_removed"  # a department was deleted


@dataclass(frozen=True, kw_only=True)
class ContactChange(Event):
    """A change in the organisation's address book (通讯录), pushed by the platform: WeCom's
    ``change_contact`` events, DingTalk's address-book events (Art. 4 changes of leader or
    administrator, Art. 7 officers). ``sender`` is ``"directory"`` (no person sent it), so one
    platform's changes are handled one after another, in the order they arrived.

    A platform tells little in the event itself (DingTalk only the user ids), so the channel's
    ``prepare`` asks its directory for the facts before the handler runs (outside the
    transaction) and fills them in; ``None`` means unknown (withheld, or the directory could not
    be asked): the handler then changes nothing it cannot be sure of and says so."""

    kind: ClassVar[str] = "contact_change"
    change: str  # a ``Change`` value
    userid: str = ""  # left, updated: the person's id on this channel
    new_userid: str = ""  # updated: their id from now on, when the platform changed it (WeCom)
    name: str | None = None  # updated: the name the directory now gives
    departments: list[str] | None = None  # updated: names of the departments they are in now
    department: str = ""  # department_removed: the platform's id of the department removed
    remaining: list[str] | None = None  # department_removed: names of the departments still shown


@dataclass(frozen=True, kw_only=True)
class PublishFinished(Event):
    """WeChat's ``PUBLISHJOBFINISH``: how a publish job the bot submitted ended (issue 17).
    ``sender`` is the official account's name in the registry; ``key`` names the publish id."""

    kind: ClassVar[str] = "publish_finished"
    account: str
    publish_id: str
    state: str  # "published" | "failed"
    article_url: str = ""
    article_id: str = ""
    reason: str = ""
    code: str = ""


EVENT_TYPES: dict[str, type[Event]] = {
    cls.kind: cls
    for cls in (TextMessage, ImageMessage, FileMessage, LinkMessage, CardAction, UnsupportedMessage,
                PublicInquiry, ContactChange, PublishFinished)
}
