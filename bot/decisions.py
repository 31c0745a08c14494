"""Art. 6 (谁审批、谁监管) without a chat: who may not decide a case, and a refusal's reason read
one way. The chat handlers (``handlers.decisions``: ``decides_own``, ``given_reason``) and the
domain functions the console calls (``bot.judging``) share these, so they live below both.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from bot import texts
from models import Person
from models.org import info_center_admins


def concerned(ids: Iterable[int | None]) -> set[int]:
    """The people a case concerns, by id (an empty role left out)."""
    return {i for i in ids if i is not None}


async def own_case(person: Person, involved: Collection[int | None], subject: str) -> str | None:
    """Art. 6: None when ``person`` may decide ``subject``; else what to tell them: the case
    concerns them (they applied, submitted, or run the account), so another Information Center
    admin decides — or, when there is none, the organisation must add one."""
    ids = concerned(involved)
    if person.id not in ids:
        return None
    others = await info_center_admins(exclude=ids)
    return texts.decides_own(subject) if others else texts.nobody_else_decides(subject)


def given_reason(said: str, limit: int) -> str:
    """A reason answered to the question after a refusal: "" when skipped (跳过, 无 …), else cut."""
    said = said.strip()
    return "" if said.casefold() in texts.SKIP_WORDS else said[:limit]
