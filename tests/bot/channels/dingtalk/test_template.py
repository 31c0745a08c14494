"""Issue 14, DingTalk set-up: the card template ships as a file (bot/channels/dingtalk/
card_template.json) because no built-in DingTalk template carries buttons that call back on the card
API the bot uses (docs/dingtalk-card.md gives the sources). These tests prove that the file, the
renderer, the callback parser, the docs and the settings agree: the bot sends exactly the variables
the file declares, a tap returns the parameter the file names, the docs list every variable, and a
configuration that names the built-in ``StandardCard`` or lacks the template id is refused with the
way to build it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.cards import Button, Card
from bot.channels.dingtalk import render
from bot.channels.dingtalk.parse import parse_card_callback
from bot.settings import Settings, SettingsError, env_name, load_settings
from tests.fake_dingtalk import TEMPLATE_FILE, FakeDingTalk

ROOT = Path(__file__).resolve().parents[4]
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
LIVE = Card(card_id="ap-12", title="稿件待审核 D12", subtitle="冬季供暖服务指南",
            fields=(("账号", "某某发布"), ("类别", "工作动态")), body="今年供暖季自11月15日开始。",
            buttons=(Button("通过", "ap:12:1"), Button("驳回", "ap:12:0", "danger")),
            highlights=("全文和附件：发送“查看 D12”",))


def test_the_renderer_reads_the_shipped_file() -> None:
    assert render.TEMPLATE_FILE.resolve() == TEMPLATE_FILE.resolve()
    declared = json.loads(TEMPLATE_FILE.read_text(encoding="utf-8"))
    assert render.MAX_BUTTONS == declared["buttons"]["max"] == 4
    assert render.CALLBACK_PARAM == declared["buttons"]["callback_param"] == "payload"


@pytest.mark.parametrize("status", ["", "已通过 · 李四 · 10:42"])
def test_card_data_is_exactly_the_declared_variables_as_strings(status: str) -> None:
    card = LIVE if not status else Card(**{**LIVE.__dict__, "status": status})
    params = render.card_params(card)
    assert sorted(params) == sorted(render.template_variables())
    assert all(isinstance(v, str) for v in params.values())
    assert params["title"] == "稿件待审核 D12" and params["body"].startswith("今年供暖季")
    assert params["btn_count"] == ("0" if status else "2")


def test_every_declared_variable_is_documented() -> None:
    doc = (ROOT / "docs" / "dingtalk-card.md").read_text(encoding="utf-8")
    for variable in json.loads(TEMPLATE_FILE.read_text(encoding="utf-8"))["variables"]:
        assert f"`{variable['name']}`" in doc, variable["name"]
    for name in ("btn1_text", "btn4_payload", "btn1_style", "card_template.json", "StandardCard"):
        assert name in doc, name


def test_a_tap_on_the_built_template_reaches_the_bot_as_its_payload() -> None:
    fake = FakeDingTalk()
    body = render.create_card(LIVE, user="manager4220", template_id="xmt-approval.schema",
                              robot_code=fake.app_key, key="outbox-7", stream=True)
    track = body["outTrackId"]
    fake.cards[track] = {**body, "cardParamMap": body["cardData"]["cardParamMap"], "privateData": {}}
    seen = fake.shown(track, "manager4220")
    assert seen["ignored"] == []
    assert [(b["text"], b["style"]) for b in seen["buttons"]] == [("通过", "primary"), ("驳回", "danger")]
    event = parse_card_callback(fake.tap(track, "manager4220", "驳回"), NOW)
    assert (event.payload, event.sender, event.card_id) == ("ap:12:0", "manager4220", track)

    fake.cards[track]["cardParamMap"].update(render.update_card(track, Card(
        **{**LIVE.__dict__, "status": "已驳回 · 李四 · 10:42"}))["cardData"]["cardParamMap"])
    closed = fake.shown(track, "manager4220")
    assert closed["buttons"] == [] and closed["variables"]["title"] == "稿件待审核 D12"
    assert closed["variables"]["fields"].startswith("**账号**：某某发布")
    with pytest.raises(LookupError):
        fake.tap(track, "manager4220", "通过")


DINGTALK = {"dingtalk_client_id": "dingabcdefghijk", "dingtalk_client_secret": "s" * 64,
            "dingtalk_robot_code": "dingabcdefghijk"}


@pytest.mark.parametrize("template_id", ["StandardCard", "standardcard"])
def test_the_built_in_standard_card_is_refused_with_the_reason(template_id: str) -> None:
    with pytest.raises(ValidationError) as exc:
        Settings(_env_file=None, **DINGTALK, dingtalk_card_template_id=template_id)  # type: ignore[call-arg]
    message = str(exc.value)
    assert "older robot card API" in message and "card_template.json" in message


def test_a_missing_template_id_says_how_to_build_it() -> None:
    with pytest.raises(ValidationError) as exc:
        Settings(_env_file=None, **DINGTALK)  # type: ignore[call-arg]
    message = str(exc.value)
    assert "XMT_DINGTALK_CARD_TEMPLATE_ID missing" in message and "docs/dingtalk-card.md" in message
    wecom_only = {"wecom_corp_id": "ww1234567890abcdef"}
    with pytest.raises(ValidationError) as exc:
        Settings(_env_file=None, **wecom_only)  # type: ignore[call-arg]
    assert "card_template.json" not in str(exc.value)


def test_a_template_id_from_the_card_platform_is_taken() -> None:
    settings = Settings(_env_file=None, **DINGTALK,  # type: ignore[call-arg]
                        dingtalk_card_template_id="3e5a1f2c-8d4b-4c6e-9a7f-1b2c3d4e5f60.schema")
    assert settings.dingtalk_card_template_id == "3e5a1f2c-8d4b-4c6e-9a7f-1b2c3d4e5f60.schema"
    with pytest.raises(ValidationError):
        Settings(_env_file=None, **DINGTALK, dingtalk_card_template_id="3e5a1f2c .schema")  # type: ignore[call-arg]


def test_start_up_names_the_variable_and_the_way(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**DINGTALK, "dingtalk_card_template_id": "StandardCard"}.items():
        monkeypatch.setenv(env_name(name), value)
    with pytest.raises(SettingsError) as exc:
        load_settings(_env_file=None)
    assert "XMT_DINGTALK_CARD_TEMPLATE_ID: StandardCard is the built-in template" in str(exc.value)
