"""``POST /api/inquiries``: bearer token per source, clear 4xx answers, dedupe by source and id,
and the inquiry routed to the account's department. Hostile input: an Authorization header with
bytes that are not UTF-8 or too long is 401 (not a 500 from encoding it), lone surrogates, NUL
and CESU-8 in the body are refused (422/400) before anything is stored, deep JSON is 400 before
``json.loads`` runs."""

from __future__ import annotations

import json
from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import BOT, create_app
from bot.org import import_file
from models import Inquiry
from tests.bot.channels.test_local_http import wait_for
from tests.conftest import DEMO_ORG, make_settings

WEIBO = "weibo-token-0123456789abcdef"


async def _client(aiohttp_client: Any) -> TestClient:  # type: ignore[type-arg]
    settings = make_settings(simulator=True, intake_tokens=f"weibo={WEIBO},app=app-token-0123456789abcd")
    app = create_app(settings, manage_database=False, run_scheduler=False)
    client = await aiohttp_client(app)
    await import_file(DEMO_ORG, now=client.app[BOT].deps.clock())
    return client


async def test_an_inquiry_from_weibo_reaches_the_officers(db: str, aiohttp_client: Any) -> None:
    client = await _client(aiohttp_client)
    body = {"account": "某某发布", "text": "供暖什么时候开始？", "from": "微博网友小王", "id": "wb-1"}
    headers = {"Authorization": f"Bearer {WEIBO}"}
    first = await client.post("/api/inquiries", json=body, headers=headers)
    again = await client.post("/api/inquiries", json=body, headers=headers)
    assert (first.status, await first.json()) == (202, {"accepted": True, "duplicate": False})
    assert (again.status, await again.json()) == (202, {"accepted": False, "duplicate": True})
    card = await wait_for(client, "chenqi", lambda m: m["type"] == "card" and m["card_id"] == "inq-1")
    assert {"label": "来源", "value": "weibo · 微博网友小王"} in card["fields"]
    q = await Inquiry.get()
    assert (q.source, q.asker, q.text) == ("api:weibo", "微博网友小王", "供暖什么时候开始？")


async def test_refusals_are_clear_and_change_nothing(db: str, aiohttp_client: Any) -> None:
    client = await _client(aiohttp_client)
    good = {"account": "某某发布", "text": "问题"}
    auth = {"Authorization": f"Bearer {WEIBO}"}
    cases = [
        ({}, good, 401, "unauthorized"),
        ({"Authorization": "Bearer wrong-token-0000000000"}, good, 401, "unauthorized"),
        (auth, "not json", 400, "bad_json"),
        (auth, ["a", "list"], 400, "bad_json"),
        (auth, {"account": "某某发布"}, 422, "bad_field"),
        (auth, {"account": "某某发布", "text": "x" * 5001}, 422, "bad_field"),
        (auth, {"account": "某某发布", "text": "问题", "from": 7}, 422, "bad_field"),
        (auth, {"account": "没有这个号", "text": "问题"}, 404, "unknown_account"),
    ]
    for headers, body, status, code in cases:
        kw = {"data": body} if isinstance(body, str) else {"json": body}
        resp = await client.post("/api/inquiries", headers=headers, **kw)
        assert (resp.status, (await resp.json())["error"]) == (status, code), body
    huge = await client.post("/api/inquiries", headers=auth, data=b"{" + b" " * 70000 + b"}")
    assert huge.status == 413
    await client.app[BOT].tasks.join()
    assert await Inquiry.all().count() == 0


async def test_no_tokens_no_endpoint(db: str, aiohttp_client: Any) -> None:
    app = create_app(make_settings(simulator=True), manage_database=False, run_scheduler=False)
    client = await aiohttp_client(app)
    assert (await client.post("/api/inquiries", json={})).status in (404, 405)


def test_bad_token_settings_name_the_variable() -> None:
    import pytest

    from bot.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="XMT_INTAKE_TOKENS"):
        load_settings(_env_file=None, intake_tokens="weibo:short")


async def test_an_authorization_header_that_is_not_clean_ascii_is_401(db: str, aiohttp_client: Any) -> None:
    from tests.bot.channels.test_verify import raw_request

    client = await _client(aiohttp_client)
    body = json.dumps({"account": "某某发布", "text": "问题"}).encode()
    for auth in (b"Bearer weibo-token-\xff\xfe0123456789", b"Bearer \xe5\xbe\xae\xe5\x8d\x9a",
                 b"Bearer " + WEIBO.encode() + b"\x80", b"Bearer " + b"x" * 600):
        head = (b"POST /api/inquiries HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Authorization: " + auth + b"\r\n")
        status = await raw_request(client, head, body)
        assert status == 401, auth
    ok = await raw_request(client, b"POST /api/inquiries HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           b"Content-Type: application/json\r\nAuthorization: Bearer " + WEIBO.encode()
                           + b"\r\n", body)
    assert ok == 202


async def test_unstorable_strings_and_deep_json_are_refused(db: str, aiohttp_client: Any) -> None:
    client = await _client(aiohttp_client)
    auth = {"Authorization": f"Bearer {WEIBO}", "Content-Type": "application/json"}
    cases = [
        (b'{"account": "\xe6\x9f\x90\xe6\x9f\x90\xe5\x8f\x91\xe5\xb8\x83", "text": "a\\ud800b"}', 422),
        (b'{"account": "\\udfff", "text": "q"}', 422),  # before the account query
        (json.dumps({"account": "某某发布", "text": "x\u0000y"}).encode(), 422),
        (json.dumps({"account": "某某发布", "text": "q", "from": "\ud83d"}).encode(), 422),
        (json.dumps({"account": "某某发布", "text": "q", "id": "wb-\udc00"}).encode(), 422),
        (b'{"account": "x", "text": "\xed\xa0\x80"}', 400),  # CESU-8: not UTF-8
        (b'{"account": "x", "text": "q", "extra": ' + b"[" * 5000 + b"]" * 5000 + b"}", 400),
    ]
    for raw, status in cases:
        resp = await client.post("/api/inquiries", headers=auth, data=raw)
        assert resp.status == status, raw[:60]
    await client.app[BOT].tasks.join()
    assert await Inquiry.all().count() == 0


async def test_two_sources_may_use_the_same_id(db: str, aiohttp_client: Any) -> None:
    client = await _client(aiohttp_client)
    body = {"account": "某某发布", "text": "供暖什么时候开始？", "id": "1"}
    for token in (WEIBO, "app-token-0123456789abcd"):
        resp = await client.post("/api/inquiries", json=body, headers={"Authorization": f"Bearer {token}"})
        assert (await resp.json())["accepted"] is True
    await client.app[BOT].tasks.join()
    assert sorted(q.source for q in await Inquiry.all()) == ["api:app", "api:weibo"]


async def test_a_body_that_does_not_decompress_is_400_and_a_gzip_bomb_413(db: str,
                                                                          aiohttp_client: Any) -> None:
    import gzip

    from tests.bot.channels.test_verify import raw_request

    client = await _client(aiohttp_client)
    for encoding, body, status in ((b"gzip", b"not gzip at all", 400), (b"deflate", b"\x00\x01junk", 400),
                                   (b"gzip", gzip.compress(b"{" + b" " * 10_000_000 + b"}"), 413)):
        head = (b"POST /api/inquiries HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Content-Encoding: " + encoding + b"\r\nAuthorization: Bearer " + WEIBO.encode() + b"\r\n")
        assert await raw_request(client, head, body) == status, encoding
    assert (await client.get("/healthz")).status == 200


async def test_an_account_live_on_its_platform_takes_inquiries_whatever_its_standing(
        db: str, aiohttp_client: Any) -> None:
    """Art. 12 (第十二条): an account awaiting filing, one that must stop, or a suspended one is
    still open on its platform; its public writes and is answered. A closed one, or one not
    opened yet, is refused with 409 and nothing stored."""
    from models import Account, AccountStatus

    client = await _client(aiohttp_client)
    auth = {"Authorization": f"Bearer {WEIBO}"}
    expected = {AccountStatus.UNFILED: 202, AccountStatus.MUST_STOP: 202,
                AccountStatus.SUSPENDED: 202, AccountStatus.CLOSED: 409, AccountStatus.APPROVED: 409}
    for n, (status, answer) in enumerate(expected.items()):
        await Account.filter(name="某某发布").update(status=status)
        resp = await client.post("/api/inquiries", headers=auth,
                                 json={"account": "某某发布", "text": "问题", "id": f"s-{n}"})
        assert resp.status == answer, status
        await client.app[BOT].tasks.join()  # processed under this standing, not the next one
    assert await Inquiry.all().count() == 3
