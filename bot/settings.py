"""Settings from ``XMT_*`` environment variables and a ``.env`` file; every one, with its default and
meaning, in docs/configuration.md (a test holds the two together).

Owns validation: a bad value or a partly configured channel is a start-up error whose message
names the variable. Imports only the texts module of the project.
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import zoneinfo
from datetime import date, time
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot import texts

DEFAULT_DB_PATH = Path("var") / "xmt.sqlite3"


class SettingsError(Exception):
    """A configuration problem, worded for the person starting the bot."""


# Each channel's variables: all or none must be set.
_WECOM_VARS = ("wecom_corp_id", "wecom_agent_id", "wecom_secret", "wecom_token", "wecom_aes_key")
# Approvals need buttons with callbacks, and DingTalk has those only on template cards: no built-in
# template does it on the card API the bot uses (the built-in StandardCard belongs to the older
# robot interactive-card API, closed to new apps, HTTP callbacks only), so the template id is
# required; the template ships as bot/channels/dingtalk/card_template.json (docs/dingtalk-card.md).
_DINGTALK_VARS = ("dingtalk_client_id", "dingtalk_client_secret", "dingtalk_robot_code",
                  "dingtalk_card_template_id")
# DingTalk's HTTP event subscription (事件订阅, for address-book changes): both or neither, and
# only with the DingTalk channel itself.
_DINGTALK_EVENT_VARS = ("dingtalk_event_token", "dingtalk_event_aes_key")
_TEMPLATE_HINT = ("build the card template once from bot/channels/dingtalk/card_template.json, "
                  "see docs/dingtalk-card.md")


def env_name(field: str) -> str:
    return "XMT_" + field.upper()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="XMT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(default=f"sqlite://{DEFAULT_DB_PATH}")
    timezone: str = "Asia/Shanghai"
    callback_max_age: int = Field(default=300, ge=0)
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    # Slow clients (``xmt serve``/``xmt demo``): seconds a client has for a request head (from
    # connecting, or from the previous answer) and again for its body; open connections at most.
    request_timeout: float = Field(default=10.0, gt=0, le=300)
    max_connections: int = Field(default=512, ge=1, le=100_000)
    # The chat simulator (local channel). None = on when no platform channel is configured.
    simulator: bool | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Outbox delivery: attempts before a message is dead-lettered.
    outbox_max_attempts: int = Field(default=8, ge=1, le=100)
    # Minutes after the last draft activity during which images/files/links attach to it.
    attach_window_minutes: int = Field(default=10, ge=1, le=240)

    # Reminders (Art. 11, 12; the Information Center may tune them, Art. 15).
    work_hours: str = "09:00-18:00"  # reminders to people go out only then, on workdays
    sweep_every_minutes: int = Field(default=10, ge=1, le=240)
    late_days: int = Field(default=2, ge=1, le=30)  # working days past due before the head is told
    zombie_days: int = Field(default=14, ge=2, le=90)  # working days without a post: a "zombie" account
    approval_urge_hours: float = Field(default=4, gt=0, le=72)  # working hours before 催办
    # Art. 5, the annual review: reports from review_opens (MM-DD) to the day before
    # review_closes; a last warning from review_last_warning; from review_closes, an account that
    # handed in no report for the year stops (schedules/review.py).
    review_opens: str = "11-01"
    review_last_warning: str = "11-25"
    review_closes: str = "12-01"

    wechat_api_base: str = "https://api.weixin.qq.com"  # official accounts' API (relaying answers)
    # Art. 13: the Information Center's word lists (block.txt, review.txt, hint.txt)
    wordlist_dir: str = "var/wordlists"
    # Inquiry intake (POST /api/inquiries): "source=token,source2=token2", one bearer token each.
    intake_tokens: SecretStr | None = None

    # Issue 18, the console (/console/): the address people open it at, as seen from their
    # browser behind the proxy (sign-in links in chat and OAuth redirects are built from it;
    # unset: http://XMT_HOST:XMT_PORT, right for the simulator on this machine only); the key its
    # session cookies are encrypted with (a Fernet key: 32 bytes urlsafe-base64; unset: one is
    # made once and kept in the database for every instance); how long a sign-in lasts.
    public_url: str | None = None
    console_secret: SecretStr | None = None
    console_session_hours: float = Field(default=8, gt=0, le=24 * 30)

    # Issue 19, running it for real (docs/operations.md). Metrics: /metrics in the Prometheus text
    # format, off unless a port is set; the bot's own port serves it on the main app, any other
    # port gets a listener of its own on metrics_host (loopback by default: keep it off the proxy).
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"
    # Logs: "text" (one readable line per record) or "json" (one JSON object per line).
    log_format: Literal["text", "json"] = "text"
    # SIGTERM: seconds to finish the work in hand before what is left is stopped and its leases
    # released for the other instances.
    shutdown_timeout: float = Field(default=20.0, gt=0, le=300)
    # The working calendar ahead of the chinesecalendar package: a YAML file of years' holidays
    # and make-up workdays (the organisation file may carry the same under ``holidays:``).
    holidays_file: str | None = None
    # Retention: days a processed inbound event and a delivered outgoing message are kept.
    inbox_keep_days: int = Field(default=30, ge=1, le=3650)
    outbox_keep_days: int = Field(default=30, ge=1, le=3650)

    wecom_corp_id: str | None = None
    wecom_agent_id: int | None = None
    wecom_secret: SecretStr | None = None
    wecom_token: SecretStr | None = None
    wecom_aes_key: SecretStr | None = None
    wecom_api_base: str = "https://qyapi.weixin.qq.com"

    dingtalk_client_id: str | None = None
    dingtalk_client_secret: SecretStr | None = None
    dingtalk_robot_code: str | None = None
    dingtalk_card_template_id: str | None = None
    dingtalk_mode: Literal["http", "stream"] = "http"
    dingtalk_api_base: str = "https://api.dingtalk.com"
    dingtalk_oapi_base: str = "https://oapi.dingtalk.com"
    dingtalk_event_token: SecretStr | None = None
    dingtalk_event_aes_key: SecretStr | None = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("work_hours")
    @classmethod
    def _work_hours(cls, value: str) -> str:
        start, sep, end = value.partition("-")
        try:
            ok = bool(sep) and time.fromisoformat(start.strip()) < time.fromisoformat(end.strip())
        except ValueError:
            ok = False
        if not ok:
            raise ValueError("use HH:MM-HH:MM with the opening before the closing, e.g. 09:00-18:00")
        return value

    @field_validator("review_opens", "review_last_warning", "review_closes")
    @classmethod
    def _month_day(cls, value: str) -> str:
        try:
            month, day = (int(x) for x in value.split("-"))
            date(2024, month, day)
        except ValueError:
            raise ValueError("use MM-DD, e.g. 11-01") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgres://", "postgresql://", "asyncpg://")):
            raise ValueError("must start with sqlite:// or postgres://")
        return value

    @field_validator("wecom_aes_key", "dingtalk_event_aes_key")
    @classmethod
    def _aes_key_length(cls, value: SecretStr | None) -> SecretStr | None:
        # EncodingAESKey is 43 base64 characters (WeCom callback docs; DingTalk's 加密 aes_key too).
        if value is not None and len(value.get_secret_value()) != 43:
            raise ValueError("must be 43 characters (the EncodingAESKey from the admin console)")
        return value

    @model_validator(mode="after")
    def _channels_complete(self) -> Settings:
        for group in (_WECOM_VARS, _DINGTALK_VARS, _DINGTALK_EVENT_VARS):
            present = [name for name in group if getattr(self, name) not in (None, "")]
            if present and len(present) != len(group):
                missing = [env_name(n) for n in group if n not in present]
                hint = f"; {_TEMPLATE_HINT}" if group is _DINGTALK_VARS \
                    and "dingtalk_card_template_id" not in present else ""
                raise ValueError(
                    f"channel partly configured: {', '.join(missing)} missing "
                    f"(set with {', '.join(env_name(n) for n in present)}){hint}"
                )
        if self.dingtalk_event_token is not None and not self.dingtalk_client_id:
            raise ValueError("XMT_DINGTALK_EVENT_TOKEN and XMT_DINGTALK_EVENT_AES_KEY set without the "
                             "DingTalk channel: XMT_DINGTALK_CLIENT_ID missing")
        return self

    @field_validator("dingtalk_card_template_id")
    @classmethod
    def _card_template_id(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return value
        if value.strip().lower() == "standardcard":
            raise ValueError("StandardCard is the built-in template of DingTalk's older robot card API "
                             "(closed to new apps); the card API the bot uses needs a template built "
                             "in DingTalk's card platform: " + _TEMPLATE_HINT)
        if value != value.strip() or any(c.isspace() for c in value):
            raise ValueError("a card template id has no spaces (it looks like "
                             "a1b2c3d4-….schema); " + _TEMPLATE_HINT)
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")) or "?" in value or "#" in value:
            raise ValueError("use the console's address as people open it, e.g. https://xmt.example.gov.cn")
        return value

    @field_validator("console_secret")
    @classmethod
    def _console_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        try:
            ok = len(base64.urlsafe_b64decode(value.get_secret_value().encode("ascii"))) == 32
        except (ValueError, UnicodeEncodeError):
            ok = False
        if not ok:
            raise ValueError("must be 32 bytes in urlsafe base64 (44 characters), e.g. from python -c "
                             "'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'")
        return value

    @field_validator("intake_tokens")
    @classmethod
    def _intake_tokens(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        for pair in value.get_secret_value().split(","):
            source, sep, token = pair.partition("=")
            if not sep or not source.strip() or len(token.strip()) < 16:
                raise ValueError("use source=token pairs separated by commas; tokens of 16+ characters")
        return value

    @property
    def intake_sources(self) -> dict[str, str]:
        """token → source name."""
        if self.intake_tokens is None:
            return {}
        pairs = (p.partition("=") for p in self.intake_tokens.get_secret_value().split(","))
        return {token.strip(): source.strip() for source, _, token in pairs}

    @property
    def site_url(self) -> str:
        """Where people's browsers reach this bot: ``XMT_PUBLIC_URL``, else the listening address
        (a wildcard host by 127.0.0.1: right on this machine only)."""
        return self.public_url or listening_url(self.host, self.port)

    @property
    def wecom_enabled(self) -> bool:
        return self.wecom_corp_id is not None

    @property
    def dingtalk_enabled(self) -> bool:
        return self.dingtalk_client_id is not None

    @property
    def dingtalk_events_enabled(self) -> bool:
        """The HTTP event subscription (``POST /dingtalk/event``) is configured."""
        return self.dingtalk_enabled and self.dingtalk_event_token is not None

    @property
    def simulator_enabled(self) -> bool:
        if self.simulator is not None:
            return self.simulator
        return not (self.wecom_enabled or self.dingtalk_enabled)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


def listening_url(host: str, port: int) -> str:
    """Where a server listening on ``host``:``port`` is reached from this machine (a wildcard host
    by 127.0.0.1)."""
    with contextlib.suppress(ValueError):
        if not host or ipaddress.ip_address(host).is_unspecified:
            host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def load_settings(**overrides: object) -> Settings:
    """Read settings; on error raise SettingsError naming each offending variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = [str(part) for part in err["loc"] if part]
            name = env_name(loc[0]) if loc else "XMT_*"
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"{name}: {msg}" if loc else msg)
        raise SettingsError(texts.SETTINGS_ERROR + "\n  " + "\n  ".join(lines)) from None
