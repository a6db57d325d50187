"""The quoted text of a subfield summary: one line per paper, one sentence per paper per theme."""

from __future__ import annotations

import re

import numpy as np

from rag.config import SummarySettings
from rag.focus import short_name, standalone_text
from rag.store import StoredSentence
from rag.summary_select import Candidate
from rag.text import sentence_score
from rag.types import AnswerSentence

CONTRIBUTION = re.compile(
    r"\b(we (propose|introduce|present|develop|show|find|demonstrate)|this (paper|work)|in this (paper|work)|our)\b",
    re.IGNORECASE,
)
PROPOSAL = re.compile(r"\b(we|and) (propose|introduce|present|develop)\b", re.IGNORECASE)
# "we propose to address these limitations": a claim that needs the sentence before it,
# unless it goes on to say what ("..., we propose LoQT, a method for ...").
VAGUE = re.compile(r"\b(these|this|such) (two |three )?(limitations?|challenges?|problems?|issues?|gaps?)\b", re.I)


def contribution(
    candidate: Candidate, terms: set[str], query_vector: np.ndarray, settings: SummarySettings, lexical_weight: float
) -> str:
    """One line for the paper list: its most on-topic "we propose / this paper" sentence that
    says something on its own, else its most relevant sentence."""
    claims = [
        s
        for s in candidate.sentences
        if CONTRIBUTION.search(s.text)
        and len(s.text.split()) >= (settings.vague_min_words if VAGUE.search(s.text) else settings.min_sentence_words)
    ]
    claims = [c for c in claims if standalone_text(c.text) is not None]
    if not claims:
        return standalone_text(candidate.best.text) or candidate.best.text
    # What the paper proposes beats what it also shows.
    claims = [c for c in claims if PROPOSAL.search(c.text)] or claims
    best = max(claims, key=lambda s: sentence_score(s, terms, query_vector, lexical_weight)).text
    return standalone_text(best) or best


def representative_sentences(
    members: list[Candidate],
    number: dict[str, int],
    terms: set[str],
    query_vector: np.ndarray,
    settings: SummarySettings,
    lexical_weight: float,
) -> list[AnswerSentence]:
    """Each paper's sentence that best says what it contributes to the topic, skipping near-repeats."""

    def score(sentence: StoredSentence) -> float:
        bonus = settings.contribution_bonus if CONTRIBUTION.search(sentence.text) else 0.0
        return sentence_score(sentence, terms, query_vector, lexical_weight) + bonus

    chosen: list[tuple[StoredSentence, Candidate]] = []
    for candidate in members[: settings.max_sentences_per_theme]:
        for sentence in sorted(candidate.sentences, key=score, reverse=True):
            if len(sentence.text.split()) < settings.min_sentence_words or standalone_text(sentence.text) is None:
                continue
            if all(float(sentence.vector @ other.vector) < settings.redundant_cosine for other, _ in chosen):
                chosen.append((sentence, candidate))
                break
    return [
        AnswerSentence(
            text=standalone_text(s.text) or s.text,
            citations=(number[c.paper_id],),
            support=1.0,
            supported=True,
            evidence=(s.text,),
            lead=short_name(c.title),
        )
        for s, c in chosen
    ]
