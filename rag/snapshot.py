"""Index-wide state, built once per ingest generation and shared by every question.

An :class:`IndexSnapshot` holds what is derived from the whole index: the chunk nodes,
BM25 per source, the vocabulary (for unknown-name checks), word IDF (for summaries) and
the title -> paper id map (for eval). The engine builds a new one when the store's ingest
generation moves, so a running server serves another process's ingest without a
restart; requests already running finish on the snapshot they started with.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from rag import lexical_cache
from rag.corpus import normalize_title
from rag.errors import IndexEmptyError, RagError
from rag.store import PaperStore
from rag.text import content_terms, vocabulary

if TYPE_CHECKING:
    from llama_index.retrievers.bm25 import BM25Retriever

# BM25 indexes kept for source-filtered searches (the whole-corpus one is always kept).
SOURCE_INDEXES = 8


class IndexSnapshot:
    def __init__(self, store: PaperStore, generation: int, cache_root: Path | None = None) -> None:
        self.store = store
        self.generation = generation
        # Only committed versions: a crash may have left others in Chroma until the next repair.
        self.hashes = store.stored_hashes()
        self._cache_root = cache_root
        self._cache_key = lexical_cache.state_key(store.location, store.settings.store.collection, self.hashes)
        saved = lexical_cache.load(cache_root, store.settings.store.collection, self._cache_key) if cache_root else None
        self._saved = saved
        if saved is not None:
            self.nodes = saved.nodes
        else:
            self.nodes = [
                node
                for node in store.all_nodes()
                if self.hashes.get(node.metadata["paper_id"]) == node.metadata["content_hash"]
            ]
        if not self.nodes:
            raise IndexEmptyError(
                f"the index at {store.location} (collection {store.settings.store.collection!r}) is empty; "
                "run `rag ingest` first"
            )
        self._lock = threading.Lock()
        self._by_source: dict[str, BM25Retriever] = {}
        self._all: BM25Retriever | None = saved.bm25 if saved is not None else None

    @property
    def from_cache(self) -> bool:
        """Whether the lexical index was loaded from disk rather than rebuilt from Chroma."""
        return self._saved is not None

    def persist_lexical(self) -> None:
        """Save BM25 and the word statistics for the next process (no-op when already saved, or
        when the data directory does not exist: a Chroma server's client keeps no local state)."""
        if self._cache_root is None or self._saved is not None or not self._cache_root.parent.is_dir():
            return
        index = lexical_cache.LexicalIndex(self.bm25(None, 1), self.nodes, self.vocabulary, *self.document_frequency)
        lexical_cache.save(self._cache_root, self.store.settings.store.collection, self._cache_key, index)

    def sentences_for(self, paper_ids: list[str]) -> dict:
        """Each paper's committed sentences with their vectors (see PaperStore.sentences_for)."""
        return self.store.sentences_for(paper_ids, hashes=self.hashes)

    def is_committed(self, metadata: dict) -> bool:
        return self.hashes.get(metadata.get("paper_id")) == metadata.get("content_hash")

    @cached_property
    def vocabulary(self) -> set[str]:
        if self._saved is not None:
            return self._saved.vocabulary
        return vocabulary([node.get_content() for node in self.nodes])

    @cached_property
    def titles(self) -> dict[str, str]:
        """Normalized title -> paper id."""
        return {normalize_title(n.metadata["title"]): n.metadata["paper_id"] for n in self.nodes}

    @cached_property
    def introduced_names(self) -> dict[str, str]:
        """Casefolded name a title introduces ("galore" for "GaLore: ...") -> paper id."""
        from rag.focus import introduced_name

        names = {}
        for node in self.nodes:
            name = introduced_name(node.metadata["title"])
            if name:
                names.setdefault(name.casefold(), node.metadata["paper_id"])
        return names

    @cached_property
    def first_nodes(self) -> dict:
        """Paper id -> its first chunk node."""
        first: dict = {}
        for node in self.nodes:
            paper_id = node.metadata["paper_id"]
            if paper_id not in first or node.metadata.get("chunk", 0) < first[paper_id].metadata.get("chunk", 0):
                first[paper_id] = node
        return first

    @cached_property
    def document_frequency(self) -> tuple[Counter, int]:
        """How many papers use each stemmed word (in their title or abstract), and how many papers there are."""
        if self._saved is not None:
            return self._saved.document_frequency, self._saved.papers
        words: dict[str, set[str]] = {}
        for node in self.nodes:  # a paper's chunks together hold its title and whole abstract
            words.setdefault(node.metadata["paper_id"], set()).update(content_terms(node.get_content()))
        return Counter(term for terms in words.values() for term in terms), len(words)

    @cached_property
    def idf(self) -> tuple[dict[str, float], float]:
        """IDF of every stemmed word over the indexed papers, and the IDF of an unseen word."""
        frequency, count = self.document_frequency
        idf = {term: math.log((count + 1) / (df + 1)) + 1 for term, df in frequency.items()}
        return idf, math.log(count + 1) + 1

    def paper_share(self, words: str) -> float:
        """The share of papers using the rarest word of ``words``: low for a specific name (H100), high for LLM."""
        frequency, count = self.document_frequency
        terms = content_terms(words)
        return min((frequency.get(t, 0) for t in terms), default=0) / max(count, 1)

    def _build_bm25(self, source: str | None) -> BM25Retriever:
        from llama_index.retrievers.bm25 import BM25Retriever

        nodes = [n for n in self.nodes if source is None or n.metadata.get("source") == source]
        if not nodes:
            raise RagError(f"no indexed papers come from source {source!r}")
        return BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=len(nodes))

    def bm25(self, source: str | None, top_k: int) -> BM25Retriever:
        """BM25 over the papers of ``source`` (all when None), returning ``top_k`` chunks. Callers
        hold :attr:`bm25_lock` while using it: bm25s is not thread-safe, and top_k is set per call."""
        if source is None:
            if self._all is None:
                self._all = self._build_bm25(None)
                self.persist_lexical()  # the next process loads it instead of rebuilding
            retriever = self._all
        else:
            if source not in self._by_source:
                if len(self._by_source) >= SOURCE_INDEXES:
                    self._by_source.pop(next(iter(self._by_source)))
                self._by_source[source] = self._build_bm25(source)
            retriever = self._by_source[source]
        retriever.similarity_top_k = max(1, min(top_k, len(retriever.corpus)))
        return retriever

    @property
    def bm25_lock(self) -> threading.Lock:
        return self._lock

    def unknown_names(self, names: list[str]) -> tuple[str, ...]:
        """The names (e.g. 'AlphaFold') that appear nowhere in the index."""
        unknown = [
            word
            for word in names
            if word.lower() not in self.vocabulary and word.lower().removesuffix("s") not in self.vocabulary
        ]
        return tuple(dict.fromkeys(unknown))
