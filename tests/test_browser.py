"""The simulator page works in a real browser: one flow per persona, clicked through at desktop
(1280×800) and phone (414×896) width (issue 14, "Done when": the Playwright suite walks one flow
per persona at both widths and saves the screenshots).

Each test starts the real app (HTTP server, worker, database from the ``db`` fixture, the demo
organisation) on 127.0.0.1 at a free port, with a fixed clock — Friday 20 November 2026, 10:00
Asia/Shanghai, inside the November annual review window (Art. 5) and inside working hours — and
drives headless Chromium with Playwright as a person would:

- officer and head: 张三 types a two-line draft, gets the preview card and taps 提交审核; as 李四
  the approval card is there, he taps 通过 and its status reads "已通过 · 李四 · 10:00" with no
  buttons left; back as 张三, the bot has told him 审核通过.
- Information Center: 张三 hands in the annual report (``年审 @某某发布 …``); as 王五 the 年审 card
  is judged (合格 at desktop width, 不合格 with a typed reason at phone width: both outcomes are
  walked, and the reason reaches 张三), ``台账`` lists every account, and ``账号 @某某发布`` shows
  the account's life with the verdict.
- follower: the demo WeChat follower writes to 某某发布 and sees the passive-reply acknowledgement
  at once; 张三 answers with ``回复 Q1 …``; the follower sees the answer in the same chat.

At phone width the list of people is a drawer behind ☰ (``data-testid="menu"``): switching person
goes through it, as on a phone. Assertions are on behaviour (text, ``data-status``, buttons), never
on pixels; a card's status is matched by what it contains (已通过, 合格…) so a change in how decided
cards are titled does not break them.

Screenshots: every step worth seeing is saved as ``var/screenshots/<persona>-<width>-<step>.png``
under the repository (``var/`` is gitignored; CI can keep the folder as an artifact). The folder
is printed (``pytest -s`` or ``-rP`` shows it). ``scripts/screenshots`` runs this module and copies
two of them to ``docs/simulator.png`` and ``docs/simulator-phone.png``, the README's images.

Chromium is the Debian package at /usr/bin/chromium (``scripts/ensure-chromium`` installs it and a
CJK font); when it is missing the tests fail, they do not skip. No sleeps: only Playwright's
``expect`` waits, bounded by TIMEOUT.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from playwright.async_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    ViewportSize,
    async_playwright,
    expect,
)

from bot import demo, texts
from bot.app import BOT, create_app
from bot.org import import_file
from tests.conftest import DEMO_ORG, ROOT, make_settings

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
TIMEOUT = 15_000  # ms; each step normally takes well under a second
PUBLISHED = 30_000  # ms: the publish worker's poll (5 s) and the simulated publication (2 s)
ACTIVE = re.compile(r"\bactive\b")
SHOTS = ROOT / "var" / "screenshots"
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Friday, in the review window
FOLLOWER = "follower:oXmtDemoFan_8fK2pQ7wLz3vN5aR"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
       b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
       b"\x00\x00\x00IEND\xaeB`\x82")  # 1×1, the cover WeChat requires
VIEWPORTS: dict[str, ViewportSize] = {"desktop": {"width": 1280, "height": 800},
                                      "phone": {"width": 414, "height": 896}}
WIDTHS = pytest.mark.parametrize("width", list(VIEWPORTS))


def fixed_clock(at: datetime = NOW) -> Callable[[], datetime]:
    """The app's clock, stopped at ``at`` (in UTC, as the real clock gives it)."""
    utc = at.astimezone(UTC)
    return lambda: utc


@pytest.fixture
async def base_url(db: str) -> AsyncIterator[str]:
    """The real app with the demo organisation, served on 127.0.0.1 at a free port."""
    # manage_database=False: use the db fixture's database (in-memory SQLite is per connection).
    app = create_app(make_settings(simulator=True), clock=fixed_clock(), manage_database=False,
                     run_scheduler=False)
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


class Session:
    """One person's view of the page at one width: switch person, type, tap, take screenshots."""

    def __init__(self, page: Page, width: str, persona: str) -> None:
        self.page, self.width, self.persona = page, width, persona
        self.phone = width == "phone"
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.set_default_timeout(TIMEOUT)

    async def open(self, base_url: str, code: str) -> None:
        await self.page.goto(f"{base_url}/?as={code}")
        await expect(self.page.get_by_test_id(f"person-{code}")).to_have_class(ACTIVE,
                                                                                timeout=TIMEOUT)
        await expect(self.page.get_by_test_id("composer")).to_be_visible(timeout=TIMEOUT)

    async def switch_to(self, code: str) -> None:
        """Pick another person in the list, as a tester would (on a phone: through ☰)."""
        person = self.page.get_by_test_id(f"person-{code}")
        if self.phone:
            await expect(person).not_to_be_in_viewport()
            await self.page.get_by_test_id("menu").click()
            await expect(person).to_be_in_viewport(timeout=TIMEOUT)
        await person.click()
        await expect(person).to_have_class(ACTIVE, timeout=TIMEOUT)
        if self.phone:  # the drawer closes itself
            await expect(person).not_to_be_in_viewport(timeout=TIMEOUT)

    async def say(self, *lines: str) -> None:
        """Type the lines (Shift+Enter between them) and press 发送; the composer empties."""
        composer = self.page.get_by_test_id("composer")
        await composer.click()
        for i, line in enumerate(lines):
            if i:
                await composer.press("Shift+Enter")
            await composer.fill("\n".join(lines[:i]) + ("\n" if i else "") + line)
        await expect(composer).to_have_value("\n".join(lines))
        await self.page.get_by_test_id("send").click()
        await expect(composer).to_have_value("", timeout=TIMEOUT)

    def card(self, prefix: str) -> Locator:
        """The card message whose card id starts with ``prefix`` (pv- preview, ap- approval…)."""
        return self.page.locator(
            f'[data-testid="message"][data-type="card"][data-card-id^="{prefix}"]')

    def bot_text(self, has_text: str | re.Pattern[str]) -> Locator:
        return self.page.locator('[data-testid="message"][data-type="text"][data-sender="bot"]',
                                 has_text=has_text)

    async def shot(self, step: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{self.persona}-{self.width}-{step}.png"
        await self.page.screenshot(path=str(path))
        print(f"screenshot: {path}")
        return path

    def no_errors(self) -> None:
        assert self.errors == [], f"JavaScript errors on the page: {self.errors}"


def button(message: Locator, label: str) -> Locator:
    return message.locator(f'[data-testid="card-button"][data-label="{label}"]')


async def new_context(browser: Browser, width: str) -> BrowserContext:
    return await browser.new_context(viewport=VIEWPORTS[width],
                                     locale="zh-CN", timezone_id="Asia/Shanghai")


@WIDTHS
async def test_officer_submits_head_approves_officer_is_told(base_url: str, browser: Browser,
                                                             width: str) -> None:
    """Officer and head: draft → preview → 提交审核; 通过 on the approval card; 审核通过 told."""
    context = await new_context(browser, width)
    try:
        officer = Session(await context.new_page(), width, "officer")
        # 1. 张三 writes a draft: title on the first line, body after Shift+Enter.
        await officer.open(base_url, "zhangsan")
        await officer.say("投稿 @某某发布 1 冬季校园开放日活动预告",
                          "12月6日（周六）9:00—16:00 校园开放，欢迎市民朋友来参观。")
        preview = officer.card("pv-")
        await expect(preview).to_have_count(1, timeout=TIMEOUT)
        await expect(preview).to_contain_text("冬季校园开放日活动预告")
        await officer.shot("preview")
        await button(preview, texts.BUTTON_SUBMIT).click()
        await expect(preview.get_by_test_id("card-status")).to_contain_text("已提交审核",
                                                                           timeout=TIMEOUT)
        await expect(preview.get_by_test_id("card-button")).to_have_count(0)
        await officer.shot("submitted")

        # 2. 李四 gets the approval card and approves it.
        head = Session(officer.page, width, "head")
        await head.switch_to("lisi")
        approval = head.card("ap-")
        await expect(approval).to_have_count(1, timeout=TIMEOUT)
        await expect(approval).to_contain_text("冬季校园开放日活动预告")
        await head.shot("approval")
        await button(approval, texts.BUTTON_APPROVE).click()
        status = approval.get_by_test_id("card-status")
        await expect(status).to_contain_text("已通过", timeout=TIMEOUT)
        await expect(status).to_have_text(re.compile(r"已通过 · 李四 · 10:00"))
        await expect(approval).to_have_attribute("data-status", re.compile("已通过"))
        await expect(approval.get_by_test_id("card-button")).to_have_count(0)
        await expect(approval).to_contain_text("冬季校园开放日活动预告")  # the content stays
        await head.shot("approved")

        # 3. 张三 is told.
        await officer.switch_to("zhangsan")
        told = officer.bot_text("已由 李四 审核通过")
        await expect(told).to_have_count(1, timeout=TIMEOUT)
        await expect(told).to_be_in_viewport()
        await officer.shot("told")
        officer.no_errors()
    finally:
        await context.close()


@WIDTHS
async def test_information_center_ledger_review_and_account(base_url: str, browser: Browser,
                                                            width: str) -> None:
    """Information Center: a 年审 report card judged (合格 at desktop width, 不合格 with a reason at
    phone width); 台账 lists the accounts; 账号 @某某发布 shows the verdict in the account's life."""
    context = await new_context(browser, width)
    try:
        officer = Session(await context.new_page(), width, "officer")
        await officer.open(base_url, "zhangsan")
        await officer.say("年审 @某某发布 全年发布 120 篇，互动回复及时，无违规。")
        await expect(officer.bot_text(texts.review_submitted("N1", "某某发布"))).to_have_count(
            1, timeout=TIMEOUT)

        ic = Session(officer.page, width, "ic")
        await ic.switch_to("wangwu")
        review = ic.card("review-")
        await expect(review).to_have_count(1, timeout=TIMEOUT)
        await expect(review).to_contain_text("某某发布")
        await expect(review).to_contain_text("张三")
        await expect(review).to_contain_text("全年发布 120 篇")
        await review.scroll_into_view_if_needed()
        await ic.shot("review")
        if width == "desktop":
            await button(review, texts.BUTTON_PASS).click()
            await expect(review).to_have_attribute("data-status", re.compile("合格"),
                                                   timeout=TIMEOUT)
            await expect(review).not_to_have_attribute("data-status", re.compile("不合格"))
            verdict = "合格"
        else:
            await button(review, texts.BUTTON_FAIL).click()
            await expect(ic.bot_text(texts.ASK_FAIL_REASON)).to_have_count(1, timeout=TIMEOUT)
            await ic.say("全年有三个月未更新，互动留言多条未答复。")
            await expect(review).to_have_attribute("data-status", re.compile("不合格"),
                                                   timeout=TIMEOUT)
            verdict = "不合格"
        await expect(review.get_by_test_id("card-status")).to_contain_text("王五")
        await expect(review.get_by_test_id("card-button")).to_have_count(0)
        await expect(review).to_contain_text("全年发布 120 篇")  # the content stays
        await review.scroll_into_view_if_needed()
        await ic.shot("judged")

        await ic.say("台账")
        ledger = ic.bot_text(re.compile("某某发布.*某某头条.*某某服务", re.S))
        await expect(ledger).to_have_count(1, timeout=TIMEOUT)
        await expect(ledger).to_be_in_viewport()
        await ic.shot("ledger")

        await ic.say("账号 @某某发布")
        life = ic.bot_text(re.compile(r"年审.*" + verdict, re.S))
        await expect(life).not_to_have_count(0, timeout=TIMEOUT)
        await expect(life.last).to_be_in_viewport()
        await ic.shot("account")
        if verdict == "不合格":  # the reason reached the account's administrator
            await officer.switch_to("zhangsan")
            await expect(officer.bot_text("全年有三个月未更新")).not_to_have_count(0, timeout=TIMEOUT)
        officer.no_errors()
    finally:
        await context.close()


@WIDTHS
async def test_follower_asks_is_acknowledged_and_gets_the_answer(base_url: str, browser: Browser,
                                                                 width: str) -> None:
    """Follower: a question to 某某发布 is acknowledged at once; 张三's 回复 Q1 reaches the follower."""
    context = await new_context(browser, width)
    try:
        follower = Session(await context.new_page(), width, "follower")
        await follower.open(base_url, FOLLOWER)
        # A WeChat chat: no officer chips, the account's name in the header.
        await expect(follower.page.locator('[data-testid="quick"]:visible')).to_have_count(0)
        await follower.say("请问今年冬季校园开放日是哪一天？需要预约吗？")
        mine = follower.page.locator(f'[data-testid="message"][data-sender="{FOLLOWER}"]')
        await expect(mine).to_contain_text("冬季校园开放日", timeout=TIMEOUT)
        await expect(follower.bot_text(texts.FOLLOWER_ACK)).to_have_count(1, timeout=TIMEOUT)
        await follower.shot("asked")

        officer = Session(follower.page, width, "officer")
        await officer.switch_to("zhangsan")
        await expect(officer.card("inq-")).to_have_count(1, timeout=TIMEOUT)
        await expect(officer.card("inq-")).to_contain_text("冬季校园开放日")
        await officer.say("回复 Q1 12月6日（周六）9:00—16:00，无需预约，欢迎参观。")
        await expect(officer.card("inq-")).to_have_attribute("data-status", re.compile("已回复"),
                                                             timeout=TIMEOUT)
        await officer.shot("answered")

        await follower.switch_to(FOLLOWER)
        answer = follower.bot_text("无需预约")
        await expect(answer).to_have_count(1, timeout=TIMEOUT)
        await expect(answer).to_be_in_viewport()
        await follower.shot("answer")
        follower.no_errors()
    finally:
        await context.close()


@WIDTHS
async def test_a_directory_change_played_from_the_page_shows_its_consequences(
        base_url: str, browser: Browser, width: str) -> None:
    """Demo administrator: 通讯录变更（模拟） → 张三 离职; the page says what it played, 张三 leaves
    the list, and the Information Center is told that 某某发布 (his account) must be re-filed."""
    context = await new_context(browser, width)
    try:
        admin = Session(await context.new_page(), width, "directory")
        await admin.open(base_url, "wangwu")
        page = admin.page
        if admin.phone:  # the control is in the drawer, under the people
            await page.get_by_test_id("menu").click()
        await page.locator('[data-testid="directory"] summary').click()
        await page.get_by_test_id("dir-change").select_option("left")
        await page.get_by_test_id("dir-person").select_option("zhangsan")
        await expect(page.get_by_test_id("dir-department")).to_be_hidden()
        await page.get_by_test_id("dir-go").click()
        await expect(page.get_by_test_id("dir-done")).to_have_text(texts.sim_directory_left("张三"),
                                                                   timeout=TIMEOUT)
        await expect(page.get_by_test_id("dir-done")).to_be_in_viewport()
        await expect(page.get_by_test_id("person-zhangsan")).to_have_count(0, timeout=TIMEOUT)
        await admin.shot("left")
        if admin.phone:
            await page.locator("#scrim").click(position={"x": 400, "y": 400})
        told = admin.bot_text(re.compile("某某发布.*张三"))
        await expect(told).to_have_count(1, timeout=TIMEOUT)
        admin.no_errors()
    finally:
        await context.close()


@WIDTHS
async def test_published_through_the_bot_and_by_hand_in_the_simulator(base_url: str, browser: Browser,
                                                                     width: str) -> None:
    """Issue 17: with the demo's simulated WeChat keys, 张三's approved draft (with a picture, the
    cover WeChat requires) comes back with 发布到公众号; tapped, the simulated official account
    publishes it and the bot records it (已自动登记). Then 公众号后台直接发布（模拟未经审核） as
    李四: the page says what it played and 李四, head and 主管领导 of 某某发布, gets 【未经审核发布】
    in his chat.
    The publish worker polls every few seconds and the simulated account publishes two seconds
    after a submission: that step waits up to PUBLISHED ms."""
    await demo.simulate_wechat_api()
    context = await new_context(browser, width)
    try:
        officer = Session(await context.new_page(), width, "publish")
        await officer.open(base_url, "zhangsan")
        await officer.say("投稿 @某某发布 1 冬季供暖通知", "今年供暖从11月15日开始，请市民注意用暖安全。")
        preview = officer.card("pv-")
        await expect(preview).to_have_count(1, timeout=TIMEOUT)
        # WeChat takes no news article without a cover: a picture, sent next, attaches to the draft.
        await officer.page.get_by_test_id("file").set_input_files(
            files=[{"name": "cover.png", "mimeType": "image/png", "buffer": PNG}])
        await expect(preview).to_contain_text("附件图片 1", timeout=TIMEOUT)
        await button(preview, texts.BUTTON_SUBMIT).click()
        await expect(preview.get_by_test_id("card-status")).to_contain_text("已提交审核", timeout=TIMEOUT)
        await officer.switch_to("lisi")
        approval = officer.card("ap-")
        await button(approval, texts.BUTTON_APPROVE).click()
        await expect(approval.get_by_test_id("card-status")).to_contain_text("已通过", timeout=TIMEOUT)

        # 张三: 发布到公众号 on the approved card; tapped, published and recorded by itself.
        await officer.switch_to("zhangsan")
        card = officer.card("pubd-")
        await expect(button(card, texts.BUTTON_PUBLISH)).to_be_visible(timeout=TIMEOUT)
        await expect(card).to_contain_text("冬季供暖通知")
        await officer.shot("card")
        await button(card, texts.BUTTON_PUBLISH).click()
        await expect(card.get_by_test_id("card-status")).to_contain_text(texts.OUTCOME_PUBLISH_QUEUED,
                                                                         timeout=TIMEOUT)
        done = officer.bot_text("已自动登记")
        await expect(done).to_have_count(1, timeout=PUBLISHED)
        await expect(done).to_contain_text("/sim/articles/")
        await expect(done).to_be_in_viewport()
        await officer.shot("done")
        # The article as the simulated official account shows it (the path of the recorded URL).
        path = re.search(r"/sim/articles/\w+", await done.inner_text())
        assert path is not None
        reader = Session(await context.new_page(), width, "publish")
        await reader.page.goto(base_url + path.group(0))
        await expect(reader.page.locator("h1")).to_have_text("冬季供暖通知")
        await expect(reader.page.locator("body")).to_contain_text("今年供暖从11月15日开始")
        await reader.shot("article")
        await reader.page.close()

        # 李四 (or anyone): someone publishes straight in the official account's back office.
        head = Session(officer.page, width, "publish")
        await head.switch_to("lisi")
        page = head.page
        if head.phone:  # the control is in the drawer, under the people
            await page.get_by_test_id("menu").click()
        await page.locator('[data-testid="publish"] summary').click()
        await page.get_by_test_id("pub-account").select_option("某某发布")
        await page.get_by_test_id("pub-title").fill("领导调研")
        await page.get_by_test_id("pub-text").fill("某某领导今日到办事大厅调研。")
        await expect(page.get_by_test_id("pub-go")).to_be_in_viewport()
        await head.shot("panel")
        await page.get_by_test_id("pub-go").click()
        said = page.get_by_test_id("pub-done")
        await expect(said).to_have_text(texts.sim_published_by_hand("某某发布", "领导调研", 1),
                                        timeout=TIMEOUT)
        await expect(said).to_be_in_viewport()
        await expect(page.get_by_test_id("pub-title")).to_have_value("")
        await head.shot("played")
        if head.phone:  # the drawer closed (its slide over) before the chat is shot
            await page.locator("#scrim").click(position={"x": 400, "y": 400})
            await expect(page.get_by_test_id("person-lisi")).not_to_be_in_viewport(timeout=TIMEOUT)
        alert = head.bot_text("【未经审核发布】")
        await expect(alert).to_have_count(1, timeout=TIMEOUT)
        await expect(alert).to_contain_text("《领导调研》")
        await expect(alert).to_be_in_viewport()
        await head.shot("alert")
        officer.no_errors()
    finally:
        await context.close()


async def test_at_phone_width_the_people_are_a_drawer_and_the_chat_keeps_the_width(
        base_url: str, browser: Browser) -> None:
    """At 414 px (and 375) the list of people is a drawer behind ☰: the chat and the composer
    use the whole width, the drawer switches person and closes itself."""
    for width, code in ((414, "lisi"), (375, "zhouba")):
        context = await browser.new_context(viewport={"width": width, "height": 800},
                                            locale="zh-CN")
        session = Session(await context.new_page(), f"{width}px", "drawer")
        page = session.page
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
            session.no_errors()
        finally:
            await context.close()


async def console_sign_in(chat: Session, base_url: str, code: str, console: Page) -> None:
    """``登录后台`` said in the simulator as ``code``; the link it answers with opened in ``console``
    (its path on this test server: the link names XMT_PUBLIC_URL's host and port) and 登录 pressed."""
    await chat.open(base_url, code)
    await chat.say("登录后台")
    said = chat.bot_text("/console/login/").last
    await expect(said).to_be_visible(timeout=TIMEOUT)
    found = re.search(r"/console/login/[A-Za-z0-9_-]{43}", await said.inner_text())
    assert found is not None
    await console.goto(base_url + found.group(0))
    await console.get_by_test_id("login").click()
    await expect(console.get_by_test_id("viewer")).to_be_visible(timeout=TIMEOUT)


@WIDTHS
async def test_the_console_as_the_information_center_and_as_a_head(base_url: str, browser: Browser,
                                                                   width: str) -> None:
    """Issue 18: 登录后台 in chat gives a one-time link; as 王五 (Information Center) the console
    shows every account, the account's page, and the review reports: 王五 judges 张三's report
    from the page (合格 at desktop width, 不合格 with a reason at phone width) and the 年审 card in
    his chat closes with that verdict. As 李四 (head of 宣传科) only his department's accounts
    are listed and 某某服务's page (服务中心) is refused with 403."""
    context = await new_context(browser, width)
    try:
        chat = Session(await context.new_page(), width, "console-chat")
        await chat.open(base_url, "zhangsan")
        await chat.say("年审 @某某发布 全年发布 120 篇，互动回复及时，无违规。")
        submitted = chat.bot_text(texts.review_submitted("N1", "某某发布"))
        await expect(submitted).to_have_count(1, timeout=TIMEOUT)

        ic = Session(await context.new_page(), width, "console-ic")
        await console_sign_in(chat, base_url, "wangwu", ic.page)
        await expect(ic.page.get_by_test_id("viewer")).to_have_text("王五（信息中心）")
        await expect(ic.page.get_by_test_id("campaign")).to_contain_text("2026年度年审")
        await ic.shot("overview")
        await ic.page.goto(base_url + "/console/accounts")
        rows = ic.page.get_by_test_id("row")
        await expect(rows).to_have_count(3)
        await ic.shot("registry")
        service_href = await rows.filter(has_text="某某服务").locator("a").first.get_attribute("href")
        await rows.filter(has_text="某某发布").locator("a").first.click()
        await expect(ic.page.get_by_test_id("account-name")).to_have_text("某某发布")
        await expect(ic.page.get_by_test_id("heatmap").locator("svg")).to_be_visible()
        await expect(ic.page.get_by_test_id("history")).to_contain_text("提交2026年度年审报告")
        await ic.shot("account")

        await ic.page.goto(base_url + "/console/reviews")
        report = ic.page.get_by_test_id("report").filter(has_text="某某发布")
        await expect(report).to_contain_text("全年发布 120 篇")
        if width == "desktop":
            await report.get_by_test_id("pass").click()
            verdict = "合格"
        else:
            await report.locator("summary").click()
            await report.get_by_test_id("reason").fill("全年有三个月未更新。")
            await report.get_by_test_id("fail").click()
            verdict = "不合格"
        await expect(ic.page.get_by_test_id("flash")).to_be_visible(timeout=TIMEOUT)
        await expect(report.get_by_test_id("report-status")).to_have_text(verdict)
        await expect(report.get_by_test_id("pass")).to_have_count(0)
        await ic.shot("judged")

        # The 年审 card in 王五's chat closed with the verdict given on the page.
        await chat.open(base_url, "wangwu")
        card = chat.card("review-")
        await expect(card).to_have_attribute("data-status", re.compile(verdict), timeout=TIMEOUT)
        await expect(card.get_by_test_id("card-button")).to_have_count(0)
        await card.scroll_into_view_if_needed()
        await chat.shot("card-closed")

        head = Session(await context.new_page(), width, "console-head")
        await console_sign_in(chat, base_url, "lisi", head.page)
        await expect(head.page.get_by_test_id("viewer")).to_have_text("李四（部门负责人）")
        await head.page.goto(base_url + "/console/accounts")
        await expect(head.page.get_by_test_id("row")).to_have_count(2)
        await expect(head.page.get_by_test_id("registry")).not_to_contain_text("某某服务")
        await head.shot("registry")
        assert service_href is not None
        refused = await head.page.goto(base_url + service_href)
        assert refused is not None and refused.status == 403
        await expect(head.page.get_by_test_id("refusal")).to_have_text(texts.CONSOLE_FORBIDDEN)
        await head.shot("forbidden")
        for session in (chat, ic, head):
            session.no_errors()
    finally:
        await context.close()
