"""Guarded transitions: the one way a row of a stateful model changes state.

Each stateful model (Draft, AccountApplication, Account, ReviewReport, Inquiry) has a table next
to it: for each state, the states a row may leave for it. A move is one conditional UPDATE whose
WHERE clause holds the allowed from-states (and any further condition of the move): of two
concurrent callers exactly one sees True — two taps decide once, a late tap changes nothing —
and the caller tells the loser what happened instead.

The acknowledgements without a status column (a filing 已备案, a change filed, a verification, a
promised reply deadline, a closure request) are the same move on a nullable column: from unset
to a value, once (``set_once``).

Imports nothing of the project.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, TypeVar

from tortoise.expressions import Q
from tortoise.models import Model

S = TypeVar("S")

# What a set-once column may leave: only "unset" (NULL).
UNSET: frozenset[None] = frozenset({None})


async def guarded_update(model: type[Model], pk: int, field: str, to: Any, allowed_from: Collection[Any],
                         *, where: Mapping[str, Any] | None = None, **changes: Any) -> bool:
    """Set ``field`` of row ``pk`` to ``to`` (with ``changes``) if it is one of ``allowed_from``
    (``None``: unset) and the row meets ``where``; True if it moved. One conditional UPDATE."""
    values = [v for v in allowed_from if v is not None]
    conditions: list[dict[str, Any]] = [{f"{field}__in": values}] if values else []
    if None in allowed_from:
        conditions.append({f"{field}__isnull": True})
    states = [Q(**condition) for condition in conditions]
    if not states:  # a state nothing may move to
        return False
    state = Q(*states, join_type=Q.OR)
    query = model.filter(state, id=pk, **(where or {}))
    return await query.update(**{field: to}, **changes) == 1


def allowed_from(table: Mapping[S, Collection[S]], to: S, frm: Collection[S] | None = None) -> frozenset[S]:
    """The states a row may leave for ``to``: the table's, or ``frm`` when a move is narrower than
    the table (restoring a stopped account is from must-stop only, though filing also reaches
    operating). ``frm`` outside the table is a programming error."""
    moves = frozenset(table.get(to, ()))
    if frm is None:
        return moves
    narrowed = frozenset(frm)
    if not narrowed <= moves:
        names = sorted(str(getattr(s, "value", s)) for s in narrowed - moves)
        raise ValueError(f"not in the transition table: {names} → {getattr(to, 'value', to)}")
    return narrowed


async def transition(model: type[Model], pk: int, to: S, table: Mapping[S, Collection[S]], *,
                     frm: Collection[S] | None = None, where: Mapping[str, Any] | None = None,
                     field: str = "status", **changes: Any) -> bool:
    """Move row ``pk`` of ``model`` to state ``to`` as ``table`` allows (see ``allowed_from``)."""
    return await guarded_update(model, pk, field, to, allowed_from(table, to, frm), where=where, **changes)


async def set_once(model: type[Model], pk: int, field: str, value: Any, *,
                   where: Mapping[str, Any] | None = None, **changes: Any) -> bool:
    """Set the nullable ``field`` of row ``pk`` to ``value`` if it is still unset; True if it was."""
    return await guarded_update(model, pk, field, value, UNSET, where=where, **changes)
