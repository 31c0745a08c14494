"""Publishing through the bot end to end (issue 17; Art. 10 第十条 先审后发, Art. 11 第十一条): an
approved draft with a picture is published by the real ``WechatPublisher`` against the fake
official-account API, and WeChat's ``PUBLISHJOBFINISH``, signed and posted to
``/wechat/{account}/callback``, records the publication; the same article then read back by the
watch from ``freepublish/batchget`` is not reported; one published by hand on the platform is."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from bot import texts
from bot.app import BOT, Bot, create_app
from bot.channels.wechat.routes import sign
from bot.events import CardAction, Event, ImageMessage, TextMessage
from bot.org import import_file
from bot.publish_jobs import PublishWorker
from models import Account, Draft, DraftStatus, JobStatus, Publication, PublishJob, SeenItem
from schedules.watch import EVERY, watch_publications
from tests.conftest import DEMO_ORG, make_settings
from tests.fake_wechat import FakeWechat
from tests.fakes import FakeClock, RecordingChannel

APP_ID, SECRET, TOKEN = "wx3f5e7c9a1b2d4e6f", "0123456789abcdef0123456789abcdef", "callbacktoken1"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
       b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
       b"\x00\x00\x00IEND\xaeB`\x82")


class Chat:
    def __init__(self, client: TestClient, channel: RecordingChannel, clock: FakeClock) -> None:  # type: ignore[type-arg]
        self.client, self.channel, self.clock, self.n = client, channel, clock, 0

    @property
    def bot(self) -> Bot:
        return self.client.app[BOT]

    async def deliver(self, event: Event) -> None:
        await self.bot.inbox.accept(event)
        await self.bot.tasks.join()
        await self.bot.outbox.drain(self.clock.now)

    def common(self, who: str) -> dict[str, Any]:
        self.n += 1
        return {"channel": "local", "sender": who, "key": f"k{self.n}", "received_at": self.clock.now}

    async def say(self, who: str, text: str) -> None:
        await self.deliver(TextMessage(**self.common(who), text=text))

    async def tap(self, who: str, prefix: str, label: str) -> None:
        card = self.channel.last_card(who, prefix)
        button = next(b for b in card.buttons if b.label == label)
        await self.deliver(CardAction(**self.common(who), payload=button.payload, card_id=card.card_id))


async def test_published_through_the_fake_api_recorded_from_the_event_and_watched(
        db: str, aiohttp_client: Any) -> None:
    fake = FakeWechat(app_id=APP_ID, secret=SECRET)
    await fake.start()
    clock, channel = FakeClock(), RecordingChannel()
    app = create_app(make_settings(callback_max_age=0, wechat_api_base=fake.base_url), channels=[channel],
                     manage_database=False, run_scheduler=False, run_worker=False, clock=clock)
    chat = Chat(await aiohttp_client(app), channel, clock)
    try:
        await import_file(DEMO_ORG, now=clock.now)
        await Account.filter(name="某某发布").update(wechat={"app_id": APP_ID, "app_secret": SECRET,
                                                          "token": TOKEN})
        bot = chat.bot
        assert bot.deps.publisher is not None
        worker = PublishWorker(bot.deps.publisher, bot.outbox, clock=lambda: clock.now)
        await watch_publications(clock.now, bot.deps)  # the baseline: nothing published yet

        await chat.say("zhangsan", "投稿 @某某发布 1 冬季供暖通知\n今年供暖从11月15日开始。")
        await chat.deliver(ImageMessage(**chat.common("zhangsan"), name="cover.png", mime="image/png",
                                        data=PNG))
        await chat.tap("zhangsan", "pv-", "提交审核")
        await chat.tap("lisi", "ap-", "通过")
        await chat.tap("zhangsan", "pubd-", texts.BUTTON_PUBLISH)
        await worker.run_once(clock.now)
        [job] = await PublishJob.all()
        assert job.status == JobStatus.SUBMITTED and job.publish_id is not None
        [draft_body] = fake.drafts
        article = draft_body["articles"][0]
        assert article["title"] == "冬季供暖通知" and "今年供暖从11月15日开始。" in article["content"]
        assert [u["data"] for u in fake.uploads] == [PNG]  # the approved picture as the cover

        event = fake.finish(job.publish_id).encode()
        params = {"timestamp": "1700000000", "nonce": "88", "signature": sign(TOKEN, "1700000000", "88")}
        for _ in range(2):  # WeChat retries: one record
            resp = await chat.client.post("/wechat/某某发布/callback", params=params, data=event)
            assert (resp.status, await resp.text()) == (200, "success")
        await bot.tasks.join()
        draft = await Draft.get()
        publication = await Publication.get(draft_id=draft.id)
        assert draft.status == DraftStatus.PUBLISHED and publication.source == "wechat"
        assert publication.url == fake.jobs[job.publish_id].urls[0]
        assert (await PublishJob.get()).status == JobStatus.PUBLISHED

        fake.publish_directly("领导调研", "<p>某某领导今日调研。</p>")
        assert await watch_publications(clock.now + EVERY, bot.deps) == 1  # only the one by hand
        assert {s.title: s.draft_id for s in await SeenItem.all()} == {
            "冬季供暖通知": draft.id, "领导调研": None}
    finally:
        await fake.stop()
