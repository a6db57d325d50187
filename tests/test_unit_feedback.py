"""Pseudo-relevance feedback (rag/feedback.py) on hand-made vectors: no model, no index."""

from __future__ import annotations

import numpy as np

from rag.feedback import feedback_vector
from rag.focus import asks_for_many_papers
from rag.types import Hit
from tests.fakes import sentence_with_vector


def _hit(paper_id: str) -> Hit:
    return Hit(paper_id=paper_id, title=paper_id, score=1.0, text="")


class _Snapshot:
    def __init__(self, vectors: dict[str, list[list[float]]]) -> None:
        self.vectors = vectors

    def sentences_for(self, paper_ids):
        return {
            pid: [sentence_with_vector(pid, i, "s", np.array(v, np.float32)) for i, v in enumerate(self.vectors[pid])]
            for pid in paper_ids
        }


def test_the_query_moves_toward_the_best_papers_and_no_further_than_the_weight():
    query = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    snapshot = _Snapshot({"a": [[0, 1, 0], [0, 1, 0]], "b": [[0, 1, 0]], "c": [[0, 0, 1]]})
    hits = [_hit("a"), _hit("b"), _hit("c")]
    moved = feedback_vector(query, hits, snapshot, weight=0.5, papers=2)
    # Toward the two best papers' shared direction (y), not toward the third (z).
    assert moved[1] > 0.4 and moved[2] == 0.0
    assert abs(float(np.linalg.norm(moved)) - 1.0) < 1e-5
    # The question still dominates: its own direction keeps the larger share.
    assert moved[0] > moved[1]
    stronger = feedback_vector(query, hits, snapshot, weight=2.0, papers=2)
    assert stronger[1] > moved[1]


def test_no_weight_or_no_sentences_leaves_the_query_as_it_was():
    query = np.array([3.0, 4.0], dtype=np.float32)
    snapshot = _Snapshot({"a": [[0, 1]], "empty": []})
    assert np.allclose(feedback_vector(query, [_hit("a")], snapshot, 0.0, 3), [0.6, 0.8])
    assert np.allclose(feedback_vector(query, [_hit("empty")], snapshot, 0.5, 3), [0.6, 0.8])


def test_only_questions_answered_by_several_papers_ask_for_feedback():
    assert asks_for_many_papers("Which papers study machine unlearning?")
    assert asks_for_many_papers("Compare GenARM and DeAL")
    assert asks_for_many_papers("knowledge distillation")
    assert not asks_for_many_papers("What is GaLore?")
    assert not asks_for_many_papers("How much memory does GaLore save?")
    # A pasted passage already carries its paper's words; a long question is still a question.
    passage = (
        "Training large language models presents significant memory challenges, predominantly due to the "
        "growing size of weights and optimizer states. We propose a low-rank gradient projection."
    )
    assert not asks_for_many_papers(passage)
    assert asks_for_many_papers("Which papers study " + passage.lower().rstrip(".") + "?")
