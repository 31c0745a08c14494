"""``xmt org import``: idempotent, and refuses files that break Art. 7 naming the department."""

from __future__ import annotations

import pytest
import yaml

from bot.org import OrgError, export_org, import_org, parse_org
from models import Account, Department, Person
from tests.conftest import DEMO_ORG
from tests.fakes import FakeClock


def demo() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(DEMO_ORG.read_text("utf-8"))


def test_department_without_officer_is_refused_naming_it() -> None:
    org = demo()
    org["departments"][2]["officers"] = []
    with pytest.raises(OrgError, match=r"服务中心.*0 名信息员.*第七条"):
        parse_org(yaml.safe_dump(org, allow_unicode=True))


def test_department_with_three_officers_is_refused_naming_it() -> None:
    org = demo()
    org["departments"][1]["officers"] = ["zhangsan", "chenqi", "wujiu"]
    org["departments"][2]["officers"] = ["zhouba"]
    with pytest.raises(OrgError, match=r"宣传科.*3 名信息员"):
        parse_org(yaml.safe_dump(org, allow_unicode=True))


def test_unknown_reference_and_platform_are_refused() -> None:
    org = demo()
    org["accounts"][0]["admin"] = "ghost"
    with pytest.raises(OrgError, match="ghost"):
        parse_org(yaml.safe_dump(org, allow_unicode=True))
    org = demo()
    org["accounts"][0]["platform"] = "myspace"
    with pytest.raises(OrgError, match="platform"):
        parse_org(yaml.safe_dump(org, allow_unicode=True))


async def test_import_twice_is_idempotent_and_export_round_trips(db: str) -> None:
    org = parse_org(DEMO_ORG.read_text("utf-8"))
    now = FakeClock().now
    await import_org(org, now=now)
    await import_org(org, now=now)
    assert await Department.all().count() == 3
    assert await Person.all().count() == 7
    assert await Account.all().count() == 3
    publicity = await Department.get(code="publicity")
    assert publicity.head_id == (await Person.get(code="lisi")).id
    # An officer dropped from every department loses the role.
    changed = yaml.safe_load(DEMO_ORG.read_text("utf-8"))
    changed["departments"][1]["officers"] = ["zhangsan"]
    await import_org(parse_org(yaml.safe_dump(changed, allow_unicode=True)), now=now)
    chenqi = await Person.get(code="chenqi")
    assert (chenqi.department_id, chenqi.is_officer) == (None, False)
    await import_org(org, now=now)
    exported = await export_org()
    again = parse_org(yaml.safe_dump(exported, allow_unicode=True))
    assert again.model_dump() == org.model_dump()


async def test_information_center_admins_are_its_head_officers_and_ic_admin_role(db: str) -> None:
    from models.org import info_center_admins

    org = yaml.safe_load(DEMO_ORG.read_text("utf-8"))
    org["people"][4]["roles"] = ["ic_admin"]  # chenqi, an officer of 宣传科
    await import_org(parse_org(yaml.safe_dump(org, allow_unicode=True)), now=FakeClock().now)
    codes = [p.code for p in await info_center_admins()]
    assert sorted(codes) == ["chenqi", "wangwu", "zhaoliu"]
    org["people"][4]["roles"] = ["superuser"]
    with pytest.raises(OrgError, match="roles"):
        parse_org(yaml.safe_dump(org, allow_unicode=True))
