"""The Chroma store: an embedded PersistentClient by default, a Chroma server when configured.

Collections per index:

* ``<collection>``: one vector per chunk, written through llama-index's ChromaVectorStore
  (so llama-index retrievers can read it back as nodes), searched by similarity;
* ``<collection>_abstracts``: each paper version's sentences and their vectors, keyed by
  paper. The extractive answerer and citation checks read them for the papers a question
  retrieves, so answering never embeds abstracts at query time. They are never searched by
  similarity, so they are not in a vector index of their own: two small records per paper
  (the sentences, and their vectors packed as float16) under a one-number placeholder
  embedding. That is 1/9 of the records and none of the 384-dimensional graph building of one
  vector record per sentence, and it works the same on a Chroma server;
* ``<collection>_manifest``: which version of each paper is committed (rag/manifest.py).

The chunk collection records the embedding model and dimension it was built with.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import numpy as np

from rag.chroma_paging import get_all
from rag.config import Settings
from rag.errors import EmbeddingMismatchError, IndexEmptyError, StoreError
from rag.faults import boundary
from rag.locking import store_open_lock
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


@dataclass(frozen=True)
class AbstractRecord:
    """One paper version's sentences and their vectors, as written to ``<collection>_abstracts``."""

    paper_id: str
    content_hash: str
    sentences: list[str]
    vectors: np.ndarray


def record_ids(paper_id: str, content_hash: str, sentences: int) -> tuple[str, str]:
    """The ids of a version's text and vector records; they carry the sentence count, so a
    consistency check reads ids only, never the payloads."""
    return f"{paper_id}:{content_hash}:t{sentences}", f"{paper_id}:{content_hash}:v{sentences}"


def parse_entry_id(entry_id: str) -> tuple[str, str, str]:
    """(paper_id, content_hash, kind+number) of a chunk ("c0") or abstract record ("t9", "v9") id."""
    paper_id, content_hash, suffix = entry_id.rsplit(":", 2)
    return paper_id, content_hash, suffix


def _pack(vectors: np.ndarray) -> str:
    return base64.b64encode(np.asarray(vectors, dtype=np.float16).tobytes()).decode("ascii")


def _unpack(packed: str, count: int) -> np.ndarray:
    flat = np.frombuffer(base64.b64decode(packed), dtype=np.float16).astype(np.float32)
    vectors = flat.reshape(count, -1) if count else flat.reshape(0, 0)
    # float16 rounding moves a unit vector's norm by ~1e-3; cosines need it back at 1.
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def _abstract_records(metadatas: list[dict] | None, with_vectors: bool) -> list[AbstractRecord]:
    """Abstract records from the metadata of their text and vector entries; a version missing
    its vector entry (half written) is left out when vectors are wanted."""
    texts: dict[tuple[str, str], list[str]] = {}
    packed: dict[tuple[str, str], str] = {}
    for meta in metadatas or []:
        key = (meta["paper_id"], meta["content_hash"])
        if meta["kind"] == "text":
            texts[key] = json.loads(meta["sentences"])
        else:
            packed[key] = meta["vectors"]
    records = []
    for (paper_id, content_hash), sentences in texts.items():
        if with_vectors and (paper_id, content_hash) not in packed:
            continue
        vectors = _unpack(packed[(paper_id, content_hash)], len(sentences)) if with_vectors else _EMPTY
        records.append(AbstractRecord(paper_id, content_hash, sentences, vectors))
    return records


def _placeholder(entry_id: str) -> list[float]:
    """A one-number embedding: Chroma needs one per record; spread out so its graph stays shallow."""
    return [float(int.from_bytes(entry_id.encode()[-4:], "little") % 100_003) / 100_003]


# Whether opening an embedded store may create its directory. Read-only callers (the CLI's ask,
# search, status, check, eval, summarize) open stores inside ``reading_only()``: a missing index is
# then an IndexEmptyError and nothing is created on disk; ingest creates it.
_MAY_CREATE: ContextVar[bool] = ContextVar("rag_store_may_create", default=True)


@contextmanager
def reading_only(read_only: bool = True) -> Iterator[None]:
    """Within this block, opening an embedded store that does not exist raises IndexEmptyError."""
    token = _MAY_CREATE.set(not read_only)
    try:
        yield
    finally:
        _MAY_CREATE.reset(token)


def open_client(settings: Settings, fresh: bool = False):
    """A Chroma client for the configured location. Telemetry is off in both modes.

    ``fresh``: an embedded client that re-reads the files instead of sharing this process's
    cached one, whose in-memory vector index does not see another process's writes.
    Clients already handed out keep working on their (older) view.

    Inside :func:`reading_only`, a missing embedded store raises IndexEmptyError before anything
    (the data directory included) is created.
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
    if not _MAY_CREATE.get() and not (settings.chroma_path / "chroma.sqlite3").is_file():
        raise IndexEmptyError(f"there is no index at {settings.chroma_path}; run `rag ingest` first")
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
        self.location = settings.store.chroma_url or str(settings.chroma_path)
        embedded = not settings.store.chroma_url
        with store_open_lock(settings, _MAY_CREATE.get()) if embedded else nullcontext():
            self.client = open_client(settings, fresh)
            self._open_collections()
        self._check_embedding(self.chunks)
        self._vector_store = None

    def _open_collections(self) -> None:
        settings, store = self.settings, self.settings.store
        metadata = {EMBEDDING_KEY: self.embedding_name}
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
            self.abstracts = self.client.get_or_create_collection(
                settings.sentence_collection,
                metadata=metadata,
                configuration={"hnsw": {"space": "l2", "ef_construction": 16, "max_neighbors": 4}},
                embedding_function=None,
            )
            self._raise_ef_search(store.hnsw_ef_search)
            self.manifest = Manifest(self.client, f"{store.collection}_manifest")
        except Exception as exc:
            raise StoreError(
                f"cannot open Chroma collection {settings.store.collection!r} at {self.location}: {exc}"
            ) from None

    @property
    def legacy_sentences(self):
        """The per-sentence collection of an index written by an earlier version, or None. Looked up
        each time: another process may migrate it away while this store is open."""
        return self._existing(self.settings.legacy_sentence_collection)

    def _existing(self, name: str):
        """The collection if it exists (never created: it is only read and migrated)."""
        try:
            return self.client.get_collection(name, embedding_function=None)
        except Exception:  # chromadb raises NotFoundError/ValueError variants by version
            return None

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
        for collection in (self.chunks, self.abstracts):
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
        for collection in (self.chunks, self.abstracts):
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
        chunk_counts: Counter = Counter()
        for meta in get_all(self.chunks, ["metadatas"])["metadatas"]:
            key = (meta["paper_id"], meta["content_hash"])
            versions.setdefault(key[0], set()).add(key[1])
            chunk_counts[key] += 1
        sentence_counts = self.sentence_counts()
        return {
            pid: Committed(h, chunk_counts[(pid, h)], sentence_counts.get((pid, h), 0))
            for pid, hashes in versions.items()
            if len(hashes) == 1 and sentence_counts.get((pid, (h := next(iter(hashes)))), 0)
        }

    def abstract_entries(self) -> list[tuple[str, str, str, str]]:
        """(id, paper_id, content_hash, kind+count) of every abstract record, from the ids alone."""
        ids = get_all(self.abstracts, [])["ids"]
        return [(entry_id, *parse_entry_id(entry_id)) for entry_id in ids]

    def sentence_counts(self) -> dict[tuple[str, str], int]:
        """(paper_id, content_hash) -> sentences, for versions with both records (or legacy sentences)."""
        kinds: dict[tuple[str, str], set[str]] = {}
        for _, paper_id, content_hash, suffix in self.abstract_entries():
            kinds.setdefault((paper_id, content_hash), set()).add(suffix)
        counts = {}
        for key, suffixes in kinds.items():
            numbers = {suffix[1:] for suffix in suffixes}
            if {suffix[0] for suffix in suffixes} == {"t", "v"} and len(numbers) == 1:
                counts[key] = int(numbers.pop())
        if (legacy := self.legacy_sentences) is not None:
            old = Counter((m["paper_id"], m["content_hash"]) for m in get_all(legacy, ["metadatas"])["metadatas"])
            counts = {**old, **counts}
        return counts

    def stored_hashes(self) -> dict[str, str]:
        """paper_id -> content hash of the committed version."""
        return {paper_id: entry.content_hash for paper_id, entry in self.committed().items()}

    def papers(self, paper_ids: Sequence[str] | None = None) -> list[Paper]:
        """Stored papers (all, or the given ids) rebuilt from chunk metadata and sentences, by title.

        The abstract is the stored sentences joined, so page noise removed at ingest stays removed.
        """
        where = {"chunk": 0} if paper_ids is None else {"$and": [{"chunk": 0}, {"paper_id": {"$in": list(paper_ids)}}]}
        hashes = self.stored_hashes()
        metadatas = get_all(self.chunks, ["metadatas"], where)["metadatas"]
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
                arxiv_id=m.get("arxiv_id", ""),
            )
            for m in metadatas
        ]
        return sorted(papers, key=lambda p: p.title.casefold())

    def all_nodes(self) -> list[TextNode]:
        """Every chunk as a llama-index node (read in pages; as ChromaVectorStore.get_nodes builds them)."""
        from llama_index.core.vector_stores.utils import metadata_dict_to_node

        found = get_all(self.chunks, ["documents", "metadatas"])
        # Chunks written by earlier versions keep their text as the Chroma document.
        return [
            metadata_dict_to_node(metadata, text=text)
            for text, metadata in zip(found["documents"], found["metadatas"], strict=True)
        ]

    def nodes_of(self, paper_ids: Iterable[str]) -> list[TextNode]:
        """The chunk nodes of the given papers (every stored version)."""
        from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters

        ids, nodes = list(paper_ids), []
        for start in range(0, len(ids), WRITE_BATCH):
            wanted = MetadataFilter(key="paper_id", value=ids[start : start + WRITE_BATCH], operator=FilterOperator.IN)
            nodes += self.vector_store.get_nodes(node_ids=None, filters=MetadataFilters(filters=[wanted]))
        return nodes

    def sentences_for(
        self,
        paper_ids: Sequence[str],
        with_vectors: bool = True,
        hashes: dict[str, str] | None = None,
        committed: dict[str, Committed] | None = None,
    ) -> dict[str, list[StoredSentence]]:
        """Each paper's committed sentences in abstract order, with their vectors unless ``with_vectors``
        is False. ``hashes`` (paper_id -> committed hash) saves reading the manifest again;
        ``committed`` (the manifest's entries) also gives the sentence counts, so the records are
        read by id rather than by a filter on ``paper_id`` (a search reads 40 papers' sentences)."""
        if not paper_ids:
            return {}
        if committed is not None:
            versions = {pid: committed[pid] for pid in paper_ids if pid in committed}
            hashes = {pid: entry.content_hash for pid, entry in versions.items()}
            records = self.read_abstract_versions(versions, with_vectors)
        else:
            hashes = self.stored_hashes() if hashes is None else hashes
            records = self.read_abstracts(paper_ids, with_vectors)
        grouped: dict[str, list[StoredSentence]] = {pid: [] for pid in paper_ids}
        for record in records:
            if hashes.get(record.paper_id) != record.content_hash:
                continue  # an uncommitted or superseded version (a crash left it; repair removes it)
            grouped[record.paper_id] = [
                StoredSentence(record.paper_id, position, text, record.vectors[position] if with_vectors else _EMPTY)
                for position, text in enumerate(record.sentences)
            ]
        missing = [pid for pid, sentences in grouped.items() if not sentences]
        if missing and (legacy := self.legacy_sentences) is not None:
            grouped.update(self._legacy_sentences_for(legacy, missing, with_vectors, hashes))
        return grouped

    def read_abstracts(self, paper_ids: Sequence[str], with_vectors: bool = True) -> list[AbstractRecord]:
        """Every stored version's record of the given papers (committed or not)."""
        where: dict = {"paper_id": {"$in": list(paper_ids)}}
        if not with_vectors:
            where = {"$and": [where, {"kind": "text"}]}
        return _abstract_records(self.abstracts.get(where=where, include=["metadatas"])["metadatas"], with_vectors)

    def read_abstract_versions(self, versions: dict[str, Committed], with_vectors: bool = True) -> list[AbstractRecord]:
        """The records of exactly these versions, looked up by id (a version whose records are
        missing, such as one from an index written before the abstracts store, is left out)."""
        ids = []
        for paper_id, entry in versions.items():
            text_id, vector_id = record_ids(paper_id, entry.content_hash, entry.sentences)
            ids += [text_id, vector_id] if with_vectors else [text_id]
        if not ids:
            return []
        return _abstract_records(self.abstracts.get(ids=ids, include=["metadatas"])["metadatas"], with_vectors)

    @staticmethod
    def _legacy_sentences_for(
        legacy, paper_ids: list[str], with_vectors: bool, hashes: dict[str, str]
    ) -> dict[str, list[StoredSentence]]:
        """Sentences from an index written before the abstracts store (one record per sentence)."""
        include = ["documents", "metadatas", "embeddings"] if with_vectors else ["documents", "metadatas"]
        found = legacy.get(where={"paper_id": {"$in": paper_ids}}, include=include)
        vectors = found["embeddings"] if with_vectors else [_EMPTY] * len(found["documents"])
        grouped: dict[str, list[StoredSentence]] = {}
        for text, meta, vector in zip(found["documents"], found["metadatas"], vectors, strict=True):
            if hashes.get(meta["paper_id"]) == meta["content_hash"]:
                sentence = StoredSentence(
                    meta["paper_id"], int(meta["position"]), text, np.asarray(vector, dtype=np.float32)
                )
                grouped.setdefault(meta["paper_id"], []).append(sentence)
        for sentences in grouped.values():
            sentences.sort(key=lambda s: s.position)
        return grouped

    def stats(self) -> IndexStatus:
        metadata = self.client.get_collection(self.settings.store.collection).metadata or {}
        committed = self.committed()
        return IndexStatus(
            papers=len(committed),
            chunks=self.chunks.count(),
            sentences=sum(c.sentences for c in committed.values()),
            embedding_model=metadata.get(EMBEDDING_KEY, self.embedding_name),
            embedding_dim=metadata.get(DIMENSION_KEY),
            store=self.location,
            collection=self.settings.store.collection,
            last_ingest=metadata.get("last_ingest"),
            generation=int(metadata.get(GENERATION_KEY, 0)),
        )

    # --- writing -------------------------------------------------------------------------
    def add_chunks(self, nodes: list[TextNode]) -> None:
        """Write chunk nodes as ChromaVectorStore.add does, except that the text stays inside the
        node's metadata record (``_node_content``, where llama-index reads it back from) instead
        of being a Chroma document: Chroma builds a trigram full-text index over documents, which
        nothing here searches (BM25 is our own), and which was most of the chunk write time
        (5,000 chunks of 230 words: 7.4 s as documents, 3.0 s in metadata, 1.5 s vectors alone)."""
        from llama_index.core.vector_stores.utils import node_to_metadata_dict

        for start in range(0, len(nodes), WRITE_BATCH):
            batch = nodes[start : start + WRITE_BATCH]
            metadatas = []
            for node in batch:
                metadata = node_to_metadata_dict(node, remove_text=False, flat_metadata=True)
                metadatas.append({key: "" if value is None else value for key, value in metadata.items()})
            self.chunks.add(
                ids=[node.node_id for node in batch],
                embeddings=[node.get_embedding() for node in batch],
                metadatas=metadatas,
            )

    def add_abstracts(self, records: list[AbstractRecord]) -> None:
        """Write each version's two records (upsert: a rerun after a crash rewrites the same ids)."""
        for start in range(0, len(records), WRITE_BATCH // 2):
            ids, metadatas = [], []
            for record in records[start : start + WRITE_BATCH // 2]:
                text_id, vector_id = record_ids(record.paper_id, record.content_hash, len(record.sentences))
                base = {"paper_id": record.paper_id, "content_hash": record.content_hash}
                ids += [text_id, vector_id]
                metadatas += [
                    {**base, "kind": "text", "sentences": json.dumps(record.sentences, ensure_ascii=False)},
                    {**base, "kind": "vectors", "vectors": _pack(record.vectors)},
                ]
            self.abstracts.upsert(ids=ids, embeddings=[_placeholder(i) for i in ids], metadatas=metadatas)

    def delete_other_versions(self, keep: dict[str, str]) -> None:
        """Remove entries of the given papers of any version but the one to keep (after that one is
        committed): one read of their ids and batched deletes, whatever the number of papers."""
        paper_ids = list(keep)
        for collection in (self.chunks, self.abstracts):
            stale = []
            for start in range(0, len(paper_ids), WRITE_BATCH):
                batch = paper_ids[start : start + WRITE_BATCH]
                ids = collection.get(where={"paper_id": {"$in": batch}}, include=[])["ids"]
                stale += [i for i in ids if keep.get(parse_entry_id(i)[0]) != parse_entry_id(i)[1]]
            self._delete(collection, stale)
            boundary("delete-other-versions")

    def delete_papers(self, paper_ids: Iterable[str]) -> None:
        """Uncommit the papers first, then delete their entries: a crash leaves only orphans, which repair removes."""
        ids = list(paper_ids)
        if ids:
            self.manifest.remove(ids)
            boundary("prune-manifest")
            for collection in (self.chunks, self.abstracts):
                for start in range(0, len(ids), WRITE_BATCH):
                    collection.delete(where={"paper_id": {"$in": ids[start : start + WRITE_BATCH]}})
                boundary("prune-entries")

    def delete_ids(self, chunk_ids: list[str], abstract_ids: list[str]) -> None:
        self._delete(self.chunks, chunk_ids)
        self._delete(self.abstracts, abstract_ids)

    @staticmethod
    def _delete(collection, ids: list[str]) -> None:
        for start in range(0, len(ids), WRITE_BATCH):
            collection.delete(ids=ids[start : start + WRITE_BATCH])

    # --- the store before the abstracts collection ------------------------------------------
    def migrate_legacy_sentences(self, committed: dict[str, Committed]) -> int:
        """Copy an older index's per-sentence records into the abstracts store (no re-embedding),
        then drop them. Idempotent: a crash midway leaves the old records, and the next run
        finishes the copy. Returns the number of papers copied."""
        if (legacy := self.legacy_sentences) is None:
            return 0
        have = {(paper_id, content_hash) for _, paper_id, content_hash, _ in self.abstract_entries()}
        wanted = [pid for pid, c in committed.items() if (pid, c.content_hash) not in have]
        hashes = {pid: c.content_hash for pid, c in committed.items()}
        copied = 0
        for start in range(0, len(wanted), WRITE_BATCH // 10):
            batch = wanted[start : start + WRITE_BATCH // 10]
            found = self._legacy_sentences_for(legacy, batch, True, hashes)
            records = [
                AbstractRecord(pid, hashes[pid], [s.text for s in sentences], np.stack([s.vector for s in sentences]))
                for pid, sentences in found.items()
                if sentences
            ]
            self.add_abstracts(records)
            copied += len(records)
            boundary("migrate-sentences")
        self.client.delete_collection(self.settings.legacy_sentence_collection)
        return copied


_EMPTY = np.zeros(0, dtype=np.float32)
