"""The audit chain: every step of the flow is recorded, and an edited row is found."""

from __future__ import annotations

from bot import audit
from models import AuditEvent
from tests.conftest import World
from tests.handlers.test_drafts import submitted


async def test_flow_is_audited_and_chain_verifies(world: World) -> None:
    await submitted(world)
    await world.tap("lisi", world.channel.last_card("lisi", "ap-"), "通过")
    await world.say("zhangsan", "已发布 D1 https://mp.example.org/s/1")
    actions = await AuditEvent.all().order_by("id").values_list("action", flat=True)
    assert actions == ["org_imported", "draft_created", "draft_submitted", "draft_approved",
                       "draft_published"]
    hashes = await AuditEvent.filter(action__in=["draft_submitted", "draft_approved",
                                                  "draft_published"]).values_list(
        "detail", flat=True)
    assert len({h["hash"] for h in hashes}) == 1  # the same content hash at each step
    result = await audit.verify()
    assert result.ok and result.rows == 5


async def test_edited_row_fails_verification_naming_it(world: World) -> None:
    await submitted(world)
    row = await AuditEvent.get(action="draft_submitted")
    await AuditEvent.filter(id=row.id).update(actor="lisi")
    result = await audit.verify()
    assert not result.ok and result.bad_id == row.id


async def test_deleted_row_breaks_the_chain(world: World) -> None:
    await submitted(world)
    row = await AuditEvent.get(action="draft_created")
    await AuditEvent.filter(id=row.id).delete()
    result = await audit.verify()
    assert not result.ok and result.bad_id == row.id + 1


async def test_concurrent_appends_keep_one_chain(db: str) -> None:
    """On PostgreSQL each append runs in its own transaction on its own connection; the advisory
    lock keeps two of them from chaining onto the same previous row."""
    import asyncio

    from tortoise.transactions import in_transaction

    from tests.fakes import FakeClock

    now = FakeClock().now

    async def append(i: int) -> None:
        async with in_transaction():
            await audit.record(f"p{i}", "test", str(i), now=now)

    await asyncio.gather(*(append(i) for i in range(30)))
    result = await audit.verify()
    assert result.ok and result.rows == 30
    prevs = await AuditEvent.all().values_list("prev_hash", flat=True)
    assert len(set(prevs)) == 30
