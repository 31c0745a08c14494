"""Art. 5: a stopped account's drafts waiting for approval are voided, for handlers and sweeps.

An account that must stop (no report or 不合格 in the annual review), is suspended or closed takes
no new draft, and its drafts waiting for the head are voided: moved to 已撤回 — the only state the
draft model lets a pending draft leave for that is final and is not a decision (a rejection would
read as the head's verdict, and back to "composing" would let a stray attachment join it) — their
approval cards closed with the reason, and their authors told. Once the account is restored the
officer drafts anew (``查看 D12`` gives the text back). Approved drafts are left as they are.

It lives below handlers and schedules because both stop accounts: a judgement or a closure
(``handlers.drafts.void_pending_drafts``) and the annual-review sweep (``schedules.review``).
"""

from __future__ import annotations

from datetime import datetime

from bot import audit, texts
from bot.card_closing import close_card, close_used_cards
from bot.cards import Text
from bot.draft_cards import approval_card, confirm_card_prefix, load_views
from bot.outbox import Outbox
from models import Draft, DraftStatus


async def void_drafts(outbox: Outbox, actor: str, account_id: int, why: str, now: datetime) -> int:
    """Void every draft of the account waiting for approval: each moves to 已撤回, its approval
    card is closed with ``why`` on it, and its author is told why; ``actor`` goes into the audit
    log. Each draft moves with a conditional UPDATE, so a head's tap or a second caller at the
    same moment voids or decides it once. Returns how many."""
    drafts = await Draft.filter(account_id=account_id, status=DraftStatus.PENDING).order_by("id")
    views = await load_views(drafts)
    voided = 0
    for draft in drafts:
        if not await Draft.transition(draft.id, DraftStatus.WITHDRAWN, now, at_version=draft.version):
            continue  # decided or withdrawn meanwhile
        view = views[draft.id]
        title = texts.closed_title(texts.draft_subject(draft.ref), texts.OUTCOME_VOIDED)
        status = texts.draft_voided_status(why)
        await close_card(outbox, approval_card(view), title=title, status=status,
                         key=f"voided:ap:{draft.id}", now=now)
        await close_used_cards(outbox, confirm_card_prefix(draft.id, draft.version), title=title,
                               status=status, key=f"voided:apc:{draft.id}", now=now)
        await outbox.send(view.author, Text(texts.draft_voided_to_author(draft.ref, view.title, why)),
                          key=f"voided:author:{draft.id}", now=now)
        await audit.record(actor, "draft_voided", draft.ref,
                           {"version": draft.version, "account": view.account.name, "why": why},
                           now=now)
        voided += 1
    return voided
