"""Plain data types shared by every layer (library, CLI, HTTP API, UI, eval).

Each result type has ``to_dict()``, whose output is exactly the CLI's ``--json`` output.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class Paper:
    """One paper record parsed from the corpus."""

    paper_id: str
    title: str
    abstract: str
    source: str
    line: int = 0
    links: tuple[str, ...] = ()
    url: str = ""
    year: str = ""
    authors: str = ""
    external_id: str = ""

    @cached_property
    def content_hash(self) -> str:
        """Changes exactly when what gets embedded or shown changes; drives incremental ingest."""
        parts = [self.title, self.abstract, self.url, self.year, self.authors, " ".join(self.links)]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class CorpusIssue:
    """A problem found while reading the corpus, pinned to a file and line."""

    path: str
    line: int
    message: str
    severity: str = "warning"  # "warning": record skipped or repaired; "error": file skipped

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class SearchHit:
    paper_id: str
    title: str
    score: float
    text: str
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"paper_id": self.paper_id, "title": self.title, "score": round(self.score, 6), "text": self.text}


class SearchResults(list):
    """A list of SearchHit, best first, that serialises like the CLI's JSON."""

    def to_dict(self) -> list[dict[str, Any]]:
        return [hit.to_dict() for hit in self]


@dataclass(frozen=True)
class Citation:
    n: int
    paper_id: str
    title: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Source:
    """A retrieved paper shown to the reader, numbered [n] per paper."""

    n: int
    paper_id: str
    title: str
    text: str
    source: str = ""
    links: tuple[str, ...] = ()
    score: float = 0.0
    sentences: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "paper_id": self.paper_id, "title": self.title, "text": self.text}


@dataclass(frozen=True)
class AnswerSentence:
    text: str
    citations: tuple[int, ...]
    support: float
    supported: bool
    # The source sentences that support it (verbatim from the abstracts), for the reader to check.
    evidence: tuple[str, ...] = ()

    @property
    def cited_text(self) -> str:
        """The sentence followed by its markers: "... memory [2] [5]"."""
        return self.text + "".join(f" [{n}]" for n in self.citations)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "citations": list(self.citations),
            "support": round(self.support, 4),
            "supported": self.supported,
            "evidence": list(self.evidence),
        }


@dataclass
class Answer:
    answer: str
    abstained: bool
    citations: list[Citation]
    sources: list[Source]
    mode: str = "extractive"
    sentences: list[AnswerSentence] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    notice: str = ""
    # Set when a follow-up was rewritten into a standalone question before retrieval.
    standalone_question: str = ""
    # Citation numbers the LLM wrote that name no source (removed from ``answer``).
    invalid_citations: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "sources": [s.to_dict() for s in self.sources],
            "mode": self.mode,
            "sentences": [s.to_dict() for s in self.sentences],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }
        if self.notice:
            data["notice"] = self.notice
        if self.invalid_citations:
            data["invalid_citations"] = self.invalid_citations
        if self.standalone_question:
            data["standalone_question"] = self.standalone_question
        return data
