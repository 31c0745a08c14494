"""The console's pages as the Information Center and as a department head (issue 18, points 1–3;
Art. 2: the Information Center supervises and assesses every account; Art. 5: the annual review;
Art. 6: each department answers for its own accounts). Same data, no second truth: the account
page shows the lines ``账号 @x`` shows, the registry export is the chat's spreadsheet, a judgement
from the page is the card's function and closes the card in chat."""

from __future__ import annotations

import io

import openpyxl
import pytest
from markupsafe import escape

from bot import texts
from bot.history import account_history
from models import Account, AuditEvent, Person, ReviewReport, ReviewStatus
from tests.console.conftest import Console

NEWS = "某某发布"  # 宣传科, head 李四, administrator 张三
SERVICE = "某某服务"  # 服务中心, head 周八


async def test_the_information_center_sees_every_account(console: Console) -> None:
    await console.sign_in("wangwu")
    page = await (await console.client.get("/console/accounts")).text()
    assert all(name in page for name in (NEWS, "某某头条", SERVICE))
    assert "共 3 个账号" in page


async def test_a_head_sees_their_departments_accounts_and_no_other(console: Console) -> None:
    await console.sign_in("lisi")
    page = await (await console.client.get("/console/accounts")).text()
    assert NEWS in page and "某某头条" in page and SERVICE not in page
    service = await Account.get(name=SERVICE)
    forbidden = await console.client.get(f"/console/accounts/{service.id}")
    body = await forbidden.text()
    assert forbidden.status == 403 and texts.CONSOLE_FORBIDDEN in body and "周八" not in body
    # another department asked for by filter: no filter, still only their own
    other = f"/console/accounts?department={service.department_id}"
    filtered = await (await console.client.get(other)).text()
    assert SERVICE not in filtered and NEWS in filtered
    overview = await console.client.get("/console/")
    assert overview.status == 200 and "宣传科" in await overview.text()


@pytest.mark.parametrize("query", [
    "sort=name;DROP TABLE account", "page=-1", "page=99999999999", "department=abc", "status=<script>",
    "review=missing&cadence=zombie&sort=cadence&desc=1", "platform=wechat&page=2", "sort=%00",
])
async def test_hostile_or_wrong_query_strings_are_ignored(console: Console, query: str) -> None:
    await console.sign_in("wangwu")
    response = await console.client.get(f"/console/accounts?{query}")
    assert response.status == 200
    assert "<script>" not in await response.text()


async def test_the_account_page_shows_the_same_history_as_the_chat(console: Console) -> None:
    await console.sign_in("wangwu")
    account = await Account.get(name=NEWS)
    await console.world.say("wangwu", f"账号 @{NEWS}")
    chat = console.world.last_text("wangwu")
    page = await (await console.client.get(f"/console/accounts/{account.id}")).text()
    lines = await account_history(account, console.world.bot.deps.settings.tz)
    assert len(lines) >= 3
    for line in lines:
        assert line.line in chat  # 账号 @x shows it …
        assert str(escape(line.text)) in page and str(escape(line.when)) in page  # … and so does the page
    assert "<svg" in page and 'data-testid="heatmap"' in page


async def test_the_registry_export_is_the_chats_and_a_heads_has_their_accounts(console: Console) -> None:
    await console.sign_in("lisi")
    response = await console.client.get("/console/accounts.xlsx")
    assert response.status == 200
    book = openpyxl.load_workbook(io.BytesIO(await response.read()))
    cells = {str(c.value) for row in book.active.iter_rows() for c in row if c.value}
    assert NEWS in cells and SERVICE not in cells


async def test_judged_from_the_page_the_card_in_chat_closes(console: Console) -> None:
    world = console.world
    await world.say("zhangsan", f"年审 @{NEWS} 全年按期发布。")
    report = await ReviewReport.get(account__name=NEWS)
    card = world.channel.last_card("wangwu", f"review-{report.id}")
    assert card.buttons
    await console.sign_in("wangwu")
    page = await (await console.client.get("/console/reviews")).text()
    assert report.ref in page and 'data-testid="pass"' in page
    token = await console.csrf("/console/reviews")
    response = await console.client.post(f"/console/reviews/{report.id}/judge",
                                         data={"_csrf": token, "verdict": "pass"}, allow_redirects=False)
    assert response.status == 303
    await world.settle()
    assert (await ReviewReport.get(id=report.id)).status == ReviewStatus.PASSED
    closed = [c for address, _, c in world.channel.updates
              if address == "wangwu" and c.card_id == card.card_id]
    assert closed and not closed[-1].buttons
    line = await AuditEvent.filter(action="review_passed").first()
    assert line is not None and line.actor == "wangwu" and line.detail.get("via") == "console"
    after = await (await console.client.get("/console/reviews")).text()
    assert 'data-testid="flash"' in after and 'data-testid="pass"' not in after
    # judged twice (the card tapped after the page): the second loses and says so
    again = await console.client.post(f"/console/reviews/{report.id}/judge",
                                      data={"_csrf": token, "verdict": "fail", "reason": "x"},
                                      allow_redirects=False)
    assert again.status == 303
    assert (await ReviewReport.get(id=report.id)).status == ReviewStatus.PASSED


async def test_a_head_cannot_judge_and_an_officer_never_signs_in(console: Console) -> None:
    world = console.world
    await world.say("zhangsan", f"年审 @{NEWS} 全年按期发布。")
    report = await ReviewReport.get(account__name=NEWS)
    await console.sign_in("lisi")
    page = await (await console.client.get("/console/reviews")).text()
    assert report.ref in page and 'data-testid="pass"' not in page
    token = await console.csrf("/console/reviews")
    refused = await console.client.post(f"/console/reviews/{report.id}/judge",
                                        data={"_csrf": token, "verdict": "pass"}, allow_redirects=False)
    assert refused.status == 403
    assert (await ReviewReport.get(id=report.id)).status == ReviewStatus.SUBMITTED
    assert await Person.filter(code="zhangsan").count() == 1
