"""Eval metrics on hand-computed cases, and an end-to-end `rag eval` over the real index."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

from rag.errors import RagError
from rag.eval_metrics import dangling_openers, gold_first, off_topic_share, rare_terms
from rag.evaluation import (
    Question,
    QuestionResult,
    citation_precision,
    citation_recall,
    load_questions,
    must_include_rate,
    ndcg_at,
    recall_at,
    reciprocal_rank,
    summarize,
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


def test_gold_first():
    assert gold_first(["a", "x"], {"a"}, abstained=False) == 1.0
    assert gold_first(["x", "a"], {"a"}, abstained=False) == 0.0
    assert gold_first(["a"], set(), abstained=False) is None  # no gold: not applicable
    assert gold_first([], {"a"}, abstained=True) is None  # abstained: nothing to rank
    assert gold_first([], {"a"}, abstained=False) is None


def test_rare_terms_keep_those_above_the_median_idf():
    idf = {"train": 1.0, "model": 1.2, "galor": 6.0, "memori": 3.0}
    # median of 1.0, 1.2, 3.0, 6.0 is 2.1: memori and galor are rarer
    assert rare_terms({"train", "model", "galor", "memori"}, idf, unseen=9.0) == {"galor", "memori"}
    # an unseen word takes the unseen IDF; with three terms only the one above the middle stays
    assert rare_terms({"train", "memori", "zzz"}, idf, unseen=9.0) == {"zzz"}
    assert rare_terms({"train", "model"}, idf, unseen=9.0) == {"train", "model"}  # two or fewer: all
    assert rare_terms({"a", "b", "c"}, {}, unseen=5.0) == {"a", "b", "c"}  # all tied: all


def test_off_topic_share_counts_papers_with_none_of_the_key_terms():
    papers = [{"galor", "memori"}, {"vae", "latent"}, {"memori", "cach"}, {"kv"}]
    assert off_topic_share(papers, {"galor", "memori"}) == 0.5
    assert off_topic_share([], {"galor"}) is None
    assert off_topic_share(papers, set()) is None


def test_dangling_openers_count_sentences_starting_with_an_unresolved_reference():
    sentences = [
        "To address these limitations, we propose GaLore.",  # yes
        "In contrast, GaLore allows full-parameter learning.",  # yes
        "Our method reduces memory by 65.5%.",  # yes
        "Our methods scale.",  # yes (plural)
        "“However, the cost grows.",  # yes, after an opening quote
        "Here, we study grokking.",  # yes
        "This approach shows X.",  # yes
        "This paper shows X.",  # no: the answer names the paper before its quotes
        "It outperforms Y.",  # yes: "it" points back
        "It is known that Y.",  # no: an expletive "it" refers to nothing
        "We propose Gradient Low-Rank Projection (GaLore).",  # no: names what it says
        "Thistle and Items are words.",  # no: whole words only
        "however, lower case mid-quote.",  # no: case-sensitive at sentence start
        "Here we go.",  # no: "Here," needs its comma
        "Our results hold.",  # no
        "GaLore [1] projects gradients.",  # no
    ]
    assert dangling_openers(sentences) == 8
    assert dangling_openers([]) == 0


def _result(qid: str, kind: str, shape: str, split: str, **metrics) -> QuestionResult:
    question = Question(qid, kind, f"{qid}?", shape=shape, split=split)
    base = {"must_include": None, "gold_first": None, "dangling_openers": None, "latency_ms": 10.0}
    base["abstention_correct"] = 1.0 if (metrics["abstained"] == 1.0) == (kind == "unanswerable") else 0.0
    return QuestionResult(question, [], [], {}, [], {**base, **metrics})


def test_summary_splits_abstention_and_reports_by_shape_and_split():
    results = [
        _result("a", "factoid", "quantity", "dev", abstained=0.0, must_include=1.0, dangling_openers=2.0),
        _result("b", "factoid", "quantity", "test", abstained=0.0, must_include=0.0, dangling_openers=0.0),
        _result("c", "factoid", "which", "dev", abstained=1.0, must_include=0.0),
        _result("d", "unanswerable", "unanswerable", "test", abstained=1.0),
        _result("e", "unanswerable", "unanswerable", "dev", abstained=0.0, dangling_openers=1.0),
    ]
    summary = summarize(results)
    overall = summary["overall"]
    assert overall["abstained_unanswerable"] == 0.5  # d abstained, e did not
    assert overall["false_abstention"] == pytest.approx(0.3333)  # c of a, b, c
    assert overall["dangling_openers_total"] == 3 and overall["dangling_openers"] == 1.0
    assert summary["abstention_accuracy"] == 0.6
    assert summary["by_shape"]["quantity"] == {
        "must_include": 0.5,
        "dangling_openers": 1.0,
        "abstention_correct": 1.0,
        "false_abstention": 0.0,
        "dangling_openers_total": 2,
        "n": 2,
    }
    assert summary["by_shape"]["which"]["must_include"] == 0.0 and summary["by_shape"]["list"] == {"n": 0}
    dev = summary["by_split"]["dev"]
    assert dev["n"] == 3 and dev["by_kind"]["factoid"]["must_include"] == 0.5
    assert dev["overall"]["false_abstention"] == 0.5 and dev["overall"]["abstained_unanswerable"] == 0.0
    assert summary["by_split"]["test"]["overall"]["abstained_unanswerable"] == 1.0


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
    ok = '{"id": "1", "kind": "factoid", "question": "ok?"}\n'
    bad_fields = {
        '"split": "train"': "split",
        '"shape": "essay"': "shape",
        '"shape": "list"': "shape",  # a list question is synthesis, not factoid
        '"shape": "followup"': "history",  # a follow-up needs its history
        '"history": "What is GaLore?"': "history",
        '"history": [{"role": "system", "content": "x"}]': "history",
        '"history": [{"role": "user", "content": ""}]': "history",
        '"gold_titles": [1]': "gold_titles",
    }
    for fields, name in bad_fields.items():
        path.write_text(ok + '{"id": "2", "kind": "factoid", "question": "x?", ' + fields + "}\n")
        with pytest.raises(RagError, match=rf"q.jsonl:2: field '{name}'"):
            load_questions(path)


def test_question_file_splits_shapes_and_history(tmp_path):
    path = tmp_path / "q.jsonl"
    history = [{"role": "user", "content": "What is GaLore?"}, {"role": "assistant", "content": "A method."}]
    rows = [
        {"id": "a", "kind": "factoid", "question": "What is GaLore?", "shape": "definition", "split": "dev"},
        {"id": "b", "kind": "synthesis", "question": "Which papers study grokking?", "shape": "list", "split": "test"},
        {
            "id": "c",
            "kind": "factoid",
            "question": "Its memory?",
            "shape": "followup",
            "split": "dev",
            "history": history,
        },
        {"id": "d", "kind": "unanswerable", "question": "Who won in 2018?"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    questions = load_questions(path)
    assert [q.shape for q in questions] == ["definition", "list", "followup", "unanswerable"]  # d: default by kind
    assert [q.split for q in questions] == ["dev", "test", "dev", None]
    assert list(questions[2].history) == history
    assert [q.id for q in load_questions(path, split="dev")] == ["a", "c"]
    assert [q.id for q in load_questions(path, split="test")] == ["b"]
    with pytest.raises(RagError, match="split 'train'"):
        load_questions(path, split="train")
    path.write_text(json.dumps(rows[3]) + "\n")
    with pytest.raises(RagError, match="no questions in split 'dev'"):
        load_questions(path, split="dev")


def test_question_set_meets_the_required_mix():
    questions = load_questions(QUESTIONS)
    kinds = [q.kind for q in questions]
    shapes = [q.shape for q in questions]
    assert len(questions) >= 87 + 60
    assert kinds.count("factoid") >= 50 and kinds.count("synthesis") >= 20 and kinds.count("unanswerable") >= 10
    assert all(len(q.gold_titles) >= 2 for q in questions if q.kind == "synthesis")
    assert all(len(q.gold_titles) == 1 for q in questions if q.kind == "factoid")
    assert all(not q.gold_titles for q in questions if q.kind == "unanswerable")
    # issue 11: at least 10 each of quantity, which, mechanism and list/compare; 15 near-domain
    # unanswerable questions besides the 12 off-topic ones; 5 follow-ups with their history
    assert min(shapes.count("quantity"), shapes.count("which"), shapes.count("mechanism")) >= 10
    assert shapes.count("list") + shapes.count("compare") >= 10
    assert kinds.count("unanswerable") >= 12 + 15
    assert sum(1 for q in questions if q.shape == "followup" and q.history) >= 5
    # every question is in a split, and the test split holds a real share of each kind (the
    # later x01-x40 questions went to dev only, to check generalization before test was read)
    assert all(q.split in ("dev", "test") for q in questions)
    for kind in ("factoid", "synthesis", "unanswerable"):
        dev = sum(1 for q in questions if q.kind == kind and q.split == "dev")
        test = sum(1 for q in questions if q.kind == kind and q.split == "test")
        assert test >= 0.3 * (dev + test) and dev >= test, kind


def test_rag_eval_end_to_end_writes_report_json_and_plots(full_settings, tmp_path):
    rows = {row["id"]: row for row in map(json.loads, QUESTIONS.read_text().splitlines())}
    bad_gold = {**rows["f02"], "id": "bad-gold", "gold_titles": ["A Paper That Is Not There"]}
    small = [rows["f01"], rows["s01"], rows["u12"], bad_gold, rows["nf01"]]  # nf01: a follow-up with history
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
    hybrid = summary["hybrid"]
    assert hybrid["n"] == 5 and hybrid["by_kind"]["unanswerable"]["n"] == 1
    assert hybrid["overall"]["abstained_unanswerable"] == 1.0 and "false_abstention" in hybrid["overall"]
    assert hybrid["by_shape"]["followup"]["n"] == 1 and hybrid["by_shape"]["which"]["n"] == 2
    assert hybrid["by_split"]["dev"]["n"] == 3 and hybrid["by_split"]["test"]["n"] == 2
    for name in ("report.md", "results.json", "recall_at_k.png", "latency.png"):
        assert (out / name).stat().st_size > 0
    report = (out / "report.md").read_text()
    assert "| factoid | mrr |" in report and "bm25 - hybrid" in report
    assert "| overall | gold_first |" in report and "| overall | false_abstention |" in report
    assert "Splits: dev (3 questions) and test (2 questions)." in report
    assert "| followup | 1 |" in report and "| hybrid dev | hybrid test | bm25 dev | bm25 test |" in report
    assert "gold title not in the index: 'A Paper That Is Not There'" in report
    results = json.loads((out / "results.json").read_text())
    scored = results["runs"]["hybrid"]["questions"]
    assert scored[0]["retrieved"][0] == rows["f01"]["gold_titles"][0]
    assert scored[4]["history"] == rows["nf01"]["history"] and scored[4]["shape"] == "followup"

    again = subprocess.run(command, check=False, capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    strip = {name: {k: v for k, v in run.items() if k != "latency_ms"} for name, run in summary.items()}
    assert strip == {
        name: {k: v for k, v in run.items() if k != "latency_ms"} for name, run in json.loads(again.stdout).items()
    }
