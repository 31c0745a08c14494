"""Guided forms in chat: the bot asks one field at a time, checks each answer, and ends with a
summary card [提交][修改][取消]. 取消 (or the card's button) stops at any step; 修改 asks which
field to answer again.

A form is a list of ``Field`` s; its state (``FormState``: which field, the answers so far) is the
person's open question (kind ``form``), so a form survives a restart and a person has one open
question at a time. Unlike a one-answer question, it stays open across answers (each step keeps
it, with the answers so far); 取消 and 提交 close it. What happens on 提交 is the form's
``on_submit``. Imports no channel.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot import texts
from bot.card_closing import close_card
from bot.cards import Button, Card, Payload
from bot.deps import Deps
from bot.events import ImageMessage, TextMessage
from bot.prompts import PromptData
from bot.router import ActionCtx, AnswerCtx, Ctx, Router

router = Router(name=__name__)

FORM_TTL = timedelta(hours=2)

# A check gets the answer and the answers so far; it returns the value to keep (str) or raises
# Invalid with what to say. It may fill other fields too (returned in ``also``).
Check = Callable[[str, dict[str, Any], Ctx[Any]], Awaitable["Checked"]]


class Invalid(Exception):
    pass


@dataclass(frozen=True)
class Checked:
    value: str
    also: tuple[tuple[str, str], ...] = ()  # other fields this answer fills


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    question: str
    check: Check | None = None
    optional: bool = False  # "无" leaves it empty
    image: bool = False  # answered with an image message (kept in the prompt until submitted)


@dataclass(frozen=True)
class Form:
    name: str
    title: str
    fields: tuple[Field, ...]
    # (ctx, deps, answers, context); images of image fields are in context["files"] as base64
    on_submit: Callable[[Ctx[Any], Deps, dict[str, Any], dict[str, Any]], Awaitable[None]]


FORMS: dict[str, Form] = {}


def register(form: Form) -> Form:
    FORMS[form.name] = form
    return form


@dataclass
class FormState(PromptData, kind="form"):
    """An open form: the field asked (``step``), the answers so far, and where the summary is."""

    form: str
    step: int = 0
    values: dict[str, Any] = dataclasses.field(default_factory=dict)
    context: dict[str, Any] = dataclasses.field(default_factory=dict)
    editing: bool = False  # answering one field again from the summary
    choosing: bool = False  # 修改 tapped: a number picks the field
    round: int = 0  # which summary card is the live one


@dataclass(frozen=True)
class FormAction(Payload, prefix="form"):
    action: str  # submit | edit | cancel
    token: int  # the prompt's id: a card of an older form does nothing
    round: int  # which summary of this form: one closed by 修改 does nothing


async def start(ctx: Ctx[Any], form: Form, *, values: dict[str, Any] | None = None,
                context: dict[str, Any] | None = None) -> None:
    """Open ``form`` for the sender (replacing any open question) and ask its first field."""
    state = FormState(form.name, values=values or {}, context=context or {})
    row = await ctx.open(state, ttl=FORM_TTL)
    await ctx.reply(texts.form_started(form.title, len(form.fields)))
    await _ask_next(ctx, form, row.id, state)


async def _ask_next(ctx: Ctx[Any], form: Form, token: int, state: FormState) -> None:
    """Keep the form open with ``state`` (for another ``FORM_TTL``) and ask its next field, or
    show the summary when every field is answered."""
    step = state.step
    skipped: list[int] = []
    while step < len(form.fields) and form.fields[step].key in state.values and not state.editing:
        skipped.append(step)  # filled already (from the directory, by an earlier answer)
        step += 1
    state.step = step
    if skipped and step < len(form.fields):  # say why the counter jumps
        await ctx.reply(texts.form_filled(skipped[0] + 1, skipped[-1] + 1, [
            (form.fields[i].label, str(state.values[form.fields[i].key] or texts.FORM_EMPTY))
            for i in skipped]))
    await ctx.keep_prompt(state, ttl=FORM_TTL)
    if step >= len(form.fields):
        await ctx.reply(summary_card(form, state.values, token, state.round))
        return
    field = form.fields[step]
    hint = texts.FORM_OPTIONAL_HINT if field.optional else ""
    await ctx.reply(texts.form_question(step + 1, len(form.fields), field.question + hint))


def summary_card(form: Form, values: dict[str, Any], token: int, round_: int) -> Card:
    """The answers with [提交][修改][放弃]. Each showing is its own card (``round_`` counts the
    修改 taps): 修改 closes the one tapped, and the form shows a new one once the answer is
    changed, so no older summary with older answers keeps live buttons."""
    return Card(
        card_id=f"form-{form.name}-{token}-{round_}",
        title=texts.form_summary_title(form.title),
        fields=tuple((f"{n}. {f.label}", str(values.get(f.key) or texts.FORM_EMPTY))
                     for n, f in enumerate(form.fields, start=1)),
        body=texts.FORM_SUMMARY_HINT,
        buttons=(
            Button(texts.BUTTON_FORM_SUBMIT, FormAction("submit", token, round_).pack(), "primary"),
            Button(texts.BUTTON_FORM_EDIT, FormAction("edit", token, round_).pack(), "default"),
            Button(texts.BUTTON_CANCEL, FormAction("cancel", token, round_).pack(), "danger"),
        ),
    )


@router.on(TextMessage, prompt=FormState)
async def on_answer(ctx: AnswerCtx[TextMessage, FormState], deps: Deps) -> None:
    await ctx.keep_prompt()  # a form stays open until 取消 or 提交
    token, state = ctx.answered.id, ctx.answering
    form = FORMS[state.form]
    answer = ctx.event.text.strip()
    if answer in texts.CANCEL_WORDS:
        await _cancel(ctx, form, token, state)
        return
    step = state.step
    if step >= len(form.fields):  # at the summary: a number picks the field to change
        if state.choosing:
            try:
                pick = int(answer)
            except ValueError:
                pick = 0
            if not 1 <= pick <= len(form.fields):
                await ctx.reply(texts.form_pick_number(len(form.fields)))
                return
            state.step, state.editing, state.choosing = pick - 1, True, False
            await ctx.keep_prompt(state)
            field = form.fields[pick - 1]
            await ctx.reply(texts.form_question(pick, len(form.fields), field.question))
            return
        await ctx.reply(texts.FORM_USE_BUTTONS)
        return
    field = form.fields[step]
    if field.image and not (field.optional and answer in texts.NONE_WORDS):
        await ctx.reply(texts.form_image_wanted(step + 1, len(form.fields), field.question,
                                                field.optional))
        return
    if field.optional and answer in texts.NONE_WORDS:
        checked = Checked("")
    elif not answer:
        await ctx.reply(texts.form_question(step + 1, len(form.fields), field.question))
        return
    else:
        try:
            checked = await field.check(answer, state.values, ctx) if field.check \
                else Checked(answer[:500])
        except Invalid as exc:
            hint = texts.FORM_OPTIONAL_HINT if field.optional else ""
            await ctx.reply(texts.form_invalid(str(exc), field.question + hint))
            return
    state.values[field.key] = checked.value
    for key, value in checked.also:
        state.values[key] = value
    _answered(form, state, step)
    await _ask_next(ctx, form, token, state)


def _answered(form: Form, state: FormState, step: int) -> None:
    """Field ``step`` is answered: on to the next, or back to the summary if it was changed."""
    if state.editing:
        state.step, state.editing = len(form.fields), False
    else:
        state.step = step + 1


@router.on(ImageMessage, prompt=FormState)
async def on_image(ctx: AnswerCtx[ImageMessage, FormState], deps: Deps) -> None:
    """An image answers an image field (a QR code); anything else keeps the form where it is."""
    await ctx.keep_prompt()  # a form stays open until 取消 or 提交
    token, state = ctx.answered.id, ctx.answering
    form = FORMS[state.form]
    step = state.step
    if step >= len(form.fields) or not form.fields[step].image or not ctx.event.data:
        await ctx.reply(texts.FORM_NOT_AN_IMAGE_STEP)
        return
    field = form.fields[step]
    state.context.setdefault("files", {})[field.key] = base64.b64encode(ctx.event.data).decode()
    state.values[field.key] = texts.form_image_received(len(ctx.event.data))
    _answered(form, state, step)
    await _ask_next(ctx, form, token, state)


def _summary(form: Form, token: int, state: FormState) -> Card:
    """The summary card shown last, as it was sent."""
    return summary_card(form, state.values, token, state.round)


async def _cancel(ctx: Ctx[Any], form: Form, token: int, state: FormState) -> None:
    await ctx.close_prompt()
    await close_card(ctx.outbox, _summary(form, token, state),
                     title=texts.closed_title(f"《{form.title}》", texts.OUTCOME_FORM_CANCELLED),
                     status=texts.FORM_CANCELLED, key=f"form-cancel:{token}", now=ctx.now)
    await ctx.reply(texts.form_cancelled(form.title))


@router.action(FormAction)
async def on_action(ctx: ActionCtx[FormAction], deps: Deps) -> None:
    p = ctx.payload
    state = FormState.of(ctx.prompt)
    if ctx.prompt is None or state is None or ctx.prompt.id != p.token:
        await ctx.reply(texts.EXPIRED_BUTTON)
        return
    token, form = p.token, FORMS[state.form]
    if p.round != state.round or state.step < len(form.fields):
        await ctx.reply(texts.FORM_SUMMARY_REPLACED)  # 修改 was tapped on it: a newer one comes
        return
    if p.action == "cancel":
        await _cancel(ctx, form, token, state)
    elif p.action == "edit":
        await close_card(ctx.outbox, _summary(form, token, state),
                         title=texts.closed_title(f"《{form.title}》", texts.OUTCOME_FORM_EDITED),
                         status=texts.form_edited_status(ctx.local_now),
                         key=f"form-edit:{token}:{p.round}", now=ctx.now)
        state.choosing, state.round = True, p.round + 1
        await ctx.keep_prompt(state)
        await ctx.reply(texts.form_pick_number(len(form.fields)))
    elif p.action == "submit":
        missing = [f.label for f in form.fields if not f.optional and not state.values.get(f.key)]
        if missing:
            await ctx.reply(texts.form_missing(missing))
            return
        await ctx.close_prompt()
        await close_card(ctx.outbox, _summary(form, token, state),
                         title=texts.closed_title(f"《{form.title}》", texts.OUTCOME_FORM_SUBMITTED),
                         status=texts.card_submitted(ctx.local_now), key=f"form-submit:{token}",
                         now=ctx.now)
        await form.on_submit(ctx, deps, state.values, state.context)
    else:
        await ctx.reply(texts.EXPIRED_BUTTON)
