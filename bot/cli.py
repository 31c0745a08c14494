"""The ``xmt`` command line: serve, demo, org import|export, audit verify, reminders run-now,
dingtalk register-card-callback, calendar check.

Every command reads the holidays file (``XMT_HOLIDAYS_FILE``) first: a bad one stops it with the
refusal naming the line (exit 2), before anything counts a working day.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from bot import audit, texts
from bot.app import BOT, create_app, serve, settle_heap, utc_now
from bot.channels.base import DeliveryError
from bot.channels.common import HttpClient
from bot.db import close_db, init_db
from bot.directory import Directory, DirectoryError
from bot.logs import configure_logging
from bot.org import OrgError, dump_yaml, export_org, import_file
from bot.org_resolve import Outcome, resolve
from bot.org_sync import sync
from bot.outbox import Outbox
from bot.settings import Settings, SettingsError, load_settings
from bot.workdays import (
    PACKAGE_YEARS,
    HolidaysError,
    WorkCalendar,
    package_version,
    use_holidays_file,
    year_summary,
)
from schedules import SWEEPS

# The demo organisation beside the package (a checkout or an editable install), whatever the cwd.
DEMO_ORG = Path(__file__).resolve().parent.parent / "examples" / "org.yaml"
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
    app.on_startup.append(settle_heap)
    print(texts.cli_started(f"http://{args.host}:{args.port}/"), flush=True)
    serve(app, settings, host=args.host, port=args.port)
    return 0


def shifted_clock(at: str | None, settings: Settings) -> Callable[[], datetime]:
    """The real clock, or one that starts at ``at`` (local time) and runs on from there — so the
    demo can show what the reminders do days later."""
    if not at:
        return utc_now
    start = datetime.fromisoformat(at)
    if start.tzinfo is None:
        start = start.replace(tzinfo=settings.tz)
    offset = start - utc_now()
    return lambda: utc_now() + offset


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    org_file = Path(args.org)
    if not org_file.exists():
        print(texts.cli_missing_file(org_file), file=sys.stderr)
        return 2

    clock = shifted_clock(args.at, settings)

    async def load() -> int:
        from bot import demo
        from bot.app import LOCAL
        from models import Person

        if await Person.exists():  # a demo started before: keep what happened since
            counts = await import_file(org_file, now=clock(), tz=settings.tz)
            await demo.simulate_wechat_api()  # the import dropped the demo's simulated WeChat keys
            print(texts.cli_org_counts(texts.CLI_DEMO_ORG_LOADED, counts))
            return 0
        # First start: a few weeks of the organisation's work, played through the bot itself
        # (bot.demo), on an app without scheduler or worker; its chats stay in the database.
        print(texts.CLI_DEMO_REPLAY, flush=True)
        replay_clock = demo.DemoClock(clock)
        app = create_app(settings, manage_database=False, run_worker=False, run_scheduler=False,
                         clock=replay_clock)
        await app[LOCAL].load()
        await demo.play(app[BOT], app[LOCAL], replay_clock, org_file)
        return 0

    code = _with_db(settings, load)
    if code:
        return code
    print(texts.cli_simulator(f"http://{args.host}:{args.port}/"), flush=True)
    if args.at:
        print(texts.cli_clock(clock().astimezone(settings.tz)), flush=True)
    app = create_app(settings, clock=clock)
    app.on_startup.append(settle_heap)
    serve(app, settings, host=args.host, port=args.port)
    return 0


def cmd_reminders_run(settings: Settings, args: argparse.Namespace) -> int:
    from schedules import REMINDER_KINDS, run_sweeps

    names = [args.kind] if args.kind else list(SWEEPS)
    if any(n not in SWEEPS for n in names):
        print(texts.cli_unknown_sweep(args.kind, list(SWEEPS)), file=sys.stderr)
        return 2
    clock = shifted_clock(args.at, settings)

    async def work() -> int:
        from models import Department, OutboxMessage, OutboxStatus, Person

        app = create_app(settings, manage_database=False, run_worker=False, run_scheduler=False,
                         clock=clock)
        now = clock()
        counts = await run_sweeps(app[BOT].deps, names, now=now)
        # On a clock moved ahead, the sweeps queue their messages for that moment; the bot that
        # delivers them (a running demo, or serve) is on today's clock and would hold them
        # until then. What run-now shows as sent goes out now.
        await OutboxMessage.filter(status=OutboxStatus.PENDING, created_at__gte=now,
                                   next_attempt_at__gt=utc_now()).update(next_attempt_at=utc_now())
        rows = await OutboxMessage.filter(key__startswith="rem:", created_at__gte=now).order_by("id")
        names_of = dict(await Person.filter(id__in=[r.person_id for r in rows if r.person_id])
                        .values_list("id", "name"))
        groups = dict(await Department.all().values_list("code", "name"))
        for name in names:  # each sweep's count, then the messages of its reminders
            print(texts.cli_sweep_count(name, counts[name]))
            for row in rows:
                if row.key.split(":", 2)[1] != REMINDER_KINDS[name]:
                    continue
                to = texts.group_chat_name(groups.get(row.group, row.group)) if row.group \
                    else str(names_of.get(row.person_id))
                print("  → " + texts.cli_sweep_line(to, str(row.body.get("text") or row.body.get("title"))))
        if not any(counts.values()) and not WorkCalendar.parse(
                settings.tz, settings.work_hours).is_open(now):
            print(texts.CLI_OUTSIDE_HOURS)
        return 0

    return _with_db(settings, work)


async def _import(file: str, settings: Settings) -> bool:
    """Import the organisation file, saying what was imported or why not."""
    try:
        counts = await import_file(Path(file), now=utc_now(), tz=settings.tz)
    except OrgError as exc:
        print(texts.cli_import_refused(exc), file=sys.stderr)
        return False
    except OSError as exc:
        print(texts.cli_unreadable(file, exc.strerror), file=sys.stderr)
        return False
    print(texts.cli_org_counts(texts.CLI_IMPORTED, counts))
    if counts.get("holiday_years") and not _same_file(file, settings.holidays_file):
        print(texts.org_holidays_not_read(file))
    return True


def _same_file(a: str, b: str | None) -> bool:
    return b is not None and os.path.realpath(a) == os.path.realpath(b)


def cmd_calendar_check(settings: Settings, args: argparse.Namespace) -> int:
    """Which source each year's workdays come from, and its holidays; exit 1 when a year shown
    (by default this year and next) has none from the file or the package, so cron or
    monitoring sees next year's gap before January."""
    this = utc_now().astimezone(settings.tz).year
    years = [args.year] if args.year is not None else [this, this + 1]
    print(texts.calendar_check_file(settings.holidays_file))
    print(texts.calendar_check_package(package_version(), min(PACKAGE_YEARS), max(PACKAGE_YEARS)))
    missing = []
    for year in years:
        s = year_summary(year)
        print(texts.calendar_check_line(year, s.source, s.festivals, s.days_off, s.workdays))
        if s.source == "weekdays":
            missing.append(year)
    for year in missing:
        print(texts.calendar_check_missing(year), file=sys.stderr)
    return 1 if missing else 0


def cmd_org_import(settings: Settings, args: argparse.Namespace) -> int:
    async def work() -> int:
        return 0 if await _import(args.file, settings) else 1

    return _with_db(settings, work)


def _directory(settings: Settings, platform: str) -> tuple[Directory, HttpClient] | None:
    """The platform's directory over its API client (closed by the caller), or None with the
    settings it lacks printed."""
    if platform == "wecom":
        if not (settings.wecom_corp_id and settings.wecom_secret):
            print(texts.CLI_RESOLVE_NEEDS_WECOM, file=sys.stderr)
            return None
        from bot.channels.wecom.client import WeComClient
        from bot.channels.wecom.directory import WeComDirectory

        wecom = WeComClient(base=settings.wecom_api_base, corp_id=settings.wecom_corp_id,
                            secret=settings.wecom_secret.get_secret_value())
        return WeComDirectory(wecom), wecom
    if not (settings.dingtalk_client_id and settings.dingtalk_client_secret):
        print(texts.CLI_RESOLVE_NEEDS_DINGTALK, file=sys.stderr)
        return None
    from bot.channels.dingtalk.client import DingTalkClient
    from bot.channels.dingtalk.directory import DingTalkDirectory

    ding = DingTalkClient(api_base=settings.dingtalk_api_base, oapi_base=settings.dingtalk_oapi_base,
                          app_key=settings.dingtalk_client_id,
                          app_secret=settings.dingtalk_client_secret.get_secret_value())
    return DingTalkDirectory(ding), ding


def cmd_org_resolve(settings: Settings, args: argparse.Namespace) -> int:
    """``xmt org resolve [FILE] --from wecom|dingtalk [--partial]``: FILE is imported first."""
    async def work() -> int:
        if args.file and not await _import(args.file, settings):
            return 1
        made = _directory(settings, args.source)
        if made is None:
            return 2
        directory, client = made
        try:
            report = await resolve(directory, now=utc_now(), partial=args.partial)
        finally:
            await client.close()
        for r in report.rows:
            print(texts.cli_resolve_row(r.person, r.name, r.mobile, r.outcome.value, r.userid, r.detail))
        counts = {o.value: sum(1 for r in report.rows if r.outcome == o) for o in Outcome}
        print(texts.cli_resolve_summary(directory.platform, report.written, counts, report.failed,
                                        args.partial))
        return 1 if report.failed and not args.partial else 0

    return _with_db(settings, work)


def cmd_org_sync(settings: Settings, args: argparse.Namespace) -> int:
    """``xmt org sync --from wecom|dingtalk [--apply]``: the plan, written with --apply."""
    async def work() -> int:
        made = _directory(settings, args.source)
        if made is None:
            return 2
        directory, client = made
        try:
            # Messages are written to the outbox; the running bot delivers them.
            done = await sync(directory, now=utc_now(), write=args.apply,
                              outbox=Outbox([], clock=utc_now), tz=settings.tz)
        except DirectoryError as exc:
            print(texts.cli_sync_failed(directory.platform, type(exc).__name__, exc.code, str(exc)),
                  file=sys.stderr)
            return 1
        finally:
            await client.close()
        for e in done.entries:
            print(texts.cli_sync_line(e.change.value, e.subject, e.name, e.before, e.after, e.roles))
        changes = len(done.changes)
        print(texts.cli_sync_summary(done.platform, changes, len(done.entries) - changes, args.apply,
                                     done.applied, done.told))
        return 0

    return _with_db(settings, work)


def cmd_org_export(settings: Settings, args: argparse.Namespace) -> int:
    exported: dict[str, Any] = {}

    async def work() -> int:
        exported.update(await export_org(settings.tz))
        return 0

    _with_db(settings, work)
    text = dump_yaml(exported)
    if args.out:
        Path(args.out).write_text(text, "utf-8")
        print(texts.cli_exported(args.out))
    else:
        sys.stdout.write(text)
    return 0


def cmd_audit_verify(settings: Settings, args: argparse.Namespace) -> int:
    async def work() -> int:
        result = await audit.verify()
        if result.ok:
            print(texts.cli_audit_ok(result.rows))
            return 0
        print(texts.cli_audit_bad(result.bad_id, result.reason, result.rows), file=sys.stderr)
        return 1

    return _with_db(settings, work)


def cmd_dingtalk_register(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.dingtalk_enabled:
        print(texts.CLI_DINGTALK_OFF, file=sys.stderr)
        return 2
    from bot.channels.dingtalk.client import DingTalkClient
    from bot.channels.dingtalk.render import ROUTE_KEY

    async def work() -> int:
        client = DingTalkClient(api_base=settings.dingtalk_api_base,
                                app_key=settings.dingtalk_client_id or "",
                                app_secret=settings.dingtalk_client_secret.get_secret_value()
                                if settings.dingtalk_client_secret else "")
        try:
            url = await client.register_card_callback(args.url, ROUTE_KEY)
        except DeliveryError as exc:
            print(texts.cli_dingtalk_register_failed(exc), file=sys.stderr)
            return 1
        finally:
            await client.close()
        print(texts.cli_dingtalk_registered(url, ROUTE_KEY))
        return 0

    return asyncio.run(work())


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    from bot import exports
    from bot.campaign import review_window
    from models import Account, AccountApplication

    async def work() -> int:
        now = utc_now()
        year = args.year or review_window(now.astimezone(settings.tz).date(), settings)[0]
        data: bytes
        if args.what in ("registry", "review"):
            # The same figures as 导出台账 in chat (咨询统计's rule for in time / overdue).
            registry = await exports.load_registry(
                year, settings.tz, now=now, cal=WorkCalendar.parse(settings.tz, settings.work_hours))
            render = exports.registry_xlsx if args.what == "registry" else exports.review_xlsx
            data = await asyncio.to_thread(render, registry, settings.tz, year)
        else:
            name = (args.account or "").lstrip("@")
            account = await Account.get_or_none(name=name)
            if args.what == "form1":  # from submission on: by the account, or the name applied for
                app = (await AccountApplication.filter(account_id=account.id).order_by("-id").first()
                       if account is not None else None) \
                    or await AccountApplication.filter(name=name).order_by("-id").first()
                if app is None:
                    print(texts.NO_APPLICATION, file=sys.stderr)
                    return 1
                data = await asyncio.to_thread(exports.form1_document, await exports.load_form1(app),
                                               settings.tz)
            elif account is None:
                print(texts.unknown_account(args.account or "", []), file=sys.stderr)
                return 2
            else:
                data = await asyncio.to_thread(exports.form2_document,
                                               await exports.load_form2(account), settings.tz)
        await asyncio.to_thread(Path(args.out).write_bytes, data)
        print(texts.exported(args.out))
        return 0

    return _with_db(settings, work)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xmt", description=texts.CLI_DESCRIPTION)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def listen(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", default=None, help=texts.CLI_HELP["host"])
        p.add_argument("--port", type=int, default=None, help=texts.CLI_HELP["port"])

    serve = sub.add_parser("serve", help=texts.CLI_HELP["serve"])
    listen(serve)
    serve.set_defaults(func=cmd_serve)
    demo = sub.add_parser("demo", help=texts.CLI_HELP["demo"])
    listen(demo)
    demo.add_argument("--org", default=str(DEMO_ORG), help=texts.CLI_HELP["org_file"])
    demo.add_argument("--at", default=None, help=texts.CLI_HELP["at"])
    demo.set_defaults(func=cmd_demo, demo=True)

    org = sub.add_parser("org", help=texts.CLI_HELP["org"])
    org_sub = org.add_subparsers(dest="org_command", metavar="ACTION")
    imp = org_sub.add_parser("import", help=texts.CLI_HELP["import"])
    imp.add_argument("file")
    imp.set_defaults(func=cmd_org_import)
    res = org_sub.add_parser("resolve", help=texts.CLI_HELP["resolve"])
    res.add_argument("file", nargs="?", default=None, help=texts.CLI_HELP["org_file_import"])
    res.add_argument("--from", dest="source", choices=["wecom", "dingtalk"], required=True,
                     help=texts.CLI_HELP["from"])
    res.add_argument("--partial", action="store_true", help=texts.CLI_HELP["partial"])
    res.set_defaults(func=cmd_org_resolve)
    syn = org_sub.add_parser("sync", help=texts.CLI_HELP["sync"])
    syn.add_argument("--from", dest="source", choices=["wecom", "dingtalk"], required=True,
                     help=texts.CLI_HELP["from"])
    syn.add_argument("--apply", action="store_true", help=texts.CLI_HELP["apply"])
    syn.set_defaults(func=cmd_org_sync)
    exp = org_sub.add_parser("export", help=texts.CLI_HELP["export"])
    exp.add_argument("--out", default=None)
    exp.set_defaults(func=cmd_org_export)

    aud = sub.add_parser("audit", help=texts.CLI_HELP["audit"])
    aud_sub = aud.add_subparsers(dest="audit_command", metavar="ACTION")
    ver = aud_sub.add_parser("verify", help=texts.CLI_HELP["verify"])
    ver.set_defaults(func=cmd_audit_verify)
    exp_all = sub.add_parser("export", help=texts.CLI_HELP["export_files"])
    exp_all.add_argument("what", choices=["registry", "review", "form1", "form2"])
    exp_all.add_argument("--out", required=True)
    exp_all.add_argument("--account", default=None, help=texts.CLI_HELP["account"])
    exp_all.add_argument("--year", type=int, default=None)
    exp_all.set_defaults(func=cmd_export)

    rem = sub.add_parser("reminders", help=texts.CLI_HELP["reminders"])
    rem_sub = rem.add_subparsers(dest="reminders_command", metavar="ACTION")
    run = rem_sub.add_parser("run-now", help=texts.CLI_HELP["run-now"].format(sweeps="、".join(SWEEPS)))
    run.add_argument("kind", nargs="?", default=None, help=" | ".join(SWEEPS))
    run.add_argument("--at", default=None, help=texts.CLI_HELP["at"])
    run.add_argument("--demo", action="store_true", help=texts.CLI_HELP["run-now-demo"])
    run.set_defaults(func=cmd_reminders_run)

    cal = sub.add_parser("calendar", help=texts.CLI_HELP["calendar"])
    cal_sub = cal.add_subparsers(dest="calendar_command", metavar="ACTION")
    check = cal_sub.add_parser("check", help=texts.CLI_HELP["calendar_check"])
    check.add_argument("year", nargs="?", type=int, default=None, help=texts.CLI_HELP["year"])
    check.set_defaults(func=cmd_calendar_check)

    ding = sub.add_parser("dingtalk", help=texts.CLI_HELP["dingtalk"])
    ding_sub = ding.add_subparsers(dest="dingtalk_command", metavar="ACTION")
    reg = ding_sub.add_parser("register-card-callback", help=texts.CLI_HELP["register"])
    reg.add_argument("url", help="https://<your host>/dingtalk/card")
    reg.set_defaults(func=cmd_dingtalk_register)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    overrides: dict[str, Any] = {}
    if getattr(args, "demo", False):  # xmt demo, or run-now --demo: the demo's database
        overrides = {"simulator": True}
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
    if settings.holidays_file:
        try:
            use_holidays_file(settings.holidays_file)
        except HolidaysError as exc:
            print(exc, file=sys.stderr)
            return 2
    return int(args.func(settings, args))


if __name__ == "__main__":
    sys.exit(main())
