"""Check a generated answer sentence by sentence against the sources it cites.

For each sentence: citation numbers that name no source are dropped (and reported); the
support of each remaining citation is measured against the cited abstract as
0.5 x (best cosine between the sentence and any abstract sentence)
+ 0.5 x (share of the sentence's content words found in the two best-matching abstract
sentences). A sentence without a valid citation is unsupported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rag.chunking import split_sentences
from rag.embeddings import embed_texts
from rag.store import StoredSentence
from rag.text import CITATION, content_terms
from rag.types import AnswerSentence, Hit

LEADING_CITATIONS = re.compile(r"^(\s*\[\d+(?:\s*[,;]\s*\d+)*\])+")
COSINE_WEIGHT = 0.5
BEST_SENTENCES = 3


@dataclass
class CheckedAnswer:
    text: str
    sentences: list[AnswerSentence]
    cited: list[int]  # valid source numbers in order of first use
    invalid: list[int]  # numbers the model cited that name no source


def _numbers(marker_text: str) -> list[int]:
    return [int(n) for group in CITATION.findall(marker_text) for n in re.split(r"\s*[,;]\s*", group)]


def split_cited_sentences(text: str) -> list[tuple[str, list[int]]]:
    """(sentence without markers, cited numbers). Markers opening a sentence belong to the previous one."""
    pieces: list[tuple[str, list[int]]] = []
    for raw in split_sentences(text):
        sentence = raw
        leading = LEADING_CITATIONS.match(raw)
        if leading and pieces:
            pieces[-1][1].extend(_numbers(leading.group(0)))
            sentence = raw[leading.end() :].strip()
        if not sentence:
            continue
        numbers = _numbers(sentence)
        plain = " ".join(CITATION.sub(" ", sentence).split())
        plain = re.sub(r"\s+([.,;:!?])", r"\1", plain)
        if plain:
            pieces.append((plain, numbers))
    return pieces


def support_score(vector: np.ndarray, words: set[str], evidence: list[StoredSentence]) -> tuple[float, str]:
    """How well one paper's sentences support a claim, and the sentence that supports it best."""
    if not evidence:
        return 0.0, ""
    cosines = np.array([float(s.vector @ vector) for s in evidence])
    best = np.argsort(-cosines)[:BEST_SENTENCES]
    overlap = 0.0
    if words:
        found = set().union(*(content_terms(evidence[i].text) for i in best))
        overlap = len(words & found) / len(words)
    score = COSINE_WEIGHT * float(cosines[best[0]]) + (1 - COSINE_WEIGHT) * overlap
    return score, evidence[best[0]].text


def check_answer(
    text: str, sources: list[Hit], evidence: dict[str, list[StoredSentence]], embed_model, threshold: float
) -> CheckedAnswer:
    by_number = {source.n: source for source in sources}
    pieces = split_cited_sentences(text)
    vectors = embed_texts(embed_model, [plain for plain, _ in pieces])
    sentences, cited, invalid = [], [], []
    for (plain, numbers), vector in zip(pieces, vectors, strict=True):
        valid = list(dict.fromkeys(n for n in numbers if n in by_number))
        invalid.extend(n for n in numbers if n not in by_number)
        words = content_terms(plain)
        scored = [support_score(vector, words, evidence.get(by_number[n].paper_id, [])) for n in valid]
        support = max((score for score, _ in scored), default=0.0)
        supported = bool(valid) and support >= threshold
        # The source sentences a reader should check: only for claims that passed.
        quoted = tuple(text for score, text in scored if supported and score >= threshold)
        sentences.append(AnswerSentence(plain, tuple(valid), support, supported, quoted))
        cited.extend(n for n in valid if n not in cited)
    rendered = " ".join(s.cited_text for s in sentences)
    return CheckedAnswer(rendered, sentences, cited, list(dict.fromkeys(invalid)))
