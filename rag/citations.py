"""Check a generated answer sentence by sentence against the sources it cites.

For each sentence: citation numbers that name no source are dropped (and reported); the
support of each remaining citation is measured against the cited abstract as
0.5 x (best cosine between the sentence and any abstract sentence)
+ 0.5 x (share of the sentence's content words found in the two best-matching abstract
sentences). A sentence without a valid citation is unsupported.

Models write citations in many forms. Before the check, every bracketed marker is brought
to ``[n]``: ``[ 1 ]``, ``[^1]``, ``[source 1]``, ``【1】`` and ``[1, 2]`` name their numbers,
``[1-3]`` names 1, 2 and 3. Numbers that name no source (``[9]``, ``[-1]``, ``[0]``) are
removed and reported.
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
# Any citation-like marker: brackets (or CJK lenticular brackets) around an optional "^" or
# "source"/"ref" and a list of numbers or ranges: [1], [ 1 ], [^1], [Source 2], 【1】, [1-3], [-1], [1, 2].
MARKER = re.compile(
    r"[\[【]\s*(?:\^|(?:sources?|refs?|references?|citations?)\s*:?)?\s*"
    r"(-?\d+(?:\s*(?:[,;]|[-–—])\s*-?\d+)*)\s*[\]】]",
    re.IGNORECASE,
)
RANGE = re.compile(r"^(-?\d+)\s*[-–—]\s*(-?\d+)$")
# Longer numbers name no source and are reported as this (int() of thousands of digits fails).
HUGE = 10**18
# A range wider than this is not a citation range ([1-300]); only its ends count.
MAX_RANGE = 20
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


def _int(digits: str) -> int:
    return int(digits) if len(digits) <= 18 else HUGE


def _marker_numbers(body: str) -> list[int]:
    """The numbers a marker's inside names: "1, 3" -> [1, 3]; "1-3" -> [1, 2, 3]; "-1" -> [-1]."""
    numbers: list[int] = []
    for item in re.split(r"\s*[,;]\s*", body.strip()):
        span = RANGE.match(item)
        if span is None:  # one number, or a chain like 1-3-5 (each of its numbers)
            numbers.extend(_int(n) for n in re.findall(r"-?\d+", item))
            continue
        low, high = _int(span.group(1)), _int(span.group(2))
        if 0 < low <= high <= low + MAX_RANGE:
            numbers.extend(range(low, high + 1))
        else:
            numbers.extend((low, high))
    return numbers


def normalize_citations(text: str, valid: set[int]) -> tuple[str, list[int]]:
    """``text`` with every citation marker as ``[n][m]`` of the numbers that name a source, and the
    numbers (in order of first use) that name none, whose markers are removed."""
    invalid: list[int] = []

    def replace(match: re.Match) -> str:
        numbers = list(dict.fromkeys(_marker_numbers(match.group(1))))
        invalid.extend(n for n in numbers if n not in valid and n not in invalid)
        return "".join(f"[{n}]" for n in numbers if n in valid)

    return MARKER.sub(replace, text), invalid


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
    text, invalid = normalize_citations(text, set(by_number))
    pieces = split_cited_sentences(text)
    vectors = embed_texts(embed_model, [plain for plain, _ in pieces])
    sentences, cited = [], []
    for (plain, numbers), vector in zip(pieces, vectors, strict=True):
        valid = list(dict.fromkeys(n for n in numbers if n in by_number))  # all are, once normalized
        words = content_terms(plain)
        scored = [support_score(vector, words, evidence.get(by_number[n].paper_id, [])) for n in valid]
        support = max((score for score, _ in scored), default=0.0)
        supported = bool(valid) and support >= threshold
        # The source sentences a reader should check: only for claims that passed.
        quoted = tuple(text for score, text in scored if supported and score >= threshold)
        sentences.append(AnswerSentence(plain, tuple(valid), support, supported, quoted))
        cited.extend(n for n in valid if n not in cited)
    rendered = " ".join(s.cited_text for s in sentences)
    return CheckedAnswer(rendered, sentences, cited, invalid)
