"""``xmt org import``: idempotent, and refuses files that break Art. 7 naming the department.

Art. 3, 4 (第三条、第四条), existing accounts: an account listed with ``filed_on`` is operating and
filed on that date; without it, it awaits filing (no drafts, no cadence) until the Information
Center files it with 备案; the import date is never a filing date; re-importing changes nothing
and never moves a filing the bot recorded; ``verified_on`` records a verification (认证) made
before the bot, so a verified account is not chased, and never overrides a 已认证 the bot
recorded. Art. 11 (第十一条): ``post_every_days`` above 3 only
with a ``cadence_reason``, which the registry shows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot import texts
from bot.org import OrgError, export_org, import_org, parse_org
from models import Account, AccountStatus, Department, Person
from tests.conftest import DEMO_ORG, World
from tests.fakes import FakeClock

TZ = ZoneInfo("Asia/Shanghai")


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


def dumped(org: dict) -> str:  # type: ignore[type-arg]
    return yaml.safe_dump(org, allow_unicode=True)


def with_weibo(**extra: object) -> dict:  # type: ignore[type-arg]
    """The demo organisation plus 某某微博, an account that existed before the bot."""
    org = demo()
    org["accounts"].append({"name": "某某微博", "platform": "weibo", "department": "publicity",
                            "leader": "lisi", "admin": "zhangsan", **extra})
    return org


async def test_an_account_with_its_filing_date_is_operating_and_filed_on_that_date(db: str) -> None:
    now = FakeClock().now
    await import_org(parse_org(dumped(with_weibo(filed_on="2024-03-01"))), now=now, tz=TZ)
    account = await Account.get(name="某某微博")
    assert account.status == AccountStatus.OPERATING
    assert account.filed_at is not None and account.filed_at.astimezone(TZ).date() == date(2024, 3, 1)
    assert account.created_at == now  # when the bot learned of it: never shown as a filing


async def test_an_account_without_a_filing_date_awaits_filing(world: World) -> None:
    await import_org(parse_org(dumped(with_weibo())), now=world.clock.now, tz=TZ)
    account = await Account.get(name="某某微博")
    assert (account.status, account.filed_at) == (AccountStatus.UNFILED, None)
    await world.say("zhangsan", "投稿 @某某微博 1 标题\n正文")  # Art. 3: not on file, no drafts
    assert world.last_text("zhangsan") == texts.account_not_operating("某某微博", "unfiled")
    await world.say("wangwu", "账号 @某某微博")
    record = world.last_text("wangwu")
    assert "已开通待备案" in record and "备案：未备案" in record
    # the Information Center files it with 备案 (form 2): operating, filed on that day
    world.clock.now = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    await world.say("zhangsan", "备案 @某某微博")
    for answer in ("mouweibo", "2019-06-01", "3000"):
        await world.say("zhangsan", answer)
    await world.image("zhangsan", b"\x89PNG qr")
    await world.say("zhangsan", "发布本单位动态")
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "form-filing-"), "提交")
    await world.tap("wangwu", world.channel.last_card("wangwu", "filing-"), "已备案")
    account = await Account.get(name="某某微博")
    assert (account.status, account.filed_at) == (AccountStatus.OPERATING, world.clock.now)
    # re-importing the file (without filed_on) leaves the filing as the bot recorded it
    await import_org(parse_org(dumped(with_weibo())), now=world.clock.now, tz=TZ)
    again = await Account.get(name="某某微博")
    assert (again.status, again.filed_at) == (AccountStatus.OPERATING, world.clock.now)


async def test_reimport_is_idempotent_and_never_moves_a_filing_the_bot_recorded(world: World) -> None:
    org = parse_org(dumped(with_weibo(filed_on="2024-03-01")))
    await import_org(org, now=world.clock.now, tz=TZ)
    first = await Account.get(name="某某微博")
    world.clock.now = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    await import_org(org, now=world.clock.now, tz=TZ)
    second = await Account.get(name="某某微博")
    assert (second.status, second.filed_at, second.created_at) == (
        first.status, first.filed_at, first.created_at)
    # a corrected date in the file applies while the file is the only record of the filing
    await import_org(parse_org(dumped(with_weibo(filed_on="2024-02-28"))), now=world.clock.now, tz=TZ)
    corrected = await Account.get(name="某某微博")
    assert corrected.filed_at is not None and corrected.filed_at.astimezone(TZ).date() == date(2024, 2, 28)
    # once the bot records a 备案 (an update of the form), the file no longer moves it
    await world.say("zhangsan", "备案 @某某微博")
    for answer in ("mouweibo", "2019-06-01", "3000"):
        await world.say("zhangsan", answer)
    await world.image("zhangsan", b"\x89PNG qr")
    await world.say("zhangsan", "发布本单位动态")
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "form-filing-"), "提交")
    await world.tap("wangwu", world.channel.last_card("wangwu", "filing-"), "已备案")
    await import_org(parse_org(dumped(with_weibo(filed_on="2024-03-01"))), now=world.clock.now, tz=TZ)
    assert (await Account.get(name="某某微博")).filed_at == world.clock.now
    # nor does it bring back an account that must stop
    await Account.filter(name="某某微博").update(status=AccountStatus.MUST_STOP)
    await import_org(org, now=world.clock.now, tz=TZ)
    assert (await Account.get(name="某某微博")).status == AccountStatus.MUST_STOP


async def test_a_filing_date_in_the_future_is_refused_and_changes_nothing(db: str) -> None:
    now = FakeClock().now
    with pytest.raises(OrgError, match=r"某某微博.*2099-01-01"):
        await import_org(parse_org(dumped(with_weibo(filed_on="2099-01-01"))), now=now, tz=TZ)
    assert await Account.all().count() == 0


async def test_a_verification_before_the_bot_is_kept_and_never_over_one_recorded(world: World) -> None:
    from schedules import run_sweeps

    await import_org(parse_org(dumped(with_weibo(filed_on="2024-03-01", verified_on="2024-03-20"))),
                     now=world.clock.now, tz=TZ)
    account = await Account.get(name="某某微博")
    assert account.verified_at is not None and account.verified_at.astimezone(TZ).date() == date(2024, 3, 20)
    assert account.verify_evidence == texts.VERIFIED_BY_ORG_FILE and account.verified_by_id is None
    exported = await export_org(TZ)
    assert next(a for a in exported["accounts"] if a["name"] == "某某微博")["verified_on"] == "2024-03-20"
    # Verified: no reminder nor escalation; 某某服务 (the demo lists no verification) is chased.
    when = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
    world.clock.now = when
    await run_sweeps(world.bot.deps, ["verify"], now=when)
    await world.settle()
    assert not [t for t in world.texts("zhangsan") + world.texts("lisi") if "某某微博" in t]
    assert any("「某某服务」" in t for t in world.texts("wujiu"))
    # A 已认证 the bot recorded is not moved by the file.
    await world.say("zhangsan", "已认证 @某某微博 https://weibo.com/u/verified-page")
    recorded = await Account.get(name="某某微博")
    await import_org(parse_org(dumped(with_weibo(filed_on="2024-03-01", verified_on="2024-03-20"))),
                     now=world.clock.now, tz=TZ)
    again = await Account.get(name="某某微博")
    assert (again.verified_at, again.verify_evidence) == (recorded.verified_at, recorded.verify_evidence)
    with pytest.raises(OrgError, match=r"某某微博.*2099-01-01"):
        await import_org(parse_org(dumped(with_weibo(filed_on="2024-03-01", verified_on="2099-01-01"))),
                         now=world.clock.now, tz=TZ)


def test_a_cadence_above_three_days_needs_a_reason() -> None:
    """Art. 11: 1–3 days is the basis; 7 is allowed when the reason is given."""
    with pytest.raises(OrgError, match=r"某某微博.*7.*cadence_reason"):
        parse_org(dumped(with_weibo(post_every_days=7)))
    with pytest.raises(OrgError, match=r"某某微博.*cadence_reason"):
        parse_org(dumped(with_weibo(post_every_days=7, cadence_reason="  ")))
    org = parse_org(dumped(with_weibo(post_every_days=7, cadence_reason="科普专栏，每周一期")))
    assert org.accounts[-1].post_every_days == 7
    with pytest.raises(OrgError, match="post_every_days"):
        parse_org(dumped(with_weibo(post_every_days=21, cadence_reason="很少更新")))
    with pytest.raises(OrgError, match="cadence_reason"):
        parse_org(dumped(with_weibo(post_every_days=7, cadence_reason="长" * 201)))


async def test_the_reason_is_kept_shown_in_the_registry_and_exported(world: World) -> None:
    org = with_weibo(post_every_days=7, cadence_reason="科普专栏，每周一期", filed_on="2024-03-01")
    await import_org(parse_org(dumped(org)), now=world.clock.now, tz=TZ)
    await world.say("wangwu", "台账")
    line = next(t for t in world.last_text("wangwu").splitlines() if "某某微博" in t)
    assert line.endswith("每 7 个工作日发布（原因：科普专栏，每周一期）")
    await world.say("wangwu", "账号 @某某微博")
    assert "发布频率：每 7 个工作日至少一次（调整原因：科普专栏，每周一期）" in world.last_text("wangwu")
    assert "备案：2024-03-01" in world.last_text("wangwu")
    exported = (await export_org(TZ))["accounts"]
    row = next(a for a in exported if a["name"] == "某某微博")
    assert (row["post_every_days"], row["cadence_reason"], row["filed_on"]) == (
        7, "科普专栏，每周一期", "2024-03-01")


async def test_a_feed_url_is_imported_checked_and_exported(world: World) -> None:
    """Issue 17 (Art. 10): the watch reads an app's or a website's feed, named in the file."""
    with pytest.raises(OrgError, match="feed_url"):
        parse_org(dumped(with_weibo(feed_url="ftp://example.cn/feed")))
    with pytest.raises(OrgError, match="feed_url"):
        parse_org(dumped(with_weibo(feed_url="https://example.cn/" + "a" * 2048)))
    org = with_weibo(feed_url="https://www.example.gov.cn/rss.xml")
    await import_org(parse_org(dumped(org)), now=world.clock.now, tz=TZ)
    assert (await Account.get(name="某某微博")).feed_url == "https://www.example.gov.cn/rss.xml"
    row = next(a for a in (await export_org(TZ))["accounts"] if a["name"] == "某某微博")
    assert row["feed_url"] == "https://www.example.gov.cn/rss.xml"
