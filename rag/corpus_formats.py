"""The corpus record formats: listing dumps, JSON Lines and CSV.

Each parser turns a decoded file into papers, reporting every bad line or record through
:class:`~rag.corpus_report.Problems` and never raising. Listing dumps are recognised by line
shape (title line, abstract line(s), page noise in between); JSONL objects and CSV rows share
one record reader that checks field types. :data:`PARSERS` maps a file suffix to its parser
(:func:`parse_listing` for every other supported suffix).
"""

from __future__ import annotations

import csv
import json
import re

from rag.corpus_report import Problems
from rag.corpus_text import MAX_LINE_CHARS, build_paper, iter_lines, numbered_lines
from rag.types import Paper

LISTING_SUFFIXES = {".txt", ".md"}
SUPPORTED_SUFFIXES = LISTING_SUFFIXES | {".jsonl", ".csv"}
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


# --- listings ------------------------------------------------------------------------------


def _looks_like_abstract(line: str) -> bool:
    return len(line) >= ABSTRACT_MIN_CHARS or len(line.split()) >= ABSTRACT_MIN_WORDS


def parse_listing(text: str, problems: Problems) -> list[Paper]:
    """Parse a listing dump: title line, abstract line(s), noise anywhere in between."""
    papers: list[Paper] = []
    title: tuple[int, str] | None = None
    open_record: tuple[int, str, list[str]] | None = None  # an abstract may continue on the next line

    def close_record() -> None:
        nonlocal open_record
        if open_record:
            line, record_title, parts = open_record
            paper = build_paper(problems, line, {"title": record_title, "abstract": " ".join(parts)}, 1 + len(parts))
            if paper:
                papers.append(paper)
        open_record = None

    def title_without_abstract(line: int, record_title: str) -> None:
        problems.add(
            line, "record without an abstract", f"record without an abstract: {record_title[:80]!r}; skipped", bad=1
        )

    for number, raw in numbered_lines(text, problems):
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
    "arxiv_id": "a string",
}
# arXiv identifiers: 2403.03507 (with an optional version, v2), and before 2007 hep-th/9901001 or
# math.GT/0309136; "arXiv:" in front is dropped.
_ARXIV_ID = r"(?:\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?"
ARXIV_ID = re.compile(rf"(?:arxiv:\s*)?(?P<id>{_ARXIV_ID})", re.IGNORECASE)
ARXIV_URL = re.compile(
    rf"https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/(?P<id>{_ARXIV_ID})(?:\.pdf)?/?(?:[?#].*)?", re.IGNORECASE
)


def arxiv_id_of(value: str, *, url: bool = False) -> str:
    """The arXiv id that ``value`` is (``2403.03507``, ``arXiv:2403.03507v2``) or, with ``url``, that an
    arxiv.org/abs or /pdf address names; "" when it is neither."""
    match = (ARXIV_URL if url else ARXIV_ID).fullmatch(value.strip())
    return match.group("id") if match else ""


def _record_to_paper(record: object, line: int, problems: Problems) -> Paper | None:
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
    if fields["arxiv_id"] and not arxiv_id_of(fields["arxiv_id"]):
        problems.add(
            line,
            "invalid arXiv id",
            f"field 'arxiv_id' must be an arXiv id such as 2403.03507 or hep-th/9901001, "
            f"got {fields['arxiv_id'][:40]!r}; field ignored",
        )
    fields["arxiv_id"] = (
        arxiv_id_of(fields["arxiv_id"]) or arxiv_id_of(fields["id"]) or arxiv_id_of(fields["url"], url=True)
    )
    return build_paper(problems, line, fields)


def _parse_jsonl(text: str, problems: Problems) -> list[Paper]:
    papers = []
    for number, line in numbered_lines(text, problems):
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


def _parse_csv(text: str, problems: Problems) -> list[Paper]:
    csv.field_size_limit(MAX_LINE_CHARS * 2)
    reader = csv.DictReader(line + "\n" for line in iter_lines(text))
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
