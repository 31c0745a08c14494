"""Quick checks that the fake DingTalk server (tests/fake_dingtalk.py) behaves like the real APIs, driven
with a plain aiohttp client."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote_plus

import aiohttp
import pytest

from tests.fake_dingtalk import (
    CODE_CARD_ALREADY_EXIST,
    CODE_CARD_NOT_EXIST,
    CODE_CONVERSATION_INVALID,
    CODE_INVALID_AUTH,
    CODE_INVALID_CLIENT,
    CODE_MSG_PARAM_INVALID,
    CODE_OPEN_SPACE_ID_INVALID,
    CODE_TEMPLATE_NOT_EXIST,
    FakeDingTalk,
    ManualClock,
    ddpaas_sign,
    robot_sign,
)

TEMPLATE = "xmt-approval.schema"
Answer = tuple[int, dict[str, Any]]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def ding(clock: ManualClock) -> AsyncIterator[FakeDingTalk]:
    async with FakeDingTalk(clock=clock) as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


async def call(
    http: aiohttp.ClientSession,
    ding: FakeDingTalk,
    path: str,
    body: dict[str, Any],
    token: str | None = None,
    method: str = "POST",
) -> Answer:
    headers = {"x-acs-dingtalk-access-token": token} if token else {}
    async with http.request(method, f"{ding.base_url}/v1.0/{path}", json=body, headers=headers) as resp:
        data: dict[str, Any] = await resp.json()
        return resp.status, data


async def post_url(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> dict[str, Any]:
    async with http.post(url, json=body) as resp:
        assert resp.status == 200
        data: dict[str, Any] = await resp.json()
        return data


async def token(http: aiohttp.ClientSession, ding: FakeDingTalk) -> str:
    status, data = await call(
        http, ding, "oauth2/accessToken", {"appKey": ding.app_key, "appSecret": ding.app_secret}
    )
    assert status == 200 and data["expireIn"] == 7200
    value: str = data["accessToken"]
    return value


def card(out_track_id: str, space: str = "dtv1.card//IM_GROUP.cid-1", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "cardTemplateId": TEMPLATE,
        "outTrackId": out_track_id,
        "callbackType": "STREAM",
        "cardData": {"cardParamMap": {"title": "稿件待审", "status": "pending"}},
        "openSpaceId": space,
        "imGroupOpenSpaceModel": {"supportForward": False},
        "imGroupOpenDeliverModel": {"robotCode": "dingtestappkey", "atUserIds": {"lisi": "李四"}},
        "imRobotOpenSpaceModel": {"supportForward": False},
        "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT", "robotCode": "dingtestappkey"},
    }
    return {**body, **extra}


def text_msg(content: str = "周报提醒", key: str = "sampleText") -> dict[str, Any]:
    return {"robotCode": "dingtestappkey", "msgKey": key, "msgParam": json.dumps({"content": content})}


def test_sign_vectors() -> None:
    # DingTalk's published signature examples (robot 加签, card callback)
    assert robot_sign("this is secret", 1577262236757) == "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM="
    assert quote_plus(robot_sign("this is secret", "1577262236757")) == (
        "hmPWwU%2B7lVdm3ZZz0r9tSfx0L4Q26jWOZr9%2BGs6EZQM%3D"
    )
    assert robot_sign("SEC1234567890abcdef", 1700000000000) == "RqBq3E1RTBDv3n2QBCh4adZ2WHk9mVklyUoDBLxarjI="
    assert ddpaas_sign("testappSecret", 1546084445901) == "HCbG3xNE3vzhO+u7qCUL1jS5hsu2n5r2cFhnTrtyDAE="


async def test_token_is_cached_renewed_and_expires(
    ding: FakeDingTalk, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    status, data = await call(http, ding, "oauth2/accessToken", {"appKey": ding.app_key, "appSecret": "x"})
    assert status == 400 and data["code"] == CODE_INVALID_CLIENT and data["requestid"]
    status, data = await call(http, ding, "oauth2/accessToken", {"appKey": ding.app_key})
    assert status == 400 and data["code"] == "MissingappSecret"
    async with http.post(f"{ding.base_url}/v1.0/oauth2/accessToken", data={"appKey": "k"}) as resp:
        assert resp.status == 400 and (await resp.json())["code"] == "Missingbody"  # form, not JSON

    first = await token(http, ding)
    clock.advance(7000)
    assert await token(http, ding) == first  # same token, lifetime renewed
    clock.advance(7000)
    send = text_msg() | {"userIds": ["u1"]}
    assert (await call(http, ding, "robot/oToMessages/batchSend", send, first))[0] == 200
    assert ding.access_token == first

    for tok in (None, "never-issued"):
        status, data = await call(http, ding, "robot/oToMessages/batchSend", {}, tok)
        assert status == 401 and data["code"] == CODE_INVALID_AUTH
    ding.expire_tokens()
    assert ding.access_token is None
    status, data = await call(http, ding, "robot/oToMessages/batchSend", send, first)
    assert status == 401 and data["code"] == CODE_INVALID_AUTH
    second = await token(http, ding)
    assert second != first
    clock.advance(7200)
    status, _ = await call(http, ding, "robot/oToMessages/batchSend", send, second)
    assert status == 401
    assert ding.tokens_issued == 3 and len(ding.one_to_one) == 1


async def test_card_create_duplicate_and_update(ding: FakeDingTalk, http: aiohttp.ClientSession) -> None:
    tok = await token(http, ding)
    ding.unknown_users = {"gone"}
    space = "dtv1.card//IM_GROUP.cid-1;dtv1.card//IM_ROBOT.lisi;dtv1.card//IM_ROBOT.gone"
    status, data = await call(http, ding, "card/instances/createAndDeliver", card("draft-42-v1", space), tok)
    assert status == 200 and data["success"] is True
    results = data["result"]["deliverResults"]
    assert data["result"]["outTrackId"] == "draft-42-v1"
    assert [(r["spaceType"], r["spaceId"], r["success"]) for r in results] == [
        ("IM_GROUP", "cid-1", True),
        ("IM_ROBOT", "lisi", True),
        ("IM_ROBOT", "gone", False),
    ]
    assert results[0]["carrierId"] and results[2]["errorMsg"]

    status, data = await call(http, ding, "card/instances/createAndDeliver", card("draft-42-v1"), tok)
    assert status == 400 and data["code"] == CODE_CARD_ALREADY_EXIST
    refusals: list[tuple[dict[str, Any], str]] = [
        (card("t2", cardTemplateId="other.schema"), CODE_TEMPLATE_NOT_EXIST),
        (card("t2", space="dtv1.card//IM_CHAT.x"), CODE_OPEN_SPACE_ID_INVALID),
        (card("t2", space="cid-1"), CODE_OPEN_SPACE_ID_INVALID),
        (card("t2", outTrackId=""), "MissingoutTrackId"),
        (card("t2", callbackType="HTTP"), "MissingcallbackRouteKey"),
        (card("t2", callbackType="stream"), "param.callbackTypeInvalid"),
        (card("t2", imGroupOpenDeliverModel=None), "MissingimGroupOpenDeliverModel"),
        (card("t2", imGroupOpenDeliverModel={"robotCode": "other"}), "param.robotCodeInvalid"),
        (card("t2", cardData={"cardParamMap": {"count": 1}}), "InvalidParameter"),
    ]
    for body, code in refusals:
        status, data = await call(http, ding, "card/instances/createAndDeliver", body, tok)
        assert (status, data["code"]) == (400, code), body
    callback = card("t2", callbackType="HTTP", callbackRouteKey="xmt-card")
    assert (await call(http, ding, "card/instances/createAndDeliver", callback, tok))[0] == 200
    assert [c["outTrackId"] for c in ding.created] == ["draft-42-v1", "t2"]

    merge = {
        "outTrackId": "draft-42-v1",
        "cardData": {"cardParamMap": {"status": "agree", "decidedBy": "李四"}},
        "privateData": {"lisi": {"cardParamMap": {"myChoice": "agree"}}},
        "cardUpdateOptions": {"updateCardDataByKey": True, "updatePrivateDataByKey": True},
    }
    ok = (200, {"success": True, "result": True})
    assert await call(http, ding, "card/instances", merge, tok, "PUT") == ok
    current = ding.cards["draft-42-v1"]
    assert current["cardParamMap"] == {"title": "稿件待审", "status": "agree", "decidedBy": "李四"}
    assert current["privateData"] == {"lisi": {"cardParamMap": {"myChoice": "agree"}}}
    replace = {"outTrackId": "draft-42-v1", "cardData": {"cardParamMap": {"status": "closed"}}}
    assert (await call(http, ding, "card/instances", replace, tok, "PUT"))[0] == 200
    assert current["cardParamMap"] == {"status": "closed"}

    status, data = await call(http, ding, "card/instances", {**replace, "outTrackId": "nope"}, tok, "PUT")
    assert status == 400 and data["code"] == CODE_CARD_NOT_EXIST
    assert len(ding.updates) == 2

    tap = ding.tap_payload("draft-42-v1", "lisi", {"action": "agree"})
    assert tap["type"] == "actionCallback" and tap["userId"] == "lisi"
    assert json.loads(tap["content"]) == {
        "cardPrivateData": {"actionIds": ["1"], "params": {"action": "agree"}}
    }


async def test_batch_send_invalid_and_flow_controlled(
    ding: FakeDingTalk, http: aiohttp.ClientSession
) -> None:
    tok = await token(http, ding)
    ding.unknown_users = {"gone"}
    ding.flow_control("busy1", times=2)
    body = text_msg() | {"userIds": ["lisi", "gone", "busy1"]}
    for expected in (["busy1"], ["busy1"], []):
        status, data = await call(http, ding, "robot/oToMessages/batchSend", body, tok)
        assert status == 200 and data["processQueryKey"]
        assert data["invalidStaffIdList"] == ["gone"]
        assert data["flowControlledStaffIdList"] == expected
    assert [m["userId"] for m in ding.one_to_one] == ["lisi", "lisi", "lisi", "busy1"]
    assert ding.one_to_one[0]["msgParam"] == {"content": "周报提醒"}

    refusals: list[tuple[dict[str, Any], str]] = [
        (text_msg() | {"userIds": [f"u{i}" for i in range(21)]}, "param.userIdsInvalid"),
        (text_msg() | {"userIds": []}, "MissinguserIds"),
        (text_msg() | {"userIds": ["u"], "msgParam": {"content": "x"}}, "InvalidParameter"),
        (text_msg(key="sampleMarkdown") | {"userIds": ["u"]}, CODE_MSG_PARAM_INVALID),
        (text_msg(key="sampleVoice") | {"userIds": ["u"]}, "param.msgKeyInvalid"),
        (text_msg() | {"userIds": ["u"], "robotCode": "other"}, "param.robotCodeInvalid"),
    ]
    for refused, code in refusals:
        status, data = await call(http, ding, "robot/oToMessages/batchSend", refused, tok)
        assert (status, data["code"]) == (400, code), refused
    assert len(ding.one_to_one) == 4

    group = {
        "robotCode": "dingtestappkey",
        "openConversationId": "cid-1",
        "msgKey": "sampleMarkdown",
        "msgParam": json.dumps({"title": "提醒", "text": "**周报**"}),
    }
    assert (await call(http, ding, "robot/groupMessages/send", group, tok))[0] == 200
    ding.conversations = {"cid-2"}
    status, data = await call(http, ding, "robot/groupMessages/send", group, tok)
    assert status == 400 and data["code"] == CODE_CONVERSATION_INVALID
    assert ding.group_messages == [
        {
            "openConversationId": "cid-1",
            "msgKey": "sampleMarkdown",
            "msgParam": {"title": "提醒", "text": "**周报**"},
            "robotCode": "dingtestappkey",
        }
    ]


async def test_robot_sign_and_timestamp(
    ding: FakeDingTalk, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    access_token, secret = ding.new_robot(secret="this is secret")
    msg = {"msgtype": "text", "text": {"content": "请于今日17:00前提交年审报告"}}
    assert await post_url(http, ding.robot_url(access_token), msg) == {"errcode": 0, "errmsg": "ok"}

    # The §8.1 sample itself, with the clock set half an hour after its timestamp.
    clock.now = 1577262236.757 + 1800
    doc_url = (
        f"{ding.base_url}/robot/send?access_token={access_token}"
        "&timestamp=1577262236757&sign=hmPWwU%2B7lVdm3ZZz0r9tSfx0L4Q26jWOZr9%2BGs6EZQM%3D"
    )
    assert (await post_url(http, doc_url, msg))["errcode"] == 0
    raw_plus = doc_url.replace("%2B", "+")  # read as spaces: the sign no longer matches
    assert await post_url(http, raw_plus, msg) == {"errcode": 310000, "errmsg": "sign not match"}
    wrong_key = ding.robot_url(access_token, secret="SECother")
    assert (await post_url(http, wrong_key, msg))["errcode"] == 310000
    clock.advance(1800.001)  # now more than an hour after the timestamp
    assert await post_url(http, doc_url, msg) == {"errcode": 310000, "errmsg": "invalid timestamp"}
    future = ding.robot_url(access_token, timestamp_ms=int(clock() * 1000) + 3_600_001)
    assert (await post_url(http, future, msg))["errcode"] == 310000

    unknown = ding.robot_url(access_token).replace(access_token, "nope")
    assert (await post_url(http, unknown, {"msgtype": "text"}))["errcode"] == 400101
    url = ding.robot_url(access_token)
    assert (await post_url(http, url, {"msgtype": "text", "text": {}}))["errcode"] == 40035
    assert (await post_url(http, url, {"msgtype": "voice"}))["errcode"] == 40008
    too_long = {"msgtype": "text", "text": {"content": "字" * 6667}}  # 20001 bytes of UTF-8
    assert (await post_url(http, url, too_long))["errcode"] == 460101
    card_msg = {
        "msgtype": "actionCard",
        "actionCard": {"title": "t", "text": "x", "btns": [{"title": "查看", "actionURL": "https://x"}]},
    }
    assert (await post_url(http, url, card_msg))["errcode"] == 0
    assert len(ding.robot_messages[access_token]) == 3
    assert secret == "this is secret"


async def test_robot_rate_limit_blocks_for_ten_minutes(
    ding: FakeDingTalk, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    access_token, _ = ding.new_robot()
    other, _ = ding.new_robot()
    msg = {"msgtype": "markdown", "markdown": {"title": "提醒", "text": "### 周报"}}
    for _ in range(20):
        assert (await post_url(http, ding.robot_url(access_token), msg))["errcode"] == 0
        clock.advance(1)
    assert (await post_url(http, ding.robot_url(access_token), msg))["errcode"] == 410100
    assert ding.robot_blocked_until(access_token) == pytest.approx(clock() + 600)
    assert (await post_url(http, ding.robot_url(other), msg))["errcode"] == 0  # per robot

    clock.advance(120)  # the minute has long rolled over, but the robot is blocked
    assert (await post_url(http, ding.robot_url(access_token), msg))["errcode"] == 410100
    clock.advance(479)
    assert (await post_url(http, ding.robot_url(access_token), msg))["errcode"] == 410100
    clock.advance(1)
    assert ding.robot_blocked_until(access_token) is None
    assert (await post_url(http, ding.robot_url(access_token), msg))["errcode"] == 0
    assert len(ding.robot_messages[access_token]) == 21

    # msgUuid makes a resend idempotent.
    again = {**msg, "msgUuid": "reminder-7"}
    assert (await post_url(http, ding.robot_url(other), again))["errcode"] == 0
    assert (await post_url(http, ding.robot_url(other), again))["errcode"] == 0
    assert len(ding.robot_messages[other]) == 2


async def test_session_webhook_valid_then_expired(
    ding: FakeDingTalk, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    url, expires_ms = ding.new_session_webhook("lisi", ttl_s=60)
    assert expires_ms == int((clock() + 60) * 1000)
    reply = {"msgtype": "text", "text": {"content": "已收到"}, "at": {"atUserIds": ["lisi"]}}
    assert (await post_url(http, url, reply))["errcode"] == 0
    clock.advance(60)
    assert (await post_url(http, url, reply))["errcode"] == 300001
    unknown = f"{ding.base_url}/robot/sendBySession?session=x"
    assert (await post_url(http, unknown, reply))["errcode"] == 300001
    assert ding.session_messages == [{"userId": "lisi", "conversationId": None, **reply}]

    message = ding.robot_message("wangwu", "你好", conversation_id="cid-9")
    assert message["conversationType"] == "2" and message["text"]["content"] == " 你好"
    assert message["sessionWebhookExpiredTime"] == int((clock() + 5400) * 1000)
    assert (await post_url(http, message["sessionWebhook"], reply))["errcode"] == 0
    assert ding.session_messages[-1]["userId"] == "wangwu"
    assert ding.session_messages[-1]["conversationId"] == "cid-9"


async def test_file_download(ding: FakeDingTalk, http: aiohttp.ClientSession, clock: ManualClock) -> None:
    tok = await token(http, ding)
    ding.files["dc-1"] = (b"%PDF-1.7 report", "application/pdf", "年审报告.pdf")
    body = {"downloadCode": "dc-1", "robotCode": "dingtestappkey"}
    status, data = await call(http, ding, "robot/messageFiles/download", body, tok)
    assert status == 200 and "&Expires=" not in data["downloadUrl"] and "?Expires=" in data["downloadUrl"]
    url = data["downloadUrl"]
    async with http.get(url) as resp:
        assert resp.status == 200 and resp.content_type == "application/pdf"
        assert await resp.read() == b"%PDF-1.7 report"
    clock.advance(3600)
    async with http.get(url) as resp:
        assert resp.status == 403
    async with http.get(f"{ding.base_url}/files/unknown") as resp:
        assert resp.status == 404
    status, data = await call(http, ding, "robot/messageFiles/download", {**body, "downloadCode": "x"}, tok)
    assert status == 400 and data["code"] == "param.downloadCodeInvalid"
    assert ding.downloads == ["dc-1"] and ding.file_gets == ["dc-1"]


async def test_faults_are_consumed_in_order_and_not_recorded(
    ding: FakeDingTalk, http: aiohttp.ClientSession
) -> None:
    tok = await token(http, ding)
    path = "card/instances/createAndDeliver"
    ding.fail(path, "qps")
    ding.fail("/v1.0/" + path, "busy")
    ding.fail(path, "expired")
    ding.fail(path, (400, "send.too.fast"))
    ding.fail(path, "http500")
    assert ding.pending_faults(path) == 5
    expected = [
        (403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"),
        (500, "system.busy"),
        (401, CODE_INVALID_AUTH),
        (400, "send.too.fast"),
    ]
    for status, code in expected:
        answer = await call(http, ding, path, card("t1"), "not-even-a-token")
        assert (answer[0], answer[1]["code"]) == (status, code)
    async with http.post(f"{ding.base_url}/v1.0/{path}", json=card("t1")) as resp:
        assert resp.status == 500 and resp.content_type == "text/plain"
    assert ding.cards == {}
    assert (await call(http, ding, path, card("t1"), tok))[0] == 200
    assert ding.calls[path] == 6 and ding.pending_faults(path) == 0

    access_token, _ = ding.new_robot()
    msg = {"msgtype": "text", "text": {"content": "x"}}
    ding.fail("robot/send", 410100, times=2)
    for _ in range(2):
        assert (await post_url(http, ding.robot_url(access_token), msg))["errcode"] == 410100
    assert access_token not in ding.robot_messages
    assert ding.robot_blocked_until(access_token) is None  # an injected 410100 does not block
    with pytest.raises(ValueError, match="unknown path"):
        ding.fail("robot/sned", 410100)
    with pytest.raises(ValueError, match="new-API fault"):
        ding.fail("robot/send", "qps")
    with pytest.raises(ValueError, match="errcode faults"):
        ding.fail("card/instances", -1)


async def test_timeout_faults_and_quick_shutdown(ding: FakeDingTalk, http: aiohttp.ClientSession) -> None:
    tok = await token(http, ding)
    ding.timeout_delay = 0.3
    short = aiohttp.ClientTimeout(total=0.1)
    url = f"{ding.base_url}/v1.0/card/instances/createAndDeliver"
    headers = {"x-acs-dingtalk-access-token": tok}

    ding.fail("card/instances/createAndDeliver", "timeout")
    with pytest.raises(asyncio.TimeoutError):
        async with http.post(url, json=card("t1"), headers=headers, timeout=short):
            pass
    # "late" processes the request, then stalls: the card exists although the client saw a timeout.
    ding.fail("card/instances/createAndDeliver", "late")
    with pytest.raises(asyncio.TimeoutError):
        async with http.post(url, json=card("t2"), headers=headers, timeout=short):
            pass
    assert list(ding.cards) == ["t2"]
    status, data = await call(http, ding, "card/instances/createAndDeliver", card("t2"), tok)
    assert status == 400 and data["code"] == CODE_CARD_ALREADY_EXIST

    ding.timeout_delay = 30
    ding.fail("card/instances/createAndDeliver", "timeout")
    with pytest.raises(asyncio.TimeoutError):
        async with http.post(url, json=card("t3"), headers=headers, timeout=short):
            pass
    started = time.monotonic()
    await ding.stop()
    assert time.monotonic() - started < 3


def test_callback_header_helpers(clock: ManualClock) -> None:
    fake = FakeDingTalk(clock=clock)
    headers = fake.robot_callback_headers()
    assert headers["timestamp"] == str(int(clock() * 1000))
    assert headers["sign"] == robot_sign(fake.app_secret, headers["timestamp"])
    card_headers = fake.card_callback_headers("testappSecret", timestamp_ms=1546084445901)
    assert card_headers["x-ddpaas-signature"] == "HCbG3xNE3vzhO+u7qCUL1jS5hsu2n5r2cFhnTrtyDAE="
    with pytest.raises(RuntimeError):
        fake.new_session_webhook("lisi")  # URLs need a started server


async def test_token_outage_and_download_base(
    ding: FakeDingTalk, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    ding.token_outage_until = clock() + 60
    ding.files["dc-1"] = (b"%PDF-1.7 report", "application/pdf", "年审报告.pdf")
    body = {"downloadCode": "dc-1", "robotCode": "dingtestappkey"}
    status, data = await call(http, ding, "robot/messageFiles/download", body, await token(http, ding))
    assert status == 401 and data["code"] == "InvalidAuthentication"
    clock.advance(60)
    ding.download_base = "https://down.dingtalk.com"
    status, data = await call(http, ding, "robot/messageFiles/download", body, await token(http, ding))
    assert status == 200 and data["downloadUrl"].startswith("https://down.dingtalk.com/files/")


async def test_shown_and_tap_follow_the_shipped_template(
    ding: FakeDingTalk, http: aiohttp.ClientSession
) -> None:
    """Issue 14 (DingTalk set-up): the fake plays the template built from card_template.json —
    declared variables only, buttons up to btn_count, private data per user, and a tap carries the
    template's callback parameter ``payload``; a hidden button cannot be tapped."""
    tok = await token(http, ding)
    params = {"title": "稿件待审核 D12", "status": "", "btn_count": "1", "btn1_text": "通过",
              "btn1_payload": "ap:12:1", "btn1_style": "primary", "btn2_text": "驳回",
              "btn2_payload": "ap:12:0", "colour": "red"}
    body = card("ap-12-x", "dtv1.card//IM_ROBOT.manager4220", cardData={"cardParamMap": params},
                privateData={"manager4220": {"cardParamMap": {"btn_count": "2"}}})
    assert (await call(http, ding, "card/instances/createAndDeliver", body, tok))[0] == 200
    others = ding.shown("ap-12-x")
    assert [b["text"] for b in others["buttons"]] == ["通过"] and others["ignored"] == ["colour"]
    assert others["variables"]["body"] == "" and others["variables"]["title"] == "稿件待审核 D12"
    mine = ding.shown("ap-12-x", "manager4220")
    assert [b["text"] for b in mine["buttons"]] == ["通过", "驳回"]
    tap = ding.tap("ap-12-x", "manager4220", "驳回")
    assert tap["outTrackId"] == "ap-12-x" and tap["userId"] == "manager4220"
    assert json.loads(tap["content"]) == {
        "cardPrivateData": {"actionIds": ["btn2"], "params": {"payload": "ap:12:0"}}}
    with pytest.raises(LookupError):
        ding.tap("ap-12-x", "lisi", "驳回")
    close = {"outTrackId": "ap-12-x", "cardData": {"cardParamMap": {"btn_count": "0", "status": "已通过"}},
             "privateData": {"manager4220": {"cardParamMap": {"btn_count": "0"}}},
             "cardUpdateOptions": {"updateCardDataByKey": True, "updatePrivateDataByKey": True}}
    assert (await call(http, ding, "card/instances", close, tok, "PUT"))[0] == 200
    assert ding.shown("ap-12-x", "manager4220")["buttons"] == []
    with pytest.raises(LookupError):
        ding.tap("ap-12-x", "manager4220", "通过")
