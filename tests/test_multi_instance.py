"""Several instances on one PostgreSQL, proven (issue 19, point 1).

Three real ``xmt serve`` processes, each on its own port on 127.0.0.1, share one fresh database
(started together: they migrate it once, ``bot.db.migration_lock``) and one fake WeCom on
127.0.0.1 (``tests/fake_wecom.py``, in this process). The organisation is loaded with
``xmt org import examples/org.yaml``. Then, with really signed and encrypted callbacks
(``tests/wecom_callbacks.py``):

1. drafts and commands sent alternately to the three instances, and some of them to all three at
   once (the same callback: a platform retrying on another instance behind the proxy);
2. the taps on the preview cards (提交审核) and on the approval cards (通过), the same way;
3. every sweep run by three processes at once at ten past working moments (``tests.cluster
   sweeps``: what ``xmt reminders run-now --at`` runs), while the instances' outbox workers poll
   the same rows.

What must hold: every callback stored and processed once (``inbound_event``: one row per distinct
callback, all done; one draft per draft message, one decision per approval); every outbox row
sent once (all ``sent``; WeCom received exactly as many messages per recipient as rows were
sent to them, no call refused, none dropped as a duplicate); every card update applied once
(each tap's single-use response code used once, nothing resent for a refused code); every
reminder written once (the sweeps' counts add up to the reminder rows); the audit chain valid
(``xmt audit verify``); and the instances stop on SIGTERM with exit code 0. The figures are
printed (``pytest -s``) for docs/operations.md.

The outbox claim (``bot.outbox.Outbox._claim``, a conditional UPDATE) is what keeps three
workers polling the same rows from sending one twice: the check of WeCom's counts against the
rows is its test under contention. Which instance sent what is read from the access token on
each call (each instance fetched its own).
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg  # type: ignore[import-untyped]
import pytest
from aiohttp import web

from bot.workdays import WorkCalendar
from tests.cluster import Process, fresh_database, run, start, wait_ready, wait_until
from tests.conftest import DEMO_ORG, ROOT, make_settings, on_postgres
from tests.fake_wecom import FakeWeCom
from tests.wecom_callbacks import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN, WeComSender

pytestmark = pytest.mark.skipif(
    not on_postgres(), reason="several instances need a server database (PostgreSQL, "
    "XMT_TEST_DATABASE_URL); SQLite is the single-instance embedded mode")

INSTANCES = 3
SWEEPERS = 3
DRAFTS = [("zhangsan", "某某发布"), ("chenqi", "某某头条"), ("zhangsan", "某某发布"),
          ("chenqi", "某某头条"), ("zhangsan", "某某发布"), ("chenqi", "某某头条")]
COMMANDS = [("lisi", "帮助"), ("wangwu", "我的"), ("zhouba", "帮助"), ("wujiu", "我的")]
SETTLE_WITHIN = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def past_working_moments(count: int) -> list[str]:
    """``count`` moments in working hours of the workdays before today (10:00 and 15:00 local
    time, newest first), as ISO strings: the sweeps' ``now``. In the past, so what they write is
    due at once for the instances' workers, which run on the real clock."""
    settings = make_settings()
    calendar = WorkCalendar.parse(settings.tz, settings.work_hours)
    moments: list[str] = []
    day = date.today() - timedelta(days=1)
    while len(moments) < count:
        for hour in (15, 10):
            at = datetime(day.year, day.month, day.day, hour, tzinfo=settings.tz)
            if calendar.is_open(at) and len(moments) < count:
                moments.append(at.isoformat())
        day -= timedelta(days=1)
    return moments


class Cluster:
    """The instances, the fake WeCom they send to, and the database they share."""

    def __init__(self, fake: FakeWeCom, db: asyncpg.Connection, ports: list[int]) -> None:
        self.fake = fake
        self.db = db
        self.ports = ports
        self.sender = WeComSender(now=time.time())
        self.http = aiohttp.ClientSession()
        self.callbacks: set[str] = set()  # the distinct callbacks sent
        self.posts = 0
        self.next = 0

    async def post(self, plaintext: str, *, to_all: bool = False) -> None:
        """One callback, to the next instance in turn or to every instance at once."""
        query, body = self.sender.envelope(plaintext)
        self.callbacks.add(plaintext)
        if to_all:
            ports = self.ports
        else:
            ports = [self.ports[self.next % len(self.ports)]]
            self.next += 1

        async def one(port: int) -> None:
            async with self.http.post(f"http://127.0.0.1:{port}/wecom/callback", params=query,
                                      data=body.encode()) as resp:
                assert resp.status == 200, await resp.text()
                assert await resp.read() == b""

        await asyncio.gather(*(one(port) for port in ports))
        self.posts += len(ports)

    async def settled(self) -> bool:
        row = await self.db.fetchrow(
            "SELECT (SELECT count(*) FROM inbound_event WHERE status = 'received') AS inbound, "
            "(SELECT count(*) FROM outbox_message WHERE status IN ('pending', 'sending')) AS outbox")
        return bool(row["inbound"] == 0 and row["outbox"] == 0)

    async def settle(self, what: str) -> None:
        await wait_until(self.settled, within=SETTLE_WITHIN, what=f"{what}: all processed and sent")

    def cards(self, user: str, prefix: str) -> list[dict[str, Any]]:
        return [m["template_card"] for m in self.fake.sent if m["touser"] == user
                and m["msgtype"] == "template_card"
                and m["template_card"]["task_id"].startswith(prefix)]

    async def tap(self, user: str, card: dict[str, Any], label: str, *, to_all: bool) -> None:
        key = next(b["key"] for b in card["button_list"] if b["text"] == label)
        code = self.fake.issue_tap_code(card["task_id"])
        await self.post(self.sender.tap(user, card["task_id"], key, code), to_all=to_all)


def token_recorder(tokens: Counter[str]) -> Callable[..., Awaitable[web.StreamResponse]]:
    """Middleware for the fake: counts WeCom's sending calls per access token (per instance)."""
    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.endswith(("message/send", "message/update_template_card")):
            tokens[request.query.get("access_token", "")] += 1
        response: web.StreamResponse = await handler(request)
        return response

    return record


async def test_three_instances_on_one_postgresql_do_everything_once(tmp_path: Path) -> None:
    started = time.monotonic()
    fake = FakeWeCom(corp_id=CORP_ID, secret=SECRET)
    fake.agent_id = AGENT_ID
    tokens: Counter[str] = Counter()
    fake.app.middlewares.append(token_recorder(tokens))
    instances: list[Process] = []
    async with fresh_database("xmt_multi") as url, fake:
        env = {"XMT_DATABASE_URL": url, "XMT_SIMULATOR": "0", "XMT_WORDLIST_DIR": str(tmp_path / "words"),
               "XMT_WECOM_CORP_ID": CORP_ID, "XMT_WECOM_AGENT_ID": str(AGENT_ID),
               "XMT_WECOM_SECRET": SECRET, "XMT_WECOM_TOKEN": TOKEN, "XMT_WECOM_AES_KEY": AES_KEY,
               "XMT_WECOM_API_BASE": fake.base_url}
        ports = [free_port() for _ in range(INSTANCES)]
        db = await asyncpg.connect(url)
        cluster = Cluster(fake, db, ports)
        try:
            # -- start together on the empty database: they migrate it once --------------------
            instances = [await start(["bot.cli", "serve", "--port", str(port)], env=env,
                                     folder=tmp_path, name=f"serve{i}") for i, port in enumerate(ports)]

            async def all_up() -> bool:
                for instance in instances:
                    assert instance.proc.returncode is None, instance.err[-3000:]
                ups = await asyncio.gather(*(_healthy(cluster.http, port) for port in ports))
                return all(ups)

            await wait_until(all_up, within=90, what="three instances answer /healthz")
            migrations = await db.fetchval("SELECT count(*) FROM tortoise_migrations")
            names = await db.fetchval("SELECT count(DISTINCT name) FROM tortoise_migrations")
            assert migrations == names == len(list((ROOT / "models" / "migrations").glob("0*.py")))
            imported = await run(["bot.cli", "org", "import", str(DEMO_ORG)], env=env,
                                 folder=tmp_path, name="import")
            assert imported.proc.returncode == 0, imported.err

            # -- 1. drafts and commands, alternately and to all at once ----------------------------
            for i, (user, account) in enumerate(DRAFTS):
                text = f"投稿 @{account} 1 多实例测试稿件{i + 1}\n第{i + 1}篇正文：冬季供暖服务安排。"
                await cluster.post(cluster.sender.text(user, text), to_all=i % 2 == 1)
            for i, (user, text) in enumerate(COMMANDS):
                await cluster.post(cluster.sender.text(user, text), to_all=i % 2 == 0)
            await cluster.settle("drafts and commands")
            previews = {u: cluster.cards(u, "pv-") for u in {u for u, _ in DRAFTS}}
            assert {u: len(c) for u, c in previews.items()} == Counter(u for u, _ in DRAFTS)

            # -- 2. taps: submit every draft, then the head approves each ------------------------
            mine = [(user, card) for user, cards in previews.items() for card in cards]
            for i, (user, card) in enumerate(mine):
                await cluster.tap(user, card, "提交审核", to_all=i % 2 == 0)
            await cluster.settle("submissions")
            approvals = cluster.cards("lisi", "ap-")
            assert len(approvals) == len(DRAFTS)
            for i, card in enumerate(approvals):
                await cluster.tap("lisi", card, "通过", to_all=i % 2 == 1)
            await cluster.settle("approvals")

            # -- 3. every sweep, three processes at once, at ten moments -------------------------
            moments = past_working_moments(10)
            sweepers = [await start(["tests.cluster", "sweeps", url, *moments], env=env,
                                    folder=tmp_path, name=f"sweeps{i}", stdin=True)
                        for i in range(SWEEPERS)]
            try:
                for sweeper in sweepers:
                    await wait_ready(sweeper)
                await asyncio.gather(*(s.release() for s in sweepers))
                codes = await asyncio.gather(*(s.wait() for s in sweepers))
                assert codes == [0] * SWEEPERS, [s.err[-3000:] for s in sweepers]
            finally:
                for sweeper in sweepers:
                    sweeper.kill()
            swept = [json.loads(s.out.splitlines()[-1]) for s in sweepers]
            await cluster.settle("reminders")

            # -- what the database and WeCom say ---------------------------------------------
            counts = await _check_database(db, cluster, swept, moments)
            counts.update(await _check_wecom(db, fake, tokens))
            verified = await run(["bot.cli", "audit", "verify"], env=env, folder=tmp_path, name="verify")
            assert verified.proc.returncode == 0, verified.out + verified.err
            counts["audit rows"] = await db.fetchval("SELECT count(*) FROM audit_event")

            # -- stop: SIGTERM, exit 0 ------------------------------------------------------------
            for instance in instances:
                instance.proc.send_signal(signal.SIGTERM)
            codes = await asyncio.gather(*(i.wait(timeout=30) for i in instances))
            assert codes == [0] * INSTANCES, [i.err[-3000:] for i in instances]
            assert not any("Traceback" in i.err for i in instances), [i.err for i in instances]
        finally:
            for instance in instances:
                instance.kill()
            await cluster.http.close()
            await db.close()
    counts["seconds"] = round(time.monotonic() - started, 1)
    print("\nmulti-instance: " + json.dumps(counts, ensure_ascii=False))


async def _healthy(http: aiohttp.ClientSession, port: int) -> bool:
    try:
        async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
            return resp.status == 200
    except aiohttp.ClientConnectionError:
        return False  # still starting


async def _check_database(db: asyncpg.Connection, cluster: Cluster, swept: list[dict[str, Any]],
                          moments: list[str]) -> dict[str, Any]:
    """Events, drafts, decisions, card updates, reminders and outbox rows: each once."""
    inbound = {r["status"]: r["n"] for r in await db.fetch(
        "SELECT status, count(*) AS n FROM inbound_event GROUP BY status")}
    assert inbound == {"done": len(cluster.callbacks)}  # one row per distinct callback, processed
    drafts = {r["status"]: r["n"] for r in await db.fetch(
        "SELECT status, count(*) AS n FROM draft GROUP BY status")}
    assert drafts == {"approved": len(DRAFTS)}
    assert await db.fetchval("SELECT count(*) FROM decision") == len(DRAFTS)

    outbox = {(r["kind"], r["status"]): r["n"] for r in await db.fetch(
        "SELECT kind, status, count(*) AS n FROM outbox_message GROUP BY kind, status")}
    assert {status for _, status in outbox} == {"sent"}, outbox  # none dead, none left
    updates = [json.loads(r["ref"]) if isinstance(r["ref"], str) else r["ref"] for r in await db.fetch(
        "SELECT ref FROM outbox_message WHERE kind = 'card_update'")]
    assert sum(u["resent"] for u in updates) == 0  # no update refused for a used response code
    applied = sum(u["updated"] for u in updates)
    assert applied == len(cluster.fake.updates)
    # Each card tapped (every preview, every approval) updated once, with its tap's single-use
    # response code (WeCom refuses a code used before: the row would have resent the card).
    tapped = {m["template_card"]["task_id"] for m in cluster.fake.sent
              if m["msgtype"] == "template_card"
              and m["template_card"]["task_id"].startswith(("pv-", "ap-"))}
    assert len(tapped) == 2 * len(DRAFTS)
    updated = Counter(cluster.fake.code_task(u["response_code"]) for u in cluster.fake.updates)
    assert updated == dict.fromkeys(tapped, 1)

    cutoff = datetime.fromisoformat(moments[0]) + timedelta(hours=1)
    reminders = await db.fetchval("SELECT count(*) FROM reminder WHERE created_at <= $1", cutoff)
    written = sum(s["written"] for s in swept)
    assert written == reminders > 0  # each reminder written by one run of one process
    reminder_rows = await db.fetchval(
        "SELECT count(*) FROM outbox_message WHERE key LIKE 'rem:%' AND created_at <= $1", cutoff)
    return {
        "instances": INSTANCES,
        "callbacks posted": cluster.posts,
        "distinct callbacks": len(cluster.callbacks),
        "events processed": inbound["done"],
        "drafts": len(DRAFTS),
        "card updates": applied,
        "sweep processes": len(swept),
        "sweeps run": sum(s["runs"] for s in swept),
        "reminders written": reminders,
        "reminder messages": reminder_rows,
        "outbox rows sent": sum(outbox.values()),
    }


async def _check_wecom(db: asyncpg.Connection, fake: FakeWeCom, tokens: Counter[str]) -> dict[str, Any]:
    """What WeCom received against the outbox: per recipient, as many texts and cards as rows of
    each were sent to them; no call refused (a repeated card task_id, a used response code), none
    dropped as a duplicate."""
    rows = await db.fetch(
        "SELECT p.wecom_userid AS userid, o.kind, count(*) AS n FROM outbox_message o "
        "JOIN person p ON p.id = o.person_id "
        "WHERE o.kind IN ('text', 'card') AND o.channel = 'wecom' GROUP BY p.wecom_userid, o.kind")
    expected = {(r["userid"], r["kind"]): r["n"] for r in rows}
    received = Counter((m["touser"], "card" if m["msgtype"] == "template_card" else "text")
                       for m in fake.sent)
    assert dict(received) == expected
    assert await db.fetchval(
        "SELECT count(*) FROM outbox_message WHERE kind IN ('text', 'card') AND "
        "(channel IS DISTINCT FROM 'wecom' OR person_id IS NULL)") == 0
    assert fake.calls["message/send"] == len(fake.sent) and fake.duplicates == []
    assert fake.calls["message/update_template_card"] == len(fake.updates)
    task_ids = [m["template_card"]["task_id"] for m in fake.sent if m["msgtype"] == "template_card"]
    assert len(task_ids) == len(set(task_ids))
    return {"messages received": len(fake.sent), "card updates received": len(fake.updates),
            "calls per instance": sorted(tokens.values(), reverse=True)}
