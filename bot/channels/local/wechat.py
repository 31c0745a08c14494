"""The simulator's stand-in for the WeChat official-account API: answers relayed to a follower
(``<account id>:<openid>``) appear in that follower's conversation on the simulator page. Used
instead of the real relay whenever the simulator is on (a demo: no follower is real)."""

from __future__ import annotations

from typing import Any

from bot.cards import Card, Message, Text
from bot.channels.base import CardGone, PermanentDeliveryError
from bot.channels.local.channel import LocalChannel
from models import Department, Person


class SimulatedWechat:
    name = "wechat"

    def __init__(self, local: LocalChannel) -> None:
        self.local = local

    def person_address(self, person: Person) -> str | None:
        return None

    def group_address(self, department: Department) -> str | None:
        return None

    async def send(self, address: str, message: Message, *, key: str,
                   maybe_sent: bool = False) -> dict[str, Any]:
        if not isinstance(message, Text):
            raise PermanentDeliveryError("WeChat: only texts are relayed to followers")
        openid = address.partition(":")[2]
        return await self.local.send(f"follower:{openid}", message, key=key)

    async def update_card(self, address: str, ref: dict[str, Any], card: Card, *,
                          maybe_sent: bool = False) -> None:
        raise CardGone("followers get no cards")
