"""Art. 6 (第六条, 谁审批、谁监管) — nobody decides their own application, filing or change; Art. 14
(第十四条) — the decisions name who took them.

Proves, through the real router with the demo organisation (信息中心: head 王五, officer 赵六) and,
where a test says so, a deputy 孙十 with the ic_admin role:
- an Information Center officer applies: the decision card goes to the head of the Information
  Center (not to him, nor to the account's proposed leader); pressing an old card anyway is
  refused and changes nothing; the head decides and the audit row names him;
- the head of the Information Center applies: his own attestation is marked so on the card, and
  another admin decides; a department head with the ic_admin role who attested an application
  does not approve it too;
- every Information Center admin concerned: the applicant and the admins are told clearly that
  nobody can decide and the organisation must add an admin; once one is added, pressing the card
  hands it over, and the new admin decides;
- a filing submitted by an Information Center officer for an account he administers is
  acknowledged by another admin; a return is audited with who returned it;
- a change requested by an Information Center admin, or naming one as the new person, is filed
  by another admin.
"""

from __future__ import annotations

from bot import texts
from handlers.governance import application_card
from handlers.registry import filing_card, filing_concerned
from models import (
    Account,
    AccountApplication,
    AccountChange,
    AccountFiling,
    AccountStatus,
    ApplicationStatus,
    AuditEvent,
    Department,
    Person,
)
from tests.conftest import World

ANSWERS = {texts.Q_PLATFORM: "微信", texts.Q_DEPARTMENT: "本部门",
           texts.Q_DESCRIPTION: "发布信息化服务通知，回应师生咨询。"}


async def add_deputy(world: World) -> Person:
    """孙十, deputy head of the Information Center, an admin by role (the org file's ic_admin)."""
    ic = await Department.get(code="info-center")
    return await Person.create(code="sunshi", name="孙十", wecom_userid="sunshi", title="信息中心副主任",
                               office_phone="010-80000009", mobile="13800000009", department_id=ic.id,
                               roles=["ic_admin"])


async def apply(world: World, who: str, name: str, leader: str, admin: str) -> AccountApplication:
    """Fill form 1 as ``who`` (answering whatever the form asks) and submit it."""
    await world.say(who, "申请开通")
    answers = {texts.Q_NAME: name, texts.Q_LEADER: leader, texts.Q_ADMIN: admin, **ANSWERS}
    for _ in range(20):
        question = world.last_text(who)
        asked = next((q for q in (*answers, texts.Q_LEADER_TITLE, texts.Q_LEADER_PHONE,
                                  texts.Q_LEADER_MOBILE, texts.Q_ADMIN_TITLE, texts.Q_ADMIN_PHONE,
                                  texts.Q_ADMIN_MOBILE, texts.Q_ADMIN_QQ, texts.Q_ADMIN_WECHAT)
                      if q in question), None)
        if asked is None:
            break
        await world.say(who, answers.get(asked, "无"))
    await world.tap(who, world.channel.last_card(who, "form-apply-"), "提交")
    return await AccountApplication.get(name=name)


async def test_an_officer_applies_the_head_of_the_information_center_decides(world: World) -> None:
    """Art. 6: 赵六 (officer) applies with 孙十 as leader: only 王五 gets the decision card."""
    await add_deputy(world)
    app = await apply(world, "zhaoliu", "信息中心服务号", "孙十", "赵六")
    await world.tap("wangwu", world.channel.last_card("wangwu", f"app-{app.id}-head"), "同意")
    assert (await AccountApplication.get(id=app.id)).status == ApplicationStatus.ATTESTED
    ic_card = world.channel.last_card("wangwu", f"app-{app.id}-ic")
    assert dict(ic_card.fields)[texts.FIELD_ATTESTED_BY] == texts.attested_by("王五", False)
    assert world.channel.cards_to("zhaoliu") == [world.channel.last_card("zhaoliu", "form-apply-")]
    assert not world.channel.cards_to("sunshi")  # the proposed leader is concerned too
    # an old card (sent before the rule): pressing it is refused and changes nothing
    await world.tap("zhaoliu", ic_card, "批准")
    assert world.last_text("zhaoliu") == texts.decides_own(texts.decision_application(app.ref, app.name))
    await world.tap("sunshi", ic_card, "批准")
    assert world.last_text("sunshi") == texts.decides_own(texts.decision_application(app.ref, app.name))
    fresh = await AccountApplication.get(id=app.id)
    assert fresh.status == ApplicationStatus.ATTESTED and fresh.ic_admin_id is None
    assert not await Account.filter(name="信息中心服务号").exists()
    await world.tap("wangwu", ic_card, "批准")
    fresh = await AccountApplication.get(id=app.id)
    assert fresh.status == ApplicationStatus.APPROVED
    assert fresh.ic_admin_id == (await Person.get(code="wangwu")).id
    approved = await AuditEvent.get(action="application_approved", subject=app.ref)
    assert approved.actor == "wangwu"  # Art. 14: the record names who decided


async def test_the_head_of_the_information_center_applies_another_admin_decides(world: World) -> None:
    """Art. 6: 王五 applies for his own department's account; 孙十 decides, 王五 and 赵六
    (the proposed administrator) cannot."""
    await add_deputy(world)
    app = await apply(world, "wangwu", "信息中心发布", "王五", "赵六")
    fresh = await AccountApplication.get(id=app.id)  # Art. 4: the head's own signature
    assert fresh.status == ApplicationStatus.ATTESTED and fresh.head_id == fresh.applicant_id
    assert not [c for c in world.channel.cards_to("wangwu") if c.card_id.startswith("app-")]
    assert not [c for c in world.channel.cards_to("zhaoliu") if c.card_id.startswith("app-")]
    ic_card = world.channel.last_card("sunshi", f"app-{app.id}-ic")
    # the Information Center sees that nobody else in the department signed
    assert dict(ic_card.fields)[texts.FIELD_ATTESTED_BY] == texts.attested_by("王五", True)
    attested = await AuditEvent.get(action="application_attested", subject=app.ref)
    assert attested.actor == "wangwu" and attested.detail.get("self") is True
    await world.tap("wangwu", ic_card, "驳回")
    assert world.last_text("wangwu") == texts.decides_own(texts.decision_application(app.ref, app.name))
    assert (await AccountApplication.get(id=app.id)).status == ApplicationStatus.ATTESTED
    await world.tap("sunshi", ic_card, "批准")
    assert (await AccountApplication.get(id=app.id)).ic_admin_id == (await Person.get(code="sunshi")).id
    assert (await AuditEvent.get(action="application_approved", subject=app.ref)).actor == "sunshi"


async def test_a_head_who_attested_does_not_approve_as_an_admin_too(world: World) -> None:
    """Art. 6: 李四, head of 宣传科 and given the ic_admin role, attests 张三's application; the
    approval is 王五's or 赵六's, not his (he signed for the 主办 side)."""
    await Person.filter(code="lisi").update(roles=["ic_admin"])
    app = await apply(world, "zhangsan", "宣传科视频号", "陈七", "张三")
    await world.tap("lisi", world.channel.last_card("lisi", f"app-{app.id}-head"), "同意")
    assert not [c for c in world.channel.cards_to("lisi") if c.card_id == f"app-{app.id}-ic"]
    ic_card = world.channel.last_card("zhaoliu", f"app-{app.id}-ic")
    assert world.channel.last_card("wangwu", f"app-{app.id}-ic").card_id == ic_card.card_id
    await world.tap("lisi", ic_card, "批准")
    assert world.last_text("lisi") == texts.decides_own(texts.decision_application(app.ref, app.name))
    assert (await AccountApplication.get(id=app.id)).status == ApplicationStatus.ATTESTED
    await world.tap("zhaoliu", ic_card, "批准")
    assert (await AuditEvent.get(action="application_approved", subject=app.ref)).actor == "zhaoliu"


async def test_when_every_admin_is_concerned_everyone_is_told_and_an_added_admin_decides(
        world: World) -> None:
    """Art. 6: 王五 applies with 赵六 as administrator and there is no third admin: no silent
    deadlock. The applicant and 赵六 hear that the organisation must add an admin; 赵六's card
    refuses him; once 孙十 is added, pressing it hands the card to 孙十, who decides."""
    app = await apply(world, "wangwu", "信息中心发布", "王五", "赵六")
    stuck = texts.nobody_else_decides(texts.decision_application(app.ref, app.name))
    assert world.last_text("wangwu") == stuck
    assert world.last_text("zhaoliu") == stuck
    card = world.channel.last_card("zhaoliu", f"app-{app.id}-ic")  # kept, not dropped
    await world.tap("zhaoliu", card, "批准")
    assert world.last_text("zhaoliu") == stuck
    assert (await AccountApplication.get(id=app.id)).status == ApplicationStatus.ATTESTED
    await add_deputy(world)
    await world.tap("zhaoliu", card, "批准")
    assert world.last_text("zhaoliu") == texts.decides_own(texts.decision_application(app.ref, app.name))
    assert (await AccountApplication.get(id=app.id)).status == ApplicationStatus.ATTESTED
    handed = world.channel.last_card("sunshi", f"app-{app.id}-ic")
    await world.tap("zhaoliu", card, "批准")  # pressed again: 孙十 is not sent it twice
    assert len([c for c in world.channel.cards_to("sunshi") if c.card_id == handed.card_id]) == 1
    await world.tap("sunshi", handed, "批准")
    assert (await AccountApplication.get(id=app.id)).status == ApplicationStatus.APPROVED


async def ic_account(world: World) -> Account:
    """An Information Center account, approved: 王五 its leader, 赵六 its administrator."""
    ic = await Department.get(code="info-center")
    wangwu, zhaoliu = await Person.get(code="wangwu"), await Person.get(code="zhaoliu")
    return await Account.create(name="信息中心发布", platform="wechat", department_id=ic.id,
                                leader_id=wangwu.id, admin_id=zhaoliu.id, status=AccountStatus.APPROVED,
                                description="信息化服务通知", created_at=world.clock.now)


async def file(world: World, who: str, account: str) -> AccountFiling:
    await world.say(who, f"备案 @{account}")
    for answer in ("gh_3f2a9c81d7e4", "2026-11-20", "350"):
        await world.say(who, answer)
    await world.image(who, b"\x89PNG qr")
    await world.tap(who, world.channel.last_card(who, "form-filing-"), "提交")
    return await AccountFiling.get()


async def test_a_filing_by_an_officer_of_the_information_center_is_acknowledged_by_another(
        world: World) -> None:
    """Art. 6: 赵六 files the account he administers; 王五 acknowledges it, 赵六 cannot."""
    await ic_account(world)
    filing = await file(world, "zhaoliu", "信息中心发布")
    assert not [c for c in world.channel.cards_to("zhaoliu") if c.card_id.startswith("filing-")]
    card = world.channel.last_card("wangwu", "filing-")
    account = await Account.get(name="信息中心发布")
    old = filing_card(filing, account, "赵六")  # an old card in 赵六's hands
    await world.tap("zhaoliu", old, "已备案")
    assert world.last_text("zhaoliu") == texts.decides_own(texts.decision_filing(filing.ref, "信息中心发布"))
    assert (await AccountFiling.get(id=filing.id)).acknowledged_at is None
    assert (await Account.get(name="信息中心发布")).status == AccountStatus.APPROVED
    await world.tap("wangwu", card, "已备案")
    assert (await AccountFiling.get(id=filing.id)).acknowledged_by_id == (await Person.get(code="wangwu")).id
    assert (await Account.get(name="信息中心发布")).status == AccountStatus.OPERATING
    assert (await AuditEvent.get(action="filing_acknowledged")).actor == "wangwu"


async def test_a_filing_that_names_a_new_person_concerns_the_old_and_the_new(world: World) -> None:
    """Art. 6: a filing that changes the leader is a change too: the old and the new leader may
    not acknowledge it; the submitter and the administrator never may."""
    account = await ic_account(world)
    lisi, zhangsan = await Person.get(code="lisi"), await Person.get(code="zhangsan")
    filing = await AccountFiling.create(account_id=account.id, form={"leader_code": "lisi",
                                                                     "admin_code": "zhaoliu"},
                                        submitted_by_id=zhangsan.id, submitted_at=world.clock.now)
    ids = {p.id: p.code for p in await Person.all()}
    assert {ids[i] for i in await filing_concerned(filing, account)} == {
        "zhangsan", "zhaoliu", "wangwu", "lisi"}
    filing.form = {"leader_code": "wangwu", "admin_code": "zhaoliu"}  # nobody changes
    assert {ids[i] for i in await filing_concerned(filing, account)} == {"zhangsan", "zhaoliu"}
    assert lisi.id not in await filing_concerned(filing, account)


async def test_a_returned_filing_is_audited_with_who_returned_it(world: World) -> None:
    """Art. 14: returning is a decision too; its record names the admin."""
    await ic_account(world)
    filing = await file(world, "zhaoliu", "信息中心发布")
    await world.tap("wangwu", world.channel.last_card("wangwu", "filing-"), "退回")
    returned = await AuditEvent.get(action="filing_returned")
    assert (returned.actor, returned.detail) == ("wangwu", {"filing": filing.ref})


async def test_a_filing_when_only_the_submitter_is_left_says_so(world: World) -> None:
    """Art. 6: with 王五 the only admin left and 王五 the administrator submitting, nobody can
    acknowledge it; he is told, not left waiting."""
    await Person.filter(code="zhaoliu").update(is_officer=False)
    account = await ic_account(world)
    await Account.filter(id=account.id).update(admin_id=(await Person.get(code="wangwu")).id)
    filing = await file(world, "wangwu", "信息中心发布")
    assert world.last_text("wangwu") == texts.nobody_else_decides(
        texts.decision_filing(filing.ref, "信息中心发布"))
    await world.tap("wangwu", world.channel.last_card("wangwu", "filing-"), "已备案")
    assert (await AccountFiling.get(id=filing.id)).acknowledged_at is None


async def test_a_change_requested_by_an_admin_is_filed_by_another(world: World) -> None:
    """Art. 6: 王五 asks to change 某某发布's administrator: 赵六 files it; and a change naming
    赵六 as the new administrator is filed by 王五."""
    await world.say("wangwu", "变更 @某某发布 管理员 陈七")
    assert not [c for c in world.channel.cards_to("wangwu") if c.card_id.startswith("change-")]
    card = world.channel.last_card("zhaoliu", "change-")
    change = await AccountChange.get()
    await world.tap("wangwu", card, "已备案")  # as if he had an old card
    assert world.last_text("wangwu") == texts.decides_own(texts.decision_change("某某发布", "管理员"))
    assert (await AccountChange.get(id=change.id)).filed_at is None
    assert (await Account.get(name="某某发布")).admin_id == (await Person.get(code="zhangsan")).id
    await world.tap("zhaoliu", card, "已备案")
    assert (await AccountChange.get(id=change.id)).filed_by_id == (await Person.get(code="zhaoliu")).id
    assert (await Account.get(name="某某发布")).admin_id == (await Person.get(code="chenqi")).id
    assert (await AuditEvent.get(action="change_filed")).actor == "zhaoliu"
    await world.say("lisi", "变更 @某某头条 管理员 赵六")  # the new person is an admin
    second = await AccountChange.get(new_person_id=(await Person.get(code="zhaoliu")).id)
    assert world.channel.last_card("wangwu", "change-").card_id == f"change-{second.id}"
    assert not [c for c in world.channel.cards_to("zhaoliu") if c.card_id == f"change-{second.id}"]


def test_the_application_card_names_the_attestation_only_at_the_information_center() -> None:
    app = AccountApplication(id=7, name="某某", applicant_id=3, head_id=3, form={"platform": "微信"})
    assert texts.FIELD_ATTESTED_BY not in dict(application_card(app, "李四", "head", "李四").fields)
    assert dict(application_card(app, "李四", "ic", "李四").fields)[texts.FIELD_ATTESTED_BY] == \
        texts.attested_by("李四", True)
