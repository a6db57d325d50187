"""Incremental, idempotent ingest: parse -> chunk -> embed -> store.

A paper is (re-)embedded only when its content hash differs from what the store holds.
New versions are written before old ones are deleted, so an interrupted ingest never
leaves a paper missing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from llama_index.core.schema import TextNode

from rag.chunking import chunk_texts, split_sentences
from rag.config import Settings
from rag.consistency import CheckReport, check_index
from rag.corpus import ParseResult, parse_corpus
from rag.embeddings import LocalMiniLMEmbedding, embed_texts
from rag.faults import boundary
from rag.locking import ingest_lock
from rag.manifest import Committed
from rag.store import AbstractRecord, PaperStore
from rag.types import CorpusIssue, Paper

Progress = Callable[[int, int], None]
# Papers embedded per model call batch: small enough for steady progress. Writes gather
# write_batch_papers of them (Chroma's cost is per write call as much as per record).
PAPERS_PER_BATCH = 16


@dataclass
class IngestReport:
    files: int = 0
    papers: int = 0
    duplicates: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks: int = 0
    sentences: int = 0
    seconds: float = 0.0
    issues: list[CorpusIssue] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = {k: v for k, v in self.__dict__.items() if k != "issues"}
        data["seconds"] = round(self.seconds, 3)
        data["issues"] = [str(issue) for issue in self.issues]
        return data

    def summary(self) -> str:
        return (
            f"{self.papers} papers from {self.files} files ({self.duplicates} duplicates merged): "
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, {self.removed} removed; "
            f"{self.chunks} chunks and {self.sentences} sentences embedded in {self.seconds:.1f} s"
        )


def _metadata(paper: Paper) -> dict[str, str]:
    return {
        "paper_id": paper.paper_id,
        "title": paper.title,
        "source": Path(paper.source).name,
        "content_hash": paper.content_hash,
        "links": " ".join(paper.links),
        "url": paper.url,
        "year": paper.year,
        "authors": paper.authors,
        **({"arxiv_id": paper.arxiv_id} if paper.arxiv_id else {}),
    }


def _chunk_nodes(paper: Paper, texts: list[str], vectors) -> list[TextNode]:
    nodes = []
    for index, (text, vector) in enumerate(zip(texts, vectors, strict=False)):
        metadata = {**_metadata(paper), "chunk": index}
        nodes.append(
            TextNode(
                id_=f"{paper.paper_id}:{paper.content_hash}:c{index}",
                text=text,
                metadata=metadata,
                embedding=vector.tolist(),
                # The title is already in the text; metadata must not leak into BM25/embedding text.
                excluded_embed_metadata_keys=list(metadata),
                excluded_llm_metadata_keys=list(metadata),
            )
        )
    return nodes


@dataclass
class Embedded:
    """Papers embedded and waiting to be written: chunk nodes and abstract records."""

    papers: list[Paper] = field(default_factory=list)
    nodes: list[TextNode] = field(default_factory=list)
    abstracts: list[AbstractRecord] = field(default_factory=list)
    chunks: dict[str, int] = field(default_factory=dict)
    dimension: int | None = None


def _embed_batch(store: PaperStore, embed_model, papers: list[Paper], settings: Settings, into: Embedded) -> None:
    chunk_lists = [chunk_texts(p, settings.embedding.chunk_tokens, settings.embedding.chunk_overlap) for p in papers]
    sentence_lists = [split_sentences(p.abstract) for p in papers]
    flat_chunks = [text for texts in chunk_lists for text in texts]
    flat_sentences = [text for texts in sentence_lists for text in texts]
    if settings.embedding.late_chunking and isinstance(embed_model, LocalMiniLMEmbedding):
        chunk_vectors, sentence_vectors = _late_chunked(embed_model, chunk_lists, sentence_lists)
    elif settings.embedding.chunk_vectors_from_sentences:
        vectors = embed_texts(embed_model, [p.title for p in papers] + flat_sentences)
        sentence_vectors = vectors[len(papers) :]
        chunk_vectors = _pooled_chunks(vectors[: len(papers)], chunk_lists, sentence_lists, sentence_vectors)
    else:
        vectors = embed_texts(embed_model, flat_chunks + flat_sentences)
        chunk_vectors, sentence_vectors = vectors[: len(flat_chunks)], vectors[len(flat_chunks) :]
    into.dimension = int(chunk_vectors.shape[1])
    store.check_dimension(into.dimension)
    chunk_offset = sentence_offset = 0
    for paper, texts, sentences in zip(papers, chunk_lists, sentence_lists, strict=True):
        into.nodes.extend(_chunk_nodes(paper, texts, chunk_vectors[chunk_offset : chunk_offset + len(texts)]))
        into.abstracts.append(
            AbstractRecord(
                paper.paper_id,
                paper.content_hash,
                sentences,
                sentence_vectors[sentence_offset : sentence_offset + len(sentences)],
            )
        )
        into.chunks[paper.paper_id] = len(texts)
        chunk_offset += len(texts)
        sentence_offset += len(sentences)
    into.papers.extend(papers)


def _pooled_chunks(
    title_vectors: np.ndarray, chunk_lists: list[list[str]], sentence_lists: list[list[str]], sentence_vectors
) -> np.ndarray:
    """Each chunk's vector as the normalised mean of its title's and its sentences' vectors."""
    rows, offset = [], 0
    for title_vector, chunks, sentences in zip(title_vectors, chunk_lists, sentence_lists, strict=True):
        vectors = sentence_vectors[offset : offset + len(sentences)]
        offset += len(sentences)
        for chunk in chunks:
            inside = [v for sentence, v in zip(sentences, vectors, strict=True) if sentence in chunk]
            pooled = np.mean([title_vector, *inside], axis=0)
            rows.append(pooled / max(float(np.linalg.norm(pooled)), 1e-12))
    return np.asarray(rows, dtype=np.float32).reshape(len(rows), title_vectors.shape[1])


def _late_chunked(
    model: LocalMiniLMEmbedding, chunk_lists: list[list[str]], sentence_lists: list[list[str]]
) -> tuple[np.ndarray, np.ndarray]:
    """Chunk vectors, and sentence vectors pooled from the same forward pass: each sentence from
    the first chunk holding it whole within the model's input limit, else embedded on its own."""
    texts, spans, where = [], [], []
    for chunks, sentences in zip(chunk_lists, sentence_lists, strict=True):
        first = len(texts)
        texts.extend(chunks)
        spans.extend([] for _ in chunks)
        for sentence in sentences:
            found = next(((i, c.find(sentence)) for i, c in enumerate(chunks) if sentence in c), None)
            if found is None:
                where.append(None)
                continue
            chunk, start = first + found[0], found[1]
            where.append((chunk, len(spans[chunk])))
            spans[chunk].append((start, start + len(sentence)))
    chunk_vectors, pooled = model.embed_with_spans(texts, spans)
    flat_sentences = [s for sentences in sentence_lists for s in sentences]
    vectors: list[np.ndarray | None] = [pooled[w[0]][w[1]] if w else None for w in where]
    alone = [i for i, v in enumerate(vectors) if v is None]
    for i, vector in zip(alone, model.embed_array([flat_sentences[i] for i in alone]), strict=True):
        vectors[i] = vector
    sentence_vectors = np.stack(vectors) if vectors else np.zeros((0, chunk_vectors.shape[1]), np.float32)
    return chunk_vectors, sentence_vectors


def _write(store: PaperStore, embedded: Embedded, previously_stored: dict[str, str]) -> None:
    """One write batch: new versions under new ids, then the switch, then the old versions go
    (see rag/manifest.py). A new paper has no other version, so nothing is deleted for it."""
    store.add_chunks(embedded.nodes)
    boundary("add-chunks")
    store.add_abstracts(embedded.abstracts)
    boundary("add-sentences")
    store.manifest.commit(
        {
            record.paper_id: Committed(record.content_hash, embedded.chunks[record.paper_id], len(record.sentences))
            for record in embedded.abstracts
        }
    )
    boundary("commit")
    updated = {p.paper_id: p.content_hash for p in embedded.papers if p.paper_id in previously_stored}
    if updated:
        store.delete_other_versions(updated)


class _Writer:
    """Writes batches in order on one background thread, so Chroma's index insertion of batch N
    overlaps the embedding of batch N+1 (the model and Chroma both release the GIL). At most one
    write is in flight: the order of writes, and what a crash at any point leaves behind, are
    those of writing in the loop. A failed write is raised at the next submit or at exit."""

    def __init__(self, store: PaperStore, previously_stored: dict[str, str]) -> None:
        self._store, self._stored = store, previously_stored
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rag-ingest-write")
        self._pending: Future | None = None

    def submit(self, embedded: Embedded) -> None:
        self._wait()
        self._pending = self._pool.submit(_write, self._store, embedded, self._stored)

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self._wait()
        finally:
            self._pool.shutdown(wait=True)


def prune_refusal(parsed: ParseResult) -> str:
    """Why pruning would be unsafe: it removes what the given files do not hold, so every file
    must have been read in full. An empty or unreadable file would otherwise empty the index."""
    if not parsed.papers:
        return "the given paths hold no readable paper"
    if any(issue.severity == "error" for issue in parsed.issues):
        return "some files could not be read"
    if len({p.source for p in parsed.papers}) < parsed.files:
        return "some files yielded no paper"
    if any(issue.severity != "error" for issue in parsed.issues):
        return "some records were skipped as invalid"
    return ""


def ingest_corpus(
    paths: Iterable[str | Path],
    store: PaperStore,
    embedder: Callable[[], object],
    settings: Settings,
    progress: Progress | None = None,
    prune: bool = False,
) -> IngestReport:
    """Bring the store in line with the corpus files. Running it twice changes nothing.

    One ingest at a time per index; each first repairs what a crashed one left behind."""
    with ingest_lock(settings):
        return _ingest(paths, store, embedder, settings, progress, prune)


def _ingest(
    paths: Iterable[str | Path],
    store: PaperStore,
    embedder: Callable[[], object],
    settings: Settings,
    progress: Progress | None,
    prune: bool,
) -> IngestReport:
    started = time.perf_counter()
    # A full check reads every id in the index (40 s at 100k papers): it runs when the last ingest
    # did not finish, which is the only way ingest leaves the index inconsistent.
    repair = check_index(store, repair=True) if store.manifest.left_open() else CheckReport()
    store.manifest.mark_open(True)
    parsed = parse_corpus(paths)
    report = IngestReport(
        files=parsed.files, papers=len(parsed.papers), duplicates=parsed.duplicates, issues=list(parsed.issues)
    )

    stored = store.stored_hashes()
    pending = [p for p in parsed.papers if stored.get(p.paper_id) != p.content_hash]
    report.unchanged = len(parsed.papers) - len(pending)
    report.updated = sum(1 for p in pending if p.paper_id in stored)
    report.added = len(pending) - report.updated

    dimension = None
    if progress:
        progress(0, len(pending))
    embedded = Embedded()
    with _Writer(store, stored) as writer:
        for start in range(0, len(pending), PAPERS_PER_BATCH):
            batch = pending[start : start + PAPERS_PER_BATCH]
            _embed_batch(store, embedder(), batch, settings, embedded)
            done = start + len(batch)
            if len(embedded.papers) >= settings.store.write_batch_papers or done == len(pending):
                writer.submit(embedded)
                report.chunks += len(embedded.nodes)
                report.sentences += sum(len(record.sentences) for record in embedded.abstracts)
                dimension = embedded.dimension
                embedded = Embedded()
            # The last batch counts as done once its write has finished, below.
            if progress and done < len(pending):
                progress(done, len(pending))
    if progress and pending:
        progress(len(pending), len(pending))

    if repair.repaired:
        report.issues.append(CorpusIssue("(index)", 0, f"repaired before ingesting: {repair.summary()}"))
    refusal = prune_refusal(parsed) if prune else ""
    if refusal:
        report.issues.append(CorpusIssue("(prune)", 0, f"not pruning: {refusal}; no stored paper was removed", "error"))
    elif prune:
        # Only with --prune: a plain `rag ingest extra.jsonl` must not drop the rest of the corpus.
        gone = set(stored) - {p.paper_id for p in parsed.papers}
        store.delete_papers(gone)
        report.removed = len(gone)
    if pending or report.removed:
        store.mark_ingested(dimension)
    store.manifest.mark_open(False)
    report.seconds = time.perf_counter() - started
    return report
