"""The one data model shared by every layer; each result's ``to_dict()`` is exactly the CLI's ``--json``."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from typing import Any, Literal, get_args

RetrievalMode = Literal["hybrid", "dense", "bm25"]
AnswerMode = Literal["auto", "extractive", "llm"]
RETRIEVAL_MODES: tuple[str, ...] = get_args(RetrievalMode)
ANSWER_MODES: tuple[str, ...] = get_args(AnswerMode)


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
    arxiv_id: str = ""

    @cached_property
    def content_hash(self) -> str:
        """Changes exactly when what gets embedded or shown changes; drives incremental ingest."""
        parts = [self.title, self.abstract, self.url, self.year, self.authors, " ".join(self.links)]
        if self.arxiv_id:  # only when given, so indexes built before the field keep their hashes
            parts.append(self.arxiv_id)
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
class RerankWeights:
    """How much each per-paper signal adds to a hybrid hit's fused score (rag/rerank.py)."""

    sentence: float
    title: float
    phrase: float

    @property
    def active(self) -> bool:
        return bool(self.sentence or self.title or self.phrase)


@dataclass(frozen=True)
class Hit:
    """A retrieved paper: from search, its best chunk and score; in an answer, numbered [n] with its sentences."""

    paper_id: str
    title: str
    score: float
    text: str
    source: str = ""
    links: tuple[str, ...] = ()
    n: int = 0
    sentences: tuple[str, ...] = ()
    # Bibliographic fields when the corpus file gave them (JSONL/CSV), else "".
    url: str = ""
    year: str = ""
    authors: str = ""
    arxiv_id: str = ""

    def numbered(self, n: int, sentences: tuple[str, ...]) -> Hit:
        return replace(self, n=n, sentences=sentences, text=" ".join(sentences) or self.text)

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any], score: float, text: str) -> Hit:
        """A hit for the paper a chunk's metadata describes."""
        return cls(
            paper_id=metadata["paper_id"],
            title=metadata["title"],
            score=score,
            text=text,
            source=metadata.get("source", ""),
            links=tuple(metadata.get("links", "").split()),
            url=metadata.get("url", ""),
            year=str(metadata.get("year", "") or ""),
            authors=metadata.get("authors", ""),
            arxiv_id=metadata.get("arxiv_id", ""),
        )

    def bibliographic(self) -> dict[str, str]:
        return {
            k: v
            for k, v in (("url", self.url), ("year", self.year), ("authors", self.authors), ("arxiv_id", self.arxiv_id))
            if v
        }

    def to_dict(self) -> dict[str, Any]:
        if self.n:
            return {
                "n": self.n,
                "paper_id": self.paper_id,
                "title": self.title,
                "text": self.text,
                **self.bibliographic(),
            }
        return {
            "paper_id": self.paper_id,
            "title": self.title,
            "score": round(self.score, 6),
            "text": self.text,
            **self.bibliographic(),
        }


class SearchResults(list):
    """Hits, best first."""

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
class AnswerSentence:
    text: str
    citations: tuple[int, ...]
    support: float
    supported: bool
    evidence: tuple[str, ...] = ()  # the verbatim abstract sentences that support it
    lead: str = ""  # text the code writes before a quote (the paper's short name); never a claim

    @property
    def cited_text(self) -> str:  # "... memory [2] [5]"
        return self.text + "".join(f" [{n}]" for n in self.citations)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "citations": list(self.citations),
            "support": round(self.support, 4),
            "supported": self.supported,
            "evidence": list(self.evidence),
            **({"lead": self.lead} if self.lead else {}),
        }


NoticeCode = Literal[
    "llm_unavailable", "followup_not_rewritten", "invalid_citations", "uncited_answer", "theme_llm_unavailable"
]


@dataclass(frozen=True)
class Notice:
    """Something the reader should know about an answer. ``fallback``: another answerer stood in."""

    code: NoticeCode
    message: str
    fallback: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _notice_fields(notices: list[Notice]) -> dict[str, Any]:
    if not notices:
        return {}
    return {"notice": "; ".join(n.message for n in notices), "notices": [n.to_dict() for n in notices]}


@dataclass
class Answer:
    answer: str
    abstained: bool
    citations: list[Citation]
    sources: list[Hit]
    mode: str = "extractive"
    sentences: list[AnswerSentence] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    # Set when a follow-up was rewritten into a standalone question before retrieval.
    standalone_question: str = ""
    # Citation numbers the LLM wrote that name no source (removed from ``answer``).
    invalid_citations: list[int] = field(default_factory=list)
    # "passage" (quotes grouped per paper) or "list" (one line per paper: list and compare questions).
    layout: str = "passage"

    @property
    def notice(self) -> str:
        return "; ".join(n.message for n in self.notices)

    @property
    def fallback(self) -> bool:
        """True when the configured answerer failed and another one answered."""
        return any(n.fallback for n in self.notices)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "sources": [s.to_dict() for s in self.sources],
            "mode": self.mode,
            "sentences": [s.to_dict() for s in self.sentences],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            **_notice_fields(self.notices),
        }
        if self.invalid_citations:
            data["invalid_citations"] = self.invalid_citations
        if self.standalone_question:
            data["standalone_question"] = self.standalone_question
        return data | ({"layout": self.layout} if self.layout != "passage" else {})


@dataclass(frozen=True)
class AskEvent:
    """``stage`` events as the work moves on (``text``: "loading the index", "retrieving",
    "answering"), ``token`` events while the LLM writes, then one ``answer``."""

    kind: Literal["stage", "token", "answer"]
    text: str = ""
    answer: Answer | None = None


@dataclass(frozen=True)
class AskOptions:
    """The parameters of a question, with their bounds; the CLI, API and UI declare theirs from these."""

    k: int | None = None
    mode: RetrievalMode | None = None
    source: str | None = None
    answer_mode: AnswerMode | None = None
    history: tuple[dict[str, str], ...] = ()

    K_MIN, K_MAX = 1, 50
    MAX_HISTORY_TURNS, MAX_TURN_CHARS = 40, 20_000


@dataclass(frozen=True)
class IndexStatus:
    papers: int
    chunks: int
    sentences: int
    embedding_model: str
    embedding_dim: int | None
    store: str
    collection: str
    last_ingest: str | None
    # Bumped by every ingest that changes the index; a running server reloads when it moves.
    generation: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SummaryPaper:
    n: int
    paper_id: str
    title: str
    url: str
    contribution: str
    relevance: float
    arxiv_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "relevance": round(self.relevance, 4)}


@dataclass
class Theme:
    name: str
    papers: list[int]
    sentences: list[AnswerSentence]

    @property
    def text(self) -> str:
        if all(s.lead for s in self.sentences):  # quoted: "**A** [1]: quote; **B** [2]: quote."
            quotes = [f"**{s.lead}** [{s.citations[0]}]: {s.text.rstrip('.')}" for s in self.sentences]
            return "; ".join(quotes) + "."
        return " ".join(s.cited_text for s in self.sentences)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "text": self.text,
            "papers": self.papers,
            "sentences": [s.to_dict() for s in self.sentences],
        }


@dataclass
class Summary:
    """A cited summary of a subfield; ``covered`` is False (no themes) when the papers do not cover it."""

    topic: str
    covered: bool
    papers_considered: int
    themes: list[Theme] = field(default_factory=list)
    papers: list[SummaryPaper] = field(default_factory=list)
    mode: str = "extractive"
    notices: list[Notice] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)

    notice = property(lambda self: "; ".join(n.message for n in self.notices))

    @property
    def scope(self) -> str:
        if not self.covered:
            return f"The indexed papers do not cover “{self.topic}” ({self.papers_considered} papers considered)."
        themes = f"{len(self.themes)} theme{'s' if len(self.themes) != 1 else ''}"
        return f"{len(self.papers)} of {self.papers_considered} retrieved papers are on “{self.topic}”, in {themes}."

    def bibliography(self) -> list[dict[str, Any]]:
        return [{"n": p.n, "paper_id": p.paper_id, "title": p.title, "url": p.url} for p in self.papers]

    def to_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "covered": self.covered,
            "scope": self.scope,
            "papers_considered": self.papers_considered,
            "papers_kept": len(self.papers),
            "mode": self.mode,
            "themes": [t.to_dict() for t in self.themes],
            "papers": [p.to_dict() for p in self.papers],
            "bibliography": self.bibliography(),
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            **_notice_fields(self.notices),
        }

    def to_markdown(self) -> str:
        from rag.markdown import summary_markdown

        return summary_markdown(self)
