"""`rag check`: is the index consistent, and what repairs it.

Consistent means: every committed paper (manifest entry) has exactly the chunks and
sentences it was committed with; no chunk or abstract record belongs to an uncommitted or
superseded version; no sentences are left in an older version's per-sentence collection;
the chunks BM25 indexes are the committed chunks Chroma holds. Every
ingest repairs first, so a crash at any point is put right by the next run.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from rag import lexical_cache
from rag.chroma_paging import get_all
from rag.faults import boundary
from rag.manifest import Committed
from rag.store import PaperStore, parse_entry_id


@dataclass
class CheckReport:
    papers: int = 0
    chunks: int = 0
    sentences: int = 0
    # Entries of versions the manifest does not name (a crash between writes, or a killed prune).
    stray_chunks: int = 0
    stray_sentences: int = 0
    # Committed papers missing some of their entries: re-embedded by the next ingest.
    incomplete: list[str] = field(default_factory=list)
    # Built before the manifest existed: the manifest is written from the chunks.
    legacy: bool = False
    # Chunks BM25 would index (the snapshot's) that differ from the committed chunks in Chroma.
    bm25_mismatch: int = 0
    # Sentences still in the per-sentence collection of an older version (copied over by a repair).
    legacy_sentences: bool = False
    migrated: int = 0
    repaired: bool = False

    @property
    def consistent(self) -> bool:
        return not (
            self.stray_chunks
            or self.stray_sentences
            or self.incomplete
            or self.legacy
            or self.bm25_mismatch
            or self.legacy_sentences
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "consistent": self.consistent}

    def summary(self) -> str:
        if self.consistent:
            return f"consistent: {self.papers} papers, {self.chunks} chunks, {self.sentences} sentences"
        problems = []
        if self.stray_chunks or self.stray_sentences:
            problems.append(
                f"{self.stray_chunks} chunks and {self.stray_sentences} abstract records of uncommitted versions"
            )
        if self.legacy_sentences:
            problems.append("sentences in the per-sentence store of an older version")
        if self.incomplete:
            problems.append(f"{len(self.incomplete)} papers with missing entries ({', '.join(self.incomplete[:5])})")
        if self.legacy:
            problems.append("no manifest yet (index built by an older version)")
        if self.bm25_mismatch:
            problems.append(f"{self.bm25_mismatch} chunks differ between BM25 and Chroma")
        state = "repaired" if self.repaired else "run `rag check --repair` (or any `rag ingest`) to fix"
        return "inconsistent: " + "; ".join(problems) + f" - {state}"


def _entries(collection) -> list[tuple[str, str, str]]:
    """(id, paper_id, content_hash) of every chunk, read from the ids alone."""
    return [(i, *parse_entry_id(i)[:2]) for i in get_all(collection, [])["ids"]]


def check_index(store: PaperStore, repair: bool = False, lexical: bool = False) -> CheckReport:
    """``lexical``: also build the BM25 snapshot and compare its chunks with Chroma's (slower)."""
    legacy = store.manifest.count() == 0 and store.chunks.count() > 0
    committed = store.committed()
    report = CheckReport(legacy=legacy)
    if repair:
        # An index written before the abstracts store: copy its sentences over first (no re-embedding).
        report.migrated = store.migrate_legacy_sentences(committed)
    chunks = _entries(store.chunks)
    abstracts = [(i, pid, h) for i, pid, h, _ in store.abstract_entries()]

    def stray(entries: list[tuple[str, str, str]]) -> list[str]:
        return [i for i, pid, h in entries if pid not in committed or committed[pid].content_hash != h]

    stray_chunks, stray_abstracts = stray(chunks), stray(abstracts)
    chunk_counts = Counter((pid, h) for _, pid, h in chunks)
    sentence_counts = store.sentence_counts()
    incomplete = [
        pid
        for pid, c in committed.items()
        if chunk_counts[(pid, c.content_hash)] != c.chunks
        or sentence_counts.get((pid, c.content_hash), 0) != c.sentences
        or not c.chunks
    ]
    report.stray_chunks, report.stray_sentences, report.incomplete = len(stray_chunks), len(stray_abstracts), incomplete
    report.papers = len(committed) - len(incomplete)
    report.chunks = len(chunks) - len(stray_chunks)
    report.sentences = sum(c.sentences for pid, c in committed.items() if pid not in set(incomplete))
    report.legacy_sentences = store.legacy_sentences is not None
    if lexical and committed and not legacy:
        from rag.snapshot import IndexSnapshot

        committed_ids = {i for i, pid, h in chunks if pid in committed and committed[pid].content_hash == h}
        # The nodes served: from the saved lexical index when there is one for this state.
        snapshot = IndexSnapshot(store, store.generation(), store.settings.lexical_path)
        indexed = {node.node_id for node in snapshot.nodes}
        report.bm25_mismatch = len(committed_ids ^ indexed)
    if repair and not report.consistent:
        if report.bm25_mismatch:  # the saved lexical index is wrong: the next process rebuilds it
            lexical_cache.clear(store.settings.lexical_path, store.settings.store.collection)
        _repair(store, committed, stray_chunks, stray_abstracts, incomplete, legacy)
        report.repaired = True
    elif report.migrated:
        store.mark_ingested(None)  # running servers reload: the old collection is gone
        report.repaired = True
    return report


def _repair(
    store: PaperStore,
    committed: dict[str, Committed],
    stray_chunks: list[str],
    stray_sentences: list[str],
    incomplete: list[str],
    legacy: bool,
) -> None:
    if incomplete:
        # Uncommit first: the paper becomes "not stored" and the next ingest embeds it again.
        store.manifest.remove(incomplete)
        boundary("repair-uncommit")
        store.delete_papers(incomplete)
    if legacy:
        store.manifest.commit({pid: c for pid, c in committed.items() if pid not in set(incomplete)})
        boundary("repair-manifest")
    store.delete_ids(stray_chunks, stray_sentences)
    boundary("repair-strays")
    store.mark_ingested(None)
