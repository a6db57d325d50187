"""The LLM path's hard limits, against the scripted OpenAI-compatible server over a small real index:
llm_timeout is one deadline for the whole answer (a dripping or hanging server, retries, the
follow-up rewrite), a stream cut off midway is not an answer and is never cached, and every
citation form a model writes is normalised or removed.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

import rag
from rag.chunking import split_sentences
from rag.citations import check_answer
from rag.config import Settings
from rag.generation import verified_answer
from tests.fakes import GALORE, GROKKING, FakeEmbedding, hit_for, stored_sentences
from tests.openai_server import Reply, source_number

QUESTION = "How does GaLore reduce memory?"
TIMEOUT = 3.0
DRIP = "GaLore projects gradients into a low-rank subspace and so saves optimizer memory [1]."


@pytest.fixture
def settings(small_index, server) -> rag.Settings:
    llm = small_index.replace(
        llm_model="scripted-model", llm_base_url=server.url, llm_retries=0, llm_timeout=TIMEOUT, llm_cache=False
    )
    # Warm the engine (Chroma, embedding model, BM25) so the timings below are the LLM's.
    assert rag.ask(QUESTION, answer_mode="extractive", settings=llm).citations
    return llm


def fell_back(answer: rag.Answer) -> bool:
    return answer.mode == "extractive" and bool(answer.citations) and "extractive answer instead" in answer.notice


# --- llm_timeout is a deadline for the whole answer -----------------------------------------


def test_a_dripping_server_is_cut_off_at_the_deadline(server, settings):
    server.script = lambda request: Reply(DRIP, word_delay=2.0)  # one word every 2 s, each read in time
    started = time.perf_counter()
    answer = rag.ask(QUESTION, settings=settings)
    elapsed = time.perf_counter() - started
    assert len(server.requests) == 1 and "stream" not in server.requests[0]
    assert elapsed < TIMEOUT + 2, elapsed
    assert fell_back(answer) and f"did not finish within {TIMEOUT:g} s" in answer.notice


def test_a_dripping_stream_is_cut_off_at_the_deadline(server, settings):
    server.script = lambda request: Reply(DRIP, word_delay=2.0)
    started = time.perf_counter()
    events = list(rag.ask_stream(QUESTION, settings=settings))
    elapsed = time.perf_counter() - started
    assert server.requests[-1]["stream"] is True
    assert elapsed < TIMEOUT + 2, elapsed
    tokens = [e.text for e in events if e.kind == "token"]
    assert 1 <= len(tokens) <= 3  # what arrived in time was shown as it came
    assert fell_back(events[-1].answer) and "did not finish within" in events[-1].answer.notice


def test_retries_stop_at_the_deadline(server, settings):
    server.script = lambda request: Reply(status=503)
    started = time.perf_counter()
    answer = rag.ask(QUESTION, settings=settings.replace(llm_retries=50, llm_timeout=2.0))
    assert time.perf_counter() - started < 2.0 + 2
    assert fell_back(answer) and "HTTP 503" in answer.notice
    assert 2 <= len(server.requests) < 10  # retried with backoff, not 51 times


def test_the_follow_up_rewrite_and_the_answer_share_one_deadline(server, settings):
    server.script = lambda request: Reply("What is GaLore?", delay=10.0)  # hangs
    history = [{"role": "user", "content": "What is GaLore?"}, {"role": "assistant", "content": "A method [1]."}]
    started = time.perf_counter()
    answer = rag.ask("And how does it save memory?", history=history, settings=settings)
    assert time.perf_counter() - started < TIMEOUT + 2
    codes = [notice.code for notice in answer.notices]
    assert codes[:2] == ["followup_not_rewritten", "llm_unavailable"], codes
    assert len(server.requests) == 1  # the answer was not even sent: no time was left for it


def test_an_answer_in_time_is_unaffected(server, settings):
    server.script = lambda request: Reply(
        f"GaLore projects gradients into a low-rank subspace [{source_number(request, 'GaLore:')}].", word_delay=0.2
    )
    assert rag.ask(QUESTION, settings=settings).mode == "llm"
    events = list(rag.ask_stream(QUESTION, settings=settings))
    assert events[-1].answer.mode == "llm" and not events[-1].answer.notice


# --- a cut stream is not an answer, and is never cached --------------------------------------


def test_a_cut_stream_falls_back_and_is_not_cached(server, settings):
    cache = Path(settings.store.data_dir) / "llm_cache"
    cached = settings.replace(llm_cache=True)
    full = "GaLore projects gradients into a low-rank subspace [{n}]. It saves optimizer memory [{n}]."
    server.script = lambda request: Reply(full.format(n=source_number(request, "GaLore:")), cut=True)
    events = list(rag.ask_stream(QUESTION, settings=cached))
    answer = events[-1].answer
    assert any(e.kind == "token" for e in events)
    assert fell_back(answer) and "stream was cut off before the answer finished" in answer.notice
    assert not cache.exists() or not any(cache.iterdir())

    # The server is fixed: the same question is asked again (nothing replayed), then cached.
    server.script = lambda request: Reply(full.format(n=source_number(request, "GaLore:")))
    answer = list(rag.ask_stream(QUESTION, settings=cached))[-1].answer
    assert answer.mode == "llm" and not answer.notice and len(server.requests) == 2
    assert len(list(cache.iterdir())) == 1
    replay = list(rag.ask_stream(QUESTION, settings=cached))[-1].answer
    assert replay.answer == answer.answer and len(server.requests) == 2


# --- citation forms ---------------------------------------------------------------------------

SOURCES = [hit_for(GALORE, n=1), hit_for(GROKKING, n=2)]
EVIDENCE = {p.paper_id: stored_sentences(p.paper_id, split_sentences(p.abstract)) for p in (GALORE, GROKKING)}
GALORE_CLAIM = "GaLore projects gradients into a low-rank subspace to reduce optimizer state memory"
GROKKING_CLAIM = "Weight decay shortens the time until grokking happens"


@pytest.mark.parametrize(
    ("marker", "numbers"),
    [
        ("[ 1 ]", (1,)),
        ("[^1]", (1,)),
        ("[source 1]", (1,)),
        ("[Source 1]", (1,)),
        ("【1】", (1,)),
        ("[Sources 1, 2]", (1, 2)),
        ("[1-2]", (1, 2)),
        ("[1–2]", (1, 2)),
    ],
)
def test_citation_forms_naming_sources_are_normalised(marker, numbers):
    checked = check_answer(f"{GALORE_CLAIM} {marker}.", SOURCES, EVIDENCE, FakeEmbedding(), threshold=0.55)
    (sentence,) = checked.sentences
    assert sentence.citations == numbers and checked.invalid == []
    assert checked.text == f"{GALORE_CLAIM}." + "".join(f" [{n}]" for n in numbers)


def test_citation_forms_naming_no_source_are_removed_and_listed():
    text = (
        f"{GALORE_CLAIM} [-1][1]. {GROKKING_CLAIM} [1-3]. "
        "Plain claim [source 7]. Another claim [0]. A footnote [^9]. 【5】 Last claim [2, -4]."
    )
    checked = check_answer(text, SOURCES, EVIDENCE, FakeEmbedding(), threshold=0.55)
    assert checked.invalid == [-1, 3, 7, 0, 9, 5, -4]
    assert checked.cited == [1, 2]
    assert set(re.findall(r"\[([^\]]*)\]", checked.text)) <= {"1", "2"}
    assert "-1" not in checked.text and "source" not in checked.text and "【" not in checked.text
    assert [s.citations for s in checked.sentences][:2] == [(1,), (1, 2)]

    answer = verified_answer(text, SOURCES, EVIDENCE, FakeEmbedding(), Settings())
    assert answer.invalid_citations == [-1, 3, 7, 0, 9, 5, -4]
    assert "[-1], [3], [7], [0], [9], [5], [-4]" in answer.notice


def test_citation_forms_through_the_llm_path(server, settings):
    def script(request):
        n = source_number(request, "GaLore:")
        return Reply(
            f"GaLore projects gradients into a low-rank subspace [source {n}]. "
            f"It reduces optimizer memory [ {n} ][-1]. It also trains well [^{n}]."
        )

    server.script = script
    data = rag.ask(QUESTION, settings=settings).to_dict()
    n = source_number(server.requests[-1], "GaLore:")
    assert data["mode"] == "llm" and [c["n"] for c in data["citations"]] == [n]
    assert set(re.findall(r"\[([^\]]*)\]", data["answer"])) == {str(n)}
    assert data["invalid_citations"] == [-1] and "[-1]" in data["notice"]


def test_extractive_answers_are_untouched_by_normalisation(settings):
    answer = rag.ask(QUESTION, answer_mode="extractive", settings=settings)
    assert answer.mode == "extractive" and not answer.invalid_citations
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    assert numbers and numbers <= {c.n for c in answer.citations}
