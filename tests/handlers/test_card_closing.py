"""Issue 14 point 1 (and the card parts of points 2, 6 and 7): every card kind, when decided,
voided or used, keeps its subtitle, fields and body on every recipient's copy, its title says the
outcome (a decided approval card no longer reads 稿件待审核), and its buttons go — through the
one closing path, ``bot.card_closing.close_card``. A blocked draft's preview says 已拦截, names
the words in their sentence and how to ask the Information Center; one-shot cards (the category
choice, 确认通过, the inquiry's deadline choice, the form summary) lose their buttons once used;
the person who tapped is told what their tap did, besides the card. Through the real router.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import texts
from bot.cards import Card
from bot.draft_voiding import void_drafts
from bot.screening import Level
from models import Account, Draft
from tests.conftest import World
from tests.handlers.test_governance import fill_form
from tests.handlers.test_registry import approved_account
from tests.handlers.test_review_report import running

ROOT = Path(__file__).resolve().parents[2]
DRAFT = "投稿 @某某发布 1 冬季供暖服务指南\n今年供暖季自11月15日开始。"
QUESTION = "咨询 @某某发布 今年供暖什么时候开始？来自 微博网友小王"
LINK = "https://mp.weixin.qq.com/s/Xk3vQ9bZ2LmNc8TtR5yWqA"
IC = ["wangwu", "zhaoliu"]


def assert_closed(world: World, card: Card, who: list[str], title: str, status: str, *,
                  fields: tuple[tuple[str, str], ...] | None = None) -> Card:
    """Every copy of ``card`` (as it was sent) now shows ``title`` and a status starting with
    ``status``, the same subtitle, fields and body, and no buttons."""
    assert card.buttons, "the card was sent live"
    state = card
    for person in who:
        state = world.channel.card_state(person, card.card_id)
        assert state.title == title, person
        assert state.status.startswith(status), (person, state.status)
        assert state.subtitle == card.subtitle and state.body == card.body, person
        assert state.fields == (card.fields if fields is None else fields), person
        assert state.fields, "a closed card keeps its fields"
        assert state.buttons == (), person
    return state


# -- drafts: preview, category, approval, confirmation ------------------------------------------
@pytest.mark.parametrize(("act", "outcome", "status"), [
    ("submit", texts.OUTCOME_SUBMITTED, "已提交审核 · 10:00"),
    ("cancel", texts.OUTCOME_CANCELLED, "已取消 · 10:00"),
    ("withdraw", texts.OUTCOME_WITHDRAWN, "已撤回 · 10:00"),
    ("revise", texts.OUTCOME_SUPERSEDED, "已修改为第 2 版"),
])
async def test_preview_card_closes_with_its_outcome(world: World, act: str, outcome: str,
                                                     status: str) -> None:
    await world.say("zhangsan", DRAFT)
    preview = world.channel.last_card("zhangsan", "pv-")
    if act == "submit":
        await world.tap("zhangsan", preview, texts.BUTTON_SUBMIT)
    elif act == "cancel":
        await world.tap("zhangsan", preview, texts.BUTTON_CANCEL)
    elif act == "withdraw":
        await world.say("zhangsan", "撤回 D1")
    else:
        await world.say("zhangsan", "修改 D1 冬季供暖服务指南\n供暖季自11月15日开始，至次年3月15日。")
    assert_closed(world, preview, ["zhangsan"], f"稿件 D1：{outcome}", status)


async def test_category_card_closes_with_the_choice(world: World) -> None:
    await world.say("zhangsan", "投稿 @某某发布 标题\n正文")
    ask = world.channel.last_card("zhangsan", "cat-")
    await world.tap("zhangsan", ask, "4 工作需要")
    assert_closed(world, ask, ["zhangsan"], "稿件 D1：已选类别", "类别：4 工作需要")
    assert world.channel.last_card("zhangsan", "pv-").buttons  # the preview that follows is live


@pytest.mark.parametrize(("act", "outcome"), [("withdraw", texts.OUTCOME_WITHDRAWN),
                                              ("revise", texts.OUTCOME_SUPERSEDED)])
async def test_an_unanswered_category_card_closes_with_its_draft(world: World, act: str,
                                                                 outcome: str) -> None:
    await world.say("zhangsan", "投稿 @某某发布 标题\n正文")
    ask = world.channel.last_card("zhangsan", "cat-")
    await world.say("zhangsan", "撤回 D1" if act == "withdraw" else "修改 D1 标题\n新的正文")
    assert_closed(world, ask, ["zhangsan"], f"稿件 D1：{outcome}", "已")


@pytest.mark.parametrize(("label", "outcome", "told"), [
    ("通过", texts.OUTCOME_APPROVED, texts.approved_to_head("D1")),
    ("驳回", texts.OUTCOME_REJECTED, texts.rejected_to_head("D1")),
])
async def test_approval_card_title_says_the_decision_and_the_head_is_told(
        world: World, label: str, outcome: str, told: str) -> None:
    await world.say("zhangsan", DRAFT)
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "pv-"), texts.BUTTON_SUBMIT)
    card = world.channel.last_card("lisi", "ap-")
    assert card.title.startswith(texts.APPROVAL_TITLE)
    await world.tap("lisi", card, label)
    state = assert_closed(world, card, ["lisi"], f"稿件 D1：{outcome}", f"{outcome} · 李四 · 10:00")
    assert texts.APPROVAL_TITLE not in state.title  # point 7: no 稿件待审核 on a decided card
    assert told in world.texts("lisi")


async def test_a_voided_approval_card_keeps_its_content(world: World) -> None:
    await world.say("zhangsan", DRAFT)
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "pv-"), texts.BUTTON_SUBMIT)
    card = world.channel.last_card("lisi", "ap-")
    account = await Account.get(name="某某发布")
    assert await void_drafts(world.bot.outbox, "system", account.id, "账号须停止运行", world.clock.now) == 1
    await world.settle()
    assert_closed(world, card, ["lisi"], "稿件 D1：已作废", "已作废 · 账号须停止运行")


async def test_the_confirmation_card_closes_once_used(world: World) -> None:
    world.bot.deps.wordlists.add(Level.REVIEW, "拆迁")
    await world.say("zhangsan", "投稿 @某某发布 1 通知\n街区拆迁补偿方案公示。")
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "pv-"), texts.BUTTON_SUBMIT)
    card = world.channel.last_card("lisi", "ap-")
    await world.tap("lisi", card, "通过")
    confirm = world.channel.last_card("lisi", "apc-")
    await world.tap("lisi", card, "通过")  # a second tap: a second confirmation card
    second = world.channel.last_card("lisi", "apc-")
    assert second.card_id != confirm.card_id
    await world.tap("lisi", confirm, texts.BUTTON_CONFIRM)
    for used in (confirm, second):
        state = world.channel.card_state("lisi", used.card_id)
        assert state.title == "稿件 D1：已通过" and state.buttons == ()
        assert state.highlights == used.highlights and state.body == used.body
    assert_closed(world, card, ["lisi"], "稿件 D1：已通过", "已通过 · 李四")


async def test_a_withdrawn_draft_closes_an_open_confirmation_card(world: World) -> None:
    world.bot.deps.wordlists.add(Level.REVIEW, "拆迁")
    await world.say("zhangsan", "投稿 @某某发布 1 通知\n街区拆迁补偿方案公示。")
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "pv-"), texts.BUTTON_SUBMIT)
    card = world.channel.last_card("lisi", "ap-")
    await world.tap("lisi", card, "通过")
    confirm = world.channel.last_card("lisi", "apc-")
    await world.say("zhangsan", "撤回 D1")
    state = world.channel.card_state("lisi", confirm.card_id)
    assert state.title == "稿件 D1：已撤回" and state.buttons == ()
    assert_closed(world, card, ["lisi"], "稿件 D1：已撤回", "已撤回")


async def test_a_blocked_preview_says_why_and_how_to_ask_and_has_no_buttons(world: World) -> None:
    text = "保密宣传\n不得在互联网上传播涉密信息，本文件为机密的不得外传。"
    await world.say("zhangsan", f"投稿 @某某发布 1 {text}")
    preview = world.channel.last_card("zhangsan", "pv-")
    await world.tap("zhangsan", preview, texts.BUTTON_SUBMIT)
    assert (await Draft.get()).status.value == "composing"
    state = assert_closed(world, preview, ["zhangsan"], "稿件 D1：已拦截", "已拦截")
    blocked = [h for h in state.highlights if h.startswith("⛔ 拦截")]
    assert {re.search(r"「(.+?)」", h).group(1) for h in blocked} >= {"涉密", "机密"}  # type: ignore[union-attr]
    assert all("【" in h for h in blocked)  # each word in its sentence
    help_note = state.highlights[-1]
    assert "王五" in help_note and "赵六" in help_note and "例外" in help_note and "修改 D1" in help_note
    alerts = [t for t in world.texts("wangwu") if t.startswith("【拦截】")]
    await world.tap("zhangsan", preview, texts.BUTTON_SUBMIT)  # a stale copy's button
    assert world.last_text("zhangsan").startswith("稿件 D1 含有不得发布的内容")
    assert [t for t in world.texts("wangwu") if t.startswith("【拦截】")] == alerts  # alerted once


# -- inquiries: the card and the deadline choice -------------------------------------------------
async def test_inquiry_card_closes_on_every_officers_copy(world: World) -> None:
    await world.say("zhangsan", QUESTION)
    card = world.channel.last_card("chenqi", "inq-")
    await world.tap("chenqi", card, "认领")
    await world.tap("chenqi", world.channel.card_state("chenqi", card.card_id), "已回复")
    await world.say("chenqi", "今年供暖自11月15日开始，详见公告。")
    fields = tuple((k, "陈七" if k == texts.FIELD_OWNER else v) for k, v in card.fields)
    assert_closed(world, card, ["chenqi", "zhangsan"], "群众咨询 Q1：已回复", "已回复 · 陈七",
                  fields=fields)


@pytest.mark.parametrize("how", ["button", "typed"])
async def test_deadline_choice_closes_once_a_deadline_is_set(world: World, how: str) -> None:
    await world.say("zhangsan", QUESTION)  # Thursday 2026-11-26 10:00
    await world.tap("chenqi", world.channel.last_card("chenqi", "inq-"), "承诺时限")
    choices = world.channel.last_card("chenqi", "inqd-")
    if how == "button":
        await world.tap("chenqi", choices, "3个工作日")
    else:
        await world.say("chenqi", "12月3日")
    state = world.channel.card_state("chenqi", choices.card_id)
    assert state.title == "承诺答复时限 Q1：已承诺答复期限" and state.buttons == ()
    assert state.status.startswith("已承诺 · 12月") and state.body == choices.body


# -- governance: form summary, application, filing, change, review, closure ---------------------
async def test_application_cards_close_at_each_stage_and_each_tapper_is_told(world: World) -> None:
    await fill_form(world)
    summary = world.channel.last_card("zhangsan", "form-apply-")
    await world.tap("zhangsan", summary, "提交")
    assert_closed(world, summary, ["zhangsan"], "《新媒体平台申请表》：已提交", "已提交")
    head_card = world.channel.last_card("lisi", "app-")
    await world.tap("lisi", head_card, "同意")
    subject = "新媒体平台开通申请 S1「某某微博」"
    assert_closed(world, head_card, ["lisi"], f"{subject}：负责人已同意", "负责人已同意 · 李四")
    assert world.last_text("lisi") == texts.attested_to_head("S1", "某某微博")
    ic_card = world.channel.last_card("wangwu", "app-")
    await world.tap("wangwu", ic_card, "批准")
    assert_closed(world, ic_card, IC, f"{subject}：已批准", "已批准 · 王五")
    assert world.last_text("wangwu") == texts.granted_to_ic("S1", "某某微博")


async def test_refused_application_card_keeps_its_content(world: World) -> None:
    await fill_form(world)
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "form-apply-"), "提交")
    head_card = world.channel.last_card("lisi", "app-")
    await world.tap("lisi", head_card, "不同意")
    assert_closed(world, head_card, ["lisi"], "新媒体平台开通申请 S1「某某微博」：负责人不同意",
                  "负责人不同意 · 李四")
    assert world.last_text("lisi") == texts.refused_to_head("S1", "某某微博")


async def test_a_cancelled_form_summary_keeps_the_answers(world: World) -> None:
    await fill_form(world)
    summary = world.channel.last_card("zhangsan", "form-apply-")
    await world.tap("zhangsan", summary, texts.BUTTON_CANCEL)
    assert_closed(world, summary, ["zhangsan"], "《新媒体平台申请表》：已放弃", texts.FORM_CANCELLED)


@pytest.mark.parametrize(("label", "outcome"), [("已备案", "已备案"), ("退回", "已退回")])
async def test_filing_card_closes_on_every_ic_copy(world: World, label: str, outcome: str) -> None:
    await approved_account(world)
    await world.say("zhangsan", "备案 @某某微博")
    for answer in ("mouweibo_official", "2026-11-20", "1200"):
        await world.say("zhangsan", answer)
    await world.image("zhangsan", b"\x89PNG qr")
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "form-filing-"), "提交")
    card = world.channel.last_card("wangwu", "filing-")
    await world.tap("wangwu", card, label)
    assert_closed(world, card, IC, f"新媒体平台备案登记 B1「某某微博」：{outcome}", f"{outcome} · 王五")
    told = texts.filed_to_ic if label == "已备案" else texts.returned_to_ic
    assert world.last_text("wangwu") == told("B1", "某某微博")


async def test_change_card_keeps_who_changes_to_whom(world: World) -> None:
    """The reported bug: after 已备案 every copy showed only "已备案 · 王五 · 10:00"."""
    await world.say("zhangsan", "变更 @某某发布 管理员 陈七")
    card = world.channel.last_card("wangwu", "change-")
    assert (texts.FIELD_NEW, "陈七 科员") in card.fields
    await world.tap("wangwu", card, "已备案")
    assert_closed(world, card, IC, "负责人/管理员变更备案「某某发布」：已备案", "已备案 · 王五 · 10:00")
    assert world.last_text("wangwu") == texts.change_filed_to_ic("某某发布", "管理员", "陈七")


@pytest.mark.parametrize(("label", "outcome"), [("合格", "合格"), ("不合格", "不合格")])
async def test_review_card_closes_with_the_verdict(world: World, label: str, outcome: str) -> None:
    await running(world)
    await world.say("zhangsan", "年审 @某某发布 全年运行正常。")
    card = world.channel.last_card("wangwu", "review-")
    await world.tap("wangwu", card, label)
    assert_closed(world, card, IC, f"年审报告 N1「某某发布」：{outcome}", f"{outcome} · 王五")
    if label == "合格":
        assert world.last_text("wangwu") == texts.passed_to_ic("N1", "某某发布")
    else:
        assert world.last_text("wangwu") == texts.ASK_FAIL_REASON


async def test_closure_card_closes_as_it_was_sent(world: World) -> None:
    await world.say("zhangsan", QUESTION)  # an open question: the card warns of it
    await world.say("lisi", f"注销 @某某发布 业务调整，不再运营 {LINK}")
    card = world.channel.last_card("wangwu", "closure-")
    assert card.highlights
    await world.tap("wangwu", card, texts.BUTTON_CONFIRM_CLOSURE)
    state = assert_closed(world, card, IC, "账号注销确认「某某发布」：已确认注销", "已确认注销 · 王五")
    assert state.highlights == card.highlights


async def test_a_returned_closure_card_keeps_its_content(world: World) -> None:
    await world.say("lisi", f"注销 @某某发布 业务调整 {LINK}")
    card = world.channel.last_card("wangwu", "closure-")
    await world.tap("wangwu", card, texts.BUTTON_RETURN)
    await world.say("wangwu", "请先迁移历史文章")
    assert_closed(world, card, IC, "账号注销确认「某某发布」：已退回", "已退回 · 王五")


# -- one path --------------------------------------------------------------------------------------
def test_every_card_is_closed_through_close_card() -> None:
    """No handler or sweep closes a card by hand (an empty stand-in would wipe every copy)."""
    offenders = []
    for path in [*(ROOT / "handlers").glob("*.py"), *(ROOT / "schedules").glob("*.py")]:
        if path.name == "common.py" and path.parent.name == "handlers":
            continue
        source = path.read_text("utf-8")
        if re.search(r"(\)|card)\.closed\(", source) or re.search(r"update_card\(\s*Card\(", source):
            offenders.append(path.name)
    assert offenders == []
