"""``xmt org sync`` (issue 16; Art. 4, 7): the demo organisation against a directory. Each kind of
plan line (people added, gone with the roles they leave, moved, renamed; departments added,
removed, unnamed); ``apply`` writes moves, renames and deactivations with an audit line each and a
second run has nothing to do; a withheld name renames no one; a failing directory changes nothing.
The directory is an in-memory stand-in for ``bot.directory.Directory``; one test goes through
WeComDirectory against the fake WeCom."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import texts
from bot.directory import DirectoryDepartment, DirectoryError, DirectoryPerson, DirectoryThrottled
from bot.org_sync import Change, Entry, plan, sync
from models import Account, AuditEvent, Department, Person
from tests.conftest import World

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


class Directory:
    """The interface's stand-in: departments and their direct members; ``fault`` raised by
    ``members`` of the department with that id."""

    platform = "wecom"

    def __init__(self, departments: list[DirectoryDepartment], people: list[DirectoryPerson],
                 fault: tuple[str, Exception] | None = None) -> None:
        self.shown, self.people, self.fault = departments, people, fault

    async def userid_by_mobile(self, mobile: str) -> str | None:
        return None

    async def departments(self) -> list[DirectoryDepartment]:
        return self.shown

    async def members(self, department_id: str) -> list[DirectoryPerson]:
        if self.fault and self.fault[0] == department_id:
            raise self.fault[1]
        return [p for p in self.people if department_id in p.departments]

    async def person(self, userid: str) -> DirectoryPerson | None:
        return next((p for p in self.people if p.userid == userid), None)


def dept(id: str, name: str | None, parent: str | None = "1") -> DirectoryDepartment:
    return DirectoryDepartment(id, name, parent)


def person(userid: str, name: str | None, *departments: str) -> DirectoryPerson:
    return DirectoryPerson(userid, name, None, tuple(departments))


def unchanged() -> Directory:
    """The demo organisation as the directory shows it (the root included, not one of ours)."""
    return Directory(
        [dept("1", "某某县人民政府", None), dept("2", "信息中心"), dept("3", "宣传科"),
         dept("4", "服务中心")],
        [person("wangwu", "王五", "2"), person("zhaoliu", "赵六", "2"), person("lisi", "李四", "3"),
         person("zhangsan", "张三", "3"), person("chenqi", "陈七", "3"), person("zhouba", "周八", "4"),
         person("wujiu", "吴九", "4")])


def changed() -> Directory:
    """张三 moved to 服务中心 (also in a department we do not have), 陈七 renamed, 吴九 gone,
    孙十 new in 宣传科, 网信办 new, one department's name withheld, 信息中心 outside the range."""
    return Directory(
        [dept("1", "某某县人民政府", None), dept("3", "宣传科"), dept("4", "服务中心"), dept("5", "网信办"),
         dept("6", None)],
        [person("wangwu", "王五", "1"), person("zhaoliu", "赵六", "1"), person("lisi", "李四", "3"),
         person("zhangsan", "张三", "5", "4"), person("chenqi", "陈琪", "3"), person("zhouba", "周八", "4"),
         person("SunShi", "孙十", "3"), person("YeShiyi", "叶十一", "5")])


async def test_an_unchanged_directory_gives_only_the_root_as_a_department_we_lack(world: World) -> None:
    found = await plan(unchanged())
    assert found.entries == (Entry(Change.DEPARTMENT_ADDED, "某某县人民政府", "某某县人民政府"),)
    assert found.changes == ()


async def test_each_kind_of_plan_line(world: World) -> None:
    found = await plan(changed())
    assert set(found.entries) == {
        Entry(Change.DEPARTMENT_ADDED, "某某县人民政府", "某某县人民政府"),
        Entry(Change.DEPARTMENT_ADDED, "网信办", "网信办"),
        Entry(Change.DEPARTMENT_UNNAMED, "6", ""),
        Entry(Change.DEPARTMENT_REMOVED, "info-center", "信息中心"),
        Entry(Change.PERSON_ADDED, "SunShi", "孙十", "", "SunShi"),  # 叶十一: only in 网信办, not ours
        Entry(Change.PERSON_MOVED, "zhangsan", "张三", "publicity", "service"),
        Entry(Change.PERSON_RENAMED, "chenqi", "陈七", "陈七", "陈琪"),
        Entry(Change.PERSON_GONE, "wujiu", "吴九",
              roles=(("admin", "某某服务"), ("officer", "服务中心"))),
    }
    assert len(found.entries) == 8  # 王五 and 赵六, only in the root now, are not moved


async def test_a_gone_head_and_leader_is_said_so(world: World) -> None:
    directory = unchanged()
    directory.people = [p for p in directory.people if p.userid != "lisi"]
    found = await plan(directory)
    gone = [e for e in found.entries if e.change == Change.PERSON_GONE]
    assert gone == [Entry(Change.PERSON_GONE, "lisi", "李四", roles=(
        ("leader", "某某发布"), ("leader", "某某头条"), ("head", "宣传科")))]


async def test_apply_writes_and_audits_then_a_second_run_has_nothing_to_do(world: World) -> None:
    printed = await sync(changed(), now=NOW)  # the plan alone changes nothing
    assert printed.applied == 0 and len(printed.changes) == 3
    assert (await Person.get(code="wujiu")).active and await AuditEvent.filter(
        action__in=["person_moved", "person_renamed", "person_left"]).count() == 0

    done = await sync(changed(), now=NOW, write=True)
    assert done.applied == 3
    service = await Department.get(code="service")
    assert (await Person.get(code="zhangsan")).department_id == service.id
    assert (await Person.get(code="chenqi")).name == "陈琪"
    assert not (await Person.get(code="wujiu")).active
    audited = {(a.action, a.subject, a.actor) for a in await AuditEvent.filter(
        action__in=["person_moved", "person_renamed", "person_left"])}
    assert audited == {("person_moved", "zhangsan", "cli"), ("person_renamed", "chenqi", "cli"),
                       ("person_left", "wujiu", "cli")}
    moved = await AuditEvent.get(action="person_moved")
    assert moved.detail == {"platform": "wecom", "from": "publicity", "to": "service"}

    again = await sync(changed(), now=NOW, write=True)
    assert again.changes == () and again.applied == 0
    assert await AuditEvent.filter(action__in=["person_moved", "person_renamed", "person_left"]).count() == 3


async def test_apply_hands_on_what_the_people_gone_or_moved_held_as_a_change_event_would(
        world: World) -> None:
    """Art. 4, 7: a departure found by sync has the same follow-ups as one the platform told."""
    done = await sync(changed(), now=world.clock.now, write=True, outbox=world.bot.outbox)
    assert done.applied == 3
    await world.settle()
    # 吴九 (administrator of 某某服务, last officer of 服务中心) gone; 张三 (administrator of
    # 某某发布) moved to 服务中心 and no longer an officer of 宣传科, where 陈琪 still is.
    assert (await Account.get(name="某某服务")).refile["admin"]["why"] == "left"
    assert (await Account.get(name="某某发布")).refile["admin"]["why"] == "moved"
    assert not (await Person.get(code="zhangsan")).is_officer
    assert texts.no_officer_left("服务中心", "吴九", "已离职", ["某某服务"]) in world.texts("zhouba")
    assert texts.refile_needed("某某发布", "管理员", "张三", "已调至「服务中心」", "wecom", "陈琪",
                               texts.SUCCESSOR_OFFICER, moved=True) in world.texts("lisi")
    told = len(world.channel.sent)
    await sync(changed(), now=world.clock.now, write=True, outbox=world.bot.outbox)
    await world.settle()
    assert len(world.channel.sent) == told


async def test_withheld_names_rename_no_one(world: World) -> None:
    directory = unchanged()
    directory.people = [DirectoryPerson(p.userid, None, None, p.departments) for p in directory.people]
    found = await sync(directory, now=NOW, write=True)
    assert found.changes == () and (await Person.get(code="chenqi")).name == "陈七"


@pytest.mark.parametrize("fault", [DirectoryThrottled("rate", code="45009"),
                                   DirectoryError("x", code="60003")])
async def test_a_failing_directory_changes_nothing(world: World, fault: DirectoryError) -> None:
    directory = changed()
    directory.fault = ("4", fault)  # 服务中心's members fail after 宣传科's were read
    with pytest.raises(type(fault)):
        await sync(directory, now=NOW, write=True)
    assert (await Person.get(code="wujiu")).active and (await Person.get(code="chenqi")).name == "陈七"
    assert await AuditEvent.filter(action__in=["person_moved", "person_renamed", "person_left"]).count() == 0


async def test_sync_over_wecom_through_the_real_client_and_the_fake_server(world: World) -> None:
    """The fake WeCom's 通讯录: the demo organisation with 张三 moved to 服务中心, 陈七 renamed and
    吴九 gone; the app sees the whole organisation."""
    from bot.channels.wecom.client import WeComClient
    from bot.channels.wecom.directory import WeComDirectory
    from tests.fake_wecom import FakeDepartment, FakeDirectory, FakePerson, FakeWeCom, ManualClock

    fake = FakeWeCom(corp_id="ww4f2b6c1e8d3a7f90", secret="app-secret-of-xmt-bot", clock=ManualClock())
    fake.directory = FakeDirectory(
        departments=[FakeDepartment(1, "某某县人民政府", 0), FakeDepartment(2, "信息中心", 1),
                     FakeDepartment(3, "宣传科", 1), FakeDepartment(4, "服务中心", 1)],
        people=[FakePerson("wangwu", "王五", "13800000001", [2]), FakePerson("zhaoliu", "赵六", "", [2]),
                FakePerson("lisi", "李四", "", [3]), FakePerson("zhangsan", "张三", "", [4]),
                FakePerson("chenqi", "陈琪", "", [3]), FakePerson("zhouba", "周八", "", [4], status=2),
                FakePerson("SunShi", "孙十", "", [3])])
    await fake.start()
    client = WeComClient(base=fake.base_url, corp_id=fake.corp_id, secret=fake.secret, timeout=1.0,
                         clock=fake.clock)
    try:
        done = await sync(WeComDirectory(client), now=NOW, write=True)
    finally:
        await client.close()
        await fake.stop()
    kinds = {(e.change, e.subject) for e in done.entries}
    assert kinds == {(Change.DEPARTMENT_ADDED, "某某县人民政府"), (Change.PERSON_ADDED, "SunShi"),
                     (Change.PERSON_MOVED, "zhangsan"), (Change.PERSON_RENAMED, "chenqi"),
                     (Change.PERSON_GONE, "wujiu")}  # 周八, disabled, is still listed: not gone
    assert done.applied == 3 and not (await Person.get(code="wujiu")).active
    assert (await Person.get(code="chenqi")).name == "陈琪"


def test_the_command_prints_the_plan_applies_it_and_refuses_on_a_failure(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """``xmt org sync --from wecom [--apply]`` on a SQLite file against the fake WeCom (on its own
    loop in a thread: ``main`` runs its own): the plan changes nothing, --apply writes, a second
    --apply has nothing to do, a directory refusing (60011) prints why and exits 1."""
    import asyncio
    import sqlite3
    import threading

    from bot.cli import main
    from tests.conftest import DEMO_ORG
    from tests.fake_wecom import FakeDepartment, FakeDirectory, FakePerson, FakeWeCom, ManualClock

    dbfile = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("XMT_DATABASE_URL", f"sqlite://{dbfile}")
    monkeypatch.chdir(tmp_path)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    fake = FakeWeCom(corp_id="ww4f2b6c1e8d3a7f90", secret="app-secret-of-xmt-bot", clock=ManualClock())
    fake.directory = FakeDirectory(
        departments=[FakeDepartment(1, "信息中心", 0), FakeDepartment(2, "宣传科", 1),
                     FakeDepartment(3, "服务中心", 1)],
        people=[FakePerson("wangwu", "王五", "", [1]), FakePerson("zhaoliu", "赵六", "", [1]),
                FakePerson("lisi", "李四", "", [2]), FakePerson("zhangsan", "张三", "", [2]),
                FakePerson("chenqi", "陈琪", "", [2]), FakePerson("zhouba", "周八", "", [3])])
    asyncio.run_coroutine_threadsafe(fake.start(), loop).result(5)
    try:
        for name, value in {"XMT_WECOM_CORP_ID": fake.corp_id, "XMT_WECOM_SECRET": fake.secret,
                            "XMT_WECOM_AGENT_ID": "1000002", "XMT_WECOM_TOKEN": "xmt-callback-token",
                            "XMT_WECOM_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
                            "XMT_WECOM_API_BASE": fake.base_url}.items():
            monkeypatch.setenv(name, value)
        assert main(["org", "import", str(DEMO_ORG)]) == 0
        capsys.readouterr()
        fake.fail("user/list", 60011)
        assert main(["org", "sync", "--from", "wecom", "--apply"]) == 1
        failed = capsys.readouterr()
        assert "读取企业微信通讯录失败：应用没有这项权限（60011" in failed.err and failed.out == ""
        assert main(["org", "sync", "--from", "wecom"]) == 0
        planned = capsys.readouterr().out
        assert main(["org", "sync", "--from", "wecom", "--apply"]) == 0
        applied = capsys.readouterr().out
        assert main(["org", "sync", "--from", "wecom", "--apply"]) == 0
        again = capsys.readouterr().out
    finally:
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
    assert "陈七（chenqi）：改名 陈七 → 陈琪" in planned
    assert ("吴九（wujiu）：已不在通讯录（或不在应用可见范围），写入时停用；此人是「某某服务」的管理员、"
            "服务中心的信息员，需另行指定接替（第四条、第七条）") in planned
    assert "2 项可写入（调动、改名、停用），0 项只列出；未改动任何数据" in planned
    assert "已写入 2 项" in applied and "条后续通知（需变更备案、缺信息员、缺审核人等）" in applied
    assert "组织与通讯录一致，无需改动" in again
    with sqlite3.connect(dbfile) as conn:
        rows = dict(conn.execute("SELECT code, name || ':' || active FROM person"
                                 " WHERE code IN ('chenqi', 'wujiu')"))
        actions = [a for (a,) in conn.execute("SELECT action FROM audit_event WHERE actor = 'cli'"
                                              " AND action LIKE 'person_%' ORDER BY id")]
        refile = [str(a) for (a,) in conn.execute("SELECT refile FROM account WHERE name = '某某服务'")]
        queued = conn.execute("SELECT count(*) FROM outbox_message WHERE key LIKE 'contact:%'"
                              " AND status = 'pending'").fetchone()[0]
    assert rows == {"chenqi": "陈琪:1", "wujiu": "吴九:0"}
    assert sorted(actions) == ["person_left", "person_renamed"]
    # 吴九's follow-ups are queued for the running bot to deliver (Art. 4, 7).
    assert '"admin"' in refile[0] and queued >= 3


async def test_sync_over_dingtalk_through_the_real_client_and_the_fake_server(world: World) -> None:
    """The same changes read from the fake DingTalk's address book (oapi department and user
    pages), applied with their follow-ups: 某某服务 and 某某发布 are 需变更备案."""
    from bot.channels.dingtalk.client import DingTalkClient
    from bot.channels.dingtalk.directory import DingTalkDirectory
    from tests.fake_dingtalk import FakeDingTalk, ManualClock

    ids = {"wangwu": "manager4220", "zhaoliu": "01492215357310", "lisi": "manager7078",
           "zhangsan": "0149221535731063", "chenqi": "2841536412", "zhouba": "manager1120",
           "wujiu": "0230663357"}
    for code, userid in ids.items():
        await Person.filter(code=code).update(dingtalk_userid=userid)
    pace = ManualClock()
    fake = FakeDingTalk(clock=pace)
    base = await fake.start()
    for dept_id, name in ((2, "信息中心"), (3, "宣传科"), (4, "服务中心")):
        fake.add_department(dept_id, name)
    for code, name, dept in (("wangwu", "王五", 2), ("zhaoliu", "赵六", 2), ("lisi", "李四", 3),
                             ("zhangsan", "张三", 4), ("chenqi", "陈琪", 3), ("zhouba", "周八", 4)):
        fake.add_person(ids[code], name, "", departments=(dept,))
    fake.add_person("manager9313", "孙十", "", departments=(3,))
    client = DingTalkClient(api_base=base, oapi_base=base, app_key=fake.app_key,
                            app_secret=fake.app_secret, timeout=1.0, clock=pace)
    try:
        done = await sync(DingTalkDirectory(client), now=world.clock.now, write=True,
                          outbox=world.bot.outbox)
    finally:
        await client.close()
        await fake.stop()
    applied = {(e.change, e.subject) for e in done.changes}
    assert applied == {(Change.PERSON_MOVED, "zhangsan"), (Change.PERSON_RENAMED, "chenqi"),
                       (Change.PERSON_GONE, "wujiu")}
    assert (Change.PERSON_ADDED, "manager9313") in {(e.change, e.subject) for e in done.entries}
    assert done.applied == 3 and not (await Person.get(code="wujiu")).active
    assert (await Account.get(name="某某服务")).refile["admin"]["why"] == "left"
    assert (await Account.get(name="某某发布")).refile["admin"]["why"] == "moved"
