"""The texts package: every public name defined once, and 帮助 naming exactly the commands the
routers register (a new command without a help line, or a line for a removed one, fails here)."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from types import ModuleType

import bot.texts
from bot import texts
from bot.router import Router
from bot.texts.commands import HelpLine, english_word
from handlers import build_router

PACKAGE = Path(bot.texts.__file__).parent


def _modules() -> list[ModuleType]:
    return [importlib.import_module(f"bot.texts.{m.name}") for m in pkgutil.iter_modules([str(PACKAGE)])]


def _defined(module: ModuleType) -> set[str]:
    """The public names a module defines itself (not those it imports)."""
    tree = ast.parse(Path(str(module.__file__)).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if not n.startswith("_")}


def test_every_public_name_is_defined_in_one_module_and_exported_as_defined() -> None:
    homes: dict[str, list[str]] = {}
    for module in _modules():
        for name in _defined(module):
            homes.setdefault(name, []).append(module.__name__)
            assert getattr(texts, name) is getattr(module, name), name  # the package's is the module's
    twice = {name: where for name, where in homes.items() if len(where) > 1}
    assert twice == {}
    assert len(homes) > 600  # every module was read


def test_the_package_exports_nothing_that_no_module_defines() -> None:
    defined = {name for module in _modules() for name in _defined(module)}
    imported_helpers = {"annotations", "datetime", "date", "re", "NamedTuple"}
    exported = {n for n, v in vars(texts).items()
                if not n.startswith("_") and not isinstance(v, ModuleType)}
    assert exported - defined <= imported_helpers


def _registered(router: Router) -> list[tuple[str, ...]]:
    return [route.commands for route in router.all_routes() if route.commands]


def _gaps(registered: Sequence[tuple[str, ...]], lines: Iterable[HelpLine]) -> tuple[list[str], list[str]]:
    """(commands registered but not in help, help lines' commands no router registers)."""
    helped = [command for line in lines for command in line.commands]
    return ([c[0] for c in registered if c not in helped], [c[0] for c in helped if c not in registered])


def test_help_names_exactly_the_registered_commands() -> None:
    registered = _registered(build_router())
    assert _gaps(registered, texts.HELP_LINES) == ([], [])
    for command in registered:  # the Chinese word always; the English one where the line has room
        assert command[0] in texts.HELP
    helped = [command for line in texts.HELP_LINES for command in line.commands]
    assert len(helped) == len(set(helped))  # each command has one line


def test_the_check_catches_a_command_without_help_and_help_without_a_command() -> None:
    router = build_router()
    extra = Router(name="extra")

    @extra.command("新命令", "new")
    async def on_new(ctx: object, deps: object) -> None:  # pragma: no cover - never routed
        return None

    router.include(extra)
    stale = (*texts.HELP_LINES, HelpLine((("旧命令", "old"),), "{w0} — 已删除（{e0}）"))
    assert _gaps(_registered(router), stale) == (["新命令"], ["旧命令"])


def test_help_is_its_title_one_rendered_line_per_entry_and_the_categories() -> None:
    lines = texts.HELP.split("\n")
    assert lines == [texts.HELP_TITLE, *(line.render() for line in texts.HELP_LINES), texts.HELP_CATEGORIES]
    assert lines[1] == ("投稿 @账号 [类别] 正文 — 新建稿件，"
                        "之后几分钟内发送的图片、文件、链接自动附上（draft）")
    assert "；咨询统计（inquiry / reply）" in texts.HELP  # three commands, two English words
    assert texts.UNKNOWN_COMMAND == "没有看懂这条消息。\n" + texts.HELP


def test_english_word_skips_chinese_aliases_and_signs() -> None:
    assert english_word(texts.CMD_CLOSED) == "closed"  # not 已注销
    assert english_word(texts.CMD_HELP) == "help"
    assert english_word(texts.CMD_EXPORT_FORM1) == "export-form1"


def test_md_takes_a_date_as_well_as_a_datetime() -> None:
    """schedules.review writes the review deadline (a date) with it."""
    assert texts.md(date(2026, 11, 30)) == texts.md(datetime(2026, 11, 30, 23, 59)) == "11月30日"
