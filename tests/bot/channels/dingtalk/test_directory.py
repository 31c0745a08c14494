"""DingTalkDirectory against the fake DingTalk on 127.0.0.1: lookup by mobile (found, not found),
the department walk from the root, paginated members, withheld mobiles as None, and the errors
resolve and sync read (rate limit, no permission, a refused token renewed once)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.channels.dingtalk.client import DingTalkClient
from bot.channels.dingtalk.directory import DingTalkDirectory
from bot.directory import Directory, DirectoryDepartment, DirectoryError, DirectoryThrottled, NoPermission
from tests.fake_dingtalk import (
    ERR_INVALID_TOKEN,
    ERR_NO_PERMISSION,
    ERR_QPS_APP,
    ERR_QPS_GLOBAL,
    ERR_TOKEN_EXPIRED,
    FakeDingTalk,
    ManualClock,
)

MOBILE = "13800138000"


@dataclass
class World:
    fake: FakeDingTalk
    directory: DingTalkDirectory


@pytest.fixture
async def world() -> AsyncIterator[World]:
    pace = ManualClock()
    fake = FakeDingTalk(clock=pace)
    base = await fake.start()
    client = DingTalkClient(api_base=base, oapi_base=base, app_key=fake.app_key,
                            app_secret=fake.app_secret, timeout=1.0, clock=pace)
    fake.add_department(2, "宣传部")
    fake.add_department(3, "网信办")
    fake.add_department(21, "新媒体科", parent=2)
    fake.add_person("manager4220", "张三", MOBILE, departments=(2,))
    fake.add_person("0149221535731063", "李四", "13900139000", departments=(21, 3))
    yield World(fake, DingTalkDirectory(client))
    await client.close()
    await fake.stop()


def test_it_is_a_directory_for_the_dingtalk_column(world: World) -> None:
    directory: Directory = world.directory
    assert directory.platform == "dingtalk"


async def test_a_mobile_in_the_directory_gives_its_userid(world: World) -> None:
    assert await world.directory.userid_by_mobile(MOBILE) == "manager4220"
    assert world.fake.calls["topapi/v2/user/getbymobile"] == 1


async def test_a_mobile_not_in_the_directory_is_none(world: World) -> None:
    assert await world.directory.userid_by_mobile("13700137000") is None


async def test_someone_who_left_is_not_found_by_mobile(world: World) -> None:
    world.fake.remove_person("manager4220")
    assert await world.directory.userid_by_mobile(MOBILE) is None


async def test_departments_are_walked_from_the_root(world: World) -> None:
    found = await world.directory.departments()
    assert found == [
        DirectoryDepartment("1", "测试企业", None),
        DirectoryDepartment("2", "宣传部", "1"),
        DirectoryDepartment("3", "网信办", "1"),
        DirectoryDepartment("21", "新媒体科", "2"),
    ]
    assert world.fake.calls["topapi/v2/department/listsub"] == 4  # one per department, leaves too


async def test_members_are_the_people_directly_in_the_department(world: World) -> None:
    [zhang] = await world.directory.members("2")
    assert (zhang.userid, zhang.name, zhang.mobile, zhang.departments, zhang.active) == (
        "manager4220", "张三", MOBILE, ("2",), True)
    [li] = await world.directory.members("21")
    assert li.departments == ("21", "3")
    assert await world.directory.members("1") == []


async def test_members_are_read_page_by_page(world: World) -> None:
    ids = [f"{1000 + n:016d}" for n in range(230)]
    for n, userid in enumerate(ids):
        world.fake.add_person(userid, f"成员{n}", f"137{n:08d}", departments=(3,),
                              active=n != 7)
    people = await world.directory.members("3")
    assert [p.userid for p in people] == ["0149221535731063", *ids]
    assert world.fake.calls["topapi/v2/user/list"] == 3  # 231 people, 100 a page
    assert [p.userid for p in people if not p.active] == [ids[7]]


async def test_withheld_mobiles_are_none_not_empty(world: World) -> None:
    world.fake.withhold_mobiles = True
    [zhang] = await world.directory.members("2")
    assert zhang.mobile is None
    assert zhang.name == "张三"


async def test_an_empty_name_is_none(world: World) -> None:
    world.fake.people["manager4220"]["name"] = ""
    [zhang] = await world.directory.members("2")
    assert zhang.name is None


async def test_a_rate_limit_is_throttled(world: World) -> None:
    world.fake.fail("topapi/v2/user/list", ERR_QPS_APP)
    with pytest.raises(DirectoryThrottled) as caught:
        await world.directory.members("2")
    assert caught.value.code == "90018"
    world.fake.fail("topapi/v2/user/getbymobile", ERR_QPS_GLOBAL)
    with pytest.raises(DirectoryThrottled):
        await world.directory.userid_by_mobile(MOBILE)
    assert await world.directory.userid_by_mobile(MOBILE) == "manager4220"  # next second: fine


async def test_a_missing_permission_is_no_permission(world: World) -> None:
    world.fake.denied.add("topapi/v2/department/listsub")
    with pytest.raises(NoPermission) as caught:
        await world.directory.departments()
    assert caught.value.code == "60011"
    assert "没有调用该接口的权限" in str(caught.value)
    world.fake.fail("topapi/v2/user/getbymobile", ERR_NO_PERMISSION)
    with pytest.raises(NoPermission):
        await world.directory.userid_by_mobile(MOBILE)


async def test_other_codes_are_directory_errors_with_the_code(world: World) -> None:
    with pytest.raises(DirectoryError) as caught:
        await world.directory.members("99")  # not a department: 60003
    assert caught.value.code == "60003"
    assert not isinstance(caught.value, (NoPermission, DirectoryThrottled))
    world.fake.fail("topapi/v2/user/getbymobile", "http500")
    with pytest.raises(DirectoryError) as caught:
        await world.directory.userid_by_mobile(MOBILE)
    assert caught.value.code == "HTTP 500"


@pytest.mark.parametrize("code", [ERR_INVALID_TOKEN, ERR_TOKEN_EXPIRED])
async def test_a_refused_token_is_renewed_once(world: World, code: int) -> None:
    assert await world.directory.userid_by_mobile(MOBILE) == "manager4220"
    assert world.fake.tokens_issued == 1
    world.fake.fail("topapi/v2/user/list", code)
    [zhang] = await world.directory.members("2")
    assert zhang.userid == "manager4220"
    assert world.fake.tokens_issued == 2
    assert world.fake.calls["topapi/v2/user/list"] == 2


async def test_a_revoked_token_is_renewed(world: World) -> None:
    await world.directory.userid_by_mobile(MOBILE)
    world.fake.expire_tokens()
    assert len(await world.directory.departments()) == 4
    assert world.fake.tokens_issued == 2


async def test_a_token_refused_after_renewal_is_a_directory_error(world: World) -> None:
    world.fake.fail("topapi/v2/user/getbymobile", ERR_TOKEN_EXPIRED, times=2)
    with pytest.raises(DirectoryError) as caught:
        await world.directory.userid_by_mobile(MOBILE)
    assert caught.value.code == "42001"
    assert world.fake.tokens_issued == 2


async def test_person_by_userid_gives_name_and_department_ids(world: World) -> None:
    found = await world.directory.person("0149221535731063")
    assert found is not None
    assert (found.userid, found.name, found.mobile, found.departments) == (
        "0149221535731063", "李四", "13900139000", ("21", "3"))
    assert world.fake.calls["topapi/v2/user/get"] == 1


async def test_person_who_left_is_none_and_withheld_mobile_is_none(world: World) -> None:
    world.fake.remove_person("manager4220")
    assert await world.directory.person("manager4220") is None  # errcode 60121
    world.fake.withhold_mobiles = True
    found = await world.directory.person("0149221535731063")
    assert found is not None and found.mobile is None and found.name == "李四"


async def test_person_without_permission_or_throttled_raises(world: World) -> None:
    world.fake.denied.add("topapi/v2/user/get")
    with pytest.raises(NoPermission):
        await world.directory.person("manager4220")
    world.fake.denied.clear()
    world.fake.fail("topapi/v2/user/get", ERR_QPS_APP)
    with pytest.raises(DirectoryThrottled):
        await world.directory.person("manager4220")
