"""Query counts that must not grow with the data (N+1 guards)."""

from __future__ import annotations

from tests.conftest import QueryCounter, World


async def _drafts(world: World, n: int) -> None:
    for i in range(n):
        await world.say("zhangsan", f"投稿 @某某发布 1 标题{i}\n正文")


async def _count(world: World, queries: QueryCounter, who: str, text: str) -> int:
    queries.count = 0
    await world.say(who, text)
    return queries.count


async def test_listing_my_drafts_costs_the_same_for_2_or_10_drafts(
    world: World, queries: QueryCounter
) -> None:
    await _drafts(world, 2)
    few = await _count(world, queries, "zhangsan", "我的")
    await _drafts(world, 8)
    many = await _count(world, queries, "zhangsan", "我的")
    assert few == many and few > 0


async def test_submitting_costs_the_same_with_more_attachments(
    world: World, queries: QueryCounter
) -> None:
    costs = []
    for images in (1, 6):
        await world.say("zhangsan", "投稿 @某某发布 1 标题\n正文")
        for i in range(images):
            await world.image("zhangsan", f"img{i}".encode())
        preview = world.channel.last_card("zhangsan", "pv-")
        queries.count = 0
        await world.tap("zhangsan", preview, "提交审核")
        costs.append(queries.count)
    assert costs[0] == costs[1] and costs[0] > 0
