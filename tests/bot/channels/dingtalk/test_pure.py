"""DingTalk signatures, parsing and rendering (pure), with the public vectors of
DingTalk's signature documentation (customize-robot-security-settings, event-callback-card)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cards import Button, Card, Text
from bot.channels import verify
from bot.channels.dingtalk import render
from bot.channels.dingtalk.parse import Malformed, loads, parse_card_callback, parse_robot_message
from bot.channels.dingtalk.sign import card_sign, robot_sign, signed_robot_url
from bot.events import CardAction, ImageMessage, TextMessage, UnsupportedMessage

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
ROBOT_SAMPLE = {
    "conversationId": "cidjMOsz******AhS4Jg==",
    "atUsers": [{"dingtalkId": "$:LWCP_v1:$v*********f1+2ow21Zzg"}],
    "chatbotCorpId": "ding9f50*****6741", "chatbotUserId": "$:LWCP_v1:$v*********1+2ow21Zzg",
    "msgId": "msg2*****p+w==", "senderNick": "小钉", "isAdmin": True, "senderStaffId": "452523285939877041",
    "sessionWebhookExpiredTime": 1695204671648, "createAt": 1695199269062,
    "senderCorpId": "ding9f50*****6741", "conversationType": "2",
    "senderId": "$:LWCP_v1:$C*********pnNGsP0HS+", "conversationTitle": "统一应用模型-测试群",
    "isInAtList": True,
    "sessionWebhook": "https://oapi.dingtalk.com/robot/sendBySession?session=c610ee93e4d96899d9236bd4bea185dd",
    "text": {"content": " 你好"}, "robotCode": "ding1f*******dabddc", "msgtype": "text"}
CARD_SAMPLE = {"type": "actionCallback", "outTrackId": "XXXXXX", "corpId": "dingXXXXXX", "userId": "XXXXXX",
               "content": "{\"cardPrivateData\":{\"actionIds\":[\"1\"],\"params\":{\"action\":\"accept\"}}}"}


@pytest.mark.parametrize(("ts", "secret", "sign"), [
    ("1577262236757", "this is secret", "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM="),
    ("1700000000000", "SEC1234567890abcdef", "RqBq3E1RTBDv3n2QBCh4adZ2WHk9mVklyUoDBLxarjI="),
])
def test_jiaqian_vectors(ts: str, secret: str, sign: str) -> None:
    assert robot_sign(ts, secret) == sign


def test_signed_robot_url_encodes_like_quote_plus() -> None:
    url = signed_robot_url("https://oapi.dingtalk.com/robot/send?access_token=TOKEN", "this is secret",
                           1577262236757)
    assert url == ("https://oapi.dingtalk.com/robot/send?access_token=TOKEN&timestamp=1577262236757"
                   "&sign=hmPWwU%2B7lVdm3ZZz0r9tSfx0L4Q26jWOZr9%2BGs6EZQM%3D")


def test_card_signature_vector() -> None:
    assert card_sign("1546084445901", "testappSecret") == "HCbG3xNE3vzhO+u7qCUL1jS5hsu2n5r2cFhnTrtyDAE="


def _fresh(ts: str, now_ms: int, max_age: int) -> bool:
    try:
        verify.signed(ts, "c2lnbg==", unit="ms", now=now_ms / 1000, max_age=max_age,
                      hard_limit=verify.DINGTALK_MAX_SKEW)
    except verify.Forbidden:
        return False
    return True


def test_freshness_one_hour_or_stricter() -> None:
    now = 1_700_000_000_000
    assert _fresh(str(now - 3_599_000), now, 0) and not _fresh(str(now - 3_601_000), now, 0)
    assert not _fresh(str(now - 301_000), now, 300) and _fresh(str(now + 299_000), now, 300)
    assert not _fresh("", now, 0)
    for malformed in ("yesterday", "-1700000000000", "1" * 400, "１７００", " 1700000000000", "17_000"):
        with pytest.raises(verify.Malformed):
            _fresh(malformed, now, 0)


def test_robot_message_sample() -> None:
    (event,), session = parse_robot_message(ROBOT_SAMPLE, NOW)
    assert isinstance(event, TextMessage)
    assert (event.sender, event.text, event.key) == ("452523285939877041", "你好", "msg2*****p+w==")
    assert event.chat == "cidjMOsz******AhS4Jg=="  # a group message
    assert session is not None and session.group and session.expires_ms == 1695204671648


def test_rich_text_becomes_text_then_pictures_and_other_kinds() -> None:
    body = {**ROBOT_SAMPLE, "conversationType": "1", "msgtype": "richText", "content": {"richText": [
        {"text": "投稿 @某某发布 1 标题"}, {"downloadCode": "DC1", "type": "picture"},
        {"downloadCode": "DC2", "type": "picture"}]}}
    events, session = parse_robot_message(body, NOW)
    assert [type(e).__name__ for e in events] == ["TextMessage", "ImageMessage", "ImageMessage"]
    assert [e.key for e in events] == ["msg2*****p+w==", "msg2*****p+w==#1", "msg2*****p+w==#2"]
    assert isinstance(events[1], ImageMessage) and events[1].media_id == "DC1"
    assert session is not None and not session.group and events[0].chat is None
    (audio,), _ = parse_robot_message({**body, "msgtype": "audio", "content": {}}, NOW)
    assert isinstance(audio, UnsupportedMessage) and audio.what == "audio"


def test_card_callback_sample_and_our_payload() -> None:
    event = parse_card_callback(CARD_SAMPLE, NOW)
    assert isinstance(event, CardAction)
    assert (event.card_id, event.sender, event.extra["action_ids"]) == ("XXXXXX", "XXXXXX", "1")
    assert json.loads(event.extra["params"]) == {"action": "accept"}
    assert event.payload == ""  # not one of our buttons: the router answers "expired button"
    ours = {**CARD_SAMPLE, "content": json.dumps(
        {"cardPrivateData": {"actionIds": ["btn1"], "params": {"payload": "ap:12:1"}}})}
    assert parse_card_callback(ours, NOW).payload == "ap:12:1"


@pytest.mark.parametrize("raw", [b"", b"[]", b"{", b"\xff", b'"text"'])
def test_junk_json_is_malformed(raw: bytes) -> None:
    with pytest.raises(Malformed):
        loads(raw)


@pytest.mark.parametrize("body", [{}, {"msgId": "1"}, {"msgId": "1", "senderStaffId": "u"}])
def test_robot_message_without_essentials_is_malformed(body: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(Malformed):
        parse_robot_message(body, NOW)


def test_card_callback_with_bad_content_is_malformed() -> None:
    with pytest.raises(Malformed):
        parse_card_callback({**CARD_SAMPLE, "content": "{not json"}, NOW)


def test_template_card_variables_and_closing() -> None:
    card = Card(card_id="ap-12-1", title="稿件待审核 D12", subtitle="标题", fields=(("账号", "某某发布"),),
                body="正文", buttons=(Button("通过", "ap:12:1"), Button("驳回", "rj:12:1", "danger")))
    body = render.create_card(card, user="lisi", template_id="T.schema", robot_code="dingX", key="k1",
                              stream=False)
    params = body["cardData"]["cardParamMap"]
    assert all(isinstance(v, str) for v in params.values())
    assert (params["btn_count"], params["btn1_payload"], params["btn2_text"]) == ("2", "ap:12:1", "驳回")
    assert body["openSpaceId"] == "dtv1.card//IM_ROBOT.lisi" and body["callbackType"] == "HTTP"
    assert body["callbackRouteKey"] == render.ROUTE_KEY
    assert body["outTrackId"] == render.out_track_id("ap-12-1", "k1") != render.out_track_id("ap-12-1", "k2")
    # A closed card as bot.cards makes it (status set, buttons gone); built here so that this
    # test of the renderer does not depend on how the handlers word the outcome title.
    decided = dataclasses.replace(card, status="已通过 · 李四 · 10:42", buttons=())
    closed = render.update_card(body["outTrackId"], decided)
    assert closed["cardData"]["cardParamMap"]["btn_count"] == "0"
    assert closed["cardData"]["cardParamMap"]["status"] == "已通过 · 李四 · 10:42"
    assert closed["cardUpdateOptions"]["updateCardDataByKey"] is True


def test_texts_for_robot_and_webhooks() -> None:
    one = render.robot_one_to_one("dingX", "lisi", Text("你好"))
    assert one["msgKey"] == "sampleText" and json.loads(one["msgParam"]) == {"content": "你好"}
    hook = render.webhook_message(Text("请提交年审报告"), ["zhangsan"])
    assert hook["at"]["atUserIds"] == ["zhangsan"] and "@zhangsan" in hook["text"]["content"]


# --- hardening: any value in, an event or Malformed out; ids typed and bounded; keys bounded -------

@pytest.mark.parametrize("data", [None, "null", [], "[]", [ROBOT_SAMPLE], 5, True, "text", b"{}", object()])
def test_stream_data_that_is_not_an_object_is_malformed(data: Any) -> None:
    with pytest.raises(Malformed):
        parse_robot_message(data, NOW)
    with pytest.raises(Malformed):
        parse_card_callback(data, NOW)


def _tap(**private: Any) -> dict[str, Any]:
    content = {"cardPrivateData": {"actionIds": ["btn1"], "params": {"payload": "ap:12:1"}, **private}}
    return {**CARD_SAMPLE, "outTrackId": "ap-12-1-3f9c2a71b0de", "userId": "manager4220",
            "content": json.dumps(content)}


@pytest.mark.parametrize("body", [
    _tap(actionIds=5), _tap(actionIds="btn1"), _tap(actionIds=[{"a": 1}]), _tap(actionIds=[True]),
    _tap(params=[1]), _tap(params="x"), _tap(params={"payload": 5}), _tap(params={"payload": None}),
    {**_tap(), "content": "[]"}, {**_tap(), "content": "null"},
    {**_tap(), "content": '{"cardPrivateData": 5}'}, {**_tap(), "content": "[" * 5000 + "]" * 5000},
    {**_tap(), "userId": "u" * 65}, {**_tap(), "userId": 42}, {**_tap(), "outTrackId": "t" * 129},
    {**_tap(), "outTrackId": "track\nid"}, {**_tap(), "userId": "\ud800"},
])
def test_card_fields_of_the_wrong_type_or_length_are_malformed(body: dict[str, Any]) -> None:
    with pytest.raises(Malformed):
        parse_card_callback(body, NOW)


@pytest.mark.parametrize("change", [
    {"senderStaffId": "s" * 65}, {"senderStaffId": ["manager4220"]}, {"conversationId": "c" * 129},
    {"conversationId": 7}, {"msgId": "msg\x00"}, {"text": {"content": "hi\udc80"}},
    {"sessionWebhook": "https://oapi.dingtalk.com/" + "x" * 3000},
])
def test_robot_fields_of_the_wrong_type_or_length_are_malformed(change: dict[str, Any]) -> None:
    with pytest.raises(Malformed):
        parse_robot_message({**ROBOT_SAMPLE, **change}, NOW)


def test_long_ids_give_bounded_stable_distinct_keys() -> None:
    msg_id = "msg" + "Q7d2Xk9vLs0Pz3mN" * 625  # 10,003 characters
    body = {**ROBOT_SAMPLE, "msgId": msg_id, "msgtype": "richText", "content": {"richText": [
        {"text": "图"}, {"downloadCode": "DC1"}]}}
    events, _ = parse_robot_message(body, NOW)
    assert all(len(e.key) <= verify.KEY_MAX + 3 for e in events)
    assert [e.key for e in parse_robot_message(body, NOW)[0]] == [e.key for e in events]
    assert events[1].key == events[0].key + "#1"
    other, _ = parse_robot_message({**body, "msgId": msg_id + "x"}, NOW)
    assert other[0].key != events[0].key
    tap = _tap(params={"payload": "ap:12:1", "note": "n" * 2000})
    key = parse_card_callback(tap, NOW).key
    assert len(key) <= verify.KEY_MAX and key.startswith("c:ap-12-1-3f9c2a71b0de:manager4220:")
    assert parse_card_callback(_tap(params={"payload": "ap:12:1", "note": "n" * 1999}), NOW).key != key


def test_the_session_expiry_is_an_integer_in_range_or_zero() -> None:
    for odd in (2**70, -5, True, "1695204671648", 1.5e12):
        _, session = parse_robot_message({**ROBOT_SAMPLE, "sessionWebhookExpiredTime": odd}, NOW)
        assert session is not None and session.expires_ms == 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
    | st.sampled_from(["text", "richText", "picture", "file", "2", "msgQ7==", "manager4220", "\ud800"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["msgId", "senderStaffId", "msgtype", "conversationType", "conversationId", "text",
                         "content", "richText", "downloadCode", "sessionWebhook", "sessionWebhookExpiredTime",
                         "outTrackId", "userId", "cardPrivateData", "actionIds", "params", "payload"])
        | st.text(max_size=6), inner, max_size=6),
    max_leaves=40)


@st.composite
def card_bodies(draw: st.DrawFn) -> Any:
    """Card callbacks whose ``content`` is JSON text of any value (the usual place for surprises)."""
    body = draw(st.dictionaries(st.sampled_from(["outTrackId", "userId", "type"]), json_values, max_size=3))
    body.setdefault("outTrackId", "ap-12-1-3f9c2a71b0de")
    body.setdefault("userId", "manager4220")
    body["content"] = json.dumps(draw(json_values))
    return body


@given(value=json_values | card_bodies())
@settings(max_examples=400, deadline=None)
def test_any_json_value_gives_events_or_malformed(value: Any) -> None:
    try:
        events, session = parse_robot_message(value, NOW)
        assert events and all(len(e.key) <= verify.KEY_MAX + 8 for e in events)
        assert session is None or isinstance(session.expires_ms, int)
    except Malformed:
        pass
    try:
        tap = parse_card_callback(value, NOW)
        assert isinstance(tap, CardAction) and isinstance(tap.payload, str)
    except Malformed:
        pass


@given(raw=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
@settings(max_examples=300, deadline=None)
def test_loads_any_bytes_gives_an_object_or_malformed(raw: bytes) -> None:
    try:
        assert isinstance(loads(raw), dict)
    except Malformed:
        pass
