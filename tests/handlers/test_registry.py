"""Filing (form 2), verification, changes of leader or administrator, and the registry views
(Art. 2, 4), through the real router."""

from __future__ import annotations

from bot import texts
from models import Account, AccountChange, AccountFiling, AccountStatus, Department, Person
from tests.conftest import World


async def approved_account(world: World) -> Account:
    dept = await Department.get(code="publicity")
    lisi, zhangsan = await Person.get(code="lisi"), await Person.get(code="zhangsan")
    return await Account.create(name="某某微博", platform="weibo", department_id=dept.id,
                                leader_id=lisi.id, admin_id=zhangsan.id, status=AccountStatus.APPROVED,
                                description="发布动态", created_at=world.clock.now)


async def test_filing_opens_the_account_after_the_information_center_files_it(world: World) -> None:
    await approved_account(world)
    await world.say("zhangsan", "备案 @某某微博")
    await world.say("zhangsan", "mouweibo_official")
    await world.say("zhangsan", "2099-01-01")
    assert world.last_text("zhangsan").startswith(texts.BAD_DATE)
    await world.say("zhangsan", "2026年11月20日")
    await world.say("zhangsan", "1,200")
    await world.say("zhangsan", "这不是图片")
    assert world.last_text("zhangsan").endswith(texts.Q_QR)
    await world.image("zhangsan", b"\x89PNG qr code bytes")
    card = world.channel.last_card("zhangsan", "form-filing-")
    values = dict(card.fields)
    assert values["2. 创建时间"] == "2026-11-20" and values["3. 关注人数"] == "1200"
    assert values["4. 二维码"].startswith("已收到图片") and values["5. 负责人"] == "李四"
    await world.tap("zhangsan", card, "提交")
    assert world.last_text("zhangsan") == texts.filing_submitted("B1", "某某微博")
    ic_card = world.channel.last_card("wangwu", "filing-")
    await world.tap("zhangsan", ic_card, "已备案")
    assert world.last_text("zhangsan") == texts.ONLY_INFO_CENTER
    await world.tap("wangwu", ic_card, "已备案")
    account = await Account.get(name="某某微博")
    assert account.status == AccountStatus.OPERATING and account.filed_at is not None
    assert (account.platform_account_id, account.opened_on, account.followers) == (
        "mouweibo_official", "2026-11-20", 1200)
    assert account.qr_code == b"\x89PNG qr code bytes"
    assert world.last_text("zhangsan") == texts.filed_to_submitter("B1", "某某微博", True)
    await world.tap("zhaoliu", world.channel.last_card("zhaoliu", "filing-"), "已备案")
    assert world.last_text("zhaoliu") == texts.filing_already("B1")
    # filed: drafts are accepted now (Art. 3)
    await world.say("zhangsan", "投稿 @某某微博 1 标题\n正文")
    assert world.channel.last_card("zhangsan", "pv-").subtitle == "标题"


async def test_returned_filing_changes_nothing(world: World) -> None:
    await approved_account(world)
    await world.say("zhangsan", "备案 @某某微博")
    for answer in ("id1", "2026-11-20", "10"):
        await world.say("zhangsan", answer)
    await world.image("zhangsan", b"qr")
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "form-filing-"), "提交")
    await world.tap("wangwu", world.channel.last_card("wangwu", "filing-"), "退回")
    assert (await Account.get(name="某某微博")).status == AccountStatus.APPROVED
    assert (await AccountFiling.get()).returned
    assert world.last_text("zhangsan") == texts.filing_returned("B1", "某某微博")


async def test_only_people_responsible_may_file_or_verify(world: World) -> None:
    await approved_account(world)
    await world.say("wujiu", "备案 @某某微博")  # another department's officer
    assert world.last_text("wujiu") == texts.not_responsible_for("某某微博")
    await world.say("wujiu", "已认证 @某某微博")
    assert world.last_text("wujiu") == texts.not_responsible_for("某某微博")
    # how 已认证 is taken (Art. 4, with its evidence) is tested with handlers.verification
    await world.say("zhangsan", "备案 @不存在")
    assert "没有找到账号「不存在」" in world.last_text("zhangsan")


async def test_change_of_administrator_is_filed_and_both_people_told(world: World) -> None:
    await world.say("zhangsan", "变更 @某某发布 管理员")
    assert world.last_text("zhangsan") == texts.CHANGE_USAGE
    await world.say("zhangsan", "变更 @某某发布 管理员 张三")
    assert world.last_text("zhangsan") == texts.change_same("某某发布", "管理员", "张三")
    await world.say("zhangsan", "变更 @某某发布 管理员 陈七")
    assert world.last_text("zhangsan") == texts.change_requested("某某发布", "管理员", "陈七")
    assert (await Account.get(name="某某发布")).admin_id == (await Person.get(code="zhangsan")).id
    await world.tap("wangwu", world.channel.last_card("wangwu", "change-"), "已备案")
    account = await Account.get(name="某某发布")
    assert account.admin_id == (await Person.get(code="chenqi")).id
    assert world.last_text("chenqi") == texts.change_to_new("某某发布", "管理员")
    assert world.last_text("zhangsan") == texts.change_to_old("某某发布", "管理员", "陈七")
    change = await AccountChange.get()
    assert change.filed_at is not None and change.role == "admin"
    await world.say("lisi", "账号 @某某发布")
    record = world.last_text("lisi")
    assert "管理员：陈七" in record and "管理员：张三 → 陈七" in record


async def test_registry_is_for_the_information_center(world: World) -> None:
    await world.say("zhangsan", "台账")
    assert world.last_text("zhangsan") == texts.ONLY_INFO_CENTER_REGISTRY
    await world.say("wangwu", "台账")
    registry = world.last_text("wangwu")
    assert registry.startswith("新媒体账号台账（3 个）")
    line = ("「某某发布」微信公众号·宣传科·运行中·已备案·已认证·负责人 李四·管理员 张三"
            "·最近发布 无·年审 未提交")  # verified_on in the organisation file
    assert line in registry and "「某某服务」移动客户端·服务中心·运行中·已备案·未认证" in registry
