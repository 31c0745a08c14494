"""Art. 5 (未提交年审报告或审查不合格的，该平台不得继续运行) and Art. 6 (谁审批、谁监管), issue 18: a
judgement given from the console is ``bot.judging.judge`` called directly (``via="console"``), the
same function the chat card calls: the guarded transition (a second judgement loses, saying how it
was decided), the audit line saying it came from the console, every copy of the chat card closed
(the recording channel shows the update), 不合格 with its reason in the same form stopping the
account, voiding its pending drafts and telling the administrator, head and 主管领导 with the
reason (the sweep does not tell them again), 合格 restoring a stopped account; refused for a judge
the report concerns, for a closed account, for someone outside the Information Center.
"""

from __future__ import annotations

from bot import texts
from bot.judging import Judged, JudgeResult, judge
from models import (
    Account,
    AccountStatus,
    AuditEvent,
    Draft,
    DraftStatus,
    Person,
    Prompt,
    ReviewReport,
    ReviewStatus,
)
from tests.conftest import World
from tests.handlers.test_review_stop import NAME, draft, setup
from tests.schedules.test_review import at, sweep

IC = ("wangwu", "zhaoliu")
PEOPLE = ("zhangsan", "lisi", "sunshi")  # administrator, head, 主管领导 (setup)
REASON = "全年仅发布 8 篇，远低于每 1-3 天一篇的要求"


async def submitted(world: World, text: str = "全年发布 8 篇。") -> ReviewReport:
    """A report of 某某发布 handed in by 张三 at the clock's time; its card is with 王五 and 赵六."""
    await world.say("zhangsan", f"年审 @{NAME} {text}")
    report = await ReviewReport.filter(account__name=NAME).order_by("-id").first()
    assert report is not None and report.status == ReviewStatus.SUBMITTED
    return report


async def console(world: World, report: ReviewReport, ok: bool, who: str = "wangwu",
                  reason: str | None = None) -> JudgeResult:
    """Judge from the page: the call, then the commit's wake-up and delivery."""
    result = await judge(report.id, ok, by=await Person.get(code=who), now=world.clock.now,
                         deps=world.bot.deps, reason=reason, via="console")
    await world.settle()
    return result


def updated(world: World, who: str, card_id: str) -> list[str]:
    """The titles of the updates of ``card_id`` the channel made on ``who``'s copy."""
    return [card.title for address, _, card in world.channel.updates
            if address == who and card.card_id == card_id]


async def test_failed_from_the_console_with_its_reason(world: World) -> None:
    await setup(world)
    world.clock.now = at(2026, 11, 3, 9, 0)
    pending = await draft(world, "冬季供暖服务指南")
    world.clock.now = at(2026, 11, 3, 10, 0)
    report = await submitted(world)
    card = world.channel.last_card("wangwu", f"review-{report.id}")

    result = await console(world, report, False, reason=REASON + "。")
    assert result == JudgeResult(Judged.FAILED, texts.FAIL_REASON_TOLD)
    assert result.judged and not result.ask_reason
    report = await ReviewReport.get(id=report.id)
    wangwu = await Person.get(code="wangwu")
    assert (report.status, report.decided_by_id, report.decided_at, report.reason) == (
        ReviewStatus.FAILED, wangwu.id, at(2026, 11, 3, 10, 0), REASON + "。")
    account = await Account.get(name=NAME)
    assert account.status == AccountStatus.MUST_STOP
    assert account.stopped_at == at(2026, 11, 3, 10, 0)
    assert account.stop_reason == texts.stop_reason_failed(2026, REASON + "。")
    assert (await Draft.get(id=pending.id)).status == DraftStatus.WITHDRAWN
    told = texts.review_stopped_failed(NAME, 2026, REASON + "。")
    for who in PEOPLE:
        assert world.last_text(who) == told
    title = f"年审报告 {report.ref}「{NAME}」：不合格"
    for who in IC:  # the card in chat closed on every copy, as the recording channel updated it
        assert updated(world, who, card.card_id) == [title]
        state = world.channel.card_state(who, card.card_id)
        assert state.buttons == () and state.status == "不合格 · 王五 · 10:00"
        assert state.fields == card.fields and state.body == card.body
    assert not await Prompt.filter(person_id=wangwu.id).exists()  # nothing asked in chat
    lines = {e.action: e for e in await AuditEvent.filter(actor="wangwu")}
    assert lines["review_failed"].detail == {"report": report.ref, "year": 2026, "via": "console"}
    assert lines["account_stopped"].detail["via"] == "console"

    await sweep(world, at(2026, 11, 3, 11, 30))  # told with the reason: the sweep tells nobody again
    for who in PEOPLE:
        assert world.texts(who).count(told) == 1
        assert texts.review_stopped_failed(NAME, 2026, "") not in world.texts(who)


async def test_failed_with_the_reason_skipped_tells_without_one(world: World) -> None:
    await setup(world)
    world.clock.now = at(2026, 11, 3, 10, 0)
    report = await submitted(world)
    result = await console(world, report, False, reason="  ")
    assert result == JudgeResult(Judged.FAILED, texts.FAIL_REASON_SKIPPED_TOLD)
    assert (await ReviewReport.get(id=report.id)).reason == ""
    assert (await Account.get(name=NAME)).stop_reason == texts.stop_reason_failed(2026)
    for who in PEOPLE:
        assert world.last_text(who) == texts.review_stopped_failed(NAME, 2026, "")


async def test_failed_without_a_reason_asks_for_it(world: World) -> None:
    """The card's way (reason None): the account stops, nobody is told yet, the question is the text."""
    await setup(world)
    world.clock.now = at(2026, 11, 3, 10, 0)
    report = await submitted(world)
    result = await console(world, report, False)
    assert result == JudgeResult(Judged.FAILED, texts.ASK_FAIL_REASON, ask_reason=True)
    assert (await Account.get(name=NAME)).status == AccountStatus.MUST_STOP
    assert world.texts("sunshi") == []  # told once the reason is given (or the sweep, an hour on)


async def test_passed_restores_a_stopped_account_and_closes_the_card(world: World) -> None:
    await setup(world)
    world.clock.now = at(2026, 11, 3, 10, 0)
    await console(world, await submitted(world), False, reason="发布量过低")
    world.clock.now = at(2026, 11, 10, 10, 0)
    report = await submitted(world, "整改后：补发 40 篇。")
    card = world.channel.last_card("wangwu", f"review-{report.id}")

    result = await console(world, report, True)
    assert result == JudgeResult(Judged.PASSED, texts.passed_to_ic(report.ref, NAME))
    account = await Account.get(name=NAME)
    assert account.status == AccountStatus.OPERATING
    assert account.stopped_at is None and account.stop_reason == ""
    for who in PEOPLE:
        assert world.last_text(who) == texts.review_restored(NAME, 2026)
    for who in IC:
        assert updated(world, who, card.card_id) == [f"年审报告 {report.ref}「{NAME}」：合格"]
    restored = await AuditEvent.get(action="account_restored")
    assert restored.detail == {"report": report.ref, "status": "operating", "via": "console"}


async def test_passed_on_a_running_account_says_it_continues(world: World) -> None:
    await setup(world)
    world.clock.now = at(2026, 11, 3, 10, 0)
    report = await submitted(world)
    assert (await console(world, report, True)).outcome == Judged.PASSED
    assert world.last_text("zhangsan") == texts.review_passed(NAME, 2026)
    assert (await AuditEvent.get(action="review_passed")).detail["via"] == "console"


async def test_a_second_judgement_loses_and_says_how_it_went(world: World) -> None:
    """The page first, then the card's button (and the page again): one judgement, one audit line."""
    await setup(world)
    world.clock.now = at(2026, 11, 3, 10, 0)
    report = await submitted(world)
    card = world.channel.last_card("zhaoliu", f"review-{report.id}")
    assert (await console(world, report, True)).outcome == Judged.PASSED

    again = await console(world, report, False, who="zhaoliu", reason="不行")
    assert again == JudgeResult(Judged.ALREADY, texts.review_already(report.ref, "passed"))
    assert not again.judged
    await world.tap("zhaoliu", card, texts.BUTTON_FAIL)  # a copy tapped before the update landed
    assert world.last_text("zhaoliu") == texts.review_already(report.ref, "passed")
    assert (await ReviewReport.get(id=report.id)).status == ReviewStatus.PASSED
    assert (await Account.get(name=NAME)).status == AccountStatus.OPERATING
    assert await AuditEvent.filter(action__in=["review_passed", "review_failed"]).count() == 1


async def test_a_concerned_judge_is_refused(world: World) -> None:
    """Art. 6: 赵六 (Information Center) is the account's 主管领导: refused, nothing changes."""
    await setup(world)
    zhaoliu = await Person.get(code="zhaoliu")
    await Account.filter(name=NAME).update(leader_id=zhaoliu.id)
    world.clock.now = at(2026, 11, 3, 10, 0)
    report = await submitted(world)
    result = await console(world, report, False, who="zhaoliu", reason="不行")
    assert result == JudgeResult(Judged.CONCERNED, texts.decides_own(texts.decision_review(report.ref, NAME)))
    assert (await ReviewReport.get(id=report.id)).status == ReviewStatus.SUBMITTED
    assert (await Account.get(name=NAME)).status == AccountStatus.OPERATING
    assert not await AuditEvent.filter(action__in=["review_passed", "review_failed"]).exists()
    assert world.channel.updates == []


async def test_a_closed_account_is_not_judged(world: World) -> None:
    await setup(world)
    world.clock.now = at(2026, 11, 3, 10, 0)
    report = await submitted(world)
    await Account.filter(name=NAME).update(status=AccountStatus.CLOSED)
    result = await console(world, report, True)
    assert result == JudgeResult(Judged.CLOSED, texts.account_closed_nothing_to_do(
        NAME, texts.WHAT_REVIEW.format(ref=report.ref)))
    assert (await ReviewReport.get(id=report.id)).status == ReviewStatus.SUBMITTED


async def test_only_the_information_center_judges_a_report_that_exists(world: World) -> None:
    await setup(world)
    world.clock.now = at(2026, 11, 3, 10, 0)
    report = await submitted(world)
    assert (await console(world, report, True, who="lisi")).outcome == Judged.NOT_ALLOWED  # the head
    gone = await judge(report.id + 1000, True, by=await Person.get(code="wangwu"), now=world.clock.now,
                       deps=world.bot.deps, via="console")
    assert gone == JudgeResult(Judged.GONE, texts.EXPIRED_BUTTON)
    assert (await ReviewReport.get(id=report.id)).status == ReviewStatus.SUBMITTED
