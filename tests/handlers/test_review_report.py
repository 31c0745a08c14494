"""Handing in the annual review report (Art. 5 第五条) with the bot's own figures (Art. 11 第十一条,
Art. 12 第十二条 counted as the rest of the bot counts them), to the Information Center admins the
account does not concern (Art. 6 第六条, 谁审批、谁监管), and its history.

Proves: ``年审 @账号`` shows the owner the year's figures before asking for the report; the
figures are frozen on the report and shown on the Information Center's card; after a 不合格 the
administrator hands in a new report at any time (in December too); an account stopped because no
report came in by the deadline may not (it must be closed), and is told why; a report while another
waits is refused naming it; ``年审记录 @账号`` lists every report with its verdict, judge, reason
and figures."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot import texts
from bot.figures import card_fields, figures_summary, render_figures, year_figures
from models import Account, AccountStatus, Draft, Person, Publication, ReviewReport, ReviewStatus
from tests.conftest import World

TZ = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


async def running(world: World) -> Account:
    """某某发布 filed on 2 November and posting; the clock on Friday 27 November 2026."""
    account = await Account.get(name="某某发布")
    await Account.filter(id=account.id).update(status=AccountStatus.OPERATING,
                                               created_at=at(2025, 1, 6, 9, 0),
                                               filed_at=at(2026, 11, 2, 9, 0))
    zhangsan = await Person.get(code="zhangsan")
    for day in (3, 10, 17):
        when = at(2026, 11, day, 10, 0)
        draft = await Draft.create(account_id=account.id, author_id=zhangsan.id, created_at=when,
                                   updated_at=when)
        await Publication.create(draft_id=draft.id, account_id=account.id, version=1, content_hash=f"{day}",
                                 url=f"https://mp.weixin.qq.com/s/{day}", recorded_by_id=zhangsan.id,
                                 published_at=when)
    world.clock.now = at(2026, 11, 27, 10, 0)
    return await Account.get(id=account.id)


async def test_figures_shown_then_frozen_on_the_report_and_the_card(world: World) -> None:
    """Art. 5: the owner sees the bot's figures, adds a file; the report keeps the figures and the
    Information Center's card shows them. Art. 6: the card goes to the IC admins the account does
    not concern."""
    account = await running(world)
    expected = await year_figures(account, 2026, world.clock.now, world.bot.deps.calendar)
    assert (expected["posts"], expected["periods"], expected["periods_kept"]) == (3, 9, 3)
    await world.say("zhangsan", "年审 @某某发布")
    said = world.texts("zhangsan")
    assert said[-2:] == [render_figures(expected), texts.ASK_REVIEW_REPORT]
    await world.file("zhangsan", b"PK report", "某某发布2026年审报告.docx")
    assert world.last_text("zhangsan") == texts.review_submitted("N1", "某某发布")
    report = await ReviewReport.get(account_id=account.id)
    assert report.figures == expected and report.file_name == "某某发布2026年审报告.docx"
    card = world.channel.last_card("wangwu", "review-")
    assert card.fields == ((texts.FIELD_SUBMITTER, "张三"), *card_fields(expected))
    assert ("发布", "3 篇") in card.fields and ("按期更新", "33%（3/9）") in card.fields
    assert world.channel.last_card("zhaoliu", "review-").card_id == card.card_id
    # Later records do not change the report's figures (the IC judges what was handed in).
    await Account.filter(id=account.id).update(post_every_days=1)
    assert (await ReviewReport.get(id=report.id)).figures == expected


async def test_a_report_in_one_message_tells_the_figures_it_carries(world: World) -> None:
    """Art. 5: ``年审 @账号 报告`` at once: the figures are attached and the owner is told which."""
    account = await running(world)
    expected = await year_figures(account, 2026, world.clock.now, world.bot.deps.calendar)
    await world.say("zhangsan", "年审 @某某发布 全年运行正常。")
    attached = texts.review_figures_attached("某某发布", render_figures(expected))
    assert world.texts("zhangsan")[-2:] == [attached, texts.review_submitted("N1", "某某发布")]
    assert (await ReviewReport.get(account_id=account.id)).figures == expected


async def test_the_card_skips_every_admin_the_account_concerns(world: World) -> None:
    """Art. 6: the IC officer who administers an account does not get its review card."""
    account = await Account.get(name="某某服务")
    zhaoliu = await Person.get(code="zhaoliu")
    await Account.filter(id=account.id).update(admin_id=zhaoliu.id, status=AccountStatus.OPERATING)
    world.clock.now = at(2026, 11, 27, 10, 0)
    await world.say("zhaoliu", "年审 @某某服务 报告正文")
    assert world.last_text("zhaoliu") == texts.review_submitted("N1", "某某服务")
    assert world.channel.last_card("wangwu", "review-").card_id == "review-1"
    assert not world.channel.cards_to("zhaoliu")


async def test_a_report_while_one_waits_is_refused_naming_it(world: World) -> None:
    """Art. 5: one report waits for judgement at a time; the second says which one waits."""
    await running(world)
    await world.say("zhangsan", "年审 @某某发布 第一份")
    await world.say("lisi", "年审 @某某发布 第二份")
    assert world.last_text("lisi") == texts.review_waiting("某某发布", "N1", world.clock.now)
    assert await ReviewReport.all().count() == 1


async def test_a_new_report_after_a_fail_in_december_then_history(world: World) -> None:
    """Art. 5: 不合格 stops the account; the administrator hands in a new report in December (outside
    the November window) and the Information Center gets it like any other; ``年审记录`` lists both
    reports, 不合格 then 合格, with dates, who, judge, reason and figures."""
    account = await running(world)
    zhangsan, wangwu = await Person.get(code="zhangsan"), await Person.get(code="wangwu")
    await world.say("zhangsan", "年审 @某某发布 第一份")
    first = await ReviewReport.get(account_id=account.id)
    await ReviewReport.filter(id=first.id).update(status=ReviewStatus.FAILED, decided_by_id=wangwu.id,
                                                  decided_at=at(2026, 11, 28, 9, 0), reason="数据不全")
    await Account.filter(id=account.id).update(status=AccountStatus.MUST_STOP,
                                               stopped_at=at(2026, 11, 28, 9, 0),
                                               stop_reason="年审不合格：数据不全")
    world.clock.now = at(2026, 12, 3, 10, 0)
    await world.say("zhangsan", "年审 @某某发布 补充了全年数据")
    assert world.last_text("zhangsan") == texts.review_submitted("N2", "某某发布")
    second = await ReviewReport.get(id=2)
    assert (second.year, second.status, second.text) == (2026, ReviewStatus.SUBMITTED, "补充了全年数据")
    assert second.figures is not None and second.figures["as_of"] == "2026-12-03"
    assert world.channel.last_card("wangwu", "review-").card_id == "review-2"
    await ReviewReport.filter(id=2).update(status=ReviewStatus.PASSED, decided_by_id=wangwu.id,
                                           decided_at=at(2026, 12, 4, 9, 0))

    await world.say("chenqi", "年审记录 @某某服务")
    assert world.last_text("chenqi") == texts.not_responsible_for("某某服务")
    await world.say("lisi", "年审记录 @某某发布")
    history = world.last_text("lisi")
    assert history == texts.review_history("某某发布", [
        texts.review_history_line("N1", 2026, at(2026, 11, 27, 10, 0), "张三", "failed", "王五",
                                  at(2026, 11, 28, 9, 0), "数据不全", "", figures_summary(first.figures)),
        texts.review_history_line("N2", 2026, at(2026, 12, 3, 10, 0), "张三", "passed", "王五",
                                  at(2026, 12, 4, 9, 0), "", "", figures_summary(second.figures)),
    ])
    assert "不合格（王五 2026-11-28），理由：数据不全" in history and "：合格（王五 2026-12-04）" in history
    assert "发布 3 篇" in history and zhangsan.name in history
    await world.say("wangwu", "年审记录 @某某发布")  # the Information Center too
    assert world.last_text("wangwu") == history


async def test_a_late_report_from_an_account_stopped_for_none_is_refused(world: World) -> None:
    """Art. 5: an account that handed in no report by the deadline may not run on: it must be
    closed, and a report in December is refused with that reason (an old 不合格 of 2025 changes
    nothing); nothing is recorded, nobody else is told."""
    account = await Account.get(name="某某服务")
    wangwu = await Person.get(code="wangwu")
    await ReviewReport.create(account_id=account.id, year=2025, text="去年", submitted_by_id=wangwu.id,
                              submitted_at=at(2025, 11, 20, 9, 0), status=ReviewStatus.FAILED,
                              decided_by_id=wangwu.id, decided_at=at(2025, 11, 21, 9, 0))
    await Account.filter(id=account.id).update(status=AccountStatus.MUST_STOP,
                                               stopped_at=at(2026, 12, 1, 9, 0), stop_reason="")
    world.clock.now = at(2026, 12, 2, 10, 0)
    await world.say("wujiu", "年审 @某某服务 迟交的报告")
    assert world.last_text("wujiu") == texts.review_no_report_stopped("某某服务")
    await world.say("wujiu", "年审 @某某服务")
    assert world.last_text("wujiu") == texts.review_no_report_stopped("某某服务")
    assert await ReviewReport.all().count() == 1
    assert not world.channel.cards_to("wangwu")


async def test_outside_november_or_after_a_pass_nothing_is_taken(world: World) -> None:
    """Art. 5: an account running normally hands in its report in November, once it passed no more."""
    account = await running(world)
    wangwu = await Person.get(code="wangwu")
    await ReviewReport.create(account_id=account.id, year=2026, text="报告", submitted_by_id=wangwu.id,
                              submitted_at=at(2026, 11, 5, 9, 0), status=ReviewStatus.PASSED)
    await world.say("zhangsan", "年审 @某某发布 再交一份")
    assert world.last_text("zhangsan") == texts.review_already_passed("某某发布", 2026, "N1")
    world.clock.now = at(2026, 12, 10, 10, 0)
    await world.say("zhangsan", "年审 @某某头条 报告")
    assert world.last_text("zhangsan") == texts.review_not_open("某某头条")
    assert await ReviewReport.all().count() == 1
