"""The library API that the CLI, HTTP API, UI and eval all call.

Heavy objects (embedding model, Chroma client, BM25 index) are built once per Settings
and reused, so a notebook or a server pays their start-up cost once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from pathlib import Path

from rag.answering import extractive_answer
from rag.config import Settings, load_settings
from rag.embeddings import build_embedding, embedding_name
from rag.errors import RagError
from rag.ingest import IngestReport, Progress, ingest_corpus
from rag.retrieval import HybridRetriever
from rag.store import PaperStore
from rag.types import Answer, SearchHit, SearchResults

# A question longer than this is a pasted document, not a question.
MAX_QUESTION_CHARS = 4000


class Engine:
    """Everything needed to answer questions over one index."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.embed_model = _embedding_model(settings)
        self.store = PaperStore(settings, embedding_name(settings))
        self._retriever: HybridRetriever | None = None
        self._lock = threading.Lock()

    @property
    def retriever(self) -> HybridRetriever:
        with self._lock:
            if self._retriever is None:
                self._retriever = HybridRetriever(self.store, self.embed_model, self.settings.candidates)
            return self._retriever

    def refresh(self) -> None:
        """Forget the in-memory BM25 index after the store changed."""
        with self._lock:
            self._retriever = None


_engines: dict[Settings, Engine] = {}
_embedders: dict[str, object] = {}
_registry_lock = threading.Lock()


def _embedding_model(settings: Settings):
    name = embedding_name(settings)
    with _registry_lock:
        if name not in _embedders:
            _embedders[name] = build_embedding(settings)
        return _embedders[name]


def get_engine(settings: Settings | None = None) -> Engine:
    settings = settings or load_settings()
    with _registry_lock:
        engine = _engines.get(settings)
    if engine is None:
        engine = Engine(settings)
        with _registry_lock:
            engine = _engines.setdefault(settings, engine)
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


def ask(
    question: str,
    k: int | None = None,
    *,
    mode: str | None = None,
    source: str | None = None,
    settings: Settings | None = None,
) -> Answer:
    """A cited answer from the top ``k`` papers, or an abstention when the evidence is weak."""
    engine = get_engine(settings)
    started = time.perf_counter()
    retrieval = engine.retriever.retrieve(
        _check_question(question),
        k=k or engine.settings.ask_k,
        mode=mode or engine.settings.retrieval_mode,
        source=source,
    )
    retrieved = time.perf_counter()
    answer = extractive_answer(retrieval, engine.store, engine.settings)
    done = time.perf_counter()
    answer.timings_ms = {
        "retrieve": (retrieved - started) * 1000,
        "answer": (done - retrieved) * 1000,
        "total": (done - started) * 1000,
    }
    return answer


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


def status(settings: Settings | None = None) -> dict[str, object]:
    """What is indexed, with which model, where; shown by `rag status`, /api/health and the UI."""
    return get_engine(settings).store.stats()
