"""An account's RSS/Atom feed read into ``PublishedItem``s (issue 17: watch what was published).

``parse_feed(data, base_url=…)`` reads RSS 2.0, RSS 1.0 (RDF) and Atom with feedparser, which
also reads many broken feeds (its loose parser after the XML parser gave up: ``bozo``). What
parsed is returned; ``FeedError`` only when nothing usable came out (not a feed, or a broken one
without a single item). A well-formed feed without items is ``[]``.

Per item:

- ``source_id``: the entry's ``id`` (Atom ``<id>``, RSS ``<guid>``), else its link, else a hash of
  its title and text (``sha256:…``), so that the same item is seen once sweep after sweep;
- ``url``: the entry's link, made absolute against ``base_url`` (the feed's own URL; relative
  links are common on 政务 sites), http(s) only — anything else (``javascript:``…) becomes "";
- ``published_at``: ``published``, else ``updated``, as an aware UTC datetime (feedparser
  reads RFC 822, ISO 8601 and many Chinese-site variants; a date it cannot read is None);
- ``text``: the entry's ``content`` (the full text), else its ``summary``, HTML to plain text by
  ``html.parser`` (the standard library's HTML parser, no regex): script, style and the like
  dropped, block elements and ``<br>`` as line breaks, entities decoded.

Bounds, since a feed is someone else's server: more than ``MAX_BYTES`` (5 MB) is refused before
parsing; at most ``MAX_ITEMS`` (500) items, in the feed's order; a text is cut at ``MAX_TEXT``
(100,000 characters), a title at ``MAX_TITLE``, a URL longer than ``MAX_URL`` is dropped.

The bytes are handed to feedparser as a stream, never as ``str`` or ``bytes``: given a string,
feedparser would open it as a URL or a file path. External entities are off (feedparser's XML
parser), expat's own limits stop entity expansion bombs.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from bot.publishing import PublishedItem

MAX_BYTES = 5 * 1024 * 1024
MAX_ITEMS = 500
MAX_TEXT = 100_000
MAX_TITLE = 1_000
MAX_URL = 2_048

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_SKIP = frozenset({"script", "style", "noscript", "template", "head", "title", "iframe", "object"})
_BLOCK = frozenset({
    "p", "div", "br", "hr", "li", "ul", "ol", "dl", "dt", "dd", "tr", "table", "section", "article",
    "header", "footer", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "figure",
    "figcaption", "td", "th", "center",
})
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANKS = re.compile(r"\n\s*\n+")
_TAG = re.compile(r"<[^>]*>")


# Bozo reasons that say nothing about the feed itself: no Content-Type was given (we pass bytes,
# not a response), or a declared encoding feedparser had to correct.
_BENIGN = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)


class FeedError(Exception):
    """Nothing usable in what the feed's URL returned (too big, not a feed, broken throughout)."""


class _Text(HTMLParser):
    def __init__(self, limit: int) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCK:
            self._add("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self._add("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK:
            self._add("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self._add(data)

    def _add(self, piece: str) -> None:
        if self.size < self.limit:
            self.parts.append(piece)
            self.size += len(piece)


def html_to_text(markup: str, limit: int = MAX_TEXT) -> str:
    """Plain text of an HTML fragment: tags dropped (script, style… with their content), entities
    decoded, block elements as line breaks, runs of spaces as one, at most ``limit`` characters."""
    parser = _Text(limit)
    try:
        parser.feed(markup)
        parser.close()
        raw = "".join(parser.parts)
    except Exception:  # html.parser raises on a few malformed declarations (<![…)
        raw = _TAG.sub(" ", markup)
    lines = (_SPACES.sub(" ", line).strip() for line in raw.split("\n"))
    text = _BLANKS.sub("\n\n", "\n".join(lines)).strip()
    return text[:limit]


def _str(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _plain(detail: Any, value: Any, limit: int) -> str:
    """A feed text construct as plain text: HTML (by its declared type) through html_to_text."""
    text = _str(value, limit * 2)
    kind = detail.get("type", "") if isinstance(detail, dict) else ""
    if kind in _HTML_TYPES or (not kind and "<" in text):
        return html_to_text(text, limit)
    return text.strip()[:limit]


def _url(link: Any, base_url: str) -> str:
    if not isinstance(link, str) or not link.strip():
        return ""
    try:
        url = urljoin(base_url, link.strip()) if base_url else link.strip()
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or len(url) > MAX_URL:
        return ""
    return url


def _when(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = dict.get(entry, key)  # not FeedParserDict's own get: its updated→published fallback warns
        if parsed:
            try:  # feedparser's struct_time is UTC
                return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
            except (OverflowError, ValueError, TypeError, OSError):
                continue
    return None


def _text(entry: Any) -> str:
    for content in entry.get("content") or []:
        if isinstance(content, dict) and isinstance(content.get("value"), str) and content["value"].strip():
            return _plain(content, content["value"], MAX_TEXT)
    return _plain(entry.get("summary_detail"), entry.get("summary"), MAX_TEXT)


def _item(entry: Any, base_url: str) -> PublishedItem | None:
    title = _plain(entry.get("title_detail"), entry.get("title"), MAX_TITLE)
    url = _url(entry.get("link"), base_url)
    text = _text(entry)
    source_id = _str(entry.get("id"), MAX_URL).strip() or url
    if not source_id:
        if not (title or text):
            return None
        digest = hashlib.sha256(f"{title}\n{text}".encode("utf-8", "surrogatepass")).hexdigest()
        source_id = f"sha256:{digest}"
    extra = {}
    author = _str(entry.get("author"), MAX_TITLE).strip()
    if author:
        extra["author"] = author
    return PublishedItem(source_id=source_id, title=title, url=url, published_at=_when(entry),
                         text=text, extra=extra)


def parse_feed(data: bytes, *, base_url: str = "") -> list[PublishedItem]:
    """The items of an RSS 2.0 / RSS 1.0 / Atom feed, in the feed's order (at most MAX_ITEMS).

    Raises FeedError when ``data`` is over MAX_BYTES or nothing usable parsed.
    """
    if len(data) > MAX_BYTES:
        raise FeedError(f"feed too large: {len(data)} bytes (at most {MAX_BYTES})")
    headers = {"content-location": base_url} if base_url else {}
    try:
        parsed = feedparser.parse(io.BytesIO(data), response_headers=headers)
    except Exception as exc:  # feedparser reads hostile bytes; anything it raises is "not a feed"
        raise FeedError(f"feed unreadable: {type(exc).__name__}") from exc
    items: list[PublishedItem] = []
    for entry in parsed.get("entries", [])[:MAX_ITEMS]:
        try:
            item = _item(entry, base_url)
        except Exception:  # noqa: S112 - one malformed entry does not hide the others
            continue
        if item is not None:
            items.append(item)
    if items:
        return items
    reason = parsed.get("bozo_exception")
    if (parsed.get("bozo") and not isinstance(reason, _BENIGN)) or not parsed.get("version"):
        raise FeedError(f"no usable item in the feed: {type(reason).__name__ if reason else 'not a feed'}")
    return []
