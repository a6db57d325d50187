"""Paper-level reranking of hybrid results: evidence that a whole paper is about the query.

Fusion ranks each paper by its best chunk, and a chunk's single vector blurs a paper whose topic
is one sentence of its abstract ("We propose ... distillation through attention") among generic
words that many papers share ("training", "models"). Three signals per candidate paper, each
in [0, 1] and added to the fused score with a weight from Settings:

* sentence similarity: the mean cosine of the paper's two sentences closest to the query;
* title coverage: the IDF-weighted share of the query's key words in the title (a title is
  what the paper is about);
* phrase coverage: the IDF-weighted share of the query's word pairs ("knowledge distillation",
  "scaling laws") found as phrases in the title or abstract.

All three come from what the index already holds (sentence vectors, IDF); nothing is embedded.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np

from rag.snapshot import IndexSnapshot
from rag.text import content_terms, coverage, key_phrases, stem_sequence, stems_contain, topic_terms
from rag.types import Hit, RerankWeights


def rerank(
    hits: list[Hit],
    query: str,
    query_vector: np.ndarray,
    snapshot: IndexSnapshot,
    weights: RerankWeights,
    bonuses: dict[str, float] | None = None,
) -> list[Hit]:
    """``hits`` reordered by fused score plus the weighted paper signals; scores are the new sums.

    ``bonuses`` (paper_id -> signal sum) is read and filled: a paper's signals depend only on the
    query, so a second retrieval pass for the same query (feedback) computes only new papers'."""
    if not hits or not weights.active:
        return hits
    bonuses = {} if bonuses is None else bonuses
    new = [h for h in hits if h.paper_id not in bonuses]
    if new:
        bonuses.update(_paper_bonuses(new, query, query_vector, snapshot, weights))
    scored = [replace(hit, score=hit.score + bonuses[hit.paper_id]) for hit in hits]
    return sorted(scored, key=lambda h: h.score, reverse=True)


def _paper_bonuses(
    hits: list[Hit], query: str, query_vector: np.ndarray, snapshot: IndexSnapshot, weights: RerankWeights
) -> dict[str, float]:
    sentences = snapshot.sentences_for([h.paper_id for h in hits])
    idf, unseen = snapshot.idf
    terms = topic_terms(query)
    pairs = word_pairs(query)
    unit_query = query_vector / max(float(np.linalg.norm(query_vector)), 1e-12)
    bonuses = {}
    for hit in hits:
        texts = [s.text for s in sentences.get(hit.paper_id, [])]
        vectors = [s.vector for s in sentences.get(hit.paper_id, [])]
        bonuses[hit.paper_id] = (
            weights.sentence * closest_sentences(vectors, unit_query)
            + weights.title * coverage(terms, _title_terms(hit.title), idf, unseen)
            + weights.phrase * phrase_coverage(pairs, f"{hit.title}. {' '.join(texts)}", idf, unseen)
        )
    return bonuses


def word_pairs(query: str) -> list[tuple[str, str]]:
    """Adjacent content-word pairs of the query's phrases ("post training quantization" gives
    (post, train) and (train, quantiz))."""
    return [(phrase[i], phrase[i + 1]) for phrase in key_phrases(query) for i in range(len(phrase) - 1)]


def phrase_coverage(pairs: list[tuple[str, str]], text: str, idf: dict[str, float], unseen: float) -> float:
    """IDF-weighted share of the pairs that occur as phrases in ``text``."""
    if not pairs:
        return 0.0
    weights = [idf.get(a, unseen) + idf.get(b, unseen) for a, b in pairs]
    stems = _stems(text)
    found = sum(w for w, pair in zip(weights, pairs, strict=True) if stems_contain(stems, pair))
    return found / sum(weights) if sum(weights) else 0.0


# A paper's title and abstract are reranked again by every query that retrieves it.
@lru_cache(maxsize=4096)
def _stems(text: str) -> tuple[str, ...]:
    return tuple(stem_sequence(text))


@lru_cache(maxsize=4096)
def _title_terms(title: str) -> frozenset[str]:
    return frozenset(content_terms(title))


def closest_sentences(vectors: list[np.ndarray], unit_query: np.ndarray, top: int = 2) -> float:
    """Mean cosine of the ``top`` sentences closest to the query (one close sentence can be a
    passing mention; two say the paper is about it)."""
    if not vectors:
        return 0.0
    matrix = np.stack(vectors).astype(np.float32)
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    similarities = np.sort(matrix @ unit_query.astype(np.float32))
    return float(similarities[-top:].mean())
