"""Art. 4, 5, 6 (the account's life: application, filing, changes, reviews, closure, each naming
who decided), issue 18: ``bot.history.account_history`` gives the console's account page the very
lines ``账号 @x`` shows in chat, each with its kind and its local time, in a bounded number of
queries. The lines themselves are proved in ``tests/handlers/test_ledger.py``.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.history import Kind, account_history
from models import Account
from tests.conftest import QueryCounter, World
from tests.handlers.test_ledger import at, full_life, life_of, long_life

TZ = ZoneInfo("Asia/Shanghai")


async def test_the_same_lines_as_in_chat_with_kind_and_time(world: World) -> None:
    account = await full_life()
    history = await account_history(account, TZ)
    await world.say("wangwu", "账号 @某某微博")
    assert [h.line for h in history] == life_of(world.last_text("wangwu"))
    assert [h.kind for h in history] == [
        Kind.APPLIED, Kind.ATTESTED, Kind.IC_DECIDED, Kind.APPLIED, Kind.ATTESTED, Kind.IC_DECIDED,
        Kind.FILING_SUBMITTED, Kind.FILING_DECIDED, Kind.VERIFIED, Kind.CHANGE_REQUESTED, Kind.CHANGE_FILED,
        Kind.REVIEW_SUBMITTED, Kind.REVIEW_JUDGED, Kind.REVIEW_SUBMITTED, Kind.REVIEW_JUDGED,
        Kind.CLOSURE_REQUESTED, Kind.CLOSED]
    first = history[0]
    assert isinstance(first.local, datetime) and first.local.tzinfo == TZ
    assert first.local == at("2025-02-10 09:00")
    assert first.when == "2025-02-10 09:00" and first.at == at("2025-02-10 09:00")


async def test_an_imported_account_has_a_date_only_filing(world: World) -> None:
    account = await Account.get(name="某某发布")
    await Account.filter(id=account.id).update(filed_at=at("2024-05-06 00:00"),
                                               created_at=at("2026-01-05 10:00"))
    history = await account_history(await Account.get(id=account.id), TZ)
    assert [(h.kind, h.local) for h in history] == [  # the verification as the file gives it
        (Kind.VERIFIED, at("2024-03-20 00:00")), (Kind.FILED, date(2024, 5, 6)),
        (Kind.IMPORTED, at("2026-01-05 10:00"))]
    assert history[1].when == "2024-05-06"


async def test_a_longer_life_costs_no_more_queries(world: World, queries: QueryCounter) -> None:
    account = await Account.get(name="某某发布")
    await long_life(account, 1)
    queries.count = 0
    short = len(await account_history(account, TZ))
    few = queries.count
    await long_life(account, 12)
    queries.count = 0
    assert len(await account_history(account, TZ)) > short
    assert queries.count == few == 6
