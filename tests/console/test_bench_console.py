"""The console's bench still runs (issue 18, point 5; Art. 2 监督检查: the registry and overview at scale),
at a small scale: a schema change that breaks its bulk load or its use of ``console.queries`` fails
here, not the next time someone measures."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "console.py"


async def test_console_bench_runs() -> None:
    """It builds its own SQLite database whatever database the suite runs on."""
    spec = importlib.util.spec_from_file_location("bench_console", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    out = await module.main(accounts=80, publications=800, runs=3, drafts=300, inquiries=400)
    cases = out["cases"]
    assert set(cases) == {"overview", "registry first page", "registry late on wechat",
                          "registry by last post"}
    assert cases["overview"]["statements"] == 6
    assert all(case["statements"] == 2 for name, case in cases.items() if name.startswith("registry"))
    assert cases["registry first page"]["rows"] == 50
    assert all(case["p95_ms"] >= case["p50_ms"] > 0 and case["bare_p50_ms"] > 0 for case in cases.values())
