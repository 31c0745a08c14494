"""Verification with evidence (Art. 4 第四条: "开通新媒体后，应及时申请认证"), through the real router.

What it proves: 已认证 is not taken on one word. ``已认证 @账号 链接`` records who, when and the link;
a bare ``已认证 @账号`` asks for the evidence and a screenshot sent next is recorded as "截图" with
the image; a bad link is refused with a clear message and records nothing; only the people who may
act for the account can record it; each Information Center admin is told once, with the evidence
(the screenshot as an image file); and the weekly reminders and the 4/8-week escalation end."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot import texts
from bot.cards import Document
from models import Account, AccountStatus, Person
from schedules.verification import remind_unverified
from tests.conftest import World

TZ = ZoneInfo("Asia/Shanghai")
LINK = "https://mp.weixin.qq.com/mp/profile_ext?action=home&__biz=MzA5NzQ2OTEyMA=="


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


async def unverified(world: World) -> None:
    """某某发布 filed on 1 September and never verified (its reminders are due); the others are."""
    await Account.all().update(filed_at=at(2026, 9, 1, 10, 0), status=AccountStatus.OPERATING,
                               verified_at=at(2026, 9, 2, 10, 0))
    await Account.filter(name="某某发布").update(verified_at=None)


def told_ic(world: World, who: str) -> list[str]:
    return [t for t in world.texts(who) if t.startswith("【认证登记】")]


async def test_a_link_records_who_when_and_tells_the_information_center(world: World) -> None:
    await unverified(world)
    await world.say("zhangsan", f"已认证 @某某发布 {LINK}")
    assert world.last_text("zhangsan") == texts.verified("某某发布")
    account = await Account.get(name="某某发布")
    zhangsan = await Person.get(code="zhangsan")
    assert account.verified_at == world.clock.now and account.verified_by_id == zhangsan.id
    assert account.verify_evidence == LINK and account.verify_image is None
    expected = texts.verified_to_ic("某某发布", "宣传科", "张三", LINK)
    assert told_ic(world, "wangwu") == [expected] and told_ic(world, "zhaoliu") == [expected]

    world.clock.advance(hours=1)
    await world.say("chenqi", f"已认证 @某某发布 {LINK}")
    assert world.last_text("chenqi") == texts.already_verified("某某发布", at(2026, 11, 26, 10, 0), "张三")
    assert len(told_ic(world, "wangwu")) == 1
    # the weekly reminder and both escalations end (they would all be due by now)
    when = at(2026, 10, 27, 10, 0)
    world.clock.now = when
    assert await remind_unverified(when, world.bot.deps) == 0


async def test_unverified_it_would_be_chased_by_then(world: World) -> None:
    """The control for the two tests above: at that time the weekly reminder, the head (four
    weeks) and the Information Center (eight) are all due for an unverified account."""
    await unverified(world)
    await world.say("zhangsan", "已认证 @某某发布")  # a bare word records nothing
    when = at(2026, 10, 27, 10, 0)
    world.clock.now = when
    assert await remind_unverified(when, world.bot.deps) == 3


async def test_a_bare_word_asks_for_the_evidence_and_a_screenshot_answers(world: World) -> None:
    await unverified(world)
    await world.say("zhangsan", "已认证 @某某发布")
    assert world.last_text("zhangsan") == texts.ask_verify_evidence("某某发布")
    assert (await Account.get(name="某某发布")).verified_at is None  # not on one word
    await world.say("zhangsan", "认证好了")
    assert world.last_text("zhangsan") == texts.bad_verify_link("认证好了", "某某发布", prompted=True)
    assert (await Account.get(name="某某发布")).verified_at is None
    await world.image("zhangsan", b"\x89PNG verified badge")
    account = await Account.get(name="某某发布")
    assert account.verified_at == world.clock.now
    assert (account.verify_evidence, account.verify_image) == (texts.EVIDENCE_SCREENSHOT,
                                                               b"\x89PNG verified badge")
    assert world.last_text("zhangsan") == texts.verified("某某发布")
    assert told_ic(world, "wangwu") == [texts.verified_to_ic("某某发布", "宣传科", "张三", "截图")]
    images = [m for m in world.channel.to("wangwu") if isinstance(m, Document)]
    assert [(d.name, d.data) for d in images] == [(texts.verify_screenshot_name("某某发布"),
                                                   b"\x89PNG verified badge")]
    when = at(2026, 10, 27, 10, 0)
    world.clock.now = when
    assert await remind_unverified(when, world.bot.deps) == 0


async def test_a_link_can_answer_the_question_too_or_it_is_cancelled(world: World) -> None:
    await unverified(world)
    await world.say("zhangsan", "已认证 @某某发布")
    await world.say("zhangsan", "取消")
    assert world.last_text("zhangsan") == texts.EVIDENCE_CANCELLED
    assert (await Account.get(name="某某发布")).verified_at is None
    await world.say("zhangsan", "已认证 @某某发布")
    await world.say("zhangsan", LINK)
    assert (await Account.get(name="某某发布")).verify_evidence == LINK


async def test_a_bad_link_is_refused_and_records_nothing(world: World) -> None:
    await unverified(world)
    for bad in ("不是链接", "ftp://files.example.cn/v.png", "https://", "http:///path-only",
                "mp.weixin.qq.com/verified"):
        await world.say("zhangsan", f"已认证 @某某发布 {bad}")
        assert world.last_text("zhangsan") == texts.bad_verify_link(bad, "某某发布"), bad
    assert (await Account.get(name="某某发布")).verified_at is None
    assert told_ic(world, "wangwu") == []


async def test_only_those_who_may_act_for_the_account(world: World) -> None:
    await unverified(world)
    await world.say("wujiu", f"已认证 @某某发布 {LINK}")  # another department's officer
    assert world.last_text("wujiu") == texts.not_responsible_for("某某发布")
    assert (await Account.get(name="某某发布")).verified_at is None
    await world.say("zhaoliu", f"已认证 @某某发布 {LINK}")  # the Information Center may
    assert world.last_text("zhaoliu") == texts.verified("某某发布")
    assert told_ic(world, "zhaoliu") == []  # the other admin is told, not the one who did it
    assert told_ic(world, "wangwu") == [texts.verified_to_ic("某某发布", "宣传科", "赵六", LINK)]


async def test_a_closed_account_cannot_be_verified(world: World) -> None:
    await Account.filter(name="某某服务").update(status=AccountStatus.CLOSED, verified_at=None)
    await world.say("wujiu", f"已认证 @某某服务 {LINK}")
    assert world.last_text("wujiu") == texts.cannot_verify("某某服务", "closed")
    assert (await Account.get(name="某某服务")).verified_at is None
