"""Property tests at HTTP level, per endpoint: whatever the query, headers or body — signed or not —
the answer is below 500, no exception escapes, a request that is refused changes nothing, and an
event that is accepted ends ``processed`` or ``failed`` with a reason (never ``received``, never
one of our crashes: see ``CRASHES`` in ``tests/test_hostile.py``).

How Hypothesis meets the async app: the app, its database (the ``db`` fixture: SQLite, or
PostgreSQL under ``scripts/with-postgres``) and the test client live on the test's event loop;
the ``@given`` property runs in a worker thread (``asyncio.to_thread``) and hands each request to
that loop with ``run_coroutine_threadsafe``. One app per test function, every example against it;
refusal-only properties compare the whole state before and after the run.

Examples per test: ``XMT_FUZZ_EXAMPLES`` (40 by default; ``make fuzz`` sets thousands).
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import InboundEvent, InboundStatus
from tests.hostile import (
    ANY,
    DING_IDS,
    INTAKE,
    OPENID,
    WECHAT_ACCOUNT,
    WECHAT_APP_ID,
    Req,
    Signer,
    fuzz_examples,
    raw_http,
    send,
    send_raw,
)
from tests.test_hostile import CRASHES, Hostile, open_world, snapshot

T = TypeVar("T")
FUZZ = settings(
    max_examples=fuzz_examples(),
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=list(HealthCheck),
)

# -- strategies ------------------------------------------------------------------------------------
ODD = st.sampled_from(["\ud800", "\udfff", "\x00", "\u202e", "\ufeff", "\U0001f600", "<", "&", "]", "%"])
ANY_CHAR = st.characters(codec=None, categories=None, exclude_categories=())
TEXT = st.text(st.one_of(ANY_CHAR, ODD), max_size=40)
CLEAN_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)  # encodable as UTF-8
BIG_INT = st.one_of(
    st.integers(), st.integers(min_value=2**62, max_value=2**80), st.integers(max_value=-(2**62))
)
NUMBERISH = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.text("0123456789-+ ._e", max_size=30),
    st.just("9" * 400),
    TEXT,
)
SCALAR = st.one_of(st.none(), st.booleans(), BIG_INT, st.floats(allow_nan=False), TEXT)
JSON = st.recursive(
    SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)
NOT_THE_HEAD = [ding_id for code, ding_id in DING_IDS.items() if code != "lisi"]
PEOPLE = st.sampled_from(["zhangsan", "chenqi", "zhouba", "wujiu", "zhaoliu", "wo-stranger", "w" * 64])
XML_TAGS = [
    "ToUserName",
    "FromUserName",
    "CreateTime",
    "MsgType",
    "Content",
    "MsgId",
    "AgentID",
    "Event",
    "EventKey",
    "TaskId",
    "CardType",
    "ResponseCode",
    "MediaId",
    "PicUrl",
    "Title",
    "Url",
    "SelectedItems",
    "Encrypt",
]
MSG_TYPES = st.sampled_from(["text", "image", "voice", "video", "file", "link", "location", "event", ""])
EVENTS = st.sampled_from(["template_card_event", "enter_agent", "subscribe", "click", "view", "LOCATION", ""])


@st.composite
def wecom_xml(draw: st.DrawFn, sender: st.SearchStrategy[str] = PEOPLE) -> str:
    """A WeCom-like plaintext: known tags with arbitrary (UTF-8) values, sometimes nested."""
    fields = {"FromUserName": draw(sender), "MsgType": draw(MSG_TYPES)}
    if fields["MsgType"] == "event":
        fields["Event"] = draw(EVENTS)
    for tag in draw(st.lists(st.sampled_from(XML_TAGS), max_size=6)):
        fields[tag] = draw(st.one_of(CLEAN_TEXT, NUMBERISH))
    parts = []
    for tag, value in fields.items():
        value = value.encode("utf-8", "replace").decode("utf-8")
        if draw(st.booleans()):
            parts.append(f"<{tag}><![CDATA[{value.replace(']]>', '')}]]></{tag}>")
        else:
            escaped = value.replace("&", "&amp;").replace("<", "&lt;")
            parts.append(f"<{tag}>{escaped}</{tag}>")
    if draw(st.booleans()):
        parts.append(
            "<SelectedItems><SelectedItem><QuestionKey>q</QuestionKey><OptionIds>"
            + "".join(f"<OptionId>{n}</OptionId>" for n in range(draw(st.integers(0, 3))))
            + "</OptionIds></SelectedItem></SelectedItems>"
        )
    return "<xml>" + "".join(parts) + "</xml>"


@st.composite
def robot_body(draw: st.DrawFn) -> Any:
    """A DingTalk robot message with some fields replaced by any JSON value, or any JSON value."""
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON)
    s = Signer(1_790_000_000, "", random.Random(draw(st.integers(0, 2**32))))
    body = s.robot_message(
        draw(st.sampled_from([*NOT_THE_HEAD, "manager0000"])),
        draw(CLEAN_TEXT),
        msgtype=draw(st.sampled_from(["text", "picture", "richText", "file", "audio"])),
    )
    for key in draw(st.lists(st.sampled_from([*body, "content", "richText"]), max_size=4)):
        body[key] = draw(JSON)
    if body.get("msgtype") == "richText" and draw(st.booleans()):
        body["content"] = {
            "richText": draw(
                st.lists(
                    st.dictionaries(st.sampled_from(["text", "downloadCode", "type"]), JSON, max_size=3),
                    max_size=4,
                )
            )
        }
    return body


@st.composite
def card_body(draw: st.DrawFn) -> Any:
    """A DingTalk card callback whose fields, content and payload are anything."""
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON)
    private: Any = {
        "actionIds": draw(st.one_of(st.lists(TEXT, max_size=3), JSON)),
        "params": draw(
            st.one_of(
                st.dictionaries(
                    st.just("payload"),
                    st.one_of(st.sampled_from(["ap:1:1", "rj:1:1", "sub:1:1", f"ap:{2**70}:1"]), TEXT),
                ),
                JSON,
            )
        ),
    }
    content: Any = {"cardPrivateData": private if draw(st.integers(0, 4)) else draw(JSON)}
    body: dict[str, Any] = {
        "type": "actionCallback",
        "outTrackId": draw(st.one_of(st.sampled_from(["ap-1-lisi-0634412255847012", "pv-1"]), TEXT)),
        "corpId": "dingtestcorp",
        "userId": draw(st.one_of(st.sampled_from(NOT_THE_HEAD), JSON)),
        "content": json.dumps(content) if draw(st.integers(0, 4)) else draw(JSON),
    }
    return body


@st.composite
def intake_body(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON)
    body: dict[str, Any] = {
        "account": draw(st.one_of(st.just(WECHAT_ACCOUNT), JSON)),
        "text": draw(st.one_of(CLEAN_TEXT.filter(bool), JSON)),
    }
    for key in draw(st.lists(st.sampled_from(["from", "id", "extra"]), max_size=3)):
        body[key] = draw(JSON)
    return body


# -- driving ---------------------------------------------------------------------------------------
@pytest.fixture
async def world(db: str, aiohttp_client: Any) -> Any:
    async with open_world(aiohttp_client) as w:
        yield w


def on(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on the app's loop from Hypothesis's thread."""
    return asyncio.run_coroutine_threadsafe(coro, loop).result(60)


async def status_of(w: Hostile, req: Req) -> int:
    w.errors.names.clear()
    status = await send(w.client, req)
    if status >= 500 or status == 0:
        raise AssertionError(f"{status} for {req.describe()}; server logged {w.errors.names}")
    return status


async def run(prop: Callable[[], None]) -> None:
    await asyncio.to_thread(prop)


async def settled_cleanly(w: Hostile) -> None:
    """Accepted events were processed: none left ``received``, none failed with one of our crashes."""
    await w.settle()
    stuck = await InboundEvent.filter(status=InboundStatus.RECEIVED).values_list("key", flat=True)
    crashed = [
        (r.key[:60], r.error[:120])
        for r in await InboundEvent.filter(status=InboundStatus.FAILED)
        if r.error.startswith(CRASHES)
    ]
    assert not stuck and not crashed, f"left received: {stuck}; crashed in processing: {crashed}"


async def unchanged(w: Hostile, body: Callable[[], Awaitable[None]]) -> None:
    before = await snapshot()
    await body()
    await w.settle()
    assert await snapshot() == before


def signer(loop_seed: int = 7) -> Signer:
    return Signer(1_790_000_000, "test-app-secret", random.Random(loop_seed))


# -- WeCom -----------------------------------------------------------------------------------------
async def test_wecom_post_unsigned_anything_is_refused(world: Hostile) -> None:
    loop = asyncio.get_running_loop()
    keys = st.one_of(st.sampled_from(["msg_signature", "timestamp", "nonce", "echostr"]), TEXT)

    @FUZZ
    @given(
        query=st.dictionaries(keys, st.one_of(NUMBERISH, TEXT), max_size=5),
        body=st.one_of(st.binary(max_size=600), wecom_xml().map(str.encode)),
    )
    def prop(query: dict[str, str], body: bytes) -> None:
        query = {
            k.encode("utf-8", "replace").decode(): v.encode("utf-8", "replace").decode()
            for k, v in query.items()
        }
        status = on(loop, status_of(world, Req("fuzz", "POST", "/wecom/callback", query, body=body)))
        assert 400 <= status < 500

    await unchanged(world, lambda: run(prop))


async def test_wecom_signed_anything_encrypted_is_below_500(world: Hostile) -> None:
    loop, s = asyncio.get_running_loop(), signer()

    @FUZZ
    @given(plain=st.one_of(wecom_xml(), CLEAN_TEXT), ts=st.one_of(st.none(), NUMBERISH))
    def prop(plain: str, ts: str | None) -> None:
        ts = ts.encode("utf-8", "replace").decode() if ts is not None else None
        on(loop, status_of(world, s.wecom_post("fuzz", plain, ts=ts)))

    await run(prop)
    await settled_cleanly(world)


async def test_wecom_signed_junk_ciphertext_and_echostr_are_refused(world: Hostile) -> None:
    loop, s = asyncio.get_running_loop(), signer()

    @FUZZ
    @given(
        encrypted=st.one_of(
            CLEAN_TEXT.filter(bool),
            st.binary(min_size=1, max_size=200).map(lambda b: base64.b64encode(b).decode()),
        ),
        get=st.booleans(),
    )
    def prop(encrypted: str, get: bool) -> None:
        req = s.wecom_get("fuzz", encrypted) if get else s.wecom_post_encrypted("fuzz", encrypted)
        assert 400 <= on(loop, status_of(world, req)) < 500

    await unchanged(world, lambda: run(prop))


# -- WeChat official account ---------------------------------------------------------------------
async def test_wechat_plain_signed_any_body_is_below_500(world: Hostile) -> None:
    loop, s = asyncio.get_running_loop(), signer()
    openids = st.one_of(st.just(OPENID), CLEAN_TEXT)

    @FUZZ
    @given(
        body=st.one_of(st.binary(max_size=600), wecom_xml(openids).map(str.encode)),
        account=st.sampled_from([WECHAT_ACCOUNT, WECHAT_APP_ID]),
    )
    def prop(body: bytes, account: str) -> None:
        on(loop, status_of(world, s.wechat_plain("fuzz", body, account=quote(account))))

    await run(prop)
    await settled_cleanly(world)


async def test_wechat_aes_any_plaintext_is_below_500(world: Hostile) -> None:
    loop, s = asyncio.get_running_loop(), signer()

    @FUZZ
    @given(plain=st.one_of(wecom_xml(st.just(OPENID)), CLEAN_TEXT, st.binary(max_size=300)))
    def prop(plain: str | bytes) -> None:
        on(loop, status_of(world, s.wechat_aes("fuzz", plain)))

    await run(prop)
    await settled_cleanly(world)


async def test_wechat_any_account_segment_and_query_is_refused(world: Hostile) -> None:
    loop, s = asyncio.get_running_loop(), signer()

    @FUZZ
    @given(
        account=TEXT.filter(bool),
        query=st.dictionaries(
            st.sampled_from(["signature", "timestamp", "nonce", "echostr", "encrypt_type", "msg_signature"]),
            st.one_of(NUMBERISH, TEXT),
            max_size=6,
        ),
        post=st.booleans(),
    )
    def prop(account: str, query: dict[str, str], post: bool) -> None:
        segment = quote(account.encode("utf-8", "surrogatepass"), safe="")
        query = {k: v.encode("utf-8", "replace").decode() for k, v in query.items()}
        if "signature" not in query:  # half of them signed right, with any timestamp
            query.update({k: v for k, v in s.wechat_query(query.get("timestamp")).items() if k not in query})
        req = Req(
            "fuzz",
            "POST" if post else "GET",
            f"/wechat/{segment}/callback",
            query,
            body=s.wechat_text(OPENID, "问").encode() if post else None,
        )
        on(loop, status_of(world, req))

    await run(prop)
    await settled_cleanly(world)


# -- DingTalk HTTP mode ------------------------------------------------------------------------------
async def test_dingtalk_robot_signed_any_json_is_below_500(world: Hostile) -> None:
    loop, s = asyncio.get_running_loop(), signer()

    @FUZZ
    @given(body=robot_body())
    def prop(body: Any) -> None:
        on(loop, status_of(world, s.ding_robot("fuzz", body)))

    await run(prop)
    await settled_cleanly(world)


async def test_dingtalk_card_signed_any_json_is_below_500(world: Hostile) -> None:
    loop, s = asyncio.get_running_loop(), signer()

    @FUZZ
    @given(body=card_body())
    def prop(body: Any) -> None:
        on(loop, status_of(world, s.ding_card("fuzz", body)))

    before = await snapshot()
    await run(prop)
    await settled_cleanly(world)
    after = await snapshot()
    # the head (lisi) is never drawn as the tapper: no tap may decide the pending draft
    assert (after["drafts"], after["decisions"]) == (before["drafts"], before["decisions"])


async def test_dingtalk_any_header_bytes_are_refused(world: Hostile) -> None:
    loop = asyncio.get_running_loop()
    header_value = st.binary(max_size=80).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"").strip())
    host, port = str(world.client.server.host), int(world.client.server.port or 0)

    @FUZZ
    @given(
        robot=st.booleans(),
        ts=st.one_of(header_value, NUMBERISH.map(lambda v: v.encode("utf-8", "replace"))),
        sig=header_value,
        body=st.one_of(st.just(b"{}"), st.binary(max_size=200)),
    )
    def prop(robot: bool, ts: bytes, sig: bytes, body: bytes) -> None:
        path = "/dingtalk/robot" if robot else "/dingtalk/card"
        names = (b"timestamp", b"sign") if robot else (b"x-ddpaas-signature-timestamp", b"x-ddpaas-signature")
        status = on(
            loop, send_raw(host, port, raw_http("POST", path, [(names[0], ts), (names[1], sig)], body))
        )
        assert 400 <= status < 500, (status, ts, sig)

    await unchanged(world, lambda: run(prop))


# -- DingTalk event subscription (POST /dingtalk/event) ------------------------------------------------
EVENT_QUERY_NAMES = ["msg_signature", "timeStamp", "nonce", "signature", "timestamp"]
EVENT_TYPES = st.one_of(
    st.sampled_from(
        [
            "user_leave_org",
            "user_modify_org",
            "user_dept_change",
            "org_dept_remove",
            "check_url",
            "user_add_org",
        ]
    ),
    TEXT,
    JSON,
)
# people an event may name (not the draft's author nor its approver: what they hold is not at stake here)
BYSTANDERS = [ding_id for code, ding_id in DING_IDS.items() if code not in ("zhangsan", "lisi")]
IDS = st.one_of(st.sampled_from([*BYSTANDERS, "manager9999", "0149221535731063"]), TEXT, JSON)


@st.composite
def event_plaintext(draw: st.DrawFn) -> Any:
    """An HTTP-mode event plaintext whose fields are plausible or anything, or any JSON value,
    or text and bytes that are not JSON at all."""
    pick = draw(st.integers(0, 9))
    if pick == 0:
        return draw(JSON)
    if pick == 1:
        return draw(st.one_of(CLEAN_TEXT, st.binary(max_size=200)))
    body: dict[str, Any] = {"EventType": draw(EVENT_TYPES)}
    for key in draw(
        st.lists(st.sampled_from(["UserId", "DeptId", "TimeStamp", "CorpId", "eventId"]), max_size=5)
    ):
        if key == "UserId":
            body[key] = draw(st.one_of(st.lists(IDS, max_size=4), JSON))
        elif key == "DeptId":
            body[key] = draw(st.one_of(st.lists(st.one_of(BIG_INT, NUMBERISH), max_size=4), JSON))
        elif key == "TimeStamp":
            body[key] = draw(st.one_of(st.just("1790000000000"), NUMBERISH, JSON))
        else:
            body[key] = draw(st.one_of(TEXT, JSON))
    return body


async def test_dingtalk_event_any_query_and_body_unsigned_is_refused(world: Hostile) -> None:
    loop = asyncio.get_running_loop()
    host, port = str(world.client.server.host), int(world.client.server.port or 0)
    part = st.one_of(st.binary(max_size=40), NUMBERISH.map(lambda v: v.encode("utf-8", "surrogatepass")))

    @FUZZ
    @given(
        pairs=st.lists(
            st.tuples(st.one_of(st.sampled_from(EVENT_QUERY_NAMES).map(str.encode), part), part), max_size=8
        ),
        body=st.one_of(
            st.binary(max_size=400),
            JSON.map(lambda v: json.dumps({"encrypt": v}).encode()),
            st.binary(min_size=1, max_size=120).map(
                lambda b: json.dumps({"encrypt": base64.b64encode(b).decode()}).encode()
            ),
        ),
    )
    def prop(pairs: list[tuple[bytes, bytes]], body: bytes) -> None:
        query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
        target = "/dingtalk/event" + (f"?{query}" if query else "")
        status = on(loop, send_raw(host, port, raw_http("POST", target, [], body)))
        assert 400 <= status < 500, (status, target, body[:80])

    await unchanged(world, lambda: run(prop))


async def test_dingtalk_event_signed_junk_encrypt_is_refused(world: Hostile) -> None:
    loop, s = asyncio.get_running_loop(), signer()

    @FUZZ
    @given(
        encrypted=st.one_of(
            CLEAN_TEXT,
            st.binary(min_size=1, max_size=300).map(lambda b: base64.b64encode(b).decode()),
            JSON,
        ),
        ts=st.one_of(st.none(), NUMBERISH.map(lambda v: v.encode("utf-8", "replace").decode())),
        new_names=st.booleans(),
    )
    def prop(encrypted: Any, ts: str | None, new_names: bool) -> None:
        req = s.ding_event_encrypted("fuzz", encrypted, ts=ts, new_names=new_names)
        assert 400 <= on(loop, status_of(world, req)) < 500

    await unchanged(world, lambda: run(prop))


async def test_dingtalk_event_signed_any_plaintext_is_below_500(world: Hostile) -> None:
    loop, s = asyncio.get_running_loop(), signer()

    @FUZZ
    @given(plain=event_plaintext(), new_names=st.booleans())
    def prop(plain: Any, new_names: bool) -> None:
        on(loop, status_of(world, s.ding_event("fuzz", plain, new_names=new_names, expect=ANY)))

    before = await snapshot()
    await run(prop)
    await settled_cleanly(world)
    after = await snapshot()
    # an address-book change may take someone out, but decides nothing
    assert (after["drafts"], after["decisions"]) == (before["drafts"], before["decisions"])


# -- intake ------------------------------------------------------------------------------------------
async def test_intake_any_json_is_below_500(world: Hostile) -> None:
    loop, s = asyncio.get_running_loop(), signer()

    @FUZZ
    @given(body=intake_body(), token=st.sampled_from(list(INTAKE.values())))
    def prop(body: Any, token: str) -> None:
        on(loop, status_of(world, s.intake("fuzz", body, token=token)))

    await run(prop)
    await settled_cleanly(world)


async def test_intake_any_authorization_is_refused(world: Hostile) -> None:
    loop = asyncio.get_running_loop()
    host, port = str(world.client.server.host), int(world.client.server.port or 0)
    body = json.dumps({"account": WECHAT_ACCOUNT, "text": "问题"}, ensure_ascii=False).encode()

    @FUZZ
    @given(
        auth=st.one_of(
            st.binary(max_size=80),
            st.sampled_from(list(INTAKE.values())).map(lambda t: t.encode()[:-1]),
            st.binary(max_size=10).map(lambda b: b"Bearer " + b),
        ).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
    )
    def prop(auth: bytes) -> None:
        status = on(
            loop, send_raw(host, port, raw_http("POST", "/api/inquiries", [(b"Authorization", auth)], body))
        )
        assert 400 <= status < 500, (status, auth)

    await unchanged(world, lambda: run(prop))


# -- anything else -----------------------------------------------------------------------------------
async def test_any_method_and_path_is_below_500(world: Hostile) -> None:
    loop = asyncio.get_running_loop()
    host, port = str(world.client.server.host), int(world.client.server.port or 0)
    prefixes = st.sampled_from(["/", "/wecom/", "/wechat/", "/dingtalk/", "/api/", "/sim/api/", "/healthz"])

    @FUZZ
    @given(
        method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]),
        prefix=prefixes,
        rest=TEXT,
        body=st.binary(max_size=100),
    )
    def prop(method: str, prefix: str, rest: str, body: bytes) -> None:
        target = prefix + quote(rest.encode("utf-8", "surrogatepass"), safe="/?=&%")
        status = on(loop, send_raw(host, port, raw_http(method, target, [], body)))
        assert 0 < status < 500, (status, method, target)

    await unchanged(world, lambda: run(prop))
