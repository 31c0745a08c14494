"""The shared verification layer (``bot.channels.verify``) proves: timestamps are bounded
integers (too long, negative, not digits → Malformed/400; outside the window → Forbidden/403;
missing → 403), header and query values that are not clean printable ASCII are refused before
anything encodes them, signatures compare in constant time and never raise, XML declarations and
deep XML/JSON are refused by linear scans before any parser, strings PostgreSQL cannot store are
refused, and event keys stay bounded, stable and distinct. Property tests (Hypothesis): any input
→ a result or ``Refused``, never another exception. HTTP level: the DingTalk endpoints (robot and
card) refuse a 400-digit timestamp, header bytes that are not UTF-8, deep JSON before and after
the signature, and ``actionIds: 5`` with 4xx and store nothing; a 10,000-character msgId is
accepted once under a bounded key."""

from __future__ import annotations

import asyncio
import json
import string
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.app import BOT, create_app
from bot.channels import verify
from bot.channels.dingtalk.sign import card_sign, robot_sign
from models import InboundEvent
from tests.conftest import make_settings

NOW = 1_800_000_000  # seconds
SECRET = "dingSecret-7Hq2Vx9LmN4pR8sT0uW3yZ6bC1eF5gJ"


# --- pure -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "unit"), [
    ("", "s"), ("1" * 400, "s"), ("1" * 12, "s"), ("1" * 14, "ms"), ("-1", "s"), ("+1", "s"), (" 1", "s"),
    ("1_000", "s"), ("１２３", "s"), ("٣", "ms"), ("1.5", "s"), ("0x10", "s"),
])
def test_malformed_timestamps_are_400(value: str, unit: Any) -> None:
    with pytest.raises(verify.Malformed) as info:
        verify.timestamp(value, unit=unit)
    assert info.value.status == 400


def test_timestamps_within_their_digits_and_the_window() -> None:
    assert verify.timestamp("1476416373", unit="s") == 1476416373
    assert verify.timestamp("1" * 11, unit="s") == int("1" * 11)
    assert verify.timestamp("1700000000000", unit="ms") == 1_700_000_000_000
    verify.fresh(NOW - 300, unit="s", now=NOW, max_age=300)
    verify.fresh(10**10, unit="s", now=NOW, max_age=0)  # 0: no window
    for stale in (NOW - 301, NOW + 301, 0, 10**11 - 1):
        with pytest.raises(verify.Forbidden) as info:
            verify.fresh(stale, unit="s", now=NOW, max_age=300)
        assert info.value.status == 403
    # DingTalk: never more than one hour, even with the window off or wider
    verify.fresh(NOW * 1000 - 3_599_000, unit="ms", now=NOW, max_age=0, hard_limit=3600)
    with pytest.raises(verify.Forbidden):
        verify.fresh(NOW * 1000 - 3_601_000, unit="ms", now=NOW, max_age=7200, hard_limit=3600)


def test_missing_is_403_present_but_malformed_is_400() -> None:
    with pytest.raises(verify.Forbidden):
        verify.signed("", "sig", unit="s", now=NOW, max_age=0)
    with pytest.raises(verify.Forbidden):
        verify.signed(str(NOW), "", unit="s", now=NOW, max_age=0)
    with pytest.raises(verify.Malformed):
        verify.signed("9" * 400, "sig", unit="s", now=NOW, max_age=0)
    with pytest.raises(verify.Malformed):
        verify.signed(str(NOW), "ab\udcff\udcfecd", unit="s", now=NOW, max_age=0)
    assert verify.signed(str(NOW), "sig", unit="s", now=NOW, max_age=300) == (str(NOW), "sig")


@pytest.mark.parametrize("value", [
    "ab\udcffcd",  # a header byte that is not UTF-8, as aiohttp hands it over
    "héllo", "a b", "tab\there", "nul\x00", "x" * 65, "",
])
def test_ascii_token_refuses_what_is_not_clean(value: str) -> None:
    with pytest.raises(verify.Malformed):
        verify.ascii_token(value if value else "\x7f", name="v", max_len=64)


def test_same_is_exact_constant_time_and_never_raises_on_odd_input() -> None:
    verify.same("abc=", "abc=")
    verify.same("0c3914025cb4", "0C3914025CB4", fold_case=True)
    for given_sig in ("abd=", "ABC=", "abc", "abc\udcff", "中文", "x" * 1000):
        with pytest.raises(verify.Forbidden):
            verify.same("abc=", given_sig)


def test_bearer_tokens() -> None:
    assert verify.bearer("Bearer weibo-token-0123456789abcdef") == "weibo-token-0123456789abcdef"
    for header in ("", "Basic abc", "Bearer ", "Bearer tok\udcffen", "Bearer tök", "Bearer a b",
                   "Bearer " + "x" * 600, "bearer abc"):
        assert verify.bearer(header) is None, header


def test_json_depth_counts_outside_strings_only() -> None:
    verify.json_depth('{"a": "' + "[" * 40 + '\\"' + "{" * 30 + '"}')
    verify.json_depth("[" * 16 + "]" * 16)
    for deep in ("[" * 17 + "]" * 17, '{"a":' * 5000 + "1" + "}" * 5000, "[" * 100_000):
        with pytest.raises(verify.Malformed):
            verify.json_depth(deep)
    with pytest.raises(verify.Malformed):  # UTF-16 is not accepted (it could mislead the scan)
        verify.load_json('["x"]'.encode("utf-16"))


def test_load_json_refuses_unstorable_strings_and_deep_values() -> None:
    assert verify.load_json(b'{"a": ["b", 1, 2.5, true, null]}') == {"a": ["b", 1, 2.5, True, None]}
    for raw in (b'"\\ud800"', b'{"\\udfff": 1}', b'{"a": "x\\u0000y"}', b"\xed\xa0\x80",  # CESU-8
                b"[" * 17 + b"]" * 17, b"1" * 5000, b"", b"{", b"\xff"):
        with pytest.raises(verify.Malformed):
            verify.load_json(raw)


def test_check_tree_on_values_already_parsed() -> None:
    deep: Any = "x"
    for _ in range(10_000):  # built without recursion; check_tree must not recurse either
        deep = [deep]
    for value in (deep, {"a": object()}, {1: "a"}, ["\x00"], b"bytes"):
        with pytest.raises(verify.Malformed):
            verify.check_tree(value)
    verify.check_tree({"a": [{"b": None}], "c": 1.5})


@pytest.mark.parametrize("xml", [
    '<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><A>&a;</A></xml>',
    '<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><xml/>',
    "<xml><!ENTITY a 'b'></xml>", "<xml><!-- a comment --></xml>",
    "<xml>" + "<a>" * 16 + "</a>" * 16 + "</xml>", "<a>" * 100_000, "<xml><![CDATA[never closed</xml>",
])
def test_xml_declarations_and_depth_are_refused(xml: str) -> None:
    with pytest.raises(verify.Malformed):
        verify.xml_guard(xml)


def test_xml_that_platforms_send_passes() -> None:
    verify.xml_guard('<?xml version="1.0" encoding="UTF-8"?><xml><Content><![CDATA[<!DOCTYPE html> <a>'
                     "]]></Content><SelectedItems><SelectedItem><OptionIds><OptionId>1</OptionId>"
                     '</OptionIds></SelectedItem></SelectedItems><E a=">" b=\'<\'/></xml>')
    verify.xml_guard("<a>" * 16 + "</a>" * 16)


def test_event_keys_are_bounded_stable_and_distinct() -> None:
    assert verify.event_key("m", "1456453720") == "m:1456453720"
    long_a, long_b = "k" * 1100, "k" * 1099 + "l"
    key = verify.event_key("e", "zhangsan", "1800000000", "task-1", long_a)
    assert len(key) <= verify.KEY_MAX and key.startswith("e:zhangsan:1800000000:task-1:")
    assert key == verify.event_key("e", "zhangsan", "1800000000", "task-1", long_a)
    assert key != verify.event_key("e", "zhangsan", "1800000000", "task-1", long_b)
    many = verify.event_key(*(["p" * 64] * 6))
    assert len(many) <= verify.KEY_MAX and many != verify.event_key(*(["p" * 64] * 5 + ["q" * 64]))


# --- properties --------------------------------------------------------------------------------------

anything = st.text(alphabet=st.characters(codec=None), max_size=200) | st.sampled_from(
    ["", "1" * 400, "-1", "\udcff", "\x00", "1700000000000"])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30)


@given(value=anything, unit=st.sampled_from(["s", "ms"]), now=st.floats(0, 4e9),
       max_age=st.integers(0, 10**6))
def test_signed_any_input_is_a_pair_or_refused(value: str, unit: Any, now: float, max_age: int) -> None:
    try:
        assert verify.signed(value, value, unit=unit, now=now, max_age=max_age,
                             hard_limit=3600) == (value, value)
    except verify.Refused as exc:
        assert exc.status in (400, 403)


@given(expected=st.text(alphabet=string.ascii_letters + "+/=", max_size=44), given_sig=anything,
       fold=st.booleans())
def test_same_any_input_passes_or_is_forbidden(expected: str, given_sig: str, fold: bool) -> None:
    try:
        verify.same(expected, given_sig, fold_case=fold)
        assert given_sig.lower() == expected.lower() if fold else given_sig == expected
    except verify.Forbidden:
        pass


@given(header=anything)
def test_bearer_any_input(header: str) -> None:
    token = verify.bearer(header)
    assert token is None or (token.isascii() and token.isprintable() and " " not in token)


@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(str.encode) | json_values.map(
    lambda v: json.dumps(v).encode()))
def test_load_json_any_bytes_is_data_or_malformed(raw: bytes) -> None:
    try:
        verify.load_json(raw)
    except verify.Malformed:
        pass


@given(text=st.text(alphabet="<>/!?[]CDATA-xa\"' =&;", max_size=300) | anything)
def test_xml_guard_any_text(text: str) -> None:
    try:
        verify.xml_guard(text)
    except verify.Malformed:
        pass


@given(parts=st.lists(st.text(alphabet=st.characters(exclude_characters=":"), max_size=300),
                      min_size=1, max_size=6),
       other=st.lists(st.text(alphabet=st.characters(exclude_characters=":"), max_size=300),
                      min_size=1, max_size=6))
@settings(max_examples=200)
def test_event_key_properties(parts: list[str], other: list[str]) -> None:
    key = verify.event_key(*parts)
    assert len(key) <= verify.KEY_MAX and key == verify.event_key(*parts)
    if len(other) == len(parts) and other != parts:
        assert verify.event_key(*other) != key


# --- HTTP: the DingTalk endpoints ---------------------------------------------------------------------

async def _dingtalk(aiohttp_client: Any) -> TestClient:  # type: ignore[type-arg]
    settings_ = make_settings(dingtalk_client_id="dingq7c3kzbxmowtqzbs", dingtalk_client_secret=SECRET,
                              dingtalk_robot_code="dingq7c3kzbxmowtqzbs",
                              dingtalk_card_template_id="t.schema",
                              dingtalk_mode="http", dingtalk_api_base="http://127.0.0.1:9",
                              dingtalk_oapi_base="http://127.0.0.1:9", simulator=False, callback_max_age=300)
    app = create_app(settings_, manage_database=False, run_scheduler=False, run_worker=False,
                     clock=lambda: datetime.fromtimestamp(NOW, UTC))
    return await aiohttp_client(app)


def robot_headers(ts: str | None = None) -> dict[str, str]:
    ts = ts or str(NOW * 1000)
    return {"timestamp": ts, "sign": robot_sign(ts, SECRET)}


def card_headers(ts: str | None = None) -> dict[str, str]:
    ts = ts or str(NOW * 1000)
    return {"x-ddpaas-signature-timestamp": ts, "x-ddpaas-signature": card_sign(ts, SECRET)}


def robot_body(msg_id: str = "msgQ7d2Xk9vLs0Pz3mNcR5tYw==", **kw: Any) -> dict[str, Any]:
    return {"conversationId": "cidPzbd2rtPKq7Ve3oXGx0aDw+A==", "conversationType": "1", "msgId": msg_id,
            "senderStaffId": "manager4220", "senderNick": "张三", "msgtype": "text",
            "text": {"content": "帮助"}, "robotCode": "dingq7c3kzbxmowtqzbs",
            "createAt": NOW * 1000, **kw}


def tap_body(**private: Any) -> dict[str, Any]:
    content = {"cardPrivateData": {"actionIds": ["btn1"], "params": {"payload": "ap:12:1"}, **private}}
    return {"type": "actionCallback", "outTrackId": "ap-12-1-3f9c2a71b0de", "corpId": "ding9f50b1c2d3e4f567",
            "userId": "manager4220", "content": json.dumps(content)}


async def raw_request(client: TestClient, head: bytes, body: bytes = b"") -> int:  # type: ignore[type-arg]
    """Send bytes as they are (aiohttp's client would not send a header that is not UTF-8)."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(head + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    await writer.wait_closed()
    return int(status_line.split()[1])


async def test_400_digit_timestamps_are_refused_on_robot_and_card(db: str, aiohttp_client: Any) -> None:
    client = await _dingtalk(aiohttp_client)
    huge = "9" * 400
    for path, headers, body in (("/dingtalk/robot", robot_headers(huge), robot_body()),
                                ("/dingtalk/card", card_headers(huge), tap_body())):
        resp = await client.post(path, json=body, headers=headers)
        assert resp.status == 400, path
        neg = {k: ("-" + str(NOW * 1000) if "timestamp" in k else v) for k, v in headers.items()}
        assert (await client.post(path, json=body, headers=neg)).status == 400
    assert (await client.get("/healthz")).status == 200
    assert await InboundEvent.all().count() == 0


async def test_header_bytes_that_are_not_utf8_are_refused(db: str, aiohttp_client: Any) -> None:
    client = await _dingtalk(aiohttp_client)
    ts = str(NOW * 1000).encode()
    robot = json.dumps(robot_body()).encode()
    tap = json.dumps(tap_body()).encode()
    for path, head, body in (
        (b"/dingtalk/robot", b"timestamp: " + ts + b"\r\nsign: ab\xff\xfe\xc3cd=\r\n", robot),
        (b"/dingtalk/robot", b"timestamp: " + ts + b"\xff\r\nsign: abcd=\r\n", robot),
        (b"/dingtalk/card", b"x-ddpaas-signature-timestamp: " + ts + b"\r\nx-ddpaas-signature: \xe4\xb8\r\n",
         tap),
    ):
        status = await raw_request(client, b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                   b"Content-Type: application/json\r\n" + head, body)
        assert status == 400, (path, head)
    assert (await client.get("/healthz")).status == 200
    assert await InboundEvent.all().count() == 0


async def test_deep_json_before_and_after_the_signature(db: str, aiohttp_client: Any) -> None:
    client = await _dingtalk(aiohttp_client)
    deep = b'{"msgId": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    assert (await client.post("/dingtalk/robot", data=deep)).status == 403  # headers first: unsigned
    assert (await client.post("/dingtalk/robot", data=deep, headers=robot_headers())).status == 400
    nested: Any = "x"
    for _ in range(20):
        nested = {"n": nested}
    assert (await client.post("/dingtalk/card", json=tap_body(params={"payload": "ap:12:1", "n": nested}),
                              headers=card_headers())).status == 400  # deep inside ``content``
    assert await InboundEvent.all().count() == 0


@pytest.mark.parametrize("private", [{"actionIds": 5}, {"actionIds": {"a": 1}}, {"actionIds": [[1]]},
                                     {"params": [1]}, {"params": {"payload": 12}}])
async def test_card_fields_of_the_wrong_type_are_400(db: str, aiohttp_client: Any,
                                                     private: dict[str, Any]) -> None:
    client = await _dingtalk(aiohttp_client)
    resp = await client.post("/dingtalk/card", json=tap_body(**private), headers=card_headers())
    assert resp.status == 400
    assert await InboundEvent.all().count() == 0


async def test_a_lone_surrogate_in_a_msg_id_is_400(db: str, aiohttp_client: Any) -> None:
    client = await _dingtalk(aiohttp_client)
    body = json.dumps(robot_body(msg_id="msg\ud800x")).encode()  # json.dumps writes "\ud800"
    assert b"\\ud800" in body
    assert (await client.post("/dingtalk/robot", data=body, headers=robot_headers())).status == 400
    assert await InboundEvent.all().count() == 0


async def test_a_10000_character_msg_id_is_accepted_once_under_a_bounded_key(
        db: str, aiohttp_client: Any) -> None:
    client = await _dingtalk(aiohttp_client)
    msg_id = "msg" + "Q7d2Xk9vLs0Pz3mN" * 625
    for _ in range(2):  # DingTalk retries: the repeat finds the same key
        resp = await client.post("/dingtalk/robot", json=robot_body(msg_id), headers=robot_headers())
        assert resp.status == 200
    await client.app[BOT].tasks.join()
    (row,) = await InboundEvent.all()
    assert len(row.key) <= len("dingtalk:") + verify.KEY_MAX and len(row.key) == len("dingtalk:") + 64


def test_holder_finds_the_token_among_many() -> None:
    tokens = {"weibo-token-0123456789abcdef": "weibo", "app-token-0123456789abcd": "app"}
    assert verify.holder(tokens, "Bearer app-token-0123456789abcd") == "app"
    for header in ("Bearer app-token-0123456789abc", "Bearer app-token-0123456789abcd\udcff", "", "Bearer "):
        assert verify.holder(tokens, header) is None


def test_xml_guard_fast_and_slow_paths_agree_on_depth_and_declarations() -> None:
    """A message with few elements is judged without walking its tags; one with many is walked.
    Both refuse declarations outside CDATA and nesting beyond the limit, and accept a flat
    document with many elements (a card event with many selected options)."""
    few = "<xml><A><![CDATA[<!DOCTYPE x> and < are text here]]></A><B>1</B></xml>"
    verify.xml_guard(few)
    flat = "<xml>" + "".join(f"<O{i}>{i}</O{i}>" for i in range(40)) + "</xml>"
    verify.xml_guard(flat)
    for doc in ("<xml><!DOCTYPE x><A/></xml>", "<xml><!-- c --></xml>",
                "<xml><A><![CDATA[x]]></A><!ENTITY e 'x'></xml>",
                "<xml>" + "<O/>" * 40 + "<!DOCTYPE x></xml>"):
        with pytest.raises(verify.Malformed):
            verify.xml_guard(doc)
    for opens in (verify.MAX_DEPTH + 1, verify.MAX_DEPTH + 30):  # few tags, then many
        deep = "<a>" * opens + "</a>" * opens
        with pytest.raises(verify.Malformed, match="nested deeper"):
            verify.xml_guard(deep + "<b/>" * 5)
    verify.xml_guard("<a>" * verify.MAX_DEPTH + "</a>" * verify.MAX_DEPTH + "<b/>" * 40)
