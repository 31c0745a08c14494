"""账号 @x shows the account's whole life in order, each line saying when and who — Art. 4 (第四条:
application signed by the head, approved by the Information Center, filing, verification, changes
of leader or administrator), Art. 5 (第五条: annual reviews and their judgements, the stop, the
closure with its evidence) and Art. 6 (第六条: 谁审批、谁监管 — every decision names who took it).

Proves: a full life (application → attested → approved → filed → verified with a link → change →
review 不合格 with its reason → stopped → new report 合格 → closure requested with evidence →
confirmed) renders in order with every who and when; an account imported from the organisation
file shows what is known of it and nothing invented (no application, a filing date from the file,
a verification without who or evidence); a very long life fits one WeCom text (2,048 bytes) with
the latest events and a count of those left out; the number of queries does not grow with the
life; 台账 shows why an account must stop and a closure waiting.

Rows are created directly (the handlers that write them are tested with them); times are local
(Asia/Shanghai, the demo settings) and written as they should read.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot import texts
from models import (
    Account,
    AccountApplication,
    AccountChange,
    AccountFiling,
    AccountStatus,
    ApplicationStatus,
    Department,
    Person,
    ReviewReport,
    ReviewStatus,
)
from tests.conftest import QueryCounter, World

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=TZ)


async def ids(*codes: str) -> list[int]:
    return [(await Person.get(code=c)).id for c in codes]


def life_of(record: str) -> list[str]:
    """The lines after the life's title."""
    lines = record.splitlines()
    return lines[lines.index(texts.LIFE_TITLE) + 1:]


async def full_life() -> Account:
    zhangsan, lisi, wangwu, zhaoliu, chenqi = await ids("zhangsan", "lisi", "wangwu", "zhaoliu", "chenqi")
    dept = await Department.get(code="publicity")
    account = await Account.create(
        name="某某微博", platform="weibo", department_id=dept.id, leader_id=lisi, admin_id=chenqi,
        status=AccountStatus.CLOSED, created_at=at("2025-03-05 15:00"), filed_at=at("2025-03-11 09:30"),
        platform_account_id="mouweibo_official", followers=1200,
        verified_at=at("2025-03-20 14:00"), verified_by_id=zhangsan,
        verify_evidence="https://weibo.com/u/7712345678",
        closure_requested_at=at("2026-11-10 10:00"), closure_requested_by_id=lisi,
        closure_reason="机构调整，不再运营", closure_evidence="https://weibo.com/u/7712345678/closed",
        closed_at=at("2026-11-12 16:20"), closed_by_id=wangwu)
    # an earlier attempt at the same name, turned down by the Information Center
    await AccountApplication.create(
        name="某某微博", platform="weibo", department_id=dept.id, applicant_id=zhangsan,
        status=ApplicationStatus.REJECTED, head_id=lisi, head_decided_at=at("2025-02-11 09:00"),
        ic_admin_id=zhaoliu, ic_decided_at=at("2025-02-12 10:00"), reason="请写明发布范围",
        created_at=at("2025-02-10 09:00"))
    await AccountApplication.create(
        name="某某微博", platform="weibo", department_id=dept.id, applicant_id=zhangsan,
        status=ApplicationStatus.APPROVED, head_id=lisi, head_decided_at=at("2025-03-04 11:00"),
        ic_admin_id=wangwu, ic_decided_at=at("2025-03-05 15:00"), account_id=account.id,
        created_at=at("2025-03-03 09:00"))
    await AccountFiling.create(account_id=account.id, submitted_by_id=zhangsan,
                               submitted_at=at("2025-03-10 10:00"), acknowledged_by_id=zhaoliu,
                               acknowledged_at=at("2025-03-11 09:30"))
    await AccountChange.create(account_id=account.id, role="admin", old_person_id=zhangsan,
                               new_person_id=chenqi, requested_by_id=lisi,
                               requested_at=at("2025-06-02 09:00"), filed_by_id=wangwu,
                               filed_at=at("2025-06-03 10:00"))
    await ReviewReport.create(account_id=account.id, year=2025, submitted_by_id=chenqi,
                              submitted_at=at("2025-11-20 10:00"), status=ReviewStatus.FAILED,
                              decided_by_id=wangwu, decided_at=at("2025-11-25 15:00"),
                              reason="全年仅发布 3 篇，远低于发布频率要求")
    await ReviewReport.create(account_id=account.id, year=2025, submitted_by_id=chenqi,
                              submitted_at=at("2025-12-02 09:00"), status=ReviewStatus.PASSED,
                              decided_by_id=zhaoliu, decided_at=at("2025-12-05 11:00"))
    return account


async def test_a_full_life_reads_in_order_with_every_who_and_when(world: World) -> None:
    await full_life()
    await world.say("wangwu", "账号 @某某微博")
    record = world.last_text("wangwu")
    head = record.splitlines()[:9]
    assert head == ["「某某微博」微博 · 宣传科 · 已注销", "负责人：李四 宣传科科长 13800000003",
                    "管理员：陈七 科员 13800000005", "账号ID：mouweibo_official　关注人数：1200",
                    "备案：2025-03-11", "认证：2025-03-20", "最近发布：无",
                    "发布频率：每 3 个工作日至少一次", texts.LIFE_TITLE]
    assert life_of(record) == [
        "2025-02-10 09:00 张三 提交开通申请 S1",
        "2025-02-11 09:00 部门负责人 李四 签字同意",
        "2025-02-12 10:00 信息中心 赵六 不予批准，意见：请写明发布范围",
        "2025-03-03 09:00 张三 提交开通申请 S2",
        "2025-03-04 11:00 部门负责人 李四 签字同意",
        "2025-03-05 15:00 信息中心 王五 批准开通",
        "2025-03-10 10:00 张三 报送备案登记表 B1",
        "2025-03-11 09:30 信息中心 赵六 已备案 B1",
        "2025-03-20 14:00 张三 登记已认证，证明：https://weibo.com/u/7712345678",
        "2025-06-02 09:00 李四 申请变更管理员：张三 → 陈七",
        "2025-06-03 10:00 信息中心 王五 备案管理员变更，陈七 接任（原管理员 张三）",
        "2025-11-20 10:00 陈七 提交2025年度年审报告 N1",
        "2025-11-25 15:00 信息中心 王五 评定 N1 不合格，账号须停止运行；"
        "理由：全年仅发布 3 篇，远低于发布频率要求",
        "2025-12-02 09:00 陈七 提交2025年度年审报告 N2",
        "2025-12-05 11:00 信息中心 赵六 评定 N2 合格",
        "2026-11-10 10:00 李四 申请注销，原因：机构调整，不再运营，证明：https://weibo.com/u/7712345678/closed",
        "2026-11-12 16:20 信息中心 王五 确认注销",
    ]
    assert len(record.encode()) <= 2048


async def test_a_stop_in_force_says_since_when_and_why_once(world: World) -> None:
    account = await full_life()
    chenqi, wangwu = await ids("chenqi", "wangwu")
    # the 合格 above cleared the stop; now: the next year's 不合格 stops it (same act, one line),
    # then a stop for no report by the deadline in a later year gets a line of its own
    failed = await ReviewReport.create(account_id=account.id, year=2026, submitted_by_id=chenqi,
                                       submitted_at=at("2026-11-02 10:00"), status=ReviewStatus.FAILED,
                                       decided_by_id=wangwu, decided_at=at("2026-11-03 10:00"), reason="")
    await Account.filter(id=account.id).update(
        status=AccountStatus.MUST_STOP, stopped_at=at("2026-11-03 10:00"),
        stop_reason=texts.stop_reason_failed(2026), closure_requested_at=None, closed_at=None,
        closed_by_id=None)
    await world.say("lisi", "账号 @某某微博")
    life = life_of(world.last_text("lisi"))
    assert life[-1] == f"2026-11-03 10:00 信息中心 王五 评定 {failed.ref} 不合格，账号须停止运行"
    assert not any("起须停止运行" in line for line in life)
    await Account.filter(id=account.id).update(stopped_at=at("2026-12-01 00:00"), stop_reason="")
    await world.say("lisi", "账号 @某某微博")
    assert life_of(world.last_text("lisi"))[-1] == (
        "2026-12-01 00:00 起须停止运行：未按期提交年审报告（《管理办法》第五条）")


async def test_an_imported_account_shows_what_is_known_and_nothing_more(world: World) -> None:
    """某某发布 came from the organisation file (filed_on 2024-03-01): no application, no filing
    form, and an old verification with neither who nor evidence."""
    zhangsan, chenqi = await ids("zhangsan", "chenqi")
    account = await Account.get(name="某某发布")
    await Account.filter(id=account.id).update(verified_at=at("2026-11-26 11:00"), verify_evidence="")
    await AccountChange.create(account_id=account.id, role="admin", old_person_id=zhangsan,
                               new_person_id=chenqi, requested_by_id=zhangsan,
                               requested_at=at("2026-11-26 12:00"))
    await ReviewReport.create(account_id=account.id, year=2025, submitted_by_id=zhangsan,
                              submitted_at=at("2026-11-26 10:30"), status=ReviewStatus.PASSED)
    await ReviewReport.create(account_id=account.id, year=2026, submitted_by_id=zhangsan,
                              submitted_at=at("2026-11-26 13:00"))
    await world.say("zhangsan", "账号 @某某发布")
    record = world.last_text("zhangsan")
    assert "备案：2024-03-01" in record and "认证：2026-11-26" in record
    assert life_of(record) == [
        "2024-03-01 备案（组织文件所载备案日期，无备案登记表）",
        "2026-11-26 10:00 由组织文件导入台账（无开通申请记录）",
        "2026-11-26 10:30 张三 提交2025年度年审报告 N1",
        "（时间未记录） 信息中心 （姓名未记录） 评定 N1 合格",  # an old row: judged, nothing more known
        "2026-11-26 11:00 已认证（登记人未记录），证明未记录",
        "2026-11-26 12:00 张三 申请变更管理员：张三 → 陈七，待信息中心备案",
        "2026-11-26 13:00 张三 提交2026年度年审报告 N2，待信息中心评定",
    ]
    assert "开通申请 S" not in record and "王五" not in record


async def long_life(account: Account, years: int) -> int:
    """``years`` of reports judged 合格 and changes of administrator back and forth: returns how
    many events the life has (with the import and the filing from the organisation file)."""
    zhangsan, chenqi, wangwu, zhaoliu = await ids("zhangsan", "chenqi", "wangwu", "zhaoliu")
    for n in range(years):
        start = at("2000-11-10 09:00").replace(year=2000 + n)
        await ReviewReport.create(account_id=account.id, year=2000 + n, submitted_by_id=zhangsan,
                                  submitted_at=start, status=ReviewStatus.PASSED, decided_by_id=wangwu,
                                  decided_at=start + timedelta(days=2),
                                  reason="按期更新，咨询答复及时，内容审核记录完整")
        old, new = (zhangsan, chenqi) if n % 2 == 0 else (chenqi, zhangsan)
        await AccountChange.create(account_id=account.id, role="admin", old_person_id=old,
                                   new_person_id=new, requested_by_id=old,
                                   requested_at=start + timedelta(days=30), filed_by_id=zhaoliu,
                                   filed_at=start + timedelta(days=31))
    return 2 + 4 * years


async def test_a_very_long_life_fits_one_message_with_the_latest_events(world: World) -> None:
    account = await Account.get(name="某某发布")
    await Account.filter(id=account.id).update(verified_at=None, verify_evidence="")  # as counted below
    total = await long_life(account, 25)
    await world.say("wangwu", "账号 @某某发布")
    record = world.last_text("wangwu")
    assert len(record.encode()) <= 2048  # one WeCom text
    assert record.startswith("「某某发布」微信公众号 · 宣传科 · 运行中\n负责人：李四")
    life = life_of(record)
    note = re.fullmatch(r"（更早的 (\d+) 条记录从略；历年年审见“年审记录 @某某发布”）", life[0])
    assert note is not None
    shown = life[1:]
    assert int(note.group(1)) + len(shown) == total and len(shown) >= 8
    # the latest events, in order, ending with the last one (the import, in 2026)
    assert shown[-2:] == ["2024-12-11 09:00 信息中心 赵六 备案管理员变更，陈七 接任（原管理员 张三）",
                          "2026-11-26 10:00 由组织文件导入台账（无开通申请记录）"]
    stamps = [line[:16] for line in shown]
    assert stamps == sorted(stamps)


async def test_the_query_count_does_not_grow_with_the_life(world: World, queries: QueryCounter) -> None:
    account = await Account.get(name="某某发布")
    await long_life(account, 1)
    queries.count = 0
    await world.say("wangwu", "账号 @某某发布")
    short = queries.count
    await long_life(account, 12)  # more reports, changes and
    await full_life()  # more people named elsewhere in the database
    queries.count = 0
    await world.say("wangwu", "账号 @某某发布")
    assert queries.count == short and short > 0
    assert len(life_of(world.last_text("wangwu"))) > 10


async def test_the_registry_says_why_an_account_must_stop_and_a_closure_waiting(world: World) -> None:
    lisi = (await ids("lisi"))[0]
    await Account.filter(name="某某发布").update(
        status=AccountStatus.MUST_STOP, stopped_at=at("2026-11-25 15:00"),
        stop_reason=texts.stop_reason_failed(2026, "内容与发布范围不符"))
    await Account.filter(name="某某头条").update(
        closure_requested_at=at("2026-11-26 09:00"), closure_requested_by_id=lisi,
        closure_reason="合并到某某发布", closure_evidence="截图")
    await world.say("wangwu", "台账")
    registry = world.last_text("wangwu")
    assert ("「某某发布」微信公众号·宣传科·须停止运行（2026年度年审不合格，理由：内容与发布范围不符）"
            "·已备案") in registry
    assert "「某某头条」头条号·宣传科·运行中·注销待确认·已备案" in registry
    assert "「某某服务」移动客户端·服务中心·运行中·已备案" in registry
