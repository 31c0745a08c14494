"""The benchmarks still run (at a small scale): a schema change that breaks a bench's bulk load
or its use of the code fails here, not the next time someone measures."""

from __future__ import annotations

import gc
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parent.parent / "bench"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async def test_sweeps_bench_runs() -> None:
    """It builds its own SQLite database whatever database the suite runs on."""
    out = await load("sweeps").main(accounts=60, publications=600, drafts=300, inquiries=400)
    results = out["sweeps"]
    assert out["baseline_s"] > 0
    assert set(results) >= {"cadence", "approvals", "digest", "review", "verify", "inquiries"}
    reminders = ("cadence", "approvals", "digest", "review", "verify", "inquiries")
    assert all(run["queries"] > 0 for name in reminders for run in results[name])
    # The watch has no source to read in this bench (no WeChat keys, no feeds): not a query.
    assert all(run["queries"] == 0 for run in results["watch"])
    assert all(run["reads"] <= run["queries"] for runs in results.values() for run in runs)
    assert results["inquiries"][0]["written"] > 0  # the loaded inquiries have reminders due


def test_screening_bench_runs() -> None:
    result = load("screening").main()
    assert result["hits"] > 0 and result["median_ms"] > 0


async def test_wecom_ingest_bench_runs() -> None:
    """Both servers, the client process, and the checks that every callback was stored (and, for
    the real route, processed): ``drive`` raises if one was not."""
    try:
        result = await load("wecom_ingest").main(n=40, concurrency=4, db=None)
    finally:
        gc.unfreeze()  # the real route's start-up froze this process's heap, as ``xmt serve`` does
    assert result["rps"] > 0 and result["baseline_rps"] > 0
    assert result["n"] == 40 and result["p99_ms"] >= result["p50_ms"] > 0


async def test_watch_bench_runs() -> None:
    """The watch's bench at a small scale, against the fake API in its child process: every
    account read within the hour, an unchanged account one batchget page in the second cycle, the
    backlog matched or reported as the bench expects."""
    out = await load("watch").main(accounts=60, feeds=4, changed=0.1)
    first, second = out["cycles"]
    assert first["span_min"] <= 60 and second["span_min"] <= 60
    assert first["http"]["token"] == 60  # one token per AppID, cached for the second cycle
    assert "token" not in second["http"]
    changed_pages = second["http"]["freepublish/batchget"] - 60
    assert 0 <= changed_pages <= 6  # an unchanged account: its first page only
    assert out["unapproved"] == out["expected_unapproved"] > 0 and out["matched"] > 0
    assert second["reported"] == out["unapproved"] and first["reported"] == 0
