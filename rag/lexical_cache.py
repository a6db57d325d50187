"""The lexical index on disk: BM25 (bm25s, through llama-index's BM25Retriever.persist) and the
word statistics derived from every chunk, saved once per committed index state.

Without it every process start reads every chunk back from Chroma and re-tokenizes the corpus
for BM25, which is linear in the corpus (about 80 s at 100k papers). A cache entry is keyed by
a digest of the store's location, collection and committed manifest (paper id -> content
hash), so it can never describe another index state: any committed change, in this process or
another, gives a new key. Entries are written to a temporary directory and renamed into place,
so a reader never sees half an entry; older entries of the same collection are then removed.
With a Chroma server the cache is local to each machine that serves it; a machine without it
builds it once.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llama_index.core.schema import BaseNode
    from llama_index.retrievers.bm25 import BM25Retriever

DERIVED_FILE = "derived.json"
KEY_LENGTH = 24
# Bumped when what is saved, or how BM25 tokenizes, changes: older entries are then never read.
FORMAT = 1
# Keep the newest entries of a collection: a server may still be reading the previous one.
KEEP_ENTRIES = 2


@dataclass
class LexicalIndex:
    bm25: BM25Retriever
    nodes: list[BaseNode]
    # Lower-cased word -> papers using it (counts, so a later state can subtract a changed paper).
    vocabulary: Counter
    # Stemmed content word -> papers using it.
    document_frequency: Counter
    # The committed state it describes: paper_id -> content hash, in the store at ``location``.
    hashes: dict[str, str]
    location: str = ""


def state_key(location: str, collection: str, hashes: dict[str, str]) -> str:
    digest = hashlib.sha256(f"{FORMAT}\0{location}\0{collection}\0".encode())
    for paper_id, content_hash in sorted(hashes.items()):
        digest.update(f"{paper_id}={content_hash}\n".encode())
    return digest.hexdigest()[:KEY_LENGTH]


def entry_dir(root: Path, collection: str, key: str) -> Path:
    return root / f"{collection}-{key}"


def load(root: Path, collection: str, key: str) -> LexicalIndex | None:
    """The saved entry for this index state, or None (missing or unreadable: it is rebuilt)."""
    return _read(entry_dir(root, collection, key))


def load_latest(root: Path, collection: str, location: str) -> LexicalIndex | None:
    """The newest saved entry of the collection in the same store, whatever state it describes:
    a new state is built from it by re-reading only the papers that changed."""
    if not root.is_dir():
        return None
    entries = sorted(_entries(root, collection), key=lambda p: p.stat().st_mtime, reverse=True)
    readable = (index for index in map(_read, entries) if index is not None)
    return next((index for index in readable if index.location == location), None)


def _read(path: Path) -> LexicalIndex | None:
    from llama_index.core.vector_stores.utils import metadata_dict_to_node
    from llama_index.retrievers.bm25 import BM25Retriever

    if not (path / DERIVED_FILE).is_file():
        return None
    try:
        derived = json.loads((path / DERIVED_FILE).read_text(encoding="utf-8"))
        bm25 = BM25Retriever.from_persist_dir(str(path), show_progress=False)
        nodes = [metadata_dict_to_node(entry) for entry in bm25.corpus]
        return LexicalIndex(
            bm25,
            nodes,
            Counter(derived["vocabulary"]),
            Counter(derived["document_frequency"]),
            dict(derived["hashes"]),
            str(derived["location"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _entries(root: Path, collection: str) -> list[Path]:
    return [p for p in root.glob(f"{collection}-{'?' * KEY_LENGTH}") if p.is_dir()]


def save(root: Path, collection: str, key: str, index: LexicalIndex) -> None:
    """Write the entry atomically; a failure only costs the next process a rebuild."""
    final = entry_dir(root, collection, key)
    if final.exists():
        return
    try:
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{collection}-", dir=root))
    except OSError:
        return
    try:
        index.bm25.persist(str(staging), show_progress=False)
        derived = {
            "vocabulary": dict(index.vocabulary),
            "document_frequency": dict(index.document_frequency),
            "hashes": index.hashes,
            "location": index.location,
        }
        # derived.json last: its presence marks a whole entry.
        (staging / DERIVED_FILE).write_text(json.dumps(derived), encoding="utf-8")
        os.replace(staging, final)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        return
    _prune(root, collection, keep=final)


def _prune(root: Path, collection: str, keep: Path) -> None:
    entries = sorted(
        (p for p in _entries(root, collection) if p != keep),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for stale in entries[KEEP_ENTRIES - 1 :]:
        shutil.rmtree(stale, ignore_errors=True)


def clear(root: Path, collection: str) -> None:
    """Remove every saved entry of the collection (a check found one that disagrees with Chroma)."""
    if root.is_dir():
        for entry in _entries(root, collection):
            shutil.rmtree(entry, ignore_errors=True)
