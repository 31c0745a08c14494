"""Inquiries from the public (Art. 12): registered by an officer (``咨询 @账号 …``), routed to the
account's department as a card [认领][承诺时限][已回复], claimed by one officer (a conditional
update: of two taps one wins, the card shows who), given a committed reply deadline in working
days, and answered (``回复 Q7 …``). Imports no channel.

Who answers: an unclaimed inquiry, any officer or the head of its department (or the Information
Center), who then owns it. A claimed one, only its owner or the department head (谁主办、谁负责:
one person answers for it, and the head answers for the department); anyone else is told who owns
it and nothing changes. When the head answers an inquiry someone else owns, the owner is told, so
the two never answer the follower twice. A refusal because it was answered already names who
answered and when. The rules hold in the conditional UPDATE itself, so two answers at once cannot
both win.

Which accounts take inquiries: every account that exists on its platform (operating, stopped,
suspended, awaiting filing), since its followers can write to it and Art. 12 asks for an answer
whatever the account's standing; not one only applied for or approved (not opened yet), nor a
closed one.

咨询统计 counts as overdue what the reminder ladder escalates to the head (``bot.inquiry_ladder.
is_overdue``): the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from bot import audit, texts
from bot.card_closing import close_card, close_used_cards
from bot.cards import Button, Card, Payload, Text
from bot.deps import Deps
from bot.events import PublicInquiry, TextMessage, bounded_key
from bot.inquiry_ladder import first_commitments, is_overdue, times_of
from bot.outbox import Outbox
from bot.prompts import PromptData
from bot.router import ActionCtx, AnswerCtx, Ctx, EventCtx, Router
from handlers.common import account_from_args
from models import Account, Department, Inquiry, InquiryStatus, Person
from models.inquiries import ASKER_LIMIT, SOURCE_LIMIT
from models.org import is_info_center_admin
from models.transitions import set_once

router = Router(name=__name__)
DEADLINE_CHOICES = (1, 3, 7)  # working days


def takes_inquiries(account: Account) -> bool:
    return account.status.live


@dataclass(frozen=True)
class Claim(Payload, prefix="iqc"):
    inquiry: int


@dataclass(frozen=True)
class Commit(Payload, prefix="iqd"):
    inquiry: int
    days: int  # 0: show the choices


@dataclass(frozen=True)
class Answer(Payload, prefix="iqa"):
    inquiry: int


@dataclass(frozen=True)
class DueDate(PromptData, kind="inquiry_due"):
    """By when ``inquiry`` will be answered (a button of the choices, or a typed date)."""

    inquiry: int


@dataclass(frozen=True)
class AnswerText(PromptData, kind="inquiry_answer"):
    """The answer to ``inquiry``."""

    inquiry: int


def inquiry_card(q: Inquiry, account: str, owner: str, tz: Any) -> Card:
    fields = [(texts.FIELD_ACCOUNT, account), (texts.FIELD_SOURCE, texts.source_name(q.source, q.asker)),
              (texts.FIELD_RECEIVED, texts.md_hm(q.received_at.astimezone(tz))),
              (texts.FIELD_OWNER, owner or texts.UNCLAIMED)]
    if q.due_at:
        fields.append((texts.FIELD_DUE, texts.md_hm(q.due_at.astimezone(tz))))
    buttons = [Button(texts.BUTTON_ANSWERED, Answer(q.id).pack(), "primary")]
    if q.due_at is None:  # a promise is made once (Art. 12): no button to make another
        buttons.insert(0, Button(texts.BUTTON_COMMIT, Commit(q.id, 0).pack(), "default"))
    if not owner:
        buttons.insert(0, Button(texts.BUTTON_CLAIM, Claim(q.id).pack(), "primary"))
    return Card(card_id=f"inq-{q.id}", title=f"{texts.INQUIRY_CARD_TITLE} {q.ref}",
                fields=tuple(fields), body=q.text, buttons=tuple(buttons))


async def refresh_card(ctx: Ctx[Any], q: Inquiry, key: str, *, status: str = "") -> None:
    """Every copy of the inquiry's card shows its current state (closed once answered: the
    title says 已回复, and the deadline choice, if still open, closes too)."""
    account = await Account.get(id=q.account_id)
    owner = await Person.get_or_none(id=q.owner_id or 0)
    card = inquiry_card(q, account.name, owner.name if owner else "", ctx.tz)
    if not status:
        await ctx.outbox.update_card(card, key=key, now=ctx.now)
        return
    title = texts.closed_title(f"{texts.INQUIRY_CARD_TITLE} {q.ref}", texts.OUTCOME_ANSWERED)
    await close_card(ctx.outbox, card, title=title, status=status, key=key, now=ctx.now)
    await close_used_cards(ctx.outbox, deadline_card_prefix(q.id), title=title, status=status,
                           key=f"{key}:inqd", now=ctx.now)


def deadline_card_prefix(inquiry_id: int) -> str:
    """The deadline-choice cards of one inquiry (one per 约定时限 tap)."""
    return f"inqd-{inquiry_id}-"


async def route_inquiry(outbox: Outbox, q: Inquiry, account: Account, *, now: datetime,
                        tz: tzinfo) -> None:
    """The card goes to the department's officers (its head when it has none)."""
    officers = await Person.filter(department_id=account.department_id, is_officer=True,
                                   active=True).order_by("id")
    if not officers:
        dept = await Department.get(id=account.department_id)
        officers = await Person.filter(id=dept.head_id or 0, active=True)
    card = inquiry_card(q, account.name, "", tz)
    for officer in officers:
        await outbox.send(officer, card, key=f"inq:{q.id}:{officer.id}", now=now)


async def is_head_of(person: Person, q: Inquiry) -> bool:
    return await Department.filter(id=q.department_id, head_id=person.id).exists()


async def may_handle(person: Person, q: Inquiry) -> bool:
    if person.department_id == q.department_id and person.is_officer:
        return True
    return await is_head_of(person, q) or await is_info_center_admin(person)


async def answered_already(ctx: Ctx[Any], q: Inquiry) -> str:
    who = await Person.get_or_none(id=q.answered_by_id or 0)
    return texts.inquiry_answered_already(q.ref, who.name if who else "", ctx.local(q.answered_at or ctx.now))


async def owned_by(q: Inquiry) -> str:
    owner = await Person.get_or_none(id=q.owner_id or 0)
    return texts.inquiry_owned_by(q.ref, owner.name if owner else "")


# -- 咨询 ------------------------------------------------------------------------------------------
@router.command(*texts.CMD_INQUIRY)
async def on_register(ctx: Ctx[TextMessage], deps: Deps) -> None:
    found = await account_from_args(ctx, texts.INQUIRY_USAGE)
    if found is None:
        return
    account, rest = found
    if not takes_inquiries(account):
        await ctx.reply(texts.inquiry_account_not_live(account.name, account.status.value))
        return
    text, _, asker = rest.rpartition(texts.FROM_WORD) if texts.FROM_WORD in rest else (rest, "", "")
    text = text.strip()
    if not text:
        await ctx.reply(texts.INQUIRY_USAGE)
        return
    q = await Inquiry.create(account_id=account.id, department_id=account.department_id,
                             source="chat", asker=asker.strip()[:128], text=text[:5000],
                             received_at=ctx.now, registered_by_id=ctx.person.id)
    await audit.record(ctx.person.code, "inquiry_registered", q.ref, {"account": account.name},
                       now=ctx.now)
    await route_inquiry(ctx.outbox, q, account, now=ctx.now, tz=ctx.tz)
    await ctx.reply(texts.inquiry_registered(q.ref, account.name))


@router.public(PublicInquiry)
async def on_public_inquiry(ctx: EventCtx[PublicInquiry], deps: Deps) -> None:
    """An inquiry from an intake source (checked at the door: the account exists)."""
    event, now = ctx.event, ctx.now
    account = await Account.get_or_none(name=event.account)
    if account is None or not takes_inquiries(account):
        return
    # ``wechat:<openid>`` is 35 characters for a real openid (28): the column is sized for real
    # ids (a WeCom userid is up to 64), and a longer source is bounded, never refused.
    source = bounded_key(event.channel, event.sender, limit=SOURCE_LIMIT)
    q = await Inquiry.create(account_id=account.id, department_id=account.department_id,
                             source=source, asker=event.asker[:ASKER_LIMIT],
                             text=event.text[:5000], received_at=now)
    await audit.record(source, "inquiry_received", q.ref, {"account": account.name}, now=now)
    await route_inquiry(ctx.outbox, q, account, now=now, tz=ctx.tz)


# -- 认领 / 承诺时限 / 回复 --------------------------------------------------------------------------
async def _load(ctx: Ctx[Any], inquiry_id: int, *, answering: bool = False) -> Inquiry | None:
    """The inquiry if the sender may act on it now (``answering``: and may answer it)."""
    q = await Inquiry.get_or_none(id=inquiry_id)
    if q is None:
        await ctx.reply(texts.EXPIRED_BUTTON)
        return None
    if not await may_handle(ctx.person, q):
        await ctx.reply(texts.inquiry_not_yours(q.ref))
        return None
    if q.status == InquiryStatus.ANSWERED:
        await ctx.reply(await answered_already(ctx, q))
        return None
    if answering and q.owner_id not in (None, ctx.person.id) and not await is_head_of(ctx.person, q):
        await ctx.reply(await owned_by(q))
        return None
    return q


async def _claim(ctx: Ctx[Any], q: Inquiry) -> bool:
    """Make the sender the owner if nobody is; True if they own it now."""
    won = await Inquiry.claim(q.id, ctx.person.id, ctx.now)
    await q.refresh_from_db()
    if won:
        await refresh_card(ctx, q, f"inq:{q.id}:claimed")
        await audit.record(ctx.person.code, "inquiry_claimed", q.ref, now=ctx.now)
    return q.owner_id == ctx.person.id


@router.action(Claim)
async def on_claim(ctx: ActionCtx[Claim], deps: Deps) -> None:
    p = ctx.payload
    q = await _load(ctx, p.inquiry)
    if q is None:
        return
    if await _claim(ctx, q):
        await ctx.reply(texts.inquiry_claimed(q.ref))
    else:
        owner = await Person.get(id=q.owner_id or 0)
        await ctx.reply(texts.inquiry_claimed_by(q.ref, owner.name))


@router.action(Commit)
async def on_commit(ctx: ActionCtx[Commit], deps: Deps) -> None:
    p = ctx.payload
    q = await _load(ctx, p.inquiry)
    if q is None:
        return
    if not await _claim(ctx, q):
        owner = await Person.get(id=q.owner_id or 0)
        await ctx.reply(texts.inquiry_claimed_by(q.ref, owner.name))
        return
    if q.due_at is not None:
        await ctx.reply(texts.deadline_already(q.ref, ctx.local(q.due_at)))
        return
    if p.days == 0:
        choices = Card(card_id=deadline_card_prefix(q.id) + bounded_key(ctx.event.key, limit=64),
                       title=texts.commit_title(q.ref), body=texts.COMMIT_HINT,
                       buttons=tuple(Button(texts.working_days(d), Commit(q.id, d).pack(), "default")
                                     for d in DEADLINE_CHOICES))
        await ctx.ask(DueDate(q.id), choices)  # a typed date answers too
        return
    if p.days not in DEADLINE_CHOICES:
        await ctx.reply(texts.EXPIRED_BUTTON)
        return
    cal = deps.calendar
    await _commit(ctx, q, cal.after_working_days(ctx.now, p.days))


@router.on(TextMessage, prompt=DueDate)
async def on_due_date(ctx: AnswerCtx[TextMessage, DueDate], deps: Deps) -> None:
    """A typed date instead of a button: 12月3日, 2026-12-03, 12-03."""
    q = await _load(ctx, ctx.answering.inquiry)
    if q is None:
        return
    try:
        day = parse_day(ctx.event.text.strip(), ctx.local_now.date())
    except ValueError:
        await ctx.reply(texts.BAD_DUE_DATE)
        await ctx.keep_prompt()
        return
    cal = deps.calendar
    await _commit(ctx, q, datetime.combine(day, cal.closes, cal.tz) - timedelta(minutes=1))


def parse_day(text: str, today: date) -> date:
    """``2026-12-03``, ``12-03``, ``12月3日`` or ``12/3`` → a day not before today."""
    cleaned = text.replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-").strip("- ")
    parts = [int(x) for x in cleaned.split("-")]
    if len(parts) == 2:
        parts = [today.year, *parts]
    if len(parts) != 3:
        raise ValueError(text)
    day = date(*parts)
    if day < today:
        raise ValueError(text)
    return day


async def _commit(ctx: Ctx[Any], q: Inquiry, due: datetime) -> None:
    """Art. 12 (如不能即时回复，应承诺答复期限): the deadline is a promise to the asker, made once.
    It is what the timeliness figures measure against, so it is not moved afterwards: a second
    choice (a stale card, a typed date after a tap elsewhere) is refused naming the promise."""
    await ctx.close_prompt(DueDate)
    if not await set_once(Inquiry, q.id, "due_at", due):
        await q.refresh_from_db()
        await ctx.reply(texts.deadline_already(q.ref, ctx.local(q.due_at or due)))
        return
    q.due_at = due
    await refresh_card(ctx, q, f"inq:{q.id}:due:{due.isoformat()}")
    await close_used_cards(ctx.outbox, deadline_card_prefix(q.id), title=texts.closed_title(
        texts.commit_title(q.ref), texts.OUTCOME_DEADLINE_SET),
        status=texts.deadline_set_status(texts.md_hm(ctx.local(due))),
        key=f"inq:{q.id}:due:{due.isoformat()}:inqd", now=ctx.now)
    await audit.record(ctx.person.code, "inquiry_deadline", q.ref, {"due": due.isoformat()}, now=ctx.now)
    await ctx.reply(texts.deadline_committed(q.ref, ctx.local(due)))
    await relay(ctx, q, texts.deadline_notice(ctx.local(due)), f"inq:{q.id}:relay:due")


@router.action(Answer)
async def on_answer_button(ctx: ActionCtx[Answer], deps: Deps) -> None:
    p = ctx.payload
    q = await _load(ctx, p.inquiry, answering=True)
    if q is None:
        return
    await ctx.ask(AnswerText(q.id), texts.ask_answer(q.ref))


async def _answer(ctx: Ctx[Any], q: Inquiry, answer: str) -> None:
    """Answer as the owner, or as the head; an unclaimed inquiry becomes the answerer's. Each step
    is a conditional UPDATE: a claim or an answer that got in first wins, and the loser is told."""
    me = ctx.person.id
    head = await is_head_of(ctx.person, q)
    await Inquiry.claim(q.id, me, ctx.now)
    won = await Inquiry.transition(q.id, InquiryStatus.ANSWERED, only_owner=None if head else me,
                                   answered_at=ctx.now, answered_by_id=me, answer=answer[:5000])
    await q.refresh_from_db()
    if not won:
        await ctx.reply(await answered_already(ctx, q) if q.answered_at else await owned_by(q))
        return
    await refresh_card(ctx, q, f"inq:{q.id}:answered",
                       status=texts.card_answered(ctx.person.name, ctx.local_now))
    await audit.record(ctx.person.code, "inquiry_answered", q.ref,
                       {"on_time": q.due_at is None or ctx.now <= q.due_at}, now=ctx.now)
    await ctx.reply(texts.inquiry_answered(q.ref))
    if q.owner_id != me:  # the head answered for the owner: the owner must not answer again
        owner = await Person.get_or_none(id=q.owner_id or 0, active=True)
        if owner is not None:
            account = await Account.get(id=q.account_id)
            await ctx.outbox.send(owner, Text(texts.inquiry_answered_by_head(
                q.ref, account.name, ctx.person.name, ctx.local_now, answer)),
                key=f"inq:{q.id}:answered-for-owner", now=ctx.now)
    await relay(ctx, q, answer, f"inq:{q.id}:relay:answer")


RELAY_WINDOW = timedelta(hours=48)


async def relay(ctx: Ctx[Any], q: Inquiry, text: str, key: str) -> None:
    """Send ``text`` to the WeChat follower who asked, while WeChat allows it (48 hours after
    their message); past that, say so to the officer and mark the inquiry."""
    if not q.source.startswith("wechat:"):
        return
    openid = q.source.removeprefix("wechat:")
    if ctx.now - q.received_at > RELAY_WINDOW:
        await Inquiry.filter(id=q.id).update(relay="elsewhere")
        await ctx.reply(texts.relay_window_closed(q.ref))
        return
    await ctx.outbox.send_to_address("wechat", f"{q.account_id}:{openid}", Text(text), key=key,
                                     now=ctx.now)
    await Inquiry.filter(id=q.id).update(relay="sent")


@router.on(TextMessage, prompt=AnswerText)
async def on_answer_text(ctx: AnswerCtx[TextMessage, AnswerText], deps: Deps) -> None:
    q = await _load(ctx, ctx.answering.inquiry, answering=True)
    if q is not None:
        await _answer(ctx, q, ctx.event.text.strip())


@router.command(*texts.CMD_REPLY)
async def on_reply(ctx: Ctx[TextMessage], deps: Deps) -> None:
    first, _, answer = ctx.args.strip().partition(" ")
    number = first.upper().removeprefix("Q")
    if not number.isdigit() or not answer.strip():
        await ctx.reply(texts.REPLY_USAGE)
        return
    q = await _load(ctx, int(number), answering=True)
    if q is not None:
        await _answer(ctx, q, answer.strip())


# -- 咨询统计 -------------------------------------------------------------------------------------
STATS_DAYS = 30


@router.command(*texts.CMD_INQUIRY_STATS)
async def on_stats(ctx: Ctx[TextMessage], deps: Deps) -> None:
    """Per department over the last 30 days: received, answered in time, overdue (as the reminder
    ladder defines it: ``bot.inquiry_ladder.is_overdue``), median time to answer. Heads see their
    department, the Information Center every department."""
    ic = await is_info_center_admin(ctx.person)
    headed = await Department.filter(head_id=ctx.person.id).values_list("id", flat=True)
    if not ic and not headed:
        await ctx.reply(texts.STATS_NOT_ALLOWED)
        return
    since = ctx.now - timedelta(days=STATS_DAYS)
    query = Inquiry.filter(received_at__gte=since)
    if not ic:
        query = query.filter(department_id__in=list(headed))
    rows = await query.values("id", "department_id", "received_at", "owner_id", "claimed_at", "due_at",
                              "answered_at")
    committed = await first_commitments(since)
    names = {d.id: d.name for d in await Department.all()}
    cal = deps.calendar
    by_dept: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        by_dept.setdefault(r["department_id"], []).append(r)
    lines = []
    for dept_id, items in sorted(by_dept.items()):
        in_time = overdue = 0
        hours: list[float] = []
        for r in items:
            late = is_overdue(times_of(r, committed), ctx.now, cal)
            if r["answered_at"] is not None:
                hours.append(cal.working_seconds(r["received_at"], r["answered_at"]) / 3600)
                in_time += not late
            overdue += late
        median = sorted(hours)[len(hours) // 2] if hours else None
        lines.append(texts.stats_line(names.get(dept_id, ""), len(items), in_time, overdue, median))
    await ctx.reply(texts.stats(STATS_DAYS, lines))

