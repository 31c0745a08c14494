"""docs/configuration.md stays the whole truth about ``XMT_*`` variables: it lists every setting
of ``bot.settings.Settings`` and every variable the code or the tests read straight from the
environment, each with its real default, and names no variable that nothing reads. The README,
the other docs, the Makefile and the scripts name only variables that exist."""

from __future__ import annotations

import re
from pathlib import Path

from bot.settings import Settings, env_name

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
# A full name: not a prefix written as XMT_WECOM_* or XMT_*.
NAME = re.compile(r"\bXMT_[A-Z0-9_]*[A-Z0-9]\b(?![_*])")
ENVIRON_READ = re.compile(r"""(?:environ\.get\(\s*|environ\[\s*|["']\s+(?:not\s+)?in\s+os\.environ)""")


def rows() -> dict[str, str]:
    """Variable → its default cell, from the doc's tables (| `XMT_X` | default | meaning |)."""
    row = re.compile(r"^\| `(XMT_[A-Z0-9_]+)` \| ([^|]*) \|", re.MULTILINE)
    return {m[1]: m[2].strip() for m in row.finditer(DOC)}


def read_from_environment() -> set[str]:
    """Variables code or tests read with ``os.environ`` rather than through ``Settings``."""
    found: set[str] = set()
    for folder in ("bot", "handlers", "schedules", "models", "tests", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            for line in path.read_text(encoding="utf-8").splitlines():
                if "environ" in line and ENVIRON_READ.search(line):
                    found.update(NAME.findall(line))
    return found


def test_every_setting_has_a_row_with_its_default() -> None:
    documented = rows()
    missing = sorted(env_name(f) for f in Settings.model_fields if env_name(f) not in documented)
    assert missing == []
    for field, info in Settings.model_fields.items():
        default = info.default
        if isinstance(default, str | int | float) and not isinstance(default, bool):
            expected = f"{default:g}" if isinstance(default, float) else str(default)
            assert documented[env_name(field)].strip("`") == expected, (env_name(field), expected)


def test_every_variable_read_from_the_environment_has_a_row() -> None:
    assert read_from_environment() - set(rows()) == set()
    assert "XMT_DATABASE_URL" in read_from_environment()  # the scan finds what it looks for


def test_no_row_for_a_variable_nothing_reads() -> None:
    known = {env_name(f) for f in Settings.model_fields} | read_from_environment()
    assert set(rows()) - known == set()


def test_the_readme_docs_makefile_and_scripts_name_only_real_variables() -> None:
    known = set(rows())
    texts = [ROOT / "README.md", ROOT / "Makefile", *(ROOT / "docs").glob("*.md"),
             *(p for p in (ROOT / "scripts").iterdir() if p.is_file())]
    unknown = {f"{p.relative_to(ROOT)}: {name}" for p in texts
               for name in NAME.findall(p.read_text(encoding="utf-8")) if name not in known}
    assert unknown == set()
