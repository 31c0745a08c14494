"""The layers point one way (docs/architecture.md): every module's imports are read (ast, not
run) and checked against the rules below. A new arrow the wrong way fails here with the module,
the line and the rule, before it becomes a cycle someone has to untangle.

    bot/app.py, bot/cli.py, bot/demo.py   wire everything
    handlers/         ──►  bot.*, models          (never bot.channels, never schedules)
    schedules/        ──►  bot.*, models          (never bot.channels, never handlers)
    console/          ──►  bot.*, models          (never bot.channels, handlers or schedules)
    bot/channels/*    ──►  bot.*, models          (never handlers or schedules; one platform's
                                                   folder never imports another's)
    bot/* (the rest)  ──►  bot.*, models          (never handlers, schedules, console or a channel)
    models/           ──►  nothing of ours
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("bot", "handlers", "schedules", "models", "console")
WIRING = {"bot.app", "bot.cli", "bot.demo", "bot.__main__"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import of ours in ``path``, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names
                      if base in OURS]  # `from bot import texts` imports the module bot.texts
    return [(line, name) for line, name in found if name.split(".")[0] in OURS]


def _platform(module: str) -> str | None:
    """The platform folder a module is in (``bot.channels.wecom.render`` → wecom), or None for the
    shared channel modules (``bot.channels.base``, ``.common``, ``.verify``) and everything else."""
    parts = module.split(".")
    if parts[:2] != ["bot", "channels"] or len(parts) < 3:
        return None
    return parts[2] if (ROOT / "bot" / "channels" / parts[2]).is_dir() else None


def refusal(importer: str, imported: str) -> str | None:
    """Why ``importer`` may not import ``imported``, or None when it may."""
    top = importer.split(".")[0]
    target = imported.split(".")[0]
    if importer in WIRING:
        return None
    if top == "models":
        return None if target == "models" else "models import nothing of ours"
    platform = _platform(imported)
    if platform and not importer.startswith("bot.channels"):
        return "only bot/app.py wires a platform's channel"
    if platform and _platform(importer) not in (None, platform):
        return "a platform's folder never imports another's (shared code lives in bot/channels/)"
    if top == "handlers" and target == "schedules":
        return "handlers do not import the sweeps (what both need lives in bot/)"
    if top == "schedules" and target == "handlers":
        return "sweeps do not import handlers (what both need lives in bot/)"
    if top == "console" and target in ("handlers", "schedules"):
        return "the console calls the domain functions in bot/, never a handler or a sweep"
    if top in ("handlers", "schedules") and target == "console":
        return "handlers and sweeps do not import the console (what both need lives in bot/)"
    if top == "bot" and target in ("handlers", "schedules", "console"):
        return "bot/ is below handlers, schedules and the console"
    return None


def sources() -> list[Path]:
    return sorted(p for pkg in OURS for p in (ROOT / pkg).rglob("*.py")
                  if "migrations" not in p.parts)


def test_every_import_points_down() -> None:
    wrong = [f"{p.relative_to(ROOT)}:{line} imports {name}: {why}"
             for p in sources() for line, name in imports(p)
             if (why := refusal(module_name(p), name))]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("importer", "imported", "refused"), [
    ("schedules.approvals", "handlers.common", True),
    ("handlers.drafts", "schedules.review", True),
    ("handlers.drafts", "bot.channels.wecom.render", True),
    ("bot.outbox", "handlers.common", True),
    ("models.drafts", "bot.texts", True),
    ("bot.channels.wecom.channel", "bot.channels.dingtalk.render", True),
    ("bot.channels.wecom.channel", "bot.channels.base", False),
    ("bot.outbox", "bot.channels.base", False),
    ("bot.outbox", "bot.channels.wecom", True),
    ("bot.app", "handlers", False),
    ("handlers.drafts", "bot.deps", False),
    ("schedules.review", "bot.workdays", False),
    ("console.pages", "handlers.judgement", True),
    ("console.pages", "bot.channels.wecom.channel", True),
    ("console.pages", "schedules.cadence", True),
    ("console.pages", "bot.judging", False),
    ("bot.outbox", "console.app", True),
    ("handlers.ledger", "console.queries", True),
    ("bot.app", "console.app", False),
])
def test_the_rules_refuse_what_they_say(importer: str, imported: str, refused: bool) -> None:
    assert (refusal(importer, imported) is not None) == refused


def test_relative_and_package_imports_are_resolved(tmp_path: Path) -> None:
    assert module_name(ROOT / "bot" / "channels" / "wecom" / "__init__.py") == "bot.channels.wecom"
    names = {name for _, name in imports(ROOT / "handlers" / "__init__.py")}
    assert any(name.startswith("handlers.") for name in names)
