"""Pseudo-relevance feedback for questions that ask for many papers (Rocchio, on the dense side).

"Which papers propose ways to tell whether a text was written by a language model?" is worded
unlike most of its answers ("AI-generated text detection"). The best few papers a first pass
finds are on topic far more often than not, and their abstracts carry the field's own words:
moving the query vector toward them finds the papers that use those words. Factoid questions
never use it: they want the one paper that matches the question, not its neighbours.
"""

from __future__ import annotations

import numpy as np

from rag.snapshot import IndexSnapshot
from rag.types import Hit


def feedback_vector(
    query_vector: np.ndarray, hits: list[Hit], snapshot: IndexSnapshot, weight: float, papers: int
) -> np.ndarray:
    """The unit query vector plus ``weight`` times the mean of the first ``papers`` hits' centroids
    (each the normalised mean of the paper's sentence vectors), normalised again."""
    unit_query = _unit(np.asarray(query_vector, dtype=np.float32))
    if weight <= 0.0:
        return unit_query
    top = [hit.paper_id for hit in hits[:papers]]
    sentences = snapshot.sentences_for(top)
    centroids = [_unit(np.mean([s.vector for s in sentences[pid]], axis=0)) for pid in top if sentences.get(pid)]
    if not centroids:
        return unit_query
    return _unit(unit_query + weight * np.mean(centroids, axis=0))


def _unit(vector: np.ndarray) -> np.ndarray:
    return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)
