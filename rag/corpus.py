"""Turn messy corpus files into paper records.

Three input shapes are accepted:

* listing dumps (``.txt``/``.md``): a title line followed by an abstract line, with page
  noise (banners, dates, "Subscribe") and inconsistent blank lines between them;
* JSON Lines (``.jsonl``): one object per line with ``title`` and ``abstract``;
* CSV (``.csv``) with a header row naming at least ``title`` and ``abstract``.

Optional fields in JSONL/CSV: ``id``, ``url``, ``year``, ``authors``.

Nothing here raises on bad input: every problem becomes a :class:`CorpusIssue` naming the
file and line, and the rest of the corpus still parses.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rag.types import CorpusIssue, Paper

LISTING_SUFFIXES = {".txt", ".md"}
SUPPORTED_SUFFIXES = LISTING_SUFFIXES | {".jsonl", ".csv"}
# A real abstract is a few thousand characters; anything this long is a broken dump.
MAX_LINE_CHARS = 100_000
# A line this long (or with this many words) is an abstract, not a title.
ABSTRACT_MIN_CHARS = 200
ABSTRACT_MIN_WORDS = 30
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


@dataclass
class ParseResult:
    papers: list[Paper] = field(default_factory=list)
    issues: list[CorpusIssue] = field(default_factory=list)
    duplicates: int = 0
    files: int = 0


def normalize_title(title: str) -> str:
    """Case-, accent- and punctuation-insensitive form used to match the same paper across files."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def paper_id_for(title: str) -> str:
    """Stable, readable id: a slug of the normalized title plus a short hash of it."""
    normalized = normalize_title(title)
    slug = "-".join(normalized.split())[:48].rstrip("-") or "paper"
    digest = hashlib.sha1(normalized.encode("utf-8")).hexdigest()[:8]
    return f"{slug}-{digest}"


def extract_links(text: str) -> tuple[str, ...]:
    links = [match.rstrip(".,;:") for match in URL.findall(text)]
    return tuple(dict.fromkeys(link for link in links if len(link) > len("https://")))


def _clean(text: str) -> str:
    return " ".join(text.split())


def _make_paper(title: str, abstract: str, source: str, line: int, **extra: str) -> Paper:
    title, abstract = _clean(title), _clean(abstract)
    return Paper(
        paper_id=paper_id_for(title),
        title=title,
        abstract=abstract,
        source=source,
        line=line,
        links=extract_links(abstract),
        **extra,
    )


def _decode(raw: bytes, path: str, issues: list[CorpusIssue]) -> str | None:
    if b"\x00" in raw[:8192]:
        issues.append(CorpusIssue(path, 0, "binary file (NUL bytes), not a text corpus; skipped", "error"))
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        issues.append(
            CorpusIssue(path, line, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); read the file as cp1252")
        )
        return raw.decode("cp1252", errors="replace")


def _numbered_lines(text: str, path: str, issues: list[CorpusIssue]) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > MAX_LINE_CHARS:
            issues.append(
                CorpusIssue(path, number, f"line of {len(line):,} characters (limit {MAX_LINE_CHARS:,}); skipped")
            )
            continue
        yield number, line


def _looks_like_abstract(line: str) -> bool:
    return len(line) >= ABSTRACT_MIN_CHARS or len(line.split()) >= ABSTRACT_MIN_WORDS


def parse_listing(text: str, path: str, issues: list[CorpusIssue]) -> list[Paper]:
    """Parse a listing dump: title line, abstract line(s), noise anywhere in between."""
    papers: list[Paper] = []
    title: tuple[int, str] | None = None
    open_record: tuple[int, str, list[str]] | None = None  # an abstract may continue on the next line

    def close_record() -> None:
        nonlocal open_record
        if open_record:
            line, record_title, parts = open_record
            papers.append(_make_paper(record_title, " ".join(parts), path, line))
        open_record = None

    for number, raw in _numbered_lines(text, path, issues):
        line = GLUED_NOISE_PREFIX.sub("", raw.strip())
        if not line or NOISE_LINE.match(line):
            continue
        if _looks_like_abstract(line):
            if title is not None:
                close_record()
                open_record = (title[0], title[1], [line])
                title = None
            elif open_record is not None:
                open_record[2].append(line)
            else:
                issues.append(CorpusIssue(path, number, "abstract without a title line before it; skipped"))
            continue
        close_record()
        if title is not None:
            issues.append(CorpusIssue(path, title[0], f"record without an abstract: {title[1][:80]!r}; skipped"))
        title = (number, line)
    close_record()
    if title is not None:
        issues.append(CorpusIssue(path, title[0], f"record without an abstract: {title[1][:80]!r}; skipped"))
    return papers


def _field(record: dict, name: str) -> str:
    value = record.get(name)
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value).strip()


def _record_to_paper(record: object, path: str, line: int, issues: list[CorpusIssue]) -> Paper | None:
    if not isinstance(record, dict):
        issues.append(
            CorpusIssue(
                path, line, f"expected an object with 'title' and 'abstract', got {type(record).__name__}; skipped"
            )
        )
        return None
    lowered = {str(key).strip().lower(): value for key, value in record.items()}
    for required in ("title", "abstract"):
        if not _field(lowered, required):
            issues.append(CorpusIssue(path, line, f"field {required!r} is missing or empty; record skipped"))
            return None
    if len(_field(lowered, "abstract")) > MAX_LINE_CHARS:
        issues.append(
            CorpusIssue(path, line, f"field 'abstract' exceeds {MAX_LINE_CHARS:,} characters; record skipped")
        )
        return None
    return _make_paper(
        _field(lowered, "title"),
        _field(lowered, "abstract"),
        path,
        line,
        url=_field(lowered, "url"),
        year=_field(lowered, "year"),
        authors=_field(lowered, "authors"),
        external_id=_field(lowered, "id"),
    )


def parse_jsonl(text: str, path: str, issues: list[CorpusIssue]) -> list[Paper]:
    papers = []
    for number, line in _numbered_lines(text, path, issues):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            issues.append(CorpusIssue(path, number, f"invalid JSON ({exc.msg} at column {exc.colno}); skipped"))
            continue
        paper = _record_to_paper(record, path, number, issues)
        if paper:
            papers.append(paper)
    return papers


def parse_csv(text: str, path: str, issues: list[CorpusIssue]) -> list[Paper]:
    csv.field_size_limit(MAX_LINE_CHARS * 2)
    reader = csv.DictReader(io.StringIO(text))
    header = {name.strip().lower() for name in reader.fieldnames or []}
    missing = {"title", "abstract"} - header
    if missing:
        issues.append(CorpusIssue(path, 1, f"CSV header lacks column(s) {sorted(missing)}; file skipped", "error"))
        return []
    papers = []
    try:
        for record in reader:
            paper = _record_to_paper(record, path, reader.line_num, issues)
            if paper:
                papers.append(paper)
    except csv.Error as exc:
        issues.append(CorpusIssue(path, reader.line_num, f"malformed CSV ({exc}); rest of file skipped"))
    return papers


PARSERS = {".jsonl": parse_jsonl, ".csv": parse_csv}


def parse_file(path: Path, issues: list[CorpusIssue]) -> list[Paper]:
    """Parse one file; problems are appended to ``issues`` and never raised."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        issues.append(CorpusIssue(name, 0, f"cannot read file ({exc.strerror}); skipped", "error"))
        return []
    if not raw.strip():
        issues.append(CorpusIssue(name, 0, "empty file; nothing to ingest"))
        return []
    text = _decode(raw, name, issues)
    if text is None:
        return []
    parser = PARSERS.get(path.suffix.lower(), parse_listing)
    papers = parser(text, name, issues)
    if not papers:
        issues.append(CorpusIssue(name, 0, "no paper records found"))
    return papers


def corpus_files(paths: Iterable[str | Path], issues: list[CorpusIssue]) -> list[Path]:
    """Expand directories to their supported files, sorted so ingest order is deterministic."""
    files: list[Path] = []
    for entry in map(Path, paths):
        if entry.is_dir():
            for candidate in sorted(entry.rglob("*")):
                if candidate.is_file() and candidate.suffix.lower() in SUPPORTED_SUFFIXES:
                    files.append(candidate)
        elif entry.is_file():
            files.append(entry)
        else:
            issues.append(CorpusIssue(str(entry), 0, "no such file or directory", "error"))
    return files


def parse_corpus(paths: Iterable[str | Path]) -> ParseResult:
    """Parse every file, then merge records of the same paper (same normalized title).

    The first occurrence wins; files are read in sorted order so that is deterministic.
    """
    result = ParseResult()
    seen: dict[str, Paper] = {}
    for path in corpus_files(paths, result.issues):
        result.files += 1
        for paper in parse_file(path, result.issues):
            if paper.paper_id in seen:
                result.duplicates += 1
                continue
            seen[paper.paper_id] = paper
    result.papers = list(seen.values())
    return result
