"""The access-token cache (``bot.channels.common.TokenCache``) and the one renewal every platform
client makes (``bot.channels.tokens.with_renewal``). Time is a clock the test sets: no sleeps."""

from __future__ import annotations

import asyncio

import pytest

from bot.channels.base import DeliveryError, Throttled
from bot.channels.tokens import TokenCache, TokenRefused, with_renewal


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Platform:
    """Hands out token-1, token-2, … valid ``valid_for`` seconds; ``gate`` holds a fetch open."""

    def __init__(self, valid_for: float = 7200.0) -> None:
        self.fetches = 0
        self.valid_for = valid_for
        self.gate: asyncio.Event | None = None
        self.fetching = asyncio.Event()

    async def fetch(self) -> tuple[str, float]:
        self.fetches += 1
        n = self.fetches
        self.fetching.set()
        if self.gate is not None:
            await self.gate.wait()
        return f"token-{n}", self.valid_for


def cache(platform: Platform, clock: Clock, margin: float = 300.0) -> TokenCache:
    return TokenCache(platform.fetch, clock=clock, margin=margin)


async def test_concurrent_gets_share_one_fetch() -> None:
    platform, clock = Platform(), Clock()
    tokens = cache(platform, clock)
    platform.gate = asyncio.Event()
    waiting = [asyncio.create_task(tokens.get()) for _ in range(5)]
    await platform.fetching.wait()  # the first caller is fetching; the others ran up to the lock
    platform.gate.set()
    assert await asyncio.gather(*waiting) == ["token-1"] * 5
    assert platform.fetches == 1


async def test_a_token_is_renewed_margin_seconds_before_it_expires() -> None:
    platform, clock = Platform(valid_for=7200.0), Clock()
    tokens = cache(platform, clock, margin=300.0)
    assert await tokens.get() == "token-1"
    clock.now += 7200.0 - 300.0 - 1  # still inside the margin
    assert await tokens.get() == "token-1"
    clock.now += 1
    assert await tokens.get() == "token-2"
    assert platform.fetches == 2


async def test_a_dropped_token_is_fetched_again_but_a_newer_one_is_kept() -> None:
    platform, clock = Platform(), Clock()
    tokens = cache(platform, clock)
    assert await tokens.get() == "token-1"
    tokens.drop("token-1")
    assert await tokens.get() == "token-2"
    tokens.drop("token-1")  # a late caller's stale token: the new one stays
    assert await tokens.get() == "token-2"
    assert platform.fetches == 2


async def test_a_refused_token_is_renewed_and_the_call_made_once_more() -> None:
    platform, clock = Platform(), Clock()
    tokens = cache(platform, clock)
    seen: list[str] = []

    async def call(token: str) -> str:
        seen.append(token)
        if token == "token-1":
            raise TokenRefused("refused")
        return f"sent with {token}"

    assert await with_renewal(tokens, call) == "sent with token-2"
    assert seen == ["token-1", "token-2"]
    assert await with_renewal(tokens, call) == "sent with token-2"  # the renewed one is cached
    assert platform.fetches == 2


async def test_a_renewed_token_refused_too_is_a_temporary_error_and_dropped() -> None:
    platform, clock = Platform(), Clock()
    tokens = cache(platform, clock)
    calls: list[str] = []

    async def call(token: str) -> str:
        calls.append(token)
        raise TokenRefused(f"refused {token}")

    with pytest.raises(TokenRefused, match="refused token-2") as caught:
        await with_renewal(tokens, call)
    assert isinstance(caught.value, DeliveryError)
    assert calls == ["token-1", "token-2"]  # one renewal, not a loop
    assert await tokens.get() == "token-3"  # the second refused token was dropped too


async def test_after_renewal_names_what_a_second_refusal_raises() -> None:
    tokens = cache(Platform(), Clock())

    async def call(token: str) -> str:
        raise TokenRefused("refused", after_renewal=Throttled("wait", retry_after=5.0))

    with pytest.raises(Throttled) as caught:
        await with_renewal(tokens, call)
    assert caught.value.retry_after == 5.0


async def test_other_errors_are_not_retried() -> None:
    platform = Platform()
    tokens = cache(platform, Clock())
    calls = 0

    async def call(token: str) -> str:
        nonlocal calls
        calls += 1
        raise DeliveryError("busy")

    with pytest.raises(DeliveryError, match="busy"):
        await with_renewal(tokens, call)
    assert calls == 1
    assert await tokens.get() == "token-1"  # kept
