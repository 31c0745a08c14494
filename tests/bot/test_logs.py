"""Secrets never reach the logs, even when a whole flow runs at DEBUG level."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.app import build_bot
from bot.logs import SecretFilter, install_secret_filter
from bot.org import import_file
from tests.conftest import DEMO_ORG, make_settings
from tests.fakes import FakeClock, RecordingChannel

SECRET = "TopSecretAppSecret-9f8e7d"
AES = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


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
    install_secret_filter(make_settings(
        wecom_corp_id="ww1", wecom_agent_id=1000002, wecom_secret=SECRET, wecom_token="tok-tok",
        wecom_aes_key=AES))
    out = log_a_secret("xmt.test.later")  # a handler with no filter, added after the install
    assert SECRET not in out and "corpsecret=***" in out and "ValueError" in out


def test_filter_masks_secrets_in_messages_args_and_tracebacks() -> None:
    out = log_a_secret("xmt.test.secrets", SecretFilter([SECRET]))
    assert SECRET not in out and "***" in out and "ValueError" in out


async def test_whole_flow_at_debug_logs_no_secret(db: str) -> None:
    settings = make_settings(
        wecom_corp_id="ww1", wecom_agent_id=1000002, wecom_secret=SECRET, wecom_token="tok-tok",
        wecom_aes_key=AES, simulator=True,
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    install_secret_filter(settings)
    try:
        clock = FakeClock()
        channel = RecordingChannel()
        bot = build_bot(settings, [channel], clock=clock)
        await import_file(DEMO_ORG, now=clock.now)
        logging.getLogger("xmt.test").debug("settings: %r", settings)
        logging.getLogger("xmt.test").warning("leak attempt %s %s", SECRET, AES)
        from bot.events import TextMessage

        await bot.inbox.accept(TextMessage(channel="local", sender="zhangsan", key="k",
                                           received_at=clock.now, text="帮助"))
        await bot.tasks.join()
        await bot.outbox.drain(clock.now)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    out = stream.getvalue()
    assert "leak attempt" in out
    assert SECRET not in out and AES not in out and "tok-tok" not in out
