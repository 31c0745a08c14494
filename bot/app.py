"""The aiohttp app factory — the one module that knows every part and wires them together.

``build_bot`` assembles the core (outbox, inbox, router, deps) without HTTP, for tests and
benchmarks; ``create_app`` puts it behind aiohttp with the channels' routes and owns start-up and
shutdown as one ``cleanup_ctx`` generator per resource, started in this order and torn down in
reverse: the database (migrations), the platforms' HTTP sessions, the inbox (resuming events that
were acknowledged before a crash), the outbox worker, the background work (drained on a stop),
the scheduler, the DingTalk Stream connection.

Long-running tasks (the outbox worker, the scheduler, the DingTalk Stream connection) run under
``bot.tasks.Supervisor``: one that ends is logged as an ERROR and restarted with a backoff, and
``/healthz`` answers 503 with ``"down": [names]`` meanwhile, so monitoring sees it.

Readiness and the stop (issue 19; docs/operations.md): ``/healthz`` is "alive" (503 while a
supervised task is down), ``/readyz`` is "send me traffic" (start-up done, the database answering,
every worker up, no stop begun). On SIGTERM aiohttp closes the listening sockets, then
``Lifecycle`` marks the stop: every new request but the health checks gets 503, and each later step
(requests in flight, the background work, the outbox and publish workers' rounds) waits at most
what is left of ``XMT_SHUTDOWN_TIMEOUT``; what the workers had claimed and not finished is released
(its lease ended) so another instance takes it over at once.

Slow clients (``serve``, used by ``xmt serve`` and ``xmt demo``): a client may hold a connection
only as long as it makes progress, and only so many connections are open at once.

- Headers: aiohttp (3.10+) arms its keep-alive timer when a connection opens and again after
  each response, and closes the connection if no complete request head arrived by then; so
  ``keepalive_timeout = XMT_REQUEST_TIMEOUT`` bounds both idle keep-alive and a head dribbled a
  byte at a time.
- Bodies: aiohttp has no body-read timeout, and handlers read bodies themselves
  (``read_capped``, ``request.json()``). ``body_deadline`` is a middleware that arms a timer when
  the handler starts; if the body is still incomplete when it fires, the request's stream gets a
  ``BodyTimeout`` (any read raises it) and the answer is 408 with the connection closed. The
  deadline covers reading only: work after the body was read, and long polls without a body,
  are not cut. A body a handler never reads is drained for at most ``LINGER`` seconds.
- Connections: aiohttp has no cap either. ``cap_connections`` wraps the low-level server's
  ``connection_made`` (every accepted connection passes there before anything is read): beyond
  ``XMT_MAX_CONNECTIONS`` a connection gets a bare 503 and is closed at once, so file descriptors
  stay bounded whatever the clients do. Fairness between clients (per-address limits) is the
  reverse proxy's job; the README says what to set there.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.web_runner import GracefulExit
from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from pydantic import SecretStr
from tortoise import Tortoise

from bot import intake
from bot.channels.base import Channel
from bot.channels.common import HttpClient
from bot.channels.dingtalk import routes as dingtalk_routes
from bot.channels.dingtalk.channel import DingTalkChannel
from bot.channels.dingtalk.client import DingTalkClient
from bot.channels.dingtalk.events import EventCrypto
from bot.channels.dingtalk.oauth import DingTalkSignIn
from bot.channels.dingtalk.stream import StreamConnection
from bot.channels.local import routes as local_routes
from bot.channels.local.channel import LocalChannel
from bot.channels.local.publisher import SimulatedPublisher
from bot.channels.local.wechat import SimulatedWechat
from bot.channels.wechat import routes as wechat_routes
from bot.channels.wechat.channel import WechatMPChannel
from bot.channels.wechat.publish import WechatPublisher
from bot.channels.wecom import routes as wecom_routes
from bot.channels.wecom.channel import WeComChannel
from bot.channels.wecom.client import WeComClient
from bot.channels.wecom.oauth import WeComSignIn
from bot.channels.wxbiz import Crypto as WeComCrypto
from bot.console_access import PlatformSignIn
from bot.db import close_db, init_db
from bot.deps import Deps
from bot.events import Event
from bot.feed_fetch import FeedFetcher
from bot.inbound import Inbox
from bot.logs import install_secret_filter
from bot.metrics import count_callbacks
from bot.metrics import handler as metrics_page
from bot.metrics import listener as metrics_listener
from bot.outbox import Outbox
from bot.publish_jobs import PublishWorker
from bot.publishing import Publisher
from bot.router import Router
from bot.screening import WordLists
from bot.settings import Settings
from bot.tasks import Sleep, Supervisor, TaskRunner
from console import app as console_app
from handlers import build_router
from schedules import build_scheduler
from schedules.watch import watch_account_now

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
    supervisor: Supervisor = field(default_factory=Supervisor)


def build_bot(
    settings: Settings,
    channels: Sequence[Channel],
    *,
    clock: Callable[[], datetime] = utc_now,
    publisher: Publisher | None = None,
    fetch_feed: Callable[[str], Awaitable[bytes]] | None = None,
) -> Bot:
    outbox = Outbox(channels, clock=clock, max_attempts=settings.outbox_max_attempts)
    deps = Deps(settings=settings, clock=clock, outbox=outbox, log=logging.getLogger("xmt.handlers"),
                wordlists=WordLists(Path(settings.wordlist_dir)), publisher=publisher,
                fetch_feed=fetch_feed)
    tasks = TaskRunner(on_error=lambda exc: log.error("background task failed", exc_info=exc))
    router = build_router()
    inbox = Inbox(router, deps, tasks, channels)
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
LINGER = 2.0  # seconds an unread body is drained after the answer, so the client can read it


class Scheduling:
    """The scheduler as a supervised task. APScheduler runs on the event loop by itself; ``run``
    starts it and ends (as a fault) when it shuts down. A scheduler that was shut down loses its
    jobs, so each run builds a fresh one."""

    def __init__(self, build: Callable[[], AsyncIOScheduler]) -> None:
        self.build = build
        self.scheduler: AsyncIOScheduler | None = None

    @property
    def running(self) -> bool:
        return self.scheduler is not None and bool(self.scheduler.running)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        stopped: asyncio.Future[None] = loop.create_future()

        def stop() -> None:
            if not stopped.done():
                stopped.set_result(None)

        def on_shutdown(_: Any) -> None:
            loop.call_soon_threadsafe(stop)

        if not self.running:
            self.scheduler = self.build()
        scheduler = self.scheduler
        assert scheduler is not None
        scheduler.add_listener(on_shutdown, EVENT_SCHEDULER_SHUTDOWN)
        try:
            if not scheduler.running:
                scheduler.start()
            await stopped
        finally:
            scheduler.remove_listener(on_shutdown)
        raise RuntimeError("the scheduler shut down")

    def shutdown(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)


SCHEDULER = web.AppKey("scheduler", Scheduling)


class Lifecycle:
    """Where the instance is between start and stop, for ``/readyz`` and the stop's time bound.

    ``started``: every start-up step ran (the database connected and migrated, the workers
    added). ``stop_began``: the monotonic time SIGTERM's shutdown reached the app (aiohttp has
    closed the listening sockets by then); from that moment new requests are answered 503 and
    every later step of the stop waits at most what is left of ``timeout`` (``remaining``)."""

    def __init__(self, timeout: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout, self._clock = timeout, clock
        self.started = False
        self.stop_began: float | None = None
        self.stopping_event = asyncio.Event()  # for whatever must react at once (and tests)

    @property
    def stopping(self) -> bool:
        return self.stop_began is not None

    def begin_stop(self) -> None:
        if self.stop_began is None:
            self.stop_began = self._clock()
            self.stopping_event.set()

    def remaining(self) -> float:
        """Seconds left of the stop's budget (the whole budget before a stop began), never < 0."""
        if self.stop_began is None:
            return self.timeout
        return max(0.0, self.stop_began + self.timeout - self._clock())


LIFECYCLE = web.AppKey("lifecycle", Lifecycle)
#: Paths answered while stopping: monitoring must see the stop (and /metrics its last figures).
ALWAYS_ANSWERED = frozenset({"/healthz", "/readyz", "/metrics"})
READY_DB_TIMEOUT = 2.0  # seconds /readyz waits for the database's answer


def refuse_when_stopping(lifecycle: Lifecycle) -> Any:
    """Middleware: once a stop began, every new request but the health checks gets 503 (with
    ``Retry-After``), so a platform retries its callback and the proxy moves on to another
    instance (``proxy_next_upstream … http_503``), while the work already in hand finishes."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if lifecycle.stopping and request.path not in ALWAYS_ANSWERED:
            return web.json_response({"error": "stopping"}, status=503, headers={"Retry-After": "1"})
        return await handler(request)

    return middleware


STUCK_SWEEP_EVERY = 60.0  # seconds between sweeps for inbound events left unprocessed


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
    sleep: Sleep = asyncio.sleep,
) -> web.Application:
    """The bot as an aiohttp application. ``channels`` adds to those the settings turn on;
    ``sleep`` is what the supervisor waits with between restarts (tests pass a fake)."""
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
    # Issue 17: publishing through the bot and the watch (WeChat's API with the channel's tokens;
    # feeds over HTTP). In the simulator a simulated back office stands in for WeChat's API: what
    # the bot submits is published and announced through the inbox, and the page's 公众号后台直接
    # 发布 makes the watch read that account at once.
    publisher: WechatPublisher | SimulatedPublisher | None = None
    if isinstance(wechat, WechatMPChannel):
        publisher = WechatPublisher(settings.wechat_api_base, tokens=wechat.tokens)
    elif local is not None:
        async def accept(event: Event) -> bool:
            return await bot.inbox.accept(event)

        async def watch_now(account_id: int) -> int:
            reported = await watch_account_now(account_id, clock(), bot.deps)
            bot.outbox.wake()
            return reported

        publisher = SimulatedPublisher(local, accept, watch=watch_now,
                                       base_url=settings.site_url)
    feeds = FeedFetcher()
    bot = build_bot(settings, all_channels, clock=clock, publisher=publisher, fetch_feed=feeds)
    publishing = PublishWorker(publisher, bot.outbox, clock=clock) if publisher is not None else None
    bot.supervisor = supervisor = Supervisor(sleep=sleep)

    lifecycle = Lifecycle(settings.shutdown_timeout)
    app = web.Application(client_max_size=20 * 1024 * 1024,
                          middlewares=[refuse_when_stopping(lifecycle),
                                       body_deadline(settings.request_timeout)])
    app[BOT] = bot
    app[LIFECYCLE] = lifecycle
    # Issue 19, the figures (bot/metrics.py): the outbox holds them; the platform clients time
    # their calls into them, and every callback's answer is counted (first middleware: it sees
    # the 408s and 503s of the others too).
    metrics = bot.outbox.metrics
    for client in (wecom.client if wecom else None, dingtalk.client if dingtalk else None, wechat,
                   publisher):
        if isinstance(client, HttpClient):
            client.metrics = metrics
    app.middlewares.insert(0, count_callbacks(metrics))

    # One cleanup_ctx per resource, in the order they start; aiohttp tears them down in reverse
    # (and, if one fails to start, only those already started). So the database outlives every
    # user of it, the platforms' HTTP sessions outlive the outbox worker that sends through them,
    # and the worker outlives the work that queues messages: on a stop, the DingTalk Stream and
    # the scheduler stop first (no new work), the background tasks are drained, and the worker
    # sends what they queued before it stops.

    async def database(_: web.Application) -> AsyncIterator[None]:
        if manage_database:
            try:
                await init_db(settings.database_url)
            except BaseException:
                await close_db()  # a failed migration left connections (and their threads) open
                raise
        yield
        if manage_database:
            await close_db()

    async def platform_sessions(_: web.Application) -> AsyncIterator[None]:
        """The platform clients' HTTP sessions: opened on first use, closed last but the database."""
        yield
        if wecom is not None:
            await wecom.client.close()
        if dingtalk is not None:
            await dingtalk.client.close()
        if isinstance(wechat, WechatMPChannel):
            await wechat.close()
        if publisher is not None:
            await publisher.close()
        await feeds.close()

    async def inbox(_: web.Application) -> AsyncIterator[None]:
        """The simulator's chats from before a restart, and the events acknowledged before the
        last stop (processed again), both before the outbox worker starts."""
        if local is not None:
            await local.load()
        resumed = await bot.inbox.resume()
        if resumed:
            log.info("resumed %d events acknowledged before the last stop", resumed)
        yield

    async def outbox_worker(_: web.Application) -> AsyncIterator[None]:
        if run_worker:
            supervisor.add("outbox-worker", bot.outbox.run_forever, stop=bot.outbox.stop)
            if publishing is not None:
                supervisor.add("publish-worker", publishing.run_forever, stop=publishing.stop)
        bot.outbox.wake()
        yield
        # A round in flight finishes within what is left of the stop's budget or is cut, and
        # what it had claimed is released for the other instances at once (not after a lease).
        def grace(name: str) -> None:
            if name in supervisor.tasks:
                supervisor.tasks[name].grace = lifecycle.remaining()

        if publishing is not None:
            grace("publish-worker")
            await supervisor.stop("publish-worker")
            await publishing.stop()
            if released := await publishing.release_claims(clock()):
                log.warning("stopping: %d WeChat submissions cut short, left for another instance", released)
        grace("outbox-worker")
        await supervisor.stop("outbox-worker")  # after the drain: it sent what the work queued
        await bot.outbox.stop()
        if released := await bot.outbox.release_claims(clock()):
            log.warning("stopping: %d deliveries cut short, released for another instance", released)

    async def sweep_stuck_events() -> None:
        """Events acknowledged but still ``received`` minutes later (their task was lost: a
        cancelled drain, a bug before the claim) are processed again or failed with a reason,
        every ``STUCK_SWEEP_EVERY`` seconds while the bot runs (``Inbox.sweep_stuck``)."""
        while True:
            swept = await bot.inbox.sweep_stuck(clock())
            if swept:
                log.warning("%d inbound events were stuck; processed again or failed", swept)
            await asyncio.sleep(STUCK_SWEEP_EVERY)

    async def background_work(_: web.Application) -> AsyncIterator[None]:
        """The handlers' background tasks (drained on a stop) and the sweep for stuck events."""
        if run_worker:
            supervisor.add("inbound-sweep", sweep_stuck_events)
        yield
        # Events acknowledged and being processed finish within the stop's budget; one cut short
        # stays `received`: the next start resumes it, another instance's stuck sweep takes it.
        await bot.tasks.drain(timeout=lifecycle.remaining())
        await supervisor.stop("inbound-sweep")

    async def scheduler(_: web.Application) -> AsyncIterator[None]:
        if not run_scheduler:
            yield
            return
        scheduling = app[SCHEDULER] = Scheduling(lambda: build_scheduler(bot.deps))
        supervisor.add("scheduler", scheduling.run, healthy=lambda: scheduling.running)
        yield
        await supervisor.stop("scheduler")
        scheduling.shutdown()

    async def dingtalk_stream(_: web.Application) -> AsyncIterator[None]:
        if dingtalk is None or settings.dingtalk_mode != "stream":
            yield
            return
        connection = app[STREAM] = StreamConnection(
            client_id=settings.dingtalk_client_id or "",
            client_secret=_secret(settings.dingtalk_client_secret),
            api_base=settings.dingtalk_api_base, accept=bot.inbox.accept,
            remember=dingtalk.remember, clock=clock, sleep=sleep)
        connection.metrics = bot.outbox.metrics
        supervisor.add("dingtalk-stream", connection.run, healthy=connection.healthy)
        yield
        await supervisor.stop("dingtalk-stream")

    app.cleanup_ctx.extend([database, platform_sessions, inbox, outbox_worker, background_work,
                            scheduler, dingtalk_stream])
    # /metrics on a port of its own: up right after the database, so it answers until the end
    # of a stop (on the bot's own port it is a route, answered while stopping too).
    if settings.metrics_port is not None and settings.metrics_port != settings.port:
        app.cleanup_ctx.insert(1, metrics_listener(metrics, clock, settings.metrics_host,
                                                   settings.metrics_port))

    async def started(_: web.Application) -> None:
        lifecycle.started = True  # runs after every cleanup_ctx step started (aiohttp's order)

    async def stop_began(_: web.Application) -> None:
        lifecycle.begin_stop()
        log.info("stopping: new requests refused (503); finishing the work in hand within %gs",
                 lifecycle.timeout)

    app.on_startup.append(started)
    app.on_shutdown.append(stop_began)

    async def healthz(_: web.Request) -> web.Response:
        """Alive: 200 while every supervised task runs, 503 naming those that are down (being
        restarted). For a liveness probe: restart the process if it stays 503."""
        down = supervisor.down()
        return web.json_response({"ok": not down, "down": down, "channels": sorted(bot.channels)},
                                 status=503 if down else 200)

    async def readyz(_: web.Request) -> web.Response:
        """Ready for traffic: start-up finished (so the migrations were applied: start-up's first
        step runs them and nothing starts after a failure), the database answers ``SELECT 1``
        within ``READY_DB_TIMEOUT``, every supervised task runs, and no stop began. Otherwise 503
        and what is not ready; for a load balancer's readiness check."""
        waiting: list[str] = []
        if lifecycle.stopping:
            waiting.append("stopping")
        if not lifecycle.started:
            waiting.append("starting")
        else:
            try:
                await asyncio.wait_for(Tortoise.get_connection("default").execute_query("SELECT 1"),
                                       READY_DB_TIMEOUT)
            except Exception as exc:  # any failure: not ready; its kind logged (probes come every
                # few seconds: no traceback each time, and no message that could carry the DSN)
                log.warning("/readyz: the database did not answer (%s)", type(exc).__name__)
                waiting.append("database")
        waiting += [f"worker:{name}" for name in supervisor.down()]
        return web.json_response({"ready": not waiting, "waiting": waiting},
                                 status=503 if waiting else 200)

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    if settings.metrics_port is not None and settings.metrics_port == settings.port:
        app.router.add_get("/metrics", metrics_page(metrics, clock))
    # Issue 18: the console, at /console/ (console/app.py: its own sessions, guards, templates),
    # signed in to by a link from chat, or through the configured platforms' OAuth with their
    # channels' clients (tokens, HTTP sessions): docs/console-signin.md.
    signins: list[PlatformSignIn] = []
    if wecom is not None:
        signins.append(WeComSignIn(wecom.client, wecom.agent_id))
    if dingtalk is not None:
        signins.append(DingTalkSignIn(dingtalk.client, _secret(settings.dingtalk_client_secret)))
    app.add_subapp("/console/", console_app.build(bot.deps, signins=signins))

    async def to_console(_: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/console/")

    app.router.add_get("/console", to_console)
    wechat_routes.setup(app, accept=bot.inbox.accept, clock=clock, max_age=settings.callback_max_age)
    if settings.intake_sources:
        intake.setup(app, sources=settings.intake_sources, accept=bot.inbox.accept, clock=clock)
    if dingtalk is not None:
        bot.inbox.prepare[dingtalk.name] = dingtalk.prepare
        dingtalk_routes.setup(app, secret=_secret(settings.dingtalk_client_secret),
                              accept=bot.inbox.accept, remember=dingtalk.remember, clock=clock,
                              max_age=settings.callback_max_age)
        if settings.dingtalk_events_enabled:
            dingtalk_routes.setup_events(
                app, crypto=EventCrypto(_secret(settings.dingtalk_event_token),
                                        _secret(settings.dingtalk_event_aes_key),
                                        settings.dingtalk_client_id or ""),
                accept=bot.inbox.accept, clock=clock, max_age=settings.callback_max_age)
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


# -- serving: slow clients and the connection cap (see the module docstring) ----------------------
class BodyTimeout(TimeoutError):
    """The client did not send its whole body within ``XMT_REQUEST_TIMEOUT``. A ``TimeoutError``:
    aiohttp's draining of an unread body takes it as the end of the body."""


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def body_deadline(timeout: float) -> Any:
    """Middleware: 408 (and the connection closed) for a body not received within ``timeout``
    seconds of the request head."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        content = request.content
        if not request.body_exists or content.is_eof():
            return await handler(request)
        expired = False

        def expire() -> None:
            nonlocal expired
            if not content.is_eof():
                expired = True
                content.set_exception(BodyTimeout())

        timer = asyncio.get_running_loop().call_later(timeout, expire)
        try:
            response = await handler(request)
            if not (expired and response.status >= 500):
                return response
        except Exception:
            if not expired:
                raise
        finally:
            timer.cancel()
        log.info("%s %s: body not received within %.3gs, answered 408", request.method,
                 request.path[:100], timeout)
        slow = web.Response(status=408, text="request body too slow\n")
        slow.force_close()
        return slow

    return middleware


BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
        b"Retry-After: 1\r\nConnection: close\r\n\r\nbusy\n")


def cap_connections(server: web.Server, limit: int) -> None:
    """At most ``limit`` open connections on ``server``: one more is answered 503 and closed
    before anything of it is read. Logged once each time the cap is reached."""
    admit = server.connection_made
    full = False

    def connection_made(handler: Any, transport: asyncio.Transport) -> None:
        nonlocal full
        if len(server.connections) >= limit:
            if not full:
                log.warning("%d connections open (XMT_MAX_CONNECTIONS): refusing new ones", limit)
            full = True
            transport.write(BUSY)
            handler.force_close()
            return
        full = False
        admit(handler, transport)

    server.connection_made = connection_made  # type: ignore[method-assign]


async def start_server(app: web.Application, settings: Settings, *, host: str, port: int,
                       handle_signals: bool = False) -> web.AppRunner:
    """Run ``app`` on ``host:port`` with the slow-client guards; the caller cleans up the runner."""
    runner = web.AppRunner(app, handle_signals=handle_signals,
                           # open long polls of the simulator must not hold up a stop
                           handler_cancellation=True, shutdown_timeout=settings.shutdown_timeout,
                           keepalive_timeout=settings.request_timeout, lingering_time=LINGER)
    await runner.setup()
    assert runner.server is not None
    cap_connections(runner.server, settings.max_connections)
    await web.TCPSite(runner, host, port).start()
    return runner


def serve(app: web.Application, settings: Settings, *, host: str, port: int) -> None:
    """Serve until SIGINT/SIGTERM, then shut down gracefully (what ``web.run_app`` does, which
    gives no access to the server for ``cap_connections``)."""

    async def main() -> None:
        runner = await start_server(app, settings, host=host, port=port, handle_signals=True)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    task = loop.create_task(main())
    try:
        loop.run_until_complete(task)
    except (GracefulExit, KeyboardInterrupt):
        pass
    finally:
        task.cancel()  # the app's cleanup runs first, while everything else still runs
        with contextlib.suppress(asyncio.CancelledError, GracefulExit, KeyboardInterrupt):
            loop.run_until_complete(task)
        rest = asyncio.all_tasks(loop)
        for other in rest:
            other.cancel()
        loop.run_until_complete(asyncio.gather(*rest, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        asyncio.set_event_loop(None)
        loop.close()
