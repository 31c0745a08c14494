"""Secrets never reach the logs, even when a whole flow runs at DEBUG level; in JSON (XMT_LOG_FORMAT=json)
one line per record and one per event, with its fields, and no message body."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator

import pytest

from bot.app import build_bot
from bot.events import TextMessage
from bot.logs import JsonFormatter, SecretFilter, configure_logging, install_secret_filter
from bot.org import import_file
from models import Person
from tests.conftest import DEMO_ORG, make_settings
from tests.fakes import FakeClock, RecordingChannel

SECRET = "TopSecretAppSecret-9f8e7d"
AES = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SECRETS: dict[str, object] = {"wecom_corp_id": "ww1", "wecom_agent_id": 1000002, "wecom_secret": SECRET,
                              "wecom_token": "tok-tok", "wecom_aes_key": AES, "simulator": True}


@pytest.fixture(autouse=True)
def _record_factory() -> Iterator[None]:
    """install_secret_filter sets the process's record factory: put the one before back."""
    before = logging.getLogRecordFactory()
    yield
    logging.setLogRecordFactory(before)


def log_a_secret(name: str, *filters: logging.Filter) -> str:
    """What a handler (with ``filters``) on a logger of its own writes of a secret in a message's
    arguments and in a traceback."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    for flt in filters:
        handler.addFilter(flt)
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.error("token url https://x/gettoken?corpsecret=%s", SECRET)
        try:
            raise ValueError(f"bad secret {SECRET}")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_a_handler_added_after_the_install_writes_no_secret() -> None:
    install_secret_filter(make_settings(**SECRETS))
    out = log_a_secret("xmt.test.later")  # a handler with no filter, added after the install
    assert SECRET not in out and "corpsecret=***" in out and "ValueError" in out


def test_filter_masks_secrets_in_messages_args_and_tracebacks() -> None:
    out = log_a_secret("xmt.test.secrets", SecretFilter([SECRET]))
    assert SECRET not in out and "***" in out and "ValueError" in out


async def logged_flow(said: list[tuple[str, str]], *, level: int, also: Callable[[], None],
                      formatter: logging.Formatter | None = None) -> str:
    """What a root handler (with ``formatter``) writes at ``level`` while a bot configured with
    secrets handles ``said`` ((who, text), one event after another) and ``also`` logs more."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    if formatter is not None:
        handler.setFormatter(formatter)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(level)
    settings = make_settings(**SECRETS)
    install_secret_filter(settings)
    try:
        clock = FakeClock()
        bot = build_bot(settings, [RecordingChannel()], clock=clock)
        await import_file(DEMO_ORG, now=clock.now)
        also()
        for n, (who, text) in enumerate(said, 1):
            await bot.inbox.accept(TextMessage(channel="local", sender=who, key=f"m{n}",
                                               received_at=clock.now, text=text))
            await bot.tasks.join()
        await bot.outbox.drain(clock.now)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    return stream.getvalue()


async def test_whole_flow_at_debug_logs_no_secret(db: str) -> None:
    def leak() -> None:
        logging.getLogger("xmt.test").debug("settings: %r", make_settings(**SECRETS))
        logging.getLogger("xmt.test").warning("leak attempt %s %s", SECRET, AES)

    out = await logged_flow([("zhangsan", "帮助")], level=logging.DEBUG, also=leak)
    assert "leak attempt" in out
    assert SECRET not in out and AES not in out and "tok-tok" not in out


# -- XMT_LOG_FORMAT=json ------------------------------------------------------------------------------
DRAFT_BODY = "今年供暖季自11月15日开始，热线电话12345。"


async def test_json_lines_one_per_event_with_its_fields_and_no_body_or_secret(db: str) -> None:
    def leak() -> None:
        logging.getLogger("xmt.test").warning("leak attempt %s", AES, extra={"token": SECRET})

    said = [("zhangsan", f"投稿 @某某发布 1 冬季供暖服务指南\n{DRAFT_BODY}"), ("zhangsan", "帮助"),
            ("mallory", f"我的密码是 {SECRET}")]
    out = await logged_flow(said, level=logging.INFO, also=leak, formatter=JsonFormatter())
    lines = [json.loads(line) for line in out.splitlines()]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    events = [line for line in lines if "event_key" in line]
    assert [e["event_key"] for e in events] == ["local:m1", "local:m2", "local:m3"]  # one line each
    zhangsan = await Person.get(code="zhangsan")
    draft, help_, stranger = events
    assert (draft["person_id"], draft["handler"], draft["result"]) == (zhangsan.id, "on_draft", "done")
    assert (help_["person_id"], help_["handler"], help_["result"]) == (zhangsan.id, "on_help", "done")
    assert (stranger["person_id"], stranger["result"]) == (None, "stranger")
    assert all(isinstance(e["duration_ms"], float) and e["duration_ms"] >= 0 for e in events)
    assert all(e["logger"] == "xmt.inbound" and e["level"] == "INFO" for e in events)
    assert not [e for e in events if "张三" in json.dumps(e, ensure_ascii=False) or "zhangsan" in str(e)]
    # Neither what people wrote nor a secret, anywhere in the log.
    assert DRAFT_BODY not in out and "冬季供暖" not in out and "我的密码" not in out
    assert SECRET not in out and AES not in out and "tok-tok" not in out
    leaked = next(line for line in lines if line["message"].startswith("leak attempt"))
    assert leaked["message"] == "leak attempt ***" and leaked["token"] == "***"


def test_configure_logging_writes_json_lines_or_text(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    kept, level = root.handlers[:], root.level
    try:
        for fmt in ("json", "text"):
            root.handlers = []
            configure_logging(make_settings(log_format=fmt, **SECRETS))
            logging.getLogger("xmt.test").info("token %s", SECRET)
            err = capsys.readouterr().err.strip()
            if fmt == "json":
                line = json.loads(err)
                assert (line["logger"], line["level"], line["message"]) == ("xmt.test", "INFO", "token ***")
            else:
                assert err.endswith("INFO xmt.test: token ***")
    finally:
        root.handlers, root.level = kept, level
