"""Evaluation metrics: pure functions, pinned by tests on hand-computed cases."""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Sequence

from rag.text import ADDRESSING, EXPLETIVE_IT

# An answer sentence that opens with a reference to something it does not say ("To address these
# limitations", "In contrast", "Our method"): it only makes sense after a sentence the answer may not show.
# "This paper ..." is not one: the answer names the paper before its quotes.
DANGLING_OPENER = re.compile(
    r"^(?:(?:To "
    + ADDRESSING
    + r" (?:these|this|such)|In contrast|However|Moreover|Furthermore|Additionally|Therefore|Thus"
    r"|Hence|This(?! (?:paper|work|study|article|report|thesis|survey)\b)|These|Those|Such|Its|They|Their"
    # "Our approach, dubbed ``follow anything'' (FAn), is ...": an apposition giving the name resolves it.
    r"|It" + EXPLETIVE_IT + r"|Our (?:methods?|approach(?:es)?|models?)"
    r"(?!, [^,]{0,80}?(?:\b[A-Z][\w-]*[A-Z0-9]\b|\b(?:dubbed|called|named|termed)\b))"
    r"|Further|Instead|Similarly"
    r"|Finally|Specifically|Building on)\b|Here,)"
)
# Leading characters skipped before the opener test: spaces, quotes, brackets.
_LEADING = " \t\n\"'“‘(["


def recall_at(ranked: Sequence[str], gold: set[str], k: int) -> float | None:
    """Share of gold items in the top k; None when there is no gold (not applicable)."""
    if not gold:
        return None
    return len(set(ranked[:k]) & gold) / len(gold)


def reciprocal_rank(ranked: Sequence[str], gold: set[str]) -> float | None:
    if not gold:
        return None
    return next((1 / rank for rank, item in enumerate(ranked, start=1) if item in gold), 0.0)


def ndcg_at(ranked: Sequence[str], gold: set[str], k: int) -> float | None:
    """Binary-relevance nDCG; duplicates in the ranking count once."""
    if not gold:
        return None
    seen: set[str] = set()
    dcg = 0.0
    for rank, item in enumerate(ranked[:k], start=1):
        if item in gold and item not in seen:
            dcg += 1 / math.log2(rank + 1)
        seen.add(item)
    ideal = sum(1 / math.log2(rank + 1) for rank in range(1, min(len(gold), k) + 1))
    return dcg / ideal


def citation_precision(cited: Sequence[str], gold: set[str]) -> float | None:
    """Share of distinct cited papers that are gold; None when nothing is cited or there is no gold."""
    distinct = set(cited)
    if not distinct or not gold:
        return None
    return len(distinct & gold) / len(distinct)


def citation_recall(cited: Sequence[str], gold: set[str]) -> float | None:
    if not gold:
        return None
    return len(set(cited) & gold) / len(gold)


def gold_first(cited: Sequence[str], gold: set[str], abstained: bool) -> float | None:
    """1.0 when the first citation is a gold paper; None when there is no gold, or nothing is cited."""
    if not gold or abstained or not cited:
        return None
    return 1.0 if cited[0] in gold else 0.0


def rare_terms(terms: set[str], idf: dict[str, float], unseen: float) -> set[str]:
    """The question's key terms: those rarer in the corpus than its median term (all when two or fewer).

    An IDF tie can leave none above the median; then all terms count."""
    if len(terms) <= 2:
        return set(terms)
    weights = {term: idf.get(term, unseen) for term in terms}
    middle = statistics.median(weights.values())
    return {term for term, weight in weights.items() if weight > middle} or set(terms)


def off_topic_share(cited_terms: Iterable[set[str]], key_terms: set[str]) -> float | None:
    """Share of cited papers (each given as its set of terms) holding none of ``key_terms``.

    None when nothing is cited or the question has no key terms."""
    papers = list(cited_terms)
    if not papers or not key_terms:
        return None
    return sum(1 for terms in papers if not terms & key_terms) / len(papers)


def dangling_openers(sentences: Iterable[str]) -> int:
    """How many sentences start with an unresolved reference ("However", "This", "Our method", ...)."""
    return sum(1 for text in sentences if DANGLING_OPENER.match(text.lstrip(_LEADING)))


def must_include_rate(answer: str, strings: Sequence[str]) -> float | None:
    if not strings:
        return None
    lowered = answer.lower()
    return sum(1 for s in strings if s.lower() in lowered) / len(strings)


def mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.fmean(present), 4) if present else None


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 2)
