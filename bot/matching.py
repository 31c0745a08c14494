"""Is a published item one of the account's approved versions? (issue 17; Art. 10 先审后发)

``match(item, candidates)`` answers with a ``Match`` (the candidate, a score 0–100 and ``by``:
"link", "text" or "title") or None — None means published without approval (【未经审核发布】).
``nearest(item, candidates)`` names, for that alert, the approved version the item most resembles
and what differs. The full rule, with its reasons, is in docs/matching.md; in short:

**Normalising** (both sides, the same way, once per text): HTML tags and entities out (feeds and
WeChat give HTML), Unicode NFKC (full-width letters, digits and punctuation to half-width),
casefold, then everything that is not a letter or a digit is dropped — spaces, line breaks,
punctuation of both widths, emoji, symbols — except the separators inside a number (``3.5``,
``8:00``, ``2024-12-01``, ``1/2``, ``5%``), so that ``3.5`` never equals ``35``. A text longer
than ``RAW_MAX`` characters is cut there and then counts only as an excerpt (rule 2).

**The rule**, first that applies:

1. *Link*: the item's URL equals one of the candidate's links once both are normalised (scheme
   and host case, default port, trailing slash, fragment, percent-escapes, ``utm_*`` and other
   tracking parameters; on ``mp.weixin.qq.com`` only ``__biz``, ``mid``, ``idx``, ``sn`` count —
   ``chksm``, ``scene``, ``sessionid``… are per-share noise).
2. *Text* (the item has text): its normalised text equals the approved body (or the approved
   text with its title line), and the titles agree; score 100. Or — the lower bar when the titles
   are equal — the item's text is an excerpt: at least ``EXCERPT_MIN`` normalised characters,
   found as they are inside the approved body (feeds often give the first lines, "…" added);
   score = the share of the approved body the item showed.
3. *Title* (the item has no text, as many feeds give): its normalised title equals exactly one
   candidate's, and that candidate was approved within ``TITLE_ONLY_DAYS`` before the item's
   publication (or ``now``).

Never a match: a candidate approved more than ``SKEW`` after the item was published (publishing
first and approving after is not 先审后发; ``SKEW`` allows for clocks and for feeds that give
dates only). Of several matches: titles equal first, then the latest approval, then the highest
draft and version.

**No similarity threshold below 100 decides a match.** After normalising, what is left is words
and numbers, and every change to those is a change to what the head approved: 12月1日 → 12月2日,
王芳 → 王方 and 同意 → 不同意 all score above 99 on a 260-character notice with rapidfuzz's
``fuzz.ratio`` — as high as a fixed typo — so no threshold can let the typo through and stop the
others (tests/bot/test_matching.py measures it). A fixed typo is therefore reported as published
without approval, with ``nearest`` saying which version it resembles and what changed; the fix
is one 修改 and a quick approval. What normalising drops (spaces, punctuation, an emoji, width,
case, markup) is where the tolerance lives. rapidfuzz scores ``nearest``, in C.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from bot.feeds import html_to_text
from bot.publishing import PublishedItem

RAW_MAX = 1_000_000  # characters of a text read (WeChat: body < 20,000 characters, < 1 MB of HTML)
EXCERPT_MIN = 30  # normalised characters an excerpt needs to count, titles equal
TITLE_ONLY_DAYS = 14  # a title alone matches an approval at most this old
SKEW = timedelta(days=1)  # a publication may be dated this much before its approval
NEAR_MIN = 60.0  # nearest(): below this, nothing is "near"
NEAR_MAX = 10_000  # nearest() compares at most this many normalised characters
CONTEXT = 6  # characters of context either side of a change in nearest()

_HTML = re.compile(r"<[A-Za-z!/?]|&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z]+);")
_DASH_IN_NUMBER = re.compile(r"(?<=\d)[\u2010-\u2015\u2212~\u301c](?=\d)")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3})")
# Everything but letters and digits goes, except . : / - between digits and % ‰ after one.
_DROP = re.compile(r"_+|[^\w.:/%‰\-]+|(?<!\d)[.:/\-]|[.:/\-](?!\d)|(?<!\d)[%‰]")
_TRACKING = frozenset({
    "spm", "from", "isappinstalled", "fbclid", "gclid", "share_token", "share_source", "share_from",
    "timestamp", "ts", "scene", "clicktime", "enterid", "sessionid", "sharer_shareinfo",
    "sharer_shareinfo_first", "_hsenc", "_hsmi", "mc_cid", "mc_eid", "yclid", "msclkid",
})
_WECHAT_HOST = "mp.weixin.qq.com"
_WECHAT_KEEP = frozenset({"__biz", "mid", "idx", "sn"})
_CUT = ("…", "...", "……")


@dataclass(frozen=True)
class Candidate:
    """An approved version of one of the account's drafts."""

    draft_id: int
    version: int
    title: str  # title_of(text), as the approval card showed it
    text: str  # the version's whole text (its first line is the title)
    links: tuple[str, ...]  # the version's links, and the article URL if the bot published it
    approved_at: datetime


@dataclass(frozen=True)
class Match:
    candidate: Candidate
    score: float  # 0–100: link 100; text 100, or the share of the approved body an excerpt showed
    by: str  # "link" | "text" | "title"


@dataclass(frozen=True)
class Near:
    """The approved version an unmatched item most resembles, for the alert."""

    candidate: Candidate
    score: float  # rapidfuzz fuzz.ratio of the normalised bodies (titles when the item has no text)
    changes: tuple[tuple[str, str], ...]  # (approved, published) snippets, normalised, with context


def normalise(text: str) -> str:
    """Letters and digits only (number separators kept), NFKC, casefolded; markup and entities
    out. The same text always gives the same string; see the module docstring."""
    return _normalise(text[:RAW_MAX] if isinstance(text, str) else "")


@lru_cache(maxsize=512)
def _normalise(text: str) -> str:
    if _HTML.search(text):
        text = html_to_text(text, RAW_MAX)
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _DASH_IN_NUMBER.sub("-", text)
    text = _THOUSANDS.sub("", text)
    return _DROP.sub("", text)


def normalise_url(url: str) -> str:
    """The URL as compared: host (lowercase, default port dropped), path (unescaped, no trailing
    slash), the query without tracking parameters, sorted; http and https alike; "" for anything
    that is not an http(s) URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except (ValueError, AttributeError):
        return ""
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme.lower() not in ("http", "https") or not host:
        return ""
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = unquote(parts.path).rstrip("/")
    query = parse_qsl(parts.query, keep_blank_values=True)
    if host == _WECHAT_HOST:
        query = [(k, v) for k, v in query if k in _WECHAT_KEEP]
    else:
        query = [(k, v) for k, v in query if not k.lower().startswith("utm_") and k.lower() not in _TRACKING]
    return f"{host}{path}" + (f"?{urlencode(sorted(query))}" if query else "")


@dataclass(frozen=True)
class _Prepared:
    title: str  # normalised title
    title_cut: bool  # the title was cut (… at the end): the item's may be longer
    body: str  # normalised text after the title line
    full: str  # normalised whole text
    cut: bool  # the text was longer than RAW_MAX: what is kept of it is an excerpt
    links: frozenset[str]


@lru_cache(maxsize=512)
def _prepare(candidate: Candidate) -> _Prepared:
    title = normalise(candidate.title)
    lines = candidate.text[:RAW_MAX].splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    body_text = candidate.text
    if first is not None and normalise(lines[first]).startswith(title):
        body_text = "\n".join(lines[first + 1:])
    links = frozenset(u for u in (normalise_url(link) for link in candidate.links) if u)
    return _Prepared(title=title, title_cut=candidate.title.rstrip().endswith(_CUT),
                     body=normalise(body_text), full=normalise(candidate.text), links=links,
                     cut=len(candidate.text) > RAW_MAX)


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None and when.utcoffset() is not None else when.replace(tzinfo=UTC)


def _age(published: datetime, approved: datetime) -> timedelta | None:
    """How long after the approval the item was published (negative: before); None if unknown."""
    try:
        return _aware(published) - _aware(approved)
    except (OverflowError, ValueError, TypeError):
        return None


def _in_time(item: PublishedItem, candidate: Candidate) -> bool:
    if item.published_at is None:
        return True
    age = _age(item.published_at, candidate.approved_at)
    return age is None or age >= -SKEW


def _titles_agree(item_title: str, item_cut: bool, prepared: _Prepared) -> bool:
    if not item_title or item_title == prepared.title:
        return True
    if prepared.title_cut and prepared.title and item_title.startswith(prepared.title):
        return True
    return item_cut and bool(item_title) and prepared.title.startswith(item_title)


def _best(matches: list[tuple[Match, bool]]) -> Match | None:
    """Titles equal first, then the latest approval, then the highest draft and version."""
    if not matches:
        return None

    def key(entry: tuple[Match, bool]) -> tuple[bool, float, datetime, int, int]:
        m, same_title = entry
        try:
            approved = _aware(m.candidate.approved_at).astimezone(UTC)
        except (OverflowError, ValueError):
            approved = datetime.min.replace(tzinfo=UTC)
        return (same_title, m.score, approved, m.candidate.draft_id, m.candidate.version)

    return max(matches, key=key)[0]


def match(item: PublishedItem, candidates: Sequence[Candidate], *, now: datetime | None = None
          ) -> Match | None:
    """The approved version ``item`` is, or None (published without approval). ``now`` stands
    for the publication time of an item that has none (default: the current time)."""
    pool = [(c, _prepare(c)) for c in candidates if _in_time(item, c)]
    if not pool:
        return None
    title = normalise(item.title)
    raw_title = item.title.rstrip() if isinstance(item.title, str) else ""
    title_cut = raw_title.endswith(_CUT)

    url = normalise_url(item.url) if isinstance(item.url, str) else ""
    if url:
        found = [(Match(c, 100.0, "link"), bool(title) and title == p.title)
                 for c, p in pool if url in p.links]
        if found:
            return _best(found)

    text = normalise(item.text)
    item_cut = isinstance(item.text, str) and len(item.text) > RAW_MAX
    if text:
        found = []
        for c, p in pool:
            if not _titles_agree(title, title_cut, p):
                continue
            same_title = bool(title) and title == p.title
            if text in (p.body, p.full) and not (item_cut or p.cut):
                found.append((Match(c, 100.0, "text"), same_title))
            elif same_title and len(text) >= EXCERPT_MIN and text in p.full:
                share = min(100.0, round(100.0 * len(text) / max(1, len(p.body)), 1))
                found.append((Match(c, share, "text"), same_title))
            elif same_title and p.cut and len(p.body) >= EXCERPT_MIN and text.startswith(p.body):
                # only the approved text's beginning was read: the item agrees with all of it
                found.append((Match(c, round(100.0 * len(p.body) / len(text), 1), "text"), same_title))
        return _best(found)

    if not title:
        return None
    same = [(c, p) for c, p in pool if p.title == title]
    if len(same) != 1:
        return None  # none, or ambiguous: two approved versions carry this title
    (candidate, _), = same
    published = item.published_at or now or datetime.now(UTC)
    age = _age(published, candidate.approved_at)
    if age is None or not -SKEW <= age <= timedelta(days=TITLE_ONLY_DAYS):
        return None
    return Match(candidate, 100.0, "title")


def _changes(approved: str, published: str, limit: int = 3) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for op in Levenshtein.opcodes(approved, published):
        if op.tag == "equal":
            continue
        a0, a1 = max(0, op.src_start - CONTEXT), min(len(approved), op.src_end + CONTEXT)
        b0, b1 = max(0, op.dest_start - CONTEXT), min(len(published), op.dest_end + CONTEXT)
        out.append((approved[a0:a1], published[b0:b1]))
        if len(out) == limit:
            break
    return tuple(out)


def nearest(item: PublishedItem, candidates: Sequence[Candidate]) -> Near | None:
    """The approved version an unmatched item most resembles (fuzz.ratio ≥ NEAR_MIN), with up to
    three changes, or None. Only for telling people; never a match."""
    if not candidates:
        return None
    text = normalise(item.text)[:NEAR_MAX]
    prepared = [_prepare(c) for c in candidates]
    if text:
        choices = [p.body[:NEAR_MAX] for p in prepared]
    else:
        text = normalise(item.title)
        choices = [p.title for p in prepared]
    if not text:
        return None
    best = process.extractOne(text, choices, scorer=fuzz.ratio, score_cutoff=NEAR_MIN)
    if best is None:
        return None
    _, score, index = best
    return Near(candidates[index], round(float(score), 1), _changes(choices[index], text))
