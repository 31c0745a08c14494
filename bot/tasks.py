"""Background tasks.

``TaskRunner``: short tasks (the work that follows an acknowledged callback) — keeps references,
reports failures to one hook, drains them on shutdown.

``Supervisor``: the long-running tasks of a process (the DingTalk Stream connection, the outbox
worker, the scheduler). Each must run for as long as the process does, so ending — returning or
raising — is a fault: it is logged as an ERROR and the task is started again with a backoff
(1 s, 2 s, 5 s … up to a minute; a run that lasted a minute resets it). A task may also report
itself unhealthy while it runs (a connection that keeps failing to connect). ``status()``/
``down()`` feed ``/healthz``, which answers 503 naming what is down: monitoring must see a dead
loop, not an ``ok`` from a process whose work stopped. On shutdown a task can be asked to finish
its work and return (the outbox worker ends its round) before it is cancelled. The sleep and the
clock are injectable so tests run the restarts without waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

log = logging.getLogger("xmt.tasks")


class TaskRunner:
    def __init__(self, on_error: Callable[[BaseException], None] | None = None) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._on_error = on_error

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str | None = None) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            if self._on_error is not None:
                self._on_error(exc)
            else:
                log.error("background task %s failed", task.get_name(), exc_info=exc)

    async def join(self) -> None:
        """Wait until no task is running (tasks spawned meanwhile included)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def drain(self, timeout: float = 10.0) -> None:
        """On shutdown: let running work finish, cancel what is still running after ``timeout``."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(list(self._tasks), timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


Sleep = Callable[[float], Awaitable[None]]
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)


class Supervised:
    """One long-running task that must not die silently: whenever its coroutine ends or raises
    (anything but our own cancellation), that is logged as an ERROR and a fresh coroutine from
    ``factory`` is started after a backoff (``backoff[n]`` after the n-th failure in a row; the
    count starts again once a run lasted ``reset_after`` seconds).

    ``healthy`` lets the task say it is down while it runs (a connection that cannot connect).
    ``stop`` asks the coroutine to finish its work and return (the outbox worker ends its round);
    the task is cancelled only if it has not returned ``grace`` seconds later."""

    def __init__(self, name: str, factory: Callable[[], Coroutine[Any, Any, None]], *,
                 backoff: Sequence[float] = BACKOFF, healthy: Callable[[], bool] | None = None,
                 stop: Callable[[], Awaitable[None]] | None = None, grace: float = 10.0,
                 sleep: Sleep = asyncio.sleep, clock: Callable[[], float] = time.monotonic,
                 reset_after: float = 60.0) -> None:
        if not backoff:
            raise ValueError("backoff needs at least one delay")
        self.name, self.factory, self.backoff = name, factory, tuple(backoff)
        self.healthy, self._sleep, self._clock, self.reset_after = healthy, sleep, clock, reset_after
        self._stopper, self.grace = stop, grace
        self.running = False  # inside the coroutine (not waiting out a backoff)
        self.restarts = 0
        self.failures = 0  # in a row
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=f"supervise:{self.name}")

    @property
    def up(self) -> bool:
        return (self._task is not None and not self._task.done() and self.running
                and (self.healthy is None or self.healthy()))

    async def _run(self) -> None:
        while True:
            started = self._clock()
            self.running = True
            try:
                await self.factory()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                outcome: str = f"failed ({type(exc).__name__})"
                error: BaseException | None = exc
            else:
                outcome, error = "ended", None
            finally:
                self.running = False
            if self._stopping:  # asked to stop: ending is what it should do
                return
            if self._clock() - started >= self.reset_after:
                self.failures = 0
            delay = self.backoff[min(self.failures, len(self.backoff) - 1)]
            self.failures += 1
            self.restarts += 1
            log.error("%s %s unexpectedly; restarting in %.3gs", self.name, outcome, delay,
                      exc_info=error)
            await self._sleep(delay)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        if self._stopper is not None and self.running:
            try:
                await self._stopper()
            except Exception:
                log.exception("%s: stopping failed", self.name)
            await asyncio.wait([task], timeout=self.grace)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Supervisor:
    """The supervised tasks of one process, for start-up, shutdown and ``/healthz``."""

    def __init__(self, *, sleep: Sleep = asyncio.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self.tasks: dict[str, Supervised] = {}
        self._sleep, self._clock = sleep, clock

    def add(self, name: str, factory: Callable[[], Coroutine[Any, Any, None]], *,
            healthy: Callable[[], bool] | None = None,
            stop: Callable[[], Awaitable[None]] | None = None,
            backoff: Sequence[float] = BACKOFF) -> Supervised:
        """Supervise ``factory`` from now on (started at once: call inside the running loop)."""
        if name in self.tasks:
            raise ValueError(f"{name} is already supervised")
        task = Supervised(name, factory, backoff=backoff, healthy=healthy, stop=stop,
                          sleep=self._sleep, clock=self._clock)
        self.tasks[name] = task
        task.start()
        return task

    def status(self) -> dict[str, bool]:
        """name → up."""
        return {name: task.up for name, task in self.tasks.items()}

    def down(self) -> list[str]:
        return sorted(name for name, up in self.status().items() if not up)

    async def stop(self, *names: str) -> None:
        """Stop the tasks named (all without names), newest first; they are no longer reported."""
        for name in reversed(list(self.tasks)):
            if not names or name in names:
                await self.tasks.pop(name).stop()

