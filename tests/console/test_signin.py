"""Signing in to the console without a password (issue 18, point 2; Art. 2: the Information
Center supervises every account; Art. 6: a department head answers for their department's).
``登录后台`` in chat → a one-time link, valid ten minutes, bound to that person; the session
cookie is encrypted; every form carries a CSRF token; who may see what is read again on every
request."""

from __future__ import annotations

import time

import pytest

from bot import texts
from models import AuditEvent, Department, Person
from models.console import ConsoleLink
from tests.console.conftest import Console


async def test_the_information_center_signs_in_with_the_link_from_chat(console: Console) -> None:
    path = await console.link("wangwu")
    page = await console.client.get(path)  # a link preview's GET spends nothing
    assert page.status == 200 and 'data-testid="login"' in await page.text()
    assert await ConsoleLink.filter(used_at__isnull=True).count() == 1
    response = await console.client.post(path, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/console/"
    home = await console.client.get("/console/")
    body = await home.text()
    assert home.status == 200 and "王五（信息中心）" in body
    cookie = console.client.session.cookie_jar.filter_cookies(console.client.make_url("/console/"))
    assert "xmt_console" in cookie and str(await Person.get(code="wangwu").values_list("id", flat=True)) \
        not in cookie["xmt_console"].value[:4]  # sealed, not a readable id
    assert await AuditEvent.filter(action="console_signed_in", actor="wangwu").count() == 1
    assert await AuditEvent.filter(action="console_link_issued", actor="wangwu").count() == 1


async def test_a_link_works_once(console: Console) -> None:
    path = await console.link("wangwu")
    assert (await console.client.post(path, allow_redirects=False)).status == 303
    console.client.session.cookie_jar.clear()
    again = await console.client.post(path, allow_redirects=False)
    assert again.status == 400 and texts.CONSOLE_LINK_INVALID in await again.text()
    assert (await console.client.get("/console/", allow_redirects=False)).status == 303


async def test_a_link_expires_after_ten_minutes(console: Console) -> None:
    path = await console.link("lisi")
    console.world.clock.advance(minutes=10)
    response = await console.client.post(path, allow_redirects=False)
    assert response.status == 400 and texts.CONSOLE_LINK_INVALID in await response.text()


async def test_a_forged_or_malformed_link_is_refused(console: Console) -> None:
    for token in ("A" * 43, "short", "%00" * 20, "A" * 44):
        response = await console.client.post(f"/console/login/{token}", allow_redirects=False)
        assert response.status in (400, 404), token
    assert await AuditEvent.filter(action="console_signed_in").count() == 0


async def test_an_officer_gets_no_link(console: Console) -> None:
    await console.world.say("zhangsan", "登录后台")
    assert console.world.last_text("zhangsan") == texts.CONSOLE_NOT_ALLOWED
    assert await ConsoleLink.all().count() == 0


async def test_pages_need_a_sign_in(console: Console) -> None:
    for path in ("/console/", "/console/accounts", "/console/audit"):
        response = await console.client.get(path, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"] == "/console/signin", path
    signin = await console.client.get("/console/signin")
    assert signin.status == 200 and "登录后台" in await signin.text()


async def test_a_head_who_is_replaced_loses_the_console_at_the_next_click(console: Console) -> None:
    await console.sign_in("lisi")
    assert (await console.client.get("/console/")).status == 200
    lisi = await Person.get(code="lisi")
    await Department.filter(head_id=lisi.id).update(head_id=None)
    response = await console.client.get("/console/", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/console/signin"


async def test_a_form_without_its_csrf_token_is_refused(console: Console) -> None:
    await console.sign_in("wangwu")
    refused = await console.client.post("/console/logout", data={"_csrf": "forged"}, allow_redirects=False)
    assert refused.status == 403 and texts.CONSOLE_CSRF in await refused.text()
    assert (await console.client.get("/console/")).status == 200  # still signed in
    token = await console.csrf()
    out = await console.client.post("/console/logout", data={"_csrf": token}, allow_redirects=False)
    assert out.status == 303 and out.headers["Location"] == "/console/signin?out=1"
    assert (await console.client.get("/console/", allow_redirects=False)).status == 303


async def test_the_session_ends_after_its_hours(console: Console, monkeypatch: pytest.MonkeyPatch) -> None:
    """aiohttp-session keeps the session's creation time inside the encrypted cookie and checks its
    age against the wall clock (``time.time``): past XMT_CONSOLE_SESSION_HOURS it is empty."""
    path = await console.link("wangwu")
    response = await console.client.post(path, allow_redirects=False)
    assert "Max-Age=28800" in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"] and "SameSite=Lax" in response.headers["Set-Cookie"]
    assert (await console.client.get("/console/", allow_redirects=False)).status == 200
    later = time.time() + 8 * 3600 + 5
    monkeypatch.setattr(time, "time", lambda: later)
    expired = await console.client.get("/console/", allow_redirects=False)
    assert expired.status == 303 and expired.headers["Location"] == "/console/signin"
