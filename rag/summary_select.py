"""Which retrieved papers a subfield summary is about (pure functions over scored candidates).

A paper is on topic when it contains a good share of the topic's words (weighted by how
rare each word is in the corpus) and its best sentence matches the topic nearly as well as
the best paper's does. If no paper contains most of the topic's words or matches it
strongly, the topic is "not covered".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rag.config import Settings
from rag.store import StoredSentence
from rag.text import contains_phrase, content_terms, coverage, key_phrases, sentence_score, topic_terms
from rag.types import Hit

# A sentence that says what the paper does ("we propose", "this paper"), and one that sets it against others.
CONTRIBUTION = re.compile(r"\b(we (propose|introduce|present|develop|study)|this (paper|work)|our)\b", re.I)
CONTRAST = re.compile(r"\b(unlike|in contrast|compared (to|with)|rather than|instead of|while|whereas)\b", re.I)


@dataclass
class Candidate:
    paper_id: str
    title: str
    sentences: list[StoredSentence]
    coverage: float
    relevance: float  # sentence_score of its best sentence
    best: StoredSentence


def score_candidates(
    hits: list[Hit],
    evidence: dict[str, list[StoredSentence]],
    terms: set[str],
    query_vector: np.ndarray,
    idf: tuple[dict[str, float], float],
    lexical_weight: float,
) -> list[Candidate]:
    """Each retrieved paper with its topic coverage and best sentence, most relevant first."""
    weights, unseen = idf
    candidates = []
    for hit in hits:
        sentences = evidence.get(hit.paper_id, [])
        if not sentences:
            continue
        scores = [sentence_score(s, terms, query_vector, lexical_weight) for s in sentences]
        paper_terms = content_terms(hit.title + " " + " ".join(s.text for s in sentences))
        best = int(np.argmax(scores))
        candidates.append(
            Candidate(
                hit.paper_id,
                hit.title,
                sentences,
                coverage(terms, paper_terms, weights, unseen),
                scores[best],
                sentences[best],
            )
        )
    return sorted(candidates, key=lambda c: -c.relevance)


def topic_phrase(topic: str, idf: dict[str, float], unseen: float) -> tuple[str, ...]:
    """The topic when it is itself a short phrase ("post-training quantization"), else ().

    A question ("How can networks be trained with very large batch sizes ...?") is not a
    phrase to match; its words are weighed by the coverage rule instead."""
    phrases = key_phrases(topic)
    if len(phrases) != 1 or len(phrases[0]) > 4 or len(phrases[0]) < len(topic_terms(topic)):
        return ()
    return phrases[0]


def phrase_filter(candidates: list[Candidate], phrase: tuple[str, ...]) -> list[Candidate]:
    """A specific topic phrase ("post-training quantization") must occur in a paper, as a phrase
    or an inflected variant: "quantization-aware training" papers are not on topic for it. When no
    retrieved paper uses the phrase, the word-coverage rule alone decides."""
    if not phrase:
        return candidates
    matching = [c for c in candidates if about_phrase(c, phrase)]
    return matching or candidates


def about_phrase(candidate: Candidate, phrase: tuple[str, ...]) -> bool:
    """The paper is about the phrase: in its title, in a sentence saying what it contributes, or
    used more than once; a single mention in the background ("unlike post-training quantization,
    we ...") does not make a quantization-aware-training paper one on post-training quantization."""
    if contains_phrase(candidate.title, phrase):
        return True
    using = [s.text for s in candidate.sentences if contains_phrase(s.text, phrase)]
    return len(using) >= 2 or any(CONTRIBUTION.search(text) and not CONTRAST.search(text) for text in using)


def on_topic(candidates: list[Candidate], settings: Settings, phrase: tuple[str, ...] = ()) -> list[Candidate]:
    candidates = phrase_filter(candidates, phrase)
    if not candidates:
        return []
    summary = settings.summary
    top = candidates[0].relevance
    kept = [
        c
        for c in candidates
        if c.relevance >= settings.answer.abstain_threshold
        and (
            c.coverage >= summary.full_coverage
            or (c.coverage >= summary.min_coverage and c.relevance >= summary.relative_score * top)
        )
    ]
    return kept[: summary.summary_max_papers]


def is_covered(kept: list[Candidate], settings: Settings) -> bool:
    if not kept or kept[0].relevance < settings.answer.abstain_threshold:
        return False
    summary = settings.summary
    return (
        kept[0].relevance >= summary.covered_strong_match
        or max(c.coverage for c in kept) >= summary.covered_min_coverage
    )
