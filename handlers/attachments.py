"""Attachments (Art. 9, 图文并茂) and what of them is screened (Art. 13).

Images, files and links a person sends within ``attach_window_minutes`` of their last activity on
a draft being composed join its latest version; the preview card shows the new count in place.

``screened_text`` is everything that will be published: the text, file names and link titles,
and the text inside .txt and .docx files. That text is read when the file arrives, in a worker
thread and before the event's transaction (``bot.inbound.read_file_text``), and kept with the
attachment (``Attachment.text``): parsing a long .docx takes a third of a second, which inside
the submission's transaction would hold the database as long.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from bot import texts
from bot.deps import Deps
from bot.draft_cards import DraftView, load_view, preview_card
from bot.events import FileMessage, ImageMessage, LinkMessage
from bot.router import Ctx, Router
from bot.screening import readable_text
from handlers.common import stamp
from models import Attachment, AttachmentKind, Draft, DraftStatus, DraftVersion

router = Router(name=__name__)


async def _attach(ctx: Ctx[Any], deps: Deps, kind: AttachmentKind, *, name: str = "",
                  url: str = "", mime: str = "", data: bytes | None = None,
                  text: str | None = None) -> None:
    since = ctx.now - timedelta(minutes=deps.settings.attach_window_minutes)
    draft = (
        await Draft.filter(author_id=ctx.person.id, status=DraftStatus.COMPOSING,
                           updated_at__gte=since)
        .order_by("-updated_at", "-id").first()
    )
    if draft is None:
        await ctx.reply(texts.NO_OPEN_DRAFT_FOR_ATTACHMENT)
        return
    version = await DraftVersion.get(draft_id=draft.id, number=draft.version)
    digest = hashlib.sha256(data if data is not None else url.encode()).hexdigest()
    att = await Attachment.create(
        version_id=version.id, kind=kind, name=name[:255], url=url[:2048], mime=mime[:128],
        data=data, sha256=digest, size=len(data) if data else 0, text=text, created_at=ctx.now,
    )
    await stamp(draft, ctx.now)
    view = await load_view(draft)
    what = texts.ATTACHMENT_KIND_NAMES[kind.value]
    await ctx.reply(texts.attached(draft.ref, f"{what} {name or url}".strip(),
                                   len(view.attachments)))
    if view.version.category is not None:
        # The preview shows the new attachment count, in place.
        await ctx.outbox.update_card(preview_card(view), key=f"att:{att.id}", now=ctx.now)


@router.on(ImageMessage)
async def on_image(ctx: Ctx[ImageMessage], deps: Deps) -> None:
    e = ctx.event
    await _attach(ctx, deps, AttachmentKind.IMAGE, name=e.name or texts.DEFAULT_IMAGE_NAME,
                  url=e.url, mime=e.mime, data=e.data)


@router.on(FileMessage)
async def on_file(ctx: Ctx[FileMessage], deps: Deps) -> None:
    e = ctx.event
    await _attach(ctx, deps, AttachmentKind.FILE, name=e.name, url=e.url, mime=e.mime,
                  data=e.data, text=e.text)


@router.on(LinkMessage)
async def on_link(ctx: Ctx[LinkMessage], deps: Deps) -> None:
    await _attach(ctx, deps, AttachmentKind.LINK, name=ctx.event.title, url=ctx.event.url)


# -- what is screened ---------------------------------------------------------------------------
def screened_text(view: DraftView) -> str:
    """Everything that will be published: the text, link titles, file names, and the text inside
    .txt and .docx attachments — read when the file arrived (``Attachment.text``, see
    ``bot.inbound.read_file_text``), or read now for a row from before that was kept. Pure (no
    I/O); only such an old row makes it slow, so callers still run it off the event loop."""
    parts = [view.version.text]
    for a in view.attachments:
        parts.append(a.name)
        text = a.text if a.text is not None else (readable_text(a.name, a.data) if a.data else None)
        if text is not None:
            parts.append(text)
    return "\n".join(parts)
