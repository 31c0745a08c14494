"""WeCom contact changes (通讯录 ``change_contact``, doc 90970 / 90971) end to end on the channel side:
the fake WeCom changes its directory and emits the callback, really encrypted and signed, into the
aiohttp app built by ``bot.app``; the inbox stores one ``contact_change`` row per delivery and the
channel's ``prepare`` fills the facts from the directory before the handler runs. These are the
changes Art. 4 (a leader or administrator of an account who left or moved: re-filing) and Art. 7
(a department's officers) need to hear about.

Proven here: delete_user → LEFT; update_user with a move or a new name → UPDATED with the name and
department names WeCom gives now; update_user for someone already gone → LEFT; delete_party →
DEPARTMENT_REMOVED with the departments still shown; changes the organisation does not keep
(position, create_user, create_party, update_party, update_tag, a changed userid) acknowledged
without a row; a redelivery deduped to one row; a directory that fails or withholds names leaves
the facts None without failing the event; malformed values refused with 400. The parser takes any
input to an event, None or a 400 refusal (Hypothesis)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import BOT, Bot
from bot.channels.verify import KEY_MAX, Refused
from bot.channels.wecom.parse import parse_plaintext
from bot.events import Change, ContactChange, Event
from models import InboundEvent, InboundStatus
from tests.fake_wecom import FakeDepartment, FakeDirectory, FakePerson, FakeWeCom, ManualClock
from tests.fakes import FakeClock
from tests.wecom_callbacks import CORP_ID, SECRET, WeComSender, wecom_app

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def organisation() -> FakeDirectory:
    """The demo organisation as WeCom shows it: 信息中心, 宣传科 and 服务中心 under the root."""
    return FakeDirectory(
        departments=[FakeDepartment(1, "某某县融媒体中心"), FakeDepartment(2, "信息中心", 1),
                     FakeDepartment(3, "宣传科", 1, leaders=["lisi"]), FakeDepartment(4, "服务中心", 1),
                     FakeDepartment(5, "档案室", 1)],
        people=[FakePerson("wangwu", "王五", "13800000001", [2]),
                FakePerson("lisi", "李四", "13800000003", [3]),
                FakePerson("zhangsan", "张三", "13800000004", [3]),
                FakePerson("chenqi", "陈七", "13800000005", [3]),
                FakePerson("zhouba", "周八", "13800000006", [4])])


@dataclass
class World:
    client: TestClient  # type: ignore[type-arg]
    fake: FakeWeCom
    sender: WeComSender
    prepared: list[Event] = field(default_factory=list)

    @property
    def bot(self) -> Bot:
        return self.client.app[BOT]

    async def deliver(self, plaintext: str) -> int:
        status = await self.sender.post(self.client, plaintext)
        await self.bot.tasks.join()
        return status

    def changes(self) -> list[ContactChange]:
        return [e for e in self.prepared if isinstance(e, ContactChange)]

    def only(self) -> ContactChange:
        changes = self.changes()
        assert len(changes) == 1, changes
        return changes[0]


@pytest.fixture
async def world(db: str, aiohttp_client: Any) -> AsyncIterator[World]:
    fake = FakeWeCom(corp_id=CORP_ID, secret=SECRET, clock=ManualClock())
    fake.directory = organisation()
    await fake.start()
    clock = FakeClock()
    client, channel = await wecom_app(fake, aiohttp_client, clock)
    w = World(client, fake, WeComSender(now=clock.now.timestamp()))
    inner: Callable[[Event], Awaitable[Event]] = w.bot.inbox.prepare["wecom"]

    async def recording(event: Event) -> Event:  # what the handler is given
        prepared = await inner(event)
        w.prepared.append(prepared)
        return prepared

    w.bot.inbox.prepare["wecom"] = recording
    yield w
    await channel.client.close()
    await fake.stop()


async def rows() -> list[InboundEvent]:
    return await InboundEvent.filter(kind="contact_change").order_by("id")


async def test_a_member_deleted_from_the_directory_has_left(world: World) -> None:
    assert await world.deliver(world.fake.member_leaves("zhangsan")) == 200
    change = world.only()
    assert (change.change, change.userid, change.sender, change.channel) == (
        Change.LEFT, "zhangsan", "directory", "wecom")
    assert change.key.startswith("cc:") and change.key.endswith(":delete_user:zhangsan")
    [row] = await rows()
    assert row.status == InboundStatus.DONE


async def test_a_move_is_read_back_as_department_names(world: World) -> None:
    assert await world.deliver(world.fake.member_changes("lisi", department=[4, 3])) == 200
    change = world.only()
    assert (change.change, change.userid) == (Change.UPDATED, "lisi")
    assert (change.name, change.departments) == ("李四", ["服务中心", "宣传科"])
    assert len(await rows()) == 1


async def test_a_new_name_is_read_back(world: World) -> None:
    assert await world.deliver(world.fake.member_changes("chenqi", name="陈琪")) == 200
    change = world.only()
    assert (change.change, change.name, change.departments) == (Change.UPDATED, "陈琪", ["宣传科"])


async def test_a_changed_userid_follows_the_person_and_nothing_else_changes(world: World) -> None:
    """WeCom lets a system-made userid be changed once (NewUserID): the directory is read by the
    new id, and the person keeps everything under it (not read as gone)."""
    from models import Account, AuditEvent, Person

    world.fake._person("zhangsan").userid = "ZhangSan2026"
    event = world.fake.contact_event("update_user", ("UserID", "zhangsan"), ("NewUserID", "ZhangSan2026"))
    assert await world.deliver(event) == 200
    change = world.only()
    assert (change.change, change.userid, change.new_userid) == (Change.UPDATED, "zhangsan", "ZhangSan2026")
    assert (change.name, change.departments) == ("张三", ["宣传科"])
    person = await Person.get(code="zhangsan")
    assert (person.wecom_userid, person.active) == ("ZhangSan2026", True)
    assert (await Account.get(name="某某发布")).refile == {}
    audit = await AuditEvent.get(action="person_userid_changed")
    assert audit.detail == {"platform": "wecom", "from": "zhangsan", "to": "ZhangSan2026"}


async def test_an_update_for_someone_already_gone_becomes_left(world: World) -> None:
    event = world.fake.member_changes("zhouba", department=[2])
    world.fake.member_leaves("zhouba")  # deleted before the bot read the update (WeCom sends both)
    assert await world.deliver(event) == 200
    change = world.only()
    assert (change.change, change.userid, change.name, change.departments) == (
        Change.LEFT, "zhouba", None, None)


async def test_a_member_moved_out_of_the_visible_range_reads_as_gone(world: World) -> None:
    world.fake.directory.visible = {2, 3, 4}
    assert await world.deliver(world.fake.member_changes("wangwu", department=[5])) == 200
    assert world.only().change == Change.LEFT  # user/get answers 60011 now


async def test_a_removed_department_comes_with_the_departments_still_shown(world: World) -> None:
    assert await world.deliver(world.fake.department_removed(5)) == 200
    change = world.only()
    assert (change.change, change.department, change.userid) == (Change.DEPARTMENT_REMOVED, "5", "")
    assert change.remaining == ["某某县融媒体中心", "信息中心", "宣传科", "服务中心"]


async def test_a_redelivery_is_one_row(world: World) -> None:
    event = world.fake.member_leaves("zhangsan")
    for _ in range(4):  # WeCom resends an unanswered callback up to three more times
        assert await world.deliver(event) == 200
    assert len(await rows()) == 1
    assert len(world.changes()) == 1


async def test_changes_the_organisation_does_not_keep_are_acknowledged_without_a_row(world: World) -> None:
    fake = world.fake
    ignored = [
        fake.member_changes("zhangsan", position="主任科员"),
        fake.contact_event("create_user", ("UserID", "sunshi"), ("Department", "3")),
        fake.contact_event("create_party", ("Id", 6), ("ParentId", "1"), ("Order", 1)),
        fake.contact_event("update_party", ("Id", 4), ("ParentId", "2")),
        fake.contact_event("update_tag", ("TagId", 1), ("AddUserItems", "zhangsan")),
    ]
    for plaintext in ignored:
        assert await world.deliver(plaintext) == 200
    assert await rows() == []
    assert world.prepared == []


@pytest.mark.parametrize("fault", [45009, 48002, 60020, "http500"])
async def test_a_failing_directory_leaves_the_facts_unknown(world: World, fault: int | str) -> None:
    world.fake.fail("user/get", fault)
    world.fake.fail("department/list", fault)
    assert await world.deliver(world.fake.member_changes("lisi", department=[4])) == 200
    assert await world.deliver(world.fake.department_removed(5)) == 200
    moved, removed = world.changes()
    assert (moved.change, moved.name, moved.departments) == (Change.UPDATED, None, None)
    assert (removed.change, removed.remaining) == (Change.DEPARTMENT_REMOVED, None)
    assert [r.status for r in await rows()] == [InboundStatus.DONE, InboundStatus.DONE]


async def test_department_names_failing_after_the_person_keeps_the_name(world: World) -> None:
    world.fake.fail("department/list", 45009)
    assert await world.deliver(world.fake.member_changes("lisi", name="李思", department=[4])) == 200
    change = world.only()
    assert (change.change, change.name, change.departments) == (Change.UPDATED, "李思", None)


async def test_withheld_names_are_unknown_not_empty(world: World) -> None:
    world.fake.withhold_names = True  # a 代开发 app without the administrator's grant
    assert await world.deliver(world.fake.member_changes("lisi", department=[4])) == 200
    assert await world.deliver(world.fake.department_removed(5)) == 200
    moved, removed = world.changes()
    assert (moved.name, moved.departments) == (None, None)
    assert removed.remaining is None


@pytest.mark.parametrize("fields", [
    ("delete_user", [("UserID", "zhang san")]),
    ("delete_user", [("UserID", "z" * 65)]),
    ("delete_user", []),
    ("update_user", [("UserID", "lisi"), ("Department", "3;4")]),
    ("update_user", [("UserID", "lisi"), ("NewUserID", "li si")]),
    ("delete_party", [("Id", "宣传科")]),
    ("delete_party", [("Id", "12345678901")]),
    ("delete_party", []),
])
async def test_malformed_values_are_refused_with_400(
        world: World, fields: tuple[str, list[tuple[str, str]]]) -> None:
    change_type, values = fields
    assert await world.deliver(world.fake.contact_event(change_type, *values)) == 400
    assert await rows() == []


async def test_an_event_without_create_time_is_refused(world: World) -> None:
    plaintext = world.fake.member_leaves("zhangsan").replace(
        f"<CreateTime>{int(world.fake.clock())}</CreateTime>", "")
    assert await world.deliver(plaintext) == 400
    assert await rows() == []


# ---- the parser, any input -------------------------------------------------------------------------

_text = st.text(max_size=80)
_value = st.one_of(_text, st.from_regex(r"[A-Za-z0-9_@.\-]{1,70}", fullmatch=True),
                   st.from_regex(r"[0-9]{0,12}(,[0-9]{0,12}){0,3}", fullmatch=True))
_field = st.tuples(st.sampled_from(["UserID", "Id", "Department", "MainDepartment", "Name", "NewUserID",
                                    "IsLeaderInDept", "CreateTime", "Position", "Status"]), _value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(change_type=st.one_of(st.sampled_from(["delete_user", "update_user", "delete_party", "create_user",
                                              "update_party", "update_tag"]), _text),
       fields=st.lists(_field, max_size=6), created=st.one_of(_text, st.integers(0, 10**12).map(str)))
def test_the_parser_gives_an_event_none_or_a_refusal(change_type: str, fields: list[tuple[str, str]],
                                                     created: str) -> None:
    body = "".join(f"<{n}>{escape(v)}</{n}>" for n, v in fields)
    xml = (f"<xml><ToUserName>{CORP_ID}</ToUserName><FromUserName>sys</FromUserName>"
           f"<CreateTime>{escape(created)}</CreateTime><MsgType>event</MsgType>"
           f"<Event>change_contact</Event><ChangeType>{escape(change_type)}</ChangeType>{body}</xml>")
    try:
        event = parse_plaintext(xml, NOW)
    except Refused as exc:
        assert exc.status == 400
        return
    if event is None:
        return
    assert isinstance(event, ContactChange)
    assert event.sender == "directory" and len(event.key) <= KEY_MAX
    assert event.change in {c.value for c in Change}
    assert event.userid or event.department
