"""Guided forms in chat: the bot asks one field at a time, checks each answer, and ends with a
summary card [提交][修改][取消]. 取消 (or the card's button) stops at any step; 修改 asks which
field to answer again.

A form is a list of ``Field`` s; its state (which field, the answers so far) lives in the
person's ``Prompt`` (kind ``form``), so a form survives a restart and a person has one open
question at a time. What happens on 提交 is the form's ``on_submit``. Imports no channel.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot import texts
from bot.card_closing import close_card
from bot.cards import Button, Card, Payload
from bot.deps import Deps
from bot.events import ImageMessage, TextMessage
from bot.router import Ctx, Router
from models import Prompt

router = Router(name=__name__)

PROMPT_KIND = "form"
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


@dataclass(frozen=True)
class FormAction(Payload, prefix="form"):
    action: str  # submit | edit | cancel
    token: int  # the prompt's id: a card of an older form does nothing
    round: int  # which summary of this form: one closed by 修改 does nothing


async def start(ctx: Ctx[Any], form: Form, *, values: dict[str, Any] | None = None,
                context: dict[str, Any] | None = None) -> None:
    """Open ``form`` for the sender (replacing any open question) and ask its first field."""
    await Prompt.filter(person_id=ctx.person.id).delete()
    prompt = await Prompt.create(person_id=ctx.person.id, kind=PROMPT_KIND, expires_at=ctx.now + FORM_TTL,
                                 data={"form": form.name, "step": 0, "values": values or {},
                                       "context": context or {}, "editing": False})
    await ctx.reply(texts.form_started(form.title, len(form.fields)))
    await _ask_next(ctx, form, prompt)


async def _ask_next(ctx: Ctx[Any], form: Form, prompt: Prompt) -> None:
    data = prompt.data
    step = int(data["step"])
    skipped: list[int] = []
    while step < len(form.fields) and form.fields[step].key in data["values"] and not data["editing"]:
        skipped.append(step)  # filled already (from the directory, by an earlier answer)
        step += 1
    data["step"] = step
    if skipped and step < len(form.fields):  # say why the counter jumps
        await ctx.reply(texts.form_filled(skipped[0] + 1, skipped[-1] + 1, [
            (form.fields[i].label, str(data["values"][form.fields[i].key] or texts.FORM_EMPTY))
            for i in skipped]))
    await Prompt.filter(id=prompt.id).update(data=data, expires_at=ctx.now + FORM_TTL)
    if step >= len(form.fields):
        await ctx.reply(summary_card(form, data["values"], prompt.id, int(data.get("round", 0))))
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


@router.on(TextMessage, prompt=PROMPT_KIND)
async def on_answer(ctx: Ctx[TextMessage], deps: Deps) -> None:
    assert ctx.prompt is not None
    prompt, data = ctx.prompt, ctx.prompt.data
    form = FORMS[data["form"]]
    answer = ctx.event.text.strip()
    if answer in texts.CANCEL_WORDS:
        await _cancel(ctx, form, prompt)
        return
    step = int(data["step"])
    if step >= len(form.fields):  # at the summary: a number picks the field to change
        if data.get("choosing"):
            try:
                pick = int(answer)
            except ValueError:
                pick = 0
            if not 1 <= pick <= len(form.fields):
                await ctx.reply(texts.form_pick_number(len(form.fields)))
                return
            data.update(step=pick - 1, editing=True, choosing=False)
            await Prompt.filter(id=prompt.id).update(data=data)
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
            checked = await field.check(answer, data["values"], ctx) if field.check \
                else Checked(answer[:500])
        except Invalid as exc:
            hint = texts.FORM_OPTIONAL_HINT if field.optional else ""
            await ctx.reply(texts.form_invalid(str(exc), field.question + hint))
            return
    data["values"][field.key] = checked.value
    for key, value in checked.also:
        data["values"][key] = value
    if data.get("editing"):
        data.update(step=len(form.fields), editing=False)
    else:
        data["step"] = step + 1
    prompt.data = data
    await _ask_next(ctx, form, prompt)


@router.on(ImageMessage, prompt=PROMPT_KIND)
async def on_image(ctx: Ctx[ImageMessage], deps: Deps) -> None:
    """An image answers an image field (a QR code); anything else keeps the form where it is."""
    assert ctx.prompt is not None
    prompt, data = ctx.prompt, ctx.prompt.data
    form = FORMS[data["form"]]
    step = int(data["step"])
    if step >= len(form.fields) or not form.fields[step].image or not ctx.event.data:
        await ctx.reply(texts.FORM_NOT_AN_IMAGE_STEP)
        return
    field = form.fields[step]
    data.setdefault("context", {}).setdefault("files", {})[field.key] = \
        base64.b64encode(ctx.event.data).decode()
    data["values"][field.key] = texts.form_image_received(len(ctx.event.data))
    if data.get("editing"):
        data.update(step=len(form.fields), editing=False)
    else:
        data["step"] = step + 1
    prompt.data = data
    await _ask_next(ctx, form, prompt)


def _summary(form: Form, prompt: Prompt) -> Card:
    """The summary card shown last, as it was sent."""
    return summary_card(form, prompt.data["values"], prompt.id, int(prompt.data.get("round", 0)))


async def _cancel(ctx: Ctx[Any], form: Form, prompt: Prompt) -> None:
    await Prompt.filter(id=prompt.id).delete()
    await close_card(ctx.outbox, _summary(form, prompt),
                     title=texts.closed_title(f"《{form.title}》", texts.OUTCOME_FORM_CANCELLED),
                     status=texts.FORM_CANCELLED, key=f"form-cancel:{prompt.id}", now=ctx.now)
    await ctx.reply(texts.form_cancelled(form.title))


@router.action(FormAction)
async def on_action(ctx: Ctx[Any], deps: Deps) -> None:
    p: FormAction = ctx.payload
    prompt = ctx.prompt
    if prompt is None or prompt.id != p.token or prompt.kind != PROMPT_KIND:
        await ctx.reply(texts.EXPIRED_BUTTON)
        return
    form = FORMS[prompt.data["form"]]
    if p.round != int(prompt.data.get("round", 0)) or int(prompt.data["step"]) < len(form.fields):
        await ctx.reply(texts.FORM_SUMMARY_REPLACED)  # 修改 was tapped on it: a newer one comes
        return
    if p.action == "cancel":
        await _cancel(ctx, form, prompt)
    elif p.action == "edit":
        await close_card(ctx.outbox, _summary(form, prompt),
                         title=texts.closed_title(f"《{form.title}》", texts.OUTCOME_FORM_EDITED),
                         status=texts.form_edited_status(ctx.local_now),
                         key=f"form-edit:{prompt.id}:{p.round}", now=ctx.now)
        prompt.data.update(choosing=True, round=p.round + 1)
        await Prompt.filter(id=prompt.id).update(data=prompt.data)
        await ctx.reply(texts.form_pick_number(len(form.fields)))
    elif p.action == "submit":
        missing = [f.label for f in form.fields if not f.optional and not prompt.data["values"].get(f.key)]
        if missing:
            await ctx.reply(texts.form_missing(missing))
            return
        await Prompt.filter(id=prompt.id).delete()
        await close_card(ctx.outbox, _summary(form, prompt),
                         title=texts.closed_title(f"《{form.title}》", texts.OUTCOME_FORM_SUBMITTED),
                         status=texts.card_submitted(ctx.local_now), key=f"form-submit:{prompt.id}",
                         now=ctx.now)
        await form.on_submit(ctx, deps, prompt.data["values"], prompt.data.get("context") or {})
    else:
        await ctx.reply(texts.EXPIRED_BUTTON)
