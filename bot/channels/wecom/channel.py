"""WeComChannel: the ``Channel`` interface over the WeCom API.

Addresses: a member's ``wecom_userid`` for app messages; ``robot:<webhook key>`` or
``chat:<chatid>`` for a department's group (org YAML ``groups: {wecom_webhook_key, wecom_chatid}``).

Pacing, so that nothing is silently lost (doc 90312): WeCom drops app messages
beyond 30 per minute to one member *without an error*, and a group robot takes 20 messages per
minute; over either we raise ``Throttled`` and the outbox sends the message later.

Card updates use the ``response_code`` that ``message/send`` returned for that member's copy: it
is single-use and expires after 72 h, so a refusal becomes ``CardGone`` and the outbox sends the
outcome as a new message instead.

After a crash or an ambiguous failure (``maybe_sent``), nothing in memory says what WeCom did:
- a card's resend carries the same ``task_id`` (it is derived from the outbox row's key); WeCom
  refuses a repeated task_id with 42014, so with ``maybe_sent`` that answer means our earlier call
  registered the card: delivered, but its response code is lost (``response_code: ""``), and a
  later update of that copy falls back to a new message. Without ``maybe_sent`` 42014 is a real
  collision and stays permanent.
- a text's resend is removed by WeCom's own duplicate check (``render.DUPLICATE_CHECK_INTERVAL``).
  That check cannot tell a resend from a new message with the same words: the same answer to
  the same question asked twice within the interval would be accepted and never shown. So the
  channel remembers what it sent to whom (``_recent``: address and content → outbox row key):
  a *different* row with the same content inside the interval goes out without the check. After
  a restart that memory is empty, so a resend (the same row) keeps the check; the cost is that a
  legitimate repeat in the first minutes after a restart may be dropped by WeCom.
- a card update's resend finds its single-use response code spent: with ``maybe_sent`` (the
  outbox passes it only when no earlier update of that copy exists) and the code younger than
  72 h, that means our earlier call updated the card; otherwise ``CardGone``.
Group robots and app group chats have no duplicate check: a crash right after WeCom took a group
message can repeat it once.

Contact changes (``ContactChange``, issue 16): ``prepare`` reads the facts from the directory
(``WeComDirectory``, the app's own token) before the handler runs, outside its transaction:
UPDATED gets the name and department names ``user/get`` + ``department/list`` give now (a person
``user/get`` no longer shows becomes LEFT); DEPARTMENT_REMOVED gets the names of the departments
still shown. A ``DirectoryError`` (throttled, no permission, network) leaves the fields None and
the event goes on: the handler then says it cannot be sure, rather than the event failing.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from typing import Any

from bot.cards import Card, Document, Message
from bot.channels.base import CardGone, ConfigurationError, PermanentDeliveryError, Throttled
from bot.channels.common import RateWindow
from bot.channels.wecom import render
from bot.channels.wecom.client import WeComApiError, WeComClient
from bot.channels.wecom.directory import WeComDirectory
from bot.directory import DirectoryError, department_names
from bot.events import Change, ContactChange, Event, FileMessage, ImageMessage
from models import Department, Person

ROBOT, CHAT = "robot:", "chat:"
MEMBER_PER_MINUTE = 30
ROBOT_PER_MINUTE = 20
TASK_ID_USED = 42014
RESPONSE_CODE_LIFETIME = 72 * 3600.0
RECENT_MAX = 10_000  # remembered sends before the expired ones are pruned
log = logging.getLogger("xmt.wecom")


class WeComChannel:
    name = "wecom"
    identity = "wecom_userid"  # the Person column a sender's WeCom userid is found in

    def __init__(self, client: WeComClient, agent_id: int, *,
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        self.client = client
        self.agent_id = agent_id
        self.directory = WeComDirectory(client)
        self.members = RateWindow(MEMBER_PER_MINUTE, 60.0, clock)
        self.robots = RateWindow(ROBOT_PER_MINUTE, 60.0, clock)
        self.wall = wall  # epoch seconds: a card's response code dies 72 h after its send
        self.clock = clock
        # (address, content digest) → (outbox row key, when sent): see the module docstring.
        self._recent: dict[tuple[str, str], tuple[str, float]] = {}
        self._unchecked: dict[str, float] = {}  # row key → when it was sent without the check

    def person_address(self, person: Person) -> str | None:
        return person.wecom_userid or None

    def group_address(self, department: Department) -> str | None:
        groups = department.groups or {}
        if groups.get("wecom_webhook_key"):
            return ROBOT + groups["wecom_webhook_key"]
        if groups.get("wecom_chatid"):
            return CHAT + groups["wecom_chatid"]
        return None

    async def send(self, address: str, message: Message, *, key: str,
                   maybe_sent: bool = False) -> dict[str, Any]:
        if isinstance(message, Document):
            return await self._send_document(address, message)
        if address.startswith(ROBOT):
            robot = address.removeprefix(ROBOT)
            self._pace(self.robots, robot, "group robot")
            mentions = await self._userids(getattr(message, "mentions", ()))
            await self.client.webhook_send(robot, render.robot_message(message, mentions))
            return {}
        if address.startswith(CHAT):
            await self.client.appchat_send(render.appchat_message(address.removeprefix(CHAT),
                                                                  message))
            return {}
        self._pace(self.members, address, "member")
        body = render.app_message(self.agent_id, address, message, key)
        task = body["template_card"]["task_id"] if body["msgtype"] == "template_card" else ""
        if not task and not self._checked(address, body, key):
            body["enable_duplicate_check"] = 0  # a new message with the same words: show it
        try:
            result = await self.client.send(body)
        except WeComApiError as exc:
            if exc.errcode == TASK_ID_USED and task and maybe_sent:
                # Delivered by the earlier call; its response code is lost, so an update of
                # this copy will fall back to a new message.
                return {"task_id": task, "response_code": "", "delivered_by": "earlier attempt"}
            raise
        ref: dict[str, Any] = {"msgid": str(result.get("msgid", ""))}
        if task:
            ref["task_id"] = task
            ref["response_code"] = str(result.get("response_code", ""))
            ref["sent_at"] = int(self.wall())
        return ref

    async def _send_document(self, address: str, doc: Document) -> dict[str, Any]:
        """Upload (media/upload, 3-day media id) then send it as a file message."""
        if address.startswith(ROBOT):
            raise PermanentDeliveryError("a group robot cannot send uploaded files; "
                                         "give the department an app group chat (wecom_chatid)")
        if not address.startswith(CHAT):
            self._pace(self.members, address, "member")
        media_id = await self.client.media_upload("file", doc.name, doc.data)
        if address.startswith(CHAT):
            await self.client.appchat_send(render.appchat_file(address.removeprefix(CHAT), media_id))
        else:
            await self.client.send(render.file_message(self.agent_id, address, media_id))
        return {"media_id": media_id}

    async def update_card(self, address: str, ref: dict[str, Any], card: Card, *,
                          maybe_sent: bool = False) -> None:
        code = str(ref.get("response_code") or "")
        if not code or address.startswith((ROBOT, CHAT)):
            raise CardGone("no response code for this copy of the card")
        try:
            await self.client.update_card(render.card_update(self.agent_id, address, code, card))
        except ConfigurationError:
            raise  # not the card's fault: a wrong secret must not turn into resends
        except WeComApiError as exc:  # used or expired response code, or the card is gone
            sent_at = ref.get("sent_at")
            young = isinstance(sent_at, int) and self.wall() - sent_at < RESPONSE_CODE_LIFETIME
            if maybe_sent and young:
                return  # our earlier call of this update spent the single-use code
            raise CardGone(str(exc)) from None

    async def prepare(self, event: Event) -> Event:
        """Download an image or file at once: its media id dies after 3 days (doc 90254). Fill a
        contact change from the directory (module docstring)."""
        if isinstance(event, ContactChange):
            return await self._contact_facts(event)
        if isinstance(event, (ImageMessage, FileMessage)) and event.media_id and event.data is None:
            data, mime, name = await self.client.media_get(event.media_id)
            keep_name = event.name if isinstance(event, FileMessage) else name
            return dataclasses.replace(event, data=data, mime=mime or event.mime,
                                       name=keep_name or name)
        return event

    async def _contact_facts(self, event: ContactChange) -> ContactChange:
        if event.change == Change.UPDATED:
            try:
                person = await self.directory.person(event.new_userid or event.userid)
            except DirectoryError as exc:
                log.warning("contact change %s: user/get failed (%s): facts unknown", event.key, exc)
                return event
            if person is None:
                return dataclasses.replace(event, change=Change.LEFT.value)
            event = dataclasses.replace(event, name=person.name)
            try:
                names = await department_names(self.directory, person.departments)
            except DirectoryError as exc:
                log.warning("contact change %s: department/list failed (%s)", event.key, exc)
                return event
            return dataclasses.replace(event, departments=names)
        if event.change == Change.DEPARTMENT_REMOVED:
            try:
                shown = await self.directory.departments()
            except DirectoryError as exc:
                log.warning("contact change %s: department/list failed (%s)", event.key, exc)
                return event
            others = [d for d in shown if d.id != event.department]
            if others and all(d.name is None for d in others):
                return event  # names withheld: unknown, not "none left"
            return dataclasses.replace(event, remaining=[d.name for d in others if d.name is not None])
        return event

    def _checked(self, address: str, body: dict[str, Any], key: str) -> bool:
        """Whether this row may ask for WeCom's duplicate check: not when another row sent the
        same content to ``address`` within the interval (WeCom would drop this new message).
        Decided once per row and remembered before the call: if the call times out after WeCom
        took it, a resend of this row decides the same way."""
        now, interval = self.clock(), render.DUPLICATE_CHECK_INTERVAL
        if len(self._recent) + len(self._unchecked) > RECENT_MAX:  # what WeCom forgot too
            self._recent = {k: v for k, v in self._recent.items() if now - v[1] < interval}
            self._unchecked = {k: t for k, t in self._unchecked.items() if now - t < interval}
        if key in self._unchecked:
            return False
        where = (address, render.content_digest(body))
        earlier = self._recent.get(where)
        self._recent[where] = (key, now)
        if earlier is not None and earlier[0] != key and now - earlier[1] < interval:
            self._unchecked[key] = now
            return False
        return True

    @staticmethod
    def _pace(window: RateWindow, key: str, what: str) -> None:
        wait = window.wait(key)
        if wait > 0:
            raise Throttled(f"WeCom {what} limit reached", retry_after=wait)

    @staticmethod
    async def _userids(codes: tuple[str, ...] | list[str]) -> list[str]:
        if not codes:
            return []
        rows = await Person.filter(code__in=list(codes)).values_list("wecom_userid", flat=True)
        return [str(r) for r in rows if r]
