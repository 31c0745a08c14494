"""Content screening before approval (Art. 13): classified markings and the Information Center's
word lists, matched in one pass with an Aho-Corasick automaton (pyahocorasick).

Text is normalised first — full-width ASCII to half-width, the traditional forms of the marking
characters to simplified, spaces and punctuation between characters dropped — keeping a map back
to the original so that each hit is shown in its own context. All of it runs in C (str.translate,
re, the automaton): a 20,000-character draft against 10,000 words takes a few milliseconds.

Markings: 绝密, 机密, 涉密, 内部资料, 不得外传 and a ★ marking (秘密★, 内部★, 机密★…) block
always; 秘密 or 内部 alone do not (they are ordinary words: 小秘密, 内部管理).
Word lists: one file per level in ``XMT_WORDLIST_DIR`` (``block.txt``, ``review.txt``,
``hint.txt``, one word a line, ``#`` for comments), reloaded when a file changes. An edit from
chat changes only its own line: comments and blank lines stay.

Exceptions (``allow.txt``, same format): phrases that contain a marking or a listed word and are
allowed, e.g. 不得传播涉密信息 in an article about 保密宣传. A hit that lies wholly inside an
occurrence of an exception (both normalised the same way) is not a hit; the same marking
elsewhere in the text still is. The built-in markings cannot be removed — a false positive gets
an exception, kept and audited like the lists, instead of a hole in the rule.
"""

from __future__ import annotations

import bisect
import io
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import ahocorasick
from docx import Document as DocxDocument


class Level(str, Enum):
    BLOCK = "block"  # never reaches the approver
    REVIEW = "review"  # the approver sees it highlighted and confirms twice
    HINT = "hint"  # shown, no effect


LEVEL_ORDER = {Level.BLOCK: 0, Level.REVIEW: 1, Level.HINT: 2}
ALLOW = "allow"  # the exceptions' file (allow.txt), beside the levels' files
MARKINGS = ("绝密", "机密", "涉密", "内部资料", "不得外传", "秘密★", "内部★", "绝密★", "机密★")
# One character for one character, so positions survive: full-width ASCII to ASCII, the
# ideographic space, the traditional forms of the markings' characters, ☆ to ★.
_TABLE = {i: i - 0xFEE0 for i in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))}
_TABLE.update({0x3000: 0x20, **{ord(k): ord(v) for k, v in {
    "絕": "绝", "機": "机", "祕": "秘", "內": "内", "資": "资", "傳": "传", "☆": "★"}.items()}})
_NEEDS_TABLE = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u3000絕機祕內資傳☆]")
# Dropped between characters (spaces and punctuation), so that 机 密 and 机·密 still match.
_KEPT = re.compile(r"[^\s·.\-_、，,。！!？?：:；;（）()]+")
CONTEXT = 12
CONTEXTS_PER_WORD = 3


@dataclass(frozen=True)
class Hit:
    word: str
    level: Level
    context: str  # the surrounding text, the hit in 【】


def normalise(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The text as matched (mapped, separators dropped) and its segments: (start in the
    normalised text, start in ``text``), to find a hit's place in the original."""
    mapped = text.translate(_TABLE) if _NEEDS_TABLE.search(text) else text
    parts, segments, at = [], [], 0
    for m in _KEPT.finditer(mapped):
        segments.append((at, m.start()))
        parts.append(m.group())
        at += len(m.group())
    return "".join(parts), segments


def _original(segments: list[tuple[int, int]], index: int) -> int:
    k = bisect.bisect_right(segments, (index, 1 << 62)) - 1
    flat_start, text_start = segments[k]
    return text_start + (index - flat_start)


class Screener:
    def __init__(self, lists: dict[Level, list[str]] | None = None,
                 allowed: list[str] | None = None) -> None:
        self.allowed: ahocorasick.Automaton | None = None
        phrases = {key for key in (normalise(p)[0] for p in allowed or []) if key}
        if phrases:
            self.allowed = ahocorasick.Automaton()
            for key in phrases:
                self.allowed.add_word(key, len(key))
            self.allowed.make_automaton()
        self.automaton = ahocorasick.Automaton()
        words: dict[str, Level] = {normalise(m)[0]: Level.BLOCK for m in MARKINGS}
        for level in (Level.HINT, Level.REVIEW, Level.BLOCK):  # the strictest level wins
            for word in (lists or {}).get(level, []):
                key = normalise(word)[0]
                if key and (key not in words or LEVEL_ORDER[level] < LEVEL_ORDER[words[key]]):
                    words[key] = level
        for key, level in words.items():
            self.automaton.add_word(key, (key, level))
        self.automaton.make_automaton()

    def screen(self, text: str) -> list[Hit]:
        flat, segments = normalise(text)
        # Spans (first, last) of the normalised text that an exception covers.
        spans = sorted((end - n + 1, end) for end, n in self.allowed.iter(flat)) if self.allowed else []
        seen: dict[str, int] = {}
        hits: list[Hit] = []
        for end, (word, level) in self.automaton.iter(flat):
            if spans and _covered(spans, end - len(word) + 1, end):
                continue
            count = seen.get(word, 0)
            if count >= CONTEXTS_PER_WORD:  # the approver needs a few places, not every one
                continue
            seen[word] = count + 1
            a = _original(segments, end - len(word) + 1)
            b = _original(segments, end) + 1
            context = (text[max(0, a - CONTEXT):a] + "【" + text[a:b] + "】"
                       + text[b:b + CONTEXT]).replace("\n", " ")
            hits.append(Hit(word, level, context))
        hits.sort(key=lambda h: (LEVEL_ORDER[h.level], h.word))
        return hits


def _covered(spans: list[tuple[int, int]], first: int, last: int) -> bool:
    """Whether one of the sorted ``spans`` contains [first, last]."""
    k = bisect.bisect_right(spans, (first, 1 << 62))
    return any(a <= first and last <= b for a, b in spans[:k])


class WordLists:
    """The Information Center's lists on disk, reloaded when a file changes.

    An edit (``add``, ``remove``) changes only the line it is about: comments, blank lines and
    the file's line endings stay as the Information Center wrote them on disk. The new file is
    written beside the old one and moved over it (``os.replace``), so a reader or a crash sees
    the old list or the new one, never half a file; a failed write raises and leaves the old
    file. The callers in chat (``handlers.wordlists``) write after the audit line, inside its
    transaction: a failed write rolls the audit line back. Blocking file I/O: call ``add`` and
    ``remove`` from the event loop with ``asyncio.to_thread``.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._stamp: tuple[float, ...] | None = None
        self._screener = Screener()

    def path(self, level: Level | str) -> Path:
        return self.folder / f"{level.value if isinstance(level, Level) else level}.txt"

    def _text(self, level: Level | str) -> str:
        """The file as it is (line endings kept), empty when there is none."""
        p = self.path(level)
        if not p.exists():
            return ""
        with p.open(encoding="utf-8", newline="") as f:
            return f.read()

    def _read(self, level: Level | str) -> list[str]:
        return _words_of(self._text(level))

    def screener(self) -> Screener:
        stamp = tuple(self.path(lv).stat().st_mtime_ns if self.path(lv).exists() else 0.0
                      for lv in (*Level, ALLOW))
        if stamp != self._stamp:
            self._screener = Screener({lv: self._read(lv) for lv in Level}, self._read(ALLOW))
            self._stamp = stamp
        return self._screener

    def words(self, level: Level | str) -> list[str]:
        return self._read(level)

    def add(self, level: Level | str, word: str) -> bool:
        """Append ``word`` as a line of its own; False (nothing written) when it is listed."""
        text = self._text(level)
        if word in _words_of(text):
            return False
        newline = "\r\n" if "\r\n" in text else "\n"
        if text and not text.endswith(("\n", "\r")):
            text += newline
        self._write(level, text + word + newline)
        return True

    def remove(self, level: Level | str, word: str) -> bool:
        """Drop the lines that list ``word``; False (nothing written) when it is not listed."""
        text = self._text(level)
        if word not in _words_of(text):
            return False
        self._write(level, "".join(line for line in text.splitlines(keepends=True)
                                   if not _is_word(line) or line.strip() != word))
        return True

    def _write(self, level: Level | str, text: str) -> None:
        """Write the whole file atomically: a temporary file beside it, flushed to disk, then
        moved over it. The temporary file is removed if anything fails."""
        path = self.path(level)
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            # Created like any new file (0666 less the umask), then given the old file's mode.
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            with os.fdopen(fd, "wb") as f:
                f.write(text.encode("utf-8"))
                f.flush()
                os.fsync(f.fileno())
            if path.exists():
                shutil.copymode(path, temporary)
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise


def _is_word(line: str) -> bool:
    """A line that lists a word: not blank, not a ``#`` comment."""
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _words_of(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if _is_word(line)]


# -- the text inside attached files (Art. 13: what is published is screened, files included) ------
SCREENED_FILES = (".txt", ".docx")


def readable_text(name: str, data: bytes) -> str | None:
    """The text inside a .txt or .docx file (None for any other file; "" for one that does not
    read as what its name says: it is then screened by its name only). Pure CPU (python-docx parses
    a zip of XML): callers run it in a worker thread, and the inbox does so when the file arrives,
    before the event's transaction (``bot.inbound``), so screening at 提交审核 reads a column."""
    lowered = name.lower()
    if lowered.endswith(".txt"):
        return data.decode("utf-8", errors="ignore")
    if lowered.endswith(".docx"):
        try:
            return "\n".join(docx_text(data))
        except Exception:  # not a readable .docx
            return ""
    return None


def docx_text(data: bytes) -> list[str]:
    """The paragraphs, then the table cells, of a .docx file; raises if ``data`` is not one."""
    doc = DocxDocument(io.BytesIO(data))
    return [p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells]
