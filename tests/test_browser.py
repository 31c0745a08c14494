"""The simulator page works in a real browser: the whole approval round trip, clicked through.

Starts the real app (HTTP server, worker, database from the ``db`` fixture, demo organisation)
on 127.0.0.1 at a free port and drives headless Chromium with Playwright as a person would:

1. 张三 (officer of 宣传科) types a two-line draft into the composer and presses 发送;
   the bot answers with a preview card, and he taps 提交审核.
2. Switching to 李四 (head of 宣传科), the approval card is there; he taps 通过 and the card turns
   into "已通过 · 李四 · HH:MM" with no buttons left.
3. Back as 张三, the bot has told him 审核通过.

So the page's JavaScript, the JSON API, the long poll and card updates work together end to end,
not just each on its own. Chromium is the Debian package at /usr/bin/chromium
(``scripts/ensure-chromium`` installs it); when it is missing the test fails, it does not skip.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from playwright.async_api import Browser, Locator, Page, async_playwright, expect

from bot.app import BOT, create_app
from bot.org import import_file
from tests.conftest import DEMO_ORG, make_settings

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
TIMEOUT = 15_000  # ms; each step normally takes well under a second
ACTIVE = re.compile(r"\bactive\b")


@pytest.fixture
async def base_url(db: str) -> AsyncIterator[str]:
    """The real app with the demo organisation, served on 127.0.0.1 at a free port."""
    # manage_database=False: use the db fixture's database (in-memory SQLite is per connection).
    app = create_app(make_settings(simulator=True), manage_database=False, run_scheduler=False)
    # handler_cancellation: the page's pending long polls end when the browser goes away,
    # so shutting the server down does not wait for them to time out.
    runner = web.AppRunner(app, handler_cancellation=True)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        await import_file(DEMO_ORG, now=app[BOT].deps.clock())
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} not found: browser tests need Chromium; install it with "
                    "scripts/ensure-chromium (or apt-get install chromium)", pytrace=False)
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                            args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


def card(page: Page, prefix: str) -> Locator:
    """The card message whose card id starts with ``prefix`` (pv- preview, ap- approval)."""
    return page.locator(f'[data-testid="message"][data-type="card"][data-card-id^="{prefix}"]')


async def switch_to(page: Page, code: str) -> None:
    """Pick another person in the sidebar, as a tester would."""
    person = page.get_by_test_id(f"person-{code}")
    await person.click()
    await expect(person).to_have_class(ACTIVE, timeout=TIMEOUT)


def button(message: Locator, label: str) -> Locator:
    return message.locator(f'[data-testid="card-button"][data-label="{label}"]')


async def test_officer_submits_head_approves_officer_is_told(base_url: str,
                                                             browser: Browser) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 800},
                                        locale="zh-CN")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(TIMEOUT)
    try:
        # 1. 张三 writes a draft: title on the first line, body after Shift+Enter.
        await page.goto(f"{base_url}/?as=zhangsan")
        await expect(page.get_by_test_id("person-zhangsan")).to_have_class(ACTIVE,
                                                                          timeout=TIMEOUT)
        composer = page.get_by_test_id("composer")
        await composer.click()
        await composer.press_sequentially("投稿 @某某发布 1 标题")
        await composer.press("Shift+Enter")
        await composer.press_sequentially("正文")
        await expect(composer).to_have_value("投稿 @某某发布 1 标题\n正文")
        await page.get_by_test_id("send").click()
        await expect(composer).to_have_value("", timeout=TIMEOUT)

        preview = card(page, "pv-")
        await expect(preview).to_have_count(1, timeout=TIMEOUT)
        await button(preview, "提交审核").click()
        await expect(preview.get_by_test_id("card-status")).to_contain_text("已提交审核",
                                                                           timeout=TIMEOUT)
        await expect(preview.get_by_test_id("card-button")).to_have_count(0)

        # 2. 李四 gets the approval card and approves it.
        await switch_to(page, "lisi")
        approval = card(page, "ap-")
        await expect(approval).to_have_count(1, timeout=TIMEOUT)
        await button(approval, "通过").click()
        status = approval.get_by_test_id("card-status")
        await expect(status).to_contain_text("已通过", timeout=TIMEOUT)
        await expect(status).to_have_text(re.compile(r"^已通过 · 李四 · \d{2}:\d{2}$"))
        await expect(approval.get_by_test_id("card-button")).to_have_count(0)

        # 3. 张三 is told.
        await switch_to(page, "zhangsan")
        told = page.locator('[data-testid="message"][data-type="text"][data-sender="bot"]',
                            has_text="已由 李四 审核通过")
        await expect(told).to_have_count(1, timeout=TIMEOUT)
        await expect(told).to_be_visible()

        assert errors == [], f"JavaScript errors on the page: {errors}"
    finally:
        await context.close()


async def test_at_phone_width_the_people_are_a_drawer_and_the_chat_keeps_the_width(
        base_url: str, browser: Browser) -> None:
    """At 414 px (and 375) the list of people is a drawer behind ☰: the chat and the composer
    use the whole width, the drawer switches person and closes itself."""
    for width, code in ((414, "lisi"), (375, "zhouba")):
        context = await browser.new_context(viewport={"width": width, "height": 800},
                                            locale="zh-CN")
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc, seen=errors: seen.append(str(exc)))
        page.set_default_timeout(TIMEOUT)
        try:
            await page.goto(f"{base_url}/?as=zhangsan")
            composer = page.get_by_test_id("composer")
            await expect(composer).to_be_visible(timeout=TIMEOUT)
            box = await composer.bounding_box()
            assert box is not None and box["width"] > width * 0.85, box
            people = page.get_by_test_id(f"person-{code}")
            await expect(people).not_to_be_in_viewport()
            await page.get_by_test_id("menu").click()
            await expect(people).to_be_in_viewport(timeout=TIMEOUT)
            await people.click()
            await expect(people).to_have_class(ACTIVE, timeout=TIMEOUT)
            await expect(people).not_to_be_in_viewport(timeout=TIMEOUT)
            await composer.click()
            await composer.fill("帮助")
            await page.get_by_test_id("send").click()
            answer = page.locator('[data-testid="message"][data-sender="bot"]', has_text="可用命令")
            await expect(answer).to_have_count(1, timeout=TIMEOUT)
            bubble = await answer.bounding_box()
            assert bubble is not None and bubble["x"] + bubble["width"] <= width, bubble
            assert errors == [], f"JavaScript errors on the page: {errors}"
        finally:
            await context.close()
