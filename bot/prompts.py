"""Typed questions: what the bot asked a person and waits for the answer to.

A question is a dataclass deriving from ``PromptData``, named by its ``kind`` (as a button's
``Payload`` is by its prefix)::

    @dataclass(frozen=True)
    class RejectReason(PromptData, kind="reject_reason"):
        draft: int
        version: int

``ctx.ask(RejectReason(draft, version), text)`` stores it as the person's one ``Prompt`` row and
``@router.on(TextMessage, prompt=RejectReason)`` takes the answer: the handler reads
``ctx.answering`` (a ``RejectReason``), and the router closes the question once the handler is
done, unless the handler keeps it open (see ``bot.router``).

The row is what the bare-string prompts wrote: the ``kind`` column and the dataclass's fields by
name in ``data``. So a question asked before an upgrade is answered after it, and no migration is
needed. A row's data is read by field name: keys the class does not know are left aside, a field
the row lacks takes the class's default (a row without it and a class without a default do not
load: ``PromptError``).

No global registry: the router finds a question's class among its routes' ``prompt=`` classes,
so a class defined in a test does not outlive it.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Self

from models import Prompt

KIND_LIMIT = 32  # Prompt.kind


class PromptError(ValueError):
    """A stored question that does not load as its class (a row older than a field's default)."""


class PromptData:
    """Base of typed questions: ``class RejectReason(PromptData, kind="reject_reason")``, a
    dataclass whose fields are JSON values (numbers, strings, None, lists and dicts of them)."""

    kind: ClassVar[str] = ""

    def __init_subclass__(cls, kind: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not kind or len(kind) > KIND_LIMIT:
            raise TypeError(f"{cls.__name__}: a question needs a kind of 1 to {KIND_LIMIT} characters")
        cls.kind = kind

    def to_json(self) -> dict[str, Any]:
        """The ``Prompt.data`` of this question: its fields by name."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """The question a row's ``data`` holds (keys the class does not know are left aside)."""
        known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        try:
            return cls(**{k: v for k, v in data.items() if k in known})
        except TypeError as exc:  # a field without a default missing from the row
            raise PromptError(f"{cls.__name__}: {exc}") from exc

    @classmethod
    def of(cls, prompt: Prompt | None) -> Self | None:
        """This question if ``prompt`` is one of this kind, else None."""
        if prompt is None or prompt.kind != cls.kind:
            return None
        return cls.from_json(prompt.data)
