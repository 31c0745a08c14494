"""Real bot processes on one PostgreSQL, for the tests of several instances
(tests/test_multi_instance.py, tests/models/test_migration_lock.py).

- ``fresh_database(prefix)``: a database of its own on the server ``XMT_TEST_DATABASE_URL``
  names (``scripts/with-postgres``), created with a unique name and dropped after, so processes
  that migrate at start-up meet an empty one.
- ``start(...)`` / ``run(...)``: ``xmt`` commands and children of this module as subprocesses,
  their output in files (a pipe nobody reads would block a chatty process), with
  ``wait_until`` to poll for what a real process does, with a bound.
- ``python -m tests.cluster migrate URL`` and ``python -m tests.cluster sweeps URL TIMES…``:
  children that load everything, print ``ready``, and wait for a line on stdin before they act,
  so that the test releases all of them at once (their start-up, 2-3 s of imports each, would
  otherwise spread them out and the race under test would not happen). ``migrate`` runs
  ``init_db`` and then reads every model's table; ``sweeps`` runs every sweep at each of the
  given times, as ``xmt reminders run-now --at`` does once, and prints what it wrote as JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("XMT_TEST_DATABASE_URL", "")


def database_url(name: str) -> str:
    """``XMT_TEST_DATABASE_URL`` with another database name."""
    parts = urlsplit(PG_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


@asynccontextmanager
async def fresh_database(prefix: str) -> AsyncIterator[str]:
    """The URL of a new, empty database on the test server (dropped after, even if a process
    still holds a connection to it)."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(PG_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield database_url(name)
    finally:
        admin = await asyncpg.connect(PG_URL)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


class Process:
    """A child process with its stdout and stderr in files under ``folder``."""

    def __init__(self, proc: asyncio.subprocess.Process, name: str, out: Path, err: Path) -> None:
        self.proc = proc
        self.name = name
        self.out_path = out
        self.err_path = err

    @property
    def out(self) -> str:
        return self.out_path.read_text("utf-8", errors="replace")

    @property
    def err(self) -> str:
        return self.err_path.read_text("utf-8", errors="replace")

    async def release(self) -> None:
        """Send the line a child of this module waits for before it acts."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"go\n")
        await self.proc.stdin.drain()

    async def wait(self, timeout: float = 60) -> int:
        return await asyncio.wait_for(self.proc.wait(), timeout)

    def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()


async def start(args: list[str], *, env: dict[str, str], folder: Path, name: str,
                stdin: bool = False) -> Process:
    """Start ``python -m ARGS…`` in the checkout with ``env`` added to ours."""
    out, err = folder / f"{name}.out", folder / f"{name}.err"
    with out.open("wb") as out_file, err.open("wb") as err_file:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", *args, cwd=ROOT, env={**os.environ, **env},
            stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
            stdout=out_file, stderr=err_file)
    return Process(proc, name, out, err)


async def run(args: list[str], *, env: dict[str, str], folder: Path, name: str) -> Process:
    """Run ``python -m ARGS…`` to its end; its exit code is ``proc.returncode``."""
    process = await start(args, env=env, folder=folder, name=name)
    await process.wait()
    return process


async def wait_until(check: Callable[[], Awaitable[bool]], *, within: float, what: str,
                     every: float = 0.1) -> None:
    """Poll ``check`` until it holds; fail naming ``what`` after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within:g} s: {what}")
        await asyncio.sleep(every)


async def wait_ready(process: Process, *, within: float = 60) -> None:
    """Until a child of this module has printed ``ready`` (it is loaded and waits for ``go``)."""
    async def ready() -> bool:
        if process.proc.returncode is not None:
            raise AssertionError(f"{process.name} ended early ({process.proc.returncode}): "
                                 f"{process.err[-2000:]}")
        return "ready" in process.out

    await wait_until(ready, within=within, what=f"{process.name} ready", every=0.05)


# -- the children ---------------------------------------------------------------------------------
def _ready(stdin: IO[str]) -> None:
    print("ready", flush=True)
    stdin.readline()


async def _migrate(url: str) -> dict[str, Any]:
    from tortoise import Tortoise

    from bot.db import close_db, init_db

    _ready(sys.stdin)
    await init_db(url)
    try:
        models = Tortoise.apps["models"]
        for model in models.values():
            await model.all().first()  # every column of every model is there
        return {"migrated": True, "models": len(models)}
    finally:
        await close_db()


async def _sweeps(url: str, times: list[str]) -> dict[str, Any]:
    from bot.app import BOT, create_app
    from bot.db import close_db, init_db
    from bot.settings import load_settings
    from schedules import SWEEPS, run_sweeps

    settings = load_settings()
    app = create_app(settings, manage_database=False, run_worker=False, run_scheduler=False)
    await init_db(url, apply_migrations=False)
    try:
        _ready(sys.stdin)
        written = 0
        for at in times:
            counts = await run_sweeps(app[BOT].deps, list(SWEEPS), now=datetime.fromisoformat(at))
            written += sum(counts.values())
        return {"runs": len(times) * len(SWEEPS), "written": written}
    finally:
        await close_db()


def main(argv: list[str]) -> int:
    command, url, *rest = argv
    if command == "migrate":
        result = asyncio.run(_migrate(url))
    elif command == "sweeps":
        result = asyncio.run(_sweeps(url, rest))
    else:
        print(f"unknown command {command!r}", file=sys.stderr)
        return 2
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
