"""Evaluation metrics: pure functions, pinned by tests on hand-computed cases."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


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
