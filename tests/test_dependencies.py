"""Dependencies as declared, imported and locked (issue 15): pyproject.toml declares every
third-party module the code imports and nothing it does not (but for the few named below, with
their reason); every dependency has a lower and an upper bound; requirements.lock, which
``make install`` installs, pins each of them within its bounds, with hashes.

Imports are read with ``ast`` (not run); a module is mapped to the distribution that installed it
through ``importlib.metadata.packages_distributions``, so ``import yaml`` needs ``PyYAML``.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
OURS = {"bot", "handlers", "schedules", "models", "console", "tests", "bench"}
RUNTIME_CODE = ("bot", "handlers", "schedules", "models", "console", "bench")

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
RUNTIME = [Requirement(r) for r in PROJECT["dependencies"]]
DEV = [Requirement(r) for r in PROJECT["optional-dependencies"]["dev"]]

# Declared runtime dependencies that no module of ours imports, and why they are needed anyway.
# Declared runtime dependencies the code never imports, each with its reason (none today:
# asyncpg, tortoise's PostgreSQL driver, is imported by bot/db.py for the migration lock).
NOT_IMPORTED: dict[str, str] = {}


def third_party_imports(*folders: str) -> dict[str, str]:
    """Top-level module → the first ``path:line`` importing it, for absolute imports of modules
    that are neither the standard library's nor ours."""
    found: dict[str, str] = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in OURS:
                        found.setdefault(top, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def distributions(module: str) -> set[str]:
    return {canonicalize_name(d) for d in importlib.metadata.packages_distributions().get(module, [])}


def names(requirements: list[Requirement]) -> set[str]:
    return {canonicalize_name(r.name) for r in requirements}


def locked() -> dict[str, Version]:
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    return {canonicalize_name(m[1]): Version(m[2])
            for m in re.finditer(r"^([A-Za-z0-9._-]+)==([^\s\\]+)", text, re.MULTILINE)}


def test_every_module_the_code_imports_is_a_declared_runtime_dependency() -> None:
    undeclared = {module: where for module, where in third_party_imports(*RUNTIME_CODE).items()
                  if not distributions(module) & names(RUNTIME)}
    assert undeclared == {}


def test_every_module_the_tests_import_is_declared() -> None:
    undeclared = {module: where for module, where in third_party_imports("tests").items()
                  if not distributions(module) & names(RUNTIME + DEV)}
    assert undeclared == {}


def test_every_runtime_dependency_is_imported_or_says_why_not() -> None:
    imported = set().union(*(distributions(m) for m in third_party_imports(*RUNTIME_CODE)))
    unexplained = names(RUNTIME) - imported - set(NOT_IMPORTED)
    assert unexplained == set()
    # The reasons stay true: each is declared and still not imported.
    assert set(NOT_IMPORTED) <= names(RUNTIME)
    assert set(NOT_IMPORTED) & imported == set()


def test_every_dependency_has_a_lower_and_an_upper_bound() -> None:
    unbounded = [str(r) for r in RUNTIME + DEV
                 if not ({s.operator for s in r.specifier} >= {">=", "<"})]
    assert unbounded == []


def test_the_lock_pins_every_dependency_within_its_bounds() -> None:
    pins = locked()
    outside = {str(r): str(pins.get(canonicalize_name(r.name), "missing")) for r in RUNTIME + DEV
               if canonicalize_name(r.name) not in pins
               or not r.specifier.contains(pins[canonicalize_name(r.name)], prereleases=True)}
    assert outside == {}


def test_every_pin_in_the_lock_has_hashes() -> None:
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    entries = re.split(r"^(?=[A-Za-z0-9._-]+==)", text, flags=re.MULTILINE)[1:]
    assert len(entries) == len(locked())
    assert [e.split(" ")[0] for e in entries if "--hash=sha256:" not in e] == []
