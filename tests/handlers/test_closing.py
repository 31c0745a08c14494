"""Closing an account (Art. 5 第五条: "须及时其注销账号或通过新媒体平台关闭其帐号"; Art. 6 第六条:
谁审批、谁监管), through the real router.

What it proves: the department head closes a running account at any time with evidence of the
deletion on the platform (a link in the command, or a screenshot sent next); the Information
Center confirms it on a card — another admin than the one who asked; only then is the account
CLOSED, the requester, the administrator, the head and the 主管领导 told, and every sweep falls
silent about it. An officer cannot close a running account; a must-stop account is closed through
the same flow by its administrator; the Information Center may return a request with a reason; a
second request while one waits, or one for a closed account, is refused saying who and when."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot import texts
from bot.cards import Document
from handlers.closing import ConfirmClosure
from models import Account, AccountStatus, OutboxMessage, Person
from schedules import run_sweeps
from tests.conftest import World

TZ = ZoneInfo("Asia/Shanghai")
LINK = "https://mp.weixin.qq.com/s/Xk3vQ9bZ2LmNc8TtR5yWqA"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


async def with_leader(world: World) -> Person:
    """某某发布's 主管领导 is a deputy director outside the department (the demo has the head)."""
    leader = await Person.create(code="sunshi", name="孙十", title="副局长", wecom_userid="sunshi")
    await Account.filter(name="某某发布").update(leader_id=leader.id)
    return leader


def mentions(world: World, who: str, account: str, since: int = 0) -> list[str]:
    return [t for t in world.texts(who)[since:] if f"「{account}」" in t]


async def test_the_head_closes_a_running_account_and_another_ic_admin_confirms(world: World) -> None:
    await with_leader(world)
    await world.say("lisi", f"注销 @某某发布 业务调整，不再运营 {LINK}")
    assert world.last_text("lisi") == texts.closure_requested("某某发布", ["王五", "赵六"])
    account = await Account.get(name="某某发布")
    lisi = await Person.get(code="lisi")
    assert account.status == AccountStatus.OPERATING  # nothing closes before the IC confirms
    assert (account.closure_requested_by_id, account.closure_reason, account.closure_evidence) == (
        lisi.id, "业务调整，不再运营", LINK)
    assert account.closure_requested_at == world.clock.now and account.closed_at is None
    card = world.channel.last_card("wangwu", "closure-")
    assert dict(card.fields)[texts.FIELD_EVIDENCE] == LINK
    assert world.channel.last_card("zhaoliu", "closure-").card_id == card.card_id

    await world.tap("lisi", card, texts.BUTTON_CONFIRM_CLOSURE)  # the head is not the IC
    assert world.last_text("lisi") == texts.ONLY_IC_CONFIRMS_CLOSURE
    world.clock.advance(hours=2)
    await world.tap("wangwu", card, texts.BUTTON_CONFIRM_CLOSURE)
    account = await Account.get(name="某某发布")
    wangwu = await Person.get(code="wangwu")
    assert account.status == AccountStatus.CLOSED
    assert account.closed_at == world.clock.now and account.closed_by_id == wangwu.id
    assert world.last_text("wangwu") == texts.closed("某某发布")
    told = texts.closure_confirmed("某某发布", "王五", world.clock.now, "业务调整，不再运营")
    for who in ("lisi", "zhangsan", "sunshi"):  # requester and head, administrator, 主管领导
        assert world.texts(who).count(told) == 1, who
    assert told not in world.texts("chenqi")  # the other officer runs another account
    assert texts.closed_to_ic("某某发布", "王五", LINK) in world.texts("zhaoliu")
    assert any(c.status.startswith("已确认注销 · 王五") for _, _, c in world.channel.updates)

    await world.tap("zhaoliu", world.channel.last_card("zhaoliu", "closure-"), texts.BUTTON_CONFIRM_CLOSURE)
    assert world.last_text("zhaoliu") == texts.closure_already_closed("某某发布", world.clock.now, "王五")
    assert await Account.filter(status=AccountStatus.CLOSED).count() == 1


async def test_every_sweep_falls_silent_about_a_closed_account(world: World) -> None:
    """Two accounts in the same state (unverified, silent since filing, no report): the one closed
    hears nothing from any sweep, the other is chased as before — so the sweeps did run."""
    await with_leader(world)
    await Account.filter(name__in=["某某发布", "某某头条"]).update(
        verified_at=None, last_published_at=at(2026, 9, 1, 10, 0), filed_at=at(2026, 9, 1, 10, 0),
        created_at=at(2026, 9, 1, 10, 0))
    await world.say("lisi", f"注销 @某某发布 部门职能调整 {LINK}")
    await world.tap("wangwu", world.channel.last_card("wangwu", "closure-"), texts.BUTTON_CONFIRM_CLOSURE)
    assert (await Account.get(name="某某发布")).status == AccountStatus.CLOSED
    marks = {who: len(world.texts(who)) for who in ("lisi", "zhangsan", "chenqi", "sunshi", "wangwu")}
    for when in (at(2026, 11, 30, 10, 0), at(2026, 12, 1, 10, 0), at(2026, 12, 8, 10, 0),
                 at(2027, 1, 12, 10, 0)):
        world.clock.now = when
        await run_sweeps(world.bot.deps, now=when)
        await world.settle()
    for who, mark in marks.items():
        assert mentions(world, who, "某某发布", mark) == [], who
    assert mentions(world, "chenqi", "某某头条", marks["chenqi"])  # the open one is still chased
    assert (await Account.get(name="某某发布")).status == AccountStatus.CLOSED


async def test_while_the_information_center_confirms_nobody_is_chased_to_post_or_verify(
        world: World) -> None:
    """The head has shown the account deleted on the platform: until the Information Center
    confirms, the cadence and verification reminders leave it alone (the other account not)."""
    await Account.filter(name__in=["某某发布", "某某头条"]).update(
        verified_at=None, last_published_at=at(2026, 9, 1, 10, 0), filed_at=at(2026, 9, 1, 10, 0),
        created_at=at(2026, 9, 1, 10, 0))
    await world.say("lisi", f"注销 @某某发布 部门职能调整 {LINK}")
    assert (await Account.get(name="某某发布")).closure_requested_at is not None
    marks = {who: len(world.texts(who)) for who in ("lisi", "zhangsan", "chenqi", "wangwu")}
    for when in (at(2026, 11, 30, 10, 0), at(2026, 12, 8, 10, 0)):
        world.clock.now = when
        await run_sweeps(world.bot.deps, ["cadence", "verify"], now=when)
        await world.settle()
    for who, mark in marks.items():
        assert mentions(world, who, "某某发布", mark) == [], who
    assert mentions(world, "chenqi", "某某头条", marks["chenqi"])


async def test_a_screenshot_sent_next_is_the_evidence(world: World) -> None:
    await world.say("zhouba", "已注销 @某某服务 部门撤并")  # the old word still works
    assert world.last_text("zhouba") == texts.ASK_CLOSURE_EVIDENCE
    await world.say("zhouba", "好的，马上截图")
    assert world.last_text("zhouba") == texts.ASK_CLOSURE_EVIDENCE_AGAIN
    await world.say("zhouba", "https//app.example.org")
    assert world.last_text("zhouba") == texts.bad_closure_link("https//app.example.org")
    assert (await Account.get(name="某某服务")).closure_requested_at is None
    await world.image("zhouba", b"\x89PNG closure screenshot")
    account = await Account.get(name="某某服务")
    assert account.closure_evidence == texts.EVIDENCE_SCREENSHOT
    assert account.closure_image == b"\x89PNG closure screenshot" and account.closure_reason == "部门撤并"
    card = world.channel.last_card("zhaoliu", "closure-")
    assert dict(card.fields)[texts.FIELD_EVIDENCE] == texts.closure_evidence_label(texts.EVIDENCE_SCREENSHOT)
    images = [m for m in world.channel.to("zhaoliu") if isinstance(m, Document)]
    assert [(d.name, d.data) for d in images] == [
        (texts.closure_screenshot_name("某某服务"), b"\x89PNG closure screenshot")]
    await world.tap("zhaoliu", card, texts.BUTTON_CONFIRM_CLOSURE)
    assert (await Account.get(name="某某服务")).status == AccountStatus.CLOSED
    told = texts.closure_confirmed("某某服务", "赵六", world.clock.now, "部门撤并")
    assert told in world.texts("zhouba") and told in world.texts("wujiu")


async def test_an_officer_cannot_close_a_running_account(world: World) -> None:
    await world.say("zhangsan", f"注销 @某某发布 不想做了 {LINK}")  # its administrator, an officer
    assert world.last_text("zhangsan") == texts.cannot_close("某某发布", "operating")
    assert "主要负责人或信息中心" in world.last_text("zhangsan")
    await world.say("wujiu", f"注销 @某某发布 不想做了 {LINK}")  # another department's officer
    assert world.last_text("wujiu") == texts.cannot_close("某某发布", "operating")
    account = await Account.get(name="某某发布")
    assert account.closure_requested_at is None and account.status == AccountStatus.OPERATING
    assert await OutboxMessage.filter(card_id__startswith="closure-").count() == 0


async def test_the_requester_in_the_information_center_cannot_confirm_it(world: World) -> None:
    await world.say("zhaoliu", f"注销 @某某头条 长期未更新，经研究关闭 {LINK}")
    assert world.last_text("zhaoliu") == texts.closure_requested("某某头条", ["王五"])
    assert world.channel.cards_to("zhaoliu") == []  # the card goes to the other admin only
    card = world.channel.last_card("wangwu", "closure-")
    await world.tap("zhaoliu", card, texts.BUTTON_CONFIRM_CLOSURE)
    assert world.last_text("zhaoliu") == texts.decides_own(texts.closure_subject("某某头条"))
    await world.tap("zhaoliu", card, texts.BUTTON_RETURN)
    assert world.last_text("zhaoliu") == texts.decides_own(texts.closure_subject("某某头条"))
    assert (await Account.get(name="某某头条")).status == AccountStatus.OPERATING
    await world.tap("wangwu", card, texts.BUTTON_CONFIRM_CLOSURE)
    assert (await Account.get(name="某某头条")).status == AccountStatus.CLOSED


async def test_the_only_information_center_admin_cannot_ask_alone(world: World) -> None:
    await Person.filter(code="zhaoliu").update(active=False)
    await world.say("wangwu", f"注销 @某某头条 长期未更新 {LINK}")
    assert world.last_text("wangwu") == texts.closure_no_other_ic("某某头条")
    assert (await Account.get(name="某某头条")).closure_requested_at is None
    await world.say("lisi", f"注销 @某某头条 长期未更新 {LINK}")  # the head can: 王五 confirms
    assert world.last_text("lisi") == texts.closure_requested("某某头条", ["王五"])


async def test_the_information_center_returns_a_request_with_its_reason(world: World) -> None:
    await world.say("lisi", "注销 @某某发布 业务调整 https://example.cn/notice")
    card = world.channel.last_card("wangwu", "closure-")
    await world.tap("wangwu", card, texts.BUTTON_RETURN)
    assert world.last_text("wangwu") == texts.ASK_CLOSURE_RETURN_REASON
    await world.say("wangwu", "链接是一则公告，看不出账号已注销，请补注销成功页面截图")
    assert world.last_text("wangwu") == texts.CLOSURE_RETURN_SENT
    assert world.last_text("lisi") == texts.closure_returned(
        "某某发布", "王五", "链接是一则公告，看不出账号已注销，请补注销成功页面截图")
    account = await Account.get(name="某某发布")
    assert account.status == AccountStatus.OPERATING and account.closure_requested_at is None
    assert account.closure_evidence == "" and account.closure_reason == ""
    assert any(c.status.startswith("已退回 · 王五") for _, _, c in world.channel.updates)
    await world.tap("zhaoliu", world.channel.last_card("zhaoliu", "closure-"), texts.BUTTON_CONFIRM_CLOSURE)
    assert world.last_text("zhaoliu") == texts.closure_already_decided("某某发布")
    assert (await Account.get(name="某某发布")).status == AccountStatus.OPERATING

    world.clock.advance(minutes=30)  # asked again, with a screenshot: a new card decides it
    await world.say("lisi", "注销 @某某发布 业务调整")
    await world.image("lisi", b"\x89PNG deleted")
    second = world.channel.last_card("wangwu", "closure-")
    assert second.card_id != card.card_id
    await world.tap("wangwu", card, texts.BUTTON_CONFIRM_CLOSURE)  # the returned request's card
    assert world.last_text("wangwu") == texts.closure_already_decided("某某发布")
    await world.tap("wangwu", second, texts.BUTTON_CONFIRM_CLOSURE)
    assert (await Account.get(name="某某发布")).status == AccountStatus.CLOSED


async def test_a_must_stop_account_is_closed_through_the_same_flow(world: World) -> None:
    await Account.filter(name="某某头条").update(
        status=AccountStatus.MUST_STOP, stopped_at=at(2026, 12, 1, 9, 0), stop_reason="")
    await world.say("wujiu", f"注销 @某某头条 {LINK}")  # another department's officer: no
    assert world.last_text("wujiu") == texts.cannot_close("某某头条", "must_stop")
    await world.say("chenqi", f"已注销 @某某头条 {LINK}")  # its administrator, as the notice says
    assert world.last_text("chenqi") == texts.closure_requested("某某头条", ["王五", "赵六"])
    account = await Account.get(name="某某头条")
    assert account.status == AccountStatus.MUST_STOP
    assert account.closure_reason == texts.closure_reason_must_stop("")
    # Asked for: the weekly "please close it" reminders stop while the Information Center confirms
    # (the other must-stop account, not asked for, still gets them).
    await Account.filter(name="某某服务").update(status=AccountStatus.MUST_STOP,
                                               stopped_at=at(2026, 12, 1, 9, 0), stop_reason="")
    marks = {who: len(world.texts(who)) for who in ("chenqi", "lisi", "wujiu")}
    world.clock.now = at(2026, 12, 8, 10, 0)
    await run_sweeps(world.bot.deps, ["review"], now=world.clock.now)
    await world.settle()
    assert mentions(world, "chenqi", "某某头条", marks["chenqi"]) == []
    assert mentions(world, "lisi", "某某头条", marks["lisi"]) == []
    assert mentions(world, "wujiu", "某某服务", marks["wujiu"])
    await world.tap("zhaoliu", world.channel.last_card("zhaoliu", "closure-"), texts.BUTTON_CONFIRM_CLOSURE)
    assert (await Account.get(name="某某头条")).status == AccountStatus.CLOSED
    told = texts.closure_confirmed("某某头条", "赵六", world.clock.now, account.closure_reason)
    assert told in world.texts("chenqi") and told in world.texts("lisi")
    assert (await Account.get(name="某某发布")).status == AccountStatus.OPERATING


async def test_a_second_request_or_a_closed_account_is_refused_saying_who_and_when(world: World) -> None:
    await world.say("lisi", f"注销 @某某发布 业务调整 {LINK}")
    asked = world.clock.now
    world.clock.advance(hours=1)
    await world.say("zhaoliu", f"注销 @某某发布 重复 {LINK}")
    assert world.last_text("zhaoliu") == texts.closure_waiting("某某发布", "李四", asked)
    await world.tap("wangwu", world.channel.last_card("wangwu", "closure-"), texts.BUTTON_CONFIRM_CLOSURE)
    closed_at = world.clock.now
    world.clock.advance(days=1)
    await world.say("lisi", f"注销 @某某发布 再来 {LINK}")
    assert world.last_text("lisi") == texts.closure_already_closed("某某发布", closed_at, "王五")
    assert "已于 2026-11-26 11:00 注销（王五 确认）" in world.last_text("lisi")


async def test_a_request_needs_a_reason_and_a_good_link(world: World) -> None:
    await world.say("lisi", f"注销 @某某发布 {LINK}")  # a running account: say why
    assert world.last_text("lisi") == texts.close_reason_needed("某某发布")
    await world.say("lisi", "注销 @某某发布 业务调整 http://")
    assert world.last_text("lisi") == texts.bad_closure_link("http://")
    await world.say("lisi", "注销 @某某发布 业务调整 javascript://alert(1)")
    assert world.last_text("lisi") == texts.bad_closure_link("javascript://alert(1)")
    await world.say("lisi", "注销")
    assert world.last_text("lisi") == texts.CLOSED_USAGE
    assert (await Account.get(name="某某发布")).closure_requested_at is None
    await world.say("lisi", "注销 @某某发布 业务调整")
    await world.say("lisi", "取消")
    assert world.last_text("lisi") == texts.EVIDENCE_CANCELLED
    assert (await Account.get(name="某某发布")).closure_requested_at is None


async def test_a_forged_or_stale_button_changes_nothing(world: World) -> None:
    from bot.cards import Button, Card
    account = await Account.get(name="某某发布")
    forged = Card(card_id="closure-x", title="x", buttons=(
        Button("确认注销", ConfirmClosure(account.id, 0, 1).pack()),
        Button("无此账号", ConfirmClosure(999999, 0, 1).pack())))
    await world.tap("wangwu", forged, "确认注销")  # no request waits
    assert world.last_text("wangwu") == texts.closure_already_decided("某某发布")
    await world.tap("wangwu", forged, "无此账号")
    assert world.last_text("wangwu") == texts.EXPIRED_BUTTON
    assert (await Account.get(name="某某发布")).status == AccountStatus.OPERATING


async def test_confirmed_closure_voids_the_pending_drafts(world: World) -> None:
    from models import Draft, DraftStatus

    await world.say("zhangsan", "投稿 @某某发布 1 冬季防火提示\n正文")
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "pv-"), "提交审核")
    draft = await Draft.get()
    assert draft.status == DraftStatus.PENDING
    await world.say("lisi", f"注销 @某某发布 业务调整 {LINK}")
    assert (await Draft.get(id=draft.id)).status == DraftStatus.PENDING  # asking changes nothing
    await world.tap("wangwu", world.channel.last_card("wangwu", "closure-"), texts.BUTTON_CONFIRM_CLOSURE)
    assert (await Draft.get(id=draft.id)).status == DraftStatus.WITHDRAWN
    why = texts.closure_reason_for_drafts("某某发布")
    assert texts.draft_voided_to_author(draft.ref, "冬季防火提示", why) in world.texts("zhangsan")
    await world.say("zhangsan", "投稿 @某某发布 1 标题\n正文")
    assert "「某某发布」" in world.last_text("zhangsan") and "注销" in world.last_text("zhangsan")


async def test_the_card_warns_of_inquiries_still_unanswered(world: World) -> None:
    """Art. 12: the Information Center sees, before confirming, that followers still wait."""
    await world.say("zhangsan", "咨询 @某某发布 请问社保卡补办需要带什么材料 来自 电话")
    await world.say("lisi", f"注销 @某某发布 业务调整 {LINK}")
    card = world.channel.last_card("wangwu", "closure-")
    assert card.highlights == (texts.closure_open_inquiries(1),)
    await world.say("lisi", f"注销 @某某头条 业务调整 {LINK}")  # nothing waits there
    assert world.channel.last_card("wangwu", "closure-").highlights == ()
    # Confirmed anyway: the question leaves the reminder ladder (nobody answers through a closed
    # account); an open account's question is still chased.
    await world.tap("wangwu", card, texts.BUTTON_CONFIRM_CLOSURE)
    await world.say("wujiu", "咨询 @某某服务 办事大厅周六开门吗 来自 电话")
    mark = {who: len(world.texts(who)) for who in ("zhangsan", "chenqi", "wujiu")}
    when = at(2026, 12, 8, 10, 0)
    world.clock.now = when
    await run_sweeps(world.bot.deps, ["inquiries"], now=when)
    await world.settle()
    assert [t for who in ("zhangsan", "chenqi") for t in world.texts(who)[mark[who]:] if "Q1" in t] == []
    assert any("Q2" in t for t in world.texts("wujiu")[mark["wujiu"]:])


async def test_closing_voids_the_information_centers_open_cards_about_the_account(world: World) -> None:
    """Art. 5: a closed account has nothing left to decide. Its filing, its change of
    administrator and its annual-review report, all waiting for the Information Center, are
    voided when the closure is confirmed: every copy of their cards shows 已作废 with who closed
    the account, and a tap on a copy that was not updated yet is refused and changes nothing."""
    from models import AccountChange, AccountFiling, ReviewReport, ReviewStatus
    await Account.filter(name="某某发布").update(created_at=at(2025, 1, 6, 9, 0))
    world.clock.now = at(2026, 11, 27, 10, 0)
    await world.say("zhangsan", "年审 @某某发布")
    await world.file("zhangsan", b"PK report", "某某发布2026年审报告.docx")
    await world.say("zhangsan", "变更 @某某发布 管理员 陈七")
    await world.say("zhangsan", "备案 @某某发布")
    for answer in ("moufabu_official", "2025-01-06", "3000"):
        await world.say("zhangsan", answer)
    await world.image("zhangsan", b"\x89PNG qr")
    await world.say("zhangsan", "发布本单位政务信息")  # 某某发布 has no description on file
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "form-filing-"), "提交")
    open_cards = {prefix: world.channel.last_card("zhaoliu", prefix)
                  for prefix in ("review-", "change-", "filing-")}

    await world.say("lisi", f"注销 @某某发布 业务调整，不再运营 {LINK}")
    await world.tap("wangwu", world.channel.last_card("wangwu", "closure-"), texts.BUTTON_CONFIRM_CLOSURE)
    assert (await Account.get(name="某某发布")).status == AccountStatus.CLOSED

    voided = {c.card_id: c for _, _, c in world.channel.updates if c.title.endswith("：已作废")}
    assert set(voided) == {c.card_id for c in open_cards.values()}
    for card_id, card in voided.items():
        assert card.status.startswith("账号已注销 · 王五") and not card.buttons, card_id
    assert voided[open_cards["review-"].card_id].title == "年审报告 N1「某某发布」：已作废"
    assert voided[open_cards["review-"].card_id].fields == open_cards["review-"].fields  # kept
    updates_to_zhaoliu = sum(1 for a, _, _ in world.channel.updates if a == "zhaoliu")

    await world.tap("zhaoliu", open_cards["review-"], texts.BUTTON_PASS)
    assert world.last_text("zhaoliu") == texts.account_closed_nothing_to_do(
        "某某发布", texts.WHAT_REVIEW.format(ref="N1"))
    await world.tap("zhaoliu", open_cards["change-"], texts.BUTTON_FILED)
    assert world.last_text("zhaoliu") == texts.account_closed_nothing_to_do("某某发布", texts.WHAT_CHANGE)
    await world.tap("zhaoliu", open_cards["filing-"], texts.BUTTON_FILED)
    assert world.last_text("zhaoliu") == texts.account_closed_nothing_to_do(
        "某某发布", texts.WHAT_FILING.format(ref="B1"))
    assert (await ReviewReport.get()).status == ReviewStatus.SUBMITTED
    assert (await AccountChange.get()).filed_at is None
    assert (await AccountFiling.get()).acknowledged_at is None
    account = await Account.get(name="某某发布")
    assert account.admin_id == (await Person.get(code="zhangsan")).id
    assert account.platform_account_id != "moufabu_official"
    assert sum(1 for a, _, _ in world.channel.updates if a == "zhaoliu") == updates_to_zhaoliu
