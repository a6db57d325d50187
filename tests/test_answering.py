"""Extractive answers: every sentence is quoted from a cited abstract; weak evidence abstains."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

import rag
from tests.conftest import REPO, load_questions

QUESTIONS = load_questions()


def _check_citations(data: dict) -> None:
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", data["answer"])}
    cited = {c["n"] for c in data["citations"]}
    assert numbers == cited
    sources = {s["n"]: s for s in data["sources"]}
    for citation in data["citations"]:
        assert sources[citation["n"]]["paper_id"] == citation["paper_id"]


DEV = [q for q in QUESTIONS if q["split"] == "dev"]


def test_every_answer_sentence_is_verbatim_from_the_paper_it_cites(full_settings):
    for question in [q for q in DEV if q["kind"] != "unanswerable"][:30]:
        answer = rag.ask(question["question"], settings=full_settings)
        data = answer.to_dict()
        _check_citations(data)
        assert not answer.abstained, question["id"]
        by_n = {s.n: s for s in answer.sources}
        for sentence in answer.sentences:
            (n,) = sentence.citations
            (source_sentence,) = sentence.evidence
            assert source_sentence in by_n[n].sentences
            # The quote is the sentence, its claim without an opening connective ("…we propose X"), or
            # the sentence with its own-work subject named in brackets ("[This paper's approach] ...").
            assert (
                sentence.text == source_sentence
                or (sentence.text.startswith("…") and source_sentence.endswith(sentence.text[1:]))
                or re.sub(r"^\[This paper's (\w+)\]", r"Our \1", sentence.text) == source_sentence
            )
            assert sentence.text in answer.answer and sentence.lead in answer.answer


def test_abstention_on_the_dev_split(full_settings):
    """Unanswerable questions (many near-domain: a name the corpus mentions, a fact it does not
    state) abstain; answerable ones do not. On dev, where the rules were set; the test split's
    figures are reported by `rag eval` (README, "Answer quality"), not asserted."""
    missed, wrongly = [], []
    for question in DEV:
        answer = rag.ask(question["question"], history=question.get("history"), settings=full_settings)
        if question["kind"] == "unanswerable" and not answer.abstained:
            missed.append(question["id"])
        if question["kind"] != "unanswerable" and answer.abstained:
            wrongly.append(question["id"])
        if answer.abstained:
            assert answer.citations == [] and "[" not in answer.answer
    unanswerable = sum(q["kind"] == "unanswerable" for q in DEV)
    assert len(missed) <= 0.1 * unanswerable, missed  # measured: 2 of 31
    assert len(wrongly) <= 0.03 * (len(DEV) - unanswerable), wrongly  # measured: 1 of 100


def test_abstention_still_returns_the_closest_papers(full_settings):
    answer = rag.ask("How does AlphaFold predict protein structures?", settings=full_settings)
    assert answer.abstained and "AlphaFold" in answer.answer
    assert len(answer.sources) == full_settings.retrieval.ask_k


def _rag(full_settings, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "RAG_DATA_DIR": full_settings.store.data_dir}
    rag_bin = os.path.join(os.path.dirname(sys.executable), "rag")
    return subprocess.run([rag_bin, *args], check=False, capture_output=True, text=True, env=env, cwd=REPO, timeout=120)


@pytest.mark.parametrize(
    ("question", "abstains"),
    [
        ("Which optimizer trained BERT in 76 minutes with huge batches?", False),
        ("What is the recommended treatment for a migraine?", True),
    ],
)
def test_cli_ask_json_contract(full_settings, question, abstains):
    result = _rag(full_settings, "ask", question, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= {"answer", "abstained", "citations", "sources", "timings_ms"}
    assert data["abstained"] is abstains
    _check_citations(data)
    if not abstains:
        assert "76 minutes" in data["answer"]
        assert (
            data["citations"][0]["title"] == "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes"
        )
    assert data == {**rag.ask(question, settings=full_settings).to_dict(), "timings_ms": data["timings_ms"]}


def test_cli_search_json_matches_the_library(full_settings):
    result = _rag(full_settings, "search", "softmax collapse", "-k", "3", "--json", "--mode", "bm25")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [set(hit) for hit in data] == [{"paper_id", "title", "score", "text"}] * 3
    assert data == rag.search("softmax collapse", k=3, mode="bm25", settings=full_settings).to_dict()


def test_cli_reports_errors_without_a_traceback(full_settings):
    result = _rag(full_settings, "search", "   ")
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr


def test_cli_output_cut_short_by_the_reader_is_not_an_error(full_settings):
    rag_bin = os.path.join(os.path.dirname(sys.executable), "rag")
    env = {**os.environ, "RAG_DATA_DIR": full_settings.store.data_dir}
    pipeline = f"'{rag_bin}' search 'grokking' -k 20 --json | head -c 10 >/dev/null"
    done = subprocess.run(["sh", "-c", pipeline], env=env, capture_output=True, text=True, check=False, timeout=120)
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr
