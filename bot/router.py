"""A small router: ``@router.command("投稿", "draft")``, ``@router.action(Approve)``,
``@router.on(TextMessage, prompt="reject_reason")``.

One ``Router`` per handler module; ``handlers/__init__.py`` includes them in an explicit order and
the first match wins. Handlers are plain ``async def on_x(ctx, deps)`` functions: ``ctx`` carries
the event, the resolved person and what was matched; ``deps`` the app-wide services. No
name-matched injection, no auto-discovery. Imports no channel.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from bot.cards import Message, Payload, Text, unpack_payload
from bot.deps import Deps
from bot.events import CardAction, Event, TextMessage, bounded_key
from models import Person, Prompt

if TYPE_CHECKING:
    from bot.outbox import Outbox

E = TypeVar("E", bound=Event)
P = TypeVar("P", bound=Payload)


@dataclass
class Ctx(Generic[E]):
    """What one event brings to its handler."""

    event: E
    person: Person
    now: datetime
    outbox: Outbox
    prompt: Prompt | None = None
    tz: tzinfo = UTC  # the organisation's time zone, for times shown to people
    command: str = ""  # the command word that matched
    args: str = ""  # the text after it
    payload: Any = None  # the unpacked typed payload of a CardAction
    _replies: int = field(default=0, repr=False)

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.tz)

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.tz)

    async def ask(self, kind: str, data: dict[str, Any], question: Message | str, *,
                  ttl: timedelta = timedelta(hours=24)) -> Prompt:
        """Open a question (replacing any open one) whose answer the ``prompt=kind`` route takes,
        and ask it."""
        await Prompt.filter(person_id=self.person.id).delete()
        prompt = await Prompt.create(person_id=self.person.id, kind=kind, data=data,
                                     expires_at=self.now + ttl)
        await self.reply(question)
        return prompt

    async def reply(self, message: Message | str) -> None:  # a Text, Card or Document
        """Queue a message to the sender, on the channel the event came from."""
        msg = Text(message) if isinstance(message, str) else message
        self._replies += 1  # the key is bounded: a platform's 10,000-character msgId still fits
        await self.outbox.send(
            self.person, msg, key=bounded_key(self.event.channel, self.event.key, f"r{self._replies}"),
            now=self.now, channel=self.event.channel,
        )


Handler = Callable[[Ctx[Any], Deps], Awaitable[None]]


@dataclass(frozen=True)
class Route:
    handler: Handler
    event_type: type[Event]
    commands: tuple[str, ...] = ()
    payload_type: type[Payload] | None = None
    prompt: str | None = None


def _normalise(word: str) -> str:
    return word.casefold()


class Router:
    def __init__(self, name: str) -> None:
        self.name = name
        self.routes: list[Route] = []
        self.children: list[Router] = []

    # -- registration -------------------------------------------------------------------------
    def on(
        self, event_type: type[Event], *, prompt: str | None = None
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(handler, event_type, prompt=prompt))
            return handler

        return register

    def command(self, *words: str) -> Callable[[Handler], Handler]:
        """A text command: the first word is the Chinese command, the rest aliases."""

        def register(handler: Handler) -> Handler:
            self.routes.append(Route(handler, TextMessage, commands=words))
            return handler

        return register

    def action(self, payload_type: type[P]) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(handler, CardAction, payload_type=payload_type))
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

    def resolve(self, ctx: Ctx[Any]) -> Route | None:
        """Pick the route for this event, filling ``ctx.command/args/payload``. First match wins."""
        routes = self.all_routes()
        event = ctx.event
        if isinstance(event, TextMessage):
            split = self.split_command(event.text)
            if split is not None:
                ctx.command, ctx.args = split
                for route in routes:
                    if ctx.command in route.commands:
                        return route
        if ctx.prompt is not None and not isinstance(event, CardAction):
            # An open question takes the answer (text, or e.g. the image a form asked for).
            for route in routes:
                if route.prompt == ctx.prompt.kind and isinstance(event, route.event_type):
                    return route
        if isinstance(event, CardAction):
            payload = unpack_payload(event.payload)
            if payload is None:
                return None
            ctx.payload = payload
            for route in routes:
                if route.payload_type is type(payload):
                    return route
            return None
        for route in routes:
            if (
                not route.commands and route.payload_type is None and route.prompt is None
                and isinstance(event, route.event_type)
            ):
                return route
        return None
