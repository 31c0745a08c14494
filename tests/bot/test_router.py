"""The router: typed questions taken and closed by it, typed contexts per route, public events
without a person, and the inbox finding senders by the column each channel declares."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from bot.channels.dingtalk.channel import DingTalkChannel
from bot.channels.local.channel import LocalChannel
from bot.channels.wecom.channel import WeComChannel
from bot.deps import Deps
from bot.events import CardAction, Event, PublicInquiry, TextMessage
from bot.inbound import Inbox, identities
from bot.prompts import PromptData, PromptError
from bot.router import ActionCtx, AnswerCtx, Ctx, EventCtx, Router
from handlers import build_router
from handlers.forms import FormState
from handlers.inquiries import Claim
from models import Decision, Person, Prompt
from tests.conftest import World
from tests.handlers.test_drafts import submitted


@dataclass(frozen=True)
class Note(PromptData, kind="test_note"):
    subject: int
    word: str = ""


@dataclass(frozen=True)
class Other(PromptData, kind="test_other"):
    subject: int


# -- questions as values ---------------------------------------------------------------------------
def test_a_question_is_stored_by_field_name_and_read_back() -> None:
    assert Note(3, "x").to_json() == {"subject": 3, "word": "x"}
    assert Note.from_json({"subject": 3, "word": "x"}) == Note(3, "x")
    assert Note.from_json({"subject": 3, "later": 1}) == Note(3)  # unknown keys left aside
    with pytest.raises(PromptError):
        Note.from_json({"word": "x"})  # a field without a default is missing


def test_a_question_needs_a_kind_that_fits_the_column() -> None:
    with pytest.raises(TypeError):
        class Nameless(PromptData):
            pass
    with pytest.raises(TypeError):
        class TooLong(PromptData, kind="k" * 33):
            pass


def test_a_form_row_written_before_round_and_choosing_loads() -> None:
    old = {"form": "form1", "step": 2, "values": {"name": "x"}, "context": {}, "editing": False}
    state = FormState.from_json(old)
    assert (state.step, state.values, state.choosing, state.round) == (2, {"name": "x"}, False, 0)


def test_every_question_kind_of_the_app_names_one_class() -> None:
    classes: dict[str, type[PromptData]] = {}
    for route in build_router().all_routes():
        if route.prompt is not None:
            assert classes.setdefault(route.prompt.kind, route.prompt) is route.prompt
    assert {"reject_reason", "category", "draft_text", "form", "inquiry_due"} <= set(classes)


# -- routing and closing --------------------------------------------------------------------------
async def _ctx(world: World, text: str, who: str = "lisi") -> Ctx[Any]:
    person = await Person.get(code=who)
    prompt = await Prompt.get_or_none(person_id=person.id)
    world.n += 1
    event = TextMessage(channel="local", sender=who, key=f"r{world.n}", received_at=world.clock.now,
                        text=text)
    return Ctx(event=event, person=person, now=world.clock.now, outbox=world.bot.outbox, prompt=prompt)


async def _open(world: World, question: PromptData, who: str = "lisi") -> Prompt:
    person = await Person.get(code=who)
    return await Prompt.create(person_id=person.id, kind=question.kind, data=question.to_json(),
                               expires_at=world.clock.now + timedelta(hours=1))


def _note_router(seen: list[AnswerCtx[TextMessage, Note]]) -> Router:
    router = Router("test")

    @router.on(TextMessage, prompt=Note)
    async def on_note(ctx: AnswerCtx[TextMessage, Note], deps: Deps) -> None:
        seen.append(ctx)
        if ctx.event.text == "keep":
            await ctx.keep_prompt()
        elif ctx.event.text == "more":
            await ctx.keep_prompt(Note(ctx.answering.subject, "more"), ttl=timedelta(hours=5))
        elif ctx.event.text == "next":
            await ctx.ask(Other(ctx.answering.subject + 1), "下一个问题")

    return router


async def test_an_answer_gets_its_typed_question_and_the_router_closes_it(world: World) -> None:
    seen: list[AnswerCtx[TextMessage, Note]] = []
    router = _note_router(seen)
    row = await _open(world, Note(7, "w"))
    assert await router.dispatch(await _ctx(world, "好"), world.bot.deps)
    [ctx] = seen
    assert isinstance(ctx, AnswerCtx) and ctx.answering == Note(7, "w") and ctx.answered.id == row.id
    assert await Prompt.all().count() == 0


async def test_a_kept_question_stays_open_with_what_it_now_holds(world: World) -> None:
    seen: list[AnswerCtx[TextMessage, Note]] = []
    router = _note_router(seen)
    row = await _open(world, Note(7))
    assert await router.dispatch(await _ctx(world, "keep"), world.bot.deps)
    assert (await Prompt.get(id=row.id)).data == {"subject": 7, "word": ""}
    assert await router.dispatch(await _ctx(world, "more"), world.bot.deps)
    kept = await Prompt.get(id=row.id)
    assert kept.data == {"subject": 7, "word": "more"}
    assert kept.expires_at == world.clock.now + timedelta(hours=5)


async def test_a_question_asked_while_answering_replaces_the_answered_one(world: World) -> None:
    router = _note_router([])
    await _open(world, Note(7))
    assert await router.dispatch(await _ctx(world, "next"), world.bot.deps)
    [row] = await Prompt.all()
    assert (row.kind, row.data) == ("test_other", {"subject": 8})


async def test_a_question_that_no_longer_loads_takes_no_answer(world: World) -> None:
    seen: list[AnswerCtx[TextMessage, Note]] = []
    router = _note_router(seen)
    person = await Person.get(code="lisi")
    await Prompt.create(person_id=person.id, kind="test_note", data={"word": "x"},
                        expires_at=world.clock.now + timedelta(hours=1))
    assert not await router.dispatch(await _ctx(world, "好"), world.bot.deps)
    assert seen == [] and await Prompt.all().count() == 1


async def test_close_prompt_of_a_kind_leaves_another_kind_open(world: World) -> None:
    await _open(world, Other(1))
    ctx = await _ctx(world, "x")
    await ctx.close_prompt(Note)
    assert await Prompt.all().count() == 1 and ctx.prompt is not None
    await ctx.close_prompt(Other)
    assert await Prompt.all().count() == 0 and ctx.prompt is None


async def test_a_question_asked_before_the_upgrade_is_answered(world: World) -> None:
    """The row exactly as the bare-string prompts wrote it (kind + data dict) is answered."""
    draft = await submitted(world)
    await world.tap("lisi", world.channel.last_card("lisi", "ap-"), "驳回")
    lisi = await Person.get(code="lisi")
    await Prompt.filter(person_id=lisi.id).delete()
    await Prompt.create(person_id=lisi.id, kind="reject_reason", data={"draft": draft.id, "version": 1},
                        expires_at=world.clock.now + timedelta(hours=24))
    await world.say("lisi", "数据需要核实")
    assert world.last_text("zhangsan") == "稿件 D1 的驳回理由：数据需要核实"
    assert (await Decision.get(draft_id=draft.id)).reason == "数据需要核实"
    assert await Prompt.all().count() == 0


async def test_an_action_handler_gets_the_typed_payload(world: World) -> None:
    router = Router("test")
    seen: list[ActionCtx[Claim]] = []

    @router.action(Claim)
    async def on_claim(ctx: ActionCtx[Claim], deps: Deps) -> None:
        seen.append(ctx)

    person = await Person.get(code="lisi")
    event = CardAction(channel="local", sender="lisi", key="a1", received_at=world.clock.now,
                       payload=Claim(12).pack())
    ctx: Ctx[Any] = Ctx(event=event, person=person, now=world.clock.now, outbox=world.bot.outbox)
    assert await router.dispatch(ctx, world.bot.deps)
    [got] = seen
    assert isinstance(got, ActionCtx) and got.payload == Claim(12) and got.person == person


async def test_a_public_event_has_its_own_route_and_no_person(world: World) -> None:
    router = Router("test")
    seen: list[EventCtx[PublicInquiry]] = []

    @router.public(PublicInquiry)
    async def on_public(ctx: EventCtx[PublicInquiry], deps: Deps) -> None:
        seen.append(ctx)

    @router.on(TextMessage)
    async def on_text(ctx: Ctx[TextMessage], deps: Deps) -> None:
        pass

    inquiry = PublicInquiry(channel="api", sender="portal", key="p1", received_at=world.clock.now,
                            account="某某发布", text="问")
    text = TextMessage(channel="local", sender="lisi", key="t1", received_at=world.clock.now, text="x")
    route = router.public_route(inquiry)
    assert route is not None and route.public and router.public_route(text) is None
    await route.handler(EventCtx(event=inquiry, now=world.clock.now, outbox=world.bot.outbox), world.bot.deps)
    assert [c.event for c in seen] == [inquiry] and not hasattr(seen[0], "person")


# -- senders, by the column each channel declares ----------------------------------------------------
def test_channels_declare_a_person_column() -> None:
    person_fields = Person._meta.fields_map
    for channel, column in ((WeComChannel, "wecom_userid"), (DingTalkChannel, "dingtalk_userid"),
                            (LocalChannel, "code")):
        assert channel.identity == column and column in person_fields


@dataclass
class _Im:
    name: str = "im"
    identity: str = "wecom_userid"


@dataclass
class _Plain:
    name: str = "plain"


async def test_the_inbox_finds_a_sender_by_the_column_their_channel_declares(world: World) -> None:
    await Person.filter(code="lisi").update(wecom_userid="LiSi")
    assert identities([_Im(), _Plain()]) == {"im": "wecom_userid"}
    inbox = Inbox(world.bot.router, world.bot.deps, world.bot.tasks, [_Im(), _Plain()])

    def said(channel: str, sender: str) -> Event:
        return TextMessage(channel=channel, sender=sender, key="k", received_at=world.clock.now, text="x")

    found = await inbox.sender(said("im", "LiSi"))
    assert found is not None and found.code == "lisi"
    assert await inbox.sender(said("im", "lisi")) is None  # not a code on that channel
    plain = await inbox.sender(said("plain", "lisi"))  # declares none: the code, as the simulator
    assert plain is not None and plain.code == "lisi"
    assert await inbox.sender(said("im", "x" * 500)) is None  # longer than the column: nobody


def test_contexts_are_typed_subclasses_of_ctx() -> None:
    names = {f.name for f in dataclasses.fields(AnswerCtx)}
    assert {"answering", "answered", "person", "event"} <= names
    assert issubclass(ActionCtx, Ctx) and issubclass(Ctx, EventCtx)
