"""Turn messy corpus files into paper records.

Three input shapes are accepted:

* listing dumps (``.txt``/``.md``): a title line followed by an abstract line, with page
  noise (banners, dates, "Subscribe") and inconsistent blank lines between them;
* JSON Lines (``.jsonl``): one object per line with ``title`` and ``abstract``;
* CSV (``.csv``) with a header row naming at least ``title`` and ``abstract``.

Optional fields in JSONL/CSV: ``id``, ``url``, ``year``, ``authors``.

Nothing here raises on bad input: every problem becomes a :class:`CorpusIssue` naming the
file and line, and the rest of the corpus still parses. What is reported stays bounded: the
first :data:`MAX_ISSUES_PER_FILE` problems of a file in full, then one count per kind. A
record is stored only when it is plausible (a title with letters, an abstract of real text);
a file that is binary, or whose lines are mostly not valid records, is rejected whole with
one error.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import os
import re
import stat
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from rag.types import CorpusIssue, Paper

LISTING_SUFFIXES = {".txt", ".md"}
SUPPORTED_SUFFIXES = LISTING_SUFFIXES | {".jsonl", ".csv"}
# A real abstract is a few thousand characters; anything this long is a broken dump.
MAX_LINE_CHARS = 100_000
# A line this long (or with this many words) is an abstract, not a title.
ABSTRACT_MIN_CHARS = 200
ABSTRACT_MIN_WORDS = 30
# Plausibility: the shortest seed abstract has hundreds of letters; this only stops junk.
ABSTRACT_MIN_LETTERS = 40
# ... and most of an abstract's non-space characters are letters (random bytes decoded as
# cp1252 give about 50 %; every seed abstract has 90 % or more).
ABSTRACT_MIN_LETTER_FRACTION = 0.6
TITLE_MAX_CHARS = 1_000
# Undecodable (U+FFFD) or private-use characters allowed in a title or abstract.
MAX_BAD_FRACTION = 0.1
# Problems reported per file in full; the rest are counted per kind.
MAX_ISSUES_PER_FILE = 20
# A file is rejected whole when more than this share of its lines (rows, for CSV) are not
# valid records, once it has at least MIN_LINES_TO_JUDGE of them.
MAX_BAD_LINE_FRACTION = 0.5
MIN_LINES_TO_JUDGE = 20
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

MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
NOISE_LINE = re.compile(
    r"^(new|subscribe|daily papers|get trending papers in your email inbox( once a day)?!?"
    r"|by ?ak and the research community"
    rf"|({MONTHS})[a-z]*\.? \d{{1,2}}(, \d{{4}})?)$",
    re.IGNORECASE,
)
# Listing pages sometimes glue a banner word onto the first title ("SubscribeWhat's Wrong...").
GLUED_NOISE_PREFIX = re.compile(r"^(Subscribe|Daily Papers)(?=[A-Z0-9\"'])")
URL = re.compile(r"https?://[^\s<>\"'()\[\]{}]+")
# Characters that cannot be stored as they are: lone surrogates (not encodable in UTF-8) and
# control characters that are not whitespace (whitespace is collapsed by _clean).
INVALID_CHARS = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ud800-\udfff]")
LETTER = re.compile(r"[^\W\d_]")
BAD_CHAR = re.compile("[\ufffd\ue000-\uf8ff]")


@dataclass
class ParseResult:
    papers: list[Paper] = field(default_factory=list)
    issues: list[CorpusIssue] = field(default_factory=list)
    duplicates: int = 0
    files: int = 0


# --- titles and ids ----------------------------------------------------------------------


def _ascii_form(title: str) -> str:
    """The historical normal form (ids stored by earlier versions are hashes of it)."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def _unicode_form(title: str) -> str:
    """NFKC + casefold, keeping letters, marks and digits of every script."""
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", title).casefold())
    kept = (ch if unicodedata.category(ch)[0] in "LMN" else " " for ch in text)
    return " ".join("".join(kept).split())


@lru_cache(maxsize=4096)
def _is_latin(ch: str) -> bool:
    if ch.isascii():
        return True
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    if base and base.isascii():
        return True  # é, ﬁ, fullwidth and mathematical letters
    return "LATIN" in unicodedata.name(ch, "")  # ø, ł, æ, ß ...


def _written_in_another_script(title: str) -> bool:
    """True when the ASCII form would lose words: a run of 3+ non-Latin letters, or at least
    half of the letters. A Greek symbol in a Latin title ("PixArt-α") is not enough."""
    latin = other = run = longest = 0
    for ch in unicodedata.normalize("NFKC", title):
        if ch.isalpha():
            if _is_latin(ch):
                latin += 1
                run = 0
            else:
                other += 1
                run += 1
                longest = max(longest, run)
        elif not unicodedata.category(ch).startswith("M"):  # marks do not break a word
            run = 0
    return other > 0 and (longest >= 3 or 2 * other >= latin + other)


def normalize_title(title: str) -> str:
    """Case-, accent- and punctuation-insensitive form used to match the same paper across files.

    Titles in Latin script keep the historical ASCII form (so stored ids do not change); a
    title written in another script is normalised with NFKC + casefold, keeping its letters
    and digits; a title of only punctuation or symbols keeps those (whitespace collapsed).
    """
    legacy = _ascii_form(title)
    if legacy and not _written_in_another_script(title):
        return legacy
    return _unicode_form(title) or " ".join(unicodedata.normalize("NFKC", title).casefold().split())


def paper_id_for(title: str) -> str:
    """Stable, readable id: a slug of the normalized title plus a short hash of it."""
    normalized = normalize_title(title)
    words = [word for word in normalized.split() if any(ch.isalnum() for ch in word)]
    slug = "-".join(words)[:48].rstrip("-") or "paper"
    digest = hashlib.sha1(normalized.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{slug}-{digest}"


def extract_links(text: str) -> tuple[str, ...]:
    links = [match.rstrip(".,;:") for match in URL.findall(text)]
    return tuple(dict.fromkeys(link for link in links if len(link) > len("https://")))


# --- bounded problem reports ---------------------------------------------------------------


class _Problems:
    """Problems of one file: the first few in full, then a count per kind (bounded memory).

    ``lines`` counts the file's lines (rows, for CSV) that could hold a record, ``bad`` those
    that did not give one; they decide whether the file is rejected whole.
    """

    def __init__(self, path: str, limit: int = MAX_ISSUES_PER_FILE) -> None:
        self.path = path
        self.limit = limit
        self.kept: list[CorpusIssue] = []
        self.more: Counter[str] = Counter()
        self.more_severity: dict[str, str] = {}
        self.bad_kinds: Counter[str] = Counter()  # kinds of problems that cost a record
        self.first_line: dict[str, int] = {}
        self.lines = 0
        self.bad = 0
        self.rejected = False

    def add(self, line: int, kind: str, message: str, severity: str = "warning", bad: int = 0) -> None:
        if bad:
            self.bad += bad
            self.bad_kinds[kind] += 1
            self.first_line.setdefault(kind, line)
        if len(self.kept) < self.limit:
            self.kept.append(CorpusIssue(self.path, line, message, severity))
            return
        self.more[kind] += 1
        if severity == "error" or kind not in self.more_severity:
            self.more_severity[kind] = severity

    def reject_if_mostly_bad(self, unit: str) -> bool:
        if self.lines < MIN_LINES_TO_JUDGE or self.bad <= MAX_BAD_LINE_FRACTION * self.lines:
            return False
        kind, _ = self.bad_kinds.most_common(1)[0]
        share = min(self.bad, self.lines) * 100 // self.lines
        self.kept = [
            CorpusIssue(
                self.path,
                0,
                f"{share}% of {self.lines:,} {unit} are not valid records (most often: {kind}, first at line "
                f"{self.first_line[kind]}); nothing was read from it",
                "error",
            )
        ]
        self.more.clear()
        self.rejected = True
        return True

    def issues(self) -> list[CorpusIssue]:
        summary = [
            CorpusIssue(self.path, 0, f"... and {count:,} more: {kind}", self.more_severity[kind])
            for kind, count in self.more.most_common()
        ]
        return self.kept + summary


def _display(path: Path) -> str:
    """The path as text that can always be printed and stored (undecodable bytes as \\xNN)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


# --- text ----------------------------------------------------------------------------------


def _clean(text: str) -> str:
    return " ".join(text.split())


def _lines(text: str) -> Iterator[str]:
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


def _numbered_lines(text: str, problems: _Problems) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(_lines(text), start=1):
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


def _decode(raw: bytes, problems: _Problems) -> str | None:
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


def _stats(text: str) -> tuple[int, int, int]:
    """Letters, undecodable/private-use characters, and non-space characters of cleaned text."""
    return len(LETTER.findall(text)), len(BAD_CHAR.findall(text)), len(text) - text.count(" ")


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


def _build(problems: _Problems, line: int, fields: dict[str, str], lines: int = 1) -> Paper | None:
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
        clean[name] = _clean(value)
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
    )


# --- listings ------------------------------------------------------------------------------


def _looks_like_abstract(line: str) -> bool:
    return len(line) >= ABSTRACT_MIN_CHARS or len(line.split()) >= ABSTRACT_MIN_WORDS


def _parse_listing(text: str, problems: _Problems) -> list[Paper]:
    """Parse a listing dump: title line, abstract line(s), noise anywhere in between."""
    papers: list[Paper] = []
    title: tuple[int, str] | None = None
    open_record: tuple[int, str, list[str]] | None = None  # an abstract may continue on the next line

    def close_record() -> None:
        nonlocal open_record
        if open_record:
            line, record_title, parts = open_record
            paper = _build(problems, line, {"title": record_title, "abstract": " ".join(parts)}, 1 + len(parts))
            if paper:
                papers.append(paper)
        open_record = None

    def title_without_abstract(line: int, record_title: str) -> None:
        problems.add(
            line, "record without an abstract", f"record without an abstract: {record_title[:80]!r}; skipped", bad=1
        )

    for number, raw in _numbered_lines(text, problems):
        line = GLUED_NOISE_PREFIX.sub("", raw.strip())
        if not line or NOISE_LINE.match(line):
            continue
        problems.lines += 1
        if _looks_like_abstract(line):
            if title is not None:
                close_record()
                open_record = (title[0], title[1], [line])
                title = None
            elif open_record is not None:
                open_record[2].append(line)
            else:
                problems.add(
                    number, "abstract without a title", "abstract without a title line before it; skipped", bad=1
                )
            continue
        close_record()
        if title is not None:
            title_without_abstract(*title)
        title = (number, line)
    close_record()
    if title is not None:
        title_without_abstract(*title)
    return papers


# --- JSONL and CSV records -----------------------------------------------------------------


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _optional(value: object, name: str) -> str | None:
    """An optional field as text; None when its type is wrong."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if name in ("year", "id") and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if name == "authors" and isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ", ".join(item.strip() for item in value if item.strip())
    return None


OPTIONAL_FIELDS = {
    "url": "a string",
    "year": "a string or an integer",
    "authors": "a string or a list of strings",
    "id": "a string or an integer",
}


def _record_to_paper(record: object, line: int, problems: _Problems) -> Paper | None:
    """One JSON object or CSV row. Wrong types in title/abstract reject the record; in an
    optional field they drop that field (with a warning) and keep the record."""
    if not isinstance(record, dict):
        problems.add(
            line,
            "not an object",
            f"expected an object with 'title' and 'abstract', got {_type_name(record)}; skipped",
            bad=1,
        )
        return None
    lowered = {str(key).strip().lower(): value for key, value in record.items()}
    fields: dict[str, str] = {}
    for required in ("title", "abstract"):
        value = lowered.get(required)
        if value is not None and not isinstance(value, str):
            problems.add(
                line,
                "wrong field type",
                f"field {required!r} must be a string, got {_type_name(value)}; record skipped",
                bad=1,
            )
            return None
        if not value or not value.strip():
            problems.add(line, "missing field", f"field {required!r} is missing or empty; record skipped", bad=1)
            return None
        fields[required] = value
    if len(fields["abstract"]) > MAX_LINE_CHARS:
        problems.add(
            line,
            "over-long field",
            f"field 'abstract' exceeds {MAX_LINE_CHARS:,} characters; record skipped",
            bad=1,
        )
        return None
    for name, expected in OPTIONAL_FIELDS.items():
        value = _optional(lowered.get(name), name)
        if value is None:
            problems.add(
                line,
                "wrong field type",
                f"field {name!r} must be {expected}, got {_type_name(lowered[name])}; field ignored",
            )
            value = ""
        fields[name] = value
    return _build(problems, line, fields)


def _parse_jsonl(text: str, problems: _Problems) -> list[Paper]:
    papers = []
    for number, line in _numbered_lines(text, problems):
        if not line.strip():
            continue
        problems.lines += 1
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.add(number, "invalid JSON", f"invalid JSON ({exc.msg} at column {exc.colno}); skipped", bad=1)
            continue
        except (ValueError, RecursionError) as exc:  # a 5,000-digit number, [[[[... nested too deep
            reason = "nested too deep" if isinstance(exc, RecursionError) else str(exc)[:80]
            problems.add(number, "invalid JSON", f"invalid JSON ({reason}); skipped", bad=1)
            continue
        paper = _record_to_paper(record, number, problems)
        if paper:
            papers.append(paper)
    return papers


def _parse_csv(text: str, problems: _Problems) -> list[Paper]:
    csv.field_size_limit(MAX_LINE_CHARS * 2)
    reader = csv.DictReader(line + "\n" for line in _lines(text))
    try:
        header = {name.strip().lower() for name in reader.fieldnames or []}
    except csv.Error as exc:
        problems.add(1, "malformed CSV", f"malformed CSV header ({exc}); file skipped", "error")
        return []
    missing = {"title", "abstract"} - header
    if missing:
        problems.add(1, "CSV header", f"CSV header lacks column(s) {sorted(missing)}; file skipped", "error")
        return []
    papers = []
    try:
        for record in reader:
            problems.lines += 1
            paper = _record_to_paper(record, reader.line_num, problems)
            if paper:
                papers.append(paper)
    except csv.Error as exc:
        problems.lines += 1
        problems.add(reader.line_num, "malformed CSV", f"malformed CSV ({exc}); rest of file skipped", bad=1)
    return papers


PARSERS = {".jsonl": _parse_jsonl, ".csv": _parse_csv}


def _parse_path(path: Path) -> tuple[list[Paper], _Problems]:
    problems = _Problems(_display(path))
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.add(0, "unreadable", f"cannot read file ({exc.strerror or exc}); skipped", "error")
        return [], problems
    if not raw.strip():
        problems.add(0, "empty file", "empty file; nothing to ingest")
        return [], problems
    text = _decode(raw, problems)
    del raw
    if text is None:
        return [], problems
    suffix = path.suffix.lower()
    papers = PARSERS.get(suffix, _parse_listing)(text, problems)
    if problems.reject_if_mostly_bad("rows" if suffix == ".csv" else "lines"):
        return [], problems
    if not papers and not problems.rejected:
        problems.add(0, "no records", "no paper records found")
    return papers, problems


def parse_file(path: Path, issues: list[CorpusIssue]) -> list[Paper]:
    """Parse one file; its (bounded) problems are appended to ``issues`` and never raised."""
    papers, problems = _parse_path(path)
    issues.extend(problems.issues())
    return papers


def _file_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "a block device" if stat.S_ISBLK(mode) else "not a regular file"


def corpus_files(paths: Iterable[str | Path], issues: list[CorpusIssue]) -> list[Path]:
    """Expand directories to their supported files, sorted so ingest order is deterministic.

    A missing path, something that is not a regular file (FIFO, device) and a directory with
    no corpus file are errors; nothing is ever opened that could block.
    """
    files: list[Path] = []
    for entry in map(Path, paths):
        name = _display(entry)
        try:
            mode = entry.stat().st_mode
        except (OSError, ValueError):
            issues.append(CorpusIssue(name, 0, "no such file or directory", "error"))
            continue
        if stat.S_ISDIR(mode):
            try:
                found = [
                    candidate
                    for candidate in sorted(entry.rglob("*"))
                    if candidate.suffix.lower() in SUPPORTED_SUFFIXES and candidate.is_file()
                ]
            except OSError as exc:
                issues.append(CorpusIssue(name, 0, f"cannot list directory ({exc.strerror or exc})", "error"))
                continue
            if not found:
                kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
                issues.append(CorpusIssue(name, 0, f"directory holds no corpus file ({kinds})", "error"))
            files.extend(found)
        elif stat.S_ISREG(mode):
            files.append(entry)
        else:
            issues.append(CorpusIssue(name, 0, f"{_file_kind(mode)}, not a corpus file; skipped", "error"))
    return files


# --- merging -------------------------------------------------------------------------------


def _abstract_words(abstract: str) -> list[str]:
    return re.findall(r"\w+", unicodedata.normalize("NFKC", abstract).casefold())


def same_abstract(first: str, second: str) -> bool:
    """The same or near-same abstract: equal words, one a truncation of the other, or at
    least 80 % of the distinct words shared (a corrected typo, a reworded sentence)."""
    a, b = _abstract_words(first), _abstract_words(second)
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    if len(short) >= 20 and long[: len(short)] == short:
        return True
    union = set(a) | set(b)
    return bool(union) and len(set(a) & set(b)) >= 0.8 * len(union)


def _colliding_id(paper: Paper, taken: set[str]) -> str:
    digest = hashlib.sha1(" ".join(_abstract_words(paper.abstract)).encode("utf-8", "surrogatepass")).hexdigest()
    for size in range(6, len(digest) + 1):
        candidate = f"{paper.paper_id}-{digest[:size]}"
        if candidate not in taken:
            return candidate
    return f"{paper.paper_id}-{digest}-{len(taken)}"


def parse_corpus(paths: Iterable[str | Path]) -> ParseResult:
    """Parse every file, then merge records of the same paper.

    The same paper is the same normalized title (the same id) with the same or a near-same
    abstract; the first occurrence wins, and files are read in sorted order so that is
    deterministic. Two different papers whose titles normalise alike are both kept: the later
    one gets an id suffixed with a hash of its abstract, and a warning names both lines.
    """
    result = ParseResult()
    groups: dict[str, list[Paper]] = {}  # base id -> the distinct papers under it
    taken: set[str] = set()
    for path in corpus_files(paths, result.issues):
        result.files += 1
        papers, problems = _parse_path(path)
        for parsed in papers:
            paper = parsed
            group = groups.setdefault(paper.paper_id, [])
            if any(same_abstract(kept.abstract, paper.abstract) for kept in group):
                result.duplicates += 1
                continue
            if group:
                first = group[0]
                new_id = _colliding_id(paper, taken)
                problems.add(
                    paper.line,
                    "title collision",
                    f"{paper.title[:80]!r} has the same normalised title as {first.source}:{first.line} "
                    f"({first.title[:80]!r}) but a different abstract; both kept, this one as {new_id}",
                )
                paper = replace(paper, paper_id=new_id)
            group.append(paper)
            taken.add(paper.paper_id)
            result.papers.append(paper)
        result.issues.extend(problems.issues())
    if not result.papers and not any(issue.severity == "error" for issue in result.issues):
        result.issues.append(CorpusIssue("(corpus)", 0, "no paper records found in the given paths", "error"))
    return result
