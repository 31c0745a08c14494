"""The bot's figures in the Prometheus text format (issue 19; docs/operations.md lists them and the
alerts worth setting).

One ``Metrics`` per bot, on a ``CollectorRegistry`` of its own, never prometheus-client's global
one: tests build hundreds of bots in one process, and two apps in one process (a test's two
instances) must not count into each other's figures or fail on a name registered twice.
The outbox makes it with its channels (``Outbox.metrics``; ``Deps`` has no field for it yet), so
the inbox and the sweeps reach it as ``deps.outbox.metrics`` (``metrics_of(deps)``); ``bot.app``
hands it to the platform clients (``HttpClient.metrics``) and serves it.

What is counted where:
- callbacks by platform and result, refusals by reason: ``count_callbacks``, an aiohttp middleware
  on the platforms' callback routes (the platform is read from the route, never from the URL), and
  DingTalk Stream frames by their ack (``bot.channels.dingtalk.stream``);
- events processed and failed: ``bot.inbound``; sends by result: ``bot.outbox``;
- sweeps (duration, reminders written, failures): ``schedules.base.measured`` (every ``@sweep``,
  and the watch, which takes its lock per chunk);
- platform API calls (latency per platform and API path template, error codes): the clients,
  through ``bot.channels.common.HttpClient.measured`` / ``api_error``;
- gauges that need the database (inbox lag, outbox depth and oldest due row per channel, dead
  letters) are read at scrape time by ``read_database``: ``SCRAPE_QUERIES`` (2) statements
  whatever the size of the tables (both filter on ``status``, which leads an index), however
  many rows wait (the outbox's are grouped by status, channel and attempts: a bounded handful).

Labels never carry a person, a name, an id, a message or a secret: their values come from fixed
sets (platforms, results, refusal reasons, sweep kinds, channel names) or from the platforms' own
error codes and our API path templates, cut to a safe alphabet (``label``). Each instance serves
the database gauges of the whole database: with several instances, alert on ``max``, not ``sum``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from tortoise.functions import Count, Min

from bot.channels import verify
from models import InboundEvent, InboundStatus, OutboxMessage, OutboxStatus

if TYPE_CHECKING:
    from bot.deps import Deps

log = logging.getLogger("xmt.metrics")

#: The callback routes and the platform each belongs to, by the route's first path segment.
CALLBACK_PREFIXES = {"wecom": "wecom", "dingtalk": "dingtalk", "wechat": "wechat", "api": "api"}
#: Refusals that are not the verification layer's (it names its own: ``verify.Refused.reason``).
#: A 503 is the stop's (``bot.app.refuse_when_stopping``): the platform delivers again elsewhere.
REFUSAL_BY_STATUS = {400: "malformed", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                     408: "slow_body", 409: "not_operating", 413: "too_large", 422: "malformed",
                     503: "stopping"}
REFUSAL_REASONS = frozenset({"unsigned", "signature", "stale_timestamp", *REFUSAL_BY_STATUS.values(),
                             "other"})
SEND_RESULTS = ("sent", "retried", "throttled", "dead")
SCRAPE_QUERIES = 2  # statements one scrape runs (tests/bot/test_metrics.py counts them)
NO_CHANNEL = "any"  # outbox rows with no preferred channel (sweeps' reminders, most rows)
#: Sweeps take from milliseconds to a few seconds (bench/sweeps.py); API calls up to their timeout.
SWEEP_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
API_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: An event's transaction takes a few milliseconds; one that waits for a download, seconds.
EVENT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-/]")


def label(value: object, limit: int = 64) -> str:
    """A label value from platform text (an error code, an API path): letters, digits and
    ``_.-/`` only, at most ``limit`` characters, so nothing odd or long reaches the output."""
    return _UNSAFE.sub("_", str(value))[:limit] or "none"


def _utc(value: Any) -> datetime | None:
    """An aggregate's datetime: SQLite hands ``MIN(...)`` back as text, PostgreSQL as a datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class Metrics:
    """Every figure of one bot, on its own registry (see the module's notes)."""

    def __init__(self, channels: Iterable[str] = ()) -> None:
        self.registry = r = CollectorRegistry()
        self.callbacks = Counter("xmt_callbacks", "Platform callbacks answered, by platform and "
                                 "result (ok: 2xx, refused: 4xx or the stop's 503, error: 5xx)",
                                 ["platform", "result"],
                                 registry=r)
        self.refusals = Counter("xmt_callback_refusals", "Callbacks refused, by platform and reason",
                                ["platform", "reason"], registry=r)
        self.events = Counter("xmt_events", "Inbound events processed, by kind and result",
                              ["kind", "result"], registry=r)
        self.event_seconds = Histogram("xmt_event_duration_seconds", "Time to process one inbound "
                                       "event", buckets=EVENT_BUCKETS, registry=r)
        self.inbox_lag = Gauge("xmt_inbox_lag_seconds", "Age of the oldest inbound event not "
                               "processed yet (0 when none waits)", registry=r)
        self.inbox_waiting = Gauge("xmt_inbox_unprocessed", "Inbound events acknowledged and not "
                                   "processed yet", registry=r)
        self.outbox_depth = Gauge("xmt_outbox_depth", "Outbox rows waiting or being sent, by "
                                  "preferred channel", ["channel"], registry=r)
        self.outbox_oldest = Gauge("xmt_outbox_oldest_age_seconds", "How long the oldest undelivered "
                                   "outbox row has waited since it fell due (a row tried and failed: "
                                   "since it was queued), by preferred channel", ["channel"],
                                   registry=r)
        self.dead_letters = Gauge("xmt_dead_letters", "Outbox rows dead-lettered and not retried",
                                  registry=r)
        self.sends = Counter("xmt_sends", "Delivery attempts by channel and result (sent, retried, "
                             "throttled, dead)", ["channel", "result"], registry=r)
        self.sweep_seconds = Histogram("xmt_sweep_duration_seconds", "Duration of sweep runs that "
                                       "did work (in working hours, lock held; the watch: "
                                       "a source to read)", ["sweep"],
                                       buckets=SWEEP_BUCKETS, registry=r)
        self.sweep_reminders = Counter("xmt_sweep_reminders", "Reminders written by sweeps",
                                       ["sweep"], registry=r)
        self.sweep_failures = Counter("xmt_sweep_failures", "Sweep runs that raised", ["sweep"],
                                      registry=r)
        self.api_seconds = Histogram("xmt_platform_api_duration_seconds", "Platform API calls, by "
                                     "platform and API path template", ["platform", "path"],
                                     buckets=API_BUCKETS, registry=r)
        self.api_errors = Counter("xmt_platform_api_errors", "Platform API answers with an error "
                                  "code, by platform and code", ["platform", "code"], registry=r)
        self.channels = sorted({label(c, 16) for c in channels} | {NO_CHANNEL})
        for channel in self.channels:  # present from the start: rate() needs a first sample
            for result in SEND_RESULTS:
                if channel != NO_CHANNEL:  # a send always has its channel (or "none" found)
                    self.sends.labels(channel, result)
            self.outbox_depth.labels(channel).set(0)
            self.outbox_oldest.labels(channel).set(0)

    # -- what the parts call ------------------------------------------------------------------
    def event(self, kind: str, result: str, seconds: float) -> None:
        """One inbound event processed (``result``: done, failed…) in ``seconds``."""
        self.events.labels(label(kind, 32), label(result, 16)).inc()
        self.event_seconds.observe(seconds)

    def send(self, channel: str | None, result: str) -> None:
        """One delivery attempt's outcome (``SEND_RESULTS``) on ``channel`` (None: none found)."""
        self.sends.labels(label(channel or "none", 16), label(result, 16)).inc()

    def callback(self, platform: str, status: int, refusal: str | None = None) -> None:
        result = "ok" if status < 400 else "refused" if status < 500 or status == 503 else "error"
        self.callbacks.labels(platform, result).inc()
        if result == "refused":
            reason = refusal if refusal in REFUSAL_REASONS else REFUSAL_BY_STATUS.get(status, "other")
            self.refusals.labels(platform, reason).inc()

    def api_call(self, platform: str, path: str, seconds: float) -> None:
        self.api_seconds.labels(platform, label(path)).observe(seconds)

    def api_error(self, platform: str, code: object) -> None:
        self.api_errors.labels(platform, label(code, 48)).inc()

    def sweep(self, kind: str, seconds: float, *, written: int | None) -> None:
        """One sweep run that did work: ``written`` reminders, or None when it raised."""
        self.sweep_seconds.labels(kind).observe(seconds)
        if written is None:
            self.sweep_failures.labels(kind).inc()
        else:
            self.sweep_reminders.labels(kind).inc(written)

    # -- scrape -------------------------------------------------------------------------------
    async def read_database(self, now: datetime) -> None:
        """The gauges that need the database at ``now``, in ``SCRAPE_QUERIES`` statements."""
        now = now.astimezone(UTC)
        inbox = await InboundEvent.filter(status=InboundStatus.RECEIVED).annotate(
            n=Count("id"), oldest=Min("received_at")).values("n", "oldest")
        waiting = int(inbox[0]["n"] or 0) if inbox else 0
        oldest = _utc(inbox[0]["oldest"]) if inbox else None
        self.inbox_waiting.set(waiting)
        self.inbox_lag.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        # Grouped by attempts too (at most XMT_OUTBOX_MAX_ATTEMPTS groups a channel): a row never
        # tried waits since it fell due (one held for the next working hour is not late before),
        # a row tried and failed since it was queued (its due time moves on with each backoff, so
        # a message failing for an hour would otherwise look a few minutes old).
        rows = await OutboxMessage.filter(
            status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.DEAD],
        ).annotate(n=Count("id"), due=Min("next_attempt_at"), queued=Min("created_at")).group_by(
            "status", "channel_hint", "attempts").values("status", "channel_hint", "attempts", "n",
                                                         "due", "queued")
        depth = dict.fromkeys(self.channels, 0)
        age = dict.fromkeys(self.channels, 0.0)
        dead = 0
        for row in rows:
            if row["status"] in (OutboxStatus.DEAD, OutboxStatus.DEAD.value):
                dead += int(row["n"])
                continue
            channel = label(row["channel_hint"] or NO_CHANNEL, 16)
            depth[channel] = depth.get(channel, 0) + int(row["n"])
            since = _utc(row["queued"] if row["attempts"] else row["due"])
            waited = max(0.0, (now - since).total_seconds()) if since is not None else 0.0
            age[channel] = max(age.get(channel, 0.0), waited)
        self.dead_letters.set(dead)
        for channel, n in depth.items():
            self.outbox_depth.labels(channel).set(n)
            self.outbox_oldest.labels(channel).set(age[channel])

    async def exposition(self, now: datetime) -> bytes:
        """The text a scrape gets: the database gauges read now, then every figure. A database
        that does not answer leaves those gauges as they were (logged by kind only), so the
        counters still reach monitoring when the database is what is wrong."""
        try:
            await self.read_database(now)
        except Exception as exc:
            log.warning("/metrics: the database gauges were not read (%s)", type(exc).__name__)
        return generate_latest(self.registry)


def metrics_of(deps: Deps) -> Metrics:
    """The bot's ``Metrics`` as a sweep or handler reaches it: held by the outbox every ``Deps``
    carries (the one accessor, so that moving it onto ``Deps`` changes one line)."""
    return deps.outbox.metrics


Handler = Callable[[web.Request], Any]


def platform_of(request: web.Request) -> str | None:
    """The platform of a callback route, from the route's template (``/wechat/{account}/callback``
    → wechat); None for every other route (the console, the simulator, health checks)."""
    resource = request.match_info.route.resource
    if resource is None:
        return None
    first = resource.canonical.lstrip("/").split("/", 1)[0]
    return CALLBACK_PREFIXES.get(first)


def count_callbacks(metrics: Metrics) -> Any:
    """Middleware: every answer on a callback route counted by platform and result, a refusal by
    its reason too (the verification layer's, ``verify.REFUSAL_ATTR``, else read from the status).
    Put it first (outermost), so it also sees the 503 of a stop and the 408 of a slow body."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        platform = platform_of(request)
        if platform is None:
            response: web.StreamResponse = await handler(request)
            return response
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            metrics.callback(platform, exc.status, getattr(exc, verify.REFUSAL_ATTR, None))
            raise
        except Exception:
            metrics.callback(platform, 500)
            raise
        metrics.callback(platform, response.status, getattr(response, verify.REFUSAL_ATTR, None))
        return response

    return middleware


Clock = Callable[[], datetime]


def handler(metrics: Metrics, clock: Clock) -> Callable[[web.Request], Any]:
    """``GET /metrics``: the database gauges read at ``clock()``, then every figure."""

    async def serve(_: web.Request) -> web.Response:
        body = await metrics.exposition(clock())
        # The text format 0.0.4, which every Prometheus reads (the library's latest, 1.0.0, only
        # 3.x knows); the names are plain ASCII, so the output is the same.
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})

    return serve


def listener(metrics: Metrics, clock: Clock, host: str, port: int
             ) -> Callable[[web.Application], AsyncIterator[None]]:
    """A ``cleanup_ctx`` step: ``GET /metrics`` on ``host:port``, a listener of its own
    (``XMT_METRICS_PORT`` other than ``XMT_PORT``), started and stopped with the app."""

    async def serve(_: web.Application) -> AsyncIterator[None]:
        app = web.Application()
        app.router.add_get("/metrics", handler(metrics, clock))
        runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
            yield
        finally:
            await runner.cleanup()

    return serve
