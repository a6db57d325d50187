"""Generated answers: prompt within the token budget, call the LLM, verify every citation."""

from __future__ import annotations

import re

from rag.chunking import count_tokens
from rag.citations import check_answer
from rag.config import Settings
from rag.errors import LLMError
from rag.llm import ChatClient
from rag.prompts import NOT_IN_CORPUS, answer_messages, rewrite_messages
from rag.store import StoredSentence
from rag.types import Answer, Citation, Source

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
    question: str, sources: list[Source], history: list[dict[str, str]], settings: Settings
) -> tuple[list[dict[str, str]], list[Source]]:
    """The largest prompt that fits: all of the question, as much recent history and as many
    sources (best first) as the context window allows, with room left for the answer."""
    budget = int(settings.llm_context_tokens * TOKENIZER_MARGIN) - settings.llm_max_tokens
    history = list(history)
    while message_tokens(answer_messages(question, [], history)) > budget and history:
        history.pop(0)  # oldest turns go first
    if message_tokens(answer_messages(question, [], history)) > budget:
        raise LLMError(f"the question alone exceeds the model's {settings.llm_context_tokens}-token context")
    kept: list[Source] = []
    for source in sources:
        if message_tokens(answer_messages(question, [*kept, source], history)) > budget:
            break
        kept.append(source)
    if not kept:
        raise LLMError(f"no source fits in the model's {settings.llm_context_tokens}-token context")
    return answer_messages(question, kept, history), kept


def rewrite_question(client: ChatClient, question: str, history: list[dict[str, str]]) -> str:
    """A follow-up ("what about its memory cost?") as a standalone question for retrieval."""
    rewritten = client.complete(rewrite_messages(question, history)).strip().strip('"')
    return rewritten.splitlines()[0].strip() if rewritten else question


def is_refusal(text: str) -> bool:
    return bool(ABSTAIN_PATTERNS.search(text)) and len(text) < 400


def verified_answer(
    text: str, sources: list[Source], evidence: dict[str, list[StoredSentence]], embed_model, settings: Settings
) -> Answer:
    """Turn the model's text into an Answer whose citations all name a source."""
    checked = check_answer(text, sources, evidence, embed_model, settings.support_threshold)
    if not checked.cited and (is_refusal(text) or not checked.sentences):
        return Answer(answer=NOT_IN_CORPUS, abstained=True, citations=[], sources=sources, mode="llm")
    by_number = {s.n: s for s in sources}
    notices = []
    if checked.invalid:
        notices.append(f"removed citation(s) to nonexistent source(s): {', '.join(f'[{n}]' for n in checked.invalid)}")
    if not checked.cited:
        notices.append("the model cited no source, so no sentence of this answer is verified")
    return Answer(
        answer=checked.text,
        abstained=False,
        citations=[Citation(n, by_number[n].paper_id, by_number[n].title) for n in checked.cited],
        sources=sources,
        mode="llm",
        sentences=checked.sentences,
        notice="; ".join(notices),
        invalid_citations=checked.invalid,
    )
