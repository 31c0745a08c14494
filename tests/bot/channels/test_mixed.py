"""A mixed organisation: officers on DingTalk, heads on WeCom (and the other way round), in one
process, each person reached where they are."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import BOT, create_app
from bot.channels.dingtalk.channel import DingTalkChannel
from bot.channels.dingtalk.client import DingTalkClient
from bot.channels.wecom.channel import WeComChannel
from bot.channels.wecom.client import WeComClient
from bot.org import import_file
from models import Draft, DraftStatus, Person
from tests.bot.channels.dingtalk.test_flow import TEMPLATE, dingtalk_settings
from tests.conftest import DEMO_ORG, make_settings
from tests.fake_dingtalk import FakeDingTalk
from tests.fake_wecom import FakeWeCom, ManualClock
from tests.fakes import FakeClock
from tests.wecom_callbacks import AGENT_ID, CORP_ID, SECRET, WeComSender, wecom_settings

DRAFT = "投稿 @某某发布 1 冬季供暖服务指南\n今年供暖季自11月15日开始。"


@pytest.fixture
async def mixed(db: str, aiohttp_client: Any) -> AsyncIterator[tuple[TestClient, FakeWeCom, FakeDingTalk,  # type: ignore[type-arg]
                                                                      FakeClock]]:
    pace = ManualClock()
    wecom_fake = FakeWeCom(corp_id=CORP_ID, secret=SECRET, clock=pace)
    ding_fake = FakeDingTalk(clock=pace)
    wbase, dbase = await wecom_fake.start(), await ding_fake.start()
    clock = FakeClock(datetime.fromtimestamp(pace(), UTC))
    channels = [
        WeComChannel(WeComClient(base=wbase, corp_id=CORP_ID, secret=SECRET, clock=pace), AGENT_ID,
                     clock=pace),
        DingTalkChannel(DingTalkClient(api_base=dbase, app_key=ding_fake.app_key,
                                       app_secret=ding_fake.app_secret, clock=pace),
                        robot_code=ding_fake.app_key, template_id=TEMPLATE, stream=False, clock=pace,
                        wall_ms=lambda: pace() * 1000),
    ]
    settings = make_settings(**{**wecom_settings(api_base=wbase), **dingtalk_settings(ding_fake)})
    app = create_app(settings, channels=channels, manage_database=False, run_scheduler=False,
                     run_worker=False, clock=clock)
    client = await aiohttp_client(app)
    await import_file(DEMO_ORG, now=clock.now)
    yield client, wecom_fake, ding_fake, clock
    for c in channels:
        await c.client.close()
    await wecom_fake.stop()
    await ding_fake.stop()


async def settle(client: TestClient, clock: FakeClock) -> None:  # type: ignore[type-arg]
    await client.app[BOT].tasks.join()
    await client.app[BOT].outbox.drain(clock.now)


async def test_officer_on_dingtalk_head_on_wecom(mixed: Any) -> None:
    client, wecom, ding, clock = mixed
    await Person.filter(code="zhangsan").update(wecom_userid=None, dingtalk_userid="dt-zhangsan")
    await Person.filter(code="lisi").update(wecom_userid="lisi", dingtalk_userid=None)
    body = ding.robot_message("dt-zhangsan", DRAFT)
    resp = await client.post("/dingtalk/robot", json=body, headers=ding.robot_callback_headers())
    assert resp.status == 200
    await settle(client, clock)
    preview = next(b for b in ding.created if b["outTrackId"].startswith("pv-"))
    params = ding.cards[preview["outTrackId"]]["cardParamMap"]
    tap = ding.tap_payload(preview["outTrackId"], "dt-zhangsan", {"payload": params["btn1_payload"]})
    await client.post("/dingtalk/card", json=tap, headers=ding.card_callback_headers(ding.app_secret))
    await settle(client, clock)
    card = next(m["template_card"] for m in wecom.sent if m["touser"] == "lisi"
                and m["msgtype"] == "template_card")  # the head gets it in WeCom
    sender = WeComSender(now=clock.now.timestamp())
    key = next(b["key"] for b in card["button_list"] if b["text"] == "通过")
    assert await sender.post(client, sender.tap("lisi", card["task_id"], key,
                                                wecom.issue_tap_code(card["task_id"]))) == 200
    await settle(client, clock)
    assert (await Draft.get()).status == DraftStatus.APPROVED
    told = [m for m in ding.session_messages + ding.one_to_one if m["userId"] == "dt-zhangsan"]
    assert any("审核通过" in str(m) for m in told)  # the officer hears it in DingTalk
    assert not [m for m in wecom.sent if m["touser"] == "zhangsan"]


async def test_officer_on_wecom_head_on_dingtalk_and_both_ids(mixed: Any) -> None:
    client, wecom, ding, clock = mixed
    await Person.filter(code="zhangsan").update(wecom_userid="zhangsan", dingtalk_userid="dt-zhangsan")
    await Person.filter(code="lisi").update(wecom_userid=None, dingtalk_userid="dt-lisi")
    sender = WeComSender(now=clock.now.timestamp())
    assert await sender.post(client, sender.text("zhangsan", DRAFT)) == 200  # writes from WeCom
    await settle(client, clock)
    preview = next(m["template_card"] for m in wecom.sent if m["msgtype"] == "template_card")
    key = next(b["key"] for b in preview["button_list"] if b["text"] == "提交审核")
    await sender.post(client, sender.tap("zhangsan", preview["task_id"], key,
                                         wecom.issue_tap_code(preview["task_id"])))
    await settle(client, clock)
    approval = next(b for b in ding.created if b["outTrackId"].startswith("ap-"))
    assert approval["openSpaceId"] == "dtv1.card//IM_ROBOT.dt-lisi"
    params = ding.cards[approval["outTrackId"]]["cardParamMap"]
    tap = ding.tap_payload(approval["outTrackId"], "dt-lisi", {"payload": params["btn1_payload"]})
    await client.post("/dingtalk/card", json=tap, headers=ding.card_callback_headers(ding.app_secret))
    await settle(client, clock)
    assert (await Draft.get()).status == DraftStatus.APPROVED
    assert ding.cards[approval["outTrackId"]]["cardParamMap"]["btn_count"] == "0"
    assert any("审核通过" in m.get("text", {}).get("content", "") for m in wecom.sent
               if m["touser"] == "zhangsan")
