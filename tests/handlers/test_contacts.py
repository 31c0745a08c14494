"""Directory changes and what they mean (issue 16), through the real router: Art. 4 (第四条: a
change of an account's leader or administrator is re-filed), Art. 6 (第六条: responsibility),
Art. 7 (第七条: one or two information officers per department), Art. 10 (第十条: the head approves
before publication).

The events are what the channels make of WeCom ``change_contact`` and DingTalk address-book events
(their parsing is tested with each channel); here they come from the recording channel, whose
people are identified by their code."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot import texts
from bot.events import Change, ContactChange
from models import (
    Account,
    AccountApplication,
    ApplicationStatus,
    AuditEvent,
    Department,
    Draft,
    DraftStatus,
    Inquiry,
    InquiryStatus,
    Person,
    Prompt,
    Reminder,
)
from schedules.refile import remind_refile
from tests.conftest import World

QUESTION = "咨询 @某某发布 今年供暖什么时候开始？来自 微博网友小王"


async def change(world: World, change: Change, key: str, **fields: Any) -> bool:
    return await world.deliver(ContactChange(channel=world.channel.name, sender="directory", key=key,
                                             received_at=world.clock.now, change=change.value,
                                             **fields))


async def actions(action: str) -> list[str]:
    return [str(a.subject) for a in await AuditEvent.filter(action=action).order_by("id")]


async def submit(world: World, who: str, text: str) -> str:
    await world.say(who, f"投稿 @某某发布 1 {text}\n正文")
    await world.tap(who, world.channel.last_card(who, "pv-"), "提交审核")
    return (await Draft.all().order_by("-id").first()).ref  # type: ignore[union-attr]


async def test_administrator_leaves_account_needs_refiling_and_what_they_held_is_handed_on(
        world: World) -> None:
    pending = await submit(world, "zhangsan", "待审稿")
    await world.say("zhangsan", QUESTION)
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "inq-"), "认领")
    await world.say("zhangsan", "投稿 @某某发布 1 未提交\n正文")  # composing, never submitted
    await world.say("zhangsan", "备案 @某某发布")  # an open question
    assert await Prompt.filter(person_id=4).exists()
    told_before = {who: len(world.texts(who)) for who in ("lisi", "wangwu", "zhaoliu", "chenqi")}

    assert await change(world, Change.LEFT, "c1", userid="zhangsan")

    zhangsan = await Person.get(code="zhangsan")
    assert not zhangsan.active
    account = await Account.get(name="某某发布")
    assert account.refile["admin"]["person_id"] == zhangsan.id and "leader" not in account.refile
    assert (await Account.get(name="某某头条")).refile == {}  # 陈七 runs it
    refile = texts.refile_needed("某某发布", "管理员", "张三", "已离职", "local", "陈七",
                                 texts.SUCCESSOR_OFFICER)
    for who in ("lisi", "wangwu", "zhaoliu"):  # the head and the Information Center
        assert refile in world.texts(who)[told_before[who]:]
    assert not any("需变更备案" in t for t in world.texts("chenqi")[told_before["chenqi"]:])
    # 陈七 is still there: 宣传科 keeps an officer, so nobody is told it has none (Art. 7)
    assert not any("缺信息员" in t for w in ("lisi", "wangwu") for t in world.texts(w))
    drafts = [d.ref for d in await Draft.filter(author_id=zhangsan.id).order_by("id")]
    assert texts.officer_drafts_to_head("张三", "已离职", [pending], [], [drafts[-1]]) in world.texts("lisi")
    assert (await Draft.get(id=int(pending[1:]))).status == DraftStatus.PENDING  # stays with the head
    inquiry = await Inquiry.get()
    assert (inquiry.status, inquiry.owner_id) == (InquiryStatus.OPEN, None)
    assert texts.inquiry_released("Q1", "张三", "已离职", "") in world.texts("lisi")
    assert not await Prompt.filter(person_id=zhangsan.id).exists()
    assert await actions("person_left") == ["zhangsan"]
    assert await actions("refile_needed") == ["某某发布"]
    assert await actions("inquiry_released") == ["Q1"]

    # The same delivery again is deduped; the same fact under another key changes nothing more.
    sent = len(world.channel.sent)
    assert not await change(world, Change.LEFT, "c1", userid="zhangsan")
    assert await change(world, Change.LEFT, "c2", userid="zhangsan")
    assert len(world.channel.sent) == sent and await actions("person_left") == ["zhangsan"]

    # 张三 can no longer act: a message from them is a stranger's.
    await world.say("zhangsan", "我的")
    assert world.last_text("zhangsan") == texts.NOT_IN_ORG


async def test_refiling_is_reminded_weekly_until_the_change_is_filed(world: World) -> None:
    await change(world, Change.LEFT, "c1", userid="zhangsan")
    start = world.clock.now
    assert await remind_refile(start + timedelta(days=2), world.bot.deps) == 0  # told already
    later = start + timedelta(days=8)
    assert await remind_refile(later, world.bot.deps) == 1
    await world.bot.outbox.drain(later)
    reminder = world.last_text("lisi")
    assert reminder == texts.refile_reminder("某某发布", [("管理员", "张三")], 1)
    assert world.last_text("wangwu") == reminder
    assert await remind_refile(later + timedelta(hours=2), world.bot.deps) == 0  # once a week
    # The head files the change, the Information Center acknowledges it: no more reminders.
    await world.say("lisi", "变更 @某某发布 管理员 陈七")
    await world.tap("wangwu", world.channel.last_card("wangwu", "change-"), "已备案")
    account = await Account.get(name="某某发布")
    assert account.refile == {} and account.admin_id == (await Person.get(code="chenqi")).id
    assert await remind_refile(later + timedelta(days=7), world.bot.deps) == 0
    assert await Reminder.filter(kind="refile").count() == 1


async def test_last_officer_leaves_head_and_ic_are_told_no_drafts_until_one_is_named(world: World) -> None:
    await change(world, Change.LEFT, "c1", userid="wujiu")
    text = texts.no_officer_left("服务中心", "吴九", "已离职", ["某某服务"])
    for who in ("zhouba", "wangwu", "zhaoliu"):
        assert text in world.texts(who)
    # 吴九 ran 某某服务 too: with no officer left, the head is the likely successor.
    assert texts.refile_needed("某某服务", "管理员", "吴九", "已离职", "local", "周八",
                               texts.SUCCESSOR_HEAD) in world.texts("zhouba")
    assert await actions("no_officer") == ["service"]


async def test_head_leaves_ic_names_who_approves_and_pending_cards_go_to_them(world: World) -> None:
    pending = await submit(world, "zhangsan", "待审稿")
    chenqi = await Person.get(code="chenqi")
    application = await AccountApplication.create(  # waiting for 李四's signature (Art. 3, 4)
        name="某某视频号", platform="wechat", department_id=chenqi.department_id, applicant_id=chenqi.id,
        form={"name": "某某视频号", "description": "发布活动视频"}, created_at=world.clock.now)
    await change(world, Change.LEFT, "c1", userid="lisi")
    publicity = await Department.get(code="publicity")
    assert publicity.head_id is None
    assert texts.head_left("宣传科", "李四", "已离职", [pending], [application.ref]) in world.texts("wangwu")
    # 李四 led both accounts of 宣传科: the leader is to be re-filed, with no successor to offer.
    for name in ("某某发布", "某某头条"):
        assert (await Account.get(name=name)).refile["leader"]["why"] == "left"
    assert texts.refile_needed("某某发布", "负责人", "李四", "已离职", "local") in world.texts("wangwu")

    await world.say("zhangsan", "代审 宣传科 周八")
    assert world.last_text("zhangsan") == texts.ACTING_ONLY_IC
    await world.say("wangwu", "代审 宣传科")
    assert world.last_text("wangwu") == texts.ACTING_USAGE
    await world.say("wangwu", "代审 宣传处 周八")
    assert world.last_text("wangwu") == texts.unknown_department("宣传处")
    await world.say("wangwu", "代审 宣传科 李四")
    assert world.last_text("wangwu") == texts.acting_is_gone_person("李四")
    await world.say("wangwu", "代审 服务中心 陈七")
    assert world.last_text("wangwu") == texts.acting_head_present("服务中心", "周八")
    assert await actions("acting_head_named") == []

    await world.say("wangwu", "代审 宣传科 陈七")  # an officer would approve their own drafts
    assert world.last_text("wangwu") == texts.acting_is_officer("陈七", "宣传科")
    assert await actions("acting_head_named") == []

    await world.say("wangwu", "代审 宣传科 周八")
    assert world.last_text("wangwu") == texts.acting_named_to_ic("宣传科", "周八", 1, 1)
    assert (await Department.get(code="publicity")).head_id == (await Person.get(code="zhouba")).id
    assert await actions("acting_head_named") == ["publicity"]
    assert world.last_text("zhouba") == texts.acting_named_to_person("宣传科", 1, 1)
    card = world.channel.last_card("zhouba", "ap-")
    await world.tap("zhouba", card, "通过")
    assert (await Draft.get(id=int(pending[1:]))).status == DraftStatus.APPROVED
    await world.tap("zhouba", world.channel.last_card("zhouba", "app-"), "同意")
    assert (await AccountApplication.get(id=application.id)).status == ApplicationStatus.ATTESTED


async def test_moved_administrator_is_moved_and_the_account_needs_refiling(world: World) -> None:
    await change(world, Change.UPDATED, "c1", userid="zhangsan", name=None, departments=["服务中心"])
    zhangsan = await Person.get(code="zhangsan")
    service = await Department.get(code="service")
    assert (zhangsan.department_id, zhangsan.is_officer, zhangsan.active) == (service.id, False, True)
    assert (await Account.get(name="某某发布")).refile["admin"]["why"] == "moved"
    assert texts.refile_needed("某某发布", "管理员", "张三", "已调至「服务中心」", "local", "陈七",
                               texts.SUCCESSOR_OFFICER, moved=True) in world.texts("lisi")
    assert await actions("person_moved") == ["zhangsan"]
    # Listed again in the same place: nothing more.
    await change(world, Change.UPDATED, "c2", userid="zhangsan", name=None, departments=["服务中心"])
    assert await actions("person_moved") == ["zhangsan"]


async def test_rename_is_applied_and_an_unreadable_directory_moves_nobody(world: World) -> None:
    await change(world, Change.UPDATED, "c1", userid="chenqi", name="陈琦", departments=["宣传科"])
    chenqi = await Person.get(code="chenqi")
    assert chenqi.name == "陈琦" and chenqi.department_id == (await Department.get(code="publicity")).id
    assert await actions("person_renamed") == ["chenqi"]
    await change(world, Change.UPDATED, "c2", userid="chenqi", name=None, departments=None)
    assert (await Person.get(code="chenqi")).department_id == chenqi.department_id
    assert world.last_text("wangwu") == texts.unsure_update("陈琦", "local")
    assert await actions("person_moved") == []


async def test_department_removed_is_reported_once_with_its_accounts(world: World) -> None:
    await change(world, Change.DEPARTMENT_REMOVED, "c1", department="7", remaining=["信息中心", "宣传科"])
    text = texts.department_removed("服务中心", "local", ["某某服务"])
    assert world.texts("wangwu").count(text) == 1 and world.texts("zhaoliu").count(text) == 1
    await change(world, Change.DEPARTMENT_REMOVED, "c2", department="7", remaining=["信息中心", "宣传科"])
    assert world.texts("wangwu").count(text) == 1
    assert await Department.filter(code="service").exists()  # never deleted here
    await change(world, Change.DEPARTMENT_REMOVED, "c3", department="8", remaining=None)
    assert world.last_text("wangwu") == texts.unsure_department_removed("local")


async def test_someone_not_on_file_changes_nothing(world: World) -> None:
    sent = len(world.channel.sent)
    await change(world, Change.LEFT, "c1", userid="nobody_here")
    await change(world, Change.UPDATED, "c2", userid="x" * 65, departments=["宣传科"])
    assert len(world.channel.sent) == sent
    assert await Person.filter(active=False).count() == 0


async def test_the_registry_and_the_account_page_say_the_change_is_to_be_filed(world: World) -> None:
    await change(world, Change.LEFT, "c1", userid="zhangsan")
    await world.say("wangwu", "账号 @某某发布")
    assert texts.refile_line("管理员", "张三", "已离职") in world.last_text("wangwu")
    await world.say("wangwu", "台账")
    lines = world.last_text("wangwu").splitlines()
    assert any("某某发布" in line and "需变更备案" in line for line in lines)
    assert not any("某某头条" in line and "需变更备案" in line for line in lines)


async def test_a_new_platform_id_someone_else_holds_changes_nothing(world: World) -> None:
    await change(world, Change.UPDATED, "c1", userid="zhangsan", new_userid="chenqi", name=None,
                 departments=["宣传科"])
    assert world.last_text("wangwu") == texts.userid_taken("张三", "chenqi", "local")
    assert await Person.filter(code="zhangsan", active=True).exists()
    assert await actions("person_userid_changed") == []


async def test_a_moved_administrator_who_keeps_the_role_is_filed_again_and_the_flag_clears(
        world: World) -> None:
    """Art. 4: the department may keep someone who moved as the account's administrator; filing
    them again (变更 to the same person) is what ends 需变更备案 — not a flag nobody can clear."""
    await change(world, Change.UPDATED, "c1", userid="zhangsan", name=None, departments=["服务中心"])
    await world.say("lisi", "变更 @某某发布 管理员 张三")
    assert world.last_text("lisi") == texts.change_requested("某某发布", "管理员", "张三")
    await world.tap("wangwu", world.channel.last_card("wangwu", "change-"), "已备案")
    account = await Account.get(name="某某发布")
    assert account.refile == {} and account.admin_id == (await Person.get(code="zhangsan")).id
    assert world.last_text("zhangsan") == texts.change_to_new("某某发布", "管理员")  # told once
    await world.say("lisi", "变更 @某某发布 管理员 张三")  # nothing to re-file any more
    assert world.last_text("lisi") == texts.change_same("某某发布", "管理员", "张三")


async def test_messages_still_queued_for_someone_who_left_are_dropped_without_a_notice(
        world: World) -> None:
    """A reminder queued for 张三 before the directory said he left is never his: dead-lettered
    with the reason, and the Information Center is not told again (it was told he left)."""
    from bot.cards import Text
    from models import OutboxMessage, OutboxStatus

    zhangsan = await Person.get(code="zhangsan")
    row = await world.bot.outbox.send(zhangsan, Text("提醒"), key="queued-before", now=world.clock.now)
    await Person.filter(id=zhangsan.id).update(active=False)  # as the handler does, first
    told = {who: len(world.texts(who)) for who in ("wangwu", "zhaoliu")}
    await world.bot.outbox.drain(world.clock.now)
    row = await OutboxMessage.get(id=row.id)
    assert (row.status, row.last_error) == (OutboxStatus.DEAD, texts.RECIPIENT_LEFT)
    assert "提醒" not in world.texts("zhangsan")
    assert {who: len(world.texts(who)) for who in ("wangwu", "zhaoliu")} == told
