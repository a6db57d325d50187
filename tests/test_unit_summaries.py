"""Unit tests for the pure parts of subfield summaries: selection, clustering, naming, quoting."""

from __future__ import annotations

import numpy as np
import pytest

from rag.chunking import split_sentences
from rag.config import Settings, SummarySettings
from rag.summary_select import Candidate, coverage, is_covered, on_topic, score_candidates
from rag.summary_themes import cluster, name_theme, paper_vector, theme_count
from rag.summary_write import contribution, representative_sentences
from rag.text import content_terms
from tests.fakes import (
    GALORE,
    GROKKING,
    LORA,
    QUANTIZATION,
    VIT,
    bow_vector,
    hit_for,
    make_paper,
    sentence_with_vector,
    stored_sentences,
)

SETTINGS = Settings()


def candidate(paper, relevance: float = 0.8, coverage: float = 0.5) -> Candidate:
    sentences = stored_sentences(paper.paper_id, split_sentences(paper.abstract))
    return Candidate(paper.paper_id, paper.title, sentences, coverage, relevance, sentences[0])


def bare(name: str, relevance: float, coverage: float) -> Candidate:
    sentence = sentence_with_vector(name, 0, f"{name} text.", [1.0, 0.0])
    return Candidate(name, name, [sentence], coverage, relevance, sentence)


# --- theme_count and cluster --------------------------------------------------------------


def test_theme_count_grows_like_sqrt_half_n_within_bounds():
    assert [theme_count(n) for n in (0, 1, 4)] == [1, 1, 1]
    assert theme_count(12) == 2 and theme_count(24) == 3
    counts = [theme_count(n) for n in range(0, 200)]
    assert counts == sorted(counts) and min(counts) == 1 and max(counts) == 5
    assert theme_count(200, most=3) == 3


def test_cluster_groups_obviously_close_vectors():
    rng = np.random.default_rng(0)
    centres = np.eye(8)[[0, 3, 6]]
    labels = [0, 1, 2, 0, 1, 2, 0, 0, 1]
    vectors = np.array([centres[label] + rng.normal(0, 0.05, 8) for label in labels])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    groups = cluster(vectors, 3)
    assert sorted(i for group in groups for i in group) == list(range(len(labels)))
    assert sorted(sorted(g) for g in groups) == sorted(
        [i for i, label in enumerate(labels) if label == c] for c in range(3)
    )
    assert len(cluster(vectors, 1)) == 1
    assert sorted(map(sorted, cluster(vectors, len(labels)))) == [[i] for i in range(len(labels))]


def test_paper_vector_is_a_unit_mean_of_its_sentences():
    vector = paper_vector(candidate(GALORE))
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    assert float(vector @ paper_vector(candidate(GALORE))) == pytest.approx(1.0, abs=1e-5)
    assert float(vector @ paper_vector(candidate(GALORE))) > float(vector @ paper_vector(candidate(VIT)))


# --- coverage, on_topic, is_covered -------------------------------------------------------


def test_coverage_weights_topic_words_by_rarity():
    terms = {"grok", "train"}
    idf = {"grok": 3.0, "train": 1.0}
    rare_found = coverage(terms, {"grok"}, idf, unseen=5.0)
    common_found = coverage(terms, {"train"}, idf, unseen=5.0)
    assert rare_found == pytest.approx(0.75) and common_found == pytest.approx(0.25)
    assert coverage(terms, {"grok", "train", "other"}, idf, 5.0) == pytest.approx(1.0)
    assert coverage(terms, set(), idf, 5.0) == 0.0
    assert coverage(set(), {"grok"}, idf, 5.0) == 0.0
    # A word the corpus has never seen weighs as much as the unseen IDF says.
    assert coverage({"grok", "zzz"}, {"grok"}, idf, unseen=3.0) == pytest.approx(0.5)


def test_on_topic_keeps_covering_and_relevant_papers():
    summary = SETTINGS.summary
    top = bare("top", 0.8, 0.5)
    full = bare("full", SETTINGS.answer.abstain_threshold + 0.01, summary.full_coverage)  # all words, weak match
    few_words = bare("few-words", 0.7, summary.min_coverage - 0.05)
    weaker = bare("weaker", summary.relative_score * 0.8 - 0.02, 0.5)  # enough words, too weak next to top
    hopeless = bare("hopeless", SETTINGS.answer.abstain_threshold - 0.05, 1.0)
    candidates = sorted([top, full, few_words, weaker, hopeless], key=lambda c: -c.relevance)
    kept = on_topic(candidates, SETTINGS)
    assert [c.paper_id for c in kept] == ["top", "full"]
    limited = on_topic(candidates, SETTINGS.replace(summary_max_papers=1))
    assert [c.paper_id for c in limited] == ["top"]
    assert on_topic([], SETTINGS) == []


def test_is_covered_needs_most_of_the_words_or_a_strong_match():
    summary = SETTINGS.summary
    assert not is_covered([], SETTINGS)
    half = bare("half", summary.covered_strong_match - 0.1, summary.covered_min_coverage - 0.2)
    assert not is_covered([half], SETTINGS)  # a protein LM paper for "protein folding"
    assert is_covered([bare("strong", summary.covered_strong_match, 0.2)], SETTINGS)
    assert is_covered([half, bare("most", 0.5, summary.covered_min_coverage)], SETTINGS)
    assert not is_covered([bare("weak", SETTINGS.answer.abstain_threshold - 0.01, 1.0)], SETTINGS)


def test_score_candidates_orders_by_best_sentence_and_skips_papers_without_sentences():
    topic = "grokking weight decay"
    terms = content_terms(topic)
    hits = [hit_for(VIT), hit_for(GROKKING), hit_for(GALORE)]
    evidence = {p.paper_id: stored_sentences(p.paper_id, split_sentences(p.abstract)) for p in (VIT, GROKKING)}
    candidates = score_candidates(hits, evidence, terms, bow_vector(topic), ({}, 1.0), 0.35)
    assert [c.paper_id for c in candidates] == [GROKKING.paper_id, VIT.paper_id]
    grokking = candidates[0]
    assert grokking.coverage == pytest.approx(1.0) and candidates[1].coverage < 0.5
    assert grokking.best.text.startswith("Weight decay shortens")
    assert (
        grokking.relevance
        >= max(
            float(s.vector @ bow_vector(topic)) + 0.35 * len(terms & content_terms(s.text)) / len(terms)
            for s in grokking.sentences
        )
        - 1e-6
    )


# --- naming and quoting -------------------------------------------------------------------

QLORA = make_paper(
    "QLoRA: Efficient Finetuning of Quantized LLMs with LoRA Adapters",
    "We finetune quantized language models with LoRA adapters on a single GPU. "
    "Paged optimizers and 4-bit NormalFloat keep memory low during LoRA finetuning of LLMs.",
)
ADAPTERS = make_paper(
    "LoRA Adapters for Efficient Finetuning of LLMs",
    "LoRA adapters add few trainable weights to frozen LLMs. We study LoRA adapters during finetuning of LLMs.",
)


def test_theme_name_uses_shared_words_but_not_topic_words():
    members, others = [candidate(QLORA), candidate(ADAPTERS)], [candidate(GROKKING), candidate(VIT)]
    name = name_theme(members, others, content_terms("finetuning"), {}, 1.0)
    words = [w.strip() for w in name.split(",")]
    assert 1 <= len(words) <= 3 and name[0].isupper()
    assert "finetuning" not in name.lower()
    assert all(w.lower() in (QLORA.title + ADAPTERS.title).lower() for w in words)
    assert not any(w.lower() in (GROKKING.title + VIT.title).lower() for w in words)


def test_theme_name_keeps_the_case_of_model_names():
    members, others = [candidate(QLORA), candidate(ADAPTERS)], [candidate(GROKKING), candidate(VIT)]
    name = name_theme(members, others, content_terms("finetuning"), {}, 1.0)
    assert "lora" in name.lower()
    assert "LoRA" in name


def test_representative_sentences_quote_one_sentence_per_paper_without_repeats():
    topic = "low-rank memory-efficient training"
    terms, vector, settings = content_terms(topic), bow_vector(topic), SummarySettings()

    def quotes(papers):
        members = [candidate(p) for p in papers]
        number = {c.paper_id: n for n, c in enumerate(members, start=1)}
        return number, representative_sentences(members, number, terms, vector, settings, 0.35)

    _, (galore_quote,) = quotes([GALORE])
    twin = make_paper("A Twin of GaLore", galore_quote.text)  # says only what GaLore's quote says
    number, sentences = quotes([GALORE, twin, LORA, QUANTIZATION])
    cited = [s.citations for s in sentences]
    assert cited == [(number[p.paper_id],) for p in (GALORE, LORA, QUANTIZATION)]
    assert sentences[0].text == galore_quote.text
    for i, first in enumerate(sentences):
        assert len(first.text.split()) >= settings.min_sentence_words and first.supported
        for second in sentences[i + 1 :]:
            assert float(bow_vector(first.text) @ bow_vector(second.text)) < settings.redundant_cosine
    texts = {p.paper_id: p.abstract for p in (GALORE, LORA, QUANTIZATION)}
    for sentence, paper in zip(sentences, (GALORE, LORA, QUANTIZATION), strict=True):
        assert sentence.text in texts[paper.paper_id]


def test_contribution_prefers_what_the_paper_proposes():
    topic = "memory"
    line = contribution(candidate(GALORE), content_terms(topic), bow_vector(topic), SummarySettings(), 0.35)
    assert line.startswith("We propose GaLore")
