"""A small router: ``@router.command("投稿", "draft")``, ``@router.action(Approve)``,
``@router.on(TextMessage, prompt=RejectReason)``, ``@router.public(PublicInquiry)``.

One ``Router`` per handler module; ``handlers/__init__.py`` includes them in an explicit order and
the first match wins. Every handler has one shape, ``async def on_x(ctx, deps)``: ``ctx`` carries
the event and what was matched, typed by the route; ``deps`` the app-wide services. No
name-matched injection, no auto-discovery. Imports no channel.

What ``ctx`` is, by route:
- ``command`` / ``on``: a ``Ctx[E]`` (the event, the sender's ``Person``, ``ctx.command/args``);
- ``action(P)``: an ``ActionCtx[P]``, whose ``payload`` is the unpacked ``P``;
- ``on(E, prompt=Q)``: an ``AnswerCtx[E, Q]``, whose ``answering`` is the open question ``Q``;
- ``public(E)``: an ``EventCtx[E]``: an event from outside the organisation (a WeChat follower's
  message, the intake API) or from the platform itself (a directory change, ``ContactChange``)
  has no sender on file, so nothing of a person is there (``ctx.identity`` names the column the
  channel's people are found by, for an event that names someone).

Questions (``bot.prompts``) are consumed by the router: once a ``prompt=`` route's handler has
run, the question it answered is closed (its row deleted), unless the handler kept it open
(``ctx.keep_prompt()``: an answer that does not do, a form's next step) or asked another
(``ctx.ask`` replaces the open question). No handler deletes the question it answers.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from bot.cards import Message, Payload, Queued, Text, unpack_payload
from bot.deps import Deps
from bot.events import CardAction, Event, TextMessage, bounded_key
from bot.prompts import PromptData, PromptError
from models import Person, Prompt

if TYPE_CHECKING:
    from bot.outbox import Outbox

log = logging.getLogger("xmt.router")

E = TypeVar("E", bound=Event)
P = TypeVar("P", bound=Payload)
Q = TypeVar("Q", bound=PromptData)
C = TypeVar("C", bound="EventCtx[Any]")

DEFAULT_PROMPT_TTL = timedelta(hours=24)


@dataclass(kw_only=True)
class EventCtx(Generic[E]):
    """What any event brings to its handler: the event, the time and the outbox."""

    event: E
    now: datetime
    outbox: Outbox
    tz: tzinfo = UTC  # the organisation's time zone, for times shown to people
    # The ``Person`` column the event's channel identifies people by (``wecom_userid``…): what a
    # directory change (``ContactChange``) names the person with.
    identity: str = "code"

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.tz)

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.tz)


@dataclass(kw_only=True)
class Ctx(EventCtx[E]):
    """What an event from a person of the organisation brings to its handler."""

    person: Person
    prompt: Prompt | None = None  # the person's open question (its row), if any
    command: str = ""  # the command word that matched
    args: str = ""  # the text after it
    _replies: int = field(default=0, repr=False)
    _kept: bool = field(default=False, repr=False)

    async def open(self, prompt: PromptData, *, ttl: timedelta = DEFAULT_PROMPT_TTL) -> Prompt:
        """Make ``prompt`` the person's open question (replacing any), without asking it."""
        await Prompt.filter(person_id=self.person.id).delete()
        self.prompt = await Prompt.create(person_id=self.person.id, kind=prompt.kind,
                                          data=prompt.to_json(), expires_at=self.now + ttl)
        return self.prompt

    async def ask(self, prompt: PromptData, question: Message | str, *,
                  ttl: timedelta = DEFAULT_PROMPT_TTL) -> Prompt:
        """Open a question (replacing any open one) whose answer the ``prompt=`` route of its
        class takes, and ask it."""
        row = await self.open(prompt, ttl=ttl)
        await self.reply(question)
        return row

    async def keep_prompt(self, prompt: PromptData | None = None, *, ttl: timedelta | None = None) -> None:
        """The open question stays open after this answer; with ``prompt``, it now holds that
        (a form's answers so far), and with ``ttl``, it expires that long from now."""
        self._kept = True
        if self.prompt is None or (prompt is None and ttl is None):
            return
        changes: dict[str, Any] = {}
        if prompt is not None:
            changes["data"] = self.prompt.data = prompt.to_json()
        if ttl is not None:
            changes["expires_at"] = self.prompt.expires_at = self.now + ttl
        await Prompt.filter(id=self.prompt.id).update(**changes)

    async def close_prompt(self, kind: type[PromptData] | None = None) -> None:
        """Close the person's open question (only if it is a ``kind``, when given): answered by
        a button, say, or given up."""
        query = Prompt.filter(person_id=self.person.id)
        if kind is not None:
            query = query.filter(kind=kind.kind)
        await query.delete()
        if self.prompt is not None and (kind is None or self.prompt.kind == kind.kind):
            self.prompt = None

    async def reply(self, message: Queued | str) -> None:  # a Text, Card, Document or FileRequest
        """Queue a message to the sender, on the channel the event came from."""
        msg = Text(message) if isinstance(message, str) else message
        self._replies += 1  # the key is bounded: a platform's 10,000-character msgId still fits
        await self.outbox.send(
            self.person, msg, key=bounded_key(self.event.channel, self.event.key, f"r{self._replies}"),
            now=self.now, channel=self.event.channel,
        )


@dataclass(kw_only=True)
class ActionCtx(Ctx[CardAction], Generic[P]):
    """A button tap: ``payload`` is the tapped button's typed payload."""

    payload: P


@dataclass(kw_only=True)
class AnswerCtx(Ctx[E], Generic[E, Q]):
    """An answer to an open question: ``answering`` is the question, ``answered`` its row (a
    form's cards carry its id)."""

    answering: Q
    answered: Prompt


Handler = Callable[[C, Deps], Awaitable[None]]


@dataclass(frozen=True)
class Route:
    handler: Callable[[Any, Deps], Awaitable[None]]
    event_type: type[Event]
    commands: tuple[str, ...] = ()
    payload_type: type[Payload] | None = None
    prompt: type[PromptData] | None = None
    public: bool = False  # from outside the organisation: no person is resolved

    @property
    def name(self) -> str:
        """The handler's name (``on_draft``), for the event's log line."""
        return getattr(self.handler, "__name__", "handler")


@dataclass(frozen=True)
class Match:
    """The route an event takes and the context its handler gets."""

    route: Route
    ctx: Ctx[Any]


def _specialise(cls: type[C], ctx: Ctx[Any], **extra: Any) -> C:
    """``ctx`` as a ``cls`` (a Ctx subclass) with the matched ``extra`` values."""
    values = {f.name: getattr(ctx, f.name) for f in dataclasses.fields(ctx) if f.init}
    return cls(**values, **extra)


def _normalise(word: str) -> str:
    return word.casefold()


class Router:
    def __init__(self, name: str) -> None:
        self.name = name
        self.routes: list[Route] = []
        self.children: list[Router] = []

    # -- registration -------------------------------------------------------------------------
    def _add(self, route: Route) -> None:
        self.routes.append(route)

    @overload
    def on(self, event_type: type[E], *, prompt: None = None
           ) -> Callable[[Handler[Ctx[E]]], Handler[Ctx[E]]]: ...

    @overload
    def on(self, event_type: type[E], *, prompt: type[Q]
           ) -> Callable[[Handler[AnswerCtx[E, Q]]], Handler[AnswerCtx[E, Q]]]: ...

    def on(self, event_type: type[E], *, prompt: type[Q] | None = None
           ) -> Callable[[Handler[Any]], Handler[Any]]:
        """Any event of ``event_type``; with ``prompt``, one that answers that open question."""

        def register(handler: Handler[Any]) -> Handler[Any]:
            self._add(Route(handler, event_type, prompt=prompt))
            return handler

        return register

    def command(self, *words: str) -> Callable[[Handler[Ctx[TextMessage]]], Handler[Ctx[TextMessage]]]:
        """A text command: the first word is the Chinese command, the rest aliases."""

        def register(handler: Handler[Ctx[TextMessage]]) -> Handler[Ctx[TextMessage]]:
            self._add(Route(handler, TextMessage, commands=words))
            return handler

        return register

    def action(self, payload_type: type[P]) -> Callable[[Handler[ActionCtx[P]]], Handler[ActionCtx[P]]]:
        """A tap on a button whose payload is a ``payload_type``."""

        def register(handler: Handler[ActionCtx[P]]) -> Handler[ActionCtx[P]]:
            self._add(Route(handler, CardAction, payload_type=payload_type))
            return handler

        return register

    def public(self, event_type: type[E]) -> Callable[[Handler[EventCtx[E]]], Handler[EventCtx[E]]]:
        """An event from outside the organisation (no person on file is looked up)."""

        def register(handler: Handler[EventCtx[E]]) -> Handler[EventCtx[E]]:
            self._add(Route(handler, event_type, public=True))
            return handler

        return register

    def include(self, *routers: Router) -> None:
        self.children.extend(routers)

    # -- matching -----------------------------------------------------------------------------
    def all_routes(self) -> list[Route]:
        out = list(self.routes)
        for child in self.children:
            out.extend(child.all_routes())
        return out

    def command_words(self) -> list[str]:
        """Every command word, longest first (so that 已发布 wins over a shorter prefix)."""
        words = {w for r in self.all_routes() for w in r.commands}
        return sorted(words, key=len, reverse=True)

    def split_command(self, text: str) -> tuple[str, str] | None:
        """(command, args) if the text starts with a known command word, else None.

        ``投稿 @账号``, ``投稿@账号`` and ``Draft @账号`` all match 投稿/draft.
        """
        stripped = text.strip()
        folded = _normalise(stripped)
        for word in self.command_words():
            w = _normalise(word)
            if folded.startswith(w):
                rest = stripped[len(word):]
                if not rest or rest[0].isspace() or rest[0] in "@＠":
                    return word, rest.strip()
        return None

    def public_route(self, event: Event) -> Route | None:
        """The route of an event from outside the organisation, if it is one."""
        return next((r for r in self.all_routes() if r.public and isinstance(event, r.event_type)), None)

    def resolve(self, ctx: Ctx[Any]) -> Match | None:
        """Pick the route for this event and the context its handler gets. First match wins.

        A question whose row no longer loads as its class (``PromptError``) takes no answer."""
        routes = self.all_routes()
        event = ctx.event
        if isinstance(event, TextMessage):
            split = self.split_command(event.text)
            if split is not None:
                ctx.command, ctx.args = split
                for route in routes:
                    if ctx.command in route.commands:
                        return Match(route, ctx)
        if ctx.prompt is not None and not isinstance(event, CardAction):
            # An open question takes the answer (text, or e.g. the image a form asked for).
            for route in routes:
                if route.prompt is not None and route.prompt.kind == ctx.prompt.kind \
                        and isinstance(event, route.event_type):
                    try:
                        answering = route.prompt.from_json(ctx.prompt.data)
                    except PromptError:
                        log.warning("open question %s of person %s does not load: not taken as "
                                    "answered", ctx.prompt.kind, ctx.person.id, exc_info=True)
                        break
                    return Match(route, _specialise(AnswerCtx, ctx, answering=answering,
                                                    answered=ctx.prompt))
        if isinstance(event, CardAction):
            payload = unpack_payload(event.payload)
            if payload is None:
                return None
            for route in routes:
                if route.payload_type is type(payload):
                    return Match(route, _specialise(ActionCtx, ctx, payload=payload))
            return None
        for route in routes:
            if (
                not route.commands and route.payload_type is None and route.prompt is None
                and not route.public and isinstance(event, route.event_type)
            ):
                return Match(route, ctx)
        return None

    async def dispatch(self, ctx: Ctx[Any], deps: Deps,
                       chosen: Callable[[Route], None] | None = None) -> bool:
        """Run the handler this event's route names; False if no route takes it. A question the
        handler answered is closed afterwards unless it kept it open or asked another.
        ``chosen`` is told the route before its handler runs (the event's log line names the
        handler even when it fails)."""
        match = self.resolve(ctx)
        if match is None:
            return False
        if chosen is not None:
            chosen(match.route)
        await match.route.handler(match.ctx, deps)
        if isinstance(match.ctx, AnswerCtx) and not match.ctx._kept:
            await Prompt.filter(id=match.ctx.answered.id).delete()
        return True
