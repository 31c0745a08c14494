"""The ``xmt`` command line: serve, demo, org import|export, audit verify."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from bot import audit
from bot.app import create_app, utc_now
from bot.db import close_db, init_db
from bot.logs import configure_logging
from bot.org import OrgError, dump_yaml, export_org, import_file
from bot.settings import Settings, SettingsError, load_settings

DEMO_ORG = Path("examples") / "org.yaml"
DEMO_DB = "sqlite://var/demo.sqlite3"


def _with_db(settings: Settings, work: Callable[[], Awaitable[int]]) -> int:
    async def run() -> int:
        await init_db(settings.database_url)
        try:
            return await work()
        finally:
            await close_db()

    return asyncio.run(run())


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    app = create_app(settings)
    print(f"xmt-bot 已启动：http://{args.host}:{args.port}/", flush=True)
    web.run_app(app, host=args.host, port=args.port, print=None)
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    org_file = Path(args.org)
    if not org_file.exists():
        print(f"找不到演示组织文件 {org_file}", file=sys.stderr)
        return 2

    async def load() -> int:
        counts = await import_file(org_file, now=utc_now())
        print(f"已载入演示组织：{counts['departments']} 个部门、{counts['people']} 人、"
              f"{counts['accounts']} 个账号")
        return 0

    code = _with_db(settings, load)
    if code:
        return code
    print(f"聊天模拟器：http://{args.host}:{args.port}/  （按 Ctrl+C 停止）", flush=True)
    web.run_app(create_app(settings), host=args.host, port=args.port, print=None)
    return 0


def cmd_org_import(settings: Settings, args: argparse.Namespace) -> int:
    async def work() -> int:
        try:
            counts = await import_file(Path(args.file), now=utc_now())
        except OrgError as exc:
            print(f"导入被拒绝：{exc}", file=sys.stderr)
            return 1
        except OSError as exc:
            print(f"无法读取 {args.file}：{exc.strerror}", file=sys.stderr)
            return 1
        print(f"已导入：{counts['departments']} 个部门、{counts['people']} 人、"
              f"{counts['accounts']} 个账号")
        return 0

    return _with_db(settings, work)


def cmd_org_export(settings: Settings, args: argparse.Namespace) -> int:
    exported: dict[str, Any] = {}

    async def work() -> int:
        exported.update(await export_org())
        return 0

    _with_db(settings, work)
    text = dump_yaml(exported)
    if args.out:
        Path(args.out).write_text(text, "utf-8")
        print(f"已导出到 {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_audit_verify(settings: Settings, args: argparse.Namespace) -> int:
    async def work() -> int:
        result = await audit.verify()
        if result.ok:
            print(f"审计日志完整：{result.rows} 条记录，哈希链校验通过。")
            return 0
        print(f"审计日志校验失败：第 {result.bad_id} 行（id={result.bad_id}）{result.reason}；"
              f"之前的 {result.rows} 条完好。", file=sys.stderr)
        return 1

    return _with_db(settings, work)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xmt", description="xmt-bot 新媒体平台管理助手")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def listen(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", default=None, help="监听地址（默认 127.0.0.1）")
        p.add_argument("--port", type=int, default=None, help="端口（默认 8080）")

    serve = sub.add_parser("serve", help="启动机器人（回调、模拟器、定时任务）")
    listen(serve)
    serve.set_defaults(func=cmd_serve)
    demo = sub.add_parser("demo", help="用内置 SQLite、本地模拟器和演示组织启动")
    listen(demo)
    demo.add_argument("--org", default=str(DEMO_ORG), help="演示组织文件")
    demo.set_defaults(func=cmd_demo, demo=True)

    org = sub.add_parser("org", help="组织架构导入导出")
    org_sub = org.add_subparsers(dest="org_command", metavar="ACTION")
    imp = org_sub.add_parser("import", help="从 YAML 导入（可重复执行）")
    imp.add_argument("file")
    imp.set_defaults(func=cmd_org_import)
    exp = org_sub.add_parser("export", help="导出为 YAML")
    exp.add_argument("--out", default=None)
    exp.set_defaults(func=cmd_org_export)

    aud = sub.add_parser("audit", help="审计日志")
    aud_sub = aud.add_subparsers(dest="audit_command", metavar="ACTION")
    ver = aud_sub.add_parser("verify", help="校验审计日志哈希链")
    ver.set_defaults(func=cmd_audit_verify)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    overrides: dict[str, Any] = {}
    if getattr(args, "demo", False):
        overrides = {"simulator": True}
        import os

        if "XMT_DATABASE_URL" not in os.environ:
            overrides["database_url"] = DEMO_DB
    for name in ("host", "port"):
        if getattr(args, name, None) is not None:
            overrides[name] = getattr(args, name)
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    args.host = settings.host
    args.port = settings.port
    configure_logging(settings)
    return int(args.func(settings, args))


if __name__ == "__main__":
    sys.exit(main())
