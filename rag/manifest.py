"""The manifest: which version of each paper is committed. The source of truth for the index.

Chunks and sentences are written under ids that carry the paper's content hash, then the
manifest entry is switched to that hash, then older versions are deleted. A reader (or a
repair) trusts only entries whose hash the manifest names, so a crash between any two
writes leaves either the old version or the new one visible, never a mix, a gap or both.

It is a Chroma collection beside the chunks (one tiny record per paper), so it works the
same with the embedded store and with a Chroma server.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rag.chroma_paging import get_all

WRITE_BATCH = 1000
OPEN_KEY = "ingest_open"


@dataclass(frozen=True)
class Committed:
    content_hash: str
    chunks: int
    sentences: int


class Manifest:
    def __init__(self, client, name: str) -> None:
        self.collection = client.get_or_create_collection(
            name, configuration={"hnsw": {"space": "l2"}}, embedding_function=None
        )

    def left_open(self) -> bool:
        """Whether the last ingest did not finish (or the index predates this mark): the next one
        must check and repair the whole index before writing."""
        return (self.collection.metadata or {}).get(OPEN_KEY, 1) != 0

    def mark_open(self, open_: bool) -> None:
        """Set before an ingest's first write, cleared after its last: a crash leaves it set."""
        metadata = {k: v for k, v in (self.collection.metadata or {}).items() if not k.startswith("hnsw:")}
        self.collection.modify(metadata={**metadata, OPEN_KEY: int(open_)})

    def load(self) -> dict[str, Committed]:
        """paper_id -> its committed version."""
        found = get_all(self.collection, ["metadatas"])
        return {
            paper_id: Committed(meta["content_hash"], int(meta["chunks"]), int(meta["sentences"]))
            for paper_id, meta in zip(found["ids"], found["metadatas"] or [], strict=True)
        }

    def count(self) -> int:
        return self.collection.count()

    def commit(self, entries: dict[str, Committed]) -> None:
        items = list(entries.items())
        for start in range(0, len(items), WRITE_BATCH):
            batch = items[start : start + WRITE_BATCH]
            self.collection.upsert(
                ids=[paper_id for paper_id, _ in batch],
                embeddings=[[1.0]] * len(batch),
                metadatas=[
                    {"content_hash": c.content_hash, "chunks": c.chunks, "sentences": c.sentences} for _, c in batch
                ],
            )

    def remove(self, paper_ids: Iterable[str]) -> None:
        ids = list(paper_ids)
        for start in range(0, len(ids), WRITE_BATCH):
            self.collection.delete(ids=ids[start : start + WRITE_BATCH])
