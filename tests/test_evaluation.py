"""Eval metrics on hand-computed cases, and an end-to-end `rag eval` over the real index."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

from rag.errors import RagError
from rag.evaluation import (
    citation_precision,
    citation_recall,
    load_questions,
    must_include_rate,
    ndcg_at,
    recall_at,
    reciprocal_rank,
)
from tests.conftest import QUESTIONS, REPO


def test_recall_and_reciprocal_rank():
    ranked = ["a", "b", "c", "d"]
    assert recall_at(ranked, {"c", "z"}, 2) == 0.0
    assert recall_at(ranked, {"c", "z"}, 3) == 0.5
    assert reciprocal_rank(ranked, {"c", "d"}) == pytest.approx(1 / 3)
    assert reciprocal_rank(ranked, {"z"}) == 0.0
    assert recall_at(ranked, set(), 5) is None and reciprocal_rank(ranked, set()) is None


def test_ndcg_binary_with_duplicates():
    # gold at ranks 1 and 3, ideal ranks 1 and 2
    expected = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert ndcg_at(["a", "x", "b"], {"a", "b"}, 10) == pytest.approx(expected)
    assert ndcg_at(["a", "a", "b"], {"a", "b"}, 10) == pytest.approx(expected)  # a repeat earns nothing
    assert ndcg_at(["a", "b"], {"a", "b"}, 10) == pytest.approx(1.0)
    assert ndcg_at(["x"], set(), 10) is None


def test_citation_precision_recall_and_must_include():
    assert citation_precision(["a", "a", "b"], {"a"}) == 0.5  # duplicates count once
    assert citation_precision([], {"a"}) is None
    assert citation_precision(["a"], set()) is None
    assert citation_recall(["a", "unknown"], {"a", "b"}) == 0.5
    assert must_include_rate("GaLore uses LOW-rank projections", ["galore", "low-rank", "SVD"]) == pytest.approx(2 / 3)
    assert must_include_rate("anything", []) is None


def test_question_file_errors_name_file_line_and_field(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(
        '{"id": "1", "kind": "factoid", "question": "ok?"}\n{"id": "2", "kind": "essay", "question": "x"}\n'
    )
    with pytest.raises(RagError, match=r"q.jsonl:2: field 'kind'"):
        load_questions(path)
    path.write_text('{"id": "1", "kind": "factoid", "question": ""}\n')
    with pytest.raises(RagError, match=r"q.jsonl:1: field 'question'"):
        load_questions(path)


def test_dev_set_meets_the_required_mix():
    questions = load_questions(QUESTIONS)
    kinds = [q.kind for q in questions]
    assert len(questions) >= 80
    assert kinds.count("factoid") >= 50 and kinds.count("synthesis") >= 20 and kinds.count("unanswerable") >= 10
    assert all(len(q.gold_titles) >= 2 for q in questions if q.kind == "synthesis")


def test_rag_eval_end_to_end_writes_report_json_and_plots(full_settings, tmp_path):
    rows = [json.loads(line) for line in QUESTIONS.read_text().splitlines()]
    small = [rows[0], rows[55], rows[-1], {**rows[1], "id": "bad-gold", "gold_titles": ["A Paper That Is Not There"]}]
    questions = tmp_path / "small.jsonl"
    questions.write_text("".join(json.dumps(r) + "\n" for r in small))
    out = tmp_path / "report"
    env = {**os.environ, "RAG_DATA_DIR": full_settings.store.data_dir}
    rag_bin = os.path.join(os.path.dirname(sys.executable), "rag")
    command = [rag_bin, "eval", "--questions", str(questions), "--modes", "hybrid,bm25", "--out", str(out), "--json"]
    first = subprocess.run(command, check=False, capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert set(summary) == {"hybrid", "bm25"}
    assert summary["hybrid"]["n"] == 4 and summary["hybrid"]["by_kind"]["unanswerable"]["n"] == 1
    assert summary["hybrid"]["abstention_accuracy"] == 1.0
    for name in ("report.md", "results.json", "recall_at_k.png", "latency.png"):
        assert (out / name).stat().st_size > 0
    report = (out / "report.md").read_text()
    assert "| factoid | mrr |" in report and "bm25 - hybrid" in report
    assert "gold title not in the index: 'A Paper That Is Not There'" in report
    results = json.loads((out / "results.json").read_text())
    assert results["runs"]["hybrid"]["questions"][0]["retrieved"][0] == rows[0]["gold_titles"][0]

    again = subprocess.run(command, check=False, capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    strip = {name: {k: v for k, v in run.items() if k != "latency_ms"} for name, run in summary.items()}
    assert strip == {
        name: {k: v for k, v in run.items() if k != "latency_ms"} for name, run in json.loads(again.stdout).items()
    }
