"""Per-paper reranking signals (rag/rerank.py) on hand-made papers: no model, no index."""

from __future__ import annotations

import numpy as np

from rag.rerank import closest_sentences, phrase_coverage, rerank, word_pairs
from rag.store import StoredSentence
from rag.text import content_terms
from rag.types import Hit, RerankWeights
from tests.fakes import bow_vector


class _Snapshot:
    """What rerank reads from an index snapshot: sentences by paper, and IDF."""

    def __init__(self, papers: dict[str, list[str]], rare: set[str]) -> None:
        self.papers = papers
        words = {w for texts in papers.values() for t in texts for w in content_terms(t)}
        self.idf = ({w: 3.0 if w in rare else 0.2 for w in words}, 2.0)

    def sentences_for(self, paper_ids: list[str]) -> dict[str, list[StoredSentence]]:
        return {
            pid: [StoredSentence(pid, i, t, bow_vector(t)) for i, t in enumerate(self.papers[pid])] for pid in paper_ids
        }


def test_word_pairs_are_adjacent_content_words_and_match_as_phrases_only():
    pairs = word_pairs("What knowledge distillation methods exist?")
    assert ("knowledg", "distil") in pairs
    idf = {"knowledg": 1.0, "distil": 1.0, "method": 1.0}
    assert phrase_coverage([("knowledg", "distil")], "We use knowledge distillation to ...", idf, 1.0) == 1.0
    # The same words, not as a phrase: "distillation of prior knowledge".
    assert phrase_coverage([("knowledg", "distil")], "Distillation of prior knowledge ...", idf, 1.0) == 0.0
    assert phrase_coverage([], "anything", idf, 1.0) == 0.0


def test_closest_sentences_is_the_mean_of_the_two_best_cosines():
    query = np.array([1.0, 0.0], dtype=np.float32)
    vectors = [np.array(v, dtype=np.float32) for v in ([1, 0], [0, 1], [1, 1], [-1, 0])]
    assert closest_sentences(vectors, query) == np.float32((1.0 + 2**-0.5) / 2)
    assert closest_sentences([], query) == 0.0


def test_a_paper_about_the_topic_overtakes_one_that_only_shares_generic_words():
    query = "knowledge distillation for smaller models"
    papers = {
        "generic": ["Training smaller models for many tasks.", "Models are trained with more data."],
        "topic": ["We propose knowledge distillation through attention.", "The student learns from a teacher."],
    }
    hits = [
        Hit("generic", "Training Smaller Models", 0.9, ""),
        Hit("topic", "Knowledge Distillation through Attention", 0.7, ""),
    ]
    snapshot = _Snapshot(papers, rare=content_terms("knowledge distillation"))
    vector = bow_vector(query)
    reranked = rerank(hits, query, vector, snapshot, RerankWeights(0.5, 0.3, 0.3))
    assert [h.paper_id for h in reranked] == ["topic", "generic"]
    # With no weight the fused order stands, scores untouched.
    unchanged = rerank(hits, query, vector, snapshot, RerankWeights(0.0, 0.0, 0.0))
    assert [(h.paper_id, h.score) for h in unchanged] == [("generic", 0.9), ("topic", 0.7)]


def test_a_second_pass_for_the_same_query_scores_only_the_papers_it_has_not_seen():
    query = "knowledge distillation for smaller models"
    papers = {
        "a": ["We propose knowledge distillation through attention."],
        "b": ["Training smaller models for many tasks."],
        "c": ["Distillation of a teacher into a smaller student."],
    }
    snapshot = _Snapshot(papers, rare=content_terms("knowledge distillation"))
    reads: list[list[str]] = []
    real = snapshot.sentences_for
    snapshot.sentences_for = lambda ids: reads.append(list(ids)) or real(ids)
    vector, weights = bow_vector(query), RerankWeights(0.5, 0.3, 0.3)
    bonuses: dict[str, float] = {}
    first = rerank([Hit("a", "A", 0.9, ""), Hit("b", "B", 0.8, "")], query, vector, snapshot, weights, bonuses)
    second = rerank([Hit("c", "C", 0.5, ""), Hit("a", "A", 0.4, "")], query, vector, snapshot, weights, bonuses)
    assert reads == [["a", "b"], ["c"]]
    # The remembered signals are the ones a fresh rerank computes.
    fresh = rerank([Hit("c", "C", 0.5, ""), Hit("a", "A", 0.4, "")], query, vector, snapshot, weights)
    assert [(h.paper_id, round(h.score, 6)) for h in second] == [(h.paper_id, round(h.score, 6)) for h in fresh]
    assert {h.paper_id: round(h.score - 0.9, 6) for h in first if h.paper_id == "a"} == {"a": round(bonuses["a"], 6)}
