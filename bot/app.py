"""The aiohttp app factory — the one module that knows every part and wires them together.

``build_bot`` assembles the core (outbox, inbox, router, deps) without HTTP, for tests and
benchmarks; ``create_app`` puts it behind aiohttp with the channels' routes and owns start-up and
shutdown as ``cleanup_ctx`` generators: database (migrations), outbox worker, resuming events
that were acknowledged before a crash, the scheduler, and draining background tasks.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web
from pydantic import SecretStr

from bot import intake
from bot.channels.base import Channel
from bot.channels.dingtalk import routes as dingtalk_routes
from bot.channels.dingtalk.channel import DingTalkChannel
from bot.channels.dingtalk.client import DingTalkClient
from bot.channels.dingtalk.stream import StreamConnection
from bot.channels.dingtalk.stream import stop as stop_stream
from bot.channels.local import routes as local_routes
from bot.channels.local.channel import LocalChannel
from bot.channels.local.wechat import SimulatedWechat
from bot.channels.wechat import routes as wechat_routes
from bot.channels.wechat.channel import WechatMPChannel
from bot.channels.wecom import routes as wecom_routes
from bot.channels.wecom.channel import WeComChannel
from bot.channels.wecom.client import WeComClient
from bot.channels.wecom.crypto import Crypto as WeComCrypto
from bot.db import close_db, init_db
from bot.events import PublicInquiry
from bot.inbound import Inbox
from bot.logs import install_secret_filter
from bot.outbox import Outbox
from bot.router import Deps, Router
from bot.screening import WordLists
from bot.settings import Settings
from bot.tasks import TaskRunner
from handlers import build_router
from handlers.inquiries import on_public_inquiry
from schedules import build_scheduler

log = logging.getLogger("xmt")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Bot:
    settings: Settings
    deps: Deps
    outbox: Outbox
    inbox: Inbox
    tasks: TaskRunner
    router: Router
    channels: dict[str, Channel]


def build_bot(
    settings: Settings,
    channels: Sequence[Channel],
    *,
    clock: Callable[[], datetime] = utc_now,
) -> Bot:
    outbox = Outbox(channels, clock=clock, max_attempts=settings.outbox_max_attempts)
    deps = Deps(settings=settings, clock=clock, outbox=outbox, log=logging.getLogger("xmt.handlers"),
                wordlists=WordLists(Path(settings.wordlist_dir)))
    tasks = TaskRunner(on_error=lambda exc: log.error("background task failed", exc_info=exc))
    router = build_router()
    inbox = Inbox(router, deps, tasks)
    return Bot(settings, deps, outbox, inbox, tasks, router, {c.name: c for c in channels})


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def _wecom_channel(settings: Settings) -> WeComChannel:
    client = WeComClient(base=settings.wecom_api_base, corp_id=settings.wecom_corp_id or "",
                         secret=_secret(settings.wecom_secret))
    return WeComChannel(client, settings.wecom_agent_id or 0)


def _dingtalk_channel(settings: Settings) -> DingTalkChannel:
    client = DingTalkClient(api_base=settings.dingtalk_api_base,
                            oapi_base=settings.dingtalk_oapi_base,
                            app_key=settings.dingtalk_client_id or "",
                            app_secret=_secret(settings.dingtalk_client_secret))
    return DingTalkChannel(client, robot_code=settings.dingtalk_robot_code or "",
                           template_id=settings.dingtalk_card_template_id or "",
                           stream=settings.dingtalk_mode == "stream")


def _wecom_crypto(settings: Settings) -> WeComCrypto:
    return WeComCrypto(_secret(settings.wecom_token), _secret(settings.wecom_aes_key),
                       settings.wecom_corp_id or "")


BOT = web.AppKey("bot", Bot)
STREAM = web.AppKey("dingtalk_stream", StreamConnection)
LOCAL = web.AppKey("local_channel", LocalChannel)


async def settle_heap(_: web.Application) -> None:
    """Last start-up step of a serving process (``xmt serve``, ``xmt demo``): collect start-up's
    garbage now and move what remains (modules, the router, the organisation, migrations' models)
    out of the cyclic collector's sight with ``gc.freeze()``.

    Why: the first full collection after start-up otherwise walks all of it while callbacks
    wait. ``bench/wecom_ingest.py`` saw that pause (a generation-2 collection of about 100,000
    objects) stall the event loop for 100-150 ms, every acknowledgement in flight with it. Not
    done in ``create_app``: tests build hundreds of apps in one process, and frozen objects are
    never freed.
    """
    gc.collect()
    gc.freeze()


def create_app(
    settings: Settings,
    *,
    channels: Sequence[Channel] = (),
    clock: Callable[[], datetime] = utc_now,
    manage_database: bool = True,
    run_worker: bool = True,
    run_scheduler: bool = True,
) -> web.Application:
    """The bot as an aiohttp application. ``channels`` adds to those the settings turn on."""
    install_secret_filter(settings)
    all_channels: list[Channel] = list(channels)
    local: LocalChannel | None = None
    if settings.simulator_enabled and not any(c.name == "local" for c in all_channels):
        local = LocalChannel(clock, settings.tz)
        all_channels.append(local)
    if settings.wecom_enabled and not any(c.name == "wecom" for c in all_channels):
        all_channels.insert(0, _wecom_channel(settings))
    wecom = next((c for c in all_channels if isinstance(c, WeComChannel)), None)
    if settings.dingtalk_enabled and not any(c.name == "dingtalk" for c in all_channels):
        all_channels.insert(1 if wecom else 0, _dingtalk_channel(settings))
    dingtalk = next((c for c in all_channels if isinstance(c, DingTalkChannel)), None)
    if not any(c.name == "wechat" for c in all_channels):  # relays answers to WeChat followers
        all_channels.append(SimulatedWechat(local) if local is not None
                            else WechatMPChannel(settings.wechat_api_base, clock=time.monotonic))
    wechat = next(c for c in all_channels if c.name == "wechat")
    bot = build_bot(settings, all_channels, clock=clock)

    app = web.Application(client_max_size=20 * 1024 * 1024)
    app[BOT] = bot

    async def database(_: web.Application) -> AsyncIterator[None]:
        if manage_database:
            await init_db(settings.database_url)
        yield
        if manage_database:
            await close_db()

    async def workers(_: web.Application) -> AsyncIterator[None]:
        resumed = await bot.inbox.resume()
        if resumed:
            log.info("resumed %d events acknowledged before the last stop", resumed)
        if run_worker:
            bot.outbox.start()
        bot.outbox.wake()
        scheduler = build_scheduler(bot.deps) if run_scheduler else None
        if scheduler is not None:
            scheduler.start()
        stream_task = None
        if dingtalk is not None and settings.dingtalk_mode == "stream":
            connection = StreamConnection(
                client_id=settings.dingtalk_client_id or "",
                client_secret=_secret(settings.dingtalk_client_secret),
                api_base=settings.dingtalk_api_base, accept=bot.inbox.accept,
                remember=dingtalk.remember, clock=clock)
            app[STREAM] = connection
            stream_task = asyncio.create_task(connection.run(), name="dingtalk-stream")
        yield
        if stream_task is not None:
            await stop_stream(stream_task)
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        await bot.tasks.drain()
        await bot.outbox.stop()
        if wecom is not None:
            await wecom.client.close()
        if dingtalk is not None:
            await dingtalk.client.close()
        if isinstance(wechat, WechatMPChannel):
            await wechat.close()

    app.cleanup_ctx.append(database)
    app.cleanup_ctx.append(workers)

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True, "channels": sorted(bot.channels)})

    app.router.add_get("/healthz", healthz)
    bot.inbox.public[PublicInquiry] = on_public_inquiry  # type: ignore[assignment]
    wechat_routes.setup(app, accept=bot.inbox.accept, clock=clock, max_age=settings.callback_max_age)
    if settings.intake_sources:
        intake.setup(app, sources=settings.intake_sources, accept=bot.inbox.accept, clock=clock)
    if dingtalk is not None:
        bot.inbox.prepare[dingtalk.name] = dingtalk.prepare
        dingtalk_routes.setup(app, secret=_secret(settings.dingtalk_client_secret),
                              accept=bot.inbox.accept, remember=dingtalk.remember, clock=clock,
                              max_age=settings.callback_max_age)
    if wecom is not None:
        bot.inbox.prepare[wecom.name] = wecom.prepare
        wecom_routes.setup(app, crypto=_wecom_crypto(settings), accept=bot.inbox.accept,
                           clock=clock, max_age=settings.callback_max_age)
    if local is not None:
        if settings.host not in ("127.0.0.1", "localhost", "::1"):
            # The simulator lets anyone act as anyone: it is for trying the bot, not for a network.
            log.warning("the chat simulator is on and listening on %s: anyone who reaches it "
                        "can act as any person; set XMT_SIMULATOR=0 outside a demo", settings.host)
        app[LOCAL] = local
        local_routes.setup(app, local, bot.inbox.accept)
    return app
