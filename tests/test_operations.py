"""The deployment files of docs/operations.md, checked where a machine can check them.

- ``deploy/xmt-bot@.service`` passes ``systemd-analyze verify`` (with ExecStart pointed at this
  checkout's ``xmt``), and a broken copy does not: the check can fail.
- ``deploy/nginx/xmt-bot.conf`` passes ``nginx -t``; its limits agree with the bot's own, read
  from the code (body caps, XMT_REQUEST_TIMEOUT, keep-alive); it proxies every platform callback,
  the intake and the console, and nothing else (not the simulator, /metrics, /healthz, /readyz).
- The backup and restore drill: a database with the organisation and a few weeks of its work played
  through the real bot (``bot.demo``: drafts, approvals, a review, an inquiry) is backed up the way
  the doc says (``pg_dump -Fc`` and ``pg_restore`` on the PostgreSQL run; SQLite's online
  backup on the SQLite run), the copy passes ``xmt audit verify`` with the same rows, and the check
  is of the copy (a row edited there fails it while the original still passes).

``scripts/ensure-ops-tools`` (run by ``make test``) installs systemd-analyze and nginx; without
them (a developer machine, not root) those two tests fail saying so, and the rest still run. Art. 14
of the policy holds the responsible units to account for what their accounts publish: the audit
trail is how anyone shows who did what, so a restore must bring it back whole.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import asyncpg  # type: ignore[import-untyped]
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from tortoise.backends.base.executor import EXECUTOR_CACHE

from bot import demo, intake
from bot.app import BOT, LOCAL, create_app
from bot.channels.dingtalk import routes as dingtalk_routes
from bot.channels.wechat import routes as wechat_routes
from bot.channels.wecom import routes as wecom_routes
from bot.cli import main
from bot.db import close_db, init_db
from bot.settings import Settings
from tests.conftest import DEMO_ORG, PG_URL, ROOT, make_settings

UNIT = ROOT / "deploy" / "xmt-bot@.service"
ENV_EXAMPLE = ROOT / "deploy" / "xmt-bot.env.example"
SITE = ROOT / "deploy" / "nginx" / "xmt-bot.conf"
XMT = ROOT / ".venv" / "bin" / "xmt"
INSTALL_HINT = "run scripts/ensure-ops-tools (make test does) to install systemd-analyze and nginx"


def tool(name: str, *extra: str) -> str:
    found = shutil.which(name) or next((p for p in extra if Path(p).exists()), None)
    assert found, f"{name} not found: {INSTALL_HINT}"
    return found


# -- the systemd unit ----------------------------------------------------------------------------
def verify_unit(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    """``systemd-analyze verify`` on an instance of the template (xmt-bot@8080.service)."""
    unit = tmp_path / "xmt-bot@8080.service"
    unit.write_text(text, encoding="utf-8")
    return subprocess.run([tool("systemd-analyze"), "verify", str(unit)], capture_output=True,
                          text=True, timeout=60, check=False)


def test_the_systemd_unit_verifies_and_a_broken_one_does_not(tmp_path: Path) -> None:
    text = UNIT.read_text(encoding="utf-8")
    assert "ExecStart=/opt/xmt-bot/.venv/bin/xmt serve" in text
    here = text.replace("/opt/xmt-bot/.venv/bin/xmt", str(XMT))
    result = verify_unit(tmp_path, here)
    # verify exits 0 on a directive it ignores with a warning: any word about the unit fails too.
    assert result.returncode == 0 and "xmt-bot@" not in result.stdout + result.stderr, result.stderr
    broken = verify_unit(tmp_path, here.replace("Restart=on-failure", "Restart=sometimes")
                         .replace(str(XMT), "/nonexistent/xmt"))
    assert broken.returncode != 0 or "xmt-bot@" in broken.stdout + broken.stderr
    assert "not executable" in broken.stderr


def shutdown_timeouts() -> list[float]:
    """XMT_SHUTDOWN_TIMEOUT as the bot defaults it and as the example environment file sets it."""
    default = Settings.model_fields["shutdown_timeout"].default
    env = re.findall(r"^XMT_SHUTDOWN_TIMEOUT=(\S+)$", ENV_EXAMPLE.read_text(encoding="utf-8"), re.M)
    return [float(default), *map(float, env)]


def test_the_unit_gives_the_bot_time_to_stop_and_keeps_it_confined() -> None:
    text = UNIT.read_text(encoding="utf-8")
    stop = int(re.search(r"^TimeoutStopSec=(\d+)$", text, re.M)[1])  # type: ignore[index]
    assert len(shutdown_timeouts()) == 2  # the example file sets it, next to the default
    # SIGKILL only after the bot's own bound, with a margin for closing the database and sessions.
    assert all(stop >= bound + 5 for bound in shutdown_timeouts())
    for line in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
                 "ReadWritePaths=/opt/xmt-bot/var", "EnvironmentFile=/etc/xmt-bot/xmt-bot.env",
                 "User=xmt", "KillSignal=SIGTERM", "Restart=on-failure"):
        assert line in text.splitlines(), line


# -- the nginx site ------------------------------------------------------------------------------
def directive(name: str, text: str) -> str:
    values = re.findall(rf"^\s*{name}\s+([^;]+);", text, re.M)
    assert len(values) == 1, (name, values)
    return str(values[0]).strip()


def size(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kKmM]?)", value).groups()  # type: ignore[union-attr]
    return int(number) * {"": 1, "k": 1024, "m": 1024 * 1024}[unit.lower()]


def seconds(value: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(s|m)?", value).groups()  # type: ignore[union-attr]
    return int(number) * (60 if unit == "m" else 1)


def proxied(path: str, text: str) -> bool:
    """Whether the site sends ``path`` to the bot: nginx's choice among ``=`` and ``^~`` locations
    (exact match first, then the longest prefix), the site's only kinds."""
    exact = dict(re.findall(r"location\s+=\s+(\S+)\s+\{([^}]*)\}", text))
    if path in exact:
        return "proxy_pass" in exact[path]
    prefixes = re.findall(r"location\s+(?:\^~\s+)?(/\S*)\s+\{([^}]*)\}", text)
    matching = [(len(p), body) for p, body in prefixes if path.startswith(p)]
    return bool(matching) and "proxy_pass" in max(matching)[1]


def test_the_sites_limits_match_the_bots_own() -> None:
    text = SITE.read_text(encoding="utf-8")
    settings = Settings()
    largest_body = max(wecom_routes.MAX_BODY, dingtalk_routes.MAX_BODY, wechat_routes.MAX_BODY,
                       intake.MAX_BODY)
    assert size(directive("client_max_body_size", text)) >= largest_body
    # nginx gives a slow client no longer than the bot would, and drops an idle connection to the
    # bot before the bot's keep-alive closes it (else a request can meet a closing connection).
    assert seconds(directive("client_body_timeout", text)) <= settings.request_timeout
    assert seconds(directive("client_header_timeout", text)) <= settings.request_timeout
    assert seconds(directive("keepalive_timeout", text)) < settings.request_timeout
    # The longest the bot takes to answer a request it has begun: reading the body is bounded by
    # XMT_REQUEST_TIMEOUT, and on a stop a request in hand gets up to XMT_SHUTDOWN_TIMEOUT.
    longest_answer = max(settings.request_timeout, *shutdown_timeouts())
    assert seconds(directive("proxy_read_timeout", text)) >= longest_answer
    assert directive("proxy_set_header Connection", text) == '""'  # keep-alive to the upstream


def test_the_site_proxies_the_callbacks_and_the_console_and_nothing_else() -> None:
    text = SITE.read_text(encoding="utf-8")
    wanted = [wecom_routes.PATH, dingtalk_routes.ROBOT_PATH, dingtalk_routes.CARD_PATH,
              dingtalk_routes.EVENT_PATH, wechat_routes.PATH.replace("{account}", "gh_0123456789ab"),
              "/api/inquiries", "/console", "/console/", "/console/accounts"]
    assert [p for p in wanted if not proxied(p, text)] == []
    inside = ["/", "/sim/api/send", "/sim/articles/1", "/metrics", "/healthz", "/readyz",
              "/consolex", "/wecom/callbackx"]
    assert [p for p in inside if proxied(p, text)] == []


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "xmt.example.gov.cn")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    crt, pem = folder / "site.crt", folder / "site.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    return crt, pem


def nginx_test(tmp_path: Path, site: str) -> subprocess.CompletedProcess[str]:
    crt, key = self_signed(tmp_path)
    site = site.replace("/etc/nginx/tls/xmt.example.gov.cn.crt", str(crt)).replace(
        "/etc/nginx/tls/xmt.example.gov.cn.key", str(key))
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    temp = " ".join(f"{kind}_temp_path {tmp_path / kind};"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\n"
        f"http {{ access_log off; {temp} include {tmp_path / 'site.conf'}; }}\n", encoding="utf-8")
    return subprocess.run([tool("nginx", "/usr/sbin/nginx"), "-t", "-q", "-p", str(tmp_path), "-c",
                           str(tmp_path / "nginx.conf")], capture_output=True, text=True, timeout=60,
                          check=False)


def test_nginx_accepts_the_site_and_refuses_a_broken_one(tmp_path: Path) -> None:
    text = SITE.read_text(encoding="utf-8")
    result = nginx_test(tmp_path, text)
    assert result.returncode == 0, result.stderr
    broken = nginx_test(tmp_path, text.replace("proxy_read_timeout 60s;", "proxy_read_timeout;"))
    assert broken.returncode != 0 and "proxy_read_timeout" in broken.stderr


# -- the backup and restore drill ----------------------------------------------------------------
def pg_bin(name: str) -> str:
    """The server's own pg_dump/pg_restore (Debian keeps one per major version)."""
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                   key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    return str(found[-1]) if found else tool(name)


def with_url(url: str, database: str) -> str:
    parts = urlsplit(url)
    return parts._replace(path=f"/{database}").geturl()


def sql(url: str, *statements: str) -> list[Any]:
    """Run ``statements`` in order on the database at ``url`` (SQLite file or PostgreSQL); the first
    value each one answers (None for one that answers no row)."""
    if url.startswith("sqlite://"):
        with sqlite3.connect(url.removeprefix("sqlite://")) as conn:
            return [(conn.execute(s).fetchone() or (None,))[0] for s in statements]

    async def run() -> list[Any]:
        conn = await asyncpg.connect(url)
        try:
            return [await conn.fetchval(s) for s in statements]
        finally:
            await conn.close()

    return asyncio.run(run())


@pytest.fixture
def scratch(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[str]]:
    """Database URLs for the drill: created on the suite's PostgreSQL server (dropped after), or
    SQLite files under tmp_path. ``xmt`` commands run in-process on whichever URL is set."""
    monkeypatch.chdir(tmp_path)
    EXECUTOR_CACHE.clear()  # statements are cached per connection name, not per database kind
    if not PG_URL:
        yield [f"sqlite://{tmp_path / 'live.sqlite3'}", f"sqlite://{tmp_path / 'restored.sqlite3'}"]
        return
    names = [f"drill_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    for name in names:
        sql(PG_URL, f'CREATE DATABASE "{name}"')
    try:
        yield [with_url(PG_URL, name) for name in names]
    finally:
        for name in names:
            sql(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        EXECUTOR_CACHE.clear()


def xmt(monkeypatch: pytest.MonkeyPatch, url: str, *args: str) -> int:
    monkeypatch.setenv("XMT_DATABASE_URL", url)
    return main(list(args))


# A Thursday after the annual review closed: the replay then includes a judged report as well.
DRILL_NOW = datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TABLES = ("department", "person", "account", "draft", "decision", "review_report", "inquiry",
          "inbound_event", "outbox_message", "sim_message", "audit_event")


def play_some_work(url: str, folder: Path) -> None:
    """A few weeks of the organisation's work through the real bot (``bot.demo``, what ``xmt demo``
    plays on its first start): every event through the inbox and router, every message through the
    outbox, an audit line for every decision."""
    async def play() -> None:
        await init_db(url, apply_migrations=False)  # ``xmt org import`` migrated it
        try:
            clock = demo.DemoClock(lambda: DRILL_NOW)
            settings = make_settings(database_url=url, simulator=True, wordlist_dir=str(folder / "words"))
            app = create_app(settings, manage_database=False, run_worker=False, run_scheduler=False,
                             clock=clock)
            await demo.play(app[BOT], app[LOCAL], clock, DEMO_ORG)
        finally:
            await close_db()

    asyncio.run(play())


def counts(url: str) -> dict[str, int]:
    statements = (f"SELECT count(*) FROM {t}" for t in TABLES)  # noqa: S608 (our table names)
    return dict(zip(TABLES, map(int, sql(url, *statements)), strict=True))


# The commands docs/operations.md gives the operator, with the flags that matter; the doc is checked
# to show them (test_the_doc_shows_the_commands_the_drill_runs).
PG_DUMP = ("pg_dump", "-Fc")
PG_RESTORE = ("pg_restore", "--no-owner", "--exit-on-error")
SQLITE_BACKUP = '.backup'


def back_up_and_restore(live: str, restored: str, folder: Path) -> None:
    """What docs/operations.md tells the operator to do: ``pg_dump -Fc`` then ``pg_restore`` into a
    fresh database with the server's own tools; on SQLite, the sqlite3 shell's online ``.backup``
    (SQLite's backup API: a consistent copy while the bot writes), whose file is the restore."""
    if live.startswith("sqlite://"):
        subprocess.run([tool("sqlite3"), live.removeprefix("sqlite://"),
                        f"{SQLITE_BACKUP} {restored.removeprefix('sqlite://')}"], check=True, timeout=60)
        return
    dump = folder / "xmt.dump"
    subprocess.run([pg_bin(PG_DUMP[0]), *PG_DUMP[1:], "-d", live, "-f", str(dump)], check=True, timeout=120)
    subprocess.run([pg_bin(PG_RESTORE[0]), *PG_RESTORE[1:], "-d", restored, str(dump)], check=True,
                   timeout=120)


def test_the_doc_shows_the_commands_the_drill_runs() -> None:
    doc = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    for command in (PG_DUMP, PG_RESTORE):
        assert " ".join(command) + " " in doc, command
    assert f'sqlite3 var/xmt.sqlite3 "{SQLITE_BACKUP} ' in doc
    assert "xmt audit verify" in doc


def test_a_backup_restores_to_a_database_whose_audit_chain_verifies(
        scratch: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    live, restored = scratch
    assert xmt(monkeypatch, live, "org", "import", str(DEMO_ORG)) == 0  # installing (the doc)
    play_some_work(live, tmp_path)
    before = counts(live)
    # Something in every table the drill compares: 10 drafts published and one waiting, decisions
    # on them, both kinds of report, an inquiry, the chats and the messages the bot sent.
    assert before["draft"] == 11 and before["review_report"] == 2 and before["inquiry"] == 1
    assert min(before.values()) > 0 and before["audit_event"] > 20

    back_up_and_restore(live, restored, tmp_path)
    capsys.readouterr()
    assert counts(restored) == before
    assert xmt(monkeypatch, restored, "audit", "verify") == 0
    assert f"{before['audit_event']} 条记录" in capsys.readouterr().out

    # The verify above read the copy: edited there, the copy fails it and the original does not.
    sql(restored, "UPDATE audit_event SET actor = 'mallory' WHERE id = 2")
    assert xmt(monkeypatch, restored, "audit", "verify") == 1
    assert "id=2" in capsys.readouterr().err
    assert xmt(monkeypatch, live, "audit", "verify") == 0
