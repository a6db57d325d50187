"""The Chroma store: an embedded PersistentClient by default, a Chroma server when configured.

Two collections per index:

* ``<collection>``: one vector per chunk, written through llama-index's ChromaVectorStore
  (so llama-index retrievers can read it back as nodes);
* ``<collection>_sentences``: one vector per abstract sentence, used by the extractive
  answerer and citation checks, so answering never embeds abstracts at query time.

Both record the embedding model and dimension they were built with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import numpy as np

from rag.config import Settings
from rag.errors import EmbeddingMismatchError, StoreError
from rag.faults import boundary
from rag.manifest import Committed, Manifest
from rag.types import IndexStatus, Paper

if TYPE_CHECKING:
    from llama_index.core.schema import TextNode

# Chroma rejects very large single writes; this stays well under its limit.
WRITE_BATCH = 1000
EMBEDDING_KEY = "embedding_name"
DIMENSION_KEY = "embedding_dim"
GENERATION_KEY = "generation"


@dataclass(frozen=True)
class StoredSentence:
    paper_id: str
    position: int
    text: str
    vector: np.ndarray


def open_client(settings: Settings, fresh: bool = False):
    """A Chroma client for the configured location. Telemetry is off in both modes.

    ``fresh``: an embedded client that re-reads the files instead of sharing this process's
    cached one, whose in-memory vector index does not see another process's writes.
    Clients already handed out keep working on their (older) view.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.store.chroma_url:
        url = urlparse(settings.store.chroma_url)
        if not url.hostname:
            raise StoreError(
                f"setting 'chroma_url': cannot parse {settings.store.chroma_url!r} (expected http://host:port)"
            )
        try:
            return chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:  # chromadb raises ValueError/ConnectionError variants
            raise StoreError(f"cannot reach the Chroma server at {settings.store.chroma_url}: {exc}") from None
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    if fresh:
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient._identifier_to_system.pop(str(settings.chroma_path), None)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


class PaperStore:
    """Chunk and sentence collections for one index, guarded against mixing embedding models."""

    def __init__(self, settings: Settings, embedding_name: str, fresh: bool = False) -> None:
        self.settings = settings
        self.embedding_name = embedding_name
        self.client = open_client(settings, fresh)
        self.location = settings.store.chroma_url or str(settings.chroma_path)
        metadata = {EMBEDDING_KEY: embedding_name}
        store = settings.store
        hnsw = {
            "space": "cosine",
            "ef_search": store.hnsw_ef_search,
            "ef_construction": store.hnsw_ef_construction,
            "max_neighbors": store.hnsw_max_neighbors,
        }
        try:
            self.chunks = self.client.get_or_create_collection(
                store.collection, metadata=metadata, configuration={"hnsw": hnsw}, embedding_function=None
            )
            self.sentences = self.client.get_or_create_collection(
                settings.sentence_collection, metadata=metadata, configuration={"hnsw": hnsw}, embedding_function=None
            )
            self._raise_ef_search(store.hnsw_ef_search)
            self.manifest = Manifest(self.client, f"{store.collection}_manifest")
        except Exception as exc:
            raise StoreError(
                f"cannot open Chroma collection {settings.store.collection!r} at {self.location}: {exc}"
            ) from None
        self._check_embedding(self.chunks)
        self._vector_store = None

    def _raise_ef_search(self, ef_search: int) -> None:
        """Indexes built before ef_search was raised get it now (it is a search-time setting)."""
        current = ((self.chunks.configuration or {}).get("hnsw") or {}).get("ef_search")
        if current is not None and current < ef_search:
            self.chunks.modify(configuration={"hnsw": {"ef_search": ef_search}})

    @property
    def vector_store(self):
        """llama-index's view of the chunk collection (imported only when retrieval needs it)."""
        if self._vector_store is None:
            from llama_index.vector_stores.chroma import ChromaVectorStore

            self._vector_store = ChromaVectorStore(chroma_collection=self.chunks)
        return self._vector_store

    def _check_embedding(self, collection) -> None:
        built_with = (collection.metadata or {}).get(EMBEDDING_KEY)
        if built_with and built_with != self.embedding_name:
            raise EmbeddingMismatchError(
                f"collection {collection.name!r} at {self.location} was built with embedding model "
                f"{built_with!r}, but {self.embedding_name!r} is configured. Vectors from different models "
                "cannot be compared: use another collection (RAG_COLLECTION) or re-create this one."
            )

    def check_dimension(self, dimension: int) -> None:
        """Record the dimension on first write; refuse vectors of another size later."""
        for collection in (self.chunks, self.sentences):
            stored = (collection.metadata or {}).get(DIMENSION_KEY)
            if stored and int(stored) != dimension:
                raise EmbeddingMismatchError(
                    f"collection {collection.name!r} holds {stored}-dimensional vectors; "
                    f"the configured model gives {dimension}"
                )

    def _update_metadata(self, collection, **values) -> None:
        metadata = {k: v for k, v in (collection.metadata or {}).items() if not k.startswith("hnsw:")}
        metadata.update(values)
        collection.modify(metadata=metadata)

    def mark_ingested(self, dimension: int | None) -> None:
        """Stamp the ingest and bump the generation, which tells running servers to reload."""
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        extra = {DIMENSION_KEY: dimension} if dimension else {}
        generation = self.generation() + 1
        for collection in (self.chunks, self.sentences):
            self._update_metadata(collection, last_ingest=stamp, **{GENERATION_KEY: generation}, **extra)

    def generation(self) -> int:
        """The ingest generation as stored now (read afresh: another process may have moved it)."""
        try:
            metadata = self.client.get_collection(self.settings.store.collection).metadata or {}
        except Exception as exc:
            raise StoreError(f"cannot read the Chroma collection at {self.location}: {exc}") from None
        return int(metadata.get(GENERATION_KEY, 0))

    # --- reading -------------------------------------------------------------------------
    def committed(self) -> dict[str, Committed]:
        """paper_id -> the committed version: the manifest, or for an index built before it
        existed, every paper whose chunks carry exactly one version."""
        entries = self.manifest.load()
        if entries or not self.chunks.count():
            return entries
        versions: dict[str, set[str]] = {}
        chunk_counts: dict[tuple[str, str], int] = {}
        for meta in self.chunks.get(include=["metadatas"])["metadatas"] or []:
            key = (meta["paper_id"], meta["content_hash"])
            versions.setdefault(key[0], set()).add(key[1])
            chunk_counts[key] = chunk_counts.get(key, 0) + 1
        sentence_counts: dict[tuple[str, str], int] = {}
        for meta in self.sentences.get(include=["metadatas"])["metadatas"] or []:
            key = (meta["paper_id"], meta["content_hash"])
            sentence_counts[key] = sentence_counts.get(key, 0) + 1
        return {
            pid: Committed(h, chunk_counts[(pid, h)], sentence_counts.get((pid, h), 0))
            for pid, hashes in versions.items()
            if len(hashes) == 1 and sentence_counts.get((pid, (h := next(iter(hashes)))), 0)
        }

    def stored_hashes(self) -> dict[str, str]:
        """paper_id -> content hash of the committed version."""
        return {paper_id: entry.content_hash for paper_id, entry in self.committed().items()}

    def papers(self, paper_ids: Sequence[str] | None = None) -> list[Paper]:
        """Stored papers (all, or the given ids) rebuilt from chunk metadata and sentences, by title.

        The abstract is the stored sentences joined, so page noise removed at ingest stays removed.
        """
        where = {"chunk": 0} if paper_ids is None else {"$and": [{"chunk": 0}, {"paper_id": {"$in": list(paper_ids)}}]}
        hashes = self.stored_hashes()
        metadatas = self.chunks.get(where=where, include=["metadatas"])["metadatas"] or []
        metadatas = [m for m in metadatas if hashes.get(m["paper_id"]) == m["content_hash"]]
        sentences = self.sentences_for([m["paper_id"] for m in metadatas], with_vectors=False, hashes=hashes)
        papers = [
            Paper(
                paper_id=m["paper_id"],
                title=m["title"],
                abstract=" ".join(s.text for s in sentences.get(m["paper_id"], [])),
                source=m.get("source", ""),
                links=tuple(m.get("links", "").split()),
                url=m.get("url", ""),
                year=m.get("year", ""),
                authors=m.get("authors", ""),
            )
            for m in metadatas
        ]
        return sorted(papers, key=lambda p: p.title.casefold())

    def all_nodes(self) -> list[TextNode]:
        return self.vector_store.get_nodes(node_ids=None)

    def sentences_for(
        self, paper_ids: Sequence[str], with_vectors: bool = True, hashes: dict[str, str] | None = None
    ) -> dict[str, list[StoredSentence]]:
        """Each paper's committed sentences in abstract order, with their vectors unless ``with_vectors``
        is False. ``hashes`` (paper_id -> committed hash) saves reading the manifest again."""
        if not paper_ids:
            return {}
        hashes = self.stored_hashes() if hashes is None else hashes
        include = ["documents", "metadatas", "embeddings"] if with_vectors else ["documents", "metadatas"]
        found = self.sentences.get(where={"paper_id": {"$in": list(paper_ids)}}, include=include)
        vectors = found["embeddings"] if with_vectors else [np.zeros(0)] * len(found["documents"])
        grouped: dict[str, list[StoredSentence]] = {pid: [] for pid in paper_ids}
        for text, metadata, vector in zip(found["documents"], found["metadatas"], vectors, strict=True):
            if hashes.get(metadata["paper_id"]) != metadata["content_hash"]:
                continue  # an uncommitted or superseded version (a crash left it; repair removes it)
            grouped[metadata["paper_id"]].append(
                StoredSentence(
                    metadata["paper_id"], int(metadata["position"]), text, np.asarray(vector, dtype=np.float32)
                )
            )
        for sentences in grouped.values():
            sentences.sort(key=lambda s: s.position)
        return grouped

    def stats(self) -> IndexStatus:
        metadata = self.client.get_collection(self.settings.store.collection).metadata or {}
        return IndexStatus(
            papers=len(self.committed()),
            chunks=self.chunks.count(),
            sentences=self.sentences.count(),
            embedding_model=metadata.get(EMBEDDING_KEY, self.embedding_name),
            embedding_dim=metadata.get(DIMENSION_KEY),
            store=self.location,
            collection=self.settings.store.collection,
            last_ingest=metadata.get("last_ingest"),
            generation=int(metadata.get(GENERATION_KEY, 0)),
        )

    # --- writing -------------------------------------------------------------------------
    def add_chunks(self, nodes: list[TextNode]) -> None:
        for start in range(0, len(nodes), WRITE_BATCH):
            self.vector_store.add(nodes[start : start + WRITE_BATCH])

    def add_sentences(self, ids: list[str], texts: list[str], metadatas: list[dict], vectors: np.ndarray) -> None:
        for start in range(0, len(ids), WRITE_BATCH):
            end = start + WRITE_BATCH
            self.sentences.upsert(
                ids=ids[start:end],
                documents=texts[start:end],
                metadatas=metadatas[start:end],
                embeddings=vectors[start:end],
            )

    def delete_other_versions(self, paper_id: str, keep_hash: str) -> None:
        """Remove a paper's entries of any version but ``keep_hash`` (after that one is committed)."""
        where = {"$and": [{"paper_id": paper_id}, {"content_hash": {"$ne": keep_hash}}]}
        for collection in (self.chunks, self.sentences):
            collection.delete(where=where)
            boundary("delete-other-versions")

    def delete_papers(self, paper_ids: Iterable[str]) -> None:
        """Uncommit the papers first, then delete their entries: a crash leaves only orphans, which repair removes."""
        ids = list(paper_ids)
        if ids:
            self.manifest.remove(ids)
            boundary("prune-manifest")
            for collection in (self.chunks, self.sentences):
                collection.delete(where={"paper_id": {"$in": ids}})
                boundary("prune-entries")

    def delete_ids(self, chunk_ids: list[str], sentence_ids: list[str]) -> None:
        for collection, ids in ((self.chunks, chunk_ids), (self.sentences, sentence_ids)):
            for start in range(0, len(ids), WRITE_BATCH):
                collection.delete(ids=ids[start : start + WRITE_BATCH])
