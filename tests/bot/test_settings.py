"""Settings: a partly configured channel or a bad value stops start-up naming the variable."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # no stray .env
    import os

    for name in list(os.environ):
        if name.startswith("XMT_"):
            monkeypatch.delenv(name)


def test_defaults_run_the_simulator_on_sqlite() -> None:
    s = load_settings()
    assert s.database_url.startswith("sqlite://") and s.simulator_enabled
    assert s.timezone == "Asia/Shanghai" and s.callback_max_age == 300


def test_partly_configured_wecom_names_missing_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XMT_WECOM_CORP_ID", "ww123")
    monkeypatch.setenv("XMT_WECOM_SECRET", "s3cr3t-value")
    with pytest.raises(SettingsError) as err:
        load_settings()
    message = str(err.value)
    for name in ("XMT_WECOM_AGENT_ID", "XMT_WECOM_TOKEN", "XMT_WECOM_AES_KEY"):
        assert name in message
    assert "s3cr3t-value" not in message


def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XMT_TIMEZONE", "Mars/Olympus")
    monkeypatch.setenv("XMT_CALLBACK_MAX_AGE", "-5")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert "XMT_TIMEZONE" in str(err.value) and "XMT_CALLBACK_MAX_AGE" in str(err.value)


def test_env_file_is_read(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".env").write_text("XMT_DINGTALK_MODE=ftp\n")
    with pytest.raises(SettingsError, match="XMT_DINGTALK_MODE"):
        load_settings()


def test_full_wecom_config_turns_simulator_off(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"CORP_ID": "ww1", "AGENT_ID": "1000002", "SECRET": "x" * 10,
                        "TOKEN": "tok", "AES_KEY": "a" * 43}.items():
        monkeypatch.setenv(f"XMT_WECOM_{name}", value)
    s = load_settings()
    assert s.wecom_enabled and not s.simulator_enabled


def test_slow_client_limits_have_defaults_and_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    s = load_settings()
    assert s.request_timeout == 10.0 and s.max_connections == 512
    monkeypatch.setenv("XMT_REQUEST_TIMEOUT", "2.5")
    monkeypatch.setenv("XMT_MAX_CONNECTIONS", "64")
    s = load_settings()
    assert s.request_timeout == 2.5 and s.max_connections == 64
    monkeypatch.setenv("XMT_REQUEST_TIMEOUT", "0")
    monkeypatch.setenv("XMT_MAX_CONNECTIONS", "0")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert "XMT_REQUEST_TIMEOUT" in str(err.value) and "XMT_MAX_CONNECTIONS" in str(err.value)
