"""The console mounted at /console/ on a plain aiohttp app, over the ``world`` fixture's database,
clock and outbox (its pages call the same domain functions as the chat; what they send goes to
the world's recording channel)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from console import app as console_app
from tests.conftest import World

LINK = re.compile(r"/console/login/([A-Za-z0-9_-]{43})")
CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


@dataclass
class Console:
    client: TestClient[web.Request, web.Application]
    world: World

    async def link(self, who: str) -> str:
        """``登录后台`` said in chat as ``who``: the path of the link the bot answered with."""
        await self.world.say(who, "登录后台")
        found = LINK.search(self.world.last_text(who))
        assert found, self.world.last_text(who)
        return found.group(0)

    async def sign_in(self, who: str) -> None:
        path = await self.link(who)
        response = await self.client.post(path, allow_redirects=False)
        assert response.status == 303, await response.text()
        assert response.headers["Location"] == "/console/"

    async def csrf(self, path: str = "/console/") -> str:
        page = await self.client.get(path)
        found = CSRF.search(await page.text())
        assert found, "no CSRF token on the page"
        return found.group(1)


@pytest.fixture
async def console(world: World, aiohttp_client: object) -> Console:
    app = web.Application()
    app.add_subapp("/console/", console_app.build(world.bot.deps))
    client = await aiohttp_client(app)  # type: ignore[operator]
    return Console(client, world)
