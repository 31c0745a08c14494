"""Attachments (Art. 9, 图文并茂) and what of them is screened (Art. 13).

Images, files and links a person sends within ``attach_window_minutes`` of their last activity on
a draft being composed join its latest version; the preview card shows the new count in place.

``screened_text`` is everything that will be published: the text, file names and link titles,
and the text inside .txt and .docx files. It is a pure function of a loaded ``DraftView``: parsing
a .docx (python-docx, a zip of XML) takes the CPU for as long as the file is big, so
``handlers.submission`` runs it in a worker thread (``asyncio.to_thread``) and the event loop
goes on acknowledging callbacks meanwhile.
"""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from typing import Any

from docx import Document as DocxDocument

from bot import texts
from bot.deps import Deps
from bot.draft_cards import DraftView, load_view, preview_card
from bot.events import FileMessage, ImageMessage, LinkMessage
from bot.router import Ctx, Router
from handlers.common import stamp
from models import Attachment, AttachmentKind, Draft, DraftStatus, DraftVersion

router = Router(name=__name__)


async def _attach(ctx: Ctx[Any], deps: Deps, kind: AttachmentKind, *, name: str = "",
                  url: str = "", mime: str = "", data: bytes | None = None) -> None:
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
        data=data, sha256=digest, size=len(data) if data else 0, created_at=ctx.now,
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
                  data=e.data)


@router.on(LinkMessage)
async def on_link(ctx: Ctx[LinkMessage], deps: Deps) -> None:
    await _attach(ctx, deps, AttachmentKind.LINK, name=ctx.event.title, url=ctx.event.url)


# -- what is screened ---------------------------------------------------------------------------
def screened_text(view: DraftView) -> str:
    """Everything that will be published: the text, link titles, file names, and the text of
    .txt and .docx attachments. Pure (no I/O): run it off the event loop."""
    parts = [view.version.text]
    for a in view.attachments:
        parts.append(a.name)
        if a.data and a.name.lower().endswith(".txt"):
            parts.append(a.data.decode("utf-8", errors="ignore"))
        elif a.data and a.name.lower().endswith(".docx"):
            try:
                parts += docx_text(a.data)
            except Exception:  # not a readable .docx: screened by its name only
                parts.append("")
    return "\n".join(parts)


def docx_text(data: bytes) -> list[str]:
    """The paragraphs, then the table cells, of a .docx file; raises if ``data`` is not one."""
    doc = DocxDocument(io.BytesIO(data))
    return [p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells]
