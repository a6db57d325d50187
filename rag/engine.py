"""The engine: one per Settings, owning the store, the models and the current index snapshot.

Heavy objects (embedding model, Chroma client, BM25 index) are built once and reused, so a
notebook or a server pays their start-up cost once. Each is built on first use: `rag status`
needs only the store, `rag search` no LLM client.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from rag.config import Settings, load_settings
from rag.snapshot import IndexSnapshot
from rag.store import PaperStore

if TYPE_CHECKING:
    from rag.llm import ChatClient
    from rag.retrieval import HybridRetriever


class Engine:
    """Everything needed to answer questions over one index."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = PaperStore(settings, settings.embedding.name)
        self._chat: ChatClient | None = None
        self._current: tuple[IndexSnapshot, HybridRetriever] | None = None
        self._lock = threading.Lock()

    @property
    def embed_model(self):
        return _embedding_model(self.settings)

    @property
    def chat(self) -> ChatClient:
        from rag.llm import ChatClient

        with self._lock:
            if self._chat is None:
                self._chat = ChatClient(self.settings.llm, self.settings.store.data_dir)
            return self._chat

    def view(self) -> tuple[IndexSnapshot, HybridRetriever]:
        """The snapshot and its retriever for the store's current ingest generation.

        A question takes both in one call, so all of it runs against one generation."""
        from rag.retrieval import HybridRetriever

        generation = self.store.generation()
        with self._lock:
            if self._current is None or self._current[0].generation != generation:
                if self._current is not None:
                    # An ingest happened since: an embedded Chroma client must re-read the files
                    # to see vectors another process wrote. The old store stays with the old snapshot.
                    self.store = PaperStore(self.settings, self.settings.embedding.name, fresh=True)
                snapshot = IndexSnapshot(self.store, generation, self.settings.lexical_path)
                self._current = (
                    snapshot,
                    HybridRetriever(snapshot, self.embed_model, self.settings.retrieval),
                )
            return self._current

    @property
    def warm(self) -> bool:
        """Whether the index is loaded for the store's current generation (the next question is fast)."""
        current = self._current
        return current is not None and current[0].generation == self.store.generation()

    @property
    def snapshot(self) -> IndexSnapshot:
        return self.view()[0]


_engines: dict[Settings, Engine] = {}
_embedders: dict[str, object] = {}
_registry_lock = threading.Lock()
_engine_lock = threading.Lock()


def register_embedder(name: str, model) -> None:
    """Use ``model`` for every index whose embedding name is ``name`` (tests plug fakes in here)."""
    with _registry_lock:
        _embedders[name] = model


def _embedding_model(settings: Settings):
    from rag.embeddings import build_embedding

    name = settings.embedding.name
    with _registry_lock:
        if name not in _embedders:
            _embedders[name] = build_embedding(settings.embedding)
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
