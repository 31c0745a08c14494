"""The November annual review (Art. 5, 第五条), driven by explicit times from 30 October to
15 December: kickoff, weekly and last reminders, reports judged by the Information Center,
"must stop" on 1 December, weekly reminders until 已注销 closes the account.

The campaign reaches everyone on the day (issue 13, point 11): each step goes out in the run that
finds it due, one message per person listing every account they answer for (an administrator of
three accounts gets one kickoff naming the three; a head one naming the department's), a rerun
sends nothing, and an account added later gets its own notice at the next run; likewise the last
warning and the must-stop notices. A list of hundreds names twenty and counts the rest."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot import texts
from models import Account, AccountStatus, OutboxMessage, Person, ReviewReport, ReviewStatus
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
    await Account.all().update(created_at=at(2026, 1, 5, 10, 0), status=AccountStatus.OPERATING)
    assert await sweep(world, at(2026, 10, 30, 10, 0)) == 0
    assert await sweep(world, at(2026, 11, 2, 10, 0)) == 3  # kickoff for each account
    assert world.texts("zhangsan")[-1].startswith("【2026年度年审】「某某发布」请于 11月30日（含）前")
    lisi = [t for t in world.texts("lisi") if t.startswith("【2026年度年审】")]
    assert len(lisi) == 1 and "「某某发布」" in lisi[0] and "「某某头条」" in lisi[0]  # one message
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
    reason = "全年仅发布 8 篇，达不到要求"
    assert world.last_text("lisi") == texts.review_stopped_failed("某某头条", 2026, reason)

    assert (await Account.get(name="某某头条")).status == AccountStatus.MUST_STOP  # at once
    assert await sweep(world, at(2026, 11, 9, 10, 0)) == 1  # weekly: 服务 (头条 stopped already)
    assert world.texts("wujiu")[-1].startswith("【年审提醒】「某某服务」")
    assert await sweep(world, at(2026, 11, 25, 10, 0)) == 1  # the last warning
    assert world.texts("wujiu")[-1].startswith("【年审最后提醒】「某某服务」")

    assert await sweep(world, at(2026, 12, 1, 10, 0)) == 1  # must stop: 服务 (no report)
    statuses = dict(await Account.all().values_list("name", "status"))
    assert statuses == {"某某发布": AccountStatus.OPERATING, "某某头条": AccountStatus.MUST_STOP,
                        "某某服务": AccountStatus.MUST_STOP}
    assert world.texts("zhouba")[-1] == texts.review_must_stop("某某服务", 2026, "head")
    assert texts.review_must_stop_center([("某某服务", "服务中心")], 2026) in world.texts("wangwu")
    await world.say("chenqi", "投稿 @某某头条 1 标题\n正文")  # Art. 5: no drafts any more
    assert world.last_text("chenqi") == texts.account_stopped(
        "某某头条", "must_stop", texts.stop_reason_failed(2026, reason), texts.DOING_DRAFT)

    assert await sweep(world, at(2026, 12, 8, 10, 0)) == 2  # weekly until closed
    assert world.texts("wujiu")[-1] == texts.review_close_reminder("某某服务")
    # Closed on the platform (the 注销 flow itself: tests/handlers/test_closing.py): the chase ends.
    await Account.filter(name__in=["某某服务", "某某头条"]).update(status=AccountStatus.CLOSED,
                                                              closed_at=at(2026, 12, 9, 10, 0))
    assert await sweep(world, at(2026, 12, 15, 10, 0)) == 0  # nothing left to chase
    await world.say("zhangsan", "年审 @某某发布 补充")
    assert world.last_text("zhangsan") == texts.review_not_open("某某发布")
    assert await ReviewReport.filter(status=ReviewStatus.PASSED).count() == 1


async def test_an_account_filed_during_the_campaign_is_not_stopped(world: World) -> None:
    await Account.all().update(status=AccountStatus.OPERATING)
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

    # Filed on the 26th (an imported account without a filing date waits for its filing, Art. 4).
    await Account.all().update(status=AccountStatus.OPERATING, filed_at=at(2026, 11, 26, 9, 0),
                               verified_at=None)  # the demo file says two were verified

    assert await run(at(2026, 11, 30, 10, 0)) == 0  # filed on the 26th: not a week yet
    assert await run(at(2026, 12, 3, 10, 0)) == 3
    assert world.texts("zhangsan")[-1] == texts.verify_reminder("某某发布")
    assert await run(at(2026, 12, 4, 10, 0)) == 0  # once a week
    await world.say("zhangsan", "已认证 @某某发布 https://mp.weixin.qq.com/s/verified-page")
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

    await Account.all().update(status=AccountStatus.OPERATING, filed_at=at(2026, 11, 26, 9, 0))
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


async def review_texts(world: World, who: str, head: str) -> list[str]:
    return [t for t in world.texts(who) if t.startswith(head)]


async def campaign_world(world: World) -> None:
    """张三 administers all three accounts (two in 李四's 宣传科, one in 周八's 服务中心)."""
    zhangsan = await Person.get(code="zhangsan")
    await Account.all().update(created_at=at(2026, 1, 5, 10, 0), status=AccountStatus.OPERATING,
                               admin_id=zhangsan.id)


async def add_account(name: str, status: AccountStatus = AccountStatus.OPERATING) -> Account:
    first = await Account.get(name="某某发布")
    return await Account.create(name=name, platform=first.platform, department_id=first.department_id,
                                admin_id=first.admin_id, status=status, created_at=at(2026, 1, 5, 10, 0))


async def outbox_rows() -> int:
    return await OutboxMessage.filter(key__startswith="rem:review:").count()


async def test_one_kickoff_per_person_listing_their_accounts(world: World) -> None:
    """Art. 5: the administrator of three accounts gets ONE kickoff naming the three, with what
    is asked of each; the head one naming his department's two; a rerun sends nothing; an account
    added after the kickoff gets its own notice at the next run."""
    await campaign_world(world)
    assert await sweep(world, at(2026, 11, 2, 10, 0)) == 3  # three accounts kicked off in one run
    [mine] = await review_texts(world, "zhangsan", "【2026年度年审】")
    assert mine.startswith("【2026年度年审】你负责的 3 个账号须于 11月30日（含）前提交年审报告")
    assert "\n· 请你提交（你是管理员）：「某某发布」、「某某头条」、「某某服务」\n" in mine
    [head] = await review_texts(world, "lisi", "【2026年度年审】")
    assert "\n· 请督促提交（你是部门负责人）：「某某发布」、「某某头条」\n" in head
    assert "某某服务" not in head  # another department's account
    assert await review_texts(world, "zhouba", "【2026年度年审】") == [
        texts.review_kickoff("某某服务", 2026, "11月30日")]  # one account: the single wording
    assert await outbox_rows() == 3

    assert await sweep(world, at(2026, 11, 2, 15, 0)) == 0  # a rerun sends nothing
    assert await outbox_rows() == 3

    await add_account("某某视频")
    assert await sweep(world, at(2026, 11, 3, 10, 0)) == 1  # its own notice, to its own people
    assert (await review_texts(world, "zhangsan", "【2026年度年审】"))[1:] == [
        texts.review_kickoff("某某视频", 2026, "11月30日")]
    assert (await review_texts(world, "lisi", "【2026年度年审】"))[1:] == [
        texts.review_kickoff("某某视频", 2026, "11月30日")]
    assert len(await review_texts(world, "zhouba", "【2026年度年审】")) == 1
    assert await sweep(world, at(2026, 11, 3, 11, 0)) == 0


async def test_last_warning_and_must_stop_one_message_per_person(world: World) -> None:
    """Art. 5: the last warning (25 Nov) and the must-stop notices (1 Dec) are one message per
    person listing the accounts; the Information Center gets one list by department; reruns send
    nothing; an account that must stop later is told at the next run."""
    await campaign_world(world)
    await sweep(world, at(2026, 11, 2, 10, 0))
    assert await sweep(world, at(2026, 11, 25, 10, 0)) == 3
    [last] = await review_texts(world, "zhangsan", "【年审最后提醒】")
    assert last.startswith("【年审最后提醒】你负责的 3 个账号还没有提交2026年度年审报告，截止 11月30日")
    assert all(f"「{n}」" in last for n in ("某某发布", "某某头条", "某某服务"))
    assert len(await review_texts(world, "lisi", "【年审最后提醒】")) == 1
    assert await sweep(world, at(2026, 11, 25, 16, 0)) == 0
    await add_account("某某视频")
    assert await sweep(world, at(2026, 11, 26, 10, 0)) == 2  # its kickoff and its last warning
    assert (await review_texts(world, "zhangsan", "【年审最后提醒】"))[1:] == [
        texts.review_reminder("某某视频", 2026, "11月30日", True)]

    assert await sweep(world, at(2026, 12, 1, 10, 0)) == 4
    [stop] = await review_texts(world, "zhangsan", "【停止运行】")
    assert stop.startswith("【停止运行】你负责的 4 个账号未在截止日前提交2026年度年审报告")
    assert "· 你是管理员：「某某发布」、「某某头条」、「某某服务」、「某某视频」\n" in stop
    [center] = await review_texts(world, "wangwu", "【停止运行】")
    assert center.startswith("【停止运行】4 个账号") and "· 服务中心：「某某服务」\n" in center
    assert "· 宣传科：「某某发布」、「某某头条」、「某某视频」\n" in center
    [lisi] = await review_texts(world, "lisi", "【停止运行】")
    assert "· 你是部门负责人：「某某发布」、「某某头条」、「某某视频」\n" in lisi and "某某服务" not in lisi
    sent = await outbox_rows()
    assert await sweep(world, at(2026, 12, 1, 15, 0)) == 0
    assert await outbox_rows() == sent

    late = await add_account("某某直播", AccountStatus.MUST_STOP)  # e.g. stopped by hand since
    assert await sweep(world, at(2026, 12, 2, 10, 0)) == 1
    assert (await review_texts(world, "zhangsan", "【停止运行】"))[1:] == [
        texts.review_must_stop(late.name, 2026, "admin")]
    assert (await review_texts(world, "wangwu", "【停止运行】"))[1:] == [
        texts.review_must_stop_center([(late.name, "宣传科")], 2026)]

    assert await sweep(world, at(2026, 12, 8, 10, 0)) == 5  # the weekly closing reminder, one each
    [close] = await review_texts(world, "zhangsan", "【注销提醒】")
    assert close.startswith("【注销提醒】你负责的 5 个账号须停止运行，但尚未注销")


async def test_a_head_of_hundreds_gets_one_readable_message(world: World) -> None:
    """Art. 5: 45 accounts in one department: the head gets one kickoff naming the first twenty
    and counting the rest, within WeCom's 2,048 bytes of text; all 45 are recorded in one run."""
    await campaign_world(world)
    first = await Account.get(name="某某发布")
    await Account.bulk_create([Account(name=f"宣传科第{n:02d}号政务新媒体账号", platform=first.platform,
                                       department_id=first.department_id, status=AccountStatus.OPERATING,
                                       created_at=at(2026, 1, 5, 10, 0)) for n in range(43)])
    assert await sweep(world, at(2026, 11, 2, 10, 0)) == 46
    [head] = await review_texts(world, "lisi", "【2026年度年审】")
    assert head.startswith("【2026年度年审】你负责的 45 个账号")
    line = next(x for x in head.splitlines() if x.startswith("· 请督促提交（你是部门负责人）："))
    assert line.count("「") == 20 and line.endswith("」等 45 个账号")
    assert len(head.encode()) <= 2048
    assert len(await review_texts(world, "lisi", "【2026年度年审】")) == 1
    assert await sweep(world, at(2026, 11, 2, 11, 0)) == 0


async def test_a_racing_writer_writes_nothing(world: World) -> None:
    """Art. 5: the per-account reminder keys decide. If another writer recorded one of the
    accounts between the check and the write, the whole batch (reminders and messages) is
    refused and nothing goes out twice; the next run decides again."""
    from bot.cards import Text
    from bot.reminders import Send, remind_many
    from models import Reminder

    now = at(2026, 11, 2, 10, 0)
    zhangsan = await Person.get(code="zhangsan")
    send = (Send(zhangsan, Text("x")), "rem:review:p1:kickoff:2026:test")
    assert await remind_many("review", [("1", "kickoff", "2026")], [send], deps=world.bot.deps, now=now)
    assert not await remind_many("review", [("2", "kickoff", "2026"), ("1", "kickoff", "2026")],
                                 [(send[0], "rem:review:p1:kickoff:2026:other")], deps=world.bot.deps,
                                 now=now)
    assert await Reminder.filter(kind="review").values_list("subject", flat=True) == ["1"]
    assert await outbox_rows() == 1
