"""Publishing an approved version on a WeChat official account through the bot (issue 17), through
the real router and the publish worker: Art. 10 (第十条, 先审后发: exactly the approved version goes
out, a changed one is refused), Art. 11 (第十一条: the publication moves the cadence on).

The publisher here is an in-memory stand-in for ``bot.publishing.Publisher`` (its WeChat
implementation is tested against the fake WeChat API in tests/bot/channels/wechat/)."""

from __future__ import annotations

from datetime import timedelta

from bot import texts
from bot.events import PublishFinished
from bot.publish_jobs import LEASE, UNCERTAIN_FOR, PublishWorker
from bot.publishing import (
    Article,
    Credentials,
    PublishedItem,
    PublishRefused,
    PublishStatus,
    PublishThrottled,
)
from models import (
    Account,
    AuditEvent,
    Draft,
    DraftStatus,
    JobStatus,
    Publication,
    PublishJob,
)
from tests.conftest import World

APP_ID = "wx3f5e7c9a1b2d4e6f"


class Publisher:
    """Records what it was asked to publish; ``fail`` is raised by the next submit."""

    def __init__(self) -> None:
        self.submitted: list[tuple[Credentials, Article]] = []
        self.fail: Exception | None = None
        self.states: dict[str, PublishStatus] = {}

    async def submit(self, credentials: Credentials, article: Article) -> str:
        if self.fail is not None:
            exc, self.fail = self.fail, None
            raise exc
        self.submitted.append((credentials, article))
        return f"22474839{len(self.submitted):02d}"

    async def status(self, credentials: Credentials, publish_id: str) -> PublishStatus:
        return self.states.get(publish_id, PublishStatus("publishing"))

    async def published(self, credentials: Credentials, *, offset: int = 0, count: int = 20
                        ) -> tuple[list[PublishedItem], int]:
        return [], 0


async def setup(world: World) -> tuple[Publisher, PublishWorker]:
    await Account.filter(name="某某发布").update(wechat={"app_id": APP_ID, "app_secret": "s" * 32})
    publisher = Publisher()
    return publisher, PublishWorker(publisher, world.bot.outbox, clock=lambda: world.clock.now)


async def approved(world: World, text: str = "冬季供暖通知\n今年供暖从11月15日开始。") -> Draft:
    await world.say("zhangsan", f"投稿 @某某发布 1 {text}")
    await world.tap("zhangsan", world.channel.last_card("zhangsan", "pv-"), "提交审核")
    await world.tap("lisi", world.channel.last_card("lisi", "ap-"), "通过")
    return await Draft.get()


async def run(world: World, worker: PublishWorker, later: timedelta = timedelta()) -> int:
    moved = await worker.run_once(world.clock.now + later)
    await world.bot.outbox.drain(world.clock.now + later)
    return moved


async def test_approved_draft_is_published_and_recorded_from_wechats_event(world: World) -> None:
    publisher, worker = await setup(world)
    draft = await approved(world)
    card = world.channel.last_card("zhangsan", "pubd-")
    assert [b.label for b in card.buttons] == [texts.BUTTON_PUBLISH]
    await world.tap("zhangsan", card, texts.BUTTON_PUBLISH)
    job = await PublishJob.get()
    assert world.last_text("zhangsan") == texts.publish_queued(draft.ref, "某某发布", job.ref)
    closed = world.channel.card_state("zhangsan", card.card_id)
    assert closed.buttons == () and closed.body == texts.approved_card_closed("冬季供暖通知", "李四")
    assert await run(world, worker) == 1
    [(creds, article)] = publisher.submitted
    assert creds.app_id == APP_ID and article.title == "冬季供暖通知"
    assert "今年供暖从11月15日开始。" in article.html
    job = await PublishJob.get()
    assert (job.status, job.publish_id) == (JobStatus.SUBMITTED, "2247483901")
    assert world.last_text("zhangsan") == texts.publish_submitted(draft.ref, "某某发布")

    url = "https://mp.weixin.qq.com/s/AbCdEf123"
    finished = PublishFinished(channel="wechat", sender="某某发布", key="pjf:2247483901",
                               received_at=world.clock.now, account="某某发布", publish_id="2247483901",
                               state="published", article_url=url, article_id="2247483901_1")
    assert await world.deliver(finished)
    assert not await world.deliver(finished)  # WeChat's retry: deduped
    draft = await Draft.get(id=draft.id)
    publication = await Publication.get(draft_id=draft.id)
    assert draft.status == DraftStatus.PUBLISHED and (publication.url, publication.source) == (url, "wechat")
    account = await Account.get(name="某某发布")
    assert account.last_published_at == world.clock.now  # Art. 11: the cadence starts again
    assert world.last_text("zhangsan") == texts.publish_done(draft.ref, "某某发布", url)
    assert (await PublishJob.get()).status == JobStatus.PUBLISHED
    assert await run(world, worker, LEASE * 3) == 0  # nothing left to poll


async def test_a_draft_changed_after_approval_is_refused(world: World) -> None:
    publisher, _ = await setup(world)
    draft = await approved(world)
    await world.say("zhangsan", f"修改 {draft.ref} 冬季供暖通知\n今年供暖从11月20日开始。")
    await world.say("zhangsan", f"发布 {draft.ref}")
    assert world.last_text("zhangsan") in (texts.publish_changed(draft.ref),
                                           texts.cannot_publish(draft.ref, "composing"))
    assert await PublishJob.all().count() == 0 and publisher.submitted == []


async def test_who_may_publish_and_where(world: World) -> None:
    await setup(world)
    draft = await approved(world)
    await world.say("wujiu", f"发布 {draft.ref}")  # another department's officer
    assert world.last_text("wujiu") == texts.publish_not_allowed(draft.ref)
    await world.say("lisi", "发布")
    assert world.last_text("lisi") == texts.PUBLISH_USAGE
    await Account.filter(name="某某发布").update(wechat={})
    await world.say("lisi", f"发布 {draft.ref}")  # the head may; the account has no API keys
    assert world.last_text("lisi") == texts.publish_no_credentials("某某发布")
    await Account.filter(name="某某发布").update(wechat={"app_id": APP_ID, "app_secret": "s" * 32})
    await world.say("lisi", f"发布 {draft.ref}")
    await world.say("zhangsan", f"发布 {draft.ref}")
    job = await PublishJob.get()
    assert world.last_text("zhangsan") == texts.publish_in_progress(draft.ref, job.ref)
    assert await PublishJob.all().count() == 1


async def test_a_refusal_is_told_with_wechats_reason_and_a_throttle_is_retried(world: World) -> None:
    publisher, worker = await setup(world)
    draft = await approved(world)
    await world.say("zhangsan", f"发布 {draft.ref}")
    publisher.fail = PublishThrottled("45009", code="45009")
    await run(world, worker)
    job = await PublishJob.get()
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 1) and publisher.submitted == []
    assert await run(world, worker) == 0  # not before its backoff
    publisher.fail = PublishRefused("40164", code="40164", reason="服务器IP不在公众号的IP白名单中")
    await run(world, worker, timedelta(minutes=1))
    job = await PublishJob.get()
    assert (job.status, job.reason) == (JobStatus.FAILED, "服务器IP不在公众号的IP白名单中")
    assert world.last_text("zhangsan") == texts.publish_failed(draft.ref, "某某发布",
                                                               "服务器IP不在公众号的IP白名单中")
    assert (await Draft.get(id=draft.id)).status == DraftStatus.APPROVED  # 已发布 still possible
    await world.say("zhangsan", f"发布 {draft.ref}")  # a failed job does not block a new one
    assert await PublishJob.filter(status=JobStatus.QUEUED).count() == 1


async def test_without_the_event_the_job_is_polled_and_a_platform_refusal_told(world: World) -> None:
    publisher, worker = await setup(world)
    draft = await approved(world)
    await world.say("zhangsan", f"发布 {draft.ref}")
    await run(world, worker)
    publisher.states["2247483901"] = PublishStatus("failed", reason="平台审核不通过", code="4")
    await run(world, worker, timedelta(minutes=1))
    assert (await PublishJob.get()).status == JobStatus.SUBMITTED  # polled only after a while
    await run(world, worker, LEASE * 2)
    assert (await PublishJob.get()).status == JobStatus.FAILED
    assert world.last_text("zhangsan") == texts.publish_failed(draft.ref, "某某发布", "平台审核不通过")


async def test_a_submission_interrupted_is_never_submitted_again(world: World) -> None:
    """The process died between claiming the job and storing WeChat's publish id: WeChat may
    have it, so the job is uncertain, not resubmitted; the requester is told."""
    publisher, worker = await setup(world)
    draft = await approved(world)
    await world.say("zhangsan", f"发布 {draft.ref}")
    job = await PublishJob.get()
    await PublishJob.transition(job.id, JobStatus.SUBMITTING, claimed_until=world.clock.now + LEASE)
    await run(world, worker, LEASE + timedelta(seconds=1))
    assert (await PublishJob.get()).status == JobStatus.UNCERTAIN and publisher.submitted == []
    assert world.last_text("zhangsan") == texts.publish_uncertain(draft.ref, "某某发布")
    assert await AuditEvent.filter(action="publish_uncertain").count() == 1
    await run(world, worker, UNCERTAIN_FOR + LEASE * 2)  # never seen on the account: failed, said why
    assert (await PublishJob.get()).status == JobStatus.FAILED and publisher.submitted == []
    assert world.last_text("zhangsan") == texts.publish_failed(draft.ref, "某某发布", texts.PUBLISH_NOT_FOUND)
    assert f"可重新发送：发布 {draft.ref}" in world.last_text("zhangsan")  # the number, not 编号


async def test_a_submission_without_an_answer_is_not_retried(world: World) -> None:
    """A timeout on freepublish/submit: WeChat may have published it; submitting again could
    publish it twice (Art. 10 is about what goes out, once)."""
    from bot.publishing import PublishUncertain

    publisher, worker = await setup(world)
    draft = await approved(world)
    await world.say("zhangsan", f"发布 {draft.ref}")
    publisher.fail = PublishUncertain("timeout", code="uncertain")
    await run(world, worker)
    assert (await PublishJob.get()).status == JobStatus.UNCERTAIN
    assert world.last_text("zhangsan") == texts.publish_uncertain(draft.ref, "某某发布")
    await run(world, worker, timedelta(minutes=30))
    assert publisher.submitted == [] and (await PublishJob.get()).status == JobStatus.UNCERTAIN


async def test_an_unapproved_publication_is_in_the_accounts_life(world: World) -> None:
    """Art. 10: what the watch reported stays in 账号 @x (its figures: tests/bot/test_figures.py)."""
    from bot import audit

    await audit.record("watch", "unapproved_publication", "某某发布",
                       {"item": 1, "title": "领导活动", "url": "https://mp.weixin.qq.com/s/item3"},
                       now=world.clock.now)
    await world.say("wangwu", "账号 @某某发布")
    assert texts.life_unapproved("领导活动", "https://mp.weixin.qq.com/s/item3") in world.last_text("wangwu")
