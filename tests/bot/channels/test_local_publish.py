"""The simulator publishes and watches (issue 17, "Done when": the simulator shows 发布到公众号 and an
unapproved-publication alert). ``SimulatedPublisher`` stands in for WeChat's publishing API in the
simulator (``bot.channels.local.publisher``); ``POST /sim/api/publish-by-hand`` is the page's
公众号后台直接发布 control.

Proven here, through the app as ``xmt demo`` builds it (the demo's 某某发布 with the simulated keys
of ``bot.demo.simulate_wechat_api``):

- end to end: 李四 approves → 张三 gets 发布到公众号 and taps it → the publish worker submits →
  the publisher announces ``PublishFinished`` through the inbox (by ``deliver()``, and by itself
  after its delay) → the draft is recorded as published with the article's URL (已自动登记), the
  article is served at that URL with its picture, and the watch then reading the account does
  not report it; without a picture the author is told WeChat needs a cover, as from WeChat;
- an article published by hand: 200, the head (李四, also the 主管领导) and the Information
  Center (王五, 赵六) get 【未经审核发布】 in their chats at once, one ``SeenItem``; the same click
  again is one publication; an account never read is read first (the baseline) and still
  reported; a text that is an approved draft is recorded as its publication, not reported;
- refusals are 400 in Chinese and publish nothing; for any body the endpoint answers 200 exactly
  when the oracle says it can be published, else 400, one article per 200 (Hypothesis);
- ``status`` and ``published`` answer from the publisher's state (paging, a job lost by a restart).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot import demo, texts
from bot.app import BOT, LOCAL, Bot, create_app
from bot.channels.local.channel import LocalChannel
from bot.channels.local.publisher import SimulatedPublisher
from bot.org import import_file
from bot.publish_jobs import PublishWorker
from bot.publishing import Article, Credentials, Image
from models import (
    Account,
    AccountStatus,
    Draft,
    DraftStatus,
    JobStatus,
    Publication,
    PublishJob,
    SeenItem,
)
from schedules.watch import watch_account_now
from tests.conftest import DEMO_ORG, make_settings
from tests.fakes import FakeClock

NEWS = "某某发布"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
       b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
       b"\x00\x00\x00IEND\xaeB`\x82")
TOLD = ("lisi", "wangwu", "zhaoliu")  # head and 主管领导 of 某某发布, the Information Center


@dataclass
class Sim:
    client: TestClient  # type: ignore[type-arg]
    clock: FakeClock

    @property
    def bot(self) -> Bot:
        bot: Bot = self.client.app[BOT]
        return bot

    @property
    def local(self) -> LocalChannel:
        local: LocalChannel = self.client.app[LOCAL]
        return local

    @property
    def publisher(self) -> SimulatedPublisher:
        publisher = self.bot.deps.publisher
        assert isinstance(publisher, SimulatedPublisher)
        return publisher

    async def settle(self) -> None:
        await self.bot.tasks.join()
        await self.bot.outbox.drain(self.clock.now)

    async def post(self, path: str, body: Any) -> tuple[int, dict[str, Any]]:
        resp = await self.client.post(path, data=json.dumps(body, ensure_ascii=False).encode(),
                                      headers={"Content-Type": "application/json"})
        answer = await resp.json()
        await self.settle()
        return resp.status, answer

    async def say(self, who: str, text: str) -> None:
        status, _ = await self.post("/sim/api/send", {"as": who, "id": uuid.uuid4().hex, "text": text})
        assert status == 200

    def card(self, who: str, prefix: str) -> dict[str, Any]:
        cards = [m.body for m in self.local.messages({who}) if m.body.get("type") == "card"
                 and str(m.body.get("card_id", "")).startswith(prefix)]
        assert cards, (who, prefix)
        return cards[-1]

    async def tap(self, who: str, prefix: str, label: str) -> None:
        card = self.card(who, prefix)
        button = next(b for b in card["buttons"] if b["label"] == label)
        tapped = {"as": who, "id": uuid.uuid4().hex, "card_id": card["card_id"], "payload": button["payload"]}
        status, _ = await self.post("/sim/api/tap", tapped)
        assert status == 200

    def texts_of(self, who: str) -> list[str]:
        return [str(m.body.get("text", "")) for m in self.local.messages({who}) if m.sender == "bot"]

    async def by_hand(self, body: Any) -> tuple[int, dict[str, Any]]:
        return await self.post("/sim/api/publish-by-hand", body)


@pytest.fixture
async def sim(db: str, aiohttp_client: Any) -> AsyncIterator[Sim]:
    clock = FakeClock()  # Thursday 26 November 2026, 10:00: working hours
    app = create_app(make_settings(simulator=True), manage_database=False, run_scheduler=False,
                     run_worker=False, clock=clock)
    s = Sim(await aiohttp_client(app), clock)
    await import_file(DEMO_ORG, now=clock.now)
    assert await demo.simulate_wechat_api() == 1  # 某某发布, as the demo gives it
    s.publisher.delay = None  # published when the test says (deliver), not after a delay
    yield s


async def approved(sim: Sim, title: str = "冬季供暖通知", body: str = "今年供暖从11月15日开始。", *,
                   picture: bool = True) -> Draft:
    await sim.say("zhangsan", f"投稿 @{NEWS} 1 {title}\n{body}")
    if picture:  # WeChat takes no news article without a cover: the first picture
        form = FormData()
        form.add_field("as", "zhangsan")
        form.add_field("id", uuid.uuid4().hex)
        form.add_field("file", PNG, filename="cover.png", content_type="image/png")
        assert (await sim.client.post("/sim/api/send", data=form)).status == 200
        await sim.settle()
    await sim.tap("zhangsan", "pv-", texts.BUTTON_SUBMIT)
    await sim.tap("lisi", "ap-", texts.BUTTON_APPROVE)
    draft = await Draft.get()
    assert draft.status == DraftStatus.APPROVED
    return draft


# -- publishing through the bot --------------------------------------------------------------
async def test_approved_tapped_published_and_recorded_from_the_event(sim: Sim) -> None:
    draft = await approved(sim)
    card = sim.card("zhangsan", "pubd-")  # 发布到公众号 on the author's card
    assert [b["label"] for b in card["buttons"]] == [texts.BUTTON_PUBLISH]
    await sim.tap("zhangsan", "pubd-", texts.BUTTON_PUBLISH)
    worker = PublishWorker(sim.publisher, sim.bot.outbox, clock=sim.clock)
    assert await worker.run_once(sim.clock.now) == 1
    [job] = await PublishJob.all()
    assert job.status == JobStatus.SUBMITTED and job.publish_id
    [article] = sim.publisher.articles.values()
    assert (article.account, article.title, article.by_hand) == (NEWS, "冬季供暖通知", False)
    assert "今年供暖从11月15日开始。" in article.html

    assert await sim.publisher.deliver() == 1  # WeChat's PUBLISHJOBFINISH, through the inbox
    assert await sim.publisher.deliver() == 0
    await sim.settle()
    await draft.refresh_from_db()
    publication = await Publication.get(draft_id=draft.id)
    assert draft.status == DraftStatus.PUBLISHED and publication.source == "wechat"
    assert publication.url == article.url == f"http://127.0.0.1:8080/sim/articles/{article.article_id}"
    assert (await PublishJob.get()).status == JobStatus.PUBLISHED
    assert texts.publish_done(draft.ref, NEWS, article.url) in sim.texts_of("zhangsan")
    assert "已自动登记" in sim.texts_of("zhangsan")[-1]

    page = await sim.client.get(f"/sim/articles/{article.article_id}")
    shown = await page.text()
    assert page.status == 200 and "冬季供暖通知" in shown and "今年供暖从11月15日开始。" in shown
    assert texts.SIM_ARTICLE_BY_BOT in shown and f"/sim/articles/{article.article_id}/images/0" in shown
    image = await sim.client.get(f"/sim/articles/{article.article_id}/images/0")
    assert (image.status, image.content_type, await image.read()) == (200, "image/png", PNG)
    # The watch reads the account: the article is the recorded publication, nothing reported.
    assert await watch_account_now((await Account.get(name=NEWS)).id, sim.clock.now, sim.bot.deps) == 0
    [seen] = await SeenItem.all()
    assert (seen.draft_id, seen.url) == (draft.id, article.url)
    assert not any("未经审核发布" in t for who in TOLD for t in sim.texts_of(who))


async def test_published_by_itself_after_the_delay(sim: Sim) -> None:
    """The running demo: the publisher announces the job after its delay (here: when the test
    opens the gate, no sleeping), once the worker has stored the publish id."""
    gate = asyncio.Event()

    async def wait(_: float) -> None:
        await gate.wait()

    sim.publisher.delay, sim.publisher.sleep = 2.0, wait
    draft = await approved(sim)
    await sim.tap("zhangsan", "pubd-", texts.BUTTON_PUBLISH)
    await PublishWorker(sim.publisher, sim.bot.outbox, clock=sim.clock).run_once(sim.clock.now)
    assert (await PublishJob.get()).status == JobStatus.SUBMITTED
    gate.set()
    await sim.publisher.settled()
    await sim.settle()
    await draft.refresh_from_db()
    assert draft.status == DraftStatus.PUBLISHED
    assert (await PublishJob.get()).status == JobStatus.PUBLISHED


async def test_without_a_picture_the_author_is_told_wechat_needs_a_cover(sim: Sim) -> None:
    """As WeChat (and WechatPublisher): a news article needs a cover; the job fails with the reason."""
    draft = await approved(sim, picture=False)
    await sim.tap("zhangsan", "pubd-", texts.BUTTON_PUBLISH)
    await PublishWorker(sim.publisher, sim.bot.outbox, clock=sim.clock).run_once(sim.clock.now)
    await sim.settle()
    assert (await PublishJob.get()).status == JobStatus.FAILED
    assert sim.publisher.articles == {}
    assert texts.publish_failed(draft.ref, NEWS, texts.WECHAT_NO_COVER) in sim.texts_of("zhangsan")
    await draft.refresh_from_db()
    assert draft.status == DraftStatus.APPROVED  # 已发布 by hand still possible


async def test_status_and_published_answer_from_the_state(sim: Sim) -> None:
    publisher = sim.publisher
    creds, other = Credentials(NEWS, "wx000000000000demo", "s"), Credentials("某某头条", "wx1", "s")
    cover = Image("cover.png", PNG, "image/png")
    ids = [await publisher.submit(creds, Article(title=f"第{n}篇", html=f"<p>正文{n}</p>", cover=cover))
           for n in range(3)]
    assert len(set(ids)) == 3 and all(i.isdigit() for i in ids)
    publisher.publish_by_hand(NEWS, "后台直接发", "没有经过助手。")
    status = await publisher.status(creds, ids[0])
    assert status.state == "published" and status.article_url.startswith("http://127.0.0.1:8080/sim/articles/")
    lost = await publisher.status(creds, "2247483647")  # submitted before a restart
    assert (lost.state, lost.reason) == ("failed", texts.SIM_PUBLISH_LOST)
    assert (await publisher.status(other, ids[0])).state == "failed"  # another account's job
    first, total = await publisher.published(creds, offset=0, count=3)
    assert total == 4 and [i.title for i in first] == ["后台直接发", "第2篇", "第1篇"]  # newest first
    rest, _ = await publisher.published(creds, offset=3, count=3)
    assert [(i.title, i.text) for i in rest] == [("第0篇", "正文0")]
    assert first[0].source_id.endswith(":1") and first[0].text == "没有经过助手。"
    assert await publisher.published(other) == ([], 0)


@pytest.mark.parametrize(("host", "url"), [("127.0.0.1", "http://127.0.0.1:8080"),
                                           ("0.0.0.0", "http://127.0.0.1:8080"),  # noqa: S104
                                           ("::", "http://127.0.0.1:8080"), ("", "http://127.0.0.1:8080"),
                                           ("::1", "http://[::1]:8080"), ("demo.local", "http://demo.local:8080")])
def test_article_urls_are_where_the_simulator_is_reached(host: str, url: str) -> None:
    """Article links, like the console's, use Settings.site_url (XMT_PUBLIC_URL, else the listening
    address, a wildcard host by 127.0.0.1)."""
    assert make_settings(host=host, port=8080).site_url == url


# -- published by hand, seen by the watch ------------------------------------------------------
async def test_published_by_hand_is_reported_at_once(sim: Sim) -> None:
    # the demo's baseline (bot.demo reads each account once)
    await watch_account_now((await Account.get(name=NEWS)).id, sim.clock.now, sim.bot.deps)
    body = {"id": "click-1", "account": NEWS, "title": "领导调研", "text": "某某领导今日到办事大厅调研。"}
    status, answer = await sim.by_hand(body)
    assert status == 200 and answer["accepted"] and answer["reported"] == 1
    assert answer["said"] == texts.sim_published_by_hand(NEWS, "领导调研", 1)
    for who in TOLD:
        alerts = [t for t in sim.texts_of(who) if t.startswith("【未经审核发布】")]
        assert len(alerts) == 1 and "《领导调研》" in alerts[0] and answer["url"] in alerts[0], who
    [seen] = await SeenItem.all()
    assert (seen.title, seen.draft_id, seen.url) == ("领导调研", None, answer["url"])
    page = await sim.client.get(answer["url"].removeprefix("http://127.0.0.1:8080"))
    assert page.status == 200 and texts.SIM_ARTICLE_BY_HAND in await page.text()

    status, again = await sim.by_hand(body)  # the same click (a retry): one publication
    assert status == 200
    assert again == {"accepted": False, "duplicate": True, "said": texts.SIM_PUBLISH_DUPLICATE}
    assert len(sim.publisher.articles) == 1 and await SeenItem.all().count() == 1


async def test_an_account_never_read_is_read_first_and_still_reported(sim: Sim) -> None:
    account = await Account.get(name=NEWS)
    assert account.watched_at is None
    status, answer = await sim.by_hand({"account": NEWS, "title": "通知", "text": "周六不开门。"})
    assert status == 200 and answer["reported"] == 1
    await account.refresh_from_db()
    assert account.watched_at == sim.clock.now


async def test_an_approved_text_published_by_hand_is_recorded_not_reported(sim: Sim) -> None:
    """Published on the platform instead of through the bot, but exactly what was approved: the
    watch records it as the draft's publication (no 已发布 needed) and tells nobody."""
    draft = await approved(sim, "冬季安全提示", "冬季用电用火安全提示。", picture=False)
    status, answer = await sim.by_hand({"account": NEWS, "title": "冬季安全提示",
                                        "text": "冬季用电用火安全提示。"})
    assert status == 200 and answer["reported"] == 0
    assert answer["said"] == texts.sim_published_by_hand(NEWS, "冬季安全提示", 0)
    await draft.refresh_from_db()
    assert draft.status == DraftStatus.PUBLISHED
    assert (await Publication.get(draft_id=draft.id)).url == answer["url"]
    assert not any("未经审核发布" in t for who in TOLD for t in sim.texts_of(who))


async def test_people_lists_the_accounts_the_control_offers(sim: Sim) -> None:
    people = await (await sim.client.get("/sim/api/people")).json()
    assert people["wechat_accounts"] == [NEWS]
    await Account.filter(name=NEWS).update(status=AccountStatus.CLOSED)
    people = await (await sim.client.get("/sim/api/people")).json()
    assert people["wechat_accounts"] == []


async def test_article_pages_escape_and_unknown_ones_are_404(sim: Sim) -> None:
    status, answer = await sim.by_hand({"account": NEWS, "title": "<script>alert(1)</script>",
                                        "text": "<img src=x onerror=alert(2)> & 'q'"})
    assert status == 200
    page = await sim.client.get(answer["url"].removeprefix("http://127.0.0.1:8080"))
    shown = await page.text()
    assert "<script>" not in shown and "<img src=x" not in shown and "&lt;script&gt;" in shown
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    for path in ("/sim/articles/nothing", "/sim/articles/nothing/images/0",
                 answer["url"].removeprefix("http://127.0.0.1:8080") + "/images/0",
                 answer["url"].removeprefix("http://127.0.0.1:8080") + "/images/x"):
        assert (await sim.client.get(path)).status == 404, path


# -- refusals ------------------------------------------------------------------------------------
GOOD = {"account": NEWS, "title": "标题", "text": "正文"}


@pytest.mark.parametrize(("body", "said"), [
    ({**GOOD, "account": "某某头条"}, texts.sim_publish_not_wechat("某某头条")),
    ({**GOOD, "account": "不存在"}, texts.sim_publish_unknown("不存在")),
    ({**GOOD, "account": ""}, texts.SIM_PUBLISH_REQUIRED),
    ({**GOOD, "account": 7}, texts.SIM_PUBLISH_REQUIRED),
    ({**GOOD, "account": "x" * 129}, texts.SIM_PUBLISH_REQUIRED),
    ({"title": "标题", "text": "正文"}, texts.SIM_PUBLISH_REQUIRED),
    ({**GOOD, "title": "  "}, texts.sim_publish_title(64)),
    ({**GOOD, "title": "题" * 65}, texts.sim_publish_title(64)),
    ({**GOOD, "title": ["标题"]}, texts.sim_publish_title(64)),
    ({**GOOD, "text": ""}, texts.sim_publish_text(20_000)),
    ({**GOOD, "text": "字" * 20_001}, texts.sim_publish_text(20_000)),
    ({**GOOD, "text": None}, texts.sim_publish_text(20_000)),
    ([NEWS, "标题", "正文"], texts.SIM_PUBLISH_REQUIRED),
    ("publish", texts.SIM_PUBLISH_REQUIRED),
    (None, texts.SIM_PUBLISH_REQUIRED),
])
async def test_refusals_are_400_in_chinese_and_publish_nothing(sim: Sim, body: Any, said: str) -> None:
    status, answer = await sim.by_hand(body)
    assert (status, answer["error"]) == (400, said)
    assert sim.publisher.articles == {} and await SeenItem.all().count() == 0


async def test_accounts_the_watch_cannot_read_are_refused(sim: Sim) -> None:
    await Account.filter(name=NEWS).update(wechat={})
    status, answer = await sim.by_hand(GOOD)
    assert (status, answer["error"]) == (400, texts.sim_publish_not_watched(NEWS))
    await demo.simulate_wechat_api()
    await Account.filter(name=NEWS).update(status=AccountStatus.CLOSED)
    status, answer = await sim.by_hand(GOOD)
    assert (status, answer["error"]) == (400, texts.sim_publish_not_watched(NEWS))
    assert sim.publisher.articles == {}


async def test_a_body_that_is_not_json_is_refused(sim: Sim) -> None:
    for raw in (b"not json", b"{", "\ud800".encode("utf-8", "surrogatepass"), b""):
        resp = await sim.client.post("/sim/api/publish-by-hand", data=raw,
                                     headers={"Content-Type": "application/json"})
        assert (resp.status, (await resp.json())["error"]) == (400, texts.SIM_NOT_JSON)
    assert sim.publisher.articles == {}


async def test_without_the_simulated_publisher_the_control_is_off(sim: Sim) -> None:
    sim.local.publisher = None
    status, answer = await sim.by_hand(GOOD)
    assert (status, answer["error"]) == (400, texts.SIM_PUBLISH_OFF)
    assert (await sim.client.get("/sim/articles/anything")).status == 404


# -- any body ----------------------------------------------------------------------------------
NAMES = st.sampled_from([NEWS, "某某头条", "某某服务", "不存在", "", " 某某发布 ", "x" * 129])
VALUE = st.one_of(NAMES, st.text(max_size=8), st.integers(), st.none(), st.booleans(),
                  st.lists(NAMES, max_size=2), st.dictionaries(st.text(max_size=3), NAMES, max_size=2))
TITLE = st.one_of(VALUE, st.text(min_size=60, max_size=70), st.just("  领导调研  "))
BODY = st.one_of(
    st.fixed_dictionaries({}, optional={"account": VALUE, "title": TITLE, "text": VALUE,
                                        "id": st.one_of(st.text(max_size=10), st.integers())}),
    VALUE,
)


def publishable(body: Any) -> bool:
    """The oracle: can this body be published on the demo's accounts (only 某某发布 has keys)?"""
    if not isinstance(body, dict):
        return False
    account, title, text = body.get("account"), body.get("title"), body.get("text")
    return (isinstance(account, str) and account.strip() == NEWS and len(account) <= 128
            and isinstance(title, str) and 0 < len(title.strip()) <= 64
            and isinstance(text, str) and 0 < len(text.strip()) and len(text) <= 20_000)


async def test_any_body_is_published_exactly_when_it_can_be_else_refused(sim: Sim) -> None:
    await watch_account_now((await Account.get(name=NEWS)).id, sim.clock.now, sim.bot.deps)
    loop = asyncio.get_running_loop()

    @settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(body=BODY)
    @example(body={"account": " 某某发布 ", "title": "  领导调研  ", "text": " x "})
    @example(body={"account": "某某服务", "title": "t", "text": "x"})
    @example(body={"account": NEWS, "title": "t" * 64, "text": "x", "id": 3})
    def prop(body: Any) -> None:
        if isinstance(body, dict):
            body["id"] = f"{body.get('id')}-{uuid.uuid4().hex}"  # a fresh click each time
        before = len(sim.publisher.articles)
        status, answer = asyncio.run_coroutine_threadsafe(sim.by_hand(body), loop).result()
        after = len(sim.publisher.articles)
        if publishable(body):
            assert status == 200 and answer["accepted"] and answer["said"].startswith("已模拟："), body
            assert after == before + 1
        else:
            assert status == 400 and isinstance(answer["error"], str) and answer["error"], body
            assert after == before
        json.dumps(answer, ensure_ascii=False)

    await asyncio.to_thread(prop)
    assert await SeenItem.all().count() == len(sim.publisher.articles)
