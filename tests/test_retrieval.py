"""Retrieval quality on the real corpus, with the three modes side by side."""

from __future__ import annotations

from dataclasses import replace

import pytest

import rag
from rag.corpus import normalize_title
from rag.retrieval import HybridRetriever
from tests.conftest import load_questions

QUESTIONS = load_questions()
FACTOID = [q for q in QUESTIONS if q["kind"] == "factoid"]
SYNTHESIS = [q for q in QUESTIONS if q["kind"] == "synthesis"]


def _gold_ranks(question: dict, mode: str, settings, k: int = 10) -> list[int]:
    gold = {normalize_title(t) for t in question["gold_titles"]}
    hits = rag.search(question["question"], k=k, mode=mode, settings=settings)
    return [rank for rank, hit in enumerate(hits, start=1) if normalize_title(hit.title) in gold]


@pytest.fixture(scope="module")
def factoid_ranks(full_settings):
    return {
        mode: [(_gold_ranks(q, mode, full_settings) or [None])[0] for q in FACTOID]
        for mode in ("hybrid", "dense", "bm25")
    }


def _recall_at(ranks, k):
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def _mrr(ranks):
    return sum(1 / r for r in ranks if r is not None) / len(ranks)


def test_question_set_has_enough_factoids_with_near_duplicate_cases():
    assert len(FACTOID) >= 40
    titles = {t for q in FACTOID for t in q["gold_titles"]}
    assert sum("GaLore" in t for t in titles) == 3 and sum("Grokking" in t for t in titles) == 2


def test_hybrid_recall_at_5_and_mrr_on_paraphrased_questions(factoid_ranks):
    print("\nmode     recall@1 recall@5 recall@10   MRR")
    for mode, ranks in factoid_ranks.items():
        print(
            f"{mode:8s} {_recall_at(ranks, 1):8.3f} {_recall_at(ranks, 5):8.3f} {_recall_at(ranks, 10):9.3f} "
            f"{_mrr(ranks):6.3f}"
        )
    hybrid = factoid_ranks["hybrid"]
    misses = [(q["id"], r) for q, r in zip(FACTOID, hybrid, strict=True) if r != 1]
    assert _recall_at(hybrid, 5) >= 0.97, misses
    assert _mrr(hybrid) >= 0.95, misses


def test_hybrid_finds_as_many_topic_papers_as_the_better_single_mode(full_settings):
    found = {mode: 0 for mode in ("hybrid", "dense", "bm25")}
    total = 0
    for question in SYNTHESIS:
        total += len(question["gold_titles"])
        for mode in found:
            found[mode] += len(_gold_ranks(question, mode, full_settings, k=10))
    print(f"\nrelevant papers in top 10 over {len(SYNTHESIS)} topics ({total} gold): {found}")
    assert found["hybrid"] >= max(found["dense"], found["bm25"])


def test_paper_reranking_finds_more_topic_papers_than_the_fused_chunks_alone(full_settings):
    """The per-paper signals (closest sentences, title, phrases) only reorder the fused pool;
    over the synthesis questions they must put more gold papers in the top 10 than fusion alone."""
    engine = rag.get_engine(full_settings)
    snapshot, reranked = engine.view()
    unranked = replace(reranked.settings, rerank_sentence_weight=0.0, rerank_title_weight=0.0, rerank_phrase_weight=0.0)
    fused = HybridRetriever(snapshot, engine.embed_model, unranked)
    found = {"fused": 0, "reranked": 0}
    for question in SYNTHESIS:
        gold = {normalize_title(t) for t in question["gold_titles"]}
        for name, retriever in (("fused", fused), ("reranked", reranked)):
            hits = retriever.retrieve(question["question"], k=10).hits
            found[name] += sum(normalize_title(h.title) in gold for h in hits)
    print(f"\ngold papers in the top 10 over {len(SYNTHESIS)} topics: {found}")
    assert found["reranked"] > found["fused"]


def test_feedback_finds_more_topic_papers_and_leaves_named_questions_alone(full_settings):
    """A second pass with the query moved toward the first pass's best papers (list questions
    only) must put more gold papers in the top 10 over the synthesis questions, and never lose
    the gold paper of a factoid question."""
    _, retriever = rag.get_engine(full_settings).view()
    found = {False: 0, True: 0}
    for question in SYNTHESIS:
        gold = {normalize_title(t) for t in question["gold_titles"]}
        for feedback in found:
            hits = retriever.retrieve(question["question"], k=10, feedback=feedback).hits
            found[feedback] += sum(normalize_title(h.title) in gold for h in hits)
    print(f"\ngold papers in the top 10 over {len(SYNTHESIS)} topics, without/with feedback: {found}")
    assert found[True] > found[False]
    for question in FACTOID[:20]:
        gold = {normalize_title(t) for t in question["gold_titles"]}
        hits = retriever.retrieve(question["question"], k=5, feedback=True).hits
        assert gold & {normalize_title(h.title) for h in hits}, question["id"]


def test_the_feedback_pass_reuses_the_lexical_results_of_the_first(full_settings, monkeypatch):
    """The second pass moves only the dense query: BM25 runs once per question, not per pass."""
    _, retriever = rag.get_engine(full_settings).view()
    real = retriever.snapshot.bm25
    calls = []

    def counting(source, top_k):
        inner = real(source, top_k)

        class Counted:
            def retrieve(self, bundle):
                calls.append(bundle.query_str)
                return inner.retrieve(bundle)

        return Counted()

    monkeypatch.setattr(retriever.snapshot, "bm25", counting)
    question = "Which papers study knowledge distillation?"
    with_feedback = retriever.retrieve(question, k=10, feedback=True)
    assert calls == [question]
    without = retriever.retrieve(question, k=10)
    assert len(calls) == 2 and len(with_feedback.hits) == len(without.hits) == 10


def test_one_paper_never_takes_two_slots(full_settings):
    hits = rag.search("gradient low-rank projection memory", k=10, settings=full_settings)
    assert len({h.paper_id for h in hits}) == len(hits) == 10
    assert {"GaLore" in h.title for h in hits[:3]} == {True}


def test_source_filter_restricts_every_mode(full_settings):
    for mode in ("hybrid", "dense", "bm25"):
        hits = rag.search("quantization", k=5, mode=mode, source="000_429a176c4f8b74e4.txt", settings=full_settings)
        assert hits and {h.source for h in hits} == {"000_429a176c4f8b74e4.txt"}


def test_bad_arguments_raise_clear_errors(full_settings):
    with pytest.raises(rag.RagError, match="mode"):
        rag.search("x", mode="sparse", settings=full_settings)
    with pytest.raises(rag.RagError, match="empty"):
        rag.search("   ", settings=full_settings)
    with pytest.raises(rag.RagError, match="k must be"):
        rag.search("grokking", k=0, settings=full_settings)
