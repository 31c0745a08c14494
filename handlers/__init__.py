"""Domain handlers. ``build_router()`` includes each module's router in a fixed order; the first
match wins, so the catch-all in ``help`` comes last. No auto-discovery, no import-time wiring
beyond the decorators of each module. Never import ``bot.channels`` from here.
"""

from __future__ import annotations

from bot.router import Router
from handlers import (
    approvals,
    attachments,
    closing,
    console,
    contacts,
    drafts,
    exports,
    forms,
    governance,
    help,
    inquiries,
    judgement,
    ledger,
    listings,
    publication,
    publishing,
    registry,
    reviews,
    revisions,
    submission,
    verification,
    wordlists,
)


def build_router() -> Router:
    root = Router(name="root")
    # A draft's life, once one module (drafts.py), in its old order: first match wins.
    root.include(drafts.router, attachments.router, submission.router, revisions.router,
                 publication.router, publishing.router, listings.router,
                 approvals.router, governance.router, registry.router,
                 verification.router, ledger.router, reviews.router, judgement.router, closing.router,
                 exports.router, inquiries.router, wordlists.router, forms.router, contacts.router,
                 console.router, help.router)
    return root
