"""Turn messy corpus files into paper records.

Three input shapes are accepted:

* listing dumps (``.txt``/``.md``): a title line followed by an abstract line, with page
  noise (banners, dates, "Subscribe") and inconsistent blank lines between them;
* JSON Lines (``.jsonl``): one object per line with ``title`` and ``abstract``;
* CSV (``.csv``) with a header row naming at least ``title`` and ``abstract``.

Optional fields in JSONL/CSV: ``id``, ``url``, ``year``, ``authors``, ``arxiv_id`` (also taken
from an ``id`` or ``url`` that is an arXiv id or an arxiv.org/abs|pdf address).

Nothing here raises on bad input: every problem becomes a :class:`CorpusIssue` naming the
file and line, and the rest of the corpus still parses. What is reported stays bounded: the
first :data:`MAX_ISSUES_PER_FILE` problems of a file in full, then one count per kind. A
record is stored only when it is plausible (a title with letters, an abstract of real text);
a file that is binary, or whose lines are mostly not valid records, is rejected whole with
one error.

The work is split by concept: this module reads files and merges their records
(:func:`parse_corpus`, :func:`parse_file`, :func:`corpus_files`) and re-exports the public
names of the others, so ``from rag.corpus import ...`` keeps working:

* :mod:`rag.corpus_text`: decoding, line splitting, character repair, plausibility;
* :mod:`rag.corpus_formats`: the listing, JSONL and CSV record parsers;
* :mod:`rag.corpus_ids`: title normalisation, paper ids, duplicate and collision checks;
* :mod:`rag.corpus_report`: bounded per-file problem reports.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from rag.corpus_formats import (
    ABSTRACT_MIN_CHARS,
    ABSTRACT_MIN_WORDS,
    GLUED_NOISE_PREFIX,
    LISTING_SUFFIXES,
    MONTHS,
    NOISE_LINE,
    OPTIONAL_FIELDS,
    PARSERS,
    SUPPORTED_SUFFIXES,
    parse_listing,
)
from rag.corpus_ids import colliding_id, normalize_title, paper_id_for, same_abstract
from rag.corpus_report import MAX_BAD_LINE_FRACTION, MAX_ISSUES_PER_FILE, MIN_LINES_TO_JUDGE, Problems
from rag.corpus_text import (
    ABSTRACT_MIN_LETTER_FRACTION,
    ABSTRACT_MIN_LETTERS,
    BAD_CHAR,
    BINARY_SNIFF_BYTES,
    CONTROL_BYTES,
    HIGH_BYTES,
    INVALID_CHARS,
    LETTER,
    MAX_BAD_FRACTION,
    MAX_CONTROL_BYTE_FRACTION,
    MAX_CP1252_HIGH_BYTE_FRACTION,
    MAX_LINE_CHARS,
    TITLE_MAX_CHARS,
    URL,
    decode_text,
    extract_links,
    implausibility,
)
from rag.types import CorpusIssue, Paper

__all__ = [
    "ABSTRACT_MIN_CHARS",
    "ABSTRACT_MIN_LETTERS",
    "ABSTRACT_MIN_LETTER_FRACTION",
    "ABSTRACT_MIN_WORDS",
    "BAD_CHAR",
    "BINARY_SNIFF_BYTES",
    "CONTROL_BYTES",
    "GLUED_NOISE_PREFIX",
    "HIGH_BYTES",
    "INVALID_CHARS",
    "LETTER",
    "LISTING_SUFFIXES",
    "MAX_BAD_FRACTION",
    "MAX_BAD_LINE_FRACTION",
    "MAX_CONTROL_BYTE_FRACTION",
    "MAX_CP1252_HIGH_BYTE_FRACTION",
    "MAX_ISSUES_PER_FILE",
    "MAX_LINE_CHARS",
    "MIN_LINES_TO_JUDGE",
    "MONTHS",
    "NOISE_LINE",
    "OPTIONAL_FIELDS",
    "PARSERS",
    "SUPPORTED_SUFFIXES",
    "TITLE_MAX_CHARS",
    "URL",
    "ParseResult",
    "corpus_files",
    "extract_links",
    "implausibility",
    "normalize_title",
    "paper_id_for",
    "parse_corpus",
    "parse_file",
    "same_abstract",
]


@dataclass
class ParseResult:
    papers: list[Paper] = field(default_factory=list)
    issues: list[CorpusIssue] = field(default_factory=list)
    duplicates: int = 0
    files: int = 0


def _display(path: Path) -> str:
    """The path as text that can always be printed and stored (undecodable bytes as \\xNN)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


# --- files ---------------------------------------------------------------------------------


def _parse_path(path: Path) -> tuple[list[Paper], Problems]:
    problems = Problems(_display(path))
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.add(0, "unreadable", f"cannot read file ({exc.strerror or exc}); skipped", "error")
        return [], problems
    if not raw.strip():
        problems.add(0, "empty file", "empty file; nothing to ingest")
        return [], problems
    text = decode_text(raw, problems)
    del raw
    if text is None:
        return [], problems
    suffix = path.suffix.lower()
    papers = PARSERS.get(suffix, parse_listing)(text, problems)
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
                new_id = colliding_id(paper, taken)
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
