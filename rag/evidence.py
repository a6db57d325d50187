"""Evidence: everything an answerer needs about one question, gathered once.

The question is retrieved against the current index snapshot; the retrieved papers'
sentences are scored against it (cosine + lexical_weight x share of the question's
content words); answerability is decided here, once, for every answerer: weak best
evidence, or a name no indexed text contains, means the papers do not answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rag.config import AnswerSettings
from rag.retrieval import HybridRetriever, Retrieval
from rag.store import PaperStore, StoredSentence
from rag.text import content_terms, sentence_score
from rag.types import Hit, RetrievalMode


@dataclass(frozen=True)
class ScoredSentence:
    sentence: StoredSentence
    paper_rank: int
    cosine: float
    score: float


@dataclass
class Evidence:
    question: str
    query_vector: np.ndarray
    hits: list[Hit]
    # Each retrieved paper's sentences, in abstract order, with their vectors.
    sentences: dict[str, list[StoredSentence]]
    # Every sentence of the retrieved papers, best first.
    scored: list[ScoredSentence]
    # Stemmed content words of the question.
    focus_terms: set[str]
    unknown_names: tuple[str, ...] = ()
    answerable: bool = True
    settings: AnswerSettings = field(default_factory=AnswerSettings)

    @property
    def strength(self) -> float:
        """How well the best sentence matches the question; compared with abstain_threshold."""
        return self.scored[0].score if self.scored else 0.0

    def sources(self, cited_order: list[str] | None = None) -> list[Hit]:
        """Papers numbered [1]..[k]: cited ones first in the order cited, then the rest as retrieved."""
        cited_order = cited_order or []
        order = cited_order + [h.paper_id for h in self.hits if h.paper_id not in cited_order]
        by_id = {h.paper_id: h for h in self.hits}
        return [
            by_id[paper_id].numbered(n, tuple(s.text for s in self.sentences.get(paper_id, [])))
            for n, paper_id in enumerate(order, start=1)
        ]


def score_sentences(
    retrieval: Retrieval, sentences: dict[str, list[StoredSentence]], lexical_weight: float
) -> list[ScoredSentence]:
    query_terms = content_terms(retrieval.query)
    scored = []
    for rank, hit in enumerate(retrieval.hits):
        for sentence in sentences.get(hit.paper_id, []):
            cosine = float(sentence.vector @ retrieval.query_vector)
            score = sentence_score(sentence, query_terms, retrieval.query_vector, lexical_weight)
            scored.append(ScoredSentence(sentence, rank, cosine, score))
    return sorted(scored, key=lambda s: (-s.score, s.paper_rank, s.sentence.position))


def is_answerable(strength: float, unknown_names: tuple[str, ...], settings: AnswerSettings) -> bool:
    """Strong enough best evidence, and no name the index has never seen (unless the evidence is very strong)."""
    if strength < settings.abstain_threshold:
        return False
    return not unknown_names or strength >= settings.unknown_name_override


def gather_evidence(
    retriever: HybridRetriever,
    store: PaperStore,
    question: str,
    k: int,
    mode: RetrievalMode,
    source: str | None,
    settings: AnswerSettings,
) -> Evidence:
    retrieval = retriever.retrieve(question, k=k, mode=mode, source=source)
    sentences = store.sentences_for([h.paper_id for h in retrieval.hits])
    scored = score_sentences(retrieval, sentences, settings.lexical_weight)
    strength = scored[0].score if scored else 0.0
    return Evidence(
        question=question,
        query_vector=retrieval.query_vector,
        hits=retrieval.hits,
        sentences=sentences,
        scored=scored,
        focus_terms=content_terms(question),
        unknown_names=retrieval.unknown_names,
        answerable=is_answerable(strength, retrieval.unknown_names, settings),
        settings=settings,
    )
