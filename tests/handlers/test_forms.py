"""Guided forms (Art. 4: form 1 and form 2 are filled in chat): the form says which answers it
took from the directory instead of jumping silently, optional questions take 跳过 / 稍后补, and
an image question answered with text says that it wants an image."""

from __future__ import annotations

from bot import texts
from tests.conftest import World


async def test_the_counter_says_what_the_directory_filled(world: World) -> None:
    await world.say("zhangsan", "申请开通")
    for answer in ("某某微博", "微博", "本部门"):
        await world.say("zhangsan", answer)
    assert world.texts("zhangsan")[-1] == texts.form_question(4, 14, texts.Q_LEADER)
    await world.say("zhangsan", "李四")
    said = world.texts("zhangsan")[-2:]
    assert said == [
        texts.form_filled(5, 7, [("负责人职务", "宣传科科长"), ("负责人办公电话", "010-80000003"),
                                 ("负责人手机号码", "13800000003")]),
        texts.form_question(8, 14, texts.Q_ADMIN)]
    assert said[0].startswith("第 5–7 项已按通讯录填好（负责人职务：宣传科科长、")
    await world.say("zhangsan", "张三")  # 9 from the directory, 10 (office phone) unknown
    said = world.texts("zhangsan")[-2:]
    assert said[0] == texts.form_filled(9, 9, [("管理员职务", "科员")])
    assert said[1].startswith("（10/14）")
    await world.say("zhangsan", "稍后补")  # optional: accepted, left empty
    assert world.texts("zhangsan")[-2] == texts.form_filled(11, 11, [("管理员手机号码", "13800000004")])
    assert world.texts("zhangsan")[-1].startswith("（12/14）")
    await world.say("zhangsan", "跳过")
    await world.say("zhangsan", "发布本单位动态。")
    card = world.channel.last_card("zhangsan", "form-apply-")
    values = dict(card.fields)
    assert values["10. 管理员办公电话"] == texts.FORM_EMPTY and values["12. QQ号码"] == texts.FORM_EMPTY


async def test_an_image_question_answered_in_words_asks_for_the_image(world: World) -> None:
    from tests.handlers.test_registry import approved_account

    await approved_account(world)
    await world.say("zhangsan", "备案 @某某微博")
    for answer in ("mouweibo_official", "2026-11-20", "1200"):
        await world.say("zhangsan", answer)
    await world.say("zhangsan", "稍后补")  # the QR code is required: asked again, saying how
    assert world.last_text("zhangsan") == texts.form_image_wanted(4, 7, texts.Q_QR, False)
    assert "请直接发送图片" in world.last_text("zhangsan")


async def test_edit_closes_the_summary_tapped_and_a_new_one_follows(world: World) -> None:
    """A summary whose answers are being changed keeps no live buttons: 修改 closes it (title
    《…》：修改中, content kept), the changed answer brings a new summary, and a tap on the old
    one is refused without submitting anything."""
    from models import AccountApplication
    from tests.handlers.test_governance import fill_form

    await fill_form(world)
    first = world.channel.last_card("zhangsan", "form-apply-")
    await world.tap("zhangsan", first, "修改")
    closed = world.channel.card_state("zhangsan", first.card_id)
    assert closed.title == f"《{texts.FORM1_TITLE}》：{texts.OUTCOME_FORM_EDITED}" and not closed.buttons
    assert closed.fields == first.fields
    await world.tap("zhangsan", first, "提交")
    assert world.last_text("zhangsan") == texts.FORM_SUMMARY_REPLACED
    assert await AccountApplication.all().count() == 0
    await world.say("zhangsan", "14")
    await world.say("zhangsan", "发布本单位动态。")
    second = world.channel.last_card("zhangsan", "form-apply-")
    assert second.card_id != first.card_id and dict(second.fields)["14. 申请说明"] == "发布本单位动态。"
    assert [b.label for b in second.buttons] == ["提交", "修改", "取消"]
    await world.tap("zhangsan", second, "提交")
    assert (await AccountApplication.get()).form["description"] == "发布本单位动态。"


async def test_a_wrong_answer_to_an_optional_question_still_says_it_may_be_skipped(world: World) -> None:
    await world.say("chenqi", "申请开通")
    for answer in ("某某视频号", "微信", "本部门", "李四", "陈七", "稍后补", "跳过"):
        await world.say("chenqi", answer)
    asked = texts.Q_ADMIN_WECHAT + texts.FORM_OPTIONAL_HINT
    assert world.last_text("chenqi") == texts.form_question(13, 14, asked)
    await world.say("chenqi", "发布本部门活动视频。")  # meant for the next question
    assert world.last_text("chenqi").endswith(asked)
    await world.say("chenqi", "跳过")
    assert world.last_text("chenqi").startswith("（14/14）")
