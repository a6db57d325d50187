"""The embedded default: grounded, extractive answers with [n] citations.

No generative model is involved. The answer is made only of sentences copied from the
retrieved abstracts, each followed by the number of the paper it came from. When the
best evidence is weak the answer abstains instead of quoting loosely related text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from rag.config import Settings
from rag.prompts import NOT_IN_CORPUS
from rag.retrieval import PaperHit, Retrieval
from rag.store import StoredSentence
from rag.types import Answer, AnswerSentence, Citation, Source

ABSTAIN_MESSAGE = NOT_IN_CORPUS
# Evidence this strong wins over an unknown name (the name may be a synonym or a typo).
UNKNOWN_NAME_OVERRIDE = 0.70
# Weight of query-term overlap next to cosine similarity: exact terms (model names,
# datasets, numbers) matter in paper questions and MiniLM underweights them.
LEXICAL_WEIGHT = 0.35
# A sentence joins the answer only if it scores within this fraction of the best one.
RELATIVE_FLOOR = 0.8
# Sentences this similar to one already chosen repeat it (near-duplicate abstracts).
REDUNDANCY_COSINE = 0.92


@dataclass(frozen=True)
class ScoredSentence:
    sentence: StoredSentence
    paper_rank: int
    cosine: float
    score: float


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN) | {
        "paper",
        "papers",
        "propose",
        "proposed",
        "method",
        "approach",
        "use",
        "used",
        "using",
        "work",
    }


def content_terms(text: str) -> set[str]:
    """Stemmed words that carry meaning; same stemmer and stopword list as the BM25 retriever."""
    words = [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _stopwords() and len(w) > 1]
    return set(_stemmer().stemWords(words))


def lexical_overlap(query_terms: set[str], text: str) -> float:
    if not query_terms:
        return 0.0
    return len(query_terms & content_terms(text)) / len(query_terms)


def sentence_score(sentence: StoredSentence, query_terms: set[str], query_vector: np.ndarray) -> float:
    """How well a sentence answers a query: cosine + 0.35 x share of the query's words it holds."""
    return float(sentence.vector @ query_vector) + LEXICAL_WEIGHT * lexical_overlap(query_terms, sentence.text)


def score_sentences(retrieval: Retrieval, sentences: dict[str, list[StoredSentence]]) -> list[ScoredSentence]:
    query_terms = content_terms(retrieval.query)
    scored = []
    for rank, hit in enumerate(retrieval.hits):
        for sentence in sentences.get(hit.paper_id, []):
            cosine = float(sentence.vector @ retrieval.query_vector)
            score = sentence_score(sentence, query_terms, retrieval.query_vector)
            scored.append(ScoredSentence(sentence, rank, cosine, score))
    return sorted(scored, key=lambda s: (-s.score, s.paper_rank, s.sentence.position))


def evidence_strength(scored: list[ScoredSentence]) -> float:
    """How well the best sentence matches the question; compared with settings.abstain_threshold."""
    return scored[0].score if scored else 0.0


def select_sentences(scored: list[ScoredSentence], settings: Settings) -> list[ScoredSentence]:
    chosen: list[ScoredSentence] = []
    per_paper: dict[str, int] = {}
    floor = scored[0].score * RELATIVE_FLOOR if scored else 0.0
    for candidate in scored:
        if len(chosen) == settings.max_answer_sentences or candidate.score < floor:
            break
        paper_id = candidate.sentence.paper_id
        if per_paper.get(paper_id, 0) >= settings.max_sentences_per_paper:
            continue
        if any(float(candidate.sentence.vector @ c.sentence.vector) > REDUNDANCY_COSINE for c in chosen):
            continue
        chosen.append(candidate)
        per_paper[paper_id] = per_paper.get(paper_id, 0) + 1
    return chosen


def number_sources(
    hits: list[PaperHit], cited_order: list[str], sentences: dict[str, list[StoredSentence]]
) -> list[Source]:
    """Number papers [1]..[k]: cited papers first in the order the answer cites them, then the rest."""
    order = cited_order + [h.paper_id for h in hits if h.paper_id not in cited_order]
    by_id = {h.paper_id: h for h in hits}
    sources = []
    for n, paper_id in enumerate(order, start=1):
        hit = by_id[paper_id]
        paper_sentences = tuple(s.text for s in sentences.get(paper_id, []))
        sources.append(
            Source(
                n=n,
                paper_id=paper_id,
                title=hit.title,
                text=" ".join(paper_sentences) or hit.text,
                source=hit.source,
                links=hit.links,
                score=hit.score,
                sentences=paper_sentences,
            )
        )
    return sources


def should_abstain(retrieval: Retrieval, scored: list[ScoredSentence], settings: Settings) -> bool:
    """Weak best evidence, or the question names something no indexed paper mentions."""
    strength = evidence_strength(scored)
    if strength < settings.abstain_threshold:
        return True
    return bool(retrieval.unknown_names) and strength < UNKNOWN_NAME_OVERRIDE


def abstention(retrieval: Retrieval, sentences: dict[str, list[StoredSentence]]) -> Answer:
    """No answer, no citations; the closest papers still come back as sources for the reader."""
    message = ABSTAIN_MESSAGE
    if retrieval.unknown_names:
        names = ", ".join(repr(name) for name in retrieval.unknown_names)
        message += f" None of them mentions {names}."
    return Answer(answer=message, abstained=True, citations=[], sources=number_sources(retrieval.hits, [], sentences))


def extractive_answer(retrieval: Retrieval, sentences: dict[str, list[StoredSentence]], settings: Settings) -> Answer:
    """Quote the best sentences of the retrieved abstracts, or abstain; ``sentences`` per paper_id."""
    scored = score_sentences(retrieval, sentences)
    if should_abstain(retrieval, scored, settings):
        return abstention(retrieval, sentences)

    chosen = select_sentences(scored, settings)
    cited_order = list(dict.fromkeys(c.sentence.paper_id for c in chosen))
    sources = number_sources(retrieval.hits, cited_order, sentences)
    number_of = {s.paper_id: s.n for s in sources}

    # Read like a passage: papers in citation order, each paper's sentences in abstract order.
    ordered = sorted(chosen, key=lambda c: (cited_order.index(c.sentence.paper_id), c.sentence.position))
    answer_sentences = [
        AnswerSentence(
            text=c.sentence.text,
            citations=(number_of[c.sentence.paper_id],),
            support=1.0,
            supported=True,
            evidence=(c.sentence.text,),
        )
        for c in ordered
    ]
    paragraphs = []
    for paper_id in cited_order:
        n = number_of[paper_id]
        paragraphs.append(" ".join(f"{s.text} [{n}]" for s in answer_sentences if s.citations == (n,)))
    citations = [
        Citation(n=number_of[pid], paper_id=pid, title=sources[number_of[pid] - 1].title) for pid in cited_order
    ]
    return Answer(
        answer="\n\n".join(paragraphs),
        abstained=False,
        citations=citations,
        sources=sources,
        mode="extractive",
        sentences=answer_sentences,
    )
