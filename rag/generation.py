"""The LLM answerer: prompt within the token budget, call the LLM, verify every citation.

Failures raise :class:`LLMError`; :mod:`rag.answerers` turns them into the extractive
answer with a notice, in one place. ``llm_timeout`` is one deadline per answer: the
follow-up rewrite and the answer share it (a summary gives each theme its own).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from rag.chunking import count_tokens
from rag.citations import check_answer
from rag.config import Settings
from rag.errors import LLMError
from rag.evidence import Evidence
from rag.extractive import abstention
from rag.llm import ChatClient, Deadline
from rag.prompts import NOT_IN_CORPUS, answer_messages, rewrite_messages, summary_messages
from rag.store import StoredSentence
from rag.types import Answer, AskEvent, Citation, Hit, Notice, Theme

if TYPE_CHECKING:
    from rag.engine import Engine
    from rag.summary_select import Candidate

# tiktoken's cl100k_base only approximates other models' tokenizers; keep a margin.
TOKENIZER_MARGIN = 0.9
# Tokens the chat format adds per message (role markers, separators).
PER_MESSAGE_TOKENS = 4
ABSTAIN_PATTERNS = re.compile(
    r"(do(es)? not answer this|not in the (indexed papers|corpus|sources)|cannot answer|can't answer"
    r"|no (relevant )?information (in|from) the (sources|papers))",
    re.IGNORECASE,
)


def message_tokens(messages: list[dict[str, str]]) -> int:
    return sum(count_tokens(m["content"]) + PER_MESSAGE_TOKENS for m in messages)


def fit_prompt(
    question: str, sources: list[Hit], history: list[dict[str, str]], settings: Settings
) -> tuple[list[dict[str, str]], list[Hit]]:
    """The largest prompt that fits: all of the question, as much recent history and as many
    sources (best first) as the context window allows, with room left for the answer."""
    context = settings.llm.llm_context_tokens
    budget = int(context * TOKENIZER_MARGIN) - settings.llm.llm_max_tokens
    history = list(history)
    if message_tokens(answer_messages(question, [], [])) > budget:
        raise LLMError(f"the question alone exceeds the model's {context}-token context")
    # Old turns give way to the best source: an answer needs evidence more than old context.
    first = sources[:1]
    while history and message_tokens(answer_messages(question, first, history)) > budget:
        history.pop(0)
    kept: list[Hit] = []
    for source in sources:
        if message_tokens(answer_messages(question, [*kept, source], history)) > budget:
            break
        kept.append(source)
    if not kept:
        raise LLMError(f"no source fits in the model's {context}-token context")
    return answer_messages(question, kept, history), kept


def rewrite_question(
    client: ChatClient, question: str, history: list[dict[str, str]], deadline: Deadline | None = None
) -> str:
    """A follow-up ("what about its memory cost?") as a standalone question for retrieval."""
    rewritten = client.complete(rewrite_messages(question, history), deadline).strip().strip('"')
    return rewritten.splitlines()[0].strip() if rewritten else question


def is_refusal(text: str) -> bool:
    return bool(ABSTAIN_PATTERNS.search(text)) and len(text) < 400


def verified_answer(
    text: str, sources: list[Hit], evidence: dict[str, list[StoredSentence]], embed_model, settings: Settings
) -> Answer:
    """Turn the model's text into an Answer whose citations all name a source."""
    checked = check_answer(text, sources, evidence, embed_model, settings.llm.support_threshold)
    if not checked.cited and (is_refusal(text) or not checked.sentences):
        return Answer(answer=NOT_IN_CORPUS, abstained=True, citations=[], sources=sources, mode="llm")
    by_number = {s.n: s for s in sources}
    notices = []
    if checked.invalid:
        listed = ", ".join(f"[{n}]" for n in checked.invalid)
        notices.append(Notice("invalid_citations", f"removed citation(s) to nonexistent source(s): {listed}"))
    if not checked.cited:
        notices.append(Notice("uncited_answer", "the model cited no source, so no sentence of this answer is verified"))
    return Answer(
        answer=checked.text,
        abstained=False,
        citations=[Citation(n, by_number[n].paper_id, by_number[n].title) for n in checked.cited],
        sources=sources,
        mode="llm",
        sentences=checked.sentences,
        notices=notices,
        invalid_citations=checked.invalid,
    )


class LLMAnswerer:
    """Answers with the configured OpenAI-compatible model, from the same evidence as the quotes."""

    mode = "llm"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._deadline: Deadline | None = None

    def deadline(self) -> Deadline:
        """This request's budget, started by its first LLM call (the rewrite, or the answer)."""
        if self._deadline is None:
            self._deadline = Deadline(self.engine.settings.llm.llm_timeout)
        return self._deadline

    def standalone_question(self, question: str, history: list[dict[str, str]]) -> tuple[str, list[Notice]]:
        if not history:
            return question, []
        return rewrite_question(self.engine.chat, question, history, self.deadline()), []

    def answer(self, evidence: Evidence, history: list[dict[str, str]], stream: bool) -> Iterator[AskEvent]:
        # Weak evidence: abstain without spending an LLM call on it.
        if not evidence.answerable:
            yield AskEvent("answer", answer=abstention(evidence))
            return
        settings = self.engine.settings
        # The same focus as the quotes: citable papers only, the one introducing the asked name first.
        ranked = evidence.sources(evidence.citable)
        candidates = [s for s in ranked if s.paper_id in set(evidence.citable)] or ranked
        messages, sources = fit_prompt(evidence.question, candidates, history, settings)
        chat, deadline = self.engine.chat, self.deadline()
        parts = []
        for piece in chat.stream(messages, deadline) if stream else [chat.complete(messages, deadline)]:
            parts.append(piece)
            if stream:
                yield AskEvent("token", piece)
        answer = verified_answer("".join(parts), sources, evidence.sentences, self.engine.embed_model, settings)
        yield AskEvent("answer", answer=answer)

    def write_theme(
        self, topic: str, theme: Theme, members: list[Candidate], number: dict[str, int]
    ) -> tuple[Theme, list[Notice]]:
        """Ask the LLM for the theme's name and paragraph, then verify each cited sentence."""
        sources = [
            Hit(
                paper_id=c.paper_id,
                title=c.title,
                score=c.relevance,
                text=" ".join(s.text for s in c.sentences),
                n=number[c.paper_id],
                sentences=tuple(s.text for s in c.sentences),
            )
            for c in members
        ]
        # Each theme is an answer of its own, with its own llm_timeout.
        deadline = Deadline(self.engine.settings.llm.llm_timeout)
        reply = self.engine.chat.complete(summary_messages(topic, sources), deadline).strip()
        first, _, rest = reply.partition("\n")
        name = theme.name
        if first.lower().startswith("theme:"):
            name, reply = first.split(":", 1)[1].strip().strip("*#") or theme.name, rest.strip()
        evidence = {c.paper_id: c.sentences for c in members}
        threshold = self.engine.settings.llm.support_threshold
        checked = check_answer(reply, sources, evidence, self.engine.embed_model, threshold)
        if not checked.sentences:
            raise LLMError("the model wrote nothing for a theme")
        return Theme(name=name, papers=theme.papers, sentences=checked.sentences), []
