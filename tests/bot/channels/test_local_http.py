"""The whole flow through the simulator's HTTP interface, with the real app, worker and database."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from bot import texts
from bot.app import BOT, create_app
from bot.org import import_file
from tests.conftest import DEMO_ORG, make_settings


async def _client(aiohttp_client: Any, **kw: Any) -> TestClient:  # type: ignore[type-arg]
    app = create_app(make_settings(simulator=True), manage_database=False, run_scheduler=False,
                     **kw)
    return await aiohttp_client(app)


async def send(client: TestClient, who: str, text: str, event_id: str | None = None) -> dict:  # type: ignore[type-arg]
    resp = await client.post("/sim/api/send",
                             json={"as": who, "text": text, "id": event_id or uuid.uuid4().hex})
    assert resp.status == 200
    return await resp.json()  # type: ignore[no-any-return]


async def wait_for(client: TestClient, who: str, pred: Any, timeout: float = 5.0) -> dict:  # type: ignore[type-arg]
    """Long-poll the person's view until a message satisfies ``pred``; return it."""
    seen: dict[int, dict[str, Any]] = {}
    after = 0
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        resp = await client.get("/sim/api/messages", params={"as": who, "after": after, "wait": 1})
        data = await resp.json()
        after = data["seq"]
        for m in data["messages"]:
            seen[m["id"]] = m
        for m in seen.values():
            if pred(m):
                return m
    raise AssertionError(f"nothing matched for {who}: {list(seen.values())}")


def card(prefix: str, status: str | None = None) -> Any:
    def pred(m: dict[str, Any]) -> bool:
        return (m["type"] == "card" and m["card_id"].startswith(prefix)
                and (status is None or m["status"].startswith(status)))
    return pred


async def tap(client: TestClient, who: str, message: dict, label: str) -> None:  # type: ignore[type-arg]
    button = next(b for b in message["buttons"] if b["label"] == label)
    resp = await client.post("/sim/api/tap", json={"as": who, "id": uuid.uuid4().hex,
                                                   "card_id": message["card_id"],
                                                   "payload": button["payload"]})
    assert resp.status == 200 and (await resp.json())["accepted"]


async def test_draft_approval_publication_through_the_simulator(db: str, aiohttp_client: Any) -> None:
    client = await _client(aiohttp_client)
    await import_file(DEMO_ORG, now=client.app[BOT].deps.clock())
    people = await (await client.get("/sim/api/people")).json()
    assert {"zhangsan", "lisi", "visitor"} <= {p["code"] for p in people["people"]}
    await send(client, "zhangsan", "投稿 @某某发布 1 标题\n正文")
    preview = await wait_for(client, "zhangsan", card("pv-"))
    await tap(client, "zhangsan", preview, "提交审核")
    approval = await wait_for(client, "lisi", card("ap-"))
    await tap(client, "lisi", approval, "通过")
    await wait_for(client, "lisi", card("ap-", "已通过 · 李四"))
    await wait_for(client, "zhangsan", lambda m: "审核通过" in m.get("text", ""))
    await send(client, "zhangsan", "已发布 D1 https://mp.example.org/s/1")
    await wait_for(client, "zhangsan", lambda m: "已登记" in m.get("text", ""))
    # the department group chat shows the publication to every member
    await wait_for(client, "chenqi", lambda m: m["address"] == "group:publicity"
                   and "发布了新内容" in m.get("text", ""))


async def test_same_message_id_twice_is_one_draft(db: str, aiohttp_client: Any) -> None:
    from models import Draft

    client = await _client(aiohttp_client)
    await import_file(DEMO_ORG, now=client.app[BOT].deps.clock())
    first = await send(client, "zhangsan", "投稿 @某某发布 1 标题", "same-id")
    second = await send(client, "zhangsan", "投稿 @某某发布 1 标题", "same-id")
    assert first == {"accepted": True, "duplicate": False}
    assert second == {"accepted": False, "duplicate": True}
    await client.app[BOT].tasks.join()
    assert await Draft.all().count() == 1


async def test_bad_requests_are_refused_and_change_nothing(db: str, aiohttp_client: Any) -> None:
    from models import InboundEvent

    client = await _client(aiohttp_client)
    for body in ({}, {"as": "zhangsan"}, {"as": "zhangsan", "text": ""},
                 {"as": "x" * 100, "text": "hi"}, {"as": "zhangsan", "text": "x" * 20001}):
        assert (await client.post("/sim/api/send", json=body)).status == 400
    assert (await client.post("/sim/api/send", data=b"not json")).status == 400
    assert (await client.post("/sim/api/tap", json={"as": "lisi"})).status == 400
    assert (await client.get("/sim/api/messages")).status == 400
    assert await InboundEvent.all().count() == 0
    assert (await client.get("/healthz")).status == 200


async def test_stranger_is_told_to_contact_information_center(db: str, aiohttp_client: Any) -> None:
    client = await _client(aiohttp_client)
    await import_file(DEMO_ORG, now=client.app[BOT].deps.clock())
    await send(client, "visitor", "你好")
    await wait_for(client, "visitor", lambda m: "联系信息中心" in m.get("text", ""))


async def test_stop_before_delivery_then_restart_delivers_once(db: str, aiohttp_client: Any) -> None:
    first = await _client(aiohttp_client, run_worker=False)
    await import_file(DEMO_ORG, now=first.app[BOT].deps.clock())
    await send(first, "zhangsan", "帮助")
    await first.app[BOT].tasks.join()
    await first.close()  # stopped: the reply is committed in the outbox, never sent
    second = await _client(aiohttp_client)
    reply = await wait_for(second, "zhangsan", lambda m: m["sender"] == "bot")
    # Nothing is left to deliver, even an hour on when every lease has run out: no second copy.
    later = second.app[BOT].deps.clock() + timedelta(hours=1)
    assert await second.app[BOT].outbox.drain(later) == 0
    data = await (await second.get("/sim/api/messages", params={"as": "zhangsan"})).json()
    bot_messages = [m for m in data["messages"] if m["sender"] == "bot"]
    assert [m["id"] for m in bot_messages] == [reply["id"]]


async def test_simulator_shows_times_in_the_organisation_time_zone(db: str, aiohttp_client: Any) -> None:
    from datetime import UTC, datetime

    client = await _client(aiohttp_client, clock=lambda: datetime(2026, 11, 26, 2, 30, tzinfo=UTC))
    await import_file(DEMO_ORG, now=client.app[BOT].deps.clock())
    await send(client, "zhangsan", "帮助")
    reply = await wait_for(client, "zhangsan", lambda m: m["sender"] == "bot")
    assert reply["at"].startswith("2026-11-26T10:30:00") and reply["at"].endswith("+08:00")


async def test_exports_arrive_as_downloadable_files_in_the_simulator(db: str, aiohttp_client: Any) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    client = await _client(aiohttp_client)
    await import_file(DEMO_ORG, now=client.app[BOT].deps.clock())
    await send(client, "wangwu", "导出台账")
    message = await wait_for(client, "wangwu", lambda m: m["type"] == "file")
    assert message["name"].endswith(".xlsx") and message["url"].startswith("/sim/files/")
    resp = await client.get(message["url"])
    assert resp.status == 200 and "attachment" in resp.headers["Content-Disposition"]
    ws = load_workbook(BytesIO(await resp.read())).active
    assert ws is not None and ws.max_row == 4
    assert (await client.get("/sim/files/999")).status == 404


async def test_a_demo_follower_question_is_answered_back_in_the_simulator(
    db: str, aiohttp_client: Any,
) -> None:
    client = await _client(aiohttp_client)
    await import_file(DEMO_ORG, now=client.app[BOT].deps.clock())
    people = await (await client.get("/sim/api/people")).json()
    fan = next(p for p in people["people"] if p["code"] == "follower:oXmtDemoFan_8fK2pQ7wLz3vN5aR")
    assert fan["follows"] == ["某某发布"]  # the page shows the chat as this official account's
    question = {"as": "follower:oXmtDemoFan_8fK2pQ7wLz3vN5aR", "text": "供暖什么时候开始？"}
    resp = await client.post("/sim/api/follower", json=question)
    assert (await resp.json())["accepted"]
    # At once, as WeChat's passive reply would: what they wrote, then the acknowledgement.
    shown = (await (await client.get("/sim/api/messages", params={"as": fan["code"]})).json())["messages"]
    assert [(m["sender"], m["text"]) for m in shown] == [
        (fan["code"], "供暖什么时候开始？"), ("bot", texts.FOLLOWER_ACK)]
    # Only a WeChat official account takes followers' messages; refusals are Chinese.
    for text, said in (("@某某头条 你好", "不是微信公众号"),
                       ("@没有这个号 你好", "没有名为「没有这个号」的账号")):
        refused = await client.post("/sim/api/follower", json={**question, "text": text})
        assert refused.status == 400 and said in (await refused.json())["error"]
    routed = await wait_for(client, "zhangsan", card("inq-"))
    assert {"label": "来源", "value": "公众号留言 · 关注者（尾号 N5aR）"} in routed["fields"]
    await send(client, "zhangsan", "回复 Q1 11月15日已开始供暖。")
    answer = await wait_for(client, "follower:oXmtDemoFan_8fK2pQ7wLz3vN5aR",
                            lambda m: m["sender"] == "bot" and m["text"] != texts.FOLLOWER_ACK)
    assert answer["text"] == "11月15日已开始供暖。"
    bad = await client.post("/sim/api/follower", json={"as": "zhangsan", "text": "x"})
    assert bad.status == 400


async def test_a_restarted_simulator_keeps_its_chats_and_numbers_on(
    db: str, aiohttp_client: Any,
) -> None:
    """The demo's chats are in the database: a restart shows them again (an updated card in its
    last state), numbering goes on after them, and an exported file's message says it is gone."""
    first = await _client(aiohttp_client)
    await import_file(DEMO_ORG, now=first.app[BOT].deps.clock())
    await send(first, "zhangsan", "投稿 @某某发布 1 标题\n正文")
    preview = await wait_for(first, "zhangsan", card("pv-"))
    await tap(first, "zhangsan", preview, "提交审核")
    await wait_for(first, "zhangsan", card("pv-", "已提交审核"))
    await send(first, "wangwu", "导出台账")
    await wait_for(first, "wangwu", lambda m: m["type"] == "file")
    before = (await (await first.get("/sim/api/messages", params={"as": "zhangsan"})).json())
    await first.close()

    again = await _client(aiohttp_client)
    after = (await (await again.get("/sim/api/messages", params={"as": "zhangsan"})).json())
    assert [(m["id"], m["seq"], m.get("status")) for m in after["messages"]] == [
        (m["id"], m["seq"], m.get("status")) for m in before["messages"]]
    assert any((m.get("status") or "").startswith("已提交审核") for m in after["messages"])
    (export,) = [m for m in (await (await again.get("/sim/api/messages", params={"as": "wangwu"})).json())[
        "messages"] if m["type"] == "file"]
    assert export["gone"] is True and "url" not in export
    await send(again, "zhangsan", "我的")
    newest = await wait_for(again, "zhangsan", lambda m: m["sender"] == "bot" and m["seq"] > before["seq"])
    assert newest["id"] > max(m["id"] for m in before["messages"])


async def test_people_marks_the_information_center_admins_by_the_one_rule(
        db: str, aiohttp_client: Any) -> None:
    """The 信息中心 badge is ``models.org``'s rule (Art. 2, 6): its head and officers and the ic_admin
    role, not a plain member of the Information Center."""
    from models import Person

    client = await _client(aiohttp_client)
    await import_file(DEMO_ORG, now=client.app[BOT].deps.clock())
    center = (await Person.get(code="wangwu")).department_id
    await Person.create(code="clerk", name="文员", department_id=center)
    await Person.filter(code="chenqi").update(roles=["ic_admin"])
    people = await (await client.get("/sim/api/people")).json()
    marked = {p["code"] for p in people["people"] if "info_center" in p.get("roles", [])}
    assert marked == {"wangwu", "zhaoliu", "chenqi"}
