"""Delivery that survives faults (issue 12, point 9, and the sending half of point 6).

Proves, over HTTP against the fake WeCom and DingTalk servers on 127.0.0.1 (which keep the
platforms' rules: a repeated task_id refused with 42014, a single-use response code, WeCom's
duplicate check, DingTalk's ``param.cardAlreadyExist``):
- a crash between the platform's acceptance and our commit — the call returns, the worker is
  killed before it records the result, a *new* process reclaims the row after its lease — loses
  nothing and shows nothing twice, for texts (in order per recipient), cards and card updates;
  a card delivered that way is not dead-lettered, raises no false alert, and its later update
  still shows the outcome;
- a token refused for a whole minute even after renewal (WeCom 42001, DingTalk 401) loses
  nothing: every message is delivered once the window ends, none dead-lettered;
- the attempt count is right, a row dead-lettered at once included;
- a dead-letter notice outlives a token outage longer than ``outbox_max_attempts`` allows an
  ordinary message, and goes through another channel when one refuses it for good;
- the error classification is the documented one (flow control waits without counting);
- a ``sessionWebhook`` or a file download URL off the configured DingTalk hosts is never called.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import pytest

from bot.cards import Button, Card, Message, Text
from bot.channels.base import (
    Channel,
    ConfigurationError,
    DeliveryError,
    PermanentDeliveryError,
    Throttled,
)
from bot.channels.dingtalk.channel import DingTalkChannel
from bot.channels.dingtalk.client import DingTalkClient, DingTalkMisconfigured, DingTalkRefused
from bot.channels.wecom.channel import WeComChannel
from bot.channels.wecom.client import WeComClient, WeComMisconfigured, WeComRefused
from bot.outbox import BACKOFF_CAP, LEASE, Outbox
from models import Department, OutboxMessage, OutboxStatus, Person
from tests.bot.channels.dingtalk.test_flow import TEMPLATE, DingWorld, ding  # noqa: F401
from tests.bot.channels.wecom.test_flow import DRAFT, WeComWorld, submitted, wecom  # noqa: F401
from tests.conftest import World
from tests.fake_dingtalk import FakeDingTalk
from tests.fakes import RecordingChannel
from tests.wecom_callbacks import AGENT_ID, CORP_ID, SECRET


class Crash:
    """A channel that dies with the process: once the platform has accepted a call ``when``
    picks, the call never returns, and the test kills the worker (as kill -9 would) before it
    can record anything."""

    def __init__(self, inner: Channel, when: Callable[[str, Message], bool]) -> None:
        self.inner, self.when, self.name = inner, when, inner.name
        self.accepted = asyncio.Event()

    def person_address(self, person: Person) -> str | None:
        return self.inner.person_address(person)

    def group_address(self, department: Department) -> str | None:
        return self.inner.group_address(department)

    async def send(self, address: str, message: Message, *, key: str,
                   maybe_sent: bool = False) -> dict[str, Any]:
        ref = await self.inner.send(address, message, key=key, maybe_sent=maybe_sent)
        await self._die_if("send", message)
        return ref

    async def update_card(self, address: str, ref: dict[str, Any], card: Card, *,
                          maybe_sent: bool = False) -> None:
        await self.inner.update_card(address, ref, card, maybe_sent=maybe_sent)
        await self._die_if("update", card)

    async def _die_if(self, what: str, message: Message) -> None:
        if self.when(what, message):
            self.accepted.set()
            await asyncio.Event().wait()  # the process is gone: nothing after this runs


async def crash_during_drain(outbox: Outbox, crash: Crash, now: datetime) -> None:
    outbox.channels[crash.name] = crash
    task = asyncio.create_task(outbox.drain(now))
    await asyncio.wait_for(crash.accepted.wait(), timeout=10)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def card_to(prefix: str) -> Callable[[str, Message], bool]:
    return lambda what, m: what == "send" and isinstance(m, Card) and m.card_id.startswith(prefix)


async def no_false_alerts(texts_to: Callable[[str], list[str]]) -> None:
    assert not await OutboxMessage.filter(status=OutboxStatus.DEAD).exists()
    for admin in ("wangwu", "zhaoliu"):
        assert not any("投递失败" in t for t in texts_to(admin)), admin


# -- WeCom -------------------------------------------------------------------------------------

@pytest.fixture
async def wecom_restart(wecom: WeComWorld) -> AsyncIterator[Callable[[], Outbox]]:  # noqa: F811
    """``restart()``: a new process on the same database — a new WeCom channel and client (no
    token, nothing in memory) behind a new outbox, which the app's outbox also uses from then."""
    clients: list[WeComClient] = []

    def restart() -> Outbox:
        client = WeComClient(base=wecom.fake.base_url, corp_id=CORP_ID, secret=SECRET, timeout=1.0,
                             clock=wecom.pace)
        clients.append(client)
        channel = WeComChannel(client, AGENT_ID, clock=wecom.pace)
        wecom.bot.outbox.channels = {channel.name: channel}
        return Outbox([channel], clock=wecom.clock)

    yield restart
    for client in clients:
        await client.close()


async def post_tap(w: WeComWorld, user: str, card: dict[str, Any], label: str) -> None:
    """A tap processed and committed, its messages not yet delivered."""
    key = next(b["key"] for b in card["button_list"] if b["text"] == label)
    code = w.fake.issue_tap_code(card["task_id"])
    assert await w.sender.post(w.client, w.sender.tap(user, card["task_id"], key, code)) == 200
    await w.bot.tasks.join()


async def test_texts_accepted_before_a_crash_are_shown_once_and_in_order(
    wecom: WeComWorld, wecom_restart: Callable[[], Outbox],  # noqa: F811
) -> None:
    w = wecom
    person = await Person.get(code="wujiu")
    for i in range(3):
        await w.bot.outbox.send(person, Text(f"第{i}条通知"), key=f"n{i}", now=w.clock.now)
    crash = Crash(w.bot.outbox.channels["wecom"], lambda what, m: m == Text("第0条通知"))
    await crash_during_drain(w.bot.outbox, crash, w.clock.now)
    assert w.texts_to("wujiu") == ["第0条通知"]  # WeCom has it; we never recorded it
    assert (await OutboxMessage.get(key="n0")).status == OutboxStatus.SENDING

    w.clock.advance(seconds=LEASE.total_seconds() + 1)
    await wecom_restart().drain(w.clock.now)
    assert w.texts_to("wujiu") == ["第0条通知", "第1条通知", "第2条通知"]
    assert [d["text"]["content"] for d in w.fake.duplicates] == ["第0条通知"]  # WeCom dropped it
    rows = await OutboxMessage.filter(key__in=["n0", "n1", "n2"]).order_by("id")
    assert [(r.status, r.attempts) for r in rows] == [(OutboxStatus.SENT, 2), (OutboxStatus.SENT, 1),
                                                      (OutboxStatus.SENT, 1)]


async def test_card_accepted_before_a_crash_is_delivered_once_and_its_update_is_visible(
    wecom: WeComWorld, wecom_restart: Callable[[], Outbox],  # noqa: F811
) -> None:
    w = wecom
    await w.say("zhangsan", DRAFT)
    await post_tap(w, "zhangsan", w.card("zhangsan", "pv-"), "提交审核")
    crash = Crash(w.bot.outbox.channels["wecom"], card_to("ap-"))
    await crash_during_drain(w.bot.outbox, crash, w.clock.now)
    assert len(w.cards_to("lisi")) == 1

    w.clock.advance(seconds=LEASE.total_seconds() + 1)
    await wecom_restart().drain(w.clock.now)  # a fresh process: the resend answers 42014
    row = await OutboxMessage.get(kind="card", person__code="lisi")
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)
    assert row.ref is not None and row.ref["response_code"] == ""
    assert len(w.cards_to("lisi")) == 1
    await no_false_alerts(w.texts_to)

    await w.tap("lisi", w.card("lisi", "ap-"), "通过")
    update = await OutboxMessage.get(kind="card_update", person__code="lisi")
    assert update.status == OutboxStatus.SENT
    assert update.ref == {"updated": 0, "resent": 1}  # a call was made: the outcome as a message
    assert any("已通过 · 李四" in t for t in w.texts_to("lisi"))


async def test_card_update_accepted_before_a_crash_is_not_repeated(
    wecom: WeComWorld, wecom_restart: Callable[[], Outbox],  # noqa: F811
) -> None:
    w = wecom
    await submitted(w)
    await post_tap(w, "lisi", w.card("lisi", "ap-"), "通过")
    crash = Crash(w.bot.outbox.channels["wecom"],
                  lambda what, m: what == "update" and isinstance(m, Card) and m.card_id.startswith("ap-"))
    await crash_during_drain(w.bot.outbox, crash, w.clock.now)
    lisi_updates = [u for u in w.fake.updates if u["userids"] == ["lisi"]]
    assert len(lisi_updates) == 1  # the card is greyed; we never recorded it

    w.clock.advance(seconds=LEASE.total_seconds() + 1)
    await wecom_restart().drain(w.clock.now)  # the response code is spent: by us
    update = await OutboxMessage.get(kind="card_update", person__code="lisi")
    assert (update.status, update.attempts) == (OutboxStatus.SENT, 2)
    assert update.ref == {"updated": 1, "resent": 0}
    assert [u for u in w.fake.updates if u["userids"] == ["lisi"]] == lisi_updates
    assert not any("已通过 · 李四" in t for t in w.texts_to("lisi"))  # no second showing
    zhangsan = w.texts_to("zhangsan")
    assert len(zhangsan) == len(set(zhangsan))  # whatever the crash cut short was not doubled
    assert any("已由 李四 审核通过" in t for t in zhangsan)
    await no_false_alerts(w.texts_to)


async def step(w: WeComWorld | DingWorld, seconds: float) -> None:
    w.pace.advance(seconds)
    w.clock.advance(seconds=seconds)
    await w.bot.outbox.drain(w.clock.now)


async def test_a_minute_of_42001_loses_nothing(wecom: WeComWorld) -> None:  # noqa: F811
    w = wecom
    codes = ("zhangsan", "lisi", "chenqi", "zhouba", "wujiu")
    people = {p.code: p for p in await Person.filter(code__in=codes)}
    w.fake.token_outage_until = w.pace() + 60  # every token refused for a minute, fresh ones too
    for code in codes:
        await w.bot.outbox.send(people[code], Text(f"{code} 先"), key=f"{code}-1", now=w.clock.now)
        await w.bot.outbox.send(people[code], Card(card_id=f"pv-{code}", title="稿件预览", buttons=(
            Button("提交审核", f"sub:{code}"),)), key=f"{code}-2", now=w.clock.now)
        await w.bot.outbox.send(people[code], Text(f"{code} 后"), key=f"{code}-3", now=w.clock.now)
    await w.bot.outbox.drain(w.clock.now)
    for seconds in (2, 4, 8, 16, 32):  # the backoff steps; the last one ends the window
        assert not w.fake.sent
        await step(w, seconds)
    for code in codes:
        assert w.texts_to(code) == [f"{code} 先", f"{code} 后"]
        assert [c["template_card"]["main_title"]["title"] for c in w.cards_to(code)] == ["稿件预览"]
    rows = await OutboxMessage.all().order_by("id")
    assert all(r.status == OutboxStatus.SENT for r in rows)
    assert sorted(r.attempts for r in rows) == [1] * 10 + [6] * 5  # each lane's head tried 6 times
    assert not w.fake.duplicates


async def test_a_dead_letter_notice_outlives_a_token_outage(wecom: WeComWorld) -> None:  # noqa: F811
    w = wecom
    max_attempts = w.bot.outbox.max_attempts
    w.fake.token_outage_until = w.pace() + 1800  # half an hour of 42001
    await w.bot.outbox.send(await Person.get(code="wujiu"), Text("年审提醒"), key="r1", now=w.clock.now)
    await w.bot.outbox.drain(w.clock.now)
    for _ in range(35):
        await step(w, 60)
    dead = await OutboxMessage.get(key="r1")
    assert (dead.status, dead.attempts) == (OutboxStatus.DEAD, max_attempts)
    assert "42001" in (dead.last_error or "")
    notices = await OutboxMessage.filter(key__startswith="dead:")
    assert len(notices) == 2
    assert all(n.status == OutboxStatus.SENT and n.attempts > max_attempts for n in notices)
    for admin in ("wangwu", "zhaoliu"):
        assert sum("投递失败" in t for t in w.texts_to(admin)) == 1


async def test_a_refused_recipient_is_dead_with_its_attempt_counted(wecom: WeComWorld) -> None:  # noqa: F811
    w = wecom
    w.fake.unknown_users.add("wujiu")
    await w.bot.outbox.send(await Person.get(code="wujiu"), Text("通知"), key="x1", now=w.clock.now)
    await w.bot.outbox.drain(w.clock.now)
    row = await OutboxMessage.get(key="x1")
    assert (row.status, row.attempts) == (OutboxStatus.DEAD, 1)
    for admin in ("wangwu", "zhaoliu"):
        assert any("投递失败" in t for t in w.texts_to(admin))


# -- notices over several channels (recording channels) --------------------------------------

async def dead_row(world: World) -> None:
    person = await Person.get(code="zhangsan")
    await world.bot.outbox.send(person, Text("会议通知"), key="m1", now=world.clock.now)


async def test_a_notice_refused_on_one_channel_goes_through_another(world: World) -> None:
    backup = RecordingChannel(name="backup")
    world.bot.outbox.channels[backup.name] = backup
    world.channel.refuse_next = 3  # the message, then the two admins' notices
    await dead_row(world)
    await world.settle()
    assert (await OutboxMessage.get(key="m1")).attempts == 1
    for admin in ("wangwu", "zhaoliu"):
        assert world.texts(admin) == []
        assert any("投递失败" in t for t in backup.texts_to(admin))
    notices = await OutboxMessage.filter(key__startswith="dead:")
    assert [(n.status, n.channel, n.attempts) for n in notices] == [
        (OutboxStatus.SENT, "backup", 2)] * 2


async def test_a_notice_refused_for_our_configuration_waits_for_the_fix(world: World) -> None:
    world.channel.misconfigured = True  # a wrong secret: the message is dead at once, alerting
    await dead_row(world)
    await world.settle()
    assert (await OutboxMessage.get(key="m1")).status == OutboxStatus.DEAD
    notices = await OutboxMessage.filter(key__startswith="dead:")
    assert len(notices) == 2 and all(n.status == OutboxStatus.PENDING for n in notices)
    world.channel.misconfigured = False  # the admin fixes it
    world.clock.advance(seconds=BACKOFF_CAP)
    await world.settle()
    for admin in ("wangwu", "zhaoliu"):
        assert any("投递失败" in t for t in world.texts(admin))


async def test_a_notice_no_channel_can_ever_deliver_is_dead_not_looping(world: World) -> None:
    world.channel.refuse_next = 3
    await dead_row(world)
    await world.settle()
    notices = await OutboxMessage.filter(key__startswith="dead:")
    assert [n.status for n in notices] == [OutboxStatus.DEAD] * 2
    assert await OutboxMessage.filter(key__startswith="dead:dead:").count() == 0  # no notice of one


async def test_a_dead_original_still_gets_its_update_as_a_message(world: World) -> None:
    """A card that was dead-lettered never arrived; its update is not marked sent for nothing."""
    person = await Person.get(code="lisi")
    card = Card(card_id="ap-9-1", title="稿件待审", buttons=(Button("通过", "ap:9:1"),))
    await world.bot.outbox.send(person, card, key="c1", now=world.clock.now)
    world.channel.refuse_next = 1
    await world.settle()
    await world.bot.outbox.update_card(Card(card_id="ap-9-1", title="稿件待审", status="已通过"),
                                       key="u1", now=world.clock.now)
    await world.settle()
    update = await OutboxMessage.get(kind="card_update")
    assert update.status == OutboxStatus.SENT and update.ref == {"updated": 0, "resent": 1}
    assert [c.status for c in world.channel.cards_to("lisi")] == ["已通过"]


# -- error classification ----------------------------------------------------------------------

@pytest.mark.parametrize(("errcode", "kind"), [
    (42001, DeliveryError), (-1, DeliveryError), (45033, DeliveryError), (99999, DeliveryError),
    (45009, Throttled), (40001, WeComMisconfigured), (60020, WeComMisconfigured),
    (48002, WeComMisconfigured), (40003, WeComRefused), (81013, WeComRefused),
    (40058, WeComRefused), (44004, WeComRefused), (45002, WeComRefused), (42014, WeComRefused),
])
def test_wecom_errcodes_are_classified_as_documented(errcode: int, kind: type[Exception]) -> None:
    with pytest.raises(DeliveryError) as caught:
        WeComClient._check("message/send", {"errcode": errcode, "errmsg": "x"})
    assert type(caught.value) is kind or (kind is DeliveryError and not isinstance(
        caught.value, (PermanentDeliveryError, Throttled)))


@pytest.mark.parametrize(("status", "data", "kind", "wait"), [
    (403, {"code": "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"}, Throttled, 1.0),
    (403, {"code": "Forbidden.AccessDenied.QpsLimitForApi"}, Throttled, 1.0),
    (200, {"status": 1111, "wait": 5}, Throttled, 300.0),
    (400, {"code": "send.too.fast"}, Throttled, 60.0),
    (200, {"errcode": 90018}, Throttled, 1.0),
    (401, {"code": "InvalidAuthentication"}, DeliveryError, None),
    (500, {"code": "system.busy"}, DeliveryError, None),
    (400, {"code": "some.new.code"}, DeliveryError, None),
    (400, {"code": "invalidClientIdOrSecret"}, DingTalkMisconfigured, None),
    (403, {"code": "Forbidden.AccessDenied.AccessTokenPermissionDenied"}, DingTalkMisconfigured, None),
    (200, {"errcode": 310000}, DingTalkMisconfigured, None),
    (400, {"code": "param.openSpaceIdInvalid"}, DingTalkRefused, None),
    (400, {"code": "MissinguserIds"}, DingTalkRefused, None),
    (200, {"errcode": 430101}, DingTalkRefused, None),
])
def test_dingtalk_errors_are_classified_as_documented(
    status: int, data: dict[str, Any], kind: type[Exception], wait: float | None,
) -> None:
    with pytest.raises(DeliveryError) as caught:
        DingTalkClient._raise("x", status, data)
    error = caught.value
    if kind is DeliveryError:
        assert not isinstance(error, (PermanentDeliveryError, Throttled))
    else:
        assert isinstance(error, kind)
    if wait is not None:
        assert error.retry_after == wait
    if kind is DingTalkMisconfigured:
        assert isinstance(error, ConfigurationError)


# -- DingTalk ----------------------------------------------------------------------------------

def dingtalk_channel(w: DingWorld) -> DingTalkChannel:
    return DingTalkChannel(
        DingTalkClient(api_base=w.fake.base_url, oapi_base=w.fake.base_url, app_key=w.fake.app_key,
                       app_secret=w.fake.app_secret, timeout=1.0, clock=w.pace),
        robot_code=w.fake.app_key, template_id=TEMPLATE, stream=False, clock=w.pace,
        wall_ms=lambda: w.pace() * 1000)


async def test_dingtalk_card_accepted_before_a_crash_is_delivered_once_and_updated(
    ding: DingWorld,  # noqa: F811
) -> None:
    w = ding
    lisi = await Person.get(code="lisi")
    card = Card(card_id="ap-7-1", title="稿件待审", buttons=(Button("通过", "ap:7:1"),))
    await w.bot.outbox.send(lisi, card, key="card-1", now=w.clock.now)
    crash = Crash(w.bot.outbox.channels["dingtalk"], card_to("ap-"))
    await crash_during_drain(w.bot.outbox, crash, w.clock.now)
    assert len(w.fake.created) == 1

    channel = dingtalk_channel(w)
    try:
        w.bot.outbox.channels = {channel.name: channel}
        w.clock.advance(seconds=LEASE.total_seconds() + 1)
        await Outbox([channel], clock=w.clock).drain(w.clock.now)  # param.cardAlreadyExist
        row = await OutboxMessage.get(key="card-1")
        assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)
        assert len(w.fake.created) == 1
        await no_false_alerts(lambda user: w.texts_to(f"dt-{user}"))
        await w.bot.outbox.update_card(Card(card_id="ap-7-1", title="稿件待审", status="已通过 · 李四"),
                                       key="close-1", now=w.clock.now)
        await w.settle()
        track = w.fake.created[0]["outTrackId"]
        assert w.fake.cards[track]["cardParamMap"]["status"] == "已通过 · 李四"
        assert w.fake.cards[track]["cardParamMap"]["btn_count"] == "0"
    finally:
        await channel.client.close()


async def test_dingtalk_token_refused_for_a_minute_loses_nothing(ding: DingWorld) -> None:  # noqa: F811
    w = ding
    lisi, wujiu = await Person.get(code="lisi"), await Person.get(code="wujiu")
    w.fake.token_outage_until = w.pace() + 60
    card = Card(card_id="ap-8-1", title="稿件待审", buttons=(Button("通过", "ap:8:1"),))
    await w.bot.outbox.send(lisi, card, key="c", now=w.clock.now)
    await w.bot.outbox.send(lisi, Text("请审核"), key="t1", now=w.clock.now)
    await w.bot.outbox.send(wujiu, Text("提醒"), key="t2", now=w.clock.now)
    await w.bot.outbox.drain(w.clock.now)
    for seconds in (2, 4, 8, 16, 32):
        assert not w.fake.created and not w.fake.one_to_one
        await step(w, seconds)
    assert len(w.fake.created) == 1
    assert w.texts_to("dt-lisi") == ["请审核"] and w.texts_to("dt-wujiu") == ["提醒"]
    rows = {r.key: r for r in await OutboxMessage.all()}
    assert all(r.status == OutboxStatus.SENT for r in rows.values())
    assert (rows["c"].attempts, rows["t1"].attempts, rows["t2"].attempts) == (6, 1, 6)


async def test_dingtalk_flow_control_waits_without_counting_attempts(ding: DingWorld) -> None:  # noqa: F811
    w = ding
    w.fake.fail("robot/oToMessages/batchSend", (400, "send.too.fast"))
    w.fake.fail("robot/oToMessages/batchSend", (403, "Forbidden.AccessDenied.QpsLimitForApi"))
    await w.bot.outbox.send(await Person.get(code="wujiu"), Text("提醒"), key="t", now=w.clock.now)
    await w.bot.outbox.drain(w.clock.now)
    await step(w, 59)
    assert not w.fake.one_to_one
    await step(w, 1)  # send.too.fast: a minute
    await step(w, 1)  # the QPS limit: a second
    assert w.texts_to("dt-wujiu") == ["提醒"]
    row = await OutboxMessage.get(key="t")
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 1)


async def test_a_session_webhook_off_the_dingtalk_host_is_never_called(ding: DingWorld) -> None:  # noqa: F811
    w = ding
    async with FakeDingTalk(clock=w.pace) as elsewhere:
        foreign, _ = elsewhere.new_session_webhook("dt-zhangsan")
        token, _ = w.fake.new_robot()
        wrong_path = f"{w.fake.base_url}/robot/send?access_token={token}"
        for url in (foreign, wrong_path):
            body = {**w.fake.robot_message("dt-zhangsan", "帮助"), "sessionWebhook": url}
            resp = await w.client.post("/dingtalk/robot", json=body,
                                       headers=w.fake.robot_callback_headers())
            assert resp.status == 200
            await w.settle()
        assert elsewhere.calls["robot/sendBySession"] == 0 and sum(elsewhere.calls.values()) == 0
        assert w.fake.robot_messages == {} and w.fake.session_messages == []
        answers = [m for m in w.fake.one_to_one if m["userId"] == "dt-zhangsan"]
        assert len(answers) == 2  # answered through the robot's own 1:1 send


async def test_a_download_url_off_the_dingtalk_hosts_is_never_fetched(ding: DingWorld) -> None:  # noqa: F811
    w = ding
    async with FakeDingTalk(clock=w.pace) as elsewhere:
        w.fake.files["DC-photo"] = (b"\x89PNG photo", "image/png", "photo.png")
        w.fake.download_base = elsewhere.base_url  # same host, another port: another origin
        channel = w.bot.channels["dingtalk"]
        assert isinstance(channel, DingTalkChannel)
        with pytest.raises(DingTalkRefused, match="downloadUrl"):
            await channel.client.download("DC-photo", w.fake.app_key)
        assert sum(elsewhere.calls.values()) == 0
        w.fake.download_base = None
        data, mime = await channel.client.download("DC-photo", w.fake.app_key)
        assert (data, mime) == (b"\x89PNG photo", "image/png")


def test_file_hosts_allow_list() -> None:
    client = DingTalkClient(api_base="https://api.dingtalk.com", app_key="k", app_secret="s")
    allowed = ["https://down.dingtalk.com/ddmedia/x.png?Expires=1",
               "https://ali-ding.oss-cn-zhangjiakou.aliyuncs.com/x?Signature=y",
               "https://api.dingtalk.com/files/x"]
    refused = ["http://down.dingtalk.com/x", "https://dingtalk.com.evil.example/x",
               "https://169.254.169.254/latest/meta-data", "https://down.dingtalk.com:8443/x",
               "file:///etc/passwd", "https://evil.example/?u=https://down.dingtalk.com", ""]
    assert [client.is_file_url(u) for u in allowed] == [True] * len(allowed)
    assert [client.is_file_url(u) for u in refused] == [False] * len(refused)
    assert client.is_session_webhook("https://oapi.dingtalk.com/robot/sendBySession?session=abc")
    assert not client.is_session_webhook("https://oapi.dingtalk.com.evil.example/robot/sendBySession")
    assert not client.is_session_webhook("http://oapi.dingtalk.com/robot/sendBySession?session=abc")


async def test_dingtalk_group_robot_message_accepted_before_a_crash_is_shown_once(
    ding: DingWorld,  # noqa: F811
) -> None:
    w = ding
    token, secret = w.fake.new_robot()
    await Department.filter(code="publicity").update(groups={
        "dingtalk_webhook": f"{w.fake.base_url}/robot/send?access_token={token}",
        "dingtalk_secret": secret})
    dept = await Department.get(code="publicity")
    for i in range(2):
        await w.bot.outbox.send(dept, Text(f"年审提醒 {i}"), key=f"g{i}", now=w.clock.now)
    crash = Crash(w.bot.outbox.channels["dingtalk"], lambda what, m: m == Text("年审提醒 0"))
    await crash_during_drain(w.bot.outbox, crash, w.clock.now)
    channel = dingtalk_channel(w)
    try:
        w.clock.advance(seconds=LEASE.total_seconds() + 1)
        await Outbox([channel], clock=w.clock).drain(w.clock.now)  # the same msgUuid: taken once
    finally:
        await channel.client.close()
    assert [m["text"]["content"] for m in w.fake.robot_messages[token]] == ["年审提醒 0", "年审提醒 1"]
    rows = await OutboxMessage.filter(group="publicity").order_by("id")
    assert [(r.status, r.attempts) for r in rows] == [(OutboxStatus.SENT, 2), (OutboxStatus.SENT, 1)]
