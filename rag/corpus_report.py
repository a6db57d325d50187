"""Bounded problem reports for one corpus file.

A corpus file may hold millions of broken lines; what is reported about it must stay small.
:class:`Problems` keeps the first :data:`MAX_ISSUES_PER_FILE` problems in full and then one
count per kind, and it counts the lines that did not give a record so the parser can reject
a file that is mostly not records. Kept apart from the parsing so every parser (text
decoding, listings, JSONL, CSV, merging) reports through the same bounded channel.
"""

from __future__ import annotations

from collections import Counter

from rag.types import CorpusIssue

# Problems reported per file in full; the rest are counted per kind.
MAX_ISSUES_PER_FILE = 20
# A file is rejected whole when more than this share of its lines (rows, for CSV) are not
# valid records, once it has at least MIN_LINES_TO_JUDGE of them.
MAX_BAD_LINE_FRACTION = 0.5
MIN_LINES_TO_JUDGE = 20


class Problems:
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
