"""Issue 18 (Art. 2: 监督检查 — the Information Center sees what failed and who acted): dead letters
are read with their recipient, kind, error and times, newest first, by page and by department,
never with their body; one retried goes back to pending (once: a row not dead is refused), is
delivered by the outbox worker to the recording channel, and its audit line keeps the error and
says who retried it.
"""

from __future__ import annotations

from bot.cards import Text
from bot.dead_letters import dead_letter_count, dead_letters, retry_dead
from models import AuditEvent, Department, OutboxMessage, OutboxStatus, Person
from tests.conftest import World

REFUSED = "recipient refused (injected)"


async def dead_help(world: World) -> OutboxMessage:
    """张三 asks for help and the platform refuses the answer for good: a dead letter."""
    world.channel.refuse_next = 1
    await world.say("zhangsan", "帮助")
    row = await OutboxMessage.get(status=OutboxStatus.DEAD)
    assert world.texts("zhangsan") == []
    return row


async def test_a_dead_letter_is_listed_without_its_body(world: World) -> None:
    row = await dead_help(world)
    zhangsan = await Person.get(code="zhangsan")
    [letter] = await dead_letters(10)
    assert (letter.id, letter.kind, letter.recipient_kind, letter.recipient) == (
        row.id, "text", "person", "张三")
    assert (letter.department_id, letter.channel, letter.error, letter.attempts) == (
        zhangsan.department_id, "local", REFUSED, 1)
    assert letter.created_at == row.created_at and letter.last_due == row.next_attempt_at
    assert not letter.notice
    assert not any(isinstance(v, dict) for v in vars(letter).values())  # no body
    assert await dead_letter_count() == 1


async def test_newest_first_by_page_and_by_department(world: World) -> None:
    first = await dead_help(world)
    publicity = await Department.get(code="publicity")
    world.channel.refuse_next = 1
    group = await world.bot.outbox.send(publicity, Text("群通知"), key="t:group", now=world.clock.now)
    await world.settle()
    assert [d.id for d in await dead_letters(10)] == [group.id, first.id]
    assert [d.id for d in await dead_letters(1, 1)] == [first.id]
    [shown] = await dead_letters(1)
    assert (shown.recipient_kind, shown.recipient, shown.department_id) == (
        "group", publicity.name, publicity.id)
    zhangsan = await Person.get(code="zhangsan")
    assert zhangsan.department_id == publicity.id
    assert [d.id for d in await dead_letters(10, scope=frozenset({publicity.id}))] == [group.id, first.id]
    other = await Department.exclude(id=publicity.id).first()
    assert other is not None
    assert await dead_letters(10, scope=frozenset({other.id})) == []
    assert await dead_letter_count(scope=frozenset({other.id})) == 0


async def test_retried_once_it_is_delivered_and_audited(world: World) -> None:
    row = await dead_help(world)
    wangwu = await Person.get(code="wangwu")
    world.clock.advance(minutes=30)
    assert await retry_dead(row.id, by=wangwu, now=world.clock.now)
    again = await OutboxMessage.get(id=row.id)
    assert (again.status, again.attempts, again.next_attempt_at, again.last_error) == (
        OutboxStatus.PENDING, 0, world.clock.now, "")
    line = await AuditEvent.get(action="dead_letter_retried")
    assert (line.actor, line.subject) == ("wangwu", f"outbox:{row.id}")
    assert line.detail == {"kind": "text", "lane": row.lane, "error": REFUSED, "attempts": 1,
                           "via": "console"}
    assert not await retry_dead(row.id, by=wangwu, now=world.clock.now)  # pending now: not dead

    await world.settle()  # the outbox worker's round
    assert len(world.texts("zhangsan")) == 1  # the answer it never got
    assert (await OutboxMessage.get(id=row.id)).status == OutboxStatus.SENT
    assert await dead_letters(10) == []
    assert not await retry_dead(row.id, by=wangwu, now=world.clock.now)  # sent: not dead
    assert not await retry_dead(row.id + 10_000, by=wangwu, now=world.clock.now)  # no such row
    assert await AuditEvent.filter(action="dead_letter_retried").count() == 1
