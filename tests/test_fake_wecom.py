"""Quick checks that the fake WeCom server (tests/fake_wecom.py) behaves like the real API, driven with a
plain aiohttp client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import xmltodict

from tests.fake_wecom import (
    ERR_RESPONSE_CODE,
    FakeDepartment,
    FakeDirectory,
    FakePerson,
    FakeWeCom,
    ManualClock,
)

AGENT_ID = 1000002


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def wecom(clock: ManualClock) -> AsyncIterator[FakeWeCom]:
    fake = FakeWeCom(clock=clock)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


async def get_json(http: aiohttp.ClientSession, url: str, **params: str) -> dict[str, Any]:
    async with http.get(url, params=params) as resp:
        assert resp.status == 200
        data: dict[str, Any] = await resp.json()
        return data


async def post_json(
    http: aiohttp.ClientSession, url: str, body: dict[str, Any], **params: str
) -> dict[str, Any]:
    async with http.post(url, json=body, params=params) as resp:
        assert resp.status == 200
        data: dict[str, Any] = await resp.json()
        return data


async def token(http: aiohttp.ClientSession, wecom: FakeWeCom) -> str:
    data = await get_json(
        http, f"{wecom.base_url}/cgi-bin/gettoken", corpid=wecom.corp_id, corpsecret=wecom.secret
    )
    assert data["errcode"] == 0 and data["expires_in"] == 7200
    value: str = data["access_token"]
    return value


def card(
    task_id: str, keys: tuple[str, ...] = ("ap:42:1", "rj:42:1"), to: str = "leader01|leader02"
) -> dict[str, Any]:
    return {
        "touser": to,
        "msgtype": "template_card",
        "agentid": AGENT_ID,
        "template_card": {
            "card_type": "button_interaction",
            "main_title": {"title": "稿件待审"},
            "task_id": task_id,
            "button_list": [{"text": f"b{i}", "style": 1, "key": k} for i, k in enumerate(keys)],
        },
    }


def update(code: str, text: str = "已由李四同意") -> dict[str, Any]:
    return {"atall": 1, "agentid": AGENT_ID, "response_code": code, "button": {"replace_name": text}}


async def test_token_required_checked_and_expiring(
    wecom: FakeWeCom, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    url = f"{wecom.base_url}/cgi-bin/gettoken"
    assert (await get_json(http, url, corpid="other", corpsecret=wecom.secret))["errcode"] == 40013
    assert (await get_json(http, url, corpid=wecom.corp_id, corpsecret="wrong"))["errcode"] == 40001

    send = f"{wecom.base_url}/cgi-bin/message/send"
    text = {"touser": "u1", "msgtype": "text", "agentid": AGENT_ID, "text": {"content": "hi"}}
    assert (await post_json(http, send, text))["errcode"] == 41001
    assert (await post_json(http, send, text, access_token="never-issued"))["errcode"] == 40014

    first = await token(http, wecom)
    ok = await post_json(http, send, text, access_token=first)
    assert ok["errcode"] == 0 and ok["msgid"] and "response_code" not in ok

    wecom.expire_tokens()
    expired = await post_json(http, send, text, access_token=first)
    assert expired["errcode"] == 42001 and "more info" in expired["errmsg"]

    second = await token(http, wecom)
    assert (await post_json(http, send, text, access_token=second))["errcode"] == 0
    clock.advance(7200)
    assert (await post_json(http, send, text, access_token=second))["errcode"] == 42001
    assert wecom.tokens_issued == 2
    assert len(wecom.sent) == 2


async def test_task_id_reuse_and_button_rules(wecom: FakeWeCom, http: aiohttp.ClientSession) -> None:
    tok = await token(http, wecom)
    send = f"{wecom.base_url}/cgi-bin/message/send"

    first = await post_json(http, send, card("draft-42-v1"), access_token=tok)
    assert first["errcode"] == 0 and first["response_code"] and first["invaliduser"] == ""
    assert (await post_json(http, send, card("draft-42-v1"), access_token=tok))["errcode"] == 42014
    assert (await post_json(http, send, card("bad id!"), access_token=tok))["errcode"] == 42014
    assert (await post_json(http, send, card("x" * 129), access_token=tok))["errcode"] == 42014

    duplicate_keys = card("draft-43-v1", keys=("k", "k"))
    assert (await post_json(http, send, duplicate_keys, access_token=tok))["errcode"] == 40058
    seven = card("draft-43-v1", keys=tuple(f"k{i}" for i in range(7)))
    assert (await post_json(http, send, seven, access_token=tok))["errcode"] == 40058
    # A refused card does not burn its task_id.
    assert (await post_json(http, send, card("draft-43-v1"), access_token=tok))["errcode"] == 0
    assert [m["template_card"]["task_id"] for m in wecom.sent] == ["draft-42-v1", "draft-43-v1"]


async def test_unknown_users_are_a_partial_failure(wecom: FakeWeCom, http: aiohttp.ClientSession) -> None:
    wecom.unknown_users = {"gone1", "gone2"}
    tok = await token(http, wecom)
    data = await post_json(
        http,
        f"{wecom.base_url}/cgi-bin/message/send",
        card("t1", to="gone1|leader01|gone2"),
        access_token=tok,
    )
    assert data["errcode"] == 0
    assert data["invaliduser"] == "gone1|gone2"


async def test_response_code_is_single_use_and_expires(
    wecom: FakeWeCom, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    tok = await token(http, wecom)
    base = wecom.base_url
    sent = await post_json(http, f"{base}/cgi-bin/message/send", card("draft-42-v1"), access_token=tok)
    send_code = sent["response_code"]
    upd = f"{base}/cgi-bin/message/update_template_card"

    no_target = {"agentid": AGENT_ID, "response_code": send_code, "button": {"replace_name": "x"}}
    assert (await post_json(http, upd, no_target, access_token=tok))["errcode"] == 40058
    assert (await post_json(http, upd, update("never-issued"), access_token=tok))[
        "errcode"
    ] == ERR_RESPONSE_CODE

    assert (await post_json(http, upd, update(send_code), access_token=tok))["errcode"] == 0
    again = await post_json(http, upd, update(send_code), access_token=tok)
    assert again["errcode"] == ERR_RESPONSE_CODE

    tap = wecom.issue_tap_code("draft-42-v1")
    assert wecom.code_task(tap) == "draft-42-v1"
    targeted = {**update(tap), "atall": 0, "userids": ["leader01", "stranger"]}
    answer = await post_json(http, upd, targeted, access_token=tok)
    assert answer["errcode"] == 0 and answer["invaliduser"] == ["stranger"]

    late_tap = wecom.issue_tap_code("draft-42-v1")
    clock.advance(72 * 3600)
    tok = await token(http, wecom)  # the old token has aged out as well
    assert (await post_json(http, upd, update(late_tap), access_token=tok))["errcode"] == ERR_RESPONSE_CODE

    assert wecom.response_codes_used() == {send_code, tap}
    assert len(wecom.updates) == 2
    with pytest.raises(KeyError):
        wecom.issue_tap_code("no-such-card")


async def test_webhook_rate_limit_rolls_with_the_clock(
    wecom: FakeWeCom, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    url = f"{wecom.base_url}/cgi-bin/webhook/send"
    msg = {
        "msgtype": "text",
        "text": {"content": "请于今日17:00前提交年审报告", "mentioned_list": ["zhangsan"]},
    }
    for _ in range(20):
        assert (await post_json(http, url, msg, key="robot-1"))["errcode"] == 0
        clock.advance(1)
    assert (await post_json(http, url, msg, key="robot-1"))["errcode"] == 45009
    assert (await post_json(http, url, msg, key="robot-2"))["errcode"] == 0  # the limit is per robot
    assert len(wecom.webhook["robot-1"]) == 20

    clock.advance(40)  # 60 s after the first accepted message: one slot frees up
    assert (await post_json(http, url, msg, key="robot-1"))["errcode"] == 0
    assert (await post_json(http, url, msg, key="robot-1"))["errcode"] == 45009
    clock.advance(60)
    assert (await post_json(http, url, msg, key="robot-1"))["errcode"] == 0
    assert len(wecom.webhook["robot-1"]) == 22

    too_long = {"msgtype": "text", "text": {"content": "字" * 683}}  # 2049 bytes of UTF-8
    assert (await post_json(http, url, too_long, key="robot-3"))["errcode"] == 40058
    wecom.robot_keys = {"robot-1"}
    assert (await post_json(http, url, msg, key="robot-9"))["errcode"] == 93000


async def test_faults_come_first_and_are_consumed_in_order(
    wecom: FakeWeCom, http: aiohttp.ClientSession
) -> None:
    tok = await token(http, wecom)
    send = f"{wecom.base_url}/cgi-bin/message/send"
    wecom.fail("message/send", -1)
    wecom.fail("message/send", "http500")

    busy = await post_json(http, send, card("t1"), access_token="not-even-a-token")
    assert busy["errcode"] == -1
    async with http.post(send, json=card("t1"), params={"access_token": tok}) as resp:
        assert resp.status == 500
    assert wecom.sent == []
    assert (await post_json(http, send, card("t1"), access_token=tok))["errcode"] == 0
    assert len(wecom.sent) == 1 and wecom.calls["message/send"] == 3

    wecom.fail("gettoken", 45009, times=2)
    url = f"{wecom.base_url}/cgi-bin/gettoken"
    for _ in range(2):
        assert (await get_json(http, url, corpid=wecom.corp_id, corpsecret=wecom.secret))["errcode"] == 45009
    assert wecom.tokens_issued == 1
    with pytest.raises(ValueError, match="unknown path"):
        wecom.fail("message/sned", -1)


async def test_timeout_faults_and_quick_shutdown(wecom: FakeWeCom, http: aiohttp.ClientSession) -> None:
    tok = await token(http, wecom)
    send = f"{wecom.base_url}/cgi-bin/message/send"
    wecom.timeout_delay = 0.3
    short = aiohttp.ClientTimeout(total=0.1)

    wecom.fail("message/send", "timeout")
    with pytest.raises(asyncio.TimeoutError):
        async with http.post(send, json=card("t1"), params={"access_token": tok}, timeout=short):
            pass
    # "late" processes the request, then stalls: the card exists although the client saw a timeout.
    wecom.fail("message/send", "late")
    with pytest.raises(asyncio.TimeoutError):
        async with http.post(send, json=card("t2"), params={"access_token": tok}, timeout=short):
            pass
    assert [m["template_card"]["task_id"] for m in wecom.sent] == ["t2"]
    assert (await post_json(http, send, card("t2"), access_token=tok))["errcode"] == 42014

    wecom.timeout_delay = 30
    wecom.fail("message/send", "timeout")
    with pytest.raises(asyncio.TimeoutError):
        async with http.post(send, json=card("t3"), params={"access_token": tok}, timeout=short):
            pass
    started = time.monotonic()
    await wecom.stop()
    assert time.monotonic() - started < 3


async def test_media_round_trip(wecom: FakeWeCom, http: aiohttp.ClientSession) -> None:
    tok = await token(http, wecom)
    base = wecom.base_url
    payload = b"%PDF-1.7 fake report" * 10
    form = aiohttp.FormData(quote_fields=False)  # the default would percent-encode the file name
    form.add_field("media", payload, filename="年审报告.pdf", content_type="application/pdf")
    async with http.post(
        f"{base}/cgi-bin/media/upload", data=form, params={"access_token": tok, "type": "file"}
    ) as r:
        uploaded = await r.json()
    assert uploaded["errcode"] == 0 and uploaded["type"] == "file" and uploaded["created_at"].isdigit()
    assert wecom.uploads == [("file", "年审报告.pdf", payload)]

    params = {"access_token": tok, "media_id": uploaded["media_id"]}
    async with http.get(f"{base}/cgi-bin/media/get", params=params) as r:
        assert r.status == 200 and r.content_type == "application/pdf"
        assert r.content_disposition is not None and r.content_disposition.filename == "年审报告.pdf"
        assert await r.read() == payload

    wecom.media["seeded"] = (b"\x89PNG....", "image/png", "photo.png")
    async with http.get(f"{base}/cgi-bin/media/get", params={"access_token": tok, "media_id": "seeded"}) as r:
        assert r.content_type == "image/png" and await r.read() == b"\x89PNG...."

    async with http.get(f"{base}/cgi-bin/media/get", params={"access_token": tok, "media_id": "nope"}) as r:
        assert r.content_type == "application/json"
        assert (await r.json())["errcode"] == 40007

    tiny = aiohttp.FormData()
    tiny.add_field("media", b"hi", filename="a.txt")
    async with http.post(
        f"{base}/cgi-bin/media/upload", data=tiny, params={"access_token": tok, "type": "file"}
    ) as r:
        assert (await r.json())["errcode"] == 40006


async def test_appchat_needs_a_known_chat(wecom: FakeWeCom, http: aiohttp.ClientSession) -> None:
    tok = await token(http, wecom)
    url = f"{wecom.base_url}/cgi-bin/appchat/send"
    msg = {"chatid": "chat1", "msgtype": "text", "text": {"content": "周报提醒"}, "safe": 0}
    assert (await post_json(http, url, msg, access_token=tok))["errcode"] == 86001
    wecom.chats.add("chat1")
    assert (await post_json(http, url, msg, access_token=tok))["errcode"] == 0
    template = {"chatid": "chat1", "msgtype": "template_card", "template_card": {"card_type": "text_notice"}}
    assert (await post_json(http, url, template, access_token=tok))["errcode"] == 40008
    assert wecom.appchat == [msg]


async def test_duplicate_check_drops_a_repeat_within_its_interval(
    wecom: FakeWeCom, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    tok = await token(http, wecom)
    url = f"{wecom.base_url}/cgi-bin/message/send"
    body = {"touser": "zhangsan", "agentid": AGENT_ID, "msgtype": "text", "text": {"content": "会议通知"},
            "enable_duplicate_check": 1, "duplicate_check_interval": 600}
    for _ in range(2):
        data = await post_json(http, url, body, access_token=tok)
        assert data["errcode"] == 0 and data["msgid"]
    assert len(wecom.sent) == 1 and len(wecom.duplicates) == 1  # answered ok, dropped
    await post_json(http, url, {**body, "touser": "lisi"}, access_token=tok)  # another recipient
    await post_json(http, url, {**body, "enable_duplicate_check": 0}, access_token=tok)  # not asked
    assert len(wecom.sent) == 3
    clock.advance(601)
    await post_json(http, url, body, access_token=tok)
    assert len(wecom.sent) == 4 and len(wecom.duplicates) == 1


async def test_token_outage_refuses_even_fresh_tokens_until_it_ends(
    wecom: FakeWeCom, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    wecom.token_outage_until = clock() + 60
    body = {"touser": "zhangsan", "agentid": AGENT_ID, "msgtype": "text", "text": {"content": "x"}}
    url = f"{wecom.base_url}/cgi-bin/message/send"
    data = await post_json(http, url, body, access_token=await token(http, wecom))
    assert data["errcode"] == 42001
    clock.advance(60)
    data = await post_json(http, url, body, access_token=await token(http, wecom))
    assert data["errcode"] == 0


async def test_whole_card_update_follows_the_send_rules(
    wecom: FakeWeCom, http: aiohttp.ClientSession
) -> None:
    """``update_template_card`` may replace the whole card (doc 94888, 更新为新的卡片): it needs a
    title and, for a button card, 1–6 buttons with keys; a refused body does not spend the code."""
    tok = await token(http, wecom)
    base = wecom.base_url
    sent = await post_json(http, f"{base}/cgi-bin/message/send", card("draft-44-v1"), access_token=tok)
    upd = f"{base}/cgi-bin/message/update_template_card"
    whole = {"atall": 1, "agentid": AGENT_ID, "response_code": sent["response_code"],
             "template_card": {"card_type": "button_interaction",
                               "main_title": {"title": "稿件 D44：已通过"},
                               "button_list": [{"text": "已通过", "style": 4, "key": "closed"}],
                               "replace_text": "已通过 · 李四"}}
    untitled = {**whole, "template_card": {**whole["template_card"], "main_title": {}}}
    assert (await post_json(http, upd, untitled, access_token=tok))["errcode"] == 40058
    buttonless = {**whole, "template_card": {**whole["template_card"], "button_list": []}}
    assert (await post_json(http, upd, buttonless, access_token=tok))["errcode"] == 40058
    assert (await post_json(http, upd, whole, access_token=tok))["errcode"] == 0
    assert wecom.updates == [whole]


async def test_contact_changes_are_the_documented_callbacks_and_change_the_directory(
    wecom: FakeWeCom, clock: ManualClock, http: aiohttp.ClientSession
) -> None:
    wecom.directory = FakeDirectory(
        departments=[FakeDepartment(1, "某某县人民政府"), FakeDepartment(2, "宣传部", 1, leaders=["lisi"]),
                     FakeDepartment(3, "教育局", 1)],
        people=[FakePerson("zhangsan", "张三", "13800000001", [2]),
                FakePerson("lisi", "李四", "13800000002", [2])])
    moved = xmltodict.parse(wecom.member_changes("lisi", department=[3, 2], name="李四光"))["xml"]
    assert moved == {"ToUserName": wecom.corp_id, "FromUserName": "sys", "CreateTime": str(int(clock())),
                     "MsgType": "event", "Event": "change_contact", "ChangeType": "update_user",
                     "UserID": "lisi", "Name": "李四光", "Department": "3,2", "MainDepartment": "3",
                     "IsLeaderInDept": "0,1"}
    left = xmltodict.parse(wecom.member_leaves("zhangsan"))["xml"]
    assert (left["ChangeType"], left["UserID"], left["FromUserName"]) == ("delete_user", "zhangsan", "sys")
    party = xmltodict.parse(wecom.department_removed(3))["xml"]
    assert (party["ChangeType"], party["Id"]) == ("delete_party", "3")

    access = await token(http, wecom)
    gone = await get_json(http, f"{wecom.base_url}/cgi-bin/user/get", access_token=access, userid="zhangsan")
    assert gone["errcode"] == 60111
    lisi = await get_json(http, f"{wecom.base_url}/cgi-bin/user/get", access_token=access, userid="lisi")
    assert (lisi["name"], lisi["department"]) == ("李四光", [2])  # 3 is gone: only what still exists
    listed = await get_json(http, f"{wecom.base_url}/cgi-bin/department/list", access_token=access)
    assert [d["id"] for d in listed["department"]] == [1, 2]
