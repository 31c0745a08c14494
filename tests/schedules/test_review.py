"""The November annual review (Art. 5), driven by explicit times from 30 October to
15 December: kickoff, weekly and last reminders, reports judged by the Information Center,
"must stop" on 1 December, weekly reminders until 已注销 closes the account."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot import texts
from models import Account, AccountStatus, ReviewReport, ReviewStatus
from schedules.review import run_annual_review
from tests.conftest import World

TZ = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


async def sweep(world: World, when: datetime) -> int:
    world.clock.now = when
    n = await run_annual_review(when, world.bot.deps)
    await world.settle()
    return n


async def test_the_november_campaign(world: World) -> None:
    await Account.all().update(created_at=at(2026, 1, 5, 10, 0))
    assert await sweep(world, at(2026, 10, 30, 10, 0)) == 0
    assert await sweep(world, at(2026, 11, 2, 10, 0)) == 3  # kickoff for each account
    assert world.texts("zhangsan")[-1].startswith("【2026年度年审】「某某发布」请于 11月30日（含）前")
    assert any(t.startswith("【2026年度年审】「某某头条」") for t in world.texts("lisi"))
    assert await sweep(world, at(2026, 11, 2, 15, 0)) == 0  # once

    world.clock.now = at(2026, 11, 3, 10, 0)
    await world.say("zhangsan", "年审 @某某发布 全年发布 120 篇，互动回复及时，无违规。")
    assert world.last_text("zhangsan") == texts.review_submitted("N1", "某某发布")
    card = world.channel.last_card("wangwu", "review-")
    await world.tap("zhangsan", card, "合格")
    assert world.last_text("zhangsan") == texts.ONLY_INFO_CENTER
    await world.tap("wangwu", card, "合格")
    assert world.last_text("zhangsan") == texts.review_passed("某某发布", 2026)
    await world.tap("zhaoliu", world.channel.last_card("zhaoliu", "review-"), "不合格")
    assert world.last_text("zhaoliu") == texts.review_already("N1", "passed")

    await world.say("chenqi", "年审 @某某头条")
    assert world.last_text("chenqi") == texts.ASK_REVIEW_REPORT
    await world.file("chenqi", b"docx bytes", "某某头条2026年审报告.docx")
    report = await ReviewReport.get(account__name="某某头条")
    assert report.file_name == "某某头条2026年审报告.docx" and report.file_data == b"docx bytes"
    await world.tap("wangwu", world.channel.last_card("wangwu", "review-"), "不合格")
    await world.say("wangwu", "全年仅发布 8 篇，达不到要求")
    assert world.last_text("lisi") == texts.review_failed("某某头条", 2026, "全年仅发布 8 篇，达不到要求")

    assert await sweep(world, at(2026, 11, 9, 10, 0)) == 2  # weekly: 头条 (failed) and 服务
    assert world.texts("wujiu")[-1].startswith("【年审提醒】「某某服务」")
    assert await sweep(world, at(2026, 11, 25, 10, 0)) == 2  # the last warning
    assert world.texts("wujiu")[-1].startswith("【年审最后提醒】「某某服务」")

    assert await sweep(world, at(2026, 12, 1, 10, 0)) == 2  # must stop: 头条 and 服务
    statuses = dict(await Account.all().values_list("name", "status"))
    assert statuses == {"某某发布": AccountStatus.OPERATING, "某某头条": AccountStatus.MUST_STOP,
                        "某某服务": AccountStatus.MUST_STOP}
    assert world.texts("zhouba")[-1] == texts.review_must_stop("某某服务", 2026)
    assert texts.review_must_stop("某某头条", 2026) in world.texts("wangwu")
    await world.say("chenqi", "投稿 @某某头条 1 标题\n正文")  # Art. 3: no drafts any more
    assert world.last_text("chenqi") == texts.account_not_operating("某某头条", "must_stop")

    assert await sweep(world, at(2026, 12, 8, 10, 0)) == 2  # weekly until closed
    assert world.texts("wujiu")[-1] == texts.review_close_reminder("某某服务")
    await world.say("wujiu", "已注销 @某某服务 不是链接")
    assert world.last_text("wujiu") == texts.bad_link("不是链接")
    await world.say("wujiu", "已注销 @某某服务 https://app.example.org/closed")
    assert world.last_text("wujiu") == texts.closed("某某服务")
    assert (await Account.get(name="某某服务")).status == AccountStatus.CLOSED
    assert any("「某某服务」已由 吴九 登记注销" in t for t in world.texts("wangwu"))
    await world.say("chenqi", "已注销 @某某头条")
    await world.image("chenqi", b"screenshot")
    closed = await Account.get(name="某某头条")
    assert closed.status == AccountStatus.CLOSED and closed.closure_image == b"screenshot"
    assert await sweep(world, at(2026, 12, 15, 10, 0)) == 0  # nothing left to chase
    await world.say("zhangsan", "年审 @某某发布 补充")
    assert world.last_text("zhangsan") == texts.review_not_open("某某发布")
    assert await ReviewReport.filter(status=ReviewStatus.PASSED).count() == 1


async def test_an_account_filed_during_the_campaign_is_not_stopped(world: World) -> None:
    await Account.filter(name="某某服务").update(created_at=at(2026, 1, 5, 10, 0))
    await sweep(world, at(2026, 12, 1, 10, 0))
    statuses = dict(await Account.all().values_list("name", "status"))
    assert statuses["某某服务"] == AccountStatus.MUST_STOP
    assert statuses["某某发布"] == AccountStatus.OPERATING  # filed 26 November: next year's review
    await world.say("zhangsan", "已注销 @某某发布 https://x.example.org/")
    assert world.last_text("zhangsan") == texts.cannot_close("某某发布", "operating")


async def test_unverified_accounts_are_reminded_weekly_until_verified(world: World) -> None:
    from schedules.verification import remind_unverified

    async def run(when: datetime) -> int:
        world.clock.now = when
        n = await remind_unverified(when, world.bot.deps)
        await world.settle()
        return n

    assert await run(at(2026, 11, 30, 10, 0)) == 0  # filed on the 26th: not a week yet
    assert await run(at(2026, 12, 3, 10, 0)) == 3
    assert world.texts("zhangsan")[-1] == texts.verify_reminder("某某发布")
    assert await run(at(2026, 12, 4, 10, 0)) == 0  # once a week
    await world.say("zhangsan", "已认证 @某某发布")
    assert await run(at(2026, 12, 7, 10, 0)) == 2  # the next week, the two still unverified
    assert sum(t == texts.verify_reminder("某某发布") for t in world.texts("zhangsan")) == 1


async def test_inquiry_deadline_ladder_until_the_answer(world: World) -> None:
    from models import Inquiry
    from schedules.inquiries import remind_inquiry_deadlines

    async def run(when: datetime) -> int:
        world.clock.now = when
        n = await remind_inquiry_deadlines(when, world.bot.deps)
        await world.settle()
        return n

    world.clock.now = at(2026, 11, 26, 10, 0)
    await world.say("wujiu", "咨询 @某某服务 办事指南在哪里？来自 热线")
    assert await run(at(2026, 11, 26, 11, 59)) == 0
    assert await run(at(2026, 11, 26, 12, 0)) == 1  # 2 working hours unclaimed: the officers
    assert world.texts("wujiu")[-1] == texts.inquiry_unclaimed("Q1", "某某服务")
    await world.tap("wujiu", world.channel.last_card("wujiu", "inq-"), "承诺时限")
    await world.tap("wujiu", world.channel.last_card("wujiu", "inqd-"), "1个工作日")  # Fri 17:59
    assert await run(at(2026, 11, 26, 15, 0)) == 0  # 1 day + 3 h away
    assert await run(at(2026, 11, 27, 10, 0)) == 1  # less than a working day: the owner
    assert world.texts("wujiu")[-1].startswith("【答复提醒】你承办的咨询 Q1")
    assert await run(at(2026, 11, 30, 9, 0)) == 1  # overdue: the head
    assert world.texts("zhouba")[-1].startswith("【答复逾期】「某某服务」的咨询 Q1")
    assert await run(at(2026, 12, 2, 17, 0)) == 0
    assert await run(at(2026, 12, 3, 10, 0)) == 1  # 3 working days overdue: the Information Center
    assert world.texts("wangwu")[-1].startswith("【答复严重逾期】服务中心「某某服务」的咨询 Q1")
    await world.say("wujiu", "回复 Q1 在官网办事指南栏目。")
    await world.say("wujiu", "咨询 @某某服务 第二个问题")
    await world.say("wujiu", "回复 Q2 已答复")
    assert await run(at(2026, 12, 10, 10, 0)) == 0  # answered: the ladders end
    assert await Inquiry.filter(status="answered").count() == 2
