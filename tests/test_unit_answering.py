"""Unit tests for evidence, the extractive answerer and the fallback wrapper, on hand-made evidence."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from rag.answerers import WithFallback, choose_answerer
from rag.config import AnswerSettings, Settings
from rag.errors import LLMError, RagError
from rag.evidence import Evidence, ScoredSentence, is_answerable
from rag.extractive import ExtractiveAnswerer, abstention, extractive_answer, select_sentences
from rag.generation import LLMAnswerer
from rag.prompts import NOT_IN_CORPUS
from rag.text import CITATION
from rag.types import AskEvent, Theme
from tests.fakes import GALORE, GROKKING, LORA, QUANTIZATION, hit_for, make_evidence, sentence_with_vector

DEFAULTS = AnswerSettings()


def cited_numbers(text: str) -> list[int]:
    return [int(n) for group in CITATION.findall(text) for n in re.split(r"\s*[,;]\s*", group)]


# --- is_answerable ------------------------------------------------------------------------


def test_weak_evidence_is_not_answerable():
    threshold = DEFAULTS.abstain_threshold
    assert is_answerable(threshold, (), DEFAULTS)
    assert not is_answerable(threshold - 0.01, (), DEFAULTS)
    assert not is_answerable(0.0, (), DEFAULTS)


def test_unknown_name_needs_very_strong_evidence():
    override = DEFAULTS.unknown_name_override
    assert override > DEFAULTS.abstain_threshold
    middle = (DEFAULTS.abstain_threshold + override) / 2
    assert is_answerable(middle, (), DEFAULTS)
    assert not is_answerable(middle, ("AlphaFold",), DEFAULTS)
    assert is_answerable(override, ("AlphaFold",), DEFAULTS)
    strict = AnswerSettings(abstain_threshold=0.9, unknown_name_override=0.95)
    assert not is_answerable(0.85, (), strict)


# --- select_sentences ---------------------------------------------------------------------


def scored(paper_id: str, position: int, score: float, vector) -> ScoredSentence:
    sentence = sentence_with_vector(paper_id, position, f"{paper_id} sentence {position}.", vector)
    return ScoredSentence(sentence, paper_rank=0, cosine=score, score=score)


def evidence_of(sentences: list[ScoredSentence], settings: AnswerSettings) -> Evidence:
    ordered = sorted(sentences, key=lambda s: -s.score)
    paper_ids = list(dict.fromkeys(s.sentence.paper_id for s in ordered))
    hits = [hit_for(p, score=1.0) for p in (GALORE, GROKKING, LORA) if p.paper_id in paper_ids]
    by_paper = {pid: [s.sentence for s in ordered if s.sentence.paper_id == pid] for pid in paper_ids}
    return Evidence("q", ordered[0].sentence.vector, hits, by_paper, ordered, set(), settings=settings)


def basis(i: int, dims: int = 16) -> list[float]:
    return [1.0 if j == i else 0.0 for j in range(dims)]


def test_select_sentences_caps_per_paper_and_in_total():
    settings = AnswerSettings(max_sentences_per_paper=2, max_answer_sentences=3, relative_floor=0.5)
    a, b = GALORE.paper_id, GROKKING.paper_id
    sentences = [scored(a, i, 0.9 - i * 0.01, basis(i)) for i in range(4)]
    sentences += [scored(b, i, 0.8 - i * 0.01, basis(8 + i)) for i in range(3)]
    chosen = select_sentences(evidence_of(sentences, settings))
    per_paper = [c.sentence.paper_id for c in chosen]
    assert len(chosen) == 3
    assert per_paper.count(a) == 2 and per_paper.count(b) == 1
    # The best ones, best first.
    assert [c.score for c in chosen] == sorted((c.score for c in chosen), reverse=True)
    assert chosen[0].score == max(s.score for s in sentences)


def test_select_sentences_skips_near_duplicates_and_weak_sentences():
    settings = AnswerSettings(redundancy_cosine=0.92, relative_floor=0.8, max_sentences_per_paper=5)
    a, b = GALORE.paper_id, GROKKING.paper_id
    best = scored(a, 0, 0.9, basis(0))
    repeat = scored(b, 0, 0.89, [1.0, 0.1] + [0.0] * 14)  # cosine ~0.995 with the best one
    different = scored(b, 1, 0.85, basis(1))
    weak = scored(a, 1, 0.5, basis(2))  # below 0.8 x 0.9
    chosen = select_sentences(evidence_of([best, repeat, different, weak], settings))
    assert [c.sentence for c in chosen] == [best.sentence, different.sentence]


# --- extractive_answer and abstention -----------------------------------------------------


def test_extractive_answer_numbers_cited_papers_first_in_citation_order():
    # Retrieved order: quantization, LoRA, grokking, GaLore. Cited papers follow the retrieval order.
    evidence = make_evidence(
        "low-rank training memory of large language models", [QUANTIZATION, LORA, GROKKING, GALORE]
    )
    answer = extractive_answer(evidence)
    assert not answer.abstained and answer.mode == "extractive"
    cited_ids = [c.paper_id for c in answer.citations]
    assert len(cited_ids) >= 2  # the test is about the order of several citations
    assert [c.n for c in answer.citations] == list(range(1, len(cited_ids) + 1))
    retrieval_order = [h.paper_id for h in evidence.hits]
    assert cited_ids == sorted(cited_ids, key=retrieval_order.index)
    assert [s.paper_id for s in answer.sources[: len(cited_ids)]] == cited_ids
    # Uncited papers follow in retrieval order, numbered after the cited ones.
    rest = [h.paper_id for h in evidence.hits if h.paper_id not in cited_ids]
    assert [s.paper_id for s in answer.sources[len(cited_ids) :]] == rest
    assert [s.n for s in answer.sources] == list(range(1, len(evidence.hits) + 1))
    # Every marker names a citation; every sentence is quoted verbatim from the cited paper.
    assert set(cited_numbers(answer.answer)) == {c.n for c in answer.citations}
    by_n = {s.n: s for s in answer.sources}
    for sentence in answer.sentences:
        (n,) = sentence.citations
        assert sentence.text in by_n[n].sentences and sentence.text in answer.answer
    # Markers appear in citation order: [1] before [2].
    markers = cited_numbers(answer.answer)
    assert markers == sorted(markers)


def test_abstention_cites_nothing_and_names_the_unknown_names():
    evidence = make_evidence(
        "What does AlphaFold predict about ProteinNet?", [GROKKING, GALORE], unknown_names=("AlphaFold", "ProteinNet")
    )
    assert not evidence.answerable
    answer = extractive_answer(evidence)
    assert answer.abstained and answer.citations == [] and answer.sentences == []
    assert answer.answer.startswith(NOT_IN_CORPUS)
    assert "AlphaFold" in answer.answer and "ProteinNet" in answer.answer
    assert cited_numbers(answer.answer) == []
    assert [s.paper_id for s in answer.sources] == [GROKKING.paper_id, GALORE.paper_id]
    plain = abstention(make_evidence("What is the capital of France?", [GROKKING]))
    assert plain.answer == NOT_IN_CORPUS


# --- WithFallback -------------------------------------------------------------------------


class FailingLLM:
    """A primary answerer whose LLM always fails (after streaming a token, like a dropped connection)."""

    mode = "llm"

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error or LLMError("cannot reach the LLM server at http://127.0.0.1:9: is it running?")

    def standalone_question(self, question, history):
        raise self.error

    def answer(self, evidence, history, stream):
        yield AskEvent("token", "Partial")
        raise self.error

    def write_theme(self, topic, theme, members, number):
        raise self.error


def test_llm_failure_falls_back_to_the_extractive_answer_with_a_notice():
    evidence = make_evidence("How does GaLore reduce optimizer memory?", [GROKKING, GALORE])
    answerer = WithFallback(FailingLLM(), ExtractiveAnswerer())
    assert answerer.mode == "llm"
    events = list(answerer.answer(evidence, [], stream=True))
    answers = [e.answer for e in events if e.answer is not None]
    assert len(answers) == 1 and events[-1].answer is answers[0]
    answer = answers[0]
    expected = extractive_answer(evidence)
    assert answer.answer == expected.answer and answer.mode == "extractive" and not answer.abstained
    assert answer.notices[0].code == "llm_unavailable" and answer.notices[0].fallback
    assert answer.fallback and "cannot reach" in answer.notice
    assert answer.to_dict()["notices"][0]["code"] == "llm_unavailable"
    assert not expected.fallback and expected.notices == []


def test_failed_follow_up_rewrite_searches_the_question_as_asked():
    answerer = WithFallback(FailingLLM(), ExtractiveAnswerer())
    question, notices = answerer.standalone_question("and its memory cost?", [{"role": "user", "content": "GaLore"}])
    assert question == "and its memory cost?"
    assert [n.code for n in notices] == ["followup_not_rewritten"]
    assert not notices[0].fallback


def test_failed_theme_keeps_the_quotes_with_a_fallback_notice():
    theme = Theme(name="Low-rank training", papers=[1], sentences=[])
    answerer = WithFallback(FailingLLM(), ExtractiveAnswerer())
    written, notices = answerer.write_theme("low-rank", theme, [], {})
    assert written is theme
    assert [n.code for n in notices] == ["theme_llm_unavailable"] and notices[0].fallback
    assert "Low-rank training" in notices[0].message


def test_other_errors_are_not_hidden_by_the_fallback():
    evidence = make_evidence("How does GaLore reduce optimizer memory?", [GALORE])
    answerer = WithFallback(FailingLLM(RuntimeError("a bug")), ExtractiveAnswerer())
    with pytest.raises(RuntimeError):
        list(answerer.answer(evidence, [], stream=False))


def test_choose_answerer_follows_the_answer_mode():
    no_llm = SimpleNamespace(settings=Settings())
    with_llm = SimpleNamespace(settings=Settings().replace(llm_model="m", llm_base_url="http://127.0.0.1:9/v1"))
    assert isinstance(choose_answerer(no_llm, None), ExtractiveAnswerer)
    assert isinstance(choose_answerer(with_llm, "extractive"), ExtractiveAnswerer)
    chosen = choose_answerer(with_llm, "auto")
    assert isinstance(chosen, WithFallback) and isinstance(chosen.primary, LLMAnswerer)
    assert isinstance(chosen.fallback, ExtractiveAnswerer)
    with pytest.raises(RagError, match="llm"):
        choose_answerer(no_llm, "llm")
