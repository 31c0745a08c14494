"""Art. 5 (第五条: 未提交年审报告或审查不合格的，该平台不得继续运行) as a real organisation lives it,
through the real router and the review sweep:

- a report handed in on 27 November and not yet judged keeps the account running on 1 December;
  the Information Center is reminded of it every day from 25 November (one message per admin,
  listing every report waiting), also after 1 December, until it judges; 合格 then says the
  account may continue;
- no report by 30 November: the account must stop on 1 December, the stop is recorded (when, and
  "no report": an empty stop_reason), its pending drafts are voided, its 主管领导 is told with the
  reason (Art. 14) and everyone is pointed to the closing flow (注销 @账号 原因 with evidence);
- 不合格 on 3 November stops the account at once: drafts refused saying why, pending approval cards
  voided, 已发布 refused, the administrator, head and 主管领导 told with the Information Center's
  reason; a new report judged 合格 restores it (stop cleared) and drafts are taken again;
- Art. 6 (谁审批、谁监管): an Information Center admin concerned by the account cannot judge it;
- Art. 13, 14: a draft blocked for classified content is told to the account's 主管领导 as well;
- unfiled accounts (open on their platform, awaiting filing) take part in the review.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot import texts
from models import (
    Account,
    AccountStatus,
    Draft,
    DraftStatus,
    Person,
    Publication,
    ReviewReport,
    ReviewStatus,
)
from tests.conftest import World
from tests.schedules.test_review import at, sweep

TZ = ZoneInfo("Asia/Shanghai")
NAME = "某某发布"  # 宣传科 (head 李四), administered by 张三


async def setup(world: World) -> Person:
    """Every account filed long before the campaign; 某某发布's 主管领导 is 孙十, a deputy director
    who is neither its head nor its administrator."""
    leader = await Person.create(code="sunshi", name="孙十", title="副局长", wecom_userid="sunshi")
    await Account.all().update(created_at=at(2026, 1, 5, 10, 0), status=AccountStatus.OPERATING)
    await Account.filter(name=NAME).update(leader_id=leader.id)
    return leader


async def draft(world: World, title: str, *, submit: bool = True) -> Draft:
    await world.say("zhangsan", f"投稿 @{NAME} 1 {title}\n正文。")
    if submit:
        await world.tap("zhangsan", world.channel.last_card("zhangsan", "pv-"), texts.BUTTON_SUBMIT)
    return await Draft.filter(author__code="zhangsan").order_by("-id").first()  # type: ignore[return-value]


def waiting(world: World, who: str) -> list[str]:
    return [t for t in world.texts(who) if t.startswith("【年审待审核】")]


async def test_a_report_waiting_keeps_the_account_running_and_the_center_is_reminded_daily(
        world: World) -> None:
    """Handed in on 27 Nov, judged on 2 Dec: still operating on 1 Dec; each Information Center
    admin gets one message a day listing the reports waiting, until the judgement."""
    await setup(world)
    world.clock.now = at(2026, 11, 27, 10, 0)
    await world.say("zhangsan", f"年审 @{NAME} 全年发布 120 篇，互动回复及时，无违规。")
    await world.say("wujiu", "年审 @某某服务 全年发布 80 篇。")
    listed = texts.review_waiting_center([(NAME, "宣传科"), ("某某服务", "服务中心")])
    await sweep(world, at(2026, 11, 27, 11, 0))
    assert waiting(world, "wangwu") == [listed] and waiting(world, "zhaoliu") == [listed]
    # The campaign's first run comes after their reports (a catch-up): they are not asked for
    # the report they handed in; 某某头条's administrator, with none, is — once, with the last
    # warning that is due (the kickoff it would have had on 1 November is passed over).
    asked = [t for t in world.texts("zhangsan") + world.texts("wujiu") if t.startswith("【2026年度年审】")]
    assert asked == []
    review_told = [t for t in world.texts("chenqi") if t.startswith(("【2026年度年审】", "【年审"))]
    assert len(review_told) == 1 and review_told[0].startswith("【年审最后提醒】")
    await sweep(world, at(2026, 11, 27, 15, 0))
    assert len(waiting(world, "wangwu")) == 1  # once a day
    await world.tap("zhaoliu", world.channel.last_card("zhaoliu", "review-"), texts.BUTTON_PASS)
    assert (await ReviewReport.get(account__name="某某服务")).status == ReviewStatus.PASSED
    await sweep(world, at(2026, 11, 30, 10, 0))  # Monday: only the one still waiting
    assert waiting(world, "wangwu")[-1] == texts.review_waiting_center([(NAME, "宣传科")])

    await sweep(world, at(2026, 12, 1, 10, 0))
    account = await Account.get(name=NAME)
    assert account.status == AccountStatus.OPERATING and account.stopped_at is None
    assert (await Account.get(name="某某头条")).status == AccountStatus.MUST_STOP  # no report
    assert not any(NAME in t for t in world.texts("zhangsan") if t.startswith("【停止运行】"))
    assert len(waiting(world, "wangwu")) == 3  # and after 1 December, while it waits
    await sweep(world, at(2026, 12, 2, 9, 0))
    assert len(waiting(world, "wangwu")) == 4

    world.clock.now = at(2026, 12, 2, 10, 0)
    card = next(c for c in world.channel.cards_to("wangwu") if c.subtitle.startswith(f"「{NAME}」"))
    await world.tap("wangwu", card, texts.BUTTON_PASS)
    assert world.last_text("zhangsan") == texts.review_passed(NAME, 2026)
    assert (await Account.get(name=NAME)).status == AccountStatus.OPERATING
    await sweep(world, at(2026, 12, 3, 10, 0))
    assert len(waiting(world, "wangwu")) == 4  # nothing waits any more
    await draft(world, "十二月活动预告")
    assert (await Draft.filter(author__code="zhangsan").order_by("-id").first()).status == DraftStatus.PENDING  # type: ignore[union-attr]


async def test_no_report_stops_the_account_on_1_december_and_tells_its_leader(world: World) -> None:
    """No report by 30 Nov: must stop on 1 Dec with the stop recorded; the pending draft is voided
    with the reason on the head's card; the 主管领导 is told; everyone is pointed to 注销."""
    await setup(world)
    world.clock.now = at(2026, 11, 30, 10, 0)
    pending = await draft(world, "月末工作动态")
    assert pending.status == DraftStatus.PENDING
    approval = world.channel.last_card("lisi", "ap-")

    stop = at(2026, 12, 1, 10, 0)
    await sweep(world, stop)
    account = await Account.get(name=NAME)
    assert account.status == AccountStatus.MUST_STOP
    assert account.stopped_at == stop and account.stop_reason == ""  # "" = no report by the deadline
    told = texts.review_must_stop(NAME, 2026, "leader")
    assert world.texts("sunshi") == [told] and f"注销 @{NAME}" in told  # Art. 14, into the closing flow
    assert any(t.startswith("【停止运行】") and f"「{NAME}」" in t for t in world.texts("zhangsan"))

    why = texts.account_stopped_why(NAME, "must_stop", "")
    assert (await Draft.get(id=pending.id)).status == DraftStatus.WITHDRAWN
    state = world.channel.card_state("lisi", approval.card_id)
    assert state.status == texts.draft_voided_status(why) and state.buttons == ()
    assert texts.draft_voided_to_author(pending.ref, "月末工作动态", why) in world.texts("zhangsan")
    await world.tap("lisi", approval, "通过")  # a copy that missed the update
    assert world.last_text("lisi") == texts.account_stopped(NAME, "must_stop", "", texts.DOING_APPROVE)
    await world.say("zhangsan", f"投稿 @{NAME} 1 标题\n正文")
    assert world.last_text("zhangsan") == texts.account_stopped(NAME, "must_stop", "", texts.DOING_DRAFT)
    assert texts.NO_REPORT_STOP in world.last_text("zhangsan")

    assert await sweep(world, at(2026, 12, 1, 15, 0)) == 0  # told once
    assert len(world.texts("sunshi")) == 1


async def test_fail_on_3_november_stops_at_once_and_a_new_report_passed_restores(world: World) -> None:
    """不合格 on 3 Nov: must stop at once (not on 1 Dec); the pending card is voided, drafts and
    已发布 are refused saying why; administrator, head and 主管领导 get the reason. A new report,
    合格: operating again, stop cleared, drafts taken and 已发布 recorded."""
    await setup(world)
    world.clock.now = at(2026, 11, 3, 9, 0)
    approved = await draft(world, "秋季运动会")
    await world.tap("lisi", world.channel.last_card("lisi", "ap-"), "通过")
    assert (await Draft.get(id=approved.id)).status == DraftStatus.APPROVED
    pending = await draft(world, "冬季供暖服务指南")
    approval = world.channel.last_card("lisi", "ap-")

    world.clock.now = at(2026, 11, 3, 10, 0)
    await world.say("zhangsan", f"年审 @{NAME} 全年发布 8 篇。")
    await world.tap("wangwu", world.channel.last_card("wangwu", "review-"), texts.BUTTON_FAIL)
    account = await Account.get(name=NAME)
    assert account.status == AccountStatus.MUST_STOP  # at once, on the button
    assert account.stopped_at == at(2026, 11, 3, 10, 0)
    assert account.stop_reason == texts.stop_reason_failed(2026)
    assert (await Draft.get(id=pending.id)).status == DraftStatus.WITHDRAWN
    assert world.channel.card_state("lisi", approval.card_id).buttons == ()
    assert world.last_text("wangwu") == texts.ASK_FAIL_REASON

    reason = "全年仅发布 8 篇，远低于每 1-3 天一篇的要求"
    await world.say("wangwu", reason + "。")  # said as a sentence: the texts add their own stop
    assert world.last_text("wangwu") == texts.FAIL_REASON_TOLD
    stop_reason = texts.stop_reason_failed(2026, reason)
    assert (await Account.get(name=NAME)).stop_reason == stop_reason
    told = texts.review_stopped_failed(NAME, 2026, reason)
    for who in ("zhangsan", "lisi", "sunshi"):  # administrator, head, 主管领导
        assert world.last_text(who) == told
    assert reason in told and f"注销 @{NAME}" in told and f"年审 @{NAME}" in told
    assert "。。" not in told and "。，" not in told

    await world.say("zhangsan", f"投稿 @{NAME} 1 标题\n正文")
    assert world.last_text("zhangsan") == texts.account_stopped(NAME, "must_stop", stop_reason,
                                                                texts.DOING_DRAFT)
    assert reason in world.last_text("zhangsan")
    await world.say("zhangsan", f"已发布 {approved.ref} https://mp.example.org/s/1")
    assert world.last_text("zhangsan") == texts.account_stopped(NAME, "must_stop", stop_reason,
                                                                texts.DOING_PUBLISH)
    assert await Publication.all().count() == 0

    world.clock.now = at(2026, 11, 10, 10, 0)
    await world.say("zhangsan", f"年审 @{NAME} 整改后：补发 40 篇，建立周更计划。")  # a new report
    new = await ReviewReport.filter(account__name=NAME).order_by("-id").first()
    assert new is not None and new.status == ReviewStatus.SUBMITTED
    await world.tap("wangwu", world.channel.last_card("wangwu", "review-"), texts.BUTTON_PASS)
    account = await Account.get(name=NAME)
    assert account.status == AccountStatus.OPERATING
    assert account.stopped_at is None and account.stop_reason == ""
    for who in ("zhangsan", "lisi", "sunshi"):
        assert world.last_text(who) == texts.review_restored(NAME, 2026)
    await world.say("zhangsan", f"已发布 {approved.ref} https://mp.example.org/s/1")
    assert world.last_text("zhangsan") == texts.published(approved.ref, NAME)
    again = await draft(world, "整改后第一篇")
    assert again.status == DraftStatus.PENDING
    await sweep(world, at(2026, 12, 1, 10, 0))
    assert (await Account.get(name=NAME)).status == AccountStatus.OPERATING  # passed: runs on


async def test_an_information_center_admin_concerned_cannot_judge(world: World) -> None:
    """Art. 6: 赵六 (Information Center) is 某某发布's 主管领导: the card and the daily reminder go
    to 王五 only, and a tap by 赵六 is refused without judging."""
    await Account.all().update(created_at=at(2026, 1, 5, 10, 0), status=AccountStatus.OPERATING)
    zhaoliu = await Person.get(code="zhaoliu")
    await Account.filter(name=NAME).update(leader_id=zhaoliu.id)
    world.clock.now = at(2026, 11, 3, 10, 0)
    await world.say("zhangsan", f"年审 @{NAME} 全年发布 120 篇。")
    card = world.channel.last_card("wangwu", "review-")
    assert world.channel.cards_to("zhaoliu") == []
    await world.tap("zhaoliu", card, texts.BUTTON_FAIL)
    report = await ReviewReport.get(account__name=NAME)
    assert world.last_text("zhaoliu") == texts.decides_own(texts.decision_review(report.ref, NAME))
    assert report.status == ReviewStatus.SUBMITTED
    assert (await Account.get(name=NAME)).status == AccountStatus.OPERATING
    await sweep(world, at(2026, 11, 25, 10, 0))  # the daily reminder: only the admin who may judge
    assert waiting(world, "wangwu") == [texts.review_waiting_center([(NAME, "宣传科")])]
    assert waiting(world, "zhaoliu") == []


async def test_a_blocked_classified_draft_is_told_to_the_leader(world: World) -> None:
    """Art. 13, 14: screening blocks a classified marking; the 主管领导 hears of it."""
    await setup(world)
    await world.say("zhangsan", f"投稿 @{NAME} 1 通知\n本文件为机密，请勿外传。")
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "pv-"), texts.BUTTON_SUBMIT)
    assert world.texts("sunshi") == [texts.blocked_to_leader("D1", NAME, "张三", ["机密"])]


async def test_unfiled_accounts_take_part(world: World) -> None:
    """An account open on its platform but awaiting filing is an official account all the same:
    kicked off in November, stopped on 1 December without a report."""
    await setup(world)
    await Account.filter(name="某某服务").update(status=AccountStatus.UNFILED)
    await sweep(world, at(2026, 11, 2, 10, 0))
    assert world.texts("wujiu")[-1] == texts.review_kickoff("某某服务", 2026, "11月30日")
    await sweep(world, at(2026, 12, 1, 10, 0))
    assert (await Account.get(name="某某服务")).status == AccountStatus.MUST_STOP


async def test_a_fail_whose_reason_never_comes_is_told_by_the_sweep(world: World) -> None:
    """Art. 5, 14: 王五 taps 不合格 on two cards in a row (the second question replaces the first):
    the reason he then types goes with the second; the first account's people are told by the
    sweep an hour on, without a reason, once; nobody is told twice."""
    await setup(world)
    world.clock.now = at(2026, 11, 3, 10, 0)
    await world.say("zhangsan", f"年审 @{NAME} 全年发布 8 篇。")
    await world.say("chenqi", "年审 @某某头条 全年发布 5 篇。")
    cards = {c.subtitle: c for c in world.channel.cards_to("wangwu") if c.card_id.startswith("review-")}
    await world.tap("wangwu", cards[f"「{NAME}」2026年度"], texts.BUTTON_FAIL)
    await world.tap("wangwu", cards["「某某头条」2026年度"], texts.BUTTON_FAIL)
    await world.say("wangwu", "发布量过低")
    assert world.last_text("chenqi") == texts.review_stopped_failed("某某头条", 2026, "发布量过低")
    assert (await Account.get(name=NAME)).status == AccountStatus.MUST_STOP
    first = texts.review_stopped_failed(NAME, 2026, "")
    assert first not in world.texts("zhangsan")

    await sweep(world, at(2026, 11, 3, 10, 50))
    assert first not in world.texts("zhangsan")  # the reason may still come
    await sweep(world, at(2026, 11, 3, 11, 5))
    for who in ("zhangsan", "lisi", "sunshi"):
        assert world.texts(who).count(first) == 1
    await sweep(world, at(2026, 11, 4, 10, 0))
    assert world.texts("zhangsan").count(first) == 1
    assert world.texts("chenqi").count(texts.review_stopped_failed("某某头条", 2026, "发布量过低")) == 1


async def test_a_reason_given_after_the_sweep_told_follows(world: World) -> None:
    """Art. 5: the sweep told the 不合格 without a reason (none came within the hour); the reason
    typed afterwards reaches the same people as a follow-up, and the stop reason records it."""
    await setup(world)
    world.clock.now = at(2026, 11, 3, 10, 0)
    await world.say("zhangsan", f"年审 @{NAME} 全年发布 8 篇。")
    await world.tap("wangwu", world.channel.last_card("wangwu", "review-"), texts.BUTTON_FAIL)
    await sweep(world, at(2026, 11, 3, 11, 30))
    assert world.last_text("sunshi") == texts.review_stopped_failed(NAME, 2026, "")
    await world.say("wangwu", "发布量过低")
    for who in ("zhangsan", "lisi", "sunshi"):
        assert world.last_text(who) == texts.review_fail_reason_late(NAME, 2026, "发布量过低")
        assert world.texts(who).count(texts.review_stopped_failed(NAME, 2026, "")) == 1
    assert (await Account.get(name=NAME)).stop_reason == texts.stop_reason_failed(2026, "发布量过低")
