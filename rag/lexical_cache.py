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

Each entry also keeps every chunk's BM25 tokens (stemmed, stopwords removed, as ids into the
entry's BM25 vocabulary). bm25s cannot update an index, so a new state rebuilds BM25 over every
chunk; with the tokens of the previous state only the changed chunks are tokenized again, and the
scores are computed from the token ids in a few vectorised passes (:func:`build_bm25`). The
result is the index a full rebuild gives, score for score.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from llama_index.core.schema import BaseNode
    from llama_index.retrievers.bm25 import BM25Retriever

DERIVED_FILE = "derived.json"
# Every chunk's BM25 token ids (int32, concatenated in corpus order) and where each chunk starts.
TOKENS_FILE = "tokens.npy"
TOKEN_OFFSETS_FILE = "token_offsets.npy"
# How llama-index's BM25Retriever tokenizes (BM25Retriever.from_defaults' defaults).
TOKEN_PATTERN = r"(?u)\b\w\w+\b"
STOPWORDS = "en"
STEMMER = "english"
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
    # The entry directory it was read from (its saved tokens are read from there when needed).
    path: Path | None = None
    _tokens: DocTokens | None = field(default=None, repr=False)

    def tokens(self) -> DocTokens | None:
        """Every chunk's BM25 tokens, aligned with ``nodes``, or None when the entry has none (or
        was made by another tokenizer): then every chunk is tokenized again."""
        if self._tokens is None:
            self._tokens = getattr(self.bm25.bm25, TOKENS_ATTRIBUTE, None)
        if self._tokens is None and self.path is not None:
            self._tokens = _read_tokens(self.path, self.bm25, len(self.nodes))
        return self._tokens


@dataclass
class DocTokens:
    """BM25 tokens of a corpus: document i is ``ids[offsets[i]:offsets[i + 1]]``, ids into ``vocabulary``."""

    ids: np.ndarray
    offsets: np.ndarray
    vocabulary: list[str]

    def __len__(self) -> int:
        return len(self.offsets) - 1


# A BM25 built by build_bm25 carries its corpus' tokens under this attribute, so save() writes them.
TOKENS_ATTRIBUTE = "_rag_doc_tokens"


def state_key(location: str, collection: str, hashes: dict[str, str]) -> str:
    digest = hashlib.sha256(f"{FORMAT}\0{location}\0{collection}\0".encode())
    for paper_id, content_hash in sorted(hashes.items()):
        digest.update(f"{paper_id}={content_hash}\n".encode())
    return digest.hexdigest()[:KEY_LENGTH]


def entry_dir(root: Path, collection: str, key: str) -> Path:
    return root / f"{collection}-{key}"


def load(root: Path, collection: str, key: str) -> LexicalIndex | None:
    """The saved entry for this index state, or None (missing or unreadable: it is rebuilt)."""
    path = entry_dir(root, collection, key)
    index = _read(path)
    if index is not None:
        _remember(path, index)
    return index


def load_latest(root: Path, collection: str, location: str) -> LexicalIndex | None:
    """The newest saved entry of the collection in the same store, whatever state it describes:
    a new state is built from it by re-reading only the papers that changed."""
    if not root.is_dir():
        return None
    entries = sorted(_entries(root, collection), key=lambda p: p.stat().st_mtime, reverse=True)
    readable = (index for index in map(_recalled_or_read, entries) if index is not None)
    return next((index for index in readable if index.location == location), None)


# The entry this process last wrote or read, kept in memory: the next state built in this process
# (after a re-ingest) starts from it without reading it back (about 4 s at 100k papers). It is used
# only while the entry's files are exactly as they were (names, sizes, modification times), and
# only as a previous state (load() always reads: two snapshots never share one BM25 object).
_recent: tuple[Path, tuple, LexicalIndex] | None = None
_recent_lock = threading.Lock()


def _signature(path: Path) -> tuple | None:
    try:
        return tuple(sorted((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in path.iterdir()))
    except OSError:
        return None


def _remember(path: Path, index: LexicalIndex) -> None:
    global _recent
    signature = _signature(path)
    with _recent_lock:
        _recent = (path, signature, index) if signature else None


def _recalled_or_read(path: Path) -> LexicalIndex | None:
    with _recent_lock:
        recent = _recent
    if recent is not None and recent[0] == path and recent[1] == _signature(path):
        return recent[2]
    index = _read(path)
    if index is not None:
        _remember(path, index)
    return index


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
            path,
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
        tokens = index.tokens()
        if tokens is not None and len(tokens) == len(index.nodes):
            import numpy as np

            np.save(staging / TOKENS_FILE, tokens.ids, allow_pickle=False)
            np.save(staging / TOKEN_OFFSETS_FILE, tokens.offsets, allow_pickle=False)
        derived = {
            "vocabulary": dict(index.vocabulary),
            "document_frequency": dict(index.document_frequency),
            "hashes": index.hashes,
            "location": index.location,
            "tokenizer": tokenizer_signature(),
        }
        # derived.json last: its presence marks a whole entry.
        (staging / DERIVED_FILE).write_text(json.dumps(derived), encoding="utf-8")
        os.replace(staging, final)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        return
    _remember(final, replace(index, path=final))
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


# --- BM25 from tokens ----------------------------------------------------------------------


def tokenizer_signature() -> str:
    """What the saved tokens depend on: an entry made with another tokenizer is not reused."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        versions = f"bm25s {version('bm25s')}, PyStemmer {version('PyStemmer')}"
    except PackageNotFoundError:
        versions = "unknown"
    return f"{versions}; {TOKEN_PATTERN}; stopwords {STOPWORDS}; stemmer {STEMMER}"


def _read_tokens(path: Path, bm25: BM25Retriever, documents: int) -> DocTokens | None:
    """The entry's saved tokens, when it has them, for this tokenizer, and they fit its corpus."""
    import numpy as np

    try:
        derived = json.loads((path / DERIVED_FILE).read_text(encoding="utf-8"))
        if derived.get("tokenizer") != tokenizer_signature():
            return None
        ids = np.load(path / TOKENS_FILE, allow_pickle=False)
        offsets = np.load(path / TOKEN_OFFSETS_FILE, allow_pickle=False)
    except (OSError, ValueError, EOFError):  # missing, damaged or truncated
        return None
    vocabulary_ids = bm25.bm25.vocab_dict
    vocabulary = [""] * (max(vocabulary_ids.values(), default=-1) + 1)
    for token, token_id in vocabulary_ids.items():
        vocabulary[token_id] = token
    fits = (
        ids.ndim == 1
        and offsets.ndim == 1
        and len(offsets) == documents + 1
        and offsets[0] == 0
        and offsets[-1] == len(ids)
        and bool(np.all(np.diff(offsets) >= 0))
        and (not len(ids) or (0 <= int(ids.min()) and int(ids.max()) < len(vocabulary)))
    )
    return DocTokens(ids.astype(np.int32), offsets.astype(np.int64), vocabulary) if fits else None


def _tokenize(texts: list[str]) -> DocTokens:
    """BM25Retriever's tokenization (lower-cased words, English stopwords out, stemmed)."""
    import bm25s
    import numpy as np
    import Stemmer

    ids, vocabulary_ids = bm25s.tokenize(
        texts, stopwords=STOPWORDS, stemmer=Stemmer.Stemmer(STEMMER), token_pattern=TOKEN_PATTERN, show_progress=False
    )
    vocabulary = [""] * len(vocabulary_ids)
    for token, token_id in vocabulary_ids.items():
        vocabulary[token_id] = token
    offsets = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum([len(doc) for doc in ids], out=offsets[1:])
    flat = np.fromiter((t for doc in ids for t in doc), dtype=np.int32, count=int(offsets[-1]))
    return DocTokens(flat, offsets, vocabulary)


def build_bm25(nodes: list[BaseNode], previous: LexicalIndex | None = None, similarity_top_k: int | None = None):
    """BM25 over ``nodes``, as ``BM25Retriever.from_defaults(nodes=nodes)`` builds it (same tokens,
    same scores), reusing the tokens and stored entries of ``previous`` for the chunks it holds
    unchanged: only new chunks are tokenized."""
    from llama_index.core.schema import MetadataMode
    from llama_index.core.vector_stores.utils import node_to_metadata_dict
    from llama_index.retrievers.bm25 import BM25Retriever

    texts = [node.get_content(metadata_mode=MetadataMode.EMBED) for node in nodes]
    old = previous.tokens() if previous is not None else None
    reused = [-1] * len(nodes)  # per node: its position in ``previous``, or -1
    if old is not None and previous is not None and len(old) == len(previous.nodes):
        position = {node.node_id: i for i, node in enumerate(previous.nodes)}
        for i, (node, text) in enumerate(zip(nodes, texts, strict=True)):
            j = position.get(node.node_id, -1)
            if j >= 0 and previous.nodes[j].get_content(metadata_mode=MetadataMode.EMBED) == text:
                reused[i] = j
    else:
        old = None
    tokens = _merge_tokens(texts, reused, old)
    bm25 = _bm25_from_tokens(tokens)
    old_corpus = previous.bm25.corpus if old is not None and previous is not None else []
    bm25.corpus = [
        old_corpus[j] if j >= 0 else node_to_metadata_dict(node) | {"node_id": node.node_id}
        for node, j in zip(nodes, reused, strict=True)
    ]
    setattr(bm25, TOKENS_ATTRIBUTE, tokens)
    top_k = similarity_top_k if similarity_top_k is not None else max(1, len(nodes))
    return BM25Retriever(existing_bm25=bm25, similarity_top_k=top_k)


def _merge_tokens(texts: list[str], reused: list[int], old: DocTokens | None) -> DocTokens:
    """The documents' tokens: ``old``'s for the reused ones (reused[i] >= 0), freshly tokenized
    for the others, in one id space holding only the tokens used."""
    import numpy as np

    fresh = [i for i, j in enumerate(reused) if j < 0]
    new = _tokenize([texts[i] for i in fresh])
    vocabulary = list(old.vocabulary) if old is not None else []
    known = {token: token_id for token_id, token in enumerate(vocabulary)}
    new_to_global = np.empty(len(new.vocabulary), dtype=np.int32)
    for token_id, token in enumerate(new.vocabulary):
        if token not in known:
            known[token] = len(vocabulary)
            vocabulary.append(token)
        new_to_global[token_id] = known[token]
    fresh_at = {i: k for k, i in enumerate(fresh)}
    pieces = []
    for i, j in enumerate(reused):
        if j >= 0 and old is not None:
            pieces.append(old.ids[old.offsets[j] : old.offsets[j + 1]])
        else:
            k = fresh_at[i]
            pieces.append(new_to_global[new.ids[new.offsets[k] : new.offsets[k + 1]]])
    flat = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int32)
    used = np.zeros(len(vocabulary), dtype=bool)
    used[flat] = True
    flat = (np.cumsum(used) - 1).astype(np.int32)[flat]
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(piece) for piece in pieces], out=offsets[1:])
    return DocTokens(flat, offsets, [token for token, keep in zip(vocabulary, used, strict=True) if keep])


def _bm25_from_tokens(tokens: DocTokens):
    """A bm25s index of the tokenized documents, as ``BM25().index(...)`` makes it."""
    import bm25s
    import numpy as np

    bm25 = bm25s.BM25()
    vocabulary_ids = {token: token_id for token_id, token in enumerate(tokens.vocabulary)}
    if bm25.method == bm25.idf_method == "lucene" and int(np.__version__.split(".")[0]) >= 2:
        bm25.scores = _lucene_scores(bm25, tokens)
        bm25.nonoccurrence_array = None
        if "" not in vocabulary_ids:  # as BM25.index(create_empty_token=True)
            vocabulary_ids[""] = len(vocabulary_ids)
        bm25.vocab_dict = vocabulary_ids
        bm25.unique_token_ids_set = set(vocabulary_ids.values())
    else:  # bm25s's own (slower) build from the same token ids
        from bm25s.tokenization import Tokenized

        offsets = tokens.offsets
        ids = [tokens.ids[offsets[i] : offsets[i + 1]].tolist() for i in range(len(tokens))]
        bm25.index(Tokenized(ids=ids, vocab=vocabulary_ids), show_progress=False)
    return bm25


def _lucene_scores(bm25, tokens: DocTokens) -> dict:
    """bm25s's lucene scores (BM25.build_index_from_ids) computed over all documents at once, with
    the same float operations in the same order, so every score is the same to the bit."""
    import numpy as np

    documents = len(tokens)
    vocabulary = len(tokens.vocabulary)
    lengths = np.diff(tokens.offsets)
    average_length = lengths.mean() if documents else np.float64("nan")
    document_of = np.repeat(np.arange(documents, dtype=np.int64), lengths)
    # Distinct (token, document) pairs, sorted by token then document: the CSC order.
    pairs, counts = np.unique((tokens.ids.astype(np.int64) << 32) | document_of, return_counts=True)
    token_of = pairs >> 32
    document_of = pairs & 0xFFFFFFFF
    frequency = np.bincount(token_of, minlength=vocabulary)
    # IDF per distinct document frequency, with Python floats as bm25s computes it.
    distinct, where = np.unique(frequency, return_inverse=True)
    idf_values = np.array(
        [math.log(1 + (documents - df + 0.5) / (df + 0.5)) if df else 0.0 for df in distinct.tolist()],
        dtype=np.float64,
    )
    idf = idf_values.astype(bm25.dtype)[where]
    # tfc = tf / (k1 * ((1 - b) + b * l_d / l_avg) + tf), per document then per pair.
    norm = bm25.k1 * ((1 - bm25.b) + bm25.b * lengths / average_length)
    tf = counts.astype(bm25.dtype)
    tfc = tf / (norm[document_of] + tf)
    data = (idf[token_of] * tfc).astype(bm25.dtype)
    indptr = np.zeros(vocabulary + 1, dtype=np.int64)
    np.cumsum(frequency, out=indptr[1:])
    return {
        "data": data,
        "indices": document_of.astype(bm25.int_dtype),
        "indptr": indptr,
        "num_docs": documents,
    }
