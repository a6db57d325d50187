"""Search returns only papers that match the query: a query term in the paper, or a dense
similarity of at least ``min_dense_score``; answers (``rag ask``) keep their own retrieval."""

from __future__ import annotations

import re

import pytest

import rag
from rag.engine import get_engine

GROK = re.compile("grok", re.IGNORECASE)


def _contains(hit: rag.Hit, pattern: re.Pattern) -> bool:
    return bool(pattern.search(hit.title) or pattern.search(hit.text))


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_a_keyword_search_returns_only_papers_holding_the_word(small_index, mode):
    hits = rag.search("grokking", k=10, mode=mode, settings=small_index)
    assert len(hits) >= 2, [h.title for h in hits]
    assert all(_contains(h, GROK) for h in hits), [h.title for h in hits]


def test_bm25_never_returns_a_zero_score(small_index):
    hits = rag.search("grokking numerical stability", k=12, mode="bm25", settings=small_index)
    assert hits and all(h.score > 0 for h in hits)


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_a_word_no_paper_uses_finds_nothing(small_index, mode):
    assert rag.search("zyxwvut", k=10, mode=mode, settings=small_index) == []


def test_the_dense_floor_is_what_drops_dense_only_papers(small_index):
    """With the floor at -1 every dense candidate is kept, so k papers come back: the filter, not
    the index, made the difference above."""
    hits = rag.search("grokking", k=6, mode="dense", settings=small_index.replace(min_dense_score=-1.0))
    assert len(hits) == 6
    assert not all(_contains(h, GROK) for h in hits)


def test_a_natural_language_search_still_finds_the_relevant_papers(small_index):
    hits = rag.search("how can we train large language models with less optimizer memory", settings=small_index)
    assert sum("GaLore" in h.title for h in hits[:5]) >= 2, [h.title for h in hits]


def test_answers_keep_unfiltered_retrieval(small_index):
    """`rag ask` retrieves k papers whatever they hold; only search filters."""
    _, retriever = get_engine(small_index).view()
    retrieval = retriever.retrieve("grokking", k=6, mode="hybrid")
    assert len(retrieval.hits) == 6
    assert len(rag.search("grokking", k=6, mode="hybrid", settings=small_index)) < 6


def test_search_on_the_seed_corpus_agrees_with_grep(full_settings):
    """The acceptance check: about 3 seed papers mention grokking, not 49."""
    hits = rag.search("grokking", k=50, settings=full_settings)
    assert 3 <= len(hits) <= 5, [h.title for h in hits]
    assert all(_contains(h, GROK) for h in hits)
    for query, stem in [("LoRA", "lora"), ("knowledge distillation", "distill"), ("diffusion", "diffusion")]:
        top = rag.search(query, k=10, settings=full_settings)
        assert len(top) == 10, query
        assert all(_contains(h, re.compile(stem, re.IGNORECASE)) for h in top), (query, [h.title for h in top])
