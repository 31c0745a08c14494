"""The bot's own figures of an account's year for its annual review report (Art. 5 第五条), each
counted by the definition the rest of the bot uses: the cadence in working days (Art. 11 第十一条,
``bot.workdays.working_days_since``), the cadence sweep's late and zombie reminders,
inquiries in time and overdue as 咨询统计 counts them (Art. 12 第十二条, ``is_overdue``), drafts
blocked by screening (Art. 13) and changes filed (Art. 4). A constructed year with exact numbers,
a fixed number of queries whatever the number of publications, and the Chinese rendering."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import audit, texts
from bot.figures import card_fields, figures_summary, kept_percent, render_figures, year_figures
from models import (
    Account,
    AccountChange,
    AccountStatus,
    Draft,
    Inquiry,
    Person,
    Publication,
    Reminder,
)
from tests.conftest import QueryCounter, World

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 27, 17, 0, tzinfo=TZ)  # a Friday in the review window


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


async def publish(account: Account, author: Person, when: datetime) -> None:
    draft = await Draft.create(account_id=account.id, author_id=author.id, created_at=when, updated_at=when)
    await Publication.create(draft_id=draft.id, account_id=account.id, version=1, content_hash=f"h{draft.id}",
                             url=f"https://mp.weixin.qq.com/s/{draft.id}", recorded_by_id=author.id,
                             published_at=when)


async def constructed_year(world: World) -> Account:
    """某某发布, every 2 working days, known since 2025 and filed again on Monday 2 November 2026
    (a change of administrator re-filed): the cadence counts from that filing."""
    account = await Account.get(name="某某发布")
    await Account.filter(id=account.id).update(status=AccountStatus.OPERATING, post_every_days=2,
                                               created_at=at(2025, 1, 6, 9, 0),
                                               filed_at=at(2026, 11, 2, 9, 0))
    account = await Account.get(id=account.id)
    other = await Account.get(name="某某头条")
    zhangsan, chenqi = await Person.get(code="zhangsan"), await Person.get(code="chenqi")
    # Posts: March 1, June 2, November 6 (one of them in the period under way), and one in 2025.
    for when in (at(2025, 12, 30, 10, 0), at(2026, 3, 10, 10, 0), at(2026, 6, 15, 10, 0),
                 at(2026, 6, 16, 10, 0), at(2026, 11, 3, 10, 0), at(2026, 11, 4, 10, 0),
                 at(2026, 11, 10, 10, 0), at(2026, 11, 17, 10, 0), at(2026, 11, 26, 10, 0),
                 at(2026, 11, 27, 14, 0)):
        await publish(account, zhangsan, when)
    await publish(other, chenqi, at(2026, 11, 5, 10, 0))  # another account's
    # The cadence sweep's reminders: a late and a zombie episode this year; a due (not an episode),
    # a late of 2025 and another account's zombie are not counted.
    for subject, step, when in ((account.id, "late", at(2026, 11, 9, 9, 0)),
                                (account.id, "zombie", at(2026, 8, 3, 9, 0)),
                                (account.id, "due", at(2026, 11, 6, 9, 0)),
                                (account.id, "late", at(2025, 12, 1, 9, 0)),
                                (other.id, "zombie", at(2026, 11, 9, 9, 0))):
        period = when.strftime("%Y%m%d")
        await Reminder.create(key=Reminder.make_key("cadence", str(subject), step, period), kind="cadence",
                              subject=str(subject), step=step, period=period, created_at=when)
    dept = account.department_id
    # Inquiries: answered in time in 5 working hours; answered after sitting unclaimed for two working
    # days (overdue: the ladder reached the head) in 19 working hours; still unclaimed (overdue);
    # one of 2025 (not counted).
    await Inquiry.create(account_id=account.id, department_id=dept, source="chat", text="几点开门？",
                         received_at=at(2026, 11, 23, 10, 0), status="answered", owner_id=zhangsan.id,
                         claimed_at=at(2026, 11, 23, 10, 30), due_at=at(2026, 11, 24, 10, 0),
                         answered_at=at(2026, 11, 23, 15, 0), answered_by_id=zhangsan.id, answer="九点")
    await Inquiry.create(account_id=account.id, department_id=dept, source="chat", text="怎么办证？",
                         received_at=at(2026, 11, 16, 10, 0), status="answered", owner_id=chenqi.id,
                         answered_at=at(2026, 11, 18, 11, 0), answered_by_id=chenqi.id, answer="带身份证")
    await Inquiry.create(account_id=account.id, department_id=dept, source="chat", text="有人吗？",
                         received_at=at(2026, 11, 25, 10, 0))
    await Inquiry.create(account_id=account.id, department_id=dept, source="chat", text="去年的",
                         received_at=at(2025, 11, 25, 10, 0))
    # Screening blocked one of its drafts (twice: one draft); another account's block is not its own.
    for acc, times in ((account, 2), (other, 1)):
        draft = await Draft.create(account_id=acc.id, author_id=zhangsan.id,
                                   created_at=at(2026, 11, 20, 9, 0), updated_at=at(2026, 11, 20, 9, 0))
        for n in range(times):
            await audit.record("zhangsan", "draft_blocked", draft.ref, {"version": n + 1, "words": ["机密"]},
                               now=at(2026, 11, 20, 9, n))
    # Art. 10: the watch reported one item published without approval this year, one in 2025, and
    # one of another account.
    for name, when in ((account.name, at(2026, 9, 1, 9, 0)), (account.name, at(2025, 9, 1, 9, 0)),
                       (other.name, at(2026, 9, 1, 9, 0))):
        await audit.record("watch", "unapproved_publication", name, {"title": "某文"}, now=when)
    # Changes: one filed this year, one still waiting, one filed in 2025.
    for requested, filed in ((at(2026, 10, 28, 9, 0), at(2026, 11, 2, 9, 0)), (at(2026, 11, 20, 9, 0), None),
                             (at(2025, 3, 1, 9, 0), at(2025, 3, 2, 9, 0))):
        await AccountChange.create(account_id=account.id, role="admin", old_person_id=chenqi.id,
                                   new_person_id=zhangsan.id, requested_by_id=zhangsan.id,
                                   requested_at=requested, filed_at=filed, filed_by_id=1 if filed else None)
    return account


async def test_figures_of_a_constructed_year(world: World) -> None:
    """Art. 5, 11, 12: every figure exact. Cadence: working days after the filing on Monday 2 Nov up
    to Friday 27 Nov are 19 (no holiday in November), so 9 complete periods of 2; posts fall in
    periods 1 (3 and 4 Nov), 3 (10 Nov), 6 (17 Nov) and 9 (26 Nov): 4 kept; the post of 27 Nov is
    in the tenth period, not complete yet."""
    account = await constructed_year(world)
    figures = await year_figures(account, 2026, NOW, world.bot.deps.calendar)
    assert figures == {
        "version": 1, "year": 2026, "as_of": "2026-11-27",
        "posts": 9, "posts_by_month": [0, 0, 1, 0, 0, 2, 0, 0, 0, 0, 6, 0],
        "post_every_days": 2, "periods": 9, "periods_kept": 4, "kept_percent": 44,
        "late": 1, "zombie": 1,
        "inquiries": 3, "answered": 2, "in_time": 1, "overdue": 2, "median_reply_hours": 19.0,
        "blocked_drafts": 1, "changes_filed": 1, "unapproved": 1,
    }
    assert json.loads(json.dumps(figures)) == figures  # stored as JSON on the report
    assert kept_percent(figures) == 44


async def test_an_account_not_on_file_has_no_cadence(world: World) -> None:
    """Art. 4, 11: an account awaiting filing has no cadence: no period is counted against it."""
    account = await Account.get(name="某某服务")
    await Account.filter(id=account.id).update(filed_at=None, status=AccountStatus.UNFILED)
    account = await Account.get(id=account.id)
    figures = await year_figures(account, 2026, NOW, world.bot.deps.calendar)
    assert (figures["periods"], figures["periods_kept"], kept_percent(figures)) == (0, 0, None)
    assert "尚无完整周期" in render_figures(figures)


async def test_figures_take_a_fixed_number_of_queries(world: World, queries: QueryCounter) -> None:
    """However many publications and inquiries: no query per row."""
    account = await constructed_year(world)
    cal = world.bot.deps.calendar
    queries.count = 0
    await year_figures(account, 2026, NOW, cal)
    few = queries.count
    zhangsan = await Person.get(code="zhangsan")
    for day in range(1, 21):
        await publish(account, zhangsan, at(2026, 10, day, 9, 0))
        await Inquiry.create(account_id=account.id, department_id=account.department_id, source="chat",
                             text="？", received_at=at(2026, 10, day, 9, 0))
    queries.count = 0
    figures = await year_figures(account, 2026, NOW, cal)
    assert figures["posts"] == 29 and figures["inquiries"] == 23
    assert queries.count == few <= 8


async def test_rendered_for_chat_card_and_history(world: World) -> None:
    """Art. 5: the owner and the Information Center read the figures in Chinese."""
    account = await constructed_year(world)
    figures = await year_figures(account, 2026, NOW, world.bot.deps.calendar)
    text = render_figures(figures)
    assert text.splitlines() == [
        "【本助手记录的2026年度数据】截至11月27日：",
        "· 发布 9 篇（1月 0、2月 0、3月 1、4月 0、5月 0、6月 2、7月 0、8月 0、9月 0、10月 0、11月 6）",
        "· 更新频率（第十一条）：每 2 个工作日一次，4/9 个周期按期更新（44%）",
        "· 逾期更新 1 次，长期未更新（僵尸）预警 1 次",
        "· 群众咨询（第十二条）：收到 3，按时答复 1，逾期 2，答复用时中位数 19.0 个工作小时",
        "· 敏感词拦截稿件 1 篇；负责人/管理员变更备案 1 次",
        "· 未经审核发布（第十条，平台或订阅源所见）1 篇",
    ]
    assert card_fields(figures) == [("发布", "9 篇，未经审核 1 篇"), ("按期更新", "44%（4/9）"),
                                    ("逾期/僵尸", "1 / 1 次"),
                                    ("咨询", "3，按时 1，逾期 2，中位 19.0 小时"),
                                    ("拦截/变更", "1 篇 / 1 次")]
    assert len(card_fields(figures)) <= 5  # the review card adds the submitter: six on WeCom
    assert all(len(name) <= 5 for name, _ in card_fields(figures))  # WeCom's field names
    assert figures_summary(figures) == ("发布 9 篇·按期 44%·逾期更新 1·僵尸 1·咨询 3（按时 1，逾期 2）"
                                        "·拦截 1·变更 1·未经审核发布 1")
    assert render_figures(None) == figures_summary(None) == "" and card_fields(None) == []
    assert texts.FIGURES_NONE in figures_summary({"posts": 0})


async def test_the_cadence_count_ends_when_the_account_had_to_stop(world: World) -> None:
    """Art. 5, 11: a must-stop account is not to post, so its periods end at the stop: filed Monday
    2 Nov, stopped Friday 13 Nov: 9 working days, 4 periods of 2, posts in the first and third."""
    account = await Account.get(name="某某发布")
    await Account.filter(id=account.id).update(status=AccountStatus.MUST_STOP, post_every_days=2,
                                               created_at=at(2025, 1, 6, 9, 0),
                                               filed_at=at(2026, 11, 2, 9, 0),
                                               stopped_at=at(2026, 11, 13, 11, 0), stop_reason="年审不合格")
    account = await Account.get(id=account.id)
    zhangsan = await Person.get(code="zhangsan")
    for when in (at(2026, 11, 3, 10, 0), at(2026, 11, 10, 10, 0)):
        await publish(account, zhangsan, when)
    figures = await year_figures(account, 2026, NOW, world.bot.deps.calendar)
    assert (figures["posts"], figures["periods"], figures["periods_kept"], figures["kept_percent"]) == (
        2, 4, 2, 50)
    await Account.filter(id=account.id).update(status=AccountStatus.OPERATING, stopped_at=None,
                                               stop_reason="")
    restored = await year_figures(await Account.get(id=account.id), 2026, NOW, world.bot.deps.calendar)
    assert (restored["periods"], restored["periods_kept"]) == (9, 2)  # a 合格 restored it: the whole month
