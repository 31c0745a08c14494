"""Inquiries (Art. 12, 第十二条) registered in chat or from the public (a WeChat follower with a real
28-character openid is kept): routing, claiming (one owner), deadlines, answers. Who answers: only
the owner or the department head answers a claimed inquiry (the 回复 command, the card's 已回复
button, and an answer typed after the button); anyone else is told who owns it and nothing changes;
the owner is told when the head answered; "already answered" names who and when (local time)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot import texts
from bot.events import CardAction, PublicInquiry, TextMessage
from models import (
    Account,
    AccountStatus,
    AuditEvent,
    InboundEvent,
    InboundStatus,
    Inquiry,
    InquiryStatus,
    Person,
)
from tests.conftest import World

QUESTION = "咨询 @某某发布 今年供暖什么时候开始？来自 微博网友小王"


async def test_registered_inquiry_reaches_the_department_officers(world: World) -> None:
    await world.say("zhangsan", QUESTION)
    assert world.last_text("zhangsan") == texts.inquiry_registered("Q1", "某某发布")
    q = await Inquiry.get()
    assert (q.text, q.asker, q.source, q.status) == ("今年供暖什么时候开始？", "微博网友小王", "chat",
                                                     InquiryStatus.OPEN)
    for officer in ("zhangsan", "chenqi"):
        card = world.channel.last_card(officer, "inq-")
        assert [b.label for b in card.buttons] == ["认领", "承诺时限", "已回复"]
        assert ("来源", "登记 · 微博网友小王") in card.fields
    await world.say("zhangsan", "咨询 @某某发布")
    assert world.last_text("zhangsan") == texts.INQUIRY_USAGE


async def test_two_officers_claim_at_once_one_owner(world: World) -> None:
    await world.say("zhangsan", QUESTION)
    card = world.channel.last_card("chenqi", "inq-")
    claim = next(b.payload for b in card.buttons if b.label == "认领")
    taps = [CardAction(channel="local", sender=who, key=f"claim-{who}", received_at=world.clock.now,
                       payload=claim) for who in ("zhangsan", "chenqi")]
    await asyncio.gather(*(world.bot.inbox.accept(t) for t in taps))
    await world.settle()
    q = await Inquiry.get()
    owner = "zhangsan" if q.owner_id == 4 else "chenqi"
    other = "chenqi" if owner == "zhangsan" else "zhangsan"
    assert world.last_text(owner) == texts.inquiry_claimed("Q1")
    assert world.last_text(other).startswith("咨询 Q1 已由")
    state = world.channel.card_state(other, card.card_id)
    assert [b.label for b in state.buttons] == ["承诺时限", "已回复"]
    assert dict(state.fields)["承办人"] != texts.UNCLAIMED
    await world.tap("wujiu", card, "认领")  # another department
    assert world.last_text("wujiu") == texts.inquiry_not_yours("Q1")


async def test_deadline_in_working_days_then_answer(world: World) -> None:
    await world.say("zhangsan", QUESTION)  # Thursday 2026-11-26 10:00
    await world.tap("chenqi", world.channel.last_card("chenqi", "inq-"), "承诺时限")
    choices = world.channel.last_card("chenqi", "inqd-")
    assert [b.label for b in choices.buttons] == ["1个工作日", "3个工作日", "7个工作日"]
    await world.tap("chenqi", choices, "3个工作日")
    q = await Inquiry.get()
    assert q.owner_id is not None and q.due_at is not None
    assert q.due_at.astimezone(world.clock.now.tzinfo).strftime("%m-%d %H:%M") == "12-01 17:59"
    assert "12月1日 17:59前答复" in world.last_text("chenqi")  # as people write dates
    assert dict(world.channel.card_state("chenqi", "inq-1").fields)[texts.FIELD_DUE] == "12月1日 17:59"
    # Art. 12: the promise is made once; the card loses 承诺时限, stale copies are refused.
    assert [b.label for b in world.channel.card_state("chenqi", "inq-1").buttons] == ["已回复"]
    await world.tap("chenqi", choices, "7个工作日")
    refusal = texts.deadline_already("Q1", q.due_at.astimezone(world.clock.now.tzinfo))
    assert world.last_text("chenqi") == refusal and "12月1日 17:59前答复" in refusal
    await world.tap("chenqi", world.channel.last_card("chenqi", "inq-"), "承诺时限")
    assert world.last_text("chenqi") == refusal
    assert (await Inquiry.get()).due_at == q.due_at
    await world.tap("chenqi", world.channel.last_card("chenqi", "inq-"), "已回复")
    assert world.last_text("chenqi") == texts.ask_answer("Q1")
    await world.say("chenqi", "今年供暖自11月15日开始，详见公告。")
    q = await Inquiry.get()
    assert q.status == InquiryStatus.ANSWERED and q.answer.startswith("今年供暖")
    assert world.channel.card_state("zhangsan", "inq-1").status.startswith("已回复 · 陈七")
    await world.say("zhangsan", "回复 Q1 再答一次")
    assert world.last_text("zhangsan") == "咨询 Q1 已由 陈七 于 11月26日 10:00 答复，无需再答。"


async def test_reply_command_answers_directly(world: World) -> None:
    await world.say("zhangsan", QUESTION)
    await world.say("zhangsan", "回复 Q1")
    assert world.last_text("zhangsan") == texts.REPLY_USAGE
    await world.say("zhangsan", "回复 Q1 11月15日开始。")
    q = await Inquiry.get()
    assert (q.status, q.answered_by_id, q.owner_id) == (InquiryStatus.ANSWERED, 4, 4)


async def test_stats_for_heads_and_the_information_center(world: World) -> None:
    await world.say("zhangsan", QUESTION)
    await world.say("zhangsan", "回复 Q1 11月15日开始。")
    await world.say("wujiu", "咨询 @某某服务 问题二")
    world.clock.advance(days=3)
    await world.say("zhangsan", "咨询统计")
    assert world.last_text("zhangsan") == texts.STATS_NOT_ALLOWED
    await world.say("lisi", "咨询统计")
    # Answered within the minute: minutes, not "0.0 个工作小时".
    assert world.last_text("lisi").splitlines()[1] == (
        "宣传科：收到 1，按时答复 1，逾期 0，答复用时中位数 1 分钟（工作时间）")
    await world.say("wangwu", "咨询统计")
    lines = world.last_text("wangwu").splitlines()
    assert len(lines) == 3 and lines[2] == (  # nothing answered: nothing measured, no figure
        "服务中心：收到 1，按时答复 0，逾期 1，答复用时中位数 暂无（还没有已答复的咨询）")


async def test_a_typed_date_commits_the_deadline(world: World) -> None:
    await world.say("zhangsan", QUESTION)
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "inq-"), "承诺时限")
    await world.say("zhangsan", "昨天")
    assert world.last_text("zhangsan") == texts.BAD_DUE_DATE
    await world.say("zhangsan", "11月20日")  # before today
    assert world.last_text("zhangsan") == texts.BAD_DUE_DATE
    await world.say("zhangsan", "12月3日")
    q = await Inquiry.get()
    assert q.due_at is not None
    assert q.due_at.astimezone(world.clock.now.tzinfo).strftime("%Y-%m-%d %H:%M") == "2026-12-03 17:59"
    await world.say("zhangsan", "帮助")  # the prompt is gone
    assert world.last_text("zhangsan") == texts.HELP


OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"  # a WeChat openid: 28 characters


def _public(world: World) -> None:
    """What ``create_app`` wires: inquiries from the public go to their handler."""


async def test_a_wechat_followers_inquiry_with_a_real_openid_is_kept(world: World) -> None:
    """``wechat:`` + a 28-character openid is 35 characters: it used to overflow ``source`` (32),
    which PostgreSQL refuses — the follower's message was lost. Run on both databases."""
    assert len(OPENID) == 28
    _public(world)
    event = PublicInquiry(channel="wechat", sender=OPENID, key=f"1:{24_000_000_000_000_001}",
                          received_at=world.clock.now, account="某某发布", text="供暖什么时候开始？",
                          asker=OPENID)
    assert await world.deliver(event) is True
    row = await InboundEvent.get()
    assert (row.status, row.error) == (InboundStatus.DONE, "")
    q = await Inquiry.get()
    assert (q.source, q.asker, q.text) == (f"wechat:{OPENID}", OPENID, "供暖什么时候开始？")
    # SQLite does not enforce VARCHAR lengths: say what PostgreSQL would.
    assert len(q.source) <= Inquiry._meta.fields_map["source"].max_length  # type: ignore[attr-defined]
    card = world.channel.last_card("chenqi", "inq-")
    assert ("来源", f"公众号留言 · 关注者（尾号 {OPENID[-4:]}）") in card.fields  # not the openid


async def test_an_inquiry_from_a_source_with_a_very_long_name_is_kept_bounded(world: World) -> None:
    """An intake source name or a platform id longer than the column: the inquiry is stored,
    its source bounded (hashed, still one value per sender), never refused."""
    _public(world)
    senders = ["客服热线" * 40, "客服热线" * 40 + "2"]
    for n, sender in enumerate(senders):
        await world.deliver(PublicInquiry(channel="api", sender=sender, key=f"q{n}",
                                          received_at=world.clock.now, account="某某发布",
                                          text="问题", asker="小王"))
    sources = [q.source for q in await Inquiry.all().order_by("id")]
    assert len(sources) == 2 and sources[0] != sources[1]
    assert all(s.startswith("api:") and len(s) <= 128 for s in sources)
    assert await InboundEvent.filter(status=InboundStatus.DONE).count() == 2


# -- who answers (Art. 12 with Art. 6: 谁主办、谁负责) -----------------------------------------------
TZ = ZoneInfo("Asia/Shanghai")


async def claimed_by_chenqi(world: World) -> None:
    await world.say("zhangsan", QUESTION)  # Thursday 2026-11-26 10:00
    await world.tap("chenqi", world.channel.last_card("chenqi", "inq-"), "认领")
    assert (await Inquiry.get()).owner_id == (await Person.get(code="chenqi")).id


async def unchanged(before: Inquiry, audit_rows: int) -> None:
    after = await Inquiry.get(id=before.id)
    assert (after.status, after.owner_id, after.answer, after.answered_at, after.answered_by_id) == (
        before.status, before.owner_id, before.answer, before.answered_at, before.answered_by_id)
    assert await AuditEvent.all().count() == audit_rows


async def test_another_officer_cannot_answer_a_claimed_inquiry_and_is_told_who_owns_it(world: World) -> None:
    await claimed_by_chenqi(world)
    before, rows = await Inquiry.get(), await AuditEvent.all().count()
    refusal = texts.inquiry_owned_by("Q1", "陈七")
    assert "陈七" in refusal
    await world.say("zhangsan", "回复 Q1 我来答：11月15日开始。")
    assert world.last_text("zhangsan") == refusal
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "inq-"), "已回复")
    assert world.last_text("zhangsan") == refusal  # no prompt: what they type next is no answer
    await world.say("zhangsan", "帮助")
    assert world.last_text("zhangsan") == texts.HELP
    await world.say("wangwu", "回复 Q1 信息中心代答")  # the Information Center neither
    assert world.last_text("wangwu") == refusal
    await unchanged(before, rows)
    assert not any("代答" in t or "我来答" in t for t in world.texts("chenqi"))


async def test_the_owner_answers_and_nobody_else_is_told(world: World) -> None:
    await claimed_by_chenqi(world)
    told = len(world.texts("chenqi"))
    await world.say("chenqi", "回复 Q1 11月15日开始。")
    q = await Inquiry.get()
    assert (q.status, q.answered_by_id, q.owner_id) == (InquiryStatus.ANSWERED, q.owner_id, q.owner_id)
    assert world.texts("chenqi")[told:] == [texts.inquiry_answered("Q1")]
    assert not any(t.startswith("你承办的咨询") for t in world.texts("lisi"))


async def test_the_head_answers_for_the_owner_who_is_told_and_then_refused_by_name(world: World) -> None:
    await claimed_by_chenqi(world)
    world.clock.now = datetime(2026, 11, 27, 14, 5, tzinfo=TZ)
    await world.tap("lisi", world.channel.last_card("chenqi", "inq-"), "已回复")  # the head's button
    assert world.last_text("lisi") == texts.ask_answer("Q1")
    await world.say("lisi", "今年供暖自11月15日开始。")
    q = await Inquiry.get()
    chenqi, lisi = await Person.get(code="chenqi"), await Person.get(code="lisi")
    assert (q.status, q.owner_id, q.answered_by_id) == (InquiryStatus.ANSWERED, chenqi.id, lisi.id)
    assert world.last_text("chenqi") == texts.inquiry_answered_by_head(
        "Q1", "某某发布", "李四", world.clock.now, "今年供暖自11月15日开始。")
    assert "已由部门负责人 李四 于 11月27日 14:05 答复：今年供暖自11月15日开始。" in world.last_text("chenqi")
    world.clock.advance(minutes=10)
    await world.say("chenqi", "回复 Q1 我也答一下")
    assert world.last_text("chenqi") == "咨询 Q1 已由 李四 于 11月27日 14:05 答复，无需再答。"
    await world.tap("chenqi", world.channel.last_card("chenqi", "inq-"), "已回复")
    assert world.last_text("chenqi") == "咨询 Q1 已由 李四 于 11月27日 14:05 答复，无需再答。"
    assert (await Inquiry.get()).answer == "今年供暖自11月15日开始。"


async def test_a_claim_between_the_button_and_the_typed_answer_wins(world: World) -> None:
    """张三 opens the answer prompt on an unclaimed inquiry; 陈七 claims it before 张三 types: the
    conditional update refuses 张三's answer, naming 陈七."""
    await world.say("zhangsan", QUESTION)
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "inq-"), "已回复")
    assert world.last_text("zhangsan") == texts.ask_answer("Q1")
    await world.tap("chenqi", world.channel.last_card("chenqi", "inq-"), "认领")
    before, rows = await Inquiry.get(), await AuditEvent.all().count()
    await world.say("zhangsan", "11月15日开始。")
    assert world.last_text("zhangsan") == texts.inquiry_owned_by("Q1", "陈七")
    await unchanged(before, rows)


async def test_an_unclaimed_inquiry_answered_makes_the_answerer_its_owner(world: World) -> None:
    await world.say("zhangsan", QUESTION)
    world.clock.advance(minutes=20)
    await world.say("chenqi", "回复 Q1 11月15日开始。")
    q = await Inquiry.get()
    chenqi = await Person.get(code="chenqi")
    assert (q.owner_id, q.answered_by_id, q.claimed_at) == (chenqi.id, chenqi.id, world.clock.now)


async def test_the_owner_and_the_head_answer_at_once_one_answer_wins(world: World) -> None:
    await claimed_by_chenqi(world)
    answers = [TextMessage(channel="local", sender=who, key=f"ans-{who}", received_at=world.clock.now,
                           text=f"回复 Q1 {who} 的答复") for who in ("chenqi", "lisi")]
    await asyncio.gather(*(world.bot.inbox.accept(a) for a in answers))
    await world.settle()
    q = await Inquiry.get()
    winner = await Person.get(id=q.answered_by_id or 0)
    assert q.answer == f"{winner.code} 的答复"
    loser = "lisi" if winner.code == "chenqi" else "chenqi"
    assert f"咨询 Q1 已由 {winner.name} 于 11月26日 10:00 答复，无需再答。" in world.texts(loser)
    assert await AuditEvent.filter(action="inquiry_answered").count() == 1


async def test_an_account_that_is_live_on_its_platform_takes_inquiries_whatever_its_standing(
    world: World,
) -> None:
    """A stopped or suspended account still has followers who write: Art. 12 asks for an answer.
    One not opened yet, or closed, has none."""
    for n, status in enumerate((AccountStatus.MUST_STOP, AccountStatus.SUSPENDED), start=1):
        await Account.filter(name="某某发布").update(status=status)
        await world.say("zhangsan", QUESTION)
        assert world.last_text("zhangsan") == texts.inquiry_registered(f"Q{n}", "某某发布")
        assert world.channel.last_card("chenqi", "inq-").card_id == f"inq-{n}"
    await world.deliver(PublicInquiry(channel="wechat", sender=OPENID, key="1:24000000000000009",
                                      received_at=world.clock.now, account="某某发布", text="还在吗？",
                                      asker=OPENID))
    assert await Inquiry.filter(text="还在吗？").exists()
    for status in (AccountStatus.APPROVED, AccountStatus.CLOSED):
        await Account.filter(name="某某发布").update(status=status)
        await world.say("zhangsan", QUESTION)
        assert world.last_text("zhangsan") == texts.inquiry_account_not_live("某某发布", status.value)
    await world.deliver(PublicInquiry(channel="wechat", sender=OPENID, key="1:24000000000000010",
                                      received_at=world.clock.now, account="某某发布", text="关了吗？",
                                      asker=OPENID))
    assert await Inquiry.all().count() == 3


async def test_a_claim_that_lands_between_the_check_and_the_update_still_wins(
    world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The ownership rule holds in the UPDATE itself: 陈七's claim is written after 张三's answer
    was checked (as another worker would), and 张三's answer changes nothing."""
    from handlers import inquiries

    await world.say("zhangsan", QUESTION)
    chenqi = await Person.get(code="chenqi")
    real = inquiries.is_head_of

    async def claim_first(person: Person, q: Inquiry) -> bool:
        await Inquiry.filter(id=q.id).update(owner_id=chenqi.id, claimed_at=world.clock.now,
                                             status=InquiryStatus.CLAIMED)
        return await real(person, q)

    monkeypatch.setattr(inquiries, "is_head_of", claim_first)
    await world.say("zhangsan", "回复 Q1 11月15日开始。")
    assert world.last_text("zhangsan") == texts.inquiry_owned_by("Q1", "陈七")
    q = await Inquiry.get()
    assert (q.status, q.owner_id, q.answer, q.answered_at) == (InquiryStatus.CLAIMED, chenqi.id, "", None)
