"""``xmt org resolve`` (issue 16; Art. 4, 7: the people the policy names must be reachable): people
with a mobile and no platform id are looked up in the directory; found, not found, ambiguous and
failed lookups are told apart; nothing is written after a failure unless ``partial``; a second run
asks only for those still without an id. The directory here is an in-memory stand-in for the
interface (``bot.directory.Directory``); the platform clients are tested against the fake servers
in tests/bot/channels."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.directory import DirectoryDepartment, DirectoryPerson, DirectoryThrottled, NoPermission
from bot.org_resolve import Outcome, resolve
from models import AuditEvent, Person
from tests.conftest import World

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


class Directory:
    """The interface's stand-in: a mobile → userid map, with faults per mobile."""

    platform = "dingtalk"

    def __init__(self, ids: dict[str, str], faults: dict[str, Exception] | None = None) -> None:
        self.ids, self.faults, self.asked = ids, faults or {}, []

    async def userid_by_mobile(self, mobile: str) -> str | None:
        self.asked.append(mobile)
        if mobile in self.faults:
            raise self.faults[mobile]
        return self.ids.get(mobile)

    async def departments(self) -> list[DirectoryDepartment]:
        return []

    async def members(self, department_id: str) -> list[DirectoryPerson]:
        return []


async def test_found_not_found_and_ambiguous_then_idempotent(world: World) -> None:
    await Person.filter(code="chenqi").update(mobile="138-0000-0005")  # separators are dropped
    directory = Directory({"13800000001": "manager4220", "13800000003": "0149221535731063",
                           "13800000005": "0149221535731063", "13800000004": "user5521"})
    report = await resolve(directory, now=NOW)
    outcome = {r.person: (r.outcome, r.userid) for r in report.rows}
    assert outcome["wangwu"] == (Outcome.FOUND, "manager4220")
    assert outcome["zhangsan"] == (Outcome.FOUND, "user5521")
    assert outcome["lisi"][0] == outcome["chenqi"][0] == Outcome.AMBIGUOUS  # one id, two people
    assert outcome["zhaoliu"] == (Outcome.NOT_FOUND, "")  # outside the app's visible range
    assert report.written == 2 and not report.failed
    assert (await Person.get(code="wangwu")).dingtalk_userid == "manager4220"
    assert (await Person.get(code="lisi")).dingtalk_userid is None
    assert await AuditEvent.filter(action="person_resolved").count() == 2
    directory.asked.clear()
    again = await resolve(directory, now=NOW)
    assert again.written == 0 and "13800000001" not in directory.asked  # only those still without


async def test_a_failed_lookup_writes_nothing_unless_partial(world: World) -> None:
    directory = Directory({"13800000001": "manager4220"},
                          faults={"13800000002": DirectoryThrottled("rate", code="90018"),
                                  "13800000003": NoPermission("no", code="60011")})
    report = await resolve(directory, now=NOW)
    assert report.failed and report.written == 0
    failed = {r.person: r.detail for r in report.rows if r.outcome == Outcome.FAILED}
    assert failed == {"zhaoliu": "DirectoryThrottled 90018", "lisi": "NoPermission 60011"}
    assert (await Person.get(code="wangwu")).dingtalk_userid is None
    partial = await resolve(directory, now=NOW, partial=True)
    assert partial.written == 1 and (await Person.get(code="wangwu")).dingtalk_userid == "manager4220"


async def test_resolve_over_wecom_through_the_real_client_and_the_fake_server(world: World) -> None:
    """The demo organisation's people have WeCom ids from the file; two are cleared and their
    mobiles are looked up in the fake WeCom's directory: 张三 is in the app's visible range, 陈七
    is not (a department the app does not see)."""
    from bot.channels.wecom.client import WeComClient
    from bot.channels.wecom.directory import WeComDirectory
    from tests.fake_wecom import FakeDepartment, FakeDirectory, FakePerson, FakeWeCom, ManualClock

    await Person.filter(code__in=["zhangsan", "chenqi"]).update(wecom_userid=None)
    fake = FakeWeCom(corp_id="ww4f2b6c1e8d3a7f90", secret="app-secret-of-xmt-bot", clock=ManualClock())
    fake.directory = FakeDirectory(
        departments=[FakeDepartment(1, "某某县人民政府", 0), FakeDepartment(2, "宣传科", 1),
                     FakeDepartment(3, "某某中心", 1)],
        people=[FakePerson("ZhangSan01", "张三", "13800000004", [2]),
                FakePerson("ChenQi", "陈七", "13800000005", [3])],
        visible={2})
    await fake.start()
    client = WeComClient(base=fake.base_url, corp_id=fake.corp_id, secret=fake.secret, timeout=1.0,
                         clock=fake.clock)
    try:
        report = await resolve(WeComDirectory(client), now=NOW)
    finally:
        await client.close()
        await fake.stop()
    outcome = {r.person: (r.outcome, r.userid) for r in report.rows}
    assert outcome == {"zhangsan": (Outcome.FOUND, "ZhangSan01"), "chenqi": (Outcome.NOT_FOUND, "")}
    assert (await Person.get(code="zhangsan")).wecom_userid == "ZhangSan01"


async def test_resolve_over_dingtalk_through_the_real_client_and_the_fake_server(world: World) -> None:
    from bot.channels.dingtalk.client import DingTalkClient
    from bot.channels.dingtalk.directory import DingTalkDirectory
    from tests.fake_dingtalk import FakeDingTalk, ManualClock

    pace = ManualClock()
    fake = FakeDingTalk(clock=pace)
    base = await fake.start()
    fake.add_department(2, "宣传科")
    fake.add_person("manager4220", "李四", "13800000003", departments=(2,))
    fake.add_person("0149221535731063", "张三", "13800000004", departments=(2,))
    fake.fail("topapi/v2/user/getbymobile", 90018)  # the next lookup is rate limited
    client = DingTalkClient(api_base=base, oapi_base=base, app_key=fake.app_key,
                            app_secret=fake.app_secret, timeout=1.0, clock=pace)
    try:
        first = await resolve(DingTalkDirectory(client), now=NOW)
        assert first.failed and first.written == 0  # one throttled lookup: nothing written
        second = await resolve(DingTalkDirectory(client), now=NOW)
    finally:
        await client.close()
        await fake.stop()
    found = {r.person: r.userid for r in second.rows if r.outcome == Outcome.FOUND}
    assert found == {"lisi": "manager4220", "zhangsan": "0149221535731063"}
    assert second.written == 2 and not second.failed
