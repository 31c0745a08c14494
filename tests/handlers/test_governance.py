"""Applying for a new account (Art. 3, 4, form 1): the guided form with its checks, the head's
attestation and the Information Center's approval, through the real router."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from bot import texts
from bot.cards import Button, Card
from handlers.decisions import decided, given_reason
from models import Account, AccountApplication, AccountStatus, ApplicationStatus, AuditEvent, Prompt
from tests.conftest import World


async def fill_form(world: World) -> None:
    await world.say("zhangsan", "申请开通")
    assert world.texts("zhangsan")[-1] == texts.form_question(1, 14, texts.Q_NAME)
    for answer in ("某某微博", "微博", "本部门", "李四", "张三", "无", "123456",
                   "发布本单位动态和服务信息，回应群众关切。"):
        await world.say("zhangsan", answer)


async def test_form_asks_only_what_the_registry_does_not_know(world: World) -> None:
    await fill_form(world)
    card = world.channel.last_card("zhangsan", "form-apply-")
    values = dict(card.fields)
    assert values["1. 名称"] == "某某微博" and values["2. 平台类型"] == "微博"
    assert values["3. 主办单位"] == "宣传科"
    assert values["5. 负责人职务"] == "宣传科科长" and values["7. 负责人手机号码"] == "13800000003"
    assert values["11. 管理员手机号码"] == "13800000004" and values["13. 微信号"] == "zhangsan_wx"
    assert values["10. 管理员办公电话"] == texts.FORM_EMPTY and values["12. QQ号码"] == "123456"
    assert [b.label for b in card.buttons] == ["提交", "修改", "取消"]


async def test_answers_are_checked(world: World) -> None:
    await world.say("zhangsan", "申请开通")
    await world.say("zhangsan", "某某发布")
    assert world.last_text("zhangsan").startswith(texts.name_taken("某某发布"))
    await world.say("zhangsan", "某某抖音")
    await world.say("zhangsan", "抖音")
    assert world.last_text("zhangsan").startswith(texts.BAD_PLATFORM)
    await world.say("zhangsan", "移动客户端")
    await world.say("zhangsan", "不存在的科")
    assert "没有找到部门「不存在的科」" in world.last_text("zhangsan")
    await world.say("zhangsan", "宣传科")
    await world.say("zhangsan", "王小二")
    assert world.last_text("zhangsan").startswith(texts.unknown_person_name("王小二"))
    await world.say("zhangsan", "周八")  # no office phone on file: asked, optional
    await world.say("zhangsan", "无")
    await world.say("zhangsan", "吴九")  # no mobile? 吴九 has one; QQ on file, office phone asked
    await world.say("zhangsan", "0571-8888")
    await world.say("zhangsan", "wx")
    assert world.last_text("zhangsan").startswith(texts.BAD_WECHAT)


async def test_cancel_at_any_step(world: World) -> None:
    await world.say("zhangsan", "申请开通")
    await world.say("zhangsan", "某某微博")
    await world.say("zhangsan", "取消")
    assert world.last_text("zhangsan") == texts.form_cancelled(texts.FORM1_TITLE)
    assert await Prompt.all().count() == 0
    await world.say("zhangsan", "微博")  # no longer a form answer
    assert world.last_text("zhangsan") == texts.UNKNOWN_COMMAND


async def test_edit_then_submit_then_attest_then_approve(world: World) -> None:
    await fill_form(world)
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "form-apply-"), "修改")
    await world.say("zhangsan", "14")
    await world.say("zhangsan", "发布本单位动态。")
    card = world.channel.last_card("zhangsan", "form-apply-")
    assert dict(card.fields)["14. 申请说明"] == "发布本单位动态。"
    await world.tap("zhangsan", card, "提交")
    app = await AccountApplication.get()
    assert app.status == ApplicationStatus.SUBMITTED and app.form["platform"] == "微博"
    assert world.last_text("zhangsan") == texts.application_submitted("S1", "李四")
    head_card = world.channel.last_card("lisi", "app-")
    await world.tap("chenqi", head_card, "同意")  # not the head
    assert world.last_text("chenqi") == texts.only_department_head("宣传科")
    await world.tap("lisi", head_card, "同意")
    assert world.channel.card_state("lisi", head_card.card_id).status.startswith("负责人已同意")
    ic_card = world.channel.last_card("wangwu", "app-")
    assert world.channel.last_card("zhaoliu", "app-").card_id == ic_card.card_id
    await world.tap("lisi", ic_card, "批准")  # a head is not the Information Center
    assert world.last_text("lisi") == texts.ONLY_INFO_CENTER
    await world.tap("wangwu", ic_card, "批准")
    await world.tap("zhaoliu", ic_card, "批准")  # too late: decided once
    assert world.last_text("zhaoliu") == texts.application_already("S1", "approved")
    account = await Account.get(name="某某微博")
    assert account.status == AccountStatus.APPROVED and account.platform.value == "weibo"
    assert (await AccountApplication.get()).account_id == account.id
    assert world.channel.card_state("zhaoliu", ic_card.card_id).status.startswith("已批准 · 王五")
    assert world.last_text("zhangsan") == texts.granted_to_applicant("S1", "某某微博")
    # Art. 3: approved but not opened and filed: no drafts yet
    await world.say("zhangsan", "投稿 @某某微博 1 标题\n正文")
    assert world.last_text("zhangsan") == texts.account_not_operating("某某微博", "approved")


async def test_refused_by_head_and_rejected_with_reason(world: World) -> None:
    await fill_form(world)
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "form-apply-"), "提交")
    await world.tap("lisi", world.channel.last_card("lisi", "app-"), "不同意")
    assert world.last_text("zhangsan") == texts.refused_to_applicant("S1", "某某微博", "李四")
    assert not await Account.filter(name="某某微博").exists()
    await fill_form(world)  # the name is free again
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "form-apply-"), "提交")
    await world.tap("lisi", world.channel.last_card("lisi", "app-"), "同意")
    await world.tap("wangwu", world.channel.last_card("wangwu", "app-"), "驳回")
    assert world.last_text("wangwu") == texts.ASK_DENY_REASON
    await world.say("wangwu", "同类账号已有，请合并运营")
    reason = "同类账号已有，请合并运营"
    assert world.last_text("zhangsan") == texts.denied_to_applicant("S2", "某某微博", reason)
    assert (await AccountApplication.get(id=2)).status == ApplicationStatus.REJECTED


class _Outbox:
    def __init__(self) -> None:
        self.updated: list[tuple[Card, str]] = []

    async def update_card(self, card: Card, *, key: str, now: datetime) -> None:
        self.updated.append((card, key))


class _Ctx:
    """What ``decided`` reads of a handler's context: the person, the time, replies, the outbox."""

    def __init__(self) -> None:
        self.person = SimpleNamespace(code="zhaoliu")
        self.now = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
        self.outbox = _Outbox()
        self.replies: list[str] = []

    async def reply(self, text: str) -> None:
        self.replies.append(text)


CARD = Card(card_id="x-1", title="卡片", fields=(("字段", "值"),),
            buttons=(Button("批准", "agr:1:1", "primary"),))


async def test_a_lost_decision_says_why_and_changes_nothing(db: str) -> None:
    ctx = _Ctx()
    asked: list[int] = []

    async def who_won() -> str:
        asked.append(1)
        return "已由他人处理"

    assert not await decided(ctx, False, who_won, CARD, subject="S1", outcome="已批准", status="赵六",  # type: ignore[arg-type]
                             key="k", audited=("application_approved", "S1", {}))
    assert ctx.replies == ["已由他人处理"] and asked == [1]
    assert ctx.outbox.updated == [] and await AuditEvent.all().count() == 0


async def test_a_won_decision_closes_its_card_and_records_the_decider(db: str) -> None:
    ctx = _Ctx()
    assert await decided(ctx, True, "unused", CARD, subject="申请 S1", outcome="已批准",  # type: ignore[arg-type]
                         status="赵六 已批准", key="app:1:decided",
                         audited=("application_approved", "S1", {"account": 3}))
    [(card, key)] = ctx.outbox.updated
    assert key == "app:1:decided" and card.buttons == () and card.fields == CARD.fields
    assert card.title == texts.closed_title("申请 S1", "已批准") and ctx.replies == []
    [row] = await AuditEvent.all()
    assert (row.actor, row.action, row.subject, row.detail) == ("zhaoliu", "application_approved", "S1",
                                                                {"account": 3})


def test_a_reason_is_cut_and_a_skip_word_gives_none() -> None:
    assert given_reason("  请补充发布范围  ", 2000) == "请补充发布范围"
    assert given_reason("长" * 600, 500) == "长" * 500
    for word in texts.SKIP_WORDS:
        assert given_reason(f" {word.upper()} ", 500) == ""
