"""The one verification layer every inbound endpoint uses (WeCom, WeChat official accounts,
DingTalk HTTP callbacks and Stream frames, the intake API). Pure functions; each refuses with
``Malformed`` (HTTP 400) or ``Forbidden`` (HTTP 403) and nothing else, whatever the input.

Why one module: each platform used to keep its own ``int(timestamp)`` and its own compare, and
each had the same holes — a 400-digit timestamp overflowed a float (500), a header with bytes that
are not UTF-8 reached ``str.encode`` as surrogate escapes (aiohttp decodes header bytes with
``surrogateescape``; 500), a deep document reached a recursive parser or ``str()`` before the
signature was checked. Here every value is checked for *shape* before it is used for anything.

The status rule, the same on every platform (docs/security.md):
- a signature or timestamp that is **missing** → 403 (the request is not signed);
- one that is present but **not well-formed** (not digits, negative, too many digits, not clean
  printable ASCII, too long) → 400;
- a well-formed timestamp **outside the window**, or a signature that does not match → 403.

Timestamps: WeCom and WeChat send seconds (10 digits today; up to 11 accepted), DingTalk
milliseconds (13 digits). The window is ``XMT_CALLBACK_MAX_AGE`` seconds either way (0 turns it
off), and for DingTalk never more than its own 1-hour rule.

Documents: bodies are capped by the routes (64 KiB); here XML may not declare anything (any
``<!`` other than CDATA: no DOCTYPE, no ENTITY, no comment — neither WeCom nor WeChat sends one)
and XML and JSON may not nest deeper than ``MAX_DEPTH`` (the deepest real payload, a WeCom
``SelectedItems`` or a DingTalk card ``content``, is 5). Both are linear scans that run before
any parser, so no recursion ever sees a deep document.

Keys: event keys are built from platform values of any length (an EventKey of 1,100 characters,
a msgId of 10,000). ``event_key`` keeps short parts readable and replaces long ones by a SHA-256
prefix, so a key always fits its column, two different long values stay different, and a repeat
gives the same key (dedupe still works).
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Iterable
from typing import Any, Literal

from aiohttp import web

from bot.events import bounded_key

MAX_DEPTH = 16  # JSON containers / XML elements; real payloads use at most 5
MAX_SIGNATURE = 128  # hex sha1 is 40, base64 HmacSHA256 44
MAX_NONCE = 64
MAX_BEARER = 512
SECONDS_DIGITS, MS_DIGITS = 11, 13
DINGTALK_MAX_SKEW = 3600  # seconds: DingTalk refuses (and we refuse) timestamps more than 1 h off
KEY_MAX = 160  # an event key is never longer (the inbox prefixes the channel; columns are 255)


class Refused(Exception):
    """A request refused by the verification layer; ``status`` is the HTTP answer, ``reason`` a
    fixed label for the refusal counter (``bot.metrics.REFUSAL_REASONS``; never the message,
    which may quote what was sent)."""

    status = 400
    reason = "malformed"


class Malformed(Refused, ValueError):
    """Not well-formed: HTTP 400."""

    status = 400


class Forbidden(Refused):
    """Not signed, wrongly signed, or stale: HTTP 403."""

    status = 403
    reason = "signature"


class Unsigned(Forbidden):
    """A signing value is missing: HTTP 403."""

    reason = "unsigned"


class Stale(Forbidden):
    """A well-formed timestamp outside the window: HTTP 403."""

    reason = "stale_timestamp"


#: The attribute of ``http_error``'s answer that carries the refusal's reason (read by
#: ``bot.metrics.count_callbacks``).
REFUSAL_ATTR = "refusal"


def http_error(exc: Refused) -> web.HTTPException:
    """The aiohttp answer for a refusal (no detail in the body), carrying its reason."""
    error = web.HTTPForbidden() if exc.status == 403 else web.HTTPBadRequest()
    setattr(error, REFUSAL_ATTR, exc.reason)
    return error


# --- values --------------------------------------------------------------------------------------

_PRINTABLE = re.compile(r"[\x21-\x7e]*")


def ascii_token(value: str, *, name: str, max_len: int) -> str:
    """``value`` if it is printable ASCII without spaces and at most ``max_len`` characters.

    Header and query values arrive as ``str``; bytes that are not UTF-8 arrive as surrogate
    escapes, which are refused here (before anything calls ``.encode()`` on them)."""
    if not isinstance(value, str) or len(value) > max_len or not _PRINTABLE.fullmatch(value):
        raise Malformed(f"{name}: not printable ASCII of at most {max_len} characters")
    return value


def storable(value: str) -> bool:
    """True if PostgreSQL can store the text: no NUL, no lone surrogate (CESU-8, ``\\ud800``)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def text(value: Any, *, name: str, max_len: int | None = None, required: bool = True) -> str:
    """A string field from a parsed document: the right type, storable, within ``max_len``."""
    if value in (None, "") and not required:
        return ""
    if not isinstance(value, str) or not value:
        raise Malformed(f"{name}: a non-empty string is required")
    if max_len is not None and len(value) > max_len:
        raise Malformed(f"{name}: longer than {max_len} characters")
    if not storable(value):
        raise Malformed(f"{name}: NUL or a lone surrogate")
    return value


def ident(value: Any, *, name: str, max_len: int, pattern: re.Pattern[str] | None = None,
          required: bool = True) -> str:
    """A platform id: a string of printable ASCII (or ``pattern``), 1..``max_len`` characters."""
    if value in (None, "") and not required:
        return ""
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise Malformed(f"{name}: an id of 1 to {max_len} characters is required")
    if not (pattern or _PRINTABLE).fullmatch(value):
        raise Malformed(f"{name}: unexpected characters")
    return value


# --- timestamps and signatures ---------------------------------------------------------------------

def present(*values: str) -> None:
    """Forbidden unless every signing value is there (a request without them is not signed)."""
    if not all(values):
        raise Unsigned("unsigned")


def timestamp(value: str, *, unit: Literal["s", "ms"]) -> int:
    """A Unix timestamp given as decimal digits only (no sign, no spaces, no ``_``), at most 11
    digits for seconds and 13 for milliseconds."""
    digits = SECONDS_DIGITS if unit == "s" else MS_DIGITS
    if not isinstance(value, str) or not value or len(value) > digits or not value.isascii() \
            or not value.isdigit():
        raise Malformed(f"timestamp: 1 to {digits} digits")
    return int(value)


def fresh(stamp: int, *, unit: Literal["s", "ms"], now: float, max_age: int,
          hard_limit: int | None = None) -> None:
    """Forbidden if ``stamp`` is more than ``max_age`` seconds (0: no limit) from ``now`` (Unix
    seconds), or more than ``hard_limit`` seconds whatever ``max_age`` says."""
    limits = [s for s in (max_age, hard_limit) if s]
    if not limits:
        return
    seconds = stamp / 1000 if unit == "ms" else stamp  # bounded by ``timestamp``: no overflow
    if abs(now - seconds) > min(limits):
        raise Stale("stale timestamp")


def signed(ts: str, sig: str, *, unit: Literal["s", "ms"], now: float, max_age: int,
           hard_limit: int | None = None) -> tuple[str, str]:
    """The signing pair of a request, checked in the documented order: both present (else 403),
    both well-formed (else 400), the timestamp fresh (else 403). The signature itself is compared
    by the caller with ``same`` once it has computed what it expects."""
    present(ts, sig)
    ascii_token(sig, name="signature", max_len=MAX_SIGNATURE)
    fresh(timestamp(ts, unit=unit), unit=unit, now=now, max_age=max_age, hard_limit=hard_limit)
    return ts, sig


def same(expected: str, given: str, *, fold_case: bool = False) -> None:
    """Forbidden unless ``given`` equals ``expected``, compared in constant time on bytes.
    ``fold_case`` for hex digests (WeCom and WeChat accept either case)."""
    if not isinstance(given, str) or len(given) > MAX_SIGNATURE or not given.isascii():
        raise Forbidden("bad signature")
    if fold_case:
        expected, given = expected.lower(), given.lower()
    if not hmac.compare_digest(expected.encode("ascii", "replace"), given.encode("ascii")):
        raise Forbidden("bad signature")


def bearer(header: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None if there is none or it is
    not printable ASCII of at most ``MAX_BEARER`` characters."""
    if not isinstance(header, str) or not header.startswith("Bearer ") or len(header) > MAX_BEARER:
        return None
    token = header.removeprefix("Bearer ").strip(" ")
    return token if token and _PRINTABLE.fullmatch(token) else None


def holder(tokens: dict[str, str], header: str) -> str | None:
    """Whose token an ``Authorization`` header carries (``tokens``: token → holder), or None. Every
    token is compared, in constant time on bytes, whichever matches."""
    given = bearer(header)
    if given is None:
        return None
    found = None
    for token, name in tokens.items():
        if hmac.compare_digest(token.encode(), given.encode()):
            found = name
    return found


# --- documents ---------------------------------------------------------------------------------------

# Strings (skipped whole) and brackets; anything else in the document is not looked at.
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


def utf8(raw: bytes | str) -> str:
    """The body as text: UTF-8 only (``json.loads`` would also guess UTF-16/32; no platform sends
    them, and a scan of UTF-16 bytes could be misled by a character holding a quote byte)."""
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("not UTF-8") from None


def json_depth(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> None:
    """Malformed if the JSON text nests containers deeper than ``max_depth`` (a linear scan that
    skips strings; run it before ``json.loads``, whose C scanner recurses)."""
    depth = 0
    for match in _JSON_TOKENS.finditer(utf8(raw)):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > max_depth:
                raise Malformed(f"JSON nested deeper than {max_depth}")
        elif token in ("]", "}"):
            depth -= 1


def check_tree(value: Any, *, max_depth: int = MAX_DEPTH) -> None:
    """Malformed unless ``value`` is plain JSON data (dict, list, str, number, bool, None) nested
    at most ``max_depth`` deep whose strings (keys too) PostgreSQL can store. Iterative: safe on
    values another library already parsed (DingTalk Stream frames)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not storable(item):
                raise Malformed("a string with NUL or a lone surrogate")
        elif isinstance(item, dict | list):
            if depth >= max_depth:
                raise Malformed(f"nested deeper than {max_depth}")
            children: Iterable[Any] = item.values() if isinstance(item, dict) else item
            if isinstance(item, dict):
                for key in item:
                    if not isinstance(key, str) or not storable(key):
                        raise Malformed("a bad object key")
            stack.extend((child, depth + 1) for child in children)
        elif not (item is None or isinstance(item, bool | int | float)):
            raise Malformed(f"not JSON data: {type(item).__name__}")


def load_json(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` behind the depth scan, then ``check_tree``: any input → data or Malformed."""
    text = utf8(raw)
    json_depth(text, max_depth=max_depth)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # UnicodeDecodeError, JSONDecodeError, int digits limit
        raise Malformed("not JSON") from None
    check_tree(data, max_depth=max_depth)
    return data


# Each alternative is written as an "unrolled loop" (a greedy class, then one special character
# at a time) rather than ``.*?`` or a per-character alternation: the same tokens, matched in C
# without a backtracking step per character (a 500-character Encrypt CDATA costs a third less).
_CDATA = re.compile(r"<!\[CDATA\[[^\]]*(?:\](?!\]>)[^\]]*)*\]\]>")
_XML_TOKENS = re.compile(
    r"<!\[CDATA\[[^\]]*(?:\](?!\]>)[^\]]*)*\]\]>"  # character data: skipped whole (may hold "<")
    r"|<\?[^?]*(?:\?(?!>)[^?]*)*\?>"  # the XML declaration, processing instructions
    r"|<!"  # any other declaration: DOCTYPE, ENTITY, comments → refused
    r"|</[^>]*>"  # an end tag
    r"|<[^>\"']*(?:(?:\"[^\"]*\"|'[^']*')[^>\"']*)*>"  # a start tag (quoted attributes may hold ">")
    r"|<",  # a stray "<": not XML
    re.DOTALL)


def xml_guard(text: str, *, max_depth: int = MAX_DEPTH) -> None:
    """Malformed if the XML text has a declaration (``<!DOCTYPE``, ``<!ENTITY``, a comment — any
    ``<!`` but CDATA) or elements nested deeper than ``max_depth``. A linear scan, before any parser.

    Fast path, all in C (every callback pays for this): with CDATA sections taken out, no ``<!``
    may remain, and a document with at most ``max_depth`` start tags (each is a ``<`` that is not
    ``</`` or ``<?``) cannot nest deeper — a WeCom message has about ten. Only a document with
    more start tags is walked tag by tag."""
    bare = _CDATA.sub("", text) if "<![CDATA[" in text else text
    if "<!" in bare:
        raise Malformed("XML declarations are not accepted")
    if bare.count("<") - bare.count("</") - bare.count("<?") <= max_depth:
        return
    depth = 0
    for match in _XML_TOKENS.finditer(text):
        tag = match.group()
        if tag.startswith(("<![CDATA[", "<?")) and len(tag) > 2:
            continue
        if tag in ("<!", "<"):
            raise Malformed("XML declarations are not accepted" if tag == "<!" else "a stray <")
        if tag.startswith("</"):
            depth -= 1
        elif not tag.endswith("/>"):
            depth += 1
            if depth > max_depth:
                raise Malformed(f"XML nested deeper than {max_depth}")


# --- keys ---------------------------------------------------------------------------------------------

def event_key(*parts: str) -> str:
    """A dedupe key of at most ``KEY_MAX`` characters: the parts joined with ``:`` as they are
    when that fits, long parts replaced by their sha256 hex otherwise (``bot.events.bounded_key``,
    the one rule for every key made from platform values)."""
    return bounded_key(*parts, limit=KEY_MAX)
