"""WeComDirectory against the fake WeCom on 127.0.0.1: people by mobile (found, unknown, outside
the app's visible range), departments and members as the app may see them, fields withheld from
newer apps coming back as None, and the directory's errors (45009 throttled, 48002 / 60011 no
permission, others with their code) — with the access token renewed on 42001 as for sends."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.channels.wecom.client import WeComClient
from bot.channels.wecom.directory import WeComDirectory
from bot.directory import (
    DirectoryDepartment,
    DirectoryError,
    DirectoryPerson,
    DirectoryThrottled,
    NoPermission,
)
from tests.fake_wecom import FakeDepartment, FakeDirectory, FakePerson, FakeWeCom, ManualClock

CORP_ID, SECRET = "ww4f2b6c1e8d3a7f90", "app-secret-of-xmt-bot"


def organisation() -> FakeDirectory:
    """A county government: the root, 宣传部 with 网信办 under it, 教育局, and 财政局 which the app
    does not see (its visible range is 宣传部 and 教育局)."""
    return FakeDirectory(
        departments=[
            FakeDepartment(1, "某某县人民政府", 0),
            FakeDepartment(2, "宣传部", 1, order=100, leaders=["zhangsan"]),
            FakeDepartment(5, "网信办", 2, order=90),
            FakeDepartment(3, "教育局", 1, order=80),
            FakeDepartment(4, "财政局", 1, order=70),
        ],
        people=[
            FakePerson("zhangsan", "张三", "13800000001", [2]),
            FakePerson("lisi", "李四", "13800000002", [2, 4]),
            FakePerson("WangWu", "王五", "13800000003", [5]),
            FakePerson("zhaoliu", "赵六", "13800000004", [3], status=4),
            FakePerson("sunqi", "孙七", "13800000005", [4]),
            FakePerson("zhouba", "周八", "", [3], status=2),
        ],
        visible={2, 3},
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeCom]:
    server = FakeWeCom(corp_id=CORP_ID, secret=SECRET, clock=ManualClock())
    server.directory = organisation()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(fake: FakeWeCom) -> AsyncIterator[WeComClient]:
    wecom = WeComClient(base=fake.base_url, corp_id=CORP_ID, secret=SECRET, timeout=1.0,
                        clock=fake.clock)
    yield wecom
    await wecom.close()


@pytest.fixture
def directory(client: WeComClient) -> WeComDirectory:
    return WeComDirectory(client)


# -- people by mobile -----------------------------------------------------------------------------

async def test_a_visible_mobile_gives_the_userid(directory: WeComDirectory, fake: FakeWeCom) -> None:
    assert directory.platform == "wecom"
    assert await directory.userid_by_mobile("13800000001") == "zhangsan"
    assert await directory.userid_by_mobile("13800000003") == "WangWu"  # under a visible department
    assert fake.calls["user/getuserid"] == 2


async def test_an_unknown_mobile_is_not_found(directory: WeComDirectory) -> None:
    assert await directory.userid_by_mobile("13900000000") is None


@pytest.mark.parametrize("errcode", [60011, 46004])
async def test_a_mobile_outside_the_visible_range_is_not_found(
        directory: WeComDirectory, fake: FakeWeCom, errcode: int) -> None:
    fake.hidden_mobile_errcode = errcode
    assert await directory.userid_by_mobile("13800000005") is None  # 孙七, 财政局 only


async def test_a_person_made_visible_by_name_is_found(directory: WeComDirectory, fake: FakeWeCom) -> None:
    fake.directory.visible_users.add("sunqi")
    assert await directory.userid_by_mobile("13800000005") == "sunqi"


async def test_a_malformed_mobile_is_an_error_with_its_code(directory: WeComDirectory) -> None:
    with pytest.raises(DirectoryError) as caught:
        await directory.userid_by_mobile("138")
    assert caught.value.code == "60103"
    assert not isinstance(caught.value, NoPermission | DirectoryThrottled)


# -- departments and members ----------------------------------------------------------------------

async def test_departments_are_those_in_the_visible_range(directory: WeComDirectory) -> None:
    departments = await directory.departments()
    assert departments == [
        DirectoryDepartment("2", "宣传部", "1"),
        DirectoryDepartment("5", "网信办", "2"),
        DirectoryDepartment("3", "教育局", "1"),
    ]


async def test_the_root_has_no_parent(directory: WeComDirectory, fake: FakeWeCom) -> None:
    fake.directory.visible = None
    departments = {d.id: d for d in await directory.departments()}
    assert departments["1"] == DirectoryDepartment("1", "某某县人民政府", None)
    assert set(departments) == {"1", "2", "3", "4", "5"}


async def test_members_are_the_direct_ones_with_visible_departments(directory: WeComDirectory) -> None:
    members = await directory.members("2")
    assert members == [
        DirectoryPerson("zhangsan", "张三", "13800000001", ("2",)),
        DirectoryPerson("lisi", "李四", "13800000002", ("2",)),  # 财政局 (4) is not shown
    ]
    assert [m.userid for m in await directory.members("5")] == ["WangWu"]


async def test_disabled_and_inactive_members_are_listed_as_not_active(directory: WeComDirectory) -> None:
    members = {m.userid: m for m in await directory.members("3")}
    assert members["zhaoliu"].active is False  # 4: not activated
    assert members["zhouba"].active is False  # 2: disabled
    assert members["zhouba"].mobile is None  # an empty mobile is no mobile


async def test_an_app_created_after_2022_06_20_gets_no_mobiles(
        directory: WeComDirectory, client: WeComClient, fake: FakeWeCom) -> None:
    fake.withhold_sensitive = True
    members = await directory.members("2")
    assert [(m.userid, m.name, m.mobile) for m in members] == [
        ("zhangsan", "张三", None), ("lisi", "李四", None)]
    raw = await client.user_list("2")
    assert "mobile" not in raw[0] and "email" not in raw[0]  # absent, as the fake answers
    assert await directory.userid_by_mobile("13800000001") == "zhangsan"  # the lookup still works


async def test_withheld_names_come_back_as_none(directory: WeComDirectory, fake: FakeWeCom) -> None:
    fake.withhold_names = True
    assert {m.name for m in await directory.members("2")} == {None}
    assert {d.name for d in await directory.departments()} == {None}


async def test_members_of_a_department_outside_the_visible_range_is_no_permission(
        directory: WeComDirectory) -> None:
    with pytest.raises(NoPermission) as caught:
        await directory.members("4")
    assert caught.value.code == "60011"


async def test_members_of_an_unknown_department_is_an_error_with_its_code(
        directory: WeComDirectory) -> None:
    with pytest.raises(DirectoryError) as caught:
        await directory.members("99")
    assert caught.value.code == "60003"
    assert not isinstance(caught.value, NoPermission)


async def test_user_get_reads_one_member_or_none(client: WeComClient) -> None:
    member = await client.user_get("wangwu")  # userids are not case-sensitive
    assert member is not None and member["userid"] == "WangWu" and member["name"] == "王五"
    assert await client.user_get("nobody") is None


async def test_user_list_id_is_refused_to_an_app_secret(client: WeComClient) -> None:
    result = await client.call("user/list_id", json={"limit": 100}, check=False)
    assert result["errcode"] == 48002


# -- errors ---------------------------------------------------------------------------------------

CALLS = {
    "user/getuserid": lambda d: d.userid_by_mobile("13800000001"),
    "department/list": lambda d: d.departments(),
    "user/list": lambda d: d.members("2"),
}


@pytest.mark.parametrize("path", list(CALLS))
async def test_the_frequency_limit_is_throttled(
        directory: WeComDirectory, fake: FakeWeCom, path: str) -> None:
    fake.fail(path, 45009)
    with pytest.raises(DirectoryThrottled) as caught:
        await CALLS[path](directory)
    assert caught.value.code == "45009"
    await CALLS[path](directory)  # the next call goes through


@pytest.mark.parametrize(("path", "errcode"), [
    (path, errcode) for path in CALLS for errcode in (48002, 60011, 60020)
    if (path, errcode) != ("user/getuserid", 60011)])  # there: outside the visible range, not found
async def test_a_missing_permission_is_no_permission(
        directory: WeComDirectory, fake: FakeWeCom, path: str, errcode: int) -> None:
    fake.fail(path, errcode)
    with pytest.raises(NoPermission) as caught:
        await CALLS[path](directory)
    assert caught.value.code == str(errcode)


@pytest.mark.parametrize("path", list(CALLS))
async def test_the_access_token_is_renewed_on_42001(
        directory: WeComDirectory, fake: FakeWeCom, path: str) -> None:
    await CALLS[path](directory)
    fake.expire_tokens()
    await CALLS[path](directory)
    assert fake.tokens_issued == 2
    assert fake.calls[path] == 3  # the refused call, then the same call with the new token


async def test_a_token_refused_after_renewal_is_a_directory_error(
        directory: WeComDirectory, fake: FakeWeCom) -> None:
    fake.token_outage_until = fake.clock() + 60
    with pytest.raises(DirectoryError) as caught:
        await directory.departments()
    assert not isinstance(caught.value, NoPermission | DirectoryThrottled)
    assert fake.tokens_issued == 2


async def test_a_server_error_is_a_directory_error(directory: WeComDirectory, fake: FakeWeCom) -> None:
    fake.fail("user/list", "http500")
    with pytest.raises(DirectoryError):
        await directory.members("2")


async def test_a_refused_secret_is_a_directory_error_with_its_code(fake: FakeWeCom) -> None:
    wecom = WeComClient(base=fake.base_url, corp_id=CORP_ID, secret="wrong", clock=fake.clock)
    try:
        with pytest.raises(DirectoryError) as caught:
            await WeComDirectory(wecom).departments()
        assert caught.value.code == "40001"
    finally:
        await wecom.close()


# -- one person (the change events' prepare) ------------------------------------------------------

async def test_a_person_by_userid(directory: WeComDirectory, fake: FakeWeCom) -> None:
    assert await directory.person("lisi") == DirectoryPerson("lisi", "李四", "13800000002", ("2",))
    assert await directory.person("zhaoliu") == DirectoryPerson("zhaoliu", "赵六", "13800000004", ("3",),
                                                                active=False)  # not activated
    fake.withhold_sensitive, fake.withhold_names = True, True
    assert await directory.person("zhangsan") == DirectoryPerson("zhangsan", None, None, ("2",))


async def test_a_person_no_longer_shown_is_none(directory: WeComDirectory, fake: FakeWeCom) -> None:
    assert await directory.person("nobody") is None  # 60111
    assert await directory.person("sunqi") is None  # 财政局 only: outside the visible range, 60011
    fake.directory.people.append(FakePerson("qianshi", "钱十", "", [3], status=5))
    assert await directory.person("qianshi") is None  # 5: left the organisation
    fake.fail("user/get", 46004)
    assert await directory.person("lisi") is None


@pytest.mark.parametrize(("errcode", "error"), [(48002, NoPermission), (60020, NoPermission),
                                                (45009, DirectoryThrottled), (40058, DirectoryError)])
async def test_a_refused_person_lookup_raises(directory: WeComDirectory, fake: FakeWeCom, errcode: int,
                                              error: type[DirectoryError]) -> None:
    fake.fail("user/get", errcode)
    with pytest.raises(error) as caught:
        await directory.person("lisi")
    assert caught.value.code == str(errcode)
