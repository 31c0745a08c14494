"""The ``xmt`` command line on a real SQLite file: org import/export and audit verify; ``xmt serve``
answers and stops cleanly on SIGTERM.

Slow clients (issue 12, point 7), on the server ``xmt serve`` runs (``start_server``) with a short
real ``XMT_REQUEST_TIMEOUT`` (network behaviour: 0.3 s): a client dribbling a body gets 408 and
the connection closed within the timeout, one dribbling its request head is disconnected, while
normal requests are answered meanwhile; beyond ``XMT_MAX_CONNECTIONS`` a connection gets 503 and
is closed, and a slot freed is usable again."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from bot.app import create_app, start_server
from bot.cli import main
from tests.conftest import DEMO_ORG, ROOT, make_settings


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

    from bot.workdays import is_workday
    from schedules import SWEEPS

    assert main(["org", "import", str(DEMO_ORG)]) == 0
    day = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=7)
    while not is_workday(day):
        day += timedelta(days=1)
    capsys.readouterr()
    assert main(["reminders", "run-now", "cadence", "--at", f"{day} 10:00"]) == 0
    out = capsys.readouterr().out
    assert "发布频率：发出 6 条提醒" in out  # due and late for each of the three accounts
    assert "宣传科工作群：【发布提醒】「某某发布」" in out and "李四：【更新逾期】" in out
    with sqlite3.connect(dbfile) as conn:  # queued on the moved clock, deliverable today
        waiting, later = conn.execute(
            "SELECT count(*), sum(julianday(next_attempt_at) > julianday('now')) FROM outbox_message "
            "WHERE status = 'pending'").fetchone()
    assert waiting >= 6 and later == 0
    assert main(["reminders", "run-now", "cadence", "--at", f"{day} 10:05"]) == 0
    assert "发出 0 条提醒" in capsys.readouterr().out
    # Every sweep, each followed by its own messages, one line each (a long text cut with …).
    assert main(["reminders", "run-now", "--at", f"{day} 10:10"]) == 0
    lines = capsys.readouterr().out.splitlines()
    headers = [n for n, line in enumerate(lines) if "：发出 " in line]
    assert len(headers) == len(SWEEPS) and all(line.startswith("  → ") for n, line in enumerate(lines)
                                               if n not in headers)
    verify = next(n for n in headers if lines[n].startswith("认证："))
    assert lines[verify + 1].startswith("  → 吴九：【认证提醒】") and lines[verify + 1].endswith("…")
    assert main(["reminders", "run-now", "weather"]) == 2


def test_run_now_help_names_every_sweep(capsys: pytest.CaptureFixture[str]) -> None:
    from schedules import SWEEPS

    with pytest.raises(SystemExit):
        main(["reminders", "--help"])
    out = "".join(capsys.readouterr().out.split())  # argparse wraps the line
    assert "、".join(SWEEPS) in out


def test_run_now_demo_works_on_the_demo_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``xmt reminders run-now --demo`` checks the database ``xmt demo`` runs on (the README's
    simulator steps use it beside a running demo), not the bot's own."""
    monkeypatch.delenv("XMT_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["reminders", "run-now", "review", "--demo"]) == 0
    assert (tmp_path / "var" / "demo.sqlite3").exists()
    assert not (tmp_path / "var" / "xmt.sqlite3").exists()


# -- xmt serve: slow clients and the connection cap ---------------------------------------------
@asynccontextmanager
async def serving(**settings: Any) -> AsyncIterator[tuple[str, int, aiohttp.ClientSession, Any]]:
    config = make_settings(simulator=True, **settings)
    app = create_app(config, manage_database=False, run_worker=False, run_scheduler=False)
    runner = await start_server(app, config, host="127.0.0.1", port=0)
    host, port = runner.addresses[0][:2]
    try:
        async with aiohttp.ClientSession() as http:
            yield host, port, http, runner.server
    finally:
        await runner.cleanup()


async def healthz(http: aiohttp.ClientSession, host: str, port: int) -> int:
    async with http.get(f"http://{host}:{port}/healthz") as resp:
        return resp.status


async def dribble(writer: asyncio.StreamWriter, data: bytes, every: float) -> None:
    for byte in data:
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(every)  # the client is slow: that is what is tested


async def test_a_client_dribbling_its_body_gets_408_within_the_timeout(db: str) -> None:
    async with serving(request_timeout=0.3) as (host, port, http, _):
        loop = asyncio.get_running_loop()
        reader, writer = await asyncio.open_connection(host, port)
        started = loop.time()
        writer.write(b"POST /sim/api/send HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 400\r\n\r\n")
        slow = asyncio.create_task(dribble(writer, b'{"as":', 0.04))  # 6 bytes in 0.24 s
        assert await healthz(http, host, port) == 200  # others are served meanwhile
        answer = await asyncio.wait_for(reader.read(), 1.0)  # until the server closes
        elapsed = loop.time() - started
        await slow
        writer.close()
        assert answer.startswith(b"HTTP/1.1 408"), answer[:40]
        assert 0.25 <= elapsed < 0.9
        assert await healthz(http, host, port) == 200


async def test_a_client_dribbling_its_request_head_is_disconnected(db: str) -> None:
    async with serving(request_timeout=0.3) as (host, port, http, _):
        loop = asyncio.get_running_loop()
        reader, writer = await asyncio.open_connection(host, port)
        started = loop.time()
        slow = asyncio.create_task(dribble(writer, b"GET /healthz HT", 0.015))  # 15 bytes, 0.23 s
        assert await healthz(http, host, port) == 200
        answer = await asyncio.wait_for(reader.read(), 1.0)
        elapsed = loop.time() - started
        await slow
        writer.close()
        assert answer == b"" and 0.25 <= elapsed < 0.9


async def test_a_fast_body_is_not_cut_by_the_deadline(db: str) -> None:
    async with serving(request_timeout=0.3) as (host, port, http, _):
        async with http.post(f"http://{host}:{port}/sim/api/send", json={"as": "nobody"}) as resp:
            assert resp.status == 400  # read and refused by the handler, not by the deadline


async def test_connections_beyond_the_cap_get_503_and_a_freed_slot_is_reused(db: str) -> None:
    async with serving(max_connections=2, request_timeout=5) as (host, port, http, server):
        idle = [await asyncio.open_connection(host, port) for _ in range(2)]

        async def settled(count: int) -> None:
            while len(server.connections) != count:  # noqa: ASYNC110 - aiohttp signals nothing
                await asyncio.sleep(0.005)

        await asyncio.wait_for(settled(2), 2.0)
        reader, writer = await asyncio.open_connection(host, port)
        answer = await asyncio.wait_for(reader.read(), 1.0)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 503") and answer.endswith(b"busy\n")
        idle[0][1].close()
        await asyncio.wait_for(settled(1), 2.0)
        assert await healthz(http, host, port) == 200
        idle[1][1].close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "XMT_DATABASE_URL": f"sqlite://{tmp_path / 'serve.sqlite3'}",
           "XMT_SIMULATOR": "0", "XMT_WORDLIST_DIR": str(tmp_path / "words")}
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        async def until_up() -> int:
            # Bounded by time, not by tries: start-up (imports, migrations) takes seconds, many more
            # on a loaded machine (the suite runs on both databases side by side).
            deadline = time.monotonic() + 90
            async with aiohttp.ClientSession() as http:
                while time.monotonic() < deadline and proc.poll() is None:
                    try:
                        return await healthz(http, "127.0.0.1", port)
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.05)  # the process is starting
            return 0

        assert asyncio.run(until_up()) == 200
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err.decode()
        assert b"Traceback" not in err, err.decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_org_resolve_prints_who_was_found_against_the_fake_wecom(
        dbfile: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """``xmt org resolve FILE --from wecom`` (issue 16): the file is imported, the people without a
    WeCom id are looked up by mobile in the (fake) directory, the table says who was found and who
    not, the found id is written. The fake WeCom runs on its own loop in a thread: ``main`` runs
    its own event loop."""
    import threading

    from tests.fake_wecom import FakeDepartment, FakeDirectory, FakePerson, FakeWeCom, ManualClock

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    fake = FakeWeCom(corp_id="ww4f2b6c1e8d3a7f90", secret="app-secret-of-xmt-bot", clock=ManualClock())
    fake.directory = FakeDirectory(
        departments=[FakeDepartment(1, "某某县人民政府", 0), FakeDepartment(2, "宣传科", 1)],
        people=[FakePerson("ZhangSan01", "张三", "13800000004", [2])], visible={2})
    asyncio.run_coroutine_threadsafe(fake.start(), loop).result(5)
    try:
        for name, value in {"XMT_WECOM_CORP_ID": fake.corp_id, "XMT_WECOM_SECRET": fake.secret,
                            "XMT_WECOM_AGENT_ID": "1000002", "XMT_WECOM_TOKEN": "xmt-callback-token",
                            "XMT_WECOM_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
                            "XMT_WECOM_API_BASE": fake.base_url}.items():
            monkeypatch.setenv(name, value)
        org = yaml.safe_load(DEMO_ORG.read_text("utf-8"))
        for person in org["people"]:
            if person["id"] in ("zhangsan", "chenqi"):
                person.pop("wecom_userid")  # the administrator knows their mobiles only
        file = tmp_path / "org.yaml"
        file.write_text(yaml.safe_dump(org, allow_unicode=True), "utf-8")
        assert main(["org", "resolve", str(file), "--from", "wecom"]) == 0
    finally:
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
    out = capsys.readouterr().out
    assert "张三（zhangsan） 138****0004：已找到 → ZhangSan01" in out
    assert "陈七（chenqi） 138****0005：未找到" in out
    assert "已写入 1 人的账号" in out
    with sqlite3.connect(dbfile) as conn:
        rows = dict(conn.execute(
            "SELECT code, wecom_userid FROM person WHERE code IN ('zhangsan', 'chenqi')"))
    assert rows == {"zhangsan": "ZhangSan01", "chenqi": None}
