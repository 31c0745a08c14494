"""The post flow through the real router: draft → preview → submit → approve/reject → publish."""

from __future__ import annotations

from bot import texts
from models import AuditEvent, Decision, Draft, DraftStatus, Publication
from tests.conftest import World

DRAFT = "投稿 @某某发布 1 冬季供暖服务指南\n今年供暖季自11月15日开始。"


async def submitted(world: World) -> Draft:
    await world.say("zhangsan", DRAFT)
    preview = world.channel.last_card("zhangsan", "pv-")
    await world.tap("zhangsan", preview, texts.BUTTON_SUBMIT)
    return await Draft.get(author__code="zhangsan")


async def test_draft_command_creates_draft_and_preview_card(world: World) -> None:
    await world.say("zhangsan", DRAFT)
    draft = await Draft.get()
    assert draft.status == DraftStatus.COMPOSING
    card = world.channel.last_card("zhangsan", "pv-")
    assert card.subtitle == "冬季供暖服务指南"
    assert ("类别", "1 动态服务") in card.fields
    assert [b.label for b in card.buttons] == ["提交审核", "取消"]


async def test_missing_category_is_asked_and_answer_by_number_works(world: World) -> None:
    await world.say("zhangsan", "投稿 @某某发布 标题\n正文")
    ask = world.channel.last_card("zhangsan", "cat-")
    assert len(ask.buttons) == 4
    await world.say("zhangsan", "9")
    assert world.last_text("zhangsan") == texts.BAD_CATEGORY
    await world.say("zhangsan", "2")
    preview = world.channel.last_card("zhangsan", "pv-")
    assert ("类别", "2 形象文化") in preview.fields
    assert world.channel.card_state("zhangsan", ask.card_id).status.startswith("类别")


async def test_category_chosen_by_button(world: World) -> None:
    await world.say("zhangsan", "投稿 @某某发布 标题\n正文")
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "cat-"), "4 工作需要")
    assert ("类别", "4 工作需要") in world.channel.last_card("zhangsan", "pv-").fields


async def test_attachments_within_window_attach_and_update_preview(world: World) -> None:
    await world.say("zhangsan", DRAFT)
    await world.image("zhangsan", b"\x89PNG fake")
    await world.link("zhangsan", "https://example.org/a", "相关链接")
    preview = world.channel.last_card("zhangsan", "pv-")
    state = world.channel.card_state("zhangsan", preview.card_id)
    assert ("附件", "图片 1、链接 1") in state.fields
    world.clock.advance(minutes=30)
    await world.file("zhangsan", b"doc", "说明.docx")
    assert world.last_text("zhangsan") == texts.NO_OPEN_DRAFT_FOR_ATTACHMENT


async def test_submit_sends_approval_card_to_head_and_officer_is_told(world: World) -> None:
    draft = await submitted(world)
    assert draft.status == DraftStatus.PENDING
    card = world.channel.last_card("lisi", "ap-")
    assert [b.label for b in card.buttons] == ["通过", "驳回"]
    assert ("账号", "某某发布（微信公众号）") in card.fields
    assert ("附件", "无") in card.fields
    assert "等待 李四 审核" in world.last_text("zhangsan")
    preview = world.channel.card_state("zhangsan", f"pv-{draft.id}-1")
    assert preview.status.startswith("已提交审核") and not preview.buttons


async def test_head_approves_card_updates_and_officer_told(world: World) -> None:
    draft = await submitted(world)
    card = world.channel.last_card("lisi", "ap-")
    await world.tap("lisi", card, "通过")
    await draft.refresh_from_db()
    assert draft.status == DraftStatus.APPROVED
    state = world.channel.card_state("lisi", card.card_id)
    assert state.status == "已通过 · 李四 · 10:00" and state.buttons == ()
    assert "已由 李四 审核通过" in world.last_text("zhangsan")
    decision = await Decision.get(draft_id=draft.id)
    assert decision.content_hash and decision.content_hash == (await draft.versions.all())[0].content_hash


async def test_reject_asks_reason_and_forwards_it(world: World) -> None:
    draft = await submitted(world)
    await world.tap("lisi", world.channel.last_card("lisi", "ap-"), "驳回")
    said = world.texts("lisi")  # one message confirms the tap and asks for the reason
    assert said[-1] == texts.rejected_to_head("D1") and texts.ASK_REJECT_REASON in said[-1]
    assert not any(t == texts.ASK_REJECT_REASON for t in said)
    assert "被 李四 驳回" in world.last_text("zhangsan")
    await world.say("lisi", "数据需要核实")
    assert world.last_text("zhangsan") == "稿件 D1 的驳回理由：数据需要核实"
    assert (await Decision.get(draft_id=draft.id)).reason == "数据需要核实"
    await world.say("lisi", "待审")  # the prompt is gone: commands work again
    assert world.last_text("lisi") == texts.PENDING_EMPTY


async def test_reject_reason_can_be_skipped(world: World) -> None:
    await submitted(world)
    await world.tap("lisi", world.channel.last_card("lisi", "ap-"), "驳回")
    await world.say("lisi", "跳过")
    assert world.last_text("zhangsan") == texts.reject_reason_skipped_to_author("D1")


async def test_author_and_non_head_taps_are_refused_and_change_nothing(world: World) -> None:
    draft = await submitted(world)
    card = world.channel.last_card("lisi", "ap-")
    await world.tap("zhangsan", card, "通过")  # the author
    assert world.last_text("zhangsan") == texts.author_cannot_decide("D1")
    await world.tap("zhouba", card, "通过")  # head of another department
    assert world.last_text("zhouba") == texts.only_head_decides("D1", "宣传科")
    await world.tap("chenqi", card, "驳回")  # a fellow officer
    assert world.last_text("chenqi") == texts.only_head_decides("D1", "宣传科")
    await draft.refresh_from_db()
    assert draft.status == DraftStatus.PENDING
    assert await Decision.all().count() == 0
    assert world.channel.card_state("lisi", card.card_id).buttons  # still live


async def test_second_tap_loses_and_is_told_who_decided(world: World) -> None:
    await submitted(world)
    card = world.channel.last_card("lisi", "ap-")
    await world.tap("lisi", card, "通过")
    world.clock.advance(minutes=5)
    await world.tap("lisi", card, "驳回")
    assert world.last_text("lisi") == "稿件 D1 已由 李四 于 10:00 通过，无需重复操作。"
    assert await Decision.all().count() == 1


async def test_withdraw_pending_closes_head_card(world: World) -> None:
    draft = await submitted(world)
    await world.say("zhangsan", "撤回 D1")
    await draft.refresh_from_db()
    assert draft.status == DraftStatus.WITHDRAWN
    assert world.channel.card_state("lisi", f"ap-{draft.id}-1").status.startswith("已撤回")
    await world.say("zhangsan", "撤回 D1")
    assert "只有待提交或待审核" in world.last_text("zhangsan")
    await world.say("chenqi", "撤回 D1")
    assert world.last_text("chenqi") == texts.only_author("D1")


async def test_revise_makes_new_version_needing_new_approval(world: World) -> None:
    draft = await submitted(world)
    old_card = world.channel.last_card("lisi", "ap-")
    await world.tap("lisi", old_card, "通过")
    await world.say("zhangsan", "修改 D1 冬季供暖服务指南（更新）\n新的正文")
    await draft.refresh_from_db()
    assert (draft.status, draft.version) == (DraftStatus.COMPOSING, 2)
    assert world.channel.card_state("lisi", old_card.card_id).status == texts.card_superseded(2)
    await world.say("zhangsan", "已发布 D1 https://mp.example.org/s/1")
    assert "还没有提交审核" in world.last_text("zhangsan")
    # the old approval card can no longer decide anything
    await world.tap("lisi", old_card, "通过")
    assert "已由 李四" in world.last_text("lisi")
    preview = world.channel.last_card("zhangsan", "pv-")
    assert preview.card_id == f"pv-{draft.id}-2"
    await world.tap("zhangsan", preview, "提交审核")
    await world.tap("lisi", world.channel.last_card("lisi", "ap-"), "通过")
    await world.say("zhangsan", "已发布 D1 https://mp.example.org/s/1")
    publication = await Publication.get(draft_id=draft.id)
    assert publication.version == 2


async def test_published_only_after_approval(world: World) -> None:
    draft = await submitted(world)
    await world.say("zhangsan", "已发布 D1 https://mp.example.org/s/1")
    assert world.last_text("zhangsan") == texts.cannot_publish("D1", "pending")
    await world.tap("lisi", world.channel.last_card("lisi", "ap-"), "通过")
    await world.say("zhangsan", "已发布 D1 不是链接")
    assert world.last_text("zhangsan") == texts.bad_link("不是链接")
    await world.say("zhangsan", "已发布 D1 http://[mp.example.org/s/1")  # urlparse raises on it
    assert world.last_text("zhangsan") == texts.bad_link("http://[mp.example.org/s/1")
    await world.say("zhangsan", "已发布 D1 https://mp.example.org/s/1")
    await draft.refresh_from_db()
    assert draft.status == DraftStatus.PUBLISHED
    pub = await Publication.get(draft_id=draft.id)
    decision = await Decision.get(draft_id=draft.id)
    assert pub.content_hash == decision.content_hash
    assert any("某某发布」发布了新内容" in t for t in world.channel.texts_to("group:publicity"))
    await world.say("zhangsan", "已发布 D1 https://mp.example.org/s/1")
    assert world.last_text("zhangsan") == texts.cannot_publish("D1", "published")


async def test_attachment_bytes_changed_after_approval_is_not_publishable(world: World) -> None:
    from models import Attachment

    await world.say("zhangsan", DRAFT)
    await world.image("zhangsan", b"original image")
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "pv-"), "提交审核")
    await world.tap("lisi", world.channel.last_card("lisi", "ap-"), "通过")
    att = await Attachment.get()
    att.sha256 = "0" * 64  # someone swaps the stored image behind the bot's back
    await att.save()
    await world.say("zhangsan", "已发布 D1 https://mp.example.org/s/1")
    assert world.last_text("zhangsan") == texts.not_approved_version("D1")
    assert await Publication.all().count() == 0


async def test_mine_and_pending_lists(world: World) -> None:
    await submitted(world)
    await world.say("zhangsan", "我的")
    assert "D1《冬季供暖服务指南》· 某某发布 · 待审核" in world.last_text("zhangsan")
    await world.say("lisi", "待审")
    assert "等待你审核的稿件（1 篇）" in world.texts("lisi")[-1]
    await world.say("zhangsan", "待审")
    assert world.last_text("zhangsan") == texts.NOT_A_HEAD


async def test_draft_refusals_say_why(world: World) -> None:
    await world.say("zhangsan", "投稿 @不存在的号 1 标题")
    assert "没有找到账号「不存在的号」" in world.last_text("zhangsan")
    await world.say("wujiu", "投稿 @某某发布 1 标题")
    assert world.last_text("wujiu") == texts.not_officer_of("某某发布", "宣传科")
    await world.say("lisi", "投稿 @某某发布 1 标题")
    assert world.last_text("lisi") == texts.not_officer_of("某某发布", "宣传科")
    assert await Draft.all().count() == 0


async def test_draft_body_may_come_in_the_next_message(world: World) -> None:
    await world.say("zhangsan", "投稿 @某某发布 2")
    assert world.last_text("zhangsan") == texts.ask_draft_text("某某发布")
    assert await Draft.all().count() == 0
    await world.say("zhangsan", "校园开放日\n欢迎参观")
    preview = world.channel.last_card("zhangsan", "pv-")
    assert preview.subtitle == "校园开放日" and ("类别", "2 形象文化") in preview.fields
    await world.say("zhangsan", "又一条消息")  # the prompt is used up
    assert world.last_text("zhangsan") == texts.UNKNOWN_COMMAND


async def test_draft_for_account_not_operating_is_refused(world: World) -> None:
    from models import Account, AccountStatus

    await Account.filter(name="某某发布").update(status=AccountStatus.SUSPENDED)
    await world.say("zhangsan", DRAFT)
    assert world.last_text("zhangsan") == texts.account_not_operating("某某发布", "suspended")


async def test_help_and_unknown_text(world: World) -> None:
    await world.say("zhangsan", "帮助")
    assert world.last_text("zhangsan") == texts.HELP
    await world.say("zhangsan", "HELP")
    assert world.last_text("zhangsan") == texts.HELP
    await world.say("zhangsan", "今天天气不错")
    assert world.last_text("zhangsan") == texts.UNKNOWN_COMMAND


async def test_stranger_is_pointed_to_information_center(world: World) -> None:
    from models import Person

    await world.say("nobody", "投稿 @某某发布 1 标题")
    assert world.last_text("nobody") == texts.NOT_IN_ORG
    assert await Person.filter(code="nobody").count() == 0
    assert await Draft.all().count() == 0
    assert await AuditEvent.filter(action="stranger_message").count() == 1
    from models import InboundEvent

    assert (await InboundEvent.get()).payload == {}  # what they wrote is not kept


async def test_english_aliases(world: World) -> None:
    await world.say("zhangsan", "draft @某某发布 1 Title\nbody")
    assert await Draft.all().count() == 1
    await world.say("zhangsan", "mine")
    assert "D1" in world.last_text("zhangsan")


async def test_forged_or_unknown_button_payloads_change_nothing(world: World) -> None:
    from bot.draft_cards import Approve
    from bot.events import CardAction

    draft = await submitted(world)
    for payload in (Approve(draft.id, 7).pack(), Approve(999, 1).pack(), "ap:1", "zz:1:1"):
        await world.deliver(CardAction(channel="local", sender="lisi", key=f"forged-{payload}",
                                       received_at=world.clock.now, payload=payload))
        assert world.last_text("lisi") == texts.EXPIRED_BUTTON
    await draft.refresh_from_db()
    assert draft.status == DraftStatus.PENDING and await Decision.all().count() == 0


async def test_view_shows_full_text_to_those_concerned_only(world: World) -> None:
    await world.say("zhangsan", DRAFT)
    await world.link("zhangsan", "https://example.org/a", "相关链接")
    for who in ("zhangsan", "lisi", "chenqi", "wangwu"):
        await world.say(who, "查看 D1")
        shown = world.last_text(who)
        assert "今年供暖季自11月15日开始。" in shown and "链接 相关链接 https://example.org/a" in shown
    await world.say("wujiu", "查看 D1")
    assert world.last_text("wujiu") == texts.cannot_view("D1")
