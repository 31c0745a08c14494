"""DingTalk address-book events (issue 16, point 3) — Art. 4 (a leader's or administrator's
change is re-filed) and Art. 7 (a department's officers) start from them: 离职, 调岗 and 部门删除
reach the bot as ``ContactChange`` events, one per person.

Both ways DingTalk sends them, end to end into the app ``bot.app`` builds, against the fake
DingTalk on 127.0.0.1:
- HTTP mode: ``POST /dingtalk/event`` with the body encrypted and signed as DingTalk does
  (dingtalk-sdk's DingTalkCrypto, owner key the AppKey), the ``check_url`` handshake answered
  with the encrypted "success", redeliveries deduped, bad input refused with 4xx;
- Stream mode: ``EVENT`` frames over the real WebSocket of the fake gateway, the subscription
  to topic ``*``, acks with ``{"status": "SUCCESS"}``.
``prepare`` fills the facts from the fake directory (``topapi/v2/user/get``, the department
walk), turns someone already gone into LEFT, and keeps None when the directory cannot be asked.
The parser is property-tested: any input is changes, nothing, or ``Malformed`` — never a crash.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.app import BOT, Bot, create_app
from bot.channels.dingtalk.events import contact_changes, parse_plaintext
from bot.channels.verify import Malformed
from bot.events import Change, ContactChange, Event
from bot.settings import SettingsError, load_settings
from models import InboundEvent
from tests.bot.channels.dingtalk.test_flow import dingtalk_settings
from tests.bot.channels.dingtalk.test_stream import APP_KEY, APP_SECRET, FakeGateway
from tests.conftest import make_settings
from tests.fake_dingtalk import ERR_NO_PERMISSION, FakeDingTalk

NOW = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)


@dataclass
class World:
    client: TestClient  # type: ignore[type-arg]
    fake: FakeDingTalk
    prepared: list[Event] = field(default_factory=list)

    @property
    def bot(self) -> Bot:
        bot: Bot = self.client.app[BOT]
        return bot

    async def push(self, plaintext: dict[str, Any] | str, **kw: Any) -> Any:
        query, body = self.fake.http_event(plaintext, **kw)
        resp = await self.client.post("/dingtalk/event", params=query, json=body)
        await self.bot.tasks.join()
        return resp


def watch_prepare(bot: Bot, seen: list[Event]) -> None:
    """Record what the channel's prepare gave the handler (the real prepare still runs)."""
    real = bot.inbox.prepare["dingtalk"]

    async def recording(event: Event) -> Event:
        out = await real(event)
        seen.append(out)
        return out

    bot.inbox.prepare["dingtalk"] = recording


def directory(fake: FakeDingTalk) -> None:
    fake.add_department(2, "宣传部")
    fake.add_department(3, "网信办")
    fake.add_department(21, "新媒体科", parent=2)
    fake.add_person("manager4220", "张三", "13800138000", departments=(21,))
    fake.add_person("0149221535731063", "李四", "13900139000", departments=(2, 3))


@pytest.fixture
async def world(db: str, aiohttp_client: Any) -> AsyncIterator[World]:
    fake = FakeDingTalk()
    await fake.start()
    directory(fake)
    settings = make_settings(**dingtalk_settings(fake, dingtalk_event_token=fake.event_token,
                                                 dingtalk_event_aes_key=fake.event_aes_key))
    app = create_app(settings, manage_database=False, run_scheduler=False, run_worker=False)
    client = await aiohttp_client(app)
    out = World(client, fake)
    watch_prepare(out.bot, out.prepared)
    yield out
    await fake.stop()


def changes(world: World) -> list[ContactChange]:
    return [e for e in world.prepared if isinstance(e, ContactChange)]


# -- HTTP mode ----------------------------------------------------------------------------------------
async def test_check_url_is_answered_with_the_encrypted_success(world: World) -> None:
    resp = await world.push({"EventType": "check_url"})
    assert resp.status == 200
    answer = await resp.json()
    assert set(answer) == {"msg_signature", "timeStamp", "nonce", "encrypt"}
    assert world.fake.read_event_answer(answer) == "success"
    assert await InboundEvent.all().count() == 0


async def test_the_newer_query_names_are_read_too(world: World) -> None:
    resp = await world.push({"EventType": "check_url"}, new_names=True)
    assert resp.status == 200 and world.fake.read_event_answer(await resp.json()) == "success"


async def test_leaving_is_one_left_change_per_userid(world: World) -> None:
    plain = world.fake.http_plaintext("user_leave_org", users=["manager4220", "0149221535731063"])
    resp = await world.push(plain)
    assert resp.status == 200 and world.fake.read_event_answer(await resp.json()) == "success"
    rows = await InboundEvent.all().order_by("id")
    assert [r.kind for r in rows] == ["contact_change", "contact_change"]
    got = changes(world)
    assert [(c.change, c.userid, c.sender) for c in got] == [
        ("left", "manager4220", "directory"), ("left", "0149221535731063", "directory")]
    assert got[0].key == f"user_leave_org:{plain['TimeStamp']}:manager4220"
    assert world.fake.calls["topapi/v2/user/get"] == 0  # LEFT needs no lookup


async def test_a_redelivery_is_stored_once(world: World) -> None:
    plain = world.fake.http_plaintext("user_leave_org", users=["manager4220"])
    assert (await world.push(plain)).status == 200
    again = await world.push(plain)  # DingTalk pushes it again (new signature, same event)
    assert again.status == 200 and world.fake.read_event_answer(await again.json()) == "success"
    assert await InboundEvent.all().count() == 1


async def test_a_move_is_updated_with_the_names_the_directory_gives(world: World) -> None:
    world.fake.people["manager4220"]["dept_id_list"] = [3]
    await world.push(world.fake.http_plaintext("user_modify_org", users=["manager4220"]))
    [change] = changes(world)
    assert (change.change, change.userid, change.name, change.departments) == (
        "updated", "manager4220", "张三", ["网信办"])
    assert world.fake.calls["topapi/v2/user/get"] == 1


async def test_user_dept_change_is_an_update_too(world: World) -> None:
    await world.push(world.fake.http_plaintext("user_dept_change", users=["0149221535731063"]))
    [change] = changes(world)
    assert (change.change, change.departments) == ("updated", ["宣传部", "网信办"])


async def test_an_update_of_someone_already_gone_becomes_left(world: World) -> None:
    world.fake.remove_person("manager4220")
    await world.push(world.fake.http_plaintext("user_modify_org", users=["manager4220"]))
    [change] = changes(world)
    assert (change.change, change.userid, change.name, change.departments) == (
        "left", "manager4220", None, None)


async def test_a_department_removed_names_the_ones_still_there(world: World) -> None:
    world.fake.remove_department(21)
    await world.push(world.fake.http_plaintext("org_dept_remove", depts=[21]))
    [change] = changes(world)
    assert (change.change, change.department, change.userid) == ("department_removed", "21", "")
    assert change.remaining == ["测试企业", "宣传部", "网信办"]


async def test_a_failing_directory_leaves_the_fields_unknown(world: World) -> None:
    world.fake.denied.add("topapi/v2/user/get")
    world.fake.fail("topapi/v2/department/get", ERR_NO_PERMISSION)
    await world.push(world.fake.http_plaintext("user_modify_org", users=["manager4220"]))
    await world.push(world.fake.http_plaintext("org_dept_remove", depts=[21]))
    updated, removed = changes(world)
    assert (updated.change, updated.name, updated.departments) == ("updated", None, None)
    assert (removed.change, removed.remaining) == ("department_removed", None)
    assert await InboundEvent.all().count() == 2  # the events are still handled


async def test_other_events_are_answered_and_ignored(world: World) -> None:
    for kind in ("user_add_org", "user_active_org", "org_admin_add", "bpms_instance_change"):
        resp = await world.push(world.fake.http_plaintext(kind, users=["manager4220"]))
        assert resp.status == 200 and world.fake.read_event_answer(await resp.json()) == "success"
    assert await InboundEvent.all().count() == 0


@pytest.mark.parametrize("plaintext", [
    "not json", "[]", json.dumps({"EventType": 5}),
    json.dumps({"EventType": "user_leave_org", "TimeStamp": "1", "UserId": []}),
    json.dumps({"EventType": "user_leave_org", "TimeStamp": "1", "UserId": ["x" * 65]}),
    json.dumps({"EventType": "user_leave_org", "TimeStamp": "1", "UserId": "manager4220"}),
    json.dumps({"EventType": "user_leave_org", "UserId": ["manager4220"]}),
    json.dumps({"EventType": "org_dept_remove", "TimeStamp": "1", "DeptId": ["x"]}),
    json.dumps({"EventType": "org_dept_remove", "TimeStamp": "1", "DeptId": [True]}),
])
async def test_garbage_inside_a_good_envelope_is_400(world: World, plaintext: str) -> None:
    resp = await world.push(plaintext)
    assert resp.status == 400
    assert await InboundEvent.all().count() == 0


async def test_bad_envelopes_are_refused(world: World) -> None:
    query, body = world.fake.http_event(world.fake.http_plaintext("user_leave_org", users=["manager4220"]))
    post = world.client.post
    forged = {**query, "msg_signature": "0" * 40}
    assert (await post("/dingtalk/event", params=forged, json=body)).status == 403
    assert (await post("/dingtalk/event", params={k: v for k, v in query.items() if k != "nonce"},
                       json=body)).status == 403
    assert (await post("/dingtalk/event", params={**query, "timeStamp": "12x"}, json=body)).status == 400
    stale = world.fake.http_event(world.fake.http_plaintext("user_leave_org", users=["manager4220"]),
                                  timestamp_ms=1_000_000_000_000)
    assert (await post("/dingtalk/event", params=stale[0], json=stale[1])).status == 403
    assert (await post("/dingtalk/event", params=query, data=b"[1]")).status == 400
    assert (await post("/dingtalk/event", params=query, json={"encrypt": 5})).status == 400
    # signed, but not an AES frame: the signature is over whatever "encrypt" holds
    from bot.channels.dingtalk.events import signature
    junk = "QUJD"
    sig = signature(world.fake.event_token, query["timeStamp"], query["nonce"], junk)
    assert (await post("/dingtalk/event", params={**query, "msg_signature": sig},
                       json={"encrypt": junk})).status == 400
    assert await InboundEvent.all().count() == 0


async def test_another_apps_frame_is_refused(world: World) -> None:
    world.fake.app_key, key = "dingsomeoneelse", world.fake.app_key
    query, body = world.fake.http_event(world.fake.http_plaintext("user_leave_org", users=["manager4220"]))
    world.fake.app_key = key
    assert (await world.client.post("/dingtalk/event", params=query, json=body)).status == 403


async def test_no_event_endpoint_without_its_settings(db: str, aiohttp_client: Any) -> None:
    fake = FakeDingTalk()
    app = create_app(make_settings(**dingtalk_settings(fake)), manage_database=False,
                     run_scheduler=False, run_worker=False)
    client = await aiohttp_client(app)
    assert (await client.post("/dingtalk/event", json={})).status in (404, 405)


def test_half_the_event_settings_name_the_missing_one() -> None:
    base = {"dingtalk_client_id": "k", "dingtalk_client_secret": "s", "dingtalk_robot_code": "k",
            "dingtalk_card_template_id": "t.schema", "_env_file": None}
    with pytest.raises(SettingsError, match="XMT_DINGTALK_EVENT_AES_KEY"):
        load_settings(**base, dingtalk_event_token="tok")
    with pytest.raises(SettingsError, match="XMT_DINGTALK_EVENT_AES_KEY"):
        load_settings(**base, dingtalk_event_token="tok", dingtalk_event_aes_key="short")
    with pytest.raises(SettingsError, match="XMT_DINGTALK_CLIENT_ID"):
        load_settings(_env_file=None, dingtalk_event_token="tok", dingtalk_event_aes_key="a" * 43)
    try:
        load_settings(**base, dingtalk_event_token="tok-secret-value", dingtalk_event_aes_key="short")
    except SettingsError as exc:
        assert "tok-secret-value" not in str(exc)


# -- Stream mode --------------------------------------------------------------------------------------
@pytest.fixture
async def stream(db: str, aiohttp_client: Any) -> AsyncIterator[tuple[World, FakeGateway]]:
    fake = FakeDingTalk(app_key=APP_KEY, app_secret=APP_SECRET)
    gateway = FakeGateway(fake.app)
    base = await fake.start()
    directory(fake)
    settings = make_settings(dingtalk_client_id=APP_KEY, dingtalk_client_secret=APP_SECRET,
                             dingtalk_robot_code=APP_KEY, dingtalk_card_template_id="T.schema",
                             dingtalk_mode="stream", dingtalk_api_base=base, dingtalk_oapi_base=base,
                             simulator=False)
    app = create_app(settings, manage_database=False, run_scheduler=False, run_worker=False)
    client = await aiohttp_client(app)
    world = World(client, fake)
    watch_prepare(world.bot, world.prepared)
    await gateway.reconnected(1)
    yield world, gateway
    await gateway.stop()
    await fake.stop()


async def test_stream_subscribes_to_events_and_acks_them(stream: Any) -> None:
    world, gateway = stream
    assert {"type": "EVENT", "topic": "*"} in gateway.opens[0]["subscriptions"]
    world.fake.people["manager4220"]["dept_id_list"] = [2]
    frame = world.fake.stream_event("user_modify_org", users=["manager4220"])
    ack = await gateway.push(frame)
    assert ack["code"] == 200 and ack["headers"]["messageId"] == frame["headers"]["messageId"]
    assert json.loads(ack["data"])["status"] == "SUCCESS"
    await world.bot.tasks.join()
    [change] = changes(world)
    assert change.key == f"{frame['headers']['eventId']}:manager4220"
    assert (change.change, change.name, change.departments) == ("updated", "张三", ["宣传部"])


async def test_stream_redelivery_is_stored_once(stream: Any) -> None:
    world, gateway = stream
    frame = world.fake.stream_event("user_leave_org", users=["manager4220", "0149221535731063"])
    await gateway.push(frame)
    again = {**frame, "headers": {**frame["headers"], "messageId": "re-pushed_1"}}
    ack = await gateway.push(again)
    assert ack["code"] == 200 and json.loads(ack["data"])["status"] == "SUCCESS"
    await world.bot.tasks.join()
    assert await InboundEvent.filter(kind="contact_change").count() == 2


async def test_stream_department_removed_and_ignored_events(stream: Any) -> None:
    world, gateway = stream
    world.fake.remove_department(3)
    ack = await gateway.push(world.fake.stream_event("org_dept_remove", depts=[3]))
    assert ack["code"] == 200
    ignored = await gateway.push(world.fake.stream_event("user_add_org", users=["manager4220"]))
    assert ignored["code"] == 200 and json.loads(ignored["data"])["status"] == "SUCCESS"
    await world.bot.tasks.join()
    [change] = changes(world)
    assert (change.department, change.remaining) == ("3", ["测试企业", "宣传部", "新媒体科"])
    assert await InboundEvent.all().count() == 1


async def test_stream_bad_event_data_is_400(stream: Any) -> None:
    world, gateway = stream
    frame = world.fake.stream_event("user_leave_org", users=["manager4220"])
    for data in ("not json", "[]", json.dumps({"userId": [5]}), json.dumps({"userId": []})):
        ack = await gateway.push({**frame, "data": data})
        assert ack["code"] == 400 and json.loads(ack["data"])["status"] == "LATER"
    no_id = {**frame, "headers": {k: v for k, v in frame["headers"].items() if k != "eventId"}}
    assert (await gateway.push(no_id))["code"] == 400
    await world.bot.tasks.join()
    assert await InboundEvent.all().count() == 0


# -- the parser, any input ------------------------------------------------------------------------------
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                    max_leaves=12)
KINDS = st.sampled_from(["user_leave_org", "user_modify_org", "user_dept_change", "org_dept_remove",
                         "user_add_org", "check_url"]) | st.text(max_size=70)
IDS = st.lists(st.one_of(st.from_regex(r"[0-9a-z]{1,64}", fullmatch=True), st.integers(), JSON), max_size=4)


@settings(max_examples=200, deadline=None)
@given(kind=KINDS, event_id=st.one_of(st.text(max_size=140), JSON),
       data=st.one_of(JSON, st.fixed_dictionaries({"userId": IDS, "deptId": IDS})))
def test_stream_parser_gives_changes_nothing_or_malformed(kind: str, event_id: Any, data: Any) -> None:
    try:
        out = contact_changes(kind, event_id, data, NOW)
    except Malformed:
        return
    for change in out:
        assert change.sender == "directory" and change.change in {c.value for c in Change}
        assert len(change.key) <= 160 and (change.userid or change.department)


@settings(max_examples=200, deadline=None)
@given(body=st.one_of(st.text(), JSON.map(json.dumps), st.fixed_dictionaries(
    {"EventType": KINDS, "TimeStamp": st.one_of(st.from_regex(r"[0-9]{1,13}", fullmatch=True), JSON),
     "UserId": IDS, "DeptId": IDS}).map(json.dumps)))
def test_http_parser_gives_changes_nothing_or_malformed(body: str) -> None:
    try:
        kind, out = parse_plaintext(body, NOW)
    except Malformed:
        return
    assert isinstance(kind, str)
    assert all(isinstance(c, ContactChange) for c in out)


def _frame(key: bytes, message: bytes, owner: bytes, pad: bytes) -> str:
    """An event frame as DingTalk builds it (WeCom's AES frame, the owner key in place of
    ReceiveId), with the padding given as is."""
    import base64

    from wechatpy.crypto.cryptography import WeChatCipher

    body = b"0123456789abcdef" + len(message).to_bytes(4, "big") + message + owner
    return base64.b64encode(WeChatCipher(key).encrypt(body + pad)).decode()


def test_a_frame_whose_padding_bytes_disagree_is_refused_though_the_sdk_would_open_it() -> None:
    """dingtalk-sdk reads only the last padding byte; the frame is checked whole first."""
    from bot.channels.dingtalk.events import EventCrypto

    crypto = EventCrypto("event-token", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", APP_KEY)
    key = crypto._sdk.key
    message = b'{"EventType":"check_url"}'
    size = 16 + 4 + len(message) + len(APP_KEY.encode())
    n = 32 - size % 32
    good = _frame(key, message, APP_KEY.encode(), bytes([n]) * n)
    assert crypto.decrypt(good) == message.decode()
    bad = _frame(key, message, APP_KEY.encode(), bytes([7]) * (n - 1) + bytes([n]))
    with pytest.raises(Malformed):
        crypto.decrypt(bad)
