"""The whole post flow through WeCom: really encrypted callbacks into the aiohttp app, outbound
calls to a fake WeCom API on 127.0.0.1 that enforces the real rules, and injected faults."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import BOT, Bot
from bot.cards import message_from_json
from bot.channels.wecom.channel import WeComChannel
from bot.channels.wecom.client import WeComClient
from models import Attachment, Decision, Department, Draft, DraftStatus, OutboxMessage, OutboxStatus
from tests.fake_wecom import FakeWeCom, ManualClock
from tests.fakes import FakeClock
from tests.wecom_callbacks import AGENT_ID, CORP_ID, SECRET, WeComSender, wecom_app

DRAFT = "投稿 @某某发布 1 冬季供暖服务指南\n今年供暖季自11月15日开始。"


@dataclass
class WeComWorld:
    client: TestClient  # type: ignore[type-arg]
    fake: FakeWeCom
    sender: WeComSender
    clock: FakeClock
    pace: ManualClock

    @property
    def bot(self) -> Bot:
        return self.client.app[BOT]

    async def settle(self) -> None:
        await self.bot.tasks.join()
        await self.bot.outbox.drain(self.clock.now)

    async def say(self, user: str, text: str, msg_id: str | None = None) -> None:
        assert await self.sender.post(self.client, self.sender.text(user, text, msg_id)) == 200
        await self.settle()

    def cards_to(self, user: str) -> list[dict[str, Any]]:
        return [m for m in self.fake.sent if m["touser"] == user and m["msgtype"] == "template_card"]

    def texts_to(self, user: str) -> list[str]:
        return [m.get("text", {}).get("content", "") or m.get("markdown", {}).get("content", "")
                for m in self.fake.sent if m["touser"] == user and m["msgtype"] != "template_card"]

    def card(self, user: str, prefix: str) -> dict[str, Any]:
        cards = [c["template_card"] for c in self.cards_to(user)
                 if c["template_card"]["task_id"].startswith(prefix)]
        assert cards, f"no {prefix} card to {user}: {self.fake.sent}"
        return cards[-1]

    async def tap(self, user: str, card: dict[str, Any], label: str) -> None:
        key = next(b["key"] for b in card["button_list"] if b["text"] == label)
        code = self.fake.issue_tap_code(card["task_id"])
        assert await self.sender.post(self.client, self.sender.tap(user, card["task_id"], key, code)) == 200
        await self.settle()


@pytest.fixture
async def wecom(db: str, aiohttp_client: Any) -> AsyncIterator[WeComWorld]:
    pace = ManualClock()
    fake = FakeWeCom(corp_id=CORP_ID, secret=SECRET, clock=pace)
    await fake.start()
    clock = FakeClock()
    client, channel = await wecom_app(fake, aiohttp_client, clock)
    yield WeComWorld(client, fake, WeComSender(now=clock.now.timestamp()), clock, pace)
    await channel.client.close()
    await fake.stop()


async def submitted(w: WeComWorld) -> Draft:
    await w.say("zhangsan", DRAFT)
    await w.tap("zhangsan", w.card("zhangsan", "pv-"), "提交审核")
    return await Draft.get()


async def test_full_flow_officer_to_head_and_back(wecom: WeComWorld) -> None:
    w = wecom
    await w.say("zhangsan", DRAFT)
    preview = w.card("zhangsan", "pv-")
    assert preview["main_title"]["title"] == "稿件预览 D1"
    await w.tap("zhangsan", preview, "提交审核")
    approval = w.card("lisi", "ap-")
    assert [b["text"] for b in approval["button_list"]] == ["通过", "驳回"]
    await w.say("lisi", "待审")  # a second copy of the same card reaches the head
    assert len(w.cards_to("lisi")) == 2
    await w.tap("lisi", approval, "通过")
    draft = await Draft.get()
    assert draft.status == DraftStatus.APPROVED
    lisi_updates = [u for u in w.fake.updates if u["userids"] == ["lisi"]]
    assert len(lisi_updates) == 2  # every copy of the card shows the outcome, no live buttons
    assert all(u["template_card"]["replace_text"].startswith("已通过 · 李四") for u in lisi_updates)
    assert all(u["template_card"]["main_title"]["title"] == "稿件 D1：已通过" for u in lisi_updates)
    assert any("已由 李四 审核通过" in t for t in w.texts_to("zhangsan"))
    assert w.fake.tokens_issued == 1  # cached and shared


async def test_callback_delivered_four_times_has_one_effect(wecom: WeComWorld) -> None:
    for _ in range(4):
        await wecom.say("zhangsan", DRAFT, msg_id="CAIQg/PKxgYY2sC9tpuAgAMg9/zKaw==")
    assert await Draft.all().count() == 1
    assert len(wecom.cards_to("zhangsan")) == 1


async def test_forged_taps_are_refused(wecom: WeComWorld) -> None:
    w = wecom
    draft = await submitted(w)
    approval = w.card("lisi", "ap-")
    await w.tap("zhangsan", approval, "通过")  # the author
    await w.tap("chenqi", approval, "通过")  # an officer, not the head
    await w.tap("mallory", approval, "通过")  # not in the organisation
    await draft.refresh_from_db()
    assert draft.status == DraftStatus.PENDING and await Decision.all().count() == 0
    assert any("不能审核自己提交的稿件" in t for t in w.texts_to("zhangsan"))
    assert any("主要负责人可以审核" in t for t in w.texts_to("chenqi"))
    assert any("联系信息中心" in t for t in w.texts_to("mallory"))


async def test_token_expiry_busy_throttle_and_outage_deliver_everything_once(wecom: WeComWorld) -> None:
    w = wecom
    await w.say("zhangsan", "帮助")
    w.fake.expire_tokens()  # WeCom may invalidate a token before expires_in
    w.fake.fail("message/send", -1)
    await w.say("zhangsan", "我的")  # 42001 → new token, retried; then busy → after backoff
    assert len(w.texts_to("zhangsan")) == 1
    w.clock.advance(seconds=2)
    await w.settle()
    w.fake.fail("message/send", 45009)
    w.fake.fail("message/send", "http500")
    await w.say("zhangsan", "帮助")  # rate-limited: wait the minute out; then a 500; then fine
    w.clock.advance(seconds=30)
    await w.settle()
    assert len(w.texts_to("zhangsan")) == 2
    w.clock.advance(seconds=31)
    await w.settle()
    w.clock.advance(seconds=2)
    await w.settle()
    texts = w.texts_to("zhangsan")
    assert len(texts) == 3 and "还没有稿件" in texts[1] and texts[2].startswith("可用命令")
    assert w.fake.tokens_issued == 2
    rows = await OutboxMessage.all()
    assert all(r.status == OutboxStatus.SENT for r in rows)
    throttled = await OutboxMessage.get(id=rows[-1].id)
    assert throttled.attempts == 2  # the 500 and the success; the rate limit did not count


async def test_timeout_then_recovery_delivers_once(wecom: WeComWorld) -> None:
    w = wecom
    w.fake.timeout_delay = 3.0
    w.fake.fail("message/send", "timeout")
    await w.say("zhangsan", "帮助")
    assert w.texts_to("zhangsan") == []
    w.clock.advance(seconds=2)
    await w.settle()
    assert len(w.texts_to("zhangsan")) == 1


async def test_used_response_code_falls_back_to_a_new_message(wecom: WeComWorld) -> None:
    w = wecom
    await submitted(w)
    w.fake.fail("message/update_template_card", 42016, times=10)
    await w.tap("lisi", w.card("lisi", "ap-"), "通过")
    assert any("已通过 · 李四" in t for t in w.texts_to("lisi"))
    assert not await OutboxMessage.filter(status=OutboxStatus.DEAD).exists()


async def test_image_is_downloaded_at_once_and_kept_with_the_draft(wecom: WeComWorld) -> None:
    w = wecom
    w.fake.media["MEDIA1"] = (b"\x89PNG real bytes", "image/png", "现场.png")
    await w.say("zhangsan", DRAFT)
    assert await w.sender.post(w.client, w.sender.image("zhangsan", "MEDIA1")) == 200
    await w.settle()
    att = await Attachment.get()
    assert att.data == b"\x89PNG real bytes" and att.mime == "image/png" and att.name == "现场.png"
    w.fake.media.clear()  # the media id dies; the draft keeps its bytes


async def test_group_robot_paced_at_20_per_minute_queued_not_dropped(wecom: WeComWorld) -> None:
    from bot.cards import Text

    w = wecom
    await Department.filter(code="publicity").update(groups={"wecom_webhook_key": "ROBOT1"})
    dept = await Department.get(code="publicity")
    for i in range(25):
        await w.bot.outbox.send(dept, Text(f"提醒 {i}", mentions=("zhangsan",)), key=f"g{i}",
                                now=w.clock.now)
    await w.settle()
    assert len(w.fake.webhook["ROBOT1"]) == 20
    assert w.fake.webhook["ROBOT1"][0]["text"]["mentioned_list"] == ["zhangsan"]
    w.pace.advance(61)
    w.clock.advance(seconds=61)
    await w.settle()
    assert [m["text"]["content"] for m in w.fake.webhook["ROBOT1"]] == [f"提醒 {i}" for i in range(25)]
    assert not await OutboxMessage.filter(status=OutboxStatus.DEAD).exists()


async def test_bad_secret_dead_letters_with_a_notice_and_no_refetch_loop(wecom: WeComWorld) -> None:
    w = wecom
    w.fake.secret = "rotated"
    await w.say("zhangsan", "帮助")
    dead = await OutboxMessage.get(person__code="zhangsan")
    assert dead.status == OutboxStatus.DEAD and "40001" in dead.last_error
    assert w.fake.calls["gettoken"] <= 3


async def test_card_registered_by_a_timed_out_send_is_not_sent_twice(wecom: WeComWorld) -> None:
    """A read timeout after WeCom took the card: the retry gets 42014 (task id used), which
    means delivered, not a dead letter."""
    w = wecom
    w.fake.timeout_delay = 1.5  # longer than the client's 1 s timeout
    await w.say("zhangsan", DRAFT)
    w.fake.fail("message/send", "late")
    await w.tap("zhangsan", w.card("zhangsan", "pv-"), "提交审核")
    w.clock.advance(seconds=3)
    await w.settle()
    assert len(w.cards_to("lisi")) == 1
    card_row = await OutboxMessage.get(kind="card", person__code="lisi")
    assert (card_row.status, card_row.attempts) == (OutboxStatus.SENT, 2)  # the late one, then 42014
    assert not await OutboxMessage.filter(status=OutboxStatus.DEAD).exists()
    await w.tap("lisi", w.card("lisi", "ap-"), "通过")  # no response code: outcome as a new message
    assert any("已通过 · 李四" in t for t in w.texts_to("lisi"))


async def test_a_document_is_uploaded_then_sent_as_a_file(wecom: WeComWorld) -> None:
    from bot.cards import Document
    from models import Person

    w = wecom
    person = await Person.get(code="wangwu")
    await w.bot.outbox.send(person, Document("2026年新媒体账号登记表.xlsx", b"PK\x03\x04 sheet data"),
                            key="export-1", now=w.clock.now)
    await w.settle()
    assert w.fake.uploads == [("file", "2026年新媒体账号登记表.xlsx", b"PK\x03\x04 sheet data")]
    sent = [m for m in w.fake.sent if m["touser"] == "wangwu"]
    assert len(sent) == 1 and sent[0]["msgtype"] == "file" and sent[0]["file"]["media_id"]


async def test_app_group_chat_and_member_pacing(wecom: WeComWorld) -> None:
    """Group messages go to the department's app chat; more than 30 a minute to one member
    (which WeCom would drop silently) wait for the next minute instead."""
    from bot.cards import Text
    from models import Person

    w = wecom
    w.fake.chats.add("pubchat")
    await Department.filter(code="publicity").update(groups={"wecom_chatid": "pubchat"})
    draft = await submitted(w)
    await w.tap("lisi", w.card("lisi", "ap-"), "通过")
    await w.say("zhangsan", f"已发布 D{draft.id} https://mp.example.org/s/1")
    assert [m["chatid"] for m in w.fake.appchat] == ["pubchat"]
    assert "发布了新内容" in w.fake.appchat[0]["text"]["content"]
    person = await Person.get(code="wujiu")
    for i in range(35):
        await w.bot.outbox.send(person, Text(f"m{i}"), key=f"burst{i}", now=w.clock.now)
    await w.settle()
    assert len(w.texts_to("wujiu")) == 30
    w.pace.advance(61)
    w.clock.advance(seconds=61)
    await w.settle()
    assert w.texts_to("wujiu") == [f"m{i}" for i in range(35)]


async def test_the_same_question_twice_gets_two_answers_but_a_resend_is_dropped(
        wecom: WeComWorld) -> None:
    """WeCom's duplicate check (30 minutes) drops a second identical message: a resend of one
    outbox row must be dropped, a new row with the same words (the same question asked again a
    minute later) must still reach the person."""
    w = wecom
    await w.say("zhangsan", "我的")
    w.pace.advance(60)
    await w.say("zhangsan", "我的")
    texts = w.texts_to("zhangsan")
    assert len(texts) == 2 and texts[0] == texts[1] and w.fake.duplicates == []
    second = w.fake.sent[-1]
    assert second["enable_duplicate_check"] == 0  # another row: sent without the check
    # The same row again from a restarted process (a crash between WeCom's acceptance and our
    # commit): nothing in memory, the check is asked for, WeCom drops the resend.
    row = (await OutboxMessage.all().order_by("-id"))[0]
    restarted = WeComChannel(WeComClient(base=w.fake.base_url, corp_id=CORP_ID, secret=SECRET,
                                         clock=w.pace), AGENT_ID, clock=w.pace)
    try:
        await restarted.send("zhangsan", message_from_json(row.body), key=row.key, maybe_sent=True)
    finally:
        await restarted.client.close()
    assert len(w.texts_to("zhangsan")) == 2 and len(w.fake.duplicates) == 1
