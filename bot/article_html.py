"""An approved version made into a WeChat article (issue 17; Art. 10 先审后发): ``article_from``.

The text is what the head approved, word for word: its first non-empty line is the title (as
``models.drafts.title_of`` reads it, which the approval card showed), the rest is the body. The
body becomes HTML through markdown-it-py, not by hand, in its ``zero`` preset with only the
``newline`` rule added and ``html`` off:

- no Markdown syntax is interpreted — ``*``, ``#``, ``1.``, ``[a](b)``, backticks and backslashes
  stay the characters the head read (a list renumbered or an asterisk eaten would publish
  something that was not approved);
- no HTML passes: ``<script>``, ``&`` and quotes in the text are escaped, so a draft can never
  inject a tag into the article (``&amp;`` typed in the text shows as ``&amp;``, as approved);
- a blank line starts a new paragraph (``<p>``), a single line break is a ``<br />`` inside it,
  as the text looked in the chat where it was approved. Leading and trailing spaces of a
  paragraph are trimmed (markdown-it's paragraph rule), the full-width indent 　　 included:
  WeChat indents by style, not by spaces.

Images follow the body, one paragraph each, as ``<img src="cid:<index>"/>`` placeholders (the
index into ``Article.images``); the publisher uploads them (``media/uploadimg``) and puts WeChat's
URLs in. The first image is also the cover (``material/add_material``). The digest is the body's
first 120 characters on one line (``excerpt_of``; WeChat shows it under the title in a share), the
source URL (阅读原文) the first http(s) link of the draft.

A first line longer than ``TITLE_MAX`` is cut for the title (with …) and also kept whole as the
body's first paragraph, so no approved word is dropped.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from markdown_it import MarkdownIt

from bot.publishing import Article, Image
from models.drafts import TITLE_MAX, excerpt_of, title_of

DIGEST_MAX = 120  # WeChat's digest (摘要) limit, as Article.digest says

# One renderer for all: zero preset (paragraphs and text only) + line breaks, raw HTML off.
_MD = MarkdownIt("zero", {"html": False, "breaks": True, "xhtmlOut": True}).enable(["newline"])


def body_html(body: str) -> str:
    """The body text as HTML paragraphs, every character escaped, no Markdown interpreted."""
    return str(_MD.render(body))


def _split(text: str) -> tuple[str, str]:
    """(the first non-empty line, the text after it)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip():
            return line.strip(), "\n".join(lines[i + 1:])
    return "", ""


def _source_url(links: list[str]) -> str:
    for link in links:
        link = link.strip()
        try:
            parts = urlsplit(link)
        except ValueError:
            continue
        if parts.scheme.lower() in ("http", "https") and parts.netloc:
            return link
    return ""


def article_from(text: str, images: list[Image], links: list[str], author: str) -> Article:
    """The approved ``text`` (title line, then the body), its images and links, as an Article.

    Raises ValueError for a text without a single non-empty line (nothing was approved).
    """
    first, rest = _split(text)
    if not first:
        raise ValueError("the approved text is empty")
    title = title_of(text)
    body = f"{first}\n\n{rest}" if len(first) > TITLE_MAX else rest
    html = body_html(body)
    html += "".join(f'<p><img src="cid:{i}"/></p>\n' for i in range(len(images)))
    return Article(
        title=title,
        html=html,
        author=author,
        digest=excerpt_of(text, DIGEST_MAX),
        cover=images[0] if images else None,
        images=tuple(images),
        source_url=_source_url(links),
    )
