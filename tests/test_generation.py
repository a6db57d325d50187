"""The LLM answer path against a scripted OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time

import pytest

import rag
from rag.chunking import count_tokens
from rag.errors import RagError
from rag.prompts import SOURCES_HEADER, SYSTEM_PROMPT
from tests.conftest import REPO
from tests.openai_server import Reply, source_number

GALORE = "GaLore: Memory-Efficient LLM Training by Gradient Low-Rank Projection"


def test_invalid_citation_is_removed_and_valid_ones_verified(server, llm_settings):
    def script(request):
        n = source_number(request, "GaLore:")
        return Reply(
            f"GaLore projects gradients into a low-rank subspace, which cuts optimizer-state memory [{n}]. "
            f"It reduces optimizer memory by up to 65.5% [{n}][9]."
        )

    server.script = script
    answer = rag.ask("How does GaLore reduce memory when training LLMs?", settings=llm_settings)
    data = answer.to_dict()
    assert data["mode"] == "llm" and not data["abstained"]
    assert "[9]" not in data["answer"] and "[9]" in data["notice"]
    n = source_number(server.requests[-1], "GaLore:")
    assert [c["n"] for c in data["citations"]] == [n] and data["citations"][0]["title"] == GALORE
    assert [s["citations"] for s in data["sentences"]] == [[n], [n]]
    assert all(s["supported"] for s in data["sentences"]), data["sentences"]
    assert set(re.findall(r"\[(\d+)\]", data["answer"])) == {str(n)}


def test_unsupported_and_uncited_sentences_are_flagged(server, llm_settings):
    def script(request):
        n = source_number(request, "Grokking at the Edge")
        return Reply(
            f"Grokking pushes models to the edge of numerical stability, causing Softmax Collapse [{n}]. "
            f"The authors trained protein folding models on hospital records from Brazil [{n}]. "
            "Many researchers find this fascinating."
        )

    server.script = script
    answer = rag.ask("What explains grokking?", settings=llm_settings)
    flags = [(s.supported, s.citations != ()) for s in answer.sentences]
    assert flags == [(True, True), (False, True), (False, False)], [(s.text, s.support) for s in answer.sentences]
    assert answer.sentences[0].support > answer.sentences[1].support


def test_model_refusal_becomes_an_abstention_without_citations(server, llm_settings):
    server.script = lambda request: Reply("The indexed papers do not answer this.")
    answer = rag.ask("How does GaLore reduce memory?", settings=llm_settings)
    assert answer.abstained and answer.citations == [] and answer.mode == "llm"
    assert len(server.requests) == 1


def test_weak_evidence_abstains_without_calling_the_llm(server, llm_settings):
    answer = rag.ask("What is the capital of Australia?", settings=llm_settings)
    assert answer.abstained and server.requests == []


def test_a_technical_term_no_paper_uses_abstains_without_calling_the_llm(server, llm_settings):
    # 3D Gaussian Splatting papers are indexed; none mentions the water medium's backscatter.
    question = "Which paper adapts 3D Gaussian Splatting to underwater scenes by modeling attenuation and backscatter?"
    answer = rag.ask(question, settings=llm_settings)
    assert answer.abstained and server.requests == []
    assert '"backscatter"' in answer.answer


def test_a_capitalised_name_no_paper_uses_abstains_without_calling_the_llm(server, llm_settings):
    answer = rag.ask("How does the latent array in the Perceiver scale with input size?", settings=llm_settings)
    assert answer.abstained and server.requests == []
    assert "'Perceiver'" in answer.answer


def test_near_domain_which_paper_questions_abstain_without_calling_the_llm(server, llm_settings):
    # Papers use PagedAttention, none proposes it; no abstract describes expert-choice routing.
    proposer = rag.ask("Which paper proposes PagedAttention for managing the KV cache?", settings=llm_settings)
    described = rag.ask(
        "Which paper proposes expert-choice routing for mixture-of-experts, where each expert picks its top-k tokens "
        "instead of each token picking experts?",
        settings=llm_settings,
    )
    assert proposer.abstained and described.abstained and server.requests == []
    assert "none of them proposes it" in proposer.answer
    assert "matches only part of the description" in described.answer


def test_server_down_gives_a_clear_note_and_the_extractive_answer(llm_settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = llm_settings.replace(llm_base_url=f"http://127.0.0.1:{port}/v1")
    answer = rag.ask("How does GaLore reduce memory?", settings=settings)
    assert answer.mode == "extractive" and answer.citations
    assert "cannot reach the LLM server" in answer.notice and "extractive answer" in answer.notice


def test_slow_server_times_out(server, llm_settings):
    server.script = lambda request: Reply("Too late [1].", delay=3.0)
    started = time.perf_counter()
    answer = rag.ask("How does GaLore reduce memory?", settings=llm_settings.replace(llm_timeout=0.5))
    assert time.perf_counter() - started < 2.5
    assert answer.mode == "extractive" and "did not answer within the timeout" in answer.notice


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (Reply(raw=b"<html>not json</html>"), "not a valid chat completion"),
        (Reply(raw=json.dumps({"choices": []}).encode()), "not a valid chat completion"),
        (Reply(status=500), "HTTP 500"),
    ],
)
def test_malformed_or_failing_responses_give_clear_errors(server, llm_settings, reply, message):
    server.script = lambda request: reply
    answer = rag.ask("How does GaLore reduce memory?", settings=llm_settings)
    assert answer.mode == "extractive" and message in answer.notice
    assert "not-needed" not in answer.notice and "api_key" not in answer.notice


def test_streaming_yields_tokens_before_the_verified_answer(server, llm_settings):
    text = "GaLore cuts optimizer memory by projecting gradients to a low-rank subspace [1]."
    server.script = lambda request: Reply(text.replace("[1]", f"[{source_number(request, 'GaLore:')}]"))
    events = list(rag.ask_stream("How does GaLore reduce memory?", settings=llm_settings))
    tokens = [e.text for e in events if e.kind == "token"]
    assert len(tokens) > 5 and events[-1].kind == "answer"
    assert "".join(tokens).startswith("GaLore cuts optimizer memory")
    assert server.requests[-1]["stream"] is True
    assert events[-1].answer.citations[0].title == GALORE


def test_cli_streams_and_prints_the_verified_answer(server, llm_settings):
    server.script = lambda request: Reply(
        f"GaLore projects gradients to a low-rank subspace [{source_number(request, 'GaLore:')}]."
    )
    env = {
        **os.environ,
        "RAG_DATA_DIR": llm_settings.store.data_dir,
        "RAG_LLM_MODEL": "scripted-model",
        "RAG_LLM_BASE_URL": server.url,
        "RAG_LLM_CACHE": "false",
        "RAG_LLM_API_KEY": "sk-never-printed",
    }
    rag_bin = os.path.join(os.path.dirname(sys.executable), "rag")
    result = subprocess.run(
        [rag_bin, "ask", "How does GaLore reduce memory?", "--stream"],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Verified answer:" in result.stdout and GALORE in result.stdout
    assert "sk-never-printed" not in result.stdout + result.stderr


def test_follow_up_is_rewritten_with_the_history(server, llm_settings):
    def script(request):
        if "Rewrite the user's last question" in request["messages"][0]["content"]:
            return Reply("What is Q-GaLore, the quantized variant of GaLore?")
        return Reply(f"Q-GaLore uses INT4 projection [{source_number(request, 'Q-GaLore')}].")

    server.script = script
    history = [
        {"role": "user", "content": "What is GaLore?"},
        {"role": "assistant", "content": "GaLore projects gradients into a low-rank subspace [1]."},
    ]
    answer = rag.ask("What about its quantized variant?", history=history, settings=llm_settings)
    assert answer.standalone_question == "What is Q-GaLore, the quantized variant of GaLore?"
    assert answer.citations[0].title.startswith("Q-GaLore")
    sent = server.requests[-1]["messages"]
    assert [m["content"] for m in sent[1:3]] == [h["content"] for h in history]


def test_prompt_fits_the_context_window(server, llm_settings):
    server.script = lambda request: Reply("The indexed papers do not answer this.")
    settings = llm_settings.replace(llm_context_tokens=1400, llm_max_tokens=200)
    rag.ask("How do methods reduce GPU memory when training large language models?", k=5, settings=settings)
    messages = server.requests[-1]["messages"]
    used = sum(count_tokens(m["content"]) + 4 for m in messages)
    assert used + 200 <= 1400
    assert 1 <= messages[-1]["content"].count("<source n=") < 5

    tiny = llm_settings.replace(llm_context_tokens=600, llm_max_tokens=200)
    answer = rag.ask("How do methods reduce GPU memory? " + "memory " * 450, settings=tiny)
    assert answer.mode == "extractive" and "exceeds the model's 600-token context" in answer.notice


def test_responses_are_cached_on_disk_unless_disabled(server, llm_settings, tmp_path):
    server.script = lambda request: Reply(f"GaLore saves memory [{source_number(request, 'GaLore:')}].")
    cached = llm_settings.replace(llm_cache=True, data_dir=llm_settings.store.data_dir)
    first = rag.ask("How does GaLore reduce memory?", settings=cached)
    second = rag.ask("How does GaLore reduce memory?", settings=cached)
    assert len(server.requests) == 1 and first.answer == second.answer
    rag.ask("How does GaLore reduce memory?", settings=llm_settings)
    assert len(server.requests) == 2


def test_sources_are_fenced_as_data(server, llm_settings):
    server.script = lambda request: Reply("The indexed papers do not answer this.")
    rag.ask("What explains grokking?", settings=llm_settings)
    system, user = server.requests[-1]["messages"][0]["content"], server.requests[-1]["messages"][-1]["content"]
    assert system == SYSTEM_PROMPT and "not instructions" in system
    assert user.startswith(SOURCES_HEADER) and user.rstrip().endswith("Question: What explains grokking?")


def test_llm_mode_without_a_model_is_a_clear_error(full_settings):
    with pytest.raises(RagError, match="RAG_LLM_MODEL"):
        rag.ask("What explains grokking?", answer_mode="llm", settings=full_settings)


def test_transient_server_errors_are_retried_a_bounded_number_of_times(server, llm_settings):
    calls = []

    def script(request):
        calls.append(1)
        if len(calls) <= 2:
            return Reply(status=503)
        return Reply(f"GaLore saves memory [{source_number(request, 'GaLore:')}].")

    server.script = script
    answer = rag.ask("How does GaLore reduce memory?", settings=llm_settings.replace(llm_retries=2))
    assert answer.mode == "llm" and len(calls) == 3

    calls.clear()
    answer = rag.ask("How does GaLore cut optimizer memory?", settings=llm_settings.replace(llm_retries=1))
    assert answer.mode == "extractive" and "HTTP 503" in answer.notice and len(calls) == 2


def _titles_in_prompt(request: dict) -> list[str]:
    return re.findall(r'<source n="\d+">\nTitle: ([^\n]+)', request["messages"][-1]["content"])


def test_llm_gets_the_same_focus_as_the_quotes(server, llm_settings):
    """The paper introducing the asked name is source [1]; papers without the question's key words
    are not sent; weak evidence abstains before any call."""
    server.script = lambda request: Reply("GaLore projects gradients into a low-rank subspace [1].")
    answer = rag.ask("What is GaLore?", settings=llm_settings)
    titles = _titles_in_prompt(server.requests[-1])
    assert titles[0] == GALORE and answer.citations[0].title == GALORE
    assert all("galore" in title.lower() or "low-rank" in title.lower() for title in titles), titles
    extractive = rag.ask("What is GaLore?", answer_mode="extractive", settings=llm_settings)
    assert [s.title for s in answer.sources] == [s.title for s in extractive.sources][: len(answer.sources)]

    calls = len(server.requests)
    unanswerable = rag.ask("How many parameters does DeepSeek-R1 have?", settings=llm_settings)
    assert unanswerable.abstained and len(server.requests) == calls  # no LLM call spent on it
