"""Nothing dies silently (issue 12, point 8): a supervised long-running task that raises or ends
is logged as an ERROR and restarted after a backoff that grows and resets after a long run;
``/healthz`` answers 503 naming what is down (the Stream connection that cannot connect, the
scheduler shut down, the outbox worker cancelled) and 200 again once it is back. Sleeps are
injected: no test waits for a backoff."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest

from bot.app import BOT, SCHEDULER, STREAM, create_app
from bot.tasks import Supervisor
from tests.bot.channels.dingtalk.test_stream import APP_KEY, APP_SECRET, FakeGateway
from tests.conftest import make_settings

TIMEOUT = 5.0


class Gate:
    """An injected sleep: records each delay and waits until the test opens the gate."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.waiting = asyncio.Event()
        self._open = asyncio.Event()

    async def sleep(self, delay: float) -> None:
        self.delays.append(delay)
        self.waiting.set()
        await self._open.wait()
        self._open.clear()

    async def wait_sleeping(self, count: int) -> None:
        async def wait() -> None:
            while len(self.delays) < count:
                self.waiting.clear()
                await self.waiting.wait()
        await asyncio.wait_for(wait(), TIMEOUT)

    def release(self) -> None:
        self._open.set()


async def until(check: Callable[[], bool]) -> None:
    async def wait() -> None:
        while not check():  # noqa: ASYNC110 - state of objects that signal nothing
            await asyncio.sleep(0)
    await asyncio.wait_for(wait(), TIMEOUT)


async def instant(_: float) -> None:
    await asyncio.sleep(0)


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """ERROR lines of the bot's own loggers. (asyncio's "Future exception was never retrieved"
    about a database connection an earlier test closed can be collected during any test.)"""
    return [r.getMessage() for r in caplog.records
            if r.levelno >= logging.ERROR and r.name.startswith("xmt")]


async def test_a_task_that_raises_is_logged_and_restarted_with_growing_backoff(
        caplog: pytest.LogCaptureFixture) -> None:
    gate = Gate()
    runs = 0
    forever = asyncio.Event()

    async def flaky() -> None:
        nonlocal runs
        runs += 1
        if runs <= 3:
            raise ConnectionError("gateway down")
        await forever.wait()

    supervisor = Supervisor(sleep=gate.sleep, clock=lambda: 0.0)
    supervisor.add("flaky", flaky, backoff=(1.0, 2.0, 5.0))
    for n in (1, 2, 3):
        await gate.wait_sleeping(n)
        assert supervisor.status() == {"flaky": False} and supervisor.down() == ["flaky"]
        gate.release()
    await until(lambda: runs == 4)
    assert gate.delays == [1.0, 2.0, 5.0]
    assert supervisor.status() == {"flaky": True} and supervisor.down() == []
    logged = errors(caplog)
    assert len(logged) == 3 and all("flaky failed (ConnectionError)" in m for m in logged)
    await supervisor.stop()
    assert supervisor.status() == {}
    assert len(errors(caplog)) == 3  # stopping is not a fault


async def test_a_task_that_returns_is_a_fault_too(caplog: pytest.LogCaptureFixture) -> None:
    runs = 0
    forever = asyncio.Event()

    async def quits_once() -> None:
        nonlocal runs
        runs += 1
        if runs == 1:
            return
        await forever.wait()

    supervisor = Supervisor(sleep=instant)
    task = supervisor.add("quitter", quits_once)
    await until(lambda: runs == 2)
    assert task.restarts == 1 and supervisor.down() == []
    assert errors(caplog) == ["quitter ended unexpectedly; restarting in 1s"]
    await supervisor.stop()


async def test_backoff_starts_again_after_a_long_run() -> None:
    now = 0.0
    runs = 0

    async def fails_after_a_while() -> None:
        nonlocal now, runs
        runs += 1
        now += 100.0 if runs == 3 else 1.0  # the third run lasts past reset_after
        raise RuntimeError("bug")

    gate = Gate()
    supervisor = Supervisor(sleep=gate.sleep, clock=lambda: now)
    supervisor.add("worker", fails_after_a_while, backoff=(1.0, 2.0, 5.0))
    for n in range(1, 5):
        await gate.wait_sleeping(n)
        gate.release()
    assert gate.delays == [1.0, 2.0, 1.0, 2.0]
    await supervisor.stop()


async def test_a_task_may_say_it_is_unhealthy_while_running() -> None:
    healthy = True
    forever = asyncio.Event()
    supervisor = Supervisor(sleep=instant)
    supervisor.add("conn", forever.wait, healthy=lambda: healthy)  # type: ignore[arg-type]
    await until(lambda: supervisor.status() == {"conn": True})
    healthy = False
    assert supervisor.down() == ["conn"]
    await supervisor.stop()


async def test_stop_lets_a_task_finish_its_work_first(caplog: pytest.LogCaptureFixture) -> None:
    """With a ``stop`` hook the task is asked to return (the outbox ends its round), not cancelled;
    returning then is not a fault."""
    asked = asyncio.Event()
    finished: list[str] = []

    async def worker() -> None:
        await asked.wait()
        await asyncio.sleep(0)  # the rest of its round
        finished.append("round")

    async def ask() -> None:
        asked.set()

    supervisor = Supervisor(sleep=instant)
    supervisor.add("outbox-worker", worker, stop=ask)
    supervisor.add("other", asyncio.Event().wait)  # type: ignore[arg-type]
    await until(lambda: supervisor.down() == [])
    await supervisor.stop("outbox-worker")
    assert finished == ["round"] and list(supervisor.status()) == ["other"]
    await supervisor.stop()
    assert supervisor.status() == {} and errors(caplog) == []


# -- /healthz ---------------------------------------------------------------------------------
async def health(client: Any) -> tuple[int, dict[str, Any]]:
    resp = await client.get("/healthz")
    return resp.status, await resp.json()


async def test_healthz_names_the_stream_connection_while_it_cannot_connect(
        db: str, aiohttp_client: Any, caplog: pytest.LogCaptureFixture) -> None:
    gateway = FakeGateway()
    gateway.refuse = True
    base = await gateway.start()
    settings = make_settings(dingtalk_client_id=APP_KEY, dingtalk_client_secret=APP_SECRET,
                             dingtalk_robot_code=APP_KEY, dingtalk_card_template_id="T.schema",
                             dingtalk_mode="stream", dingtalk_api_base=base, simulator=False)
    client = await aiohttp_client(create_app(settings, manage_database=False, run_scheduler=False,
                                             run_worker=False, sleep=instant))
    try:
        connection = client.app[STREAM]
        await until(lambda: connection.failures >= 3)
        status, body = await health(client)
        assert status == 503
        assert body == {"ok": False, "down": ["dingtalk-stream"], "channels": ["dingtalk", "wechat"]}
        gateway.refuse = False
        await gateway.reconnected(1)
        await until(connection.healthy)
        assert await health(client) == (200, {"ok": True, "down": [], "channels": ["dingtalk", "wechat"]})
    finally:
        await gateway.stop()


async def test_a_stream_loop_that_dies_is_restarted_and_reported_meanwhile(
        db: str, aiohttp_client: Any, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug that escapes the connection loop (here: opening the connection raises KeyError)."""
    gateway = FakeGateway()
    base = await gateway.start()
    gate = Gate()
    settings = make_settings(dingtalk_client_id=APP_KEY, dingtalk_client_secret=APP_SECRET,
                             dingtalk_robot_code=APP_KEY, dingtalk_card_template_id="T.schema",
                             dingtalk_mode="stream", dingtalk_api_base=base, simulator=False)
    from bot.channels.dingtalk.stream import StreamConnection

    real_open = StreamConnection.open
    calls = 0

    async def open_once_broken(self: StreamConnection) -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise KeyError("ticket")
        return await real_open(self)

    monkeypatch.setattr(StreamConnection, "open", open_once_broken)
    client = await aiohttp_client(create_app(settings, manage_database=False, run_scheduler=False,
                                             run_worker=False, sleep=gate.sleep))
    try:
        await gate.wait_sleeping(1)
        assert (await health(client))[1]["down"] == ["dingtalk-stream"]
        assert any("dingtalk-stream failed (KeyError)" in m for m in errors(caplog))
        gate.release()
        await gateway.reconnected(1)
        assert await health(client) == (200, {"ok": True, "down": [], "channels": ["dingtalk", "wechat"]})
    finally:
        await gateway.stop()


async def test_healthz_reports_the_scheduler_down_until_it_is_restarted(
        db: str, aiohttp_client: Any, caplog: pytest.LogCaptureFixture) -> None:
    gate = Gate()
    client = await aiohttp_client(create_app(make_settings(), manage_database=False, run_worker=False,
                                             sleep=gate.sleep))
    scheduling = client.app[SCHEDULER]
    first = scheduling.scheduler
    assert first is not None and first.running and (await health(client))[0] == 200
    first.shutdown(wait=False)
    status, body = await health(client)
    assert status == 503 and body["down"] == ["scheduler"] and body["ok"] is False
    await gate.wait_sleeping(1)
    assert any("scheduler failed (RuntimeError)" in m for m in errors(caplog))
    gate.release()
    await until(lambda: scheduling.running)
    assert (await health(client))[0] == 200
    assert scheduling.scheduler is not first  # a fresh one: a shut-down scheduler lost its jobs
    assert {job.id for job in scheduling.scheduler.get_jobs()} >= {"cadence", "approvals", "digest"}


async def test_the_outbox_worker_is_restarted_when_it_ends(
        db: str, aiohttp_client: Any, caplog: pytest.LogCaptureFixture) -> None:
    """A bug outside a delivery round ends ``Outbox.run_forever`` (here: its wake event breaks
    once); the worker is reported down meanwhile, then runs again."""

    class BreaksOnce(asyncio.Event):
        broken = False

        def clear(self) -> None:
            if not self.broken:
                self.broken = True
                raise RuntimeError("worker bug")
            super().clear()

    gate = Gate()
    client = await aiohttp_client(create_app(make_settings(), manage_database=False, run_scheduler=False,
                                             sleep=gate.sleep))
    outbox = client.app[BOT].outbox
    assert (await health(client))[0] == 200
    waiting_on, outbox._wake = outbox._wake, BreaksOnce()
    waiting_on.set()  # the worker wakes up, and its next round breaks
    await gate.wait_sleeping(1)
    status, body = await health(client)
    assert status == 503 and body["down"] == ["outbox-worker"]
    assert any("outbox-worker failed (RuntimeError)" in m for m in errors(caplog))
    gate.release()
    await until(lambda: client.app[BOT].supervisor.down() == [])
    assert (await health(client))[0] == 200


async def test_shutdown_stops_the_supervised_tasks_without_errors(
        db: str, aiohttp_client: Any, caplog: pytest.LogCaptureFixture) -> None:
    client = await aiohttp_client(create_app(make_settings(), manage_database=False))
    supervisor = client.app[BOT].supervisor
    assert set(supervisor.status()) == {"outbox-worker", "publish-worker", "inbound-sweep", "scheduler"}
    await client.close()
    assert supervisor.status() == {} and errors(caplog) == []


async def test_the_running_bot_sweeps_events_left_unprocessed(
        db: str, aiohttp_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """An event acknowledged ten minutes ago and still ``received`` (its task was lost) is taken
    up by the supervised sweep while the bot runs, without a restart: processed, and answered."""
    from datetime import timedelta

    import bot.app
    from bot.events import TextMessage
    from bot.org import import_file
    from models import InboundEvent, InboundStatus, OutboxMessage
    from tests.conftest import DEMO_ORG
    from tests.fakes import FakeClock, RecordingChannel

    monkeypatch.setattr(bot.app, "STUCK_SWEEP_EVERY", 0.01)
    clock, channel = FakeClock(), RecordingChannel()
    client = await aiohttp_client(create_app(make_settings(), channels=[channel], clock=clock,
                                             manage_database=False, run_scheduler=False))
    await import_file(DEMO_ORG, now=clock.now)
    lost = TextMessage(channel=channel.name, sender="zhangsan", key="lost-1", text="帮助",
                       received_at=clock.now - timedelta(minutes=10))
    row = await InboundEvent.create(key=f"{channel.name}:lost-1", channel=channel.name, kind="text",
                                    payload=lost.to_json(), received_at=lost.received_at)

    async def answered() -> None:
        while not await OutboxMessage.filter(key__startswith=f"{channel.name}:lost-1").exists():  # noqa: ASYNC110 - the database signals nothing
            await asyncio.sleep(0.01)
    await asyncio.wait_for(answered(), TIMEOUT)
    await row.refresh_from_db()
    assert row.status == InboundStatus.DONE
    assert "inbound-sweep" in client.app[BOT].supervisor.status()
