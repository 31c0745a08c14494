"""The app factory's resources (``bot.app.create_app``): one ``cleanup_ctx`` each, started in order
and torn down in reverse, so the work that queues messages stops before the outbox worker, the
worker before the platforms' sessions; and after a start-up that fails part-way, the app's cleanup
stops what had started (and only that)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from bot import app as app_module
from bot.app import BOT, SCHEDULER, create_app
from bot.channels.wechat.channel import WechatMPChannel
from tests.conftest import make_settings
from tests.fakes import RecordingChannel


def record(calls: list[str], name: str, method: Any) -> Any:
    async def recorded(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        return await method(*args, **kwargs)
    return recorded


async def test_a_stop_tears_the_resources_down_in_reverse_order(
        db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(make_settings(simulator=False), channels=[RecordingChannel()],
                     manage_database=False)
    bot = app[BOT]
    calls: list[str] = []
    wechat = bot.channels["wechat"]
    assert isinstance(wechat, WechatMPChannel)
    monkeypatch.setattr(bot.tasks, "drain", record(calls, "drain the background work", bot.tasks.drain))
    monkeypatch.setattr(bot.outbox, "stop", record(calls, "stop the outbox worker", bot.outbox.stop))
    monkeypatch.setattr(wechat, "close", record(calls, "close the sessions", wechat.close))
    runner = web.AppRunner(app)
    await runner.setup()
    scheduling = app[SCHEDULER]
    shutdown = scheduling.shutdown

    def shut() -> None:
        calls.append("stop the scheduler")
        shutdown()

    monkeypatch.setattr(scheduling, "shutdown", shut)
    # the publish worker: the WeChat official-account client is on (issue 17)
    assert set(bot.supervisor.status()) == {"outbox-worker", "publish-worker", "inbound-sweep",
                                            "scheduler"}
    await runner.cleanup()
    assert list(dict.fromkeys(calls)) == ["stop the scheduler", "drain the background work",
                                          "stop the outbox worker", "close the sessions"]
    assert bot.supervisor.status() == {}


async def test_a_start_that_fails_stops_what_had_started(
        db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("the scheduler cannot be built")

    monkeypatch.setattr(app_module, "Scheduling", broken)
    app = create_app(make_settings(simulator=False), channels=[RecordingChannel()],
                     manage_database=False)
    bot = app[BOT]
    runner = web.AppRunner(app)
    with pytest.raises(RuntimeError, match="cannot be built"):
        await runner.setup()
    assert set(bot.supervisor.status()) == {"outbox-worker", "publish-worker", "inbound-sweep"}
    await app.cleanup()  # what aiohttp runs for the contexts that had started
    assert bot.supervisor.status() == {}  # the outbox worker and the stuck-event sweep stopped
