"""Index-wide state, built once per ingest generation and shared by every question.

An :class:`IndexSnapshot` holds what is derived from the whole index: the chunk nodes,
BM25 per source, the vocabulary (for unknown-name checks), word IDF (for summaries) and
the title -> paper id map (for eval). The engine builds a new one when the store's ingest
generation moves, so a running server serves another process's ingest without a
restart; requests already running finish on the snapshot they started with.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, OrderedDict
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from rag import lexical_cache
from rag.corpus import normalize_title
from rag.errors import IndexEmptyError, RagError
from rag.store import PaperStore
from rag.text import NAME_LIKE, content_terms, phrase_words, vocabulary, word_grams

# "yolov8", "gpt4", "llama3": a name's version, which a question may leave off ("YOLO").
VERSION_SUFFIX = re.compile(r"(?<=[a-z])-?v?\d+(?:\.\d+)*$")

if TYPE_CHECKING:
    from llama_index.retrievers.bm25 import BM25Retriever

# Papers whose sentences a snapshot keeps in memory (with float32 vectors, about 14 KB a paper:
# about 60 MB at most).
SENTENCE_CACHE = 4096
# BM25 indexes kept for source-filtered searches (the whole-corpus one is always kept).
SOURCE_INDEXES = 8


def _word_counts(nodes: list) -> tuple[Counter, Counter]:
    """Per word, the papers using it: lower-cased words (vocabulary) and stemmed content words.
    A paper's chunks together hold its title and whole abstract."""
    words: dict[str, set[str]] = {}
    terms: dict[str, set[str]] = {}
    for node in nodes:
        paper_id, text = node.metadata["paper_id"], node.get_content()
        words.setdefault(paper_id, set()).update(vocabulary([text]))
        terms.setdefault(paper_id, set()).update(content_terms(text))
    return Counter(w for ws in words.values() for w in ws), Counter(t for ts in terms.values() for t in ts)


class IndexSnapshot:
    def __init__(self, store: PaperStore, generation: int, cache_root: Path | None = None) -> None:
        self.store = store
        self.generation = generation
        # Only committed versions: a crash may have left others in Chroma until the next repair.
        self.committed = store.committed()
        self.hashes = {paper_id: entry.content_hash for paper_id, entry in self.committed.items()}
        self._cache_root = cache_root
        collection = store.settings.store.collection
        self._cache_key = lexical_cache.state_key(store.location, collection, self.hashes)
        self._saved = lexical_cache.load(cache_root, collection, self._cache_key) if cache_root else None
        self._lock = threading.Lock()
        self._sentences: OrderedDict[str, list] = OrderedDict()
        self._by_source: dict[str, BM25Retriever] = {}
        self._all: BM25Retriever | None = None
        # The saved state BM25 is rebuilt from: its chunks' tokens are reused (lexical_cache.build_bm25).
        self._previous: lexical_cache.LexicalIndex | None = self._saved
        if self._saved is not None:
            self.nodes = self._saved.nodes
            self._all = self._saved.bm25
            self._vocabulary, self._frequency = self._saved.vocabulary, self._saved.document_frequency
            self.built_from = "saved"
        else:
            previous = lexical_cache.load_latest(cache_root, collection, store.location) if cache_root else None
            self.nodes, self._vocabulary, self._frequency = self._read_nodes(previous)
            self._previous = previous
            # "previous": a saved state plus the papers changed since; "store": every chunk read from Chroma.
            self.built_from = "store" if previous is None else "previous"
        if not self.nodes:
            raise IndexEmptyError(
                f"the index at {store.location} (collection {store.settings.store.collection!r}) is empty; "
                "run `rag ingest` first"
            )

    def _read_nodes(self, previous: lexical_cache.LexicalIndex | None) -> tuple[list, Counter, Counter]:
        """The committed chunk nodes and the word counts: from Chroma, or from the newest saved
        state plus the papers that changed since (a re-ingest of 100 papers in 100k reads 100)."""
        if previous is None:
            nodes = [node for node in self.store.all_nodes() if self.is_committed(node.metadata)]
            return nodes, *_word_counts(nodes)
        gone = {pid for pid, h in previous.hashes.items() if self.hashes.get(pid) != h}
        new = [pid for pid, h in self.hashes.items() if previous.hashes.get(pid) != h]
        old_nodes = [n for n in previous.nodes if n.metadata["paper_id"] in gone]
        new_nodes = [n for n in self.store.nodes_of(new) if self.is_committed(n.metadata)]
        nodes = [n for n in previous.nodes if n.metadata["paper_id"] not in gone] + new_nodes
        vocabulary, frequency = previous.vocabulary, previous.document_frequency
        old_vocabulary, old_frequency = _word_counts(old_nodes)
        new_vocabulary, new_frequency = _word_counts(new_nodes)
        vocabulary = vocabulary - old_vocabulary + new_vocabulary  # Counter arithmetic drops zeros
        frequency = frequency - old_frequency + new_frequency
        return nodes, vocabulary, frequency

    @property
    def from_cache(self) -> bool:
        """Whether the lexical index was loaded from disk rather than rebuilt."""
        return self._saved is not None

    def _persist(self, bm25: BM25Retriever) -> None:
        """Save the whole-corpus BM25 and the word statistics for the next process (not when they
        were loaded from disk, nor when the data directory does not exist: a Chroma server's
        client keeps no local state)."""
        if self._cache_root is None or self._saved is not None or not self._cache_root.parent.is_dir():
            return
        index = lexical_cache.LexicalIndex(
            bm25, self.nodes, self._vocabulary, self._frequency, self.hashes, self.store.location
        )
        lexical_cache.save(self._cache_root, self.store.settings.store.collection, self._cache_key, index)

    def sentences_for(self, paper_ids: list[str]) -> dict:
        """Each paper's committed sentences with their vectors (see PaperStore.sentences_for).

        Kept for the most recently asked SENTENCE_CACHE papers: a snapshot's committed sentences
        never change, and every search reranks its 40 candidates by them (a Chroma read of 40
        papers took 7 ms of a 20 ms search)."""
        with self._lock:
            cached = {pid: self._sentences[pid] for pid in paper_ids if pid in self._sentences}
            for pid in cached:
                self._sentences.move_to_end(pid)
        missing = [pid for pid in dict.fromkeys(paper_ids) if pid not in cached]
        read = self.store.sentences_for(missing, committed=self.committed) if missing else {}
        with self._lock:
            for pid, sentences in read.items():
                self._sentences[pid] = sentences
            while len(self._sentences) > SENTENCE_CACHE:
                self._sentences.popitem(last=False)
        return {pid: cached[pid] if pid in cached else read[pid] for pid in paper_ids}

    def is_committed(self, metadata: dict) -> bool:
        return self.hashes.get(metadata.get("paper_id")) == metadata.get("content_hash")

    @property
    def vocabulary(self) -> Counter:
        """Every lower-cased word of the index (with the number of papers using it): what an
        unknown-name check looks names up in."""
        return self._vocabulary

    @cached_property
    def titles(self) -> dict[str, str]:
        """Normalized title -> paper id."""
        return {normalize_title(n.metadata["title"]): n.metadata["paper_id"] for n in self.nodes}

    @cached_property
    def _introduced(self) -> list[tuple[str, str]]:
        """(name as the title spells it, paper id) for every title that introduces a name."""
        from rag.focus import introduced_name

        pairs = ((introduced_name(node.metadata["title"]), node.metadata["paper_id"]) for node in self.nodes)
        return [(name, paper_id) for name, paper_id in pairs if name]

    def title(self, paper_id: str) -> str:
        """A committed paper's title."""
        return self.first_nodes[paper_id].metadata["title"]

    @cached_property
    def title_name_users(self) -> dict[str, frozenset[str]]:
        """Casefolded name-like word of a title ("megatron-lm") -> the papers whose titles use it."""
        from rag.focus import name_like_words

        users: dict[str, set[str]] = {}
        for paper_id, node in self.first_nodes.items():
            for name in name_like_words(node.metadata["title"]):
                users.setdefault(name.casefold(), set()).add(paper_id)
        return {name: frozenset(ids) for name, ids in users.items()}

    @cached_property
    def introduced_names(self) -> dict[str, str]:
        """Casefolded name a title introduces ("galore" for "GaLore: ...") -> paper id."""
        names: dict[str, str] = {}
        for name, paper_id in self._introduced:
            names.setdefault(name.casefold(), paper_id)
        return names

    @cached_property
    def _spaced_titles(self) -> list[str]:
        """Every title as its casefolded words between spaces, for counting the titles using a phrase.
        Built on the first question naming a title phrase, not for every snapshot."""
        return [f" {' '.join(phrase_words(node.metadata['title']))} " for node in self.first_nodes.values()]

    def phrase_introducers(self, text: str) -> list[str]:
        """The papers whose titles introduce a many-word name that ``text`` uses ("how does unit scaling
        ...?" -> the "Unit Scaling: ..." paper), when no other title uses the phrase: "Batch
        Normalization" names a technique other titles use, not one paper."""
        found = []
        for gram in word_grams(text, (3, 2)):
            phrase = " ".join(gram)
            paper_id = self.introduced_names.get(phrase)
            if paper_id is not None and sum(f" {phrase} " in title for title in self._spaced_titles) == 1:
                found.append(paper_id)
        return list(dict.fromkeys(found))

    @cached_property
    def name_spellings(self) -> dict[str, str]:
        """Casefolded one-word name a title introduces -> its spelling there, for those that look like
        names ("galore" -> "GaLore"): how a question typed in lower case is read."""
        return {name.casefold(): name for name in self.introduced_as_written if NAME_LIKE.match(name)}

    @cached_property
    def introduced_as_written(self) -> frozenset[str]:
        """The one-word names titles introduce, spelled as in the title ("Unicron", "Adapt-infty")."""
        return frozenset(name for name, _ in self._introduced if " " not in name)

    @cached_property
    def first_nodes(self) -> dict:
        """Paper id -> its first chunk node."""
        first: dict = {}
        for node in self.nodes:
            paper_id = node.metadata["paper_id"]
            if paper_id not in first or node.metadata.get("chunk", 0) < first[paper_id].metadata.get("chunk", 0):
                first[paper_id] = node
        return first

    @property
    def document_frequency(self) -> tuple[Counter, int]:
        """How many papers use each stemmed word (in their title or abstract), and how many papers there are."""
        return self._frequency, len(self.hashes)

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

    def name_share(self, name: str) -> float:
        """The share of papers writing ``name`` as one word ("ImageNet-R", which few papers use, though
        many use ImageNet), or else :meth:`paper_share`."""
        papers = self._vocabulary.get(name.lower(), 0)
        return papers / max(len(self.hashes), 1) if papers else self.paper_share(name)

    def _build_bm25(self, source: str | None) -> BM25Retriever:
        nodes = [n for n in self.nodes if source is None or n.metadata.get("source") == source]
        if not nodes:
            raise RagError(f"no indexed papers come from source {source!r}")
        # Only the chunks the previous state lacks are tokenized; the scores are a full rebuild's.
        return lexical_cache.build_bm25(nodes, self._previous, similarity_top_k=len(nodes))

    def bm25(self, source: str | None, top_k: int) -> BM25Retriever:
        """BM25 over the papers of ``source`` (all when None), returning ``top_k`` chunks. Callers
        hold :attr:`bm25_lock` while using it: bm25s is not thread-safe, and top_k is set per call."""
        if source is None:
            if self._all is None:
                self._all = self._build_bm25(None)
                self._persist(self._all)  # the next process loads it instead of rebuilding
                # Source-filtered indexes reuse its tokens; the previous state's memory is freed.
                self._previous = lexical_cache.LexicalIndex(
                    self._all, self.nodes, self._vocabulary, self._frequency, self.hashes, self.store.location
                )
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

    @cached_property
    def _word_parts(self) -> frozenset[str]:
        """The parts of the index's hyphenated words and its versioned names without their version:
        "RANSAC-based" uses RANSAC, "YOLOv8" is a YOLO."""
        parts: set[str] = set()
        for word in self._vocabulary:
            # Plain words are their own parts, already in the vocabulary: only compounds and versions
            # add any (a fraction of a large index's vocabulary).
            if "-" in word:
                split = word.split("-")
                # "CodeACT-DeepSeek-Coder-6.7B" uses DeepSeek-Coder-6.7B, and "Q-GaLore-style" Q-GaLore.
                parts.update("-".join(split[i:j]) for i in range(len(split)) for j in range(i + 1, len(split) + 1))
            if word[-1:].isdigit():
                parts.add(VERSION_SUFFIX.sub("", word))
        return frozenset(parts)

    def _known(self, word: str) -> bool:
        lower = word.lower()
        forms = (lower, lower.removesuffix("s"))
        return any(form in self._vocabulary or form in self._word_parts for form in forms)

    def unknown_names(self, names: list[str]) -> tuple[str, ...]:
        """The names (e.g. 'AlphaFold') that appear nowhere in the index. A compound of known words one
        of which is a plain word ("GPU-days", "LoRA-tuned") is a description, not an unseen name;
        "Llama-3-70B" is a name whatever its parts."""
        unknown = [word for word in names if not self._known(word) and not self._described(word)]
        return tuple(dict.fromkeys(unknown))

    def _described(self, word: str) -> bool:
        parts = [part for part in word.split("-") if part]
        plain = any(part.isalpha() and part.islower() for part in parts)
        return len(parts) > 1 and plain and all(self._known(part) for part in parts)
