"""Answerers turn Evidence into an Answer (and summary themes into text).

Two implement the same protocol: :class:`~rag.extractive.ExtractiveAnswerer` (quotes, the
offline default) and :class:`~rag.generation.LLMAnswerer` (an OpenAI-compatible model).
One is chosen once per request from the answer mode. The LLM one is always wrapped in
:class:`WithFallback`, the single place where an LLM failure becomes the extractive answer
plus a notice saying why.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from rag.errors import LLMError, RagError
from rag.evidence import Evidence
from rag.extractive import ExtractiveAnswerer
from rag.llm import llm_configured
from rag.types import AnswerMode, AskEvent, Notice, Theme

if TYPE_CHECKING:
    from rag.engine import Engine
    from rag.summary_select import Candidate


class Answerer(Protocol):
    mode: str

    def standalone_question(self, question: str, history: list[dict[str, str]]) -> tuple[str, list[Notice]]:
        """The question to search for: a follow-up resolved against the conversation."""
        ...

    def answer(self, evidence: Evidence, history: list[dict[str, str]], stream: bool) -> Iterator[AskEvent]:
        """Token events (when streaming), then exactly one answer event."""
        ...

    def write_theme(
        self, topic: str, theme: Theme, members: list[Candidate], number: dict[str, int]
    ) -> tuple[Theme, list[Notice]]:
        """A summary theme's final text, given the quoted version."""
        ...


class WithFallback:
    """The primary answerer, and the extractive one whenever the primary's LLM fails."""

    def __init__(self, primary: Answerer, fallback: Answerer) -> None:
        self.primary = primary
        self.fallback = fallback
        self.mode = primary.mode

    def standalone_question(self, question: str, history: list[dict[str, str]]) -> tuple[str, list[Notice]]:
        try:
            return self.primary.standalone_question(question, history)
        except LLMError as exc:
            message = f"could not rewrite the follow-up ({exc}); searched for it as asked"
            return question, [Notice("followup_not_rewritten", message)]

    def answer(self, evidence: Evidence, history: list[dict[str, str]], stream: bool) -> Iterator[AskEvent]:
        try:
            yield from self.primary.answer(evidence, history, stream)
        except LLMError as exc:
            notice = Notice(
                "llm_unavailable", f"LLM unavailable ({exc}); showing the extractive answer instead", fallback=True
            )
            for event in self.fallback.answer(evidence, history, stream):
                if event.answer is not None:
                    event.answer.notices.insert(0, notice)
                yield event

    def write_theme(
        self, topic: str, theme: Theme, members: list[Candidate], number: dict[str, int]
    ) -> tuple[Theme, list[Notice]]:
        try:
            return self.primary.write_theme(topic, theme, members, number)
        except LLMError as exc:
            message = f"LLM unavailable for theme “{theme.name}” ({exc}); quoted the abstracts instead"
            quoted, notices = self.fallback.write_theme(topic, theme, members, number)
            return quoted, [Notice("theme_llm_unavailable", message, fallback=True), *notices]


def resolve_answer_mode(engine: Engine, answer_mode: AnswerMode | None) -> str:
    settings = engine.settings
    mode = answer_mode or settings.answer.answer_mode
    if mode == "auto":
        return "llm" if llm_configured(settings) else "extractive"
    if mode == "llm" and not llm_configured(settings):
        raise RagError("answer mode 'llm' needs an LLM: set RAG_LLM_MODEL and RAG_LLM_BASE_URL")
    return mode


def choose_answerer(engine: Engine, answer_mode: AnswerMode | None) -> Answerer:
    """The answerer for this request, chosen once."""
    if resolve_answer_mode(engine, answer_mode) == "extractive":
        return ExtractiveAnswerer()
    from rag.generation import LLMAnswerer

    return WithFallback(LLMAnswerer(engine), ExtractiveAnswerer())
