"""The whole post flow through DingTalk in HTTP mode: really signed callbacks into the aiohttp
app, outbound calls to a fake DingTalk API on 127.0.0.1, injected faults, and an organisation
that mixes DingTalk and WeCom."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from openpyxl import load_workbook

from bot.app import BOT, Bot, create_app
from bot.cards import Document, Text
from bot.channels.base import PermanentDeliveryError
from bot.channels.dingtalk.channel import DingTalkChannel
from bot.channels.dingtalk.client import DingTalkClient
from bot.org import import_file
from models import Decision, Department, Draft, DraftStatus, InboundEvent, OutboxMessage, OutboxStatus, Person
from tests.conftest import DEMO_ORG, make_settings
from tests.fake_dingtalk import FakeDingTalk
from tests.fake_wecom import ManualClock
from tests.fakes import FakeClock

DRAFT = "投稿 @某某发布 1 冬季供暖服务指南\n今年供暖季自11月15日开始。"
TEMPLATE = "xmt-approval.schema"


def dingtalk_settings(fake: FakeDingTalk, **kw: Any) -> dict[str, Any]:
    return {"dingtalk_client_id": fake.app_key, "dingtalk_client_secret": fake.app_secret,
            "dingtalk_robot_code": fake.app_key, "dingtalk_card_template_id": TEMPLATE,
            "dingtalk_mode": "http", "dingtalk_api_base": fake.base_url,
            "dingtalk_oapi_base": fake.base_url, "simulator": False, **kw}


@dataclass
class DingWorld:
    client: TestClient  # type: ignore[type-arg]
    fake: FakeDingTalk
    clock: FakeClock
    pace: ManualClock

    @property
    def bot(self) -> Bot:
        return self.client.app[BOT]

    async def settle(self) -> None:
        await self.bot.tasks.join()
        await self.bot.outbox.drain(self.clock.now)

    async def say(self, user: str, text: str, msg_id: str | None = None) -> int:
        body = self.fake.robot_message(user, text, msg_id=msg_id)
        resp = await self.client.post("/dingtalk/robot", json=body,
                                      headers=self.fake.robot_callback_headers())
        await self.settle()
        return resp.status

    def texts_to(self, user: str) -> list[str]:
        out = [m.get("text", {}).get("content", "") or m.get("markdown", {}).get("text", "")
               for m in self.fake.session_messages if m["userId"] == user]
        out += [m["msgParam"].get("content") or m["msgParam"].get("text", "")
                for m in self.fake.one_to_one if m["userId"] == user]
        return out

    def card(self, user: str, prefix: str) -> tuple[str, dict[str, str]]:
        tracks = [b["outTrackId"] for b in self.fake.created
                  if b["openSpaceId"] == f"dtv1.card//IM_ROBOT.{user}" and b["outTrackId"].startswith(prefix)]
        assert tracks, f"no {prefix} card to {user}"
        return tracks[-1], self.fake.cards[tracks[-1]]["cardParamMap"]

    async def tap(self, user: str, track: str, label: str) -> int:
        params = self.fake.cards[track]["cardParamMap"]
        n = next(i for i in range(1, 5) if params[f"btn{i}_text"] == label)
        body = self.fake.tap_payload(track, user, {"payload": params[f"btn{n}_payload"]})
        resp = await self.client.post("/dingtalk/card", json=body,
                                      headers=self.fake.card_callback_headers(self.fake.app_secret))
        assert resp.status != 200 or await resp.json() == {}
        await self.settle()
        return resp.status


async def _ids(mapping: dict[str, tuple[str | None, str | None]]) -> None:
    for code, (dingtalk, wecom) in mapping.items():
        await Person.filter(code=code).update(dingtalk_userid=dingtalk, wecom_userid=wecom)


@pytest.fixture
async def ding(db: str, aiohttp_client: Any) -> AsyncIterator[DingWorld]:
    pace = ManualClock()
    fake = FakeDingTalk(clock=pace)
    base = await fake.start()
    clock = FakeClock(datetime.fromtimestamp(pace(), UTC))
    channel = DingTalkChannel(
        DingTalkClient(api_base=base, oapi_base=base, app_key=fake.app_key, app_secret=fake.app_secret,
                       timeout=1.0, clock=pace),
        robot_code=fake.app_key, template_id=TEMPLATE, stream=False, clock=pace,
        wall_ms=lambda: pace() * 1000)
    app = create_app(make_settings(**dingtalk_settings(fake)), channels=[channel], manage_database=False,
                     run_scheduler=False, run_worker=False, clock=clock)
    client = await aiohttp_client(app)
    await import_file(DEMO_ORG, now=clock.now)
    await _ids({p: (f"dt-{p}", None) for p in
                ("zhangsan", "chenqi", "lisi", "wangwu", "zhaoliu", "zhouba", "wujiu")})
    yield DingWorld(client, fake, clock, pace)
    await channel.client.close()
    await fake.stop()


async def submitted(w: DingWorld) -> Draft:
    assert await w.say("dt-zhangsan", DRAFT) == 200
    track, _ = w.card("dt-zhangsan", "pv-")
    await w.tap("dt-zhangsan", track, "提交审核")
    return await Draft.get()


async def test_full_flow_in_http_mode(ding: DingWorld) -> None:
    w = ding
    assert await w.say("dt-zhangsan", DRAFT) == 200
    track, params = w.card("dt-zhangsan", "pv-")
    assert params["title"] == "稿件预览 D1" and params["btn_count"] == "2"
    assert any("已创建稿件 D1" in t for t in w.texts_to("dt-zhangsan"))  # via the session webhook
    assert await w.tap("dt-zhangsan", track, "提交审核") == 200
    assert w.fake.cards[track]["cardParamMap"]["status"].startswith("已提交审核")
    approval, params = w.card("dt-lisi", "ap-")
    assert (params["btn1_text"], params["btn2_text"]) == ("通过", "驳回")
    await w.tap("dt-lisi", approval, "通过")
    assert (await Draft.get()).status == DraftStatus.APPROVED
    closed = w.fake.cards[approval]["cardParamMap"]
    assert closed["status"].startswith("已通过 · 李四") and closed["btn_count"] == "0"
    assert any("已由 李四 审核通过" in t for t in w.texts_to("dt-zhangsan"))
    assert w.fake.tokens_issued == 1


async def test_duplicates_have_one_effect(ding: DingWorld) -> None:
    w = ding
    body = w.fake.robot_message("dt-zhangsan", DRAFT, msg_id="msg-dup==")
    for _ in range(3):
        resp = await w.client.post("/dingtalk/robot", json=body, headers=w.fake.robot_callback_headers())
        assert resp.status == 200
    await w.settle()
    assert await Draft.all().count() == 1
    draft = await submitted_again(w)
    track, params = w.card("dt-lisi", "ap-")
    tap = w.fake.tap_payload(track, "dt-lisi", {"payload": params["btn1_payload"]})
    for _ in range(3):
        await w.client.post("/dingtalk/card", json=tap,
                            headers=w.fake.card_callback_headers(w.fake.app_secret))
    await w.settle()
    assert await Decision.filter(draft_id=draft.id).count() == 1
    assert sum("无需重复操作" in t for t in w.texts_to("dt-lisi")) == 0  # repeats were dropped


async def submitted_again(w: DingWorld) -> Draft:
    track, _ = w.card("dt-zhangsan", "pv-")
    await w.tap("dt-zhangsan", track, "提交审核")
    return await Draft.get()


async def test_refusals_change_nothing_and_server_stays_healthy(ding: DingWorld) -> None:
    w = ding
    body = w.fake.robot_message("dt-zhangsan", DRAFT)
    good = w.fake.robot_callback_headers()
    cases = [
        ({}, body, 403),  # unsigned
        ({**good, "sign": good["sign"][:-4] + "AAA="}, body, 403),  # forged
        (w.fake.robot_callback_headers(int((w.pace() - 3601) * 1000)), body, 403),  # stale
        (good, b"{not json", 400),
        (good, {"hello": "world"}, 400),
        (good, b"{" + b" " * (1024 * 1024) + b"}", 413),
    ]
    for headers, payload, status in cases:
        kw = {"json": payload} if isinstance(payload, dict) else {"data": payload}
        resp = await w.client.post("/dingtalk/robot", headers=headers, **kw)
        assert resp.status == status, (headers, status)
    tap = w.fake.tap_payload("pv-1-x", "dt-zhangsan", {"payload": "sub:1:1"})
    assert (await w.client.post("/dingtalk/card", json=tap)).status == 403
    wrong = w.fake.card_callback_headers("not-the-secret")
    assert (await w.client.post("/dingtalk/card", json=tap, headers=wrong)).status == 403
    right = w.fake.card_callback_headers(w.fake.app_secret)
    assert (await w.client.post("/dingtalk/card", data=b"[]", headers=right)).status == 400
    assert (await w.client.get("/healthz")).status == 200
    await w.settle()
    assert await InboundEvent.all().count() == 0 and await Draft.all().count() == 0


async def test_non_head_and_author_taps_are_refused(ding: DingWorld) -> None:
    w = ding
    draft = await submitted(w)
    track, _ = w.card("dt-lisi", "ap-")
    await w.tap("dt-zhangsan", track, "通过")
    await w.tap("dt-chenqi", track, "通过")
    await draft.refresh_from_db()
    assert draft.status == DraftStatus.PENDING and await Decision.all().count() == 0
    assert w.fake.cards[track]["cardParamMap"]["btn_count"] == "2"
    assert any("不能审核自己提交的稿件" in t for t in w.texts_to("dt-zhangsan"))


async def test_token_expiry_busy_and_throttle_deliver_once_after_recovery(ding: DingWorld) -> None:
    w = ding
    await w.say("dt-zhangsan", DRAFT)
    track, _ = w.card("dt-zhangsan", "pv-")
    w.fake.expire_tokens()
    w.fake.fail("card/instances/createAndDeliver", "busy")
    w.fake.fail("card/instances/createAndDeliver", "qps")
    await w.tap("dt-zhangsan", track, "提交审核")
    assert w.fake.calls["card/instances/createAndDeliver"] >= 2
    for seconds in (1, 2, 4):
        w.clock.advance(seconds=seconds)
        await w.settle()
    approvals = [b for b in w.fake.created if b["outTrackId"].startswith("ap-")]
    assert len(approvals) == 1
    assert w.fake.tokens_issued == 2
    assert all(r.status == OutboxStatus.SENT for r in await OutboxMessage.all())


async def test_expired_session_webhook_falls_back_to_the_robot(ding: DingWorld) -> None:
    w = ding
    await w.say("dt-zhangsan", "帮助")
    assert len(w.fake.session_messages) == 1 and not w.fake.one_to_one
    w.pace.advance(2 * 3600)
    w.clock.advance(hours=2)
    person = await Person.get(code="zhangsan")
    await w.bot.outbox.send(person, Text("稍后的通知"), key="later", now=w.clock.now)
    await w.settle()
    assert [m["msgParam"]["content"] for m in w.fake.one_to_one] == ["稍后的通知"]
    w.fake.flow_control("dt-zhangsan", times=1)
    await w.bot.outbox.send(person, Text("限流后的通知"), key="later2", now=w.clock.now)
    await w.settle()
    assert len(w.fake.one_to_one) == 1
    w.clock.advance(seconds=61)
    await w.settle()
    assert [m["msgParam"]["content"] for m in w.fake.one_to_one] == ["稍后的通知", "限流后的通知"]


async def test_group_robot_signed_and_paced(ding: DingWorld) -> None:
    w = ding
    token, secret = w.fake.new_robot()
    await Department.filter(code="publicity").update(groups={
        "dingtalk_webhook": f"{w.fake.base_url}/robot/send?access_token={token}",
        "dingtalk_secret": secret})
    dept = await Department.get(code="publicity")
    for i in range(23):
        await w.bot.outbox.send(dept, Text(f"提醒 {i}", mentions=("zhangsan",)), key=f"g{i}",
                                now=w.clock.now)
    await w.settle()
    sent = w.fake.robot_messages[token]
    assert len(sent) == 20 and sent[0]["at"]["atUserIds"] == ["dt-zhangsan"]
    w.pace.advance(61)
    w.clock.advance(seconds=61)
    await w.settle()
    assert [m["text"]["content"].split("\n")[0] for m in w.fake.robot_messages[token]] == [
        f"提醒 {i}" for i in range(23)]
    assert w.fake.robot_blocked_until(token) is None  # we never tripped DingTalk's 10-minute block
    rows = await OutboxMessage.filter(group="publicity")
    assert all(r.status == OutboxStatus.SENT for r in rows)
    assert all(secret not in json.dumps(r.ref or {}) for r in rows)


def test_cli_registers_the_card_callback(tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    from bot.cli import main

    fake = FakeDingTalk()
    loop = asyncio.new_event_loop()
    base = loop.run_until_complete(fake.start())
    try:
        monkeypatch.chdir(tmp_path)
        for name, value in dingtalk_settings(fake).items():
            if name != "simulator":
                monkeypatch.setenv(f"XMT_{name.upper()}", str(value))
        import threading

        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        try:
            assert main(["dingtalk", "register-card-callback", "https://bot.example.org/dingtalk/card"]) == 0
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(5)
        assert "xmt-card" in capsys.readouterr().out
        assert fake.callbacks["xmt-card"] == {"callbackUrl": "https://bot.example.org/dingtalk/card",
                                              "apiSecret": fake.app_secret}
        assert base.startswith("http://127.0.0.1")
    finally:
        loop.run_until_complete(fake.stop())
        loop.close()


async def test_robot_throttle_answer_waits_ten_minutes_not_dead(ding: DingWorld) -> None:
    w = ding
    token, secret = w.fake.new_robot()
    await Department.filter(code="publicity").update(groups={
        "dingtalk_webhook": f"{w.fake.base_url}/robot/send?access_token={token}",
        "dingtalk_secret": secret})
    w.fake.fail("robot/send", 410100)
    await w.bot.outbox.send(await Department.get(code="publicity"), Text("年审提醒"), key="r1",
                            now=w.clock.now)
    await w.settle()
    w.clock.advance(minutes=9)
    await w.settle()
    assert w.fake.robot_messages.get(token, []) == []
    w.clock.advance(minutes=2)
    await w.settle()
    assert [m["text"]["content"] for m in w.fake.robot_messages[token]] == ["年审提醒"]
    row = await OutboxMessage.get(key="r1")
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 1)  # the throttle was not an attempt


async def test_picture_and_rich_text_pictures_are_downloaded_and_attached(ding: DingWorld) -> None:
    from models import Attachment

    w = ding
    w.fake.files["DC-photo"] = (b"\x89PNG photo", "image/png", "photo.png")
    w.fake.files["DC-rich"] = (b"\xff\xd8 jpeg", "image/jpeg", "rich.jpg")
    await w.say("dt-zhangsan", DRAFT)
    picture = {**w.fake.robot_message("dt-zhangsan", ""), "msgtype": "picture",
               "content": {"downloadCode": "DC-photo"}}
    rich = {**w.fake.robot_message("dt-zhangsan", ""), "msgtype": "richText",
            "content": {"richText": [{"downloadCode": "DC-rich", "type": "picture"}]}}
    for body in (picture, rich):
        resp = await w.client.post("/dingtalk/robot", json=body, headers=w.fake.robot_callback_headers())
        assert resp.status == 200
    await w.settle()
    stored = await Attachment.all().order_by("id")
    assert [(a.data, a.mime) for a in stored] == [(b"\x89PNG photo", "image/png"),
                                                  (b"\xff\xd8 jpeg", "image/jpeg")]


async def test_an_export_arrives_as_a_file_after_a_refused_upload_token(ding: DingWorld) -> None:
    """导出台账 on DingTalk: the .xlsx is uploaded (oapi media/upload) and sent by the robot as a
    sampleFile message; an expired token on the upload is renewed once, nothing is lost."""
    w = ding
    await w.say("dt-wangwu", "帮助")  # a token is issued and cached
    w.fake.expire_tokens()
    assert await w.say("dt-wangwu", "导出台账") == 200
    files = [m for m in w.fake.one_to_one if m["userId"] == "dt-wangwu" and m["msgKey"] == "sampleFile"]
    assert len(files) == 1
    param = files[0]["msgParam"]
    assert param["fileName"].endswith(".xlsx") and param["fileType"] == "xlsx"
    data, name, kind = w.fake.media[param["mediaId"]]
    assert (name, kind) == (param["fileName"], "file")
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0][1] == "名称" and rows[1][1] == "某某发布"
    assert await OutboxMessage.filter(status=OutboxStatus.DEAD).count() == 0


async def test_a_file_upload_that_fails_is_retried_and_a_file_for_a_custom_robot_is_refused(
    ding: DingWorld,
) -> None:
    w = ding
    w.fake.fail("media/upload", -1)  # system busy: backoff, then delivered
    assert await w.say("dt-wangwu", "导出台账") == 200
    w.clock.advance(minutes=5)
    await w.bot.outbox.drain(w.clock.now)
    assert [m["msgKey"] for m in w.fake.one_to_one if m["userId"] == "dt-wangwu"].count("sampleFile") == 1
    assert w.fake.calls["media/upload"] == 2

    token, secret = w.fake.new_robot()
    await Department.filter(code="publicity").update(groups={
        "dingtalk_webhook": f"{w.fake.base_url}/robot/send?access_token={token}",
        "dingtalk_secret": secret})
    channel = w.bot.channels["dingtalk"]
    address = channel.group_address(await Department.get(code="publicity"))
    assert address is not None
    with pytest.raises(PermanentDeliveryError, match="custom group robot cannot send files"):
        await channel.send(address, Document("台账.xlsx", b"x"), key="k")
    assert w.fake.calls["media/upload"] == 2  # nothing uploaded for it


async def test_walk_through_the_shipped_template(ding: DingWorld) -> None:
    """Issue 14 (DingTalk set-up): the cards as the template built from card_template.json shows
    them. Every copy binds only declared variables; only the live buttons can be tapped, and a tap
    reaches the bot as the template's callback parameter; a decided card keeps its fields and body
    and shows no buttons."""
    w = ding
    assert await w.say("dt-zhangsan", DRAFT) == 200
    preview, _ = w.card("dt-zhangsan", "pv-")
    seen = w.fake.shown(preview, "dt-zhangsan")
    assert seen["ignored"] == [] and [b["text"] for b in seen["buttons"]] == ["提交审核", "取消"]
    resp = await w.client.post("/dingtalk/card", json=w.fake.tap(preview, "dt-zhangsan", "提交审核"),
                               headers=w.fake.card_callback_headers(w.fake.app_secret))
    assert resp.status == 200
    await w.settle()
    assert w.fake.shown(preview, "dt-zhangsan")["buttons"] == []
    approval, _ = w.card("dt-lisi", "ap-")
    live = w.fake.shown(approval, "dt-lisi")
    assert [(b["text"], b["style"]) for b in live["buttons"]] == [("通过", "primary"), ("驳回", "danger")]
    resp = await w.client.post("/dingtalk/card", json=w.fake.tap(approval, "dt-lisi", "通过"),
                               headers=w.fake.card_callback_headers(w.fake.app_secret))
    assert resp.status == 200
    await w.settle()
    assert (await Draft.get()).status == DraftStatus.APPROVED
    decided = w.fake.shown(approval, "dt-lisi")
    assert decided["buttons"] == [] and decided["ignored"] == []
    assert decided["variables"]["status"].startswith("已通过 · 李四")
    for kept in ("subtitle", "fields", "body"):
        assert decided["variables"][kept] == live["variables"][kept] != ""
    with pytest.raises(LookupError):
        w.fake.tap(approval, "dt-lisi", "驳回")
