"""Decisions on cards, the shape they share (Art. 6 谁审批、谁监管): who may not decide a case
(``decides_own``), sending a decision card to the Information Center admins it does not concern
(``send_decision``), a decision taken once (``decided``: the guarded move lost and says why, or
won and closes every copy of the card and audits the decider), and a refusal's reason read one
way (``given_reason``). The parts that need no chat (``concerned``, ``given_reason``, the Art. 6
check) live in ``bot.decisions``, shared with the console's domain functions. Used by
governance (申请开通), registry (备案, 变更), judgement (年审), closing (注销) and approvals (稿件).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable
from typing import Any

from bot import audit, texts
from bot.card_closing import close_card
from bot.cards import Card, Text
from bot.decisions import concerned, given_reason, own_case
from bot.router import Ctx
from models import OutboxMessage, Person
from models.org import info_center_admin_query, info_center_admins

__all__ = ["Audited", "concerned", "decided", "decides_own", "given_reason", "send_decision"]


async def decides_own(ctx: Ctx[Any], involved: Collection[int | None], subject: str) -> bool:
    """Art. 6 (谁审批、谁监管): True, after telling the person so, when the decision at hand
    concerns them (``bot.decisions.own_case``): another Information Center admin decides — or,
    when there is none, the person is told the organisation must add one. Call it after the
    is_info_center_admin check, before any change."""
    refusal = await own_case(ctx.person, involved, subject)
    if refusal is None:
        return False
    await ctx.reply(refusal)
    return True


async def _queued(keys: Iterable[str]) -> set[str]:
    """The outbox keys among ``keys`` already queued (sent once, never twice)."""
    return {str(k) for k in await OutboxMessage.filter(key__in=list(keys)).values_list("key", flat=True)}


async def send_decision(ctx: Ctx[Any], card: Card, key: str, involved: Collection[int | None],
                        subject: str, tell: Iterable[Person] = ()) -> list[Person]:
    """Send the decision ``card`` to the Information Center admins not concerned (outbox keys
    ``{key}:{admin id}``) and return them. None: the card goes to the concerned admins instead,
    and they and ``tell`` (the submitter) hear that nobody else can decide (see the module's
    notes). Admins who were sent the card before are skipped, so calling it again after a
    concerned person pressed the card hands it to an admin added since."""
    ids = concerned(involved)
    deciders = await info_center_admins(exclude=ids)
    to = deciders or await info_center_admin_query().filter(id__in=list(ids))
    keys = {a.id: f"{key}:{a.id}" for a in to}
    done = await _queued(keys.values())
    for admin in to:
        if keys[admin.id] not in done:
            await ctx.outbox.send(admin, card, key=keys[admin.id], now=ctx.now)
    if not deciders:
        told = {p.id: p for p in [*tell, *to]}
        stuck = {pid: f"{key}:stuck:{pid}" for pid in told}
        done = await _queued(stuck.values())
        for pid, person in told.items():
            if stuck[pid] not in done:
                await ctx.outbox.send(person, Text(texts.nobody_else_decides(subject)), key=stuck[pid],
                                      now=ctx.now)
    return deciders


# -- a decision on a card: decided once, its card closed, the decider audited ---------------------
Audited = tuple[str, str, dict[str, Any]]  # audit action, target, data


async def decided(ctx: Ctx[Any], won: bool, already: str | Callable[[], Awaitable[str]], card: Card, *,
                  subject: str, outcome: str, status: str, key: str, audited: Audited | None = None) -> bool:
    """The shape every decision on a card shares (an attestation, an approval, a filing, a change,
    a review): its guarded transition either lost (``won`` False) — the person is told why
    (``already``: the text, or how to find it: who decided first) and nothing else happens — or
    won: every copy of ``card`` closes, its title naming ``subject`` and the ``outcome``, ``status``
    saying who and when, and, with ``audited``, the decider is the audit row's actor. True if won.
    Whom to tell and the reason to ask stay with each decision: they differ."""
    if not won:
        await ctx.reply(already if isinstance(already, str) else await already())
        return False
    await close_card(ctx.outbox, card, title=texts.closed_title(subject, outcome), status=status, key=key,
                     now=ctx.now)
    if audited is not None:
        await audit.record(ctx.person.code, *audited, now=ctx.now)
    return True
