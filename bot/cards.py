"""Domain messages (texts and cards) and typed button payloads.

Handlers build ``Card`` and ``Text`` values; each channel's ``render`` turns them into platform JSON.
A button's payload is a ``Payload`` subclass packed into a short string (``"ap:12:1"``): it is
what goes into a WeCom button ``key`` or a DingTalk card parameter, so its length is checked
against the strictest platform limit (WeCom: 1024 bytes).

Unpacking takes text from a platform callback, so it trusts nothing: an integer field is ASCII
digits (an optional ``-``) within the 64-bit signed range of the database's ids — ``int()`` alone
would take ``"١٢"``, ``" 12"``, ``"1_2"`` and 2**70 (which then overflows in the handler's query);
anything else, or text that is not a string or not encodable, unpacks to None ("expired button").
"""

from __future__ import annotations

import base64
import dataclasses
import re
from dataclasses import dataclass
from typing import Any, ClassVar, Self

PAYLOAD_MAX_BYTES = 1024
_SEP = ":"
_INT = re.compile(r"-?[0-9]{1,19}")
INT_MIN, INT_MAX = -(2**63), 2**63 - 1  # BIGINT: what the handlers' queries can bind


class PayloadError(ValueError):
    pass


@dataclass(frozen=True)
class Payload:
    """Base of typed button payloads: ``class Approve(Payload, prefix="ap"): draft: int``."""

    prefix: ClassVar[str] = ""
    registry: ClassVar[dict[str, type[Payload]]] = {}

    def __init_subclass__(cls, prefix: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not prefix or _SEP in prefix:
            raise TypeError(f"{cls.__name__}: a payload needs a prefix without {_SEP!r}")
        if prefix in Payload.registry and Payload.registry[prefix].__qualname__ != cls.__qualname__:
            raise TypeError(f"payload prefix {prefix!r} already used")
        cls.prefix = prefix
        Payload.registry[prefix] = cls

    def pack(self) -> str:
        parts = [self.prefix]
        for f in dataclasses.fields(self):
            value = str(getattr(self, f.name))
            if _SEP in value:
                raise PayloadError(f"{type(self).__name__}.{f.name} may not contain {_SEP!r}")
            parts.append(value)
        packed = _SEP.join(parts)
        if len(packed.encode()) > PAYLOAD_MAX_BYTES:
            raise PayloadError(f"{type(self).__name__} packs to more than {PAYLOAD_MAX_BYTES} bytes")
        return packed

    @classmethod
    def unpack(cls, packed: str) -> Self:
        prefix, *values = packed.split(_SEP)
        if prefix != cls.prefix:
            raise PayloadError(f"not a {cls.__name__} payload")
        fields = dataclasses.fields(cls)
        if len(values) != len(fields):
            raise PayloadError(f"{cls.__name__}: expected {len(fields)} values")
        args: dict[str, Any] = {}
        for f, raw in zip(fields, values, strict=True):
            if f.type in ("int", int):
                if not _INT.fullmatch(raw) or not INT_MIN <= int(raw) <= INT_MAX:
                    raise PayloadError(f"{cls.__name__}.{f.name}: not a 64-bit integer")
                args[f.name] = int(raw)
            else:
                args[f.name] = raw
        return cls(**args)


def unpack_payload(packed: object) -> Payload | None:
    """The typed payload a packed string stands for, or None if it is not one of ours."""
    if not isinstance(packed, str) or len(packed) > PAYLOAD_MAX_BYTES:
        return None
    try:
        if len(packed.encode()) > PAYLOAD_MAX_BYTES:
            return None
    except UnicodeEncodeError:  # a lone surrogate
        return None
    cls = Payload.registry.get(packed.split(_SEP, 1)[0])
    if cls is None:
        return None
    try:
        return cls.unpack(packed)
    except PayloadError:
        return None


@dataclass(frozen=True)
class Button:
    label: str
    payload: str  # packed Payload
    style: str = "primary"  # primary | danger | default


@dataclass(frozen=True)
class Card:
    """An interactive card. Once ``status`` is set (decided, see ``closed``), channels render it
    without buttons."""

    card_id: str
    title: str
    subtitle: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    body: str = ""
    buttons: tuple[Button, ...] = ()
    status: str = ""
    highlights: tuple[str, ...] = ()  # notes shown above the buttons (hints, warnings)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "card",
            "card_id": self.card_id,
            "title": self.title,
            "subtitle": self.subtitle,
            "fields": [list(f) for f in self.fields],
            "body": self.body,
            "buttons": [dataclasses.asdict(b) for b in self.buttons],
            "status": self.status,
            "highlights": list(self.highlights),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Card:
        return cls(
            card_id=data["card_id"],
            title=data["title"],
            subtitle=data.get("subtitle", ""),
            fields=tuple((str(k), str(v)) for k, v in data.get("fields", [])),
            body=data.get("body", ""),
            buttons=tuple(Button(**b) for b in data.get("buttons", [])),
            status=data.get("status", ""),
            highlights=tuple(data.get("highlights", [])),
        )

    def closed(self, status: str, *, title: str) -> Card:
        """The same card, decided or voided: ``title`` names the outcome (the live title asked
        for a decision, "稿件待审核", which is wrong once decided), ``status`` says who and when
        (a chip), the buttons go; subtitle, fields, body and notes stay, so every copy still
        shows what was decided. Handlers close cards through ``bot.card_closing.close_card``."""
        return dataclasses.replace(self, status=status, title=title, buttons=())


@dataclass(frozen=True)
class Text:
    text: str
    mentions: tuple[str, ...] = ()  # person codes to @mention in group chats

    def to_json(self) -> dict[str, Any]:
        return {"type": "text", "text": self.text, "mentions": list(self.mentions)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Text:
        return cls(text=data["text"], mentions=tuple(data.get("mentions", [])))


@dataclass(frozen=True)
class Document:
    """A file to hand to someone (exports, filled forms). Kept in the outbox row as base64."""

    name: str
    data: bytes
    mime: str = "application/octet-stream"

    def to_json(self) -> dict[str, Any]:
        return {"type": "document", "name": self.name, "mime": self.mime,
                "data": base64.b64encode(self.data).decode()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Document:
        return cls(name=data["name"], data=base64.b64decode(data["data"]),
                   mime=data.get("mime", "application/octet-stream"))


@dataclass(frozen=True)
class FileRequest:
    """A file the outbox makes when it delivers (an export): what to build (``build``, a name
    ``bot.exports.build_file`` knows) and its plain parameters. Why not the Document itself: a
    handler runs inside its event's transaction, and building a registry of 10,000 accounts there
    held the database (SQLite: every other event) for the whole build. The outbox builds it
    outside any transaction, off the loop, from committed data, and hands the channel a Document;
    the row keeps a few parameters instead of megabytes of base64."""

    name: str
    mime: str
    build: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"type": "file_request", "name": self.name, "mime": self.mime, "build": self.build,
                "params": dict(self.params)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileRequest:
        return cls(name=data["name"], mime=data["mime"], build=data["build"],
                   params=dict(data.get("params") or {}))


Message = Text | Card | Document
Queued = Message | FileRequest  # what a handler may queue; the outbox turns a FileRequest into a Document


def message_from_json(data: dict[str, Any]) -> Message:
    kind = data.get("type")
    if kind == "card":
        return Card.from_json(data)
    if kind == "document":
        return Document.from_json(data)
    return Text.from_json(data)
