"""Corpus text: decoding bytes, splitting lines, repairing characters, judging plausibility.

Everything that turns a file's raw bytes into clean, storable text and decides whether a
title and abstract are a real paper lives here, apart from the record formats, so the
listing, JSONL and CSV parsers share one decoder and one set of plausibility rules (and
:func:`build_paper`, which applies them to every record).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterator

from rag.corpus_ids import paper_id_for
from rag.corpus_report import Problems
from rag.types import Paper

# A real abstract is a few thousand characters; anything this long is a broken dump.
MAX_LINE_CHARS = 100_000
# Plausibility: the shortest seed abstract has hundreds of letters; this only stops junk.
ABSTRACT_MIN_LETTERS = 40
# ... and most of an abstract's non-space characters are letters (random bytes decoded as
# cp1252 give about 50 %; every seed abstract has 90 % or more).
ABSTRACT_MIN_LETTER_FRACTION = 0.6
TITLE_MAX_CHARS = 1_000
# Undecodable (U+FFFD) or private-use characters allowed in a title or abstract.
MAX_BAD_FRACTION = 0.1
# Binary detection: C0 control bytes other than whitespace (random bytes have about 11 %).
CONTROL_BYTES = bytes([*range(0, 9), *range(14, 32), 127])
MAX_CONTROL_BYTE_FRACTION = 0.05
BINARY_SNIFF_BYTES = 65_536
# A file that is not UTF-8: with at least as many valid non-ASCII characters as invalid
# sequences, it is UTF-8 with a few bad bytes (replaced by U+FFFD); otherwise it is read as
# cp1252, unless more than this fraction of its bytes are non-ASCII (cp1252 text has a few per
# cent, random bytes half): then it is binary or in another encoding, and rejected.
HIGH_BYTES = bytes(range(128, 256))
MAX_CP1252_HIGH_BYTE_FRACTION = 0.3
URL = re.compile(r"https?://[^\s<>\"'()\[\]{}]+")
# Characters that cannot be stored as they are: lone surrogates (not encodable in UTF-8) and
# control characters that are not whitespace (whitespace is collapsed by _clean).
INVALID_CHARS = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ud800-\udfff]")
LETTER = re.compile(r"[^\W\d_]")
LETTER_RUN = re.compile(r"[^\W\d_]+")
# ASCII characters that are not letters (LETTER matches only A-Z and a-z among them): deleting
# them counts an ASCII text's letters without a regex (10x faster; 100k records' stats took 15 s).
_ASCII_NON_LETTERS = {code: None for code in range(128) if not chr(code).isalpha()}
BAD_CHAR = re.compile("[\ufffd\ue000-\uf8ff]")
# Fields whose LaTeX escapes are cleaned at ingest (abstracts exported from arXiv keep them).
LATEX_FIELDS = ("title", "abstract", "authors")


# LaTeX accents as combining marks: \"o, \'e, \`a, \^o, \~n, \=a and \c{c}, \v{s}.
LATEX_ACCENTS = {
    '"': "\u0308",
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    "~": "\u0303",
    "=": "\u0304",
    "c": "\u0327",
    "v": "\u030c",
}
# A symbol accent takes the next letter, braced or not (\"o, \"{o}); a letter accent (\c, \v) a
# braced letter or the letter after a space (\c{c}, gar\c con), so \cite or \vec are never accents.
# Either may sit in braces of its own ({\"o}), which go with it. \i and \j are dotless i and j.
_ACCENTED = (
    r"\\(?:(?P<symbol>[\"'`^~=])\s*(?:\{\s*(?P<braced>\\[ij]|[A-Za-z])\s*\}|(?P<bare>\\[ij](?![A-Za-z])|[A-Za-z]))"
    r"|(?P<letter>[cv])(?:\s*\{\s*(?P<lbraced>\\[ij]|[A-Za-z])\s*\}|\s+(?P<lbare>[A-Za-z])))"
)
LATEX_ACCENT = re.compile(r"\{\s*" + _ACCENTED + r"\s*\}|" + _ACCENTED.replace("?P<", "?P<o_"))
# Escaped specials, and {\it x}, {\em x}, {\bf x}, \emph{x}, \textit{x}, \textbf{x} (no nested braces).
LATEX_SPECIAL = re.compile(r"\\([&%#_])")
LATEX_STYLE = re.compile(r"\{\\(?:it|emph|em|bf|sl|sc)\s+([^{}]*)\}|\\(?:emph|textit|textbf|textsl|textsc)\{([^{}]*)\}")
# Math is left as written: $...$, $$...$$, \(...\), \[...\].
LATEX_MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+\$|\\\(.+?\\\)|\\\[.+?\\\]", re.DOTALL)


# --- lines and decoding --------------------------------------------------------------------


def _clean(text: str) -> str:
    return " ".join(text.split())


def iter_lines(text: str) -> Iterator[str]:
    """Lines split on \\n, \\r\\n or \\r only (not on U+2028 and the like, which JSON strings may
    hold), one at a time so a large file is never held twice."""
    separator = "\n" if "\n" in text or "\r" not in text else "\r"
    start, end_of_text = 0, len(text)
    while start < end_of_text:
        end = text.find(separator, start)
        if end < 0:
            end = end_of_text
        line = text[start:end]
        yield line[:-1] if line.endswith("\r") else line
        start = end + 1


def numbered_lines(text: str, problems: Problems) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(iter_lines(text), start=1):
        if len(line) > MAX_LINE_CHARS:
            problems.lines += 1
            problems.add(
                number,
                "over-long line",
                f"line of {len(line):,} characters (limit {MAX_LINE_CHARS:,}); skipped",
                bad=1,
            )
            continue
        yield number, line


def _binary_reason(raw: bytes) -> str:
    if b"\x00" in raw[:BINARY_SNIFF_BYTES]:
        return "NUL bytes"
    controls = len(raw) - len(raw.translate(None, CONTROL_BYTES))
    if controls > MAX_CONTROL_BYTE_FRACTION * len(raw):
        return f"{controls * 100 // len(raw)}% control bytes"
    return ""


def decode_text(raw: bytes, problems: Problems) -> str | None:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16", errors="replace")
    reason = _binary_reason(raw)
    if reason:
        problems.add(0, "binary file", f"binary file ({reason}), not a text corpus; skipped", "error")
        problems.rejected = True
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        where = f"0x{raw[exc.start]:02x} at line {line}"
        text = raw.decode("utf-8-sig", errors="replace")
        invalid = text.count("\ufffd") - raw.count("\ufffd".encode())
        decoded = len(text) - len(text.encode("ascii", "ignore")) - invalid  # valid non-ASCII characters
        if decoded >= invalid:  # UTF-8 with a few bad bytes (cp1252 text has hardly a valid sequence)
            problems.add(
                line, "not UTF-8", f"{invalid:,} invalid UTF-8 byte sequence(s), first {where}; replaced with U+FFFD"
            )
            return text
        high = len(raw) - len(raw.translate(None, HIGH_BYTES))
        if high > MAX_CP1252_HIGH_BYTE_FRACTION * len(raw):
            problems.add(
                0,
                "binary file",
                f"neither UTF-8 nor cp1252 text ({high * 100 // len(raw)}% non-ASCII bytes, first invalid {where}): "
                "binary or in another encoding; skipped",
                "error",
            )
            problems.rejected = True
            return None
        del text
        problems.add(line, "not UTF-8", f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); read the file as cp1252")
        return raw.decode("cp1252", errors="replace")


# --- plausibility and papers ---------------------------------------------------------------


def extract_links(text: str) -> tuple[str, ...]:
    links = [match.rstrip(".,;:") for match in URL.findall(text)]
    return tuple(dict.fromkeys(link for link in links if len(link) > len("https://")))


def _stats(text: str) -> tuple[int, int, int]:
    """Letters, undecodable/private-use characters, and non-space characters of cleaned text."""
    chars = len(text) - text.count(" ")
    if text.isascii():  # no undecodable or private-use character can be there
        return len(text.translate(_ASCII_NON_LETTERS)), 0, chars
    return sum(map(len, LETTER_RUN.findall(text))), len(BAD_CHAR.findall(text)), chars


def implausibility(title: str, abstract: str) -> str:
    """Why a (cleaned) title and abstract are not a real paper; empty when they are plausible."""
    if len(title) > TITLE_MAX_CHARS:
        return f"title of {len(title):,} characters (limit {TITLE_MAX_CHARS:,})"
    letters, bad, chars = _stats(title)
    if not letters:
        return "title has no letters"
    if bad > MAX_BAD_FRACTION * chars:
        return "title is mostly undecodable or control characters"
    letters, bad, chars = _stats(abstract)
    if letters < ABSTRACT_MIN_LETTERS:
        return f"abstract has {letters} letters (minimum {ABSTRACT_MIN_LETTERS})"
    if letters < ABSTRACT_MIN_LETTER_FRACTION * chars:
        return f"abstract is not text ({letters * 100 // chars}% letters)"
    if bad > MAX_BAD_FRACTION * chars:
        return "abstract is mostly undecodable or control characters"
    return ""


def _accented(match: re.Match) -> str:
    groups = {name.removeprefix("o_"): value for name, value in match.groupdict().items() if value is not None}
    accent = groups.get("symbol") or groups["letter"]
    base = groups.get("braced") or groups.get("bare") or groups.get("lbraced") or groups["lbare"]
    base = {"\\i": "i", "\\j": "j"}.get(base, base)
    return unicodedata.normalize("NFC", base + LATEX_ACCENTS[accent])


def _clean_latex_text(text: str) -> str:
    text = LATEX_ACCENT.sub(_accented, text)
    text = LATEX_STYLE.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), text)
    return LATEX_SPECIAL.sub(r"\1", text)


def clean_latex(text: str) -> str:
    """Common LaTeX escapes as the characters they stand for: na\\"ive -> naïve, {\\'e} -> é,
    \\c{c} -> ç, \\& -> &, 50\\% -> 50%, {\\it word} -> word. Math ($O(n^2)$) is kept as written."""
    if "\\" not in text:
        return text
    parts, start = [], 0
    for math in LATEX_MATH.finditer(text):
        parts += [_clean_latex_text(text[start : math.start()]), math.group()]
        start = math.end()
    parts.append(_clean_latex_text(text[start:]))
    return "".join(parts)


def build_paper(problems: Problems, line: int, fields: dict[str, str], lines: int = 1) -> Paper | None:
    """Repair invalid characters, check plausibility, make the paper; ``lines`` it came from."""
    clean: dict[str, str] = {}
    for name, given in fields.items():
        value, replaced = INVALID_CHARS.subn("\ufffd", given)
        if replaced:
            problems.add(
                line,
                "invalid characters",
                f"field {name!r}: {replaced} invalid character(s) (lone surrogate or control character) "
                "replaced with U+FFFD",
            )
        clean[name] = _clean(clean_latex(value) if name in LATEX_FIELDS else value)
    reason = implausibility(clean["title"], clean["abstract"])
    if reason:
        problems.add(line, "implausible record", f"{reason}; record skipped", bad=lines)
        return None
    return Paper(
        paper_id=paper_id_for(clean["title"]),
        title=clean["title"],
        abstract=clean["abstract"],
        source=problems.path,
        line=line,
        links=extract_links(clean["abstract"]),
        url=clean.get("url", ""),
        year=clean.get("year", ""),
        authors=clean.get("authors", ""),
        external_id=clean.get("id", ""),
        arxiv_id=clean.get("arxiv_id", ""),
    )
