"""Logging set-up, and a filter that keeps secrets out of every log line.

Secrets are ``SecretStr`` in the settings (their repr is masked), and on top of that this filter
replaces any configured secret value that still reaches a log record — an SDK that logs a URL
with a token in it, an exception message quoting a request body.

The filter runs where every record is made (the ``logging`` record factory), not on handlers: a
filter on the root *logger* sees only what is logged on the root itself (records of other loggers
reach the root's handlers without passing its filters), and one on the root's handlers misses a
handler added later (an SDK's own — ``dingtalk_stream`` adds one when none is set —, a test's
log capture). Made clean, a record is clean for every handler, present or future.

``XMT_LOG_FORMAT=json`` writes one JSON object per line (``JsonFormatter``). A formatter of our
own on the standard library rather than python-json-logger or structlog: twenty lines, no
dependency, and it keeps the one thing a library would not know to do — scrubbing the secrets
from the ``extra`` fields too (the record factory runs before ``extra`` is attached).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr

from bot.settings import Settings

MASK = "***"
_FILTER_NAME = "xmt-secrets"
_make_record = logging.getLogRecordFactory()  # the factory before ours (logging's own)
# What a record carries without ``extra`` (anything else on it was passed as ``extra``).
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class SecretFilter(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__(_FILTER_NAME)
        # Longest first so that a secret containing another is masked whole.
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        clean = self.scrub(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def secret_values(settings: Settings) -> list[str]:
    values = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            values.append(value.get_secret_value())
    # A password inside the database URL.
    url = settings.database_url
    if "@" in url and "://" in url:
        creds = url.split("://", 1)[1].split("@", 1)[0]
        if ":" in creds:
            values.append(creds.split(":", 1)[1])
    return values


def install_secret_filter(settings: Settings) -> None:
    """Scrub ``settings``' secrets from every log record from now on, whatever logger made it and
    whichever handler (present or added later) writes it. Installing again replaces the secrets."""
    global _secrets
    flt = _secrets = SecretFilter(secret_values(settings))

    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = _make_record(*args, **kwargs)
        flt.filter(record)
        return record

    logging.setLogRecordFactory(make_record)


_secrets = SecretFilter([])  # the secrets installed last (``install_secret_filter``)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time`` (UTC, ISO 8601 with milliseconds), ``level``,
    ``logger``, ``message``, every ``extra`` field the call passed (the inbox's line per event:
    ``event_key``, ``person_id``, ``handler``, ``duration_ms``, ``result``…; string values
    scrubbed of the secrets) and ``exception`` with the traceback when there is one. Non-ASCII
    is written as is (Chinese stays readable); a value JSON cannot hold is written as its str."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and name not in line:
                line[name] = _secrets.scrub(value) if isinstance(value, str) else value
        if record.exc_info and not record.exc_text:
            record.exc_text = _secrets.scrub(self.formatException(record.exc_info))
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = _secrets.scrub(self.formatStack(record.stack_info))
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(settings: Settings) -> None:
    """The process's logging (``xmt serve``, every CLI command): ``XMT_LOG_LEVEL``, the format of
    ``XMT_LOG_FORMAT`` (text lines, or JSON lines), the secret filter."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=settings.log_level, handlers=[handler])
    logging.getLogger("tortoise").setLevel(logging.WARNING)
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
    # APScheduler logs two INFO lines per job run; the sweeps log what they wrote themselves.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    install_secret_filter(settings)
