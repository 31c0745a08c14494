"""DingTalk signatures, parsing and rendering (pure), with the public vectors of
protocols/dingtalk.md §8."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

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
    closed = render.update_card(body["outTrackId"], card.closed("已通过 · 李四 · 10:42"))
    assert closed["cardData"]["cardParamMap"]["btn_count"] == "0"
    assert closed["cardData"]["cardParamMap"]["status"] == "已通过 · 李四 · 10:42"
    assert closed["cardUpdateOptions"]["updateCardDataByKey"] is True


def test_texts_for_robot_and_webhooks() -> None:
    one = render.robot_one_to_one("dingX", "lisi", Text("你好"))
    assert one["msgKey"] == "sampleText" and json.loads(one["msgParam"]) == {"content": "你好"}
    hook = render.webhook_message(Text("请提交年审报告"), ["zhangsan"])
    assert hook["at"]["atUserIds"] == ["zhangsan"] and "@zhangsan" in hook["text"]["content"]
