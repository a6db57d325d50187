"""The library API that the CLI, HTTP API, UI and eval all call.

A question walks down the modules once: options are checked here, the answerer is chosen
(:mod:`rag.answerers`), a follow-up is resolved, evidence is gathered against the current
index snapshot (:mod:`rag.evidence`), and the answerer writes the answer.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from rag.config import Settings
from rag.engine import get_engine
from rag.errors import IndexEmptyError, NotFoundError, RagError
from rag.types import (
    Answer,
    AnswerMode,
    AskEvent,
    IndexStatus,
    Paper,
    RetrievalMode,
    SearchResults,
    Summary,
)

if TYPE_CHECKING:
    from rag.consistency import CheckReport
    from rag.ingestion import IngestReport, Progress


def check_question(text: str, settings: Settings) -> str:
    limit = settings.answer.max_question_chars
    if not isinstance(text, str) or not text.strip():
        raise RagError("the question is empty")
    if len(text) > limit:
        raise RagError(f"the question is {len(text):,} characters; the limit is {limit:,}")
    return text.strip()


def search(
    query: str,
    k: int | None = None,
    mode: RetrievalMode | None = None,
    *,
    source: str | None = None,
    settings: Settings | None = None,
) -> SearchResults:
    """Papers matching ``query``, one hit per paper, best first. Defaults: search_k, retrieval_mode.

    Only papers that match come back (see ``min_dense_score``): one holding a query term, or one
    whose dense similarity reaches the floor; a word no paper uses finds nothing.
    """
    from rag.focus import asks_for_many_papers

    engine = get_engine(settings)
    settings = engine.settings
    _, retriever = engine.view()
    query = check_question(query, settings)
    retrieval = retriever.retrieve(
        query,
        k=settings.retrieval.search_k if k is None else k,
        mode=mode or settings.retrieval.retrieval_mode,
        source=source,
        min_dense_score=settings.retrieval.min_dense_score,
        feedback=asks_for_many_papers(query),
    )
    return SearchResults(retrieval.hits)


def ask_stream(
    question: str,
    k: int | None = None,
    *,
    mode: RetrievalMode | None = None,
    source: str | None = None,
    history: list[dict[str, str]] | None = None,
    answer_mode: AnswerMode | None = None,
    settings: Settings | None = None,
    stream: bool = True,
) -> Iterator[AskEvent]:
    """Like :func:`ask`, yielding the LLM's text as it arrives before the verified answer.

    ``history`` is the conversation so far (``[{"role": "user"|"assistant", "content": ...}]``);
    with an LLM, a follow-up is rewritten into a standalone question before retrieval.
    When the LLM fails, the final answer is the extractive one, with ``notice`` saying why.
    """
    from rag.answerers import choose_answerer
    from rag.evidence import gather_evidence

    engine = get_engine(settings)
    settings = engine.settings
    started = time.perf_counter()
    question = check_question(question, settings)
    answerer = choose_answerer(engine, answer_mode)
    history = [turn for turn in history or [] if turn.get("content")]

    standalone, notices = answerer.standalone_question(question, history)
    if not engine.warm:
        yield AskEvent("stage", "loading the index")
    _, retriever = engine.view()
    yield AskEvent("stage", "retrieving")
    evidence = gather_evidence(
        retriever,
        standalone,
        k=settings.retrieval.ask_k if k is None else k,
        mode=mode or settings.retrieval.retrieval_mode,
        source=source,
        settings=settings.answer,
    )
    gathered = time.perf_counter()
    yield AskEvent("stage", "answering")
    for event in answerer.answer(evidence, history, stream):
        if event.answer is None:
            yield event
            continue
        answer = event.answer
        answer.notices[:0] = notices
        if standalone != question:
            answer.standalone_question = standalone
        done = time.perf_counter()
        answer.timings_ms = {
            "retrieve": (gathered - started) * 1000,
            "answer": (done - gathered) * 1000,
            "total": (done - started) * 1000,
        }
        yield event


def ask(
    question: str,
    k: int | None = None,
    *,
    mode: RetrievalMode | None = None,
    source: str | None = None,
    history: list[dict[str, str]] | None = None,
    answer_mode: AnswerMode | None = None,
    settings: Settings | None = None,
) -> Answer:
    """A cited answer from the top ``k`` papers, or an abstention when the evidence is weak."""
    events = ask_stream(
        question, k, mode=mode, source=source, history=history, answer_mode=answer_mode, settings=settings, stream=False
    )
    return next(event.answer for event in events if event.answer is not None)


def ingest(
    paths: Iterable[str | Path] | None = None,
    *,
    settings: Settings | None = None,
    progress: Progress | None = None,
    prune: bool = False,
) -> IngestReport:
    """Parse, chunk, embed and store the corpus; only new or changed papers are embedded."""
    from rag.ingestion import ingest_corpus

    engine = get_engine(settings)
    before = engine.store.generation()
    report = ingest_corpus(
        # The model loads only when a paper needs embedding: an unchanged re-ingest never loads it.
        paths or engine.settings.store.corpus_paths,
        engine.store,
        lambda: engine.embed_model,
        engine.settings,
        progress,
        prune,
    )
    if engine.store.generation() != before:
        # Save the lexical index for this state now, so the next process start loads it.
        try:
            snapshot, _ = engine.view()
        except IndexEmptyError:
            return report
        with snapshot.bm25_lock:
            snapshot.bm25(None, 1)
    return report


def summarize(
    topic: str,
    max_papers: int | None = None,
    *,
    answer_mode: AnswerMode | None = None,
    settings: Settings | None = None,
) -> Summary:
    """A cited summary of a subfield: on-topic papers grouped into themes, every sentence cited.

    ``covered`` is False, with no themes, when the indexed papers do not cover the topic.
    """
    from rag.answerers import choose_answerer
    from rag.summaries import build_summary

    engine = get_engine(settings)
    settings = engine.settings
    if max_papers is not None:
        if not 1 <= max_papers <= 100:
            raise RagError(f"max_papers must be between 1 and 100, got {max_papers}")
        settings = settings.replace(summary_max_papers=max_papers)
    topic = check_question(topic, settings)
    return build_summary(engine, topic, choose_answerer(engine, answer_mode), settings)


def check(*, repair: bool = False, lexical: bool = True, settings: Settings | None = None) -> CheckReport:
    """Whether the index is consistent (see rag.consistency); ``repair`` fixes what a crash left.
    ``lexical`` also rebuilds BM25's view to compare it with Chroma's (loads llama-index)."""
    from rag.consistency import check_index
    from rag.locking import ingest_lock

    engine = get_engine(settings)
    if not repair:
        return check_index(engine.store, lexical=lexical)
    with ingest_lock(engine.settings):
        return check_index(engine.store, repair=True, lexical=lexical)


def list_papers(settings: Settings | None = None) -> list[Paper]:
    """Every indexed paper with its abstract, sorted by title."""
    return get_engine(settings).store.papers()


def get_papers(paper_ids: Iterable[str], settings: Settings | None = None) -> dict[str, Paper]:
    """The indexed papers among ``paper_ids`` (one read for all of them), by id."""
    return {paper.paper_id: paper for paper in get_engine(settings).store.papers(list(paper_ids))}


def list_sources(settings: Settings | None = None) -> list[str]:
    """The corpus files the indexed papers come from, sorted (from the loaded index, no store read)."""
    snapshot, _ = get_engine(settings).view()
    return sorted({node.metadata.get("source", "") for node in snapshot.nodes} - {""})


def get_paper(paper_id: str, settings: Settings | None = None) -> Paper:
    """One indexed paper with its abstract, as stored."""
    found = get_engine(settings).store.papers([paper_id])
    if not found:
        raise NotFoundError(f"no indexed paper has id {paper_id!r}")
    return found[0]


def status(settings: Settings | None = None) -> IndexStatus:
    """What is indexed, with which model, where; shown by `rag status`, /api/health and the UI."""
    return get_engine(settings).store.stats()
