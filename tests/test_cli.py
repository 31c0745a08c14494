"""The ``xmt`` command line on a real SQLite file: org import/export and audit verify."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from tests.conftest import DEMO_ORG


@pytest.fixture
def dbfile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("XMT_DATABASE_URL", f"sqlite://{path}")
    monkeypatch.chdir(tmp_path)
    return path


def test_org_import_export_and_audit_verify(dbfile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["org", "import", str(DEMO_ORG)]) == 0
    assert main(["org", "import", str(DEMO_ORG)]) == 0
    assert "已导入：3 个部门、7 人、3 个账号" in capsys.readouterr().out
    assert main(["org", "export"]) == 0
    exported = yaml.safe_load(capsys.readouterr().out)
    assert [d["code"] for d in exported["departments"]] == ["info-center", "publicity", "service"]
    assert main(["audit", "verify"]) == 0
    assert "2 条记录" in capsys.readouterr().out


def test_audit_verify_fails_naming_the_edited_row(dbfile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["org", "import", str(DEMO_ORG)]) == 0
    assert main(["org", "import", str(DEMO_ORG)]) == 0
    with sqlite3.connect(dbfile) as conn:
        conn.execute("UPDATE audit_event SET actor = 'mallory' WHERE id = 2")
    capsys.readouterr()
    assert main(["audit", "verify"]) == 1
    assert "id=2" in capsys.readouterr().err


def test_org_import_refuses_art7_violation(dbfile: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    org = yaml.safe_load(DEMO_ORG.read_text("utf-8"))
    org["departments"][1]["officers"] = []
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(org, allow_unicode=True), "utf-8")
    assert main(["org", "import", str(bad)]) == 1
    assert "宣传科" in capsys.readouterr().err


def test_bad_setting_stops_with_the_variable_named(dbfile: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("XMT_DINGTALK_CLIENT_ID", "ding123")
    assert main(["audit", "verify"]) == 2
    assert "XMT_DINGTALK_CLIENT_SECRET" in capsys.readouterr().err


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "xmt" in capsys.readouterr().out


def test_reminders_run_now_prints_what_it_sent(dbfile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from schedules.calendar import is_workday

    assert main(["org", "import", str(DEMO_ORG)]) == 0
    day = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=7)
    while not is_workday(day):
        day += timedelta(days=1)
    capsys.readouterr()
    assert main(["reminders", "run-now", "cadence", "--at", f"{day} 10:00"]) == 0
    out = capsys.readouterr().out
    assert "发布频率：发出 6 条提醒" in out  # due and late for each of the three accounts
    assert "宣传科工作群：【发布提醒】「某某发布」" in out and "李四：【更新逾期】" in out
    assert main(["reminders", "run-now", "cadence", "--at", f"{day} 10:05"]) == 0
    assert "发出 0 条提醒" in capsys.readouterr().out
    assert main(["reminders", "run-now", "weather"]) == 2
