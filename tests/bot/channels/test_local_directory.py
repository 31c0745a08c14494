"""The simulator plays an address-book change (issue 16 point 6): ``POST /sim/api/directory`` turns a
click on the page's 通讯录变更 control into one ``ContactChange`` through the inbox (``accept``), as
WeCom's or DingTalk's change event does after its channel's ``prepare``: sender ``directory``, the
person by their code (the local channel's identity column), the new department and the
departments still there by name. Proven here: each kind (离职, 调岗, 撤销部门) is one stored
``contact_change`` row whose payload is that event; a second click with the same id is deduped;
refusals (bad JSON, wrong types, unknown person or department, a move to where they already
are) are 400 in Chinese and store nothing; and for any body the endpoint answers 200 exactly when
the oracle says the change can be played, else 400, one row per accepted click (Hypothesis)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot import texts
from bot.app import BOT, Bot, create_app
from bot.events import Change, ContactChange, Event
from bot.org import import_file
from models import InboundEvent, InboundStatus, Person
from tests.conftest import DEMO_ORG, make_settings

# examples/org.yaml as the simulator lists it
DEPARTMENTS = {"info-center": "信息中心", "publicity": "宣传科", "service": "服务中心"}
HOME = {"wangwu": "info-center", "zhaoliu": "info-center", "lisi": "publicity", "zhangsan": "publicity",
        "chenqi": "publicity", "zhouba": "service", "wujiu": "service"}


@dataclass
class Sim:
    client: TestClient  # type: ignore[type-arg]
    seen: list[tuple[Event, dict[str, Any]]] = field(default_factory=list)  # (event, stored payload)

    @property
    def bot(self) -> Bot:
        bot: Bot = self.client.app[BOT]
        return bot

    async def play(self, body: Any, *, raw: bytes | None = None) -> tuple[int, dict[str, Any]]:
        data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
        resp = await self.client.post("/sim/api/directory", data=data,
                                      headers={"Content-Type": "application/json"})
        answer = await resp.json()
        await self.bot.tasks.join()
        return resp.status, answer

    def only(self) -> tuple[ContactChange, dict[str, Any]]:
        assert len(self.seen) == 1, self.seen
        event, payload = self.seen[0]
        assert isinstance(event, ContactChange)
        return event, payload


@pytest.fixture
async def sim(db: str, aiohttp_client: Any) -> AsyncIterator[Sim]:
    app = create_app(make_settings(simulator=True), manage_database=False, run_scheduler=False)
    client = await aiohttp_client(app)
    await import_file(DEMO_ORG, now=client.app[BOT].deps.clock())
    s = Sim(client)

    async def recording(event: Event) -> Event:
        """Before the handler: the event it is given, and the row as the inbox stored it."""
        row = await InboundEvent.get(key=f"{event.channel}:{event.key}")
        s.seen.append((event, dict(row.payload)))
        return event

    s.bot.inbox.prepare["local"] = recording
    yield s


async def contact_rows() -> list[InboundEvent]:
    return await InboundEvent.filter(kind="contact_change").order_by("id")


def stored_as(event: ContactChange, payload: dict[str, Any]) -> None:
    """The row holds the event (it survives a restart as it was played)."""
    assert Event.from_json("contact_change", payload) == event


async def test_a_person_leaves(sim: Sim) -> None:
    click = uuid.uuid4().hex
    status, answer = await sim.play({"id": click, "change": "left", "person": "zhangsan"})
    assert status == 200 and answer["accepted"] and not answer["duplicate"]
    assert answer["said"] == "已模拟：张三离职（通讯录）"
    event, payload = sim.only()
    assert (event.channel, event.sender, event.key, event.change, event.userid) == (
        "local", "directory", f"directory:{click}", Change.LEFT, "zhangsan")
    assert (event.name, event.departments, event.department, event.remaining) == (None, None, "", None)
    stored_as(event, payload)
    [row] = await contact_rows()
    assert (row.key, row.channel) == (f"local:directory:{click}", "local")
    assert row.status != InboundStatus.RECEIVED  # taken up by the inbox like any event


async def test_a_person_moves_to_another_department(sim: Sim) -> None:
    status, answer = await sim.play({"id": "m1", "change": "updated", "person": "lisi",
                                     "department": "service"})
    assert status == 200 and answer["said"] == "已模拟：李四调岗到服务中心（通讯录）"
    event, payload = sim.only()
    assert (event.change, event.userid, event.departments, event.name) == (
        Change.UPDATED, "lisi", ["服务中心"], None)  # a move only: nothing says they were renamed
    stored_as(event, payload)
    assert len(await contact_rows()) == 1


async def test_a_department_is_removed(sim: Sim) -> None:
    status, answer = await sim.play({"id": "d1", "change": "department_removed", "department": "service"})
    assert status == 200 and answer["said"] == "已模拟：撤销部门「服务中心」（通讯录）"
    event, payload = sim.only()
    assert (event.change, event.department, event.remaining, event.userid) == (
        Change.DEPARTMENT_REMOVED, "service", ["信息中心", "宣传科"], "")
    stored_as(event, payload)


async def test_the_same_click_twice_is_one_change(sim: Sim) -> None:
    body = {"id": "same-click", "change": "left", "person": "chenqi"}
    assert (await sim.play(body))[0] == 200
    status, answer = await sim.play(body)
    assert status == 200 and answer == {"accepted": False, "duplicate": True,
                                        "said": texts.SIM_DIRECTORY_DUPLICATE}
    assert len(await contact_rows()) == 1 and len(sim.seen) == 1
    # two clicks (two ids) are two changes, as two deliveries of a platform would be
    assert (await sim.play({**body, "id": "other-click", "person": "wujiu"}))[0] == 200
    assert len(await contact_rows()) == 2


async def test_the_consequences_show_in_the_simulator(sim: Sim) -> None:
    """End to end with the handler (handlers/contacts.py): 张三, administrator of 某某发布, leaves;
    the page's list no longer offers him, his head and the Information Center hear of it there,
    and a second 离职 of him is refused (he is no longer on file)."""
    assert (await sim.play({"change": "left", "person": "zhangsan"}))[0] == 200
    people = await (await sim.client.get("/sim/api/people")).json()
    assert "zhangsan" not in {p["code"] for p in people["people"]}
    for who in ("lisi", "wangwu"):
        said = (await (await sim.client.get("/sim/api/messages", params={"as": who})).json())["messages"]
        shown = [json.dumps(m, ensure_ascii=False) for m in said if m["sender"] == "bot"]
        assert any("张三" in m and "某某发布" in m for m in shown), (who, said)
    status, answer = await sim.play({"change": "left", "person": "zhangsan"})
    assert status == 400 and "zhangsan" in answer["error"]


@pytest.mark.parametrize(("body", "said"), [
    ({"change": "left", "person": "nobody"}, "名单中没有在职人员「nobody」"),
    ({"change": "left"}, texts.SIM_DIRECTORY_PERSON_REQUIRED),
    ({"change": "left", "person": 7}, texts.SIM_DIRECTORY_PERSON_REQUIRED),
    ({"change": "left", "person": "x" * 65}, texts.SIM_DIRECTORY_PERSON_REQUIRED),
    ({"change": "left", "person": "   "}, texts.SIM_DIRECTORY_PERSON_REQUIRED),
    ({"change": "updated", "person": "lisi"}, texts.SIM_DIRECTORY_DEPARTMENT_REQUIRED),
    ({"change": "updated", "person": "lisi", "department": ["service"]},
     texts.SIM_DIRECTORY_DEPARTMENT_REQUIRED),
    ({"change": "updated", "person": "lisi", "department": "nowhere"}, "没有部门「nowhere」"),
    ({"change": "updated", "person": "lisi", "department": "publicity"}, "李四已在宣传科"),
    ({"change": "department_removed"}, texts.SIM_DIRECTORY_DEPARTMENT_REQUIRED),
    ({"change": "department_removed", "department": None}, texts.SIM_DIRECTORY_DEPARTMENT_REQUIRED),
    ({"change": "renamed", "person": "lisi"}, texts.SIM_DIRECTORY_REQUIRED),
    ({"change": ["left"], "person": "lisi"}, texts.SIM_DIRECTORY_REQUIRED),
    ({"person": "lisi"}, texts.SIM_DIRECTORY_REQUIRED),
    (["left", "lisi"], texts.SIM_DIRECTORY_REQUIRED),
    ("left", texts.SIM_DIRECTORY_REQUIRED),
    (None, texts.SIM_DIRECTORY_REQUIRED),
])
async def test_refusals_are_400_in_chinese_and_store_nothing(sim: Sim, body: Any, said: str) -> None:
    status, answer = await sim.play(body)
    assert status == 400 and said in answer["error"]
    assert await InboundEvent.all().count() == 0 and sim.seen == []


async def test_a_body_that_is_not_json_is_refused(sim: Sim) -> None:
    for raw in (b"not json", b"{", "\ud800".encode("utf-8", "surrogatepass"), b""):
        status, answer = await sim.play(None, raw=raw)
        assert status == 400 and answer["error"] == texts.SIM_NOT_JSON
    assert await InboundEvent.all().count() == 0


async def test_someone_who_has_left_cannot_leave_again(sim: Sim) -> None:
    await Person.filter(code="zhouba").update(active=False)
    status, answer = await sim.play({"change": "left", "person": "zhouba"})
    assert status == 400 and "zhouba" in answer["error"]


async def test_people_lists_the_departments_the_control_offers(sim: Sim) -> None:
    people = await (await sim.client.get("/sim/api/people")).json()
    assert people["departments"] == [{"code": c, "name": n} for c, n in DEPARTMENTS.items()]


# -- any body ----------------------------------------------------------------------------------
CODES = st.sampled_from([*HOME, *DEPARTMENTS, "nobody", "", " lisi ", "x" * 65])
VALUE = st.one_of(CODES, st.text(max_size=8), st.integers(), st.none(), st.booleans(),
                  st.lists(CODES, max_size=2), st.dictionaries(st.text(max_size=3), CODES, max_size=2))
CHANGE = st.one_of(st.sampled_from([c.value for c in Change]), VALUE)
BODY = st.one_of(
    st.fixed_dictionaries({}, optional={"change": CHANGE, "person": VALUE, "department": VALUE,
                                        "id": st.one_of(st.text(max_size=10), st.integers())}),
    VALUE,
)


def playable(body: Any) -> bool:
    """The oracle: can this body be played against examples/org.yaml (nobody moved or gone)?"""
    change = body.get("change") if isinstance(body, dict) else None
    if not isinstance(change, str) or change not in {c.value for c in Change}:
        return False

    def code(name: str) -> str | None:
        value = body.get(name)
        ok = isinstance(value, str) and value.strip() and len(value) <= 64
        return value.strip() if ok else None

    dept = code("department")
    if body["change"] != Change.LEFT.value and dept not in DEPARTMENTS:
        return False
    if body["change"] == Change.DEPARTMENT_REMOVED.value:
        return True
    person = code("person")
    return person in HOME and (body["change"] == Change.LEFT.value or HOME[person] != dept)


async def test_any_body_is_played_exactly_when_it_can_be_else_refused(sim: Sim) -> None:
    async def untouched(*_: Any) -> None:  # the organisation stays as the oracle knows it
        return None

    sim.bot.inbox.handle = untouched  # type: ignore[method-assign,assignment]
    loop = asyncio.get_running_loop()

    async def rows() -> int:
        return await InboundEvent.all().count()

    @settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(body=BODY)
    @example(body={"change": "left", "person": " wujiu "})  # both answers, whatever is drawn
    @example(body={"change": "updated", "person": "wangwu", "department": "service", "id": 3})
    @example(body={"change": "updated", "person": "zhouba", "department": "service"})
    @example(body={"change": "department_removed", "department": "publicity", "person": ["x"]})
    def prop(body: Any) -> None:
        if isinstance(body, dict) and isinstance(body.get("id"), str):
            body["id"] = f"{body['id']}-{uuid.uuid4().hex}"  # a fresh click each time
        before = asyncio.run_coroutine_threadsafe(rows(), loop).result()
        status, answer = asyncio.run_coroutine_threadsafe(sim.play(body), loop).result()
        after = asyncio.run_coroutine_threadsafe(rows(), loop).result()
        if playable(body):
            assert status == 200 and answer["accepted"] and answer["said"].startswith("已模拟："), body
            assert after == before + 1
        else:
            assert status == 400 and isinstance(answer["error"], str) and answer["error"], body
            assert after == before
        json.dumps(answer, ensure_ascii=False)

    await asyncio.to_thread(prop)
    assert all(row.kind == "contact_change" for row in await InboundEvent.all())
