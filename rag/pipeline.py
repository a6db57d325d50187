"""The library API that the CLI, HTTP API, UI and eval all call.

Heavy objects (embedding model, Chroma client, BM25 index) are built once per Settings
and reused, so a notebook or a server pays their start-up cost once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rag.answering import extractive_answer, number_sources
from rag.config import Settings, load_settings
from rag.embeddings import build_embedding, embedding_name
from rag.errors import LLMError, NotFoundError, RagError
from rag.generation import fit_prompt, rewrite_question, verified_answer
from rag.ingest import IngestReport, Progress, ingest_corpus
from rag.llm import ChatClient, llm_configured
from rag.retrieval import HybridRetriever
from rag.store import PaperStore
from rag.summaries import Summary, build_summary
from rag.types import Answer, Paper, SearchHit, SearchResults

# A question longer than this is a pasted document, not a question.
MAX_QUESTION_CHARS = 4000


class Engine:
    """Everything needed to answer questions over one index."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.embed_model = _embedding_model(settings)
        self.store = PaperStore(settings, embedding_name(settings))
        self._retriever: HybridRetriever | None = None
        self._chat: ChatClient | None = None
        self._lock = threading.Lock()

    @property
    def retriever(self) -> HybridRetriever:
        with self._lock:
            if self._retriever is None:
                self._retriever = HybridRetriever(self.store, self.embed_model, self.settings.candidates)
            return self._retriever

    @property
    def chat(self) -> ChatClient:
        with self._lock:
            if self._chat is None:
                self._chat = ChatClient(self.settings)
            return self._chat

    def refresh(self) -> None:
        """Forget the in-memory BM25 index after the store changed."""
        with self._lock:
            self._retriever = None


_engines: dict[Settings, Engine] = {}
_embedders: dict[str, object] = {}
_registry_lock = threading.Lock()
_engine_lock = threading.Lock()


def _embedding_model(settings: Settings):
    name = embedding_name(settings)
    with _registry_lock:
        if name not in _embedders:
            _embedders[name] = build_embedding(settings)
        return _embedders[name]


def get_engine(settings: Settings | None = None) -> Engine:
    settings = settings or load_settings()
    # One engine per settings, created under a lock: two first requests arriving together
    # (the UI loads several panels at once) must not open the same Chroma path twice,
    # which chromadb does not survive (KeyError in its shared client registry).
    with _engine_lock:
        engine = _engines.get(settings)
        if engine is None:
            engine = _engines[settings] = Engine(settings)
    return engine


def _check_question(text: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise RagError("the question is empty")
    if len(text) > MAX_QUESTION_CHARS:
        raise RagError(f"the question is {len(text):,} characters; the limit is {MAX_QUESTION_CHARS:,}")
    return text.strip()


def search(
    query: str,
    k: int = 10,
    mode: str | None = "hybrid",
    *,
    source: str | None = None,
    settings: Settings | None = None,
) -> SearchResults:
    """Papers best matching ``query``, one hit per paper, best first. ``mode=None``: the configured mode."""
    engine = get_engine(settings)
    retrieval = engine.retriever.retrieve(
        _check_question(query), k=k, mode=mode or engine.settings.retrieval_mode, source=source
    )
    return SearchResults(SearchHit(h.paper_id, h.title, h.score, h.text, h.source) for h in retrieval.hits)


@dataclass(frozen=True)
class AskEvent:
    """What ask_stream yields: ``token`` events while the LLM writes, then one ``answer``."""

    kind: str  # "token" | "answer"
    text: str = ""
    answer: Answer | None = None


def resolve_answer_mode(settings: Settings, answer_mode: str | None) -> str:
    mode = answer_mode or settings.answer_mode
    if mode == "auto":
        return "llm" if llm_configured(settings) else "extractive"
    if mode == "llm" and not llm_configured(settings):
        raise RagError("answer mode 'llm' needs an LLM: set RAG_LLM_MODEL and RAG_LLM_BASE_URL")
    return mode


def ask_stream(
    question: str,
    k: int | None = None,
    *,
    mode: str | None = None,
    source: str | None = None,
    history: list[dict[str, str]] | None = None,
    answer_mode: str | None = None,
    settings: Settings | None = None,
    stream: bool = True,
) -> Iterator[AskEvent]:
    """Like :func:`ask`, yielding the LLM's text as it arrives before the verified answer.

    ``history`` is the conversation so far (``[{"role": "user"|"assistant", "content": ...}]``);
    with an LLM, a follow-up is rewritten into a standalone question before retrieval.
    When the LLM fails, the final answer is the extractive one, with ``notice`` saying why.
    """
    engine = get_engine(settings)
    settings = engine.settings
    started = time.perf_counter()
    question = _check_question(question)
    use_llm = resolve_answer_mode(settings, answer_mode) == "llm"
    history = [turn for turn in history or [] if turn.get("content")]
    notices: list[str] = []

    standalone = question
    if use_llm and history:
        try:
            standalone = rewrite_question(engine.chat, question, history)
        except LLMError as exc:
            notices.append(f"could not rewrite the follow-up ({exc}); searched for it as asked")
    retrieval = engine.retriever.retrieve(
        standalone, k=k or settings.ask_k, mode=mode or settings.retrieval_mode, source=source
    )
    retrieved = time.perf_counter()
    evidence = engine.store.sentences_for([h.paper_id for h in retrieval.hits])
    answer = extractive_answer(retrieval, evidence, settings)

    # Weak evidence: abstain without spending an LLM call on it.
    if use_llm and not answer.abstained:
        try:
            messages, sources = fit_prompt(standalone, number_sources(retrieval.hits, [], evidence), history, settings)
            parts = []
            for piece in engine.chat.stream(messages) if stream else [engine.chat.complete(messages)]:
                parts.append(piece)
                if stream:
                    yield AskEvent("token", piece)
            answer = verified_answer("".join(parts), sources, evidence, engine.embed_model, settings)
        except LLMError as exc:
            notices.append(f"LLM unavailable ({exc}); showing the extractive answer instead")

    done = time.perf_counter()
    answer.notice = "; ".join([*notices, answer.notice] if answer.notice else notices)
    if standalone != question:
        answer.standalone_question = standalone
    answer.timings_ms = {
        "retrieve": (retrieved - started) * 1000,
        "answer": (done - retrieved) * 1000,
        "total": (done - started) * 1000,
    }
    yield AskEvent("answer", answer=answer)


def ask(
    question: str,
    k: int | None = None,
    *,
    mode: str | None = None,
    source: str | None = None,
    history: list[dict[str, str]] | None = None,
    answer_mode: str | None = None,
    settings: Settings | None = None,
) -> Answer:
    """A cited answer from the top ``k`` papers, or an abstention when the evidence is weak."""
    events = ask_stream(
        question, k, mode=mode, source=source, history=history, answer_mode=answer_mode, settings=settings, stream=False
    )
    return next(event.answer for event in events if event.kind == "answer")


def ingest(
    paths: Iterable[str | Path] | None = None,
    *,
    settings: Settings | None = None,
    progress: Progress | None = None,
    prune: bool = False,
) -> IngestReport:
    """Parse, chunk, embed and store the corpus; only new or changed papers are embedded."""
    engine = get_engine(settings)
    report = ingest_corpus(
        paths or engine.settings.corpus_paths, engine.store, engine.embed_model, engine.settings, progress, prune
    )
    engine.refresh()
    return report


def summarize(
    topic: str,
    max_papers: int | None = None,
    *,
    answer_mode: str | None = None,
    settings: Settings | None = None,
) -> Summary:
    """A cited summary of a subfield: on-topic papers grouped into themes, every sentence cited.

    ``covered`` is False, with no themes, when the indexed papers do not cover the topic.
    """
    engine = get_engine(settings)
    settings = engine.settings
    if max_papers is not None:
        if not 1 <= max_papers <= 100:
            raise RagError(f"max_papers must be between 1 and 100, got {max_papers}")
        settings = settings.replace(summary_max_papers=max_papers)
    use_llm = resolve_answer_mode(settings, answer_mode) == "llm"
    return build_summary(engine, _check_question(topic), settings, use_llm)


def list_papers(settings: Settings | None = None) -> list[Paper]:
    """Every indexed paper with its abstract, sorted by title."""
    return get_engine(settings).store.papers()


def get_paper(paper_id: str, settings: Settings | None = None) -> Paper:
    """One indexed paper with its abstract, as stored."""
    found = get_engine(settings).store.papers([paper_id])
    if not found:
        raise NotFoundError(f"no indexed paper has id {paper_id!r}")
    return found[0]


def status(settings: Settings | None = None) -> dict[str, object]:
    """What is indexed, with which model, where; shown by `rag status`, /api/health and the UI."""
    return get_engine(settings).store.stats()
