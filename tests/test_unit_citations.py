"""Unit tests for citation checks (rag.citations) and the LLM answerer (rag.generation), with fakes only."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from rag.chunking import split_sentences
from rag.citations import check_answer, split_cited_sentences
from rag.config import Settings
from rag.errors import LLMError
from rag.generation import LLMAnswerer, fit_prompt, message_tokens, verified_answer
from rag.prompts import NOT_IN_CORPUS
from rag.text import CITATION
from tests.fakes import GALORE, GROKKING, LORA, FakeEmbedding, hit_for, make_evidence, stored_sentences

SOURCES = [hit_for(GALORE, n=1), hit_for(GROKKING, n=2)]
EVIDENCE = {p.paper_id: stored_sentences(p.paper_id, split_sentences(p.abstract)) for p in (GALORE, GROKKING)}


def cited_numbers(text: str) -> set[int]:
    return {int(n) for group in CITATION.findall(text) for n in re.split(r"\s*[,;]\s*", group)}


# --- split_cited_sentences ----------------------------------------------------------------


def test_markers_opening_a_sentence_belong_to_the_previous_one():
    pieces = split_cited_sentences("GaLore saves memory. [1] Grokking is delayed generalization [2].")
    assert pieces == [("GaLore saves memory.", [1]), ("Grokking is delayed generalization.", [2])]


def test_citation_lists_and_adjacent_markers_are_all_kept():
    pieces = split_cited_sentences("LoRA freezes the weights [1, 3]. Quantization is cheap [2][4]. Plain claim.")
    assert [numbers for _, numbers in pieces] == [[1, 3], [2, 4], []]
    # Markers are removed from the text, with no space left before the full stop.
    assert [text for text, _ in pieces] == ["LoRA freezes the weights.", "Quantization is cheap.", "Plain claim."]
    # A marker opening the very first sentence stays with it.
    assert split_cited_sentences("[2] Grokking happens late.") == [("Grokking happens late.", [2])]


# --- check_answer -------------------------------------------------------------------------


def test_check_answer_reports_invalid_numbers_and_uncited_sentences():
    text = (
        "GaLore projects gradients into a low-rank subspace to reduce optimizer state memory [1]. "
        "Weight decay shortens the time until grokking happens [2][7]. "
        "It also cures cancer."
    )
    checked = check_answer(text, SOURCES, EVIDENCE, FakeEmbedding(), threshold=0.55)
    assert checked.invalid == [7]
    assert checked.cited == [1, 2]
    assert "[7]" not in checked.text and cited_numbers(checked.text) == {1, 2}
    first, second, third = checked.sentences
    assert first.citations == (1,) and first.supported and first.evidence
    assert all(e in GALORE.abstract for e in first.evidence)
    assert second.citations == (2,) and second.supported
    assert third.citations == () and not third.supported and third.evidence == ()


def test_claim_cited_to_the_wrong_paper_is_unsupported():
    checked = check_answer(
        "GaLore projects gradients into a low-rank subspace to reduce optimizer state memory [2].",
        SOURCES,
        EVIDENCE,
        FakeEmbedding(),
        threshold=0.55,
    )
    (sentence,) = checked.sentences
    assert sentence.citations == (2,) and not sentence.supported and sentence.evidence == ()
    assert sentence.support < 0.55


# --- verified_answer ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply", [NOT_IN_CORPUS, "I cannot answer this from the sources.", "This is not in the indexed papers."]
)
def test_refusal_text_becomes_an_abstention_without_citations(reply):
    answer = verified_answer(reply, SOURCES, EVIDENCE, FakeEmbedding(), Settings())
    assert answer.abstained and answer.citations == [] and answer.answer == NOT_IN_CORPUS
    assert answer.sources == SOURCES  # the reader still sees the closest papers


def test_verified_answer_keeps_only_existing_citations_and_says_so():
    reply = "GaLore projects gradients into a low-rank subspace [1]. Grokking is delayed generalization [9]."
    answer = verified_answer(reply, SOURCES, EVIDENCE, FakeEmbedding(), Settings())
    assert not answer.abstained and answer.mode == "llm"
    assert answer.invalid_citations == [9]
    assert cited_numbers(answer.answer) <= {c.n for c in answer.citations} == {1}
    assert [n.code for n in answer.notices] == ["invalid_citations"] and not answer.fallback
    uncited = verified_answer("GaLore is great.", SOURCES, EVIDENCE, FakeEmbedding(), Settings())
    assert not uncited.abstained and "uncited_answer" in [n.code for n in uncited.notices]


# --- fit_prompt ---------------------------------------------------------------------------


def small_context(tokens: int = 1200) -> Settings:
    return Settings().replace(llm_context_tokens=tokens, llm_max_tokens=100)


def conversation(words_per_turn: int, turns: int = 6) -> list[dict[str, str]]:
    return [
        {"role": "user" if i % 2 == 0 else "assistant", "content": f"turn {i}: " + "word " * words_per_turn}
        for i in range(turns)
    ]


def test_fit_prompt_drops_the_oldest_history_first():
    settings = small_context()
    history = conversation(words_per_turn=300)
    sources = [hit_for(GALORE, n=1), hit_for(GROKKING, n=2), hit_for(LORA, n=3)]
    messages, kept = fit_prompt("How does GaLore save memory?", sources, history, settings)
    kept_turns = messages[1:-1]
    assert 0 < len(kept_turns) < len(history)
    assert kept_turns == history[-len(kept_turns) :]  # the most recent turns, in order
    assert kept and kept == sources[: len(kept)]  # best sources first
    budget = int(settings.llm.llm_context_tokens * 0.9) - settings.llm.llm_max_tokens
    assert message_tokens(messages) <= budget


def test_fit_prompt_drops_history_to_make_room_for_a_source():
    # Three 255-token turns fit without sources; then not even one source does.
    messages, kept = fit_prompt(
        "How does GaLore save memory?", [hit_for(GALORE, n=1)], conversation(250), small_context()
    )
    assert kept == [hit_for(GALORE, n=1)]
    assert message_tokens(messages) <= int(1200 * 0.9) - 100


def test_fit_prompt_refuses_a_question_that_alone_does_not_fit():
    with pytest.raises(LLMError, match="question alone"):
        fit_prompt("why " * 2000, [hit_for(GALORE, n=1)], [{"role": "user", "content": "hi"}], small_context())


# --- LLMAnswerer with a fake chat client --------------------------------------------------


class FakeChat:
    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.calls = 0

    def complete(self, messages, deadline=None):
        self.calls += 1
        return self.reply

    def stream(self, messages, deadline=None):
        self.calls += 1
        yield from re.findall(r"\S+\s*", self.reply)


def fake_engine(chat) -> SimpleNamespace:
    return SimpleNamespace(settings=Settings(), chat=chat, embed_model=FakeEmbedding())


def test_llm_answerer_streams_tokens_then_a_verified_answer():
    evidence = make_evidence("How does GaLore reduce optimizer memory?", [GROKKING, GALORE])
    number = evidence.sources()[1].n  # GaLore, retrieved second
    chat = FakeChat(f"GaLore projects gradients into a low-rank subspace to reduce optimizer memory [{number}].")
    events = list(LLMAnswerer(fake_engine(chat)).answer(evidence, [], stream=True))
    tokens = [e.text for e in events if e.kind == "token"]
    assert "".join(tokens) == chat.reply and len(tokens) > 1
    assert [e.kind for e in events][-1] == "answer" and sum(e.answer is not None for e in events) == 1
    answer = events[-1].answer
    assert [c.paper_id for c in answer.citations] == [GALORE.paper_id]
    assert cited_numbers(answer.answer) == {c.n for c in answer.citations}


def test_llm_answerer_does_not_call_the_llm_on_weak_evidence():
    evidence = make_evidence("What does AlphaFold predict?", [GROKKING, GALORE], unknown_names=("AlphaFold",))
    assert not evidence.answerable
    chat = FakeChat("AlphaFold predicts protein structure [1].")
    (event,) = LLMAnswerer(fake_engine(chat)).answer(evidence, [], stream=False)
    assert chat.calls == 0 and event.answer.abstained and event.answer.citations == []
