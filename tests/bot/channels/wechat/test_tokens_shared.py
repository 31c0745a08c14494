"""Access tokens shared by bot instances on one database (issue 17, point 5; models/tokens.py).

Each "instance" is its own ``WechatTokens`` (its own in-process caches, as a second process would
have) on the same database (SQLite here, PostgreSQL with ``XMT_TEST_DATABASE_URL``), against the
fake WeChat, which counts the tokens it issues and retires an AppID's previous token five minutes
after a new one, as WeChat does. The wall clock the instances share is a ``FakeClock`` (UTC); the
monotonic clock of their in-process caches is moved by hand."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.channels.wechat.channel import WechatMPChannel, WechatTokenError, WechatTokens
from bot.channels.wechat.publish import WechatPublisher
from bot.publishing import Credentials
from models import WechatToken
from tests.conftest import QueryCounter
from tests.fake_wechat import FakeWechat
from tests.fakes import FakeClock

APP_ID, SECRET = "wx49f0ab532d5d035a", "7c0e3b1f9a2d4e6b8c0a1e3f5d7b9c1e"
CREDS = Credentials("某某发布", APP_ID, SECRET)
TTL = 7200.0  # the fake's expires_in, as WeChat's


class Mono:
    """A monotonic clock moved by hand (the in-process caches' clock)."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class Instance:
    """One bot instance: its channel (HTTP session), its tokens and a publisher sharing them."""

    def __init__(self, fake: FakeWechat, wall: FakeClock, mono: Mono, *, wait: float = 10.0) -> None:
        self.channel = WechatMPChannel(fake.base_url, timeout=2.0)
        self.tokens = WechatTokens(self.channel, fake.base_url, clock=mono, now=wall, poll=0.005, wait=wait)
        self.channel.tokens = self.tokens
        self.publisher = WechatPublisher(fake.base_url, tokens=self.tokens, timeout=2.0)

    async def get(self) -> str:
        return await self.tokens.cache(APP_ID, SECRET).get()

    async def close(self) -> None:
        await self.publisher.close()
        await self.channel.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeWechat]:
    async with FakeWechat(APP_ID, SECRET) as server:
        yield server


@pytest.fixture
def wall() -> FakeClock:
    return FakeClock(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))


@pytest.fixture
def mono() -> Mono:
    return Mono()


@pytest.fixture
async def pair(db: str, fake: FakeWechat, wall: FakeClock,
               mono: Mono) -> AsyncIterator[tuple[Instance, Instance]]:
    a, b = Instance(fake, wall, mono), Instance(fake, wall, mono)
    yield a, b
    await a.close()
    await b.close()


async def test_two_instances_share_one_fetch(fake: FakeWechat, pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    token = await a.get()
    assert await b.get() == token
    assert fake.tokens_issued == 1 and (a.tokens.fetched, b.tokens.fetched) == (1, 0)
    assert b.tokens.read_shared == 1
    await b.publisher.published(CREDS)  # the token b read is one WeChat takes
    await a.publisher.published(CREDS)
    assert fake.tokens_issued == 1 and fake.calls["freepublish/batchget"] == 2
    (row,) = await WechatToken.all()
    assert (row.app_id, row.generation, row.lease_owner, row.lease_until) == (APP_ID, 1, "", None)


async def test_concurrent_gets_from_both_instances_fetch_once(
        fake: FakeWechat, pair: tuple[Instance, Instance], wall: FakeClock, mono: Mono) -> None:
    a, b = pair
    c = Instance(fake, wall, mono)
    try:
        tokens = await asyncio.gather(a.get(), b.get(), c.get(), a.get(), b.get())
        assert len(set(tokens)) == 1 and fake.tokens_issued == 1
        assert a.tokens.fetched + b.tokens.fetched + c.tokens.fetched == 1
    finally:
        await c.close()


async def test_a_refused_token_is_renewed_once_for_both(
        fake: FakeWechat, pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    first = await a.get()
    assert await b.get() == first
    fake.expire_tokens()  # WeChat refuses it from now on (42001), to each instance
    await a.publisher.published(CREDS)
    await b.publisher.published(CREDS)
    assert fake.tokens_issued == 2  # one renewal, not one per instance
    assert await a.get() == await b.get() != first
    (row,) = await WechatToken.all()
    assert row.generation == 2


async def test_a_token_refused_to_both_at_once_is_renewed_once(
        fake: FakeWechat, pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    first = await a.get()
    assert await b.get() == first
    fake.fail("freepublish/batchget", 40014, times=2)
    await asyncio.gather(a.publisher.published(CREDS), b.publisher.published(CREDS))
    assert fake.tokens_issued == 2 and await a.get() == await b.get() != first


async def test_a_refusal_of_an_older_token_keeps_the_newer_stored_one(
        fake: FakeWechat, pair: tuple[Instance, Instance], wall: FakeClock, mono: Mono) -> None:
    """Compare-and-set: b was refused the token a already replaced; the stored one stays."""
    a, b = pair
    old = await b.get()
    fake.fail("freepublish/batchget", 42001)
    await a.publisher.published(CREDS)  # a is refused `old` and renews it: generation 2
    new = await a.get()
    assert new != old and fake.tokens_issued == 2
    fake.fail("freepublish/batchget", 40001)
    await b.publisher.published(CREDS)  # b, still on `old`, is refused: it reads `new`
    assert fake.tokens_issued == 2 and await b.get() == new
    (row,) = await WechatToken.all()
    assert row.generation == 2 and row.expires_at == wall.now + timedelta(seconds=TTL)


async def test_a_stale_read_neither_drops_nor_refetches_a_token_stored_since(
        db: str, wall: FakeClock) -> None:
    """The races the generation closes: an instance read generation 1 (refused or expiring), then
    another stored generation 2. Its invalidate and its claim, both of generation 1, do nothing."""
    now, later = wall.now, wall.now + timedelta(seconds=TTL)
    await WechatToken.ensure(APP_ID)
    assert await WechatToken.claim(APP_ID, 0, "a" * 16, now=now, until=now + timedelta(seconds=30))
    assert await WechatToken.store(APP_ID, 0, "sealed-1", now=now, expires_at=later)
    assert await WechatToken.claim(APP_ID, 1, "a" * 16, now=now, until=now + timedelta(seconds=30))
    assert await WechatToken.store(APP_ID, 1, "sealed-2", now=now, expires_at=later)
    assert not await WechatToken.invalidate(APP_ID, 1, now=now)
    assert not await WechatToken.claim(APP_ID, 1, "b" * 16, now=now, until=now + timedelta(seconds=30))
    (row,) = await WechatToken.all()
    assert (row.token, row.generation, row.expires_at, row.lease_owner) == ("sealed-2", 2, later, "")
    assert await WechatToken.invalidate(APP_ID, 2, now=now)  # the stored one: dropped
    await WechatToken.ensure(APP_ID)  # a second insert of the row is no error
    assert await WechatToken.all().count() == 1


async def test_an_expiring_token_is_renewed_by_one_instance(
        fake: FakeWechat, pair: tuple[Instance, Instance], wall: FakeClock, mono: Mono) -> None:
    a, b = pair
    first = await a.get()
    assert await b.get() == first
    mono.t += TTL - 299  # inside the 300-second margin for both caches…
    wall.advance(seconds=TTL - 299)  # …and for the stored token
    second, again = await asyncio.gather(b.get(), a.get())
    assert second == again != first and fake.tokens_issued == 2


async def test_an_expired_lease_of_a_crashed_fetcher_lets_another_instance_fetch(
        fake: FakeWechat, pair: tuple[Instance, Instance], wall: FakeClock) -> None:
    _, b = pair
    await WechatToken.ensure(APP_ID)  # a third instance claimed the lease, then died
    assert await WechatToken.claim(APP_ID, 0, "5e1c0ffee0ddba11", now=wall.now,
                                   until=wall.now + timedelta(seconds=30))
    assert not await WechatToken.claim(APP_ID, 0, "0123456789abcdef", now=wall.now,
                                       until=wall.now + timedelta(seconds=30))  # live: nobody else
    wall.advance(seconds=30)
    token = await b.get()
    assert token and fake.tokens_issued == 1 and b.tokens.fetched == 1
    assert b.tokens.waited_out == 0  # claimed at once, no waiting
    (row,) = await WechatToken.all()
    assert (row.generation, row.lease_owner, row.lease_until) == (1, "", None)


async def test_a_lease_held_too_long_is_waited_out_then_the_token_fetched_anyway(
        db: str, fake: FakeWechat, wall: FakeClock, mono: Mono) -> None:
    await WechatToken.ensure(APP_ID)
    assert await WechatToken.claim(APP_ID, 0, "5e1c0ffee0ddba11", now=wall.now,
                                   until=wall.now + timedelta(seconds=30))
    b = Instance(fake, wall, mono, wait=0.02)
    try:
        token = await b.get()  # bounded wait, then its own fetch rather than a failure
        assert token and fake.tokens_issued == 1 and b.tokens.waited_out == 1
        (row,) = await WechatToken.all()
        assert row.generation == 1 and row.lease_until is None  # stored: the others read it
        # the slow holder comes back: its store is refused (a token was stored since it read)
        assert not await WechatToken.store(APP_ID, 0, "", now=wall.now, expires_at=wall.now)
    finally:
        await b.close()


async def test_a_failed_fetch_gives_the_lease_back(
        fake: FakeWechat, pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    fake.fail("token", 40164)
    with pytest.raises(WechatTokenError) as error:
        await a.get()
    assert error.value.errcode == 40164
    (row,) = await WechatToken.all()
    assert (row.lease_owner, row.lease_until, row.generation) == ("", None, 0)
    assert await b.get() and b.tokens.waited_out == 0 and fake.tokens_issued == 1


async def test_the_in_process_cache_reads_the_database_once_per_token(
        fake: FakeWechat, pair: tuple[Instance, Instance], queries: QueryCounter) -> None:
    a, b = pair
    await a.get()
    queries.count = 0
    for _ in range(50):
        await a.get()
    assert queries.count == 0  # a's cache, no database
    await b.get()
    assert queries.count == 1  # b's first: one SELECT of the stored token
    for _ in range(50):
        await b.get()
    assert queries.count == 1


async def test_the_stored_token_is_sealed_and_neither_it_nor_the_secret_is_logged(
        fake: FakeWechat, pair: tuple[Instance, Instance], queries: QueryCounter,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    a, b = pair
    fake.fail("freepublish/batchget", 40001)
    await a.publisher.published(CREDS)  # a fetch, a refusal, a renewal: every statement logged
    token = await b.get()
    (row,) = await WechatToken.all()
    assert row.token and token not in row.token
    assert queries.statements  # tortoise logs each statement with its parameters at DEBUG
    for text in (caplog.text, *queries.statements):
        assert token not in text and SECRET not in text


async def test_a_token_sealed_under_an_old_secret_is_fetched_again(
        db: str, fake: FakeWechat, wall: FakeClock, mono: Mono) -> None:
    a = Instance(fake, wall, mono)
    b = Instance(fake, wall, mono)
    try:
        await a.get()
        fake.secret = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"  # the AppSecret was reset on the platform
        token = await b.tokens.cache(APP_ID, fake.secret).get()  # b has the new one
        assert fake.tokens_issued == 2 and b.tokens.fetched == 1 and b.tokens.read_shared == 0
        assert token
    finally:
        await a.close()
        await b.close()


async def test_without_a_database_each_process_fetches_its_own(
        fake: FakeWechat, wall: FakeClock, mono: Mono, caplog: pytest.LogCaptureFixture) -> None:
    a = Instance(fake, wall, mono)
    try:
        token = await a.get()
        assert token and fake.tokens_issued == 1 and a.tokens.fetched == 1
        assert "shared store is unavailable" in caplog.text
    finally:
        await a.close()
