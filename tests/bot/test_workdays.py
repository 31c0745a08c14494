"""The working calendar: official workdays and 调休, hours, the next opening; the holidays file
ahead of the package (issue 19: its refusals naming the line, the file winning for its years,
read again when it changes), ``xmt calendar check`` and the organisation file's ``holidays:``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import workdays
from bot.cli import main
from bot.workdays import WorkCalendar, is_workday, working_days_since
from tests.conftest import DEMO_ORG, ROOT

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar.parse(TZ, "09:00-18:00")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


def test_official_holidays_and_make_up_days() -> None:
    assert not is_workday(date(2026, 10, 1))  # National Day
    assert is_workday(date(2026, 10, 10))  # a make-up Saturday
    assert not is_workday(date(2026, 11, 28))  # an ordinary Saturday
    assert is_workday(date(2027, 3, 1)) and not is_workday(date(2027, 3, 6))  # no data: Mon-Fri


def test_next_opening_skips_nights_weekends_and_holidays() -> None:
    assert CAL.next_opening(at(2026, 11, 26, 10, 0)) == at(2026, 11, 26, 10, 0)
    assert CAL.next_opening(at(2026, 11, 26, 7, 30)) == at(2026, 11, 26, 9, 0)
    assert CAL.next_opening(at(2026, 11, 27, 18, 0)) == at(2026, 11, 30, 9, 0)  # Fri evening → Mon
    assert CAL.next_opening(at(2026, 9, 30, 19, 0)) == at(2026, 10, 8, 9, 0)  # National Day week


def test_working_seconds_count_open_hours_of_workdays_only() -> None:
    assert CAL.working_seconds(at(2026, 11, 26, 10, 0), at(2026, 11, 26, 14, 0)) == 4 * 3600
    assert CAL.working_seconds(at(2026, 11, 27, 17, 0), at(2026, 11, 30, 10, 0)) == 2 * 3600
    assert CAL.working_seconds(at(2026, 9, 30, 17, 0), at(2026, 10, 8, 9, 30)) == 1.5 * 3600
    assert CAL.working_seconds(at(2026, 11, 26, 10, 0), at(2026, 12, 26, 10, 0), stop_after=3600) < 10 * 3600


@pytest.mark.parametrize("hours", ["18:00-09:00", "nine to five", "09:00"])
def test_bad_working_hours_are_refused(hours: str) -> None:
    with pytest.raises(ValueError):
        WorkCalendar.parse(TZ, hours)


# -- the working calendar ahead of the package (issue 19) -------------------------------------

HOLIDAYS_2027 = """\
holidays:
  2027:
    off:
      元旦: 2027-01-01
      春节: 2027-02-06 ~ 2027-02-13
      国庆节: [2027-10-01 ~ 2027-10-07]
    workdays: [2027-02-14, 2027-02-20]
"""


@pytest.fixture(autouse=True)
def _package_calendar() -> Iterator[None]:
    """Every test starts and ends on the package's calendar alone."""
    workdays.use_holidays({})
    yield
    workdays.use_holidays({})


def test_the_installed_package_knows_2026_and_not_2027() -> None:
    """The premise of the file: chinesecalendar 1.11 ends at 2026 (a newer release may not)."""
    assert 2026 in workdays.PACKAGE_YEARS
    assert workdays.source_of(2026) == "package" and workdays.source_of(2100) == "weekdays"


def test_a_year_from_the_file_counts_its_holidays_and_make_up_days() -> None:
    assert is_workday(date(2027, 2, 8))  # Monday: Monday–Friday before the file
    assert not is_workday(date(2027, 2, 14))
    workdays.use_holidays(workdays.parse_holidays(HOLIDAYS_2027, "h.yaml"))
    assert workdays.source_of(2027) == "file"
    assert not is_workday(date(2027, 2, 8)) and not is_workday(date(2027, 10, 4))  # off
    assert is_workday(date(2027, 2, 14)) and is_workday(date(2027, 2, 20))  # 调休 Sunday, Saturday
    assert not is_workday(date(2027, 3, 6)) and is_workday(date(2027, 3, 1))  # ordinary weekend, Monday
    summary = workdays.year_summary(2027)
    assert (summary.source, summary.festivals, summary.days_off, summary.workdays) == ("file", 3, 16, 2)


def test_every_count_of_working_days_goes_through_the_file() -> None:
    """One path: the deadline (Art. 10–12), working time and the workday counts all see the file."""
    workdays.use_holidays(workdays.parse_holidays(HOLIDAYS_2027, "h.yaml"))
    # Friday 2027-02-05 + 3 working days: 14 Feb (Sunday, worked), 15, 16 → Tuesday 16 Feb
    assert CAL.after_working_days(at(2027, 2, 5, 10, 0), 3) == at(2027, 2, 16, 17, 59)
    assert CAL.next_opening(at(2027, 2, 5, 18, 30)) == at(2027, 2, 14, 9, 0)
    assert CAL.working_seconds(at(2027, 2, 5, 17, 0), at(2027, 2, 14, 10, 0)) == 2 * 3600
    assert working_days_since([date(2027, 2, 5)], date(2027, 2, 15)) == {date(2027, 2, 5): 2}


def test_the_file_wins_over_the_package_for_the_years_it_gives() -> None:
    moved = """\
holidays:
  2026:
    off:
      元旦: 2026-01-01
"""
    assert not is_workday(date(2026, 1, 2)) and is_workday(date(2026, 1, 4))  # the package's 调休
    workdays.use_holidays(workdays.parse_holidays(moved, "h.yaml"))
    assert is_workday(date(2026, 1, 2)) and not is_workday(date(2026, 1, 4))
    assert is_workday(date(2026, 10, 1))  # a year given whole: the file's (no 国庆 in it) …
    assert workdays.source_of(2026) == "file"
    assert not is_workday(date(2025, 10, 1))  # … and the package for the other years


def test_the_example_file_is_2026_as_the_package_has_it() -> None:
    """examples/holidays.yaml shows the shape with real data: every day of 2026 agrees."""
    years = workdays.load_holidays_file(str(ROOT / "examples" / "holidays.yaml"))
    package = {d: is_workday(d) for d in _days_of(2026)}
    workdays.use_holidays(years)
    assert {d: is_workday(d) for d in _days_of(2026)} == package
    assert workdays.year_summary(2026).days_off == 33


def _days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]


@pytest.mark.parametrize(("text", "line", "words"), [
    ("holidays:\n  2027:\n    off:\n      春节: 2027-02-30\n", 4, "「2027-02-30」不是日期"),
    ("holidays:\n  2027:\n    off:\n      元旦: 2026-12-31\n", 4, "2026-12-31 不在 2027 年"),
    ("holidays:\n  2027:\n    off:\n      春节: 2027-02-06 ~ 2027-02-13\n    workdays:\n      - 2027-02-13\n",
     6, "2027-02-13 既在第 4 行写为放假（春节），又写为调休上班"),
    ("holidays:\n  2027:\n    off:\n      元旦: 2027-01-01\n    workdays: [2027-02-15]\n", 5,
     "星期一，本来就上班"),
    ("holidays:\n  2027:\n    off:\n      春节: 2027-02-13 ~ 2027-02-06\n", 4, "结束早于开始"),
    ("holidays:\n  2027:\n    off:\n      春节: 2027-02-06 ~ 2027-03-13\n", 4, "连放 36 天"),
    ("holidays:\n  2027:\n    off:\n      春节: 2027-02-06 ~ 2027-02-13\n      元宵: 2027-02-13\n", 5,
     "2027-02-13 在第 4 行已写为放假（春节）"),
    ("holidays:\n  2027:\n    off:\n      元旦: 2027-01-01\n    holiday: []\n", 5, "没有「holiday」"),
    ("holidays:\n  2027:\n    workdays: [2027-02-14]\n", 2, "2027 年没有写放假的日子"),
    ("holidays:\n  27:\n    off: {元旦: 2027-01-01}\n", 2, "「27」不是年份"),
    ("holidays:\n  2027:\n    off: {元旦: 2027-01-01}\n  2027:\n    off: {元旦: 2027-01-01}\n", 4,
     "2027 年在第 2 行已经写过一次"),
    ("holidays:\n  2027:\n    off: [2027-01-01]\n", 3, "键: 值"),
    ("holidays:\n  2027:\n    off:\n      元旦: 20270101\n", 4, "不是日期"),
    ("holidays:\n  2027: {off: {元旦: 2027-01-01}\n", 3, "不是有效的 YAML"),
    ("departments: []\n", None, "顶层要有 holidays:"),
])
def test_a_bad_file_is_refused_naming_the_line(text: str, line: int | None, words: str) -> None:
    with pytest.raises(workdays.HolidaysError) as refused:
        workdays.parse_holidays(text, "/etc/xmt/holidays.yaml")
    message = str(refused.value)
    where = f"/etc/xmt/holidays.yaml 第 {line} 行" if line else "/etc/xmt/holidays.yaml"
    assert message.startswith(f"节假日文件有误（{where}）："), message
    assert words in message, message


def test_the_file_is_read_again_when_it_changes_and_a_bad_edit_keeps_the_last_good(tmp_path: Path) -> None:
    path = tmp_path / "holidays.yaml"
    path.write_text(HOLIDAYS_2027, encoding="utf-8")
    workdays.use_holidays_file(str(path))
    assert not workdays.refresh_holidays_file(str(path))  # unchanged: not read again
    assert workdays.refresh_holidays_file(None) is False
    path.write_text(HOLIDAYS_2027.replace("2027-02-20]", "2027-02-20, 2027-02-27]"), encoding="utf-8")
    os.utime(path, ns=(1, 1))  # a different stamp even within the file system's clock tick
    assert workdays.refresh_holidays_file(str(path))
    assert is_workday(date(2027, 2, 27))
    path.write_text(HOLIDAYS_2027.replace("2027-02-14", "2027-02-31"), encoding="utf-8")
    with pytest.raises(workdays.HolidaysError, match="第 7 行"):
        workdays.refresh_holidays_file(str(path))
    assert is_workday(date(2027, 2, 27)) and workdays.source_of(2027) == "file"  # the last good


def test_a_missing_file_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(workdays.HolidaysError, match=r"读不到节假日文件 .*nope\.yaml"):
        workdays.use_holidays_file(str(tmp_path / "nope.yaml"))


# -- xmt calendar check, and the organisation file's holidays: ---------------------------------


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    monkeypatch.setenv("XMT_DATABASE_URL", f"sqlite://{tmp_path / 'cli.sqlite3'}")
    monkeypatch.delenv("XMT_HOLIDAYS_FILE", raising=False)
    return tmp_path


def _fixed_today(monkeypatch: pytest.MonkeyPatch, when: datetime) -> None:
    monkeypatch.setattr("bot.cli.utc_now", lambda: when)


def test_check_says_next_year_has_no_data_and_exits_1(
        cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _fixed_today(monkeypatch, at(2026, 11, 28, 10, 0))
    assert main(["calendar", "check"]) == 1
    out, err = capsys.readouterr()
    assert "2026 年：chinesecalendar；节假日 7 个，共放假 33 天，调休上班 6 天" in out
    assert "2027 年：仅周一至周五（节假日文件和 chinesecalendar 都没有这一年）" in out
    assert "节假日文件：未设置（XMT_HOLIDAYS_FILE）" in out
    assert err.startswith("2027 年没有节假日数据：机器人将按周一至周五计算工作日。")


def test_check_with_the_file_says_file_and_exits_0(
        cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    path = cli_env / "holidays.yaml"
    path.write_text(HOLIDAYS_2027, encoding="utf-8")
    monkeypatch.setenv("XMT_HOLIDAYS_FILE", str(path))
    _fixed_today(monkeypatch, at(2026, 12, 2, 10, 0))
    assert main(["calendar", "check"]) == 0
    out = capsys.readouterr().out
    assert "2027 年：文件；节假日 3 个，共放假 16 天，调休上班 2 天" in out
    assert main(["calendar", "check", "2028"]) == 1
    assert "2028 年：仅周一至周五" in capsys.readouterr().out


def test_a_bad_holidays_file_stops_every_command(
        cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    path = cli_env / "holidays.yaml"
    path.write_text(HOLIDAYS_2027.replace("2027-02-20", "2027-02-30"), encoding="utf-8")
    monkeypatch.setenv("XMT_HOLIDAYS_FILE", str(path))
    assert main(["calendar", "check"]) == 2
    assert main(["audit", "verify"]) == 2
    err = capsys.readouterr().err
    assert f"节假日文件有误（{path} 第 7 行）：「2027-02-30」不是日期" in err
    assert "Traceback" not in err


def test_the_organisation_file_carries_holidays_checked_on_import(
        cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    org = cli_env / "org.yaml"
    org.write_text(DEMO_ORG.read_text(encoding="utf-8") + HOLIDAYS_2027.replace("2027-01-01", "2027-13-01"),
                   encoding="utf-8")
    assert main(["org", "import", str(org)]) == 1
    lines = DEMO_ORG.read_text(encoding="utf-8").count("\n")
    refusal = f"导入被拒绝：节假日文件有误（组织文件 第 {lines + 4} 行）：「2027-13-01」不是日期"
    assert refusal in capsys.readouterr().err
    org.write_text(DEMO_ORG.read_text(encoding="utf-8") + HOLIDAYS_2027, encoding="utf-8")
    assert main(["org", "import", str(org)]) == 0
    assert "只从 XMT_HOLIDAYS_FILE 读取节假日" in capsys.readouterr().out  # not read: says so
    monkeypatch.setenv("XMT_HOLIDAYS_FILE", str(org))
    assert main(["org", "import", str(org)]) == 0
    assert "XMT_HOLIDAYS_FILE" not in capsys.readouterr().out
    _fixed_today(monkeypatch, at(2026, 12, 2, 10, 0))
    assert main(["calendar", "check", "2027"]) == 0
