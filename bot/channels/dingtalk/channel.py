"""DingTalkChannel: the ``Channel`` interface over the DingTalk APIs.

Addresses: a person's ``dingtalk_userid`` (staffId) for the robot's 1:1 chat;
``robot:<department code>`` for a department's custom group robot (org YAML ``groups:
{dingtalk_webhook, dingtalk_secret}``; the secret is read at send time, never stored in the
outbox), or ``conv:<openConversationId>`` (``groups: {dingtalk_conversation_id}``) for a group the
app's robot is in.

- Cards: ``createAndDeliver`` into the user's robot chat; the ``outTrackId`` is kept as the
  card's ref and closing it is ``PUT /v1.0/card/instances`` on that instance.
- Texts to a person: through the sessionWebhook of their last message while it is valid (no
  token, no quota), else the robot's 1:1 batch send; users DingTalk flow-controls are tried again
  later (``Throttled``), unknown users are dead-lettered.
- Group robots: 20 messages a minute each, then a 10-minute block; we pace below that. Every
  message carries a ``msgUuid`` made from the outbox key, so a resend is accepted once.

A sessionWebhook is taken from the callback body, so it is used only if it is on the configured
oapi origin (``DingTalkClient.is_session_webhook``); any other is ignored (logged with its host
only) and the reply goes through the robot's own 1:1 send. A session the platform refuses for
good (expired early, unknown) is forgotten and the same message goes through the 1:1 send.

After a crash or an ambiguous failure (``maybe_sent``) a card's resend carries the same
``outTrackId`` and ``param.cardAlreadyExist`` then means our earlier call created it: delivered.
Without ``maybe_sent`` that answer is a collision: permanent. Card updates are idempotent (a PUT
of the whole state), so a repeated one is harmless. Texts over a sessionWebhook or the 1:1 batch
send have no idempotency key: a crash right after DingTalk took one can repeat it once.

Address-book changes (``ContactChange``, issue 16) name only who: ``prepare`` asks the directory
(``DingTalkDirectory``: ``topapi/v2/user/get``, the department walk) before the handler runs,
outside its transaction. UPDATED gets the person's name (None if withheld) and the names of the
departments they are in now; someone the directory no longer has by then became LEFT.
DEPARTMENT_REMOVED gets the names of the departments still shown (the removed id left out, in
case the directory still lists it). A ``DirectoryError`` (no permission, rate limit, network)
leaves the fields None: the event is still handled, and the handler says it cannot be sure.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from typing import Any

from bot.cards import Card, Document, Message, Text
from bot.channels.base import CardGone, ConfigurationError, PermanentDeliveryError, Throttled
from bot.channels.common import RateWindow
from bot.channels.dingtalk import render
from bot.channels.dingtalk.client import DingTalkApiError, DingTalkClient, DingTalkRefused
from bot.channels.dingtalk.directory import DingTalkDirectory
from bot.channels.dingtalk.parse import Session
from bot.channels.dingtalk.sign import signed_robot_url
from bot.directory import DirectoryError, department_names
from bot.events import Change, ContactChange, Event, FileMessage, ImageMessage
from models import Department, Person

log = logging.getLogger("xmt.dingtalk")

ROBOT, CONV = "robot:", "conv:"
ROBOT_PER_MINUTE = 20
SESSION_MARGIN_MS = 60_000  # don't use a session webhook in its last minute


class DingTalkChannel:
    name = "dingtalk"
    identity = "dingtalk_userid"  # the Person column a sender's DingTalk userid is found in

    def __init__(self, client: DingTalkClient, *, robot_code: str, template_id: str, stream: bool,
                 clock: Callable[[], float] = time.monotonic,
                 wall_ms: Callable[[], float] = lambda: time.time() * 1000) -> None:
        self.client = client
        self.robot_code = robot_code
        self.template_id = template_id
        self.stream = stream
        self.robots = RateWindow(ROBOT_PER_MINUTE, 60.0, clock)
        self.wall_ms = wall_ms
        self.sessions: dict[str, Session] = {}
        self.directory = DingTalkDirectory(client)

    # -- addresses ----------------------------------------------------------------------------
    def person_address(self, person: Person) -> str | None:
        return person.dingtalk_userid or None

    def group_address(self, department: Department) -> str | None:
        groups = department.groups or {}
        if groups.get("dingtalk_webhook") and groups.get("dingtalk_secret"):
            return ROBOT + department.code
        if groups.get("dingtalk_conversation_id"):
            return CONV + groups["dingtalk_conversation_id"]
        return None

    def remember(self, session: Session) -> None:
        """Keep the newest 1:1 sessionWebhook of each user (group ones reply into the group),
        if it is on the configured DingTalk host: a forged callback must not choose where our
        replies go."""
        if session.group:
            return
        if not self.client.is_session_webhook(session.webhook):
            log.warning("dingtalk sessionWebhook not on the configured oapi host ignored (user %s)",
                        session.user_id[:64])
            return
        self.sessions[session.user_id] = session

    # -- sending ------------------------------------------------------------------------------
    async def send(self, address: str, message: Message, *, key: str,
                   maybe_sent: bool = False) -> dict[str, Any]:
        if isinstance(message, Document):
            return await self._document(address, message)
        if address.startswith(ROBOT):
            await self._group_robot(address.removeprefix(ROBOT), message, key)
            return {}
        if address.startswith(CONV):
            await self.client.api("POST", "/v1.0/robot/groupMessages/send", render.robot_group(
                self.robot_code, address.removeprefix(CONV), message))
            return {}
        if isinstance(message, Card) and message.buttons and not message.status:
            return await self._card(address, message, key, maybe_sent)
        return await self._text(address, message)

    async def _card(self, user: str, card: Card, key: str, maybe_sent: bool) -> dict[str, Any]:
        body = render.create_card(card, user=user, template_id=self.template_id,
                                  robot_code=self.robot_code, key=key, stream=self.stream)
        track = body["outTrackId"]
        try:
            data = await self.client.api("POST", "/v1.0/card/instances/createAndDeliver", body)
        except DingTalkApiError as exc:
            if exc.code == "param.cardAlreadyExist" and maybe_sent:  # an earlier try landed
                return {"out_track_id": track, "delivered_by": "earlier attempt"}
            raise
        failed = [r for r in (data.get("result") or {}).get("deliverResults", [])
                  if not r.get("success")]
        if failed:
            raise PermanentDeliveryError(f"DingTalk card not delivered: {failed[0].get('errorMsg', '')}")
        return {"out_track_id": track}

    async def _document(self, address: str, document: Document) -> dict[str, Any]:
        """Upload, then a robot message naming the upload (1:1 or an app group). A custom group
        robot (webhook) cannot carry files, nor can a sessionWebhook reply."""
        if address.startswith(ROBOT):
            raise PermanentDeliveryError("DingTalk: a custom group robot cannot send files")
        media_id = await self.client.upload(document.name, document.data, document.mime)
        if address.startswith(CONV):
            await self.client.api("POST", "/v1.0/robot/groupMessages/send", render.to_group(
                render.robot_file(self.robot_code, "", media_id, document.name),
                address.removeprefix(CONV)))
            return {}
        return await self._batch_send(address, render.robot_file(
            self.robot_code, address, media_id, document.name))

    async def _batch_send(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        data = await self.client.api("POST", "/v1.0/robot/oToMessages/batchSend", body)
        if user in (data.get("invalidStaffIdList") or []):
            raise PermanentDeliveryError("DingTalk: unknown user (invalidStaffIdList)")
        if user in (data.get("flowControlledStaffIdList") or []):
            raise Throttled("DingTalk: user flow-controlled", retry_after=60.0)
        return {"via": "robot"}

    async def _text(self, user: str, message: Text | Card) -> dict[str, Any]:
        session = self.sessions.get(user)
        if (session is not None and session.expires_ms - SESSION_MARGIN_MS > self.wall_ms()
                and self.client.is_session_webhook(session.webhook)):
            try:
                await self.client.webhook(session.webhook, render.webhook_message(message, []),
                                          "sessionWebhook")
                return {"via": "session"}
            except (DingTalkRefused, ConfigurationError) as exc:
                # The session is no good any more (expired early, unknown): forget it and
                # send through the robot instead.
                log.info("dingtalk sessionWebhook of %s refused (%s); using the 1:1 send",
                         user[:64], exc)
                if self.sessions.get(user) is session:
                    del self.sessions[user]
        return await self._batch_send(user, render.robot_one_to_one(self.robot_code, user, message))

    async def _group_robot(self, code: str, message: Text | Card, key: str) -> None:
        department = await Department.get_or_none(code=code)
        groups = (department.groups or {}) if department else {}
        webhook, secret = groups.get("dingtalk_webhook"), groups.get("dingtalk_secret")
        if not webhook or not secret:
            raise PermanentDeliveryError(f"DingTalk: department {code} has no group robot")
        wait = self.robots.wait(code)
        if wait > 0:
            raise Throttled("DingTalk group robot limit reached", retry_after=wait)
        mentions = await self._userids(message.mentions if isinstance(message, Text) else ())
        url = signed_robot_url(webhook, secret, int(self.wall_ms()))
        await self.client.webhook(url, render.webhook_message(message, mentions, key=key),
                                  "robot/send")

    async def update_card(self, address: str, ref: dict[str, Any], card: Card, *,
                          maybe_sent: bool = False) -> None:
        track = str(ref.get("out_track_id") or "")
        if not track:
            raise CardGone("no card instance for this copy")
        try:
            await self.client.api("PUT", "/v1.0/card/instances", render.update_card(track, card))
        except ConfigurationError:
            raise
        except DingTalkRefused as exc:  # the instance is gone: a PUT is idempotent otherwise
            raise CardGone(str(exc)) from None

    async def prepare(self, event: Event) -> Event:
        """Fetch a picture's or file's bytes now: the download code is short-lived. Fill an
        address-book change from the directory (see the module docstring)."""
        if isinstance(event, ContactChange):
            return await self._contact(event)
        if isinstance(event, (ImageMessage, FileMessage)) and event.media_id and event.data is None:
            data, mime = await self.client.download(event.media_id, self.robot_code)
            return dataclasses.replace(event, data=data, mime=mime or event.mime)
        return event

    async def _contact(self, event: ContactChange) -> ContactChange:
        try:
            if event.change == Change.UPDATED.value:
                found = await self.directory.person(event.userid)
                if found is None:
                    return dataclasses.replace(event, change=Change.LEFT.value)
                names = await department_names(self.directory, found.departments)
                return dataclasses.replace(event, name=found.name, departments=names)
            if event.change == Change.DEPARTMENT_REMOVED.value:
                shown = [d for d in await self.directory.departments() if d.id != event.department]
                named = [d.name for d in shown if d.name is not None]
                return dataclasses.replace(event, remaining=named if named or not shown else None)
        except DirectoryError as exc:
            log.warning("dingtalk %s of %s: directory not asked (%s); handled without it",
                        event.change, event.userid[:64] or event.department[:32], exc)
        return event

    @staticmethod
    async def _userids(codes: tuple[str, ...]) -> list[str]:
        if not codes:
            return []
        rows = await Person.filter(code__in=list(codes)).values_list("dingtalk_userid", flat=True)
        return [str(r) for r in rows if r]
