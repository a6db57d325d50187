"""Hybrid retrieval: dense (Chroma) + BM25, fused by reciprocal rank, grouped per paper.

All three pieces are llama-index's own: VectorIndexRetriever over the ChromaVectorStore,
BM25Retriever (bm25s), and QueryFusionRetriever in ``reciprocal_rerank`` mode. What this
module adds is the per-paper grouping, so one paper split into two chunks cannot take
two result slots, and metadata filters that work the same in every mode.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from llama_index.core import VectorStoreIndex
from llama_index.core.llms import MockLLM
from llama_index.core.retrievers import QueryFusionRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle
from llama_index.core.vector_stores import ExactMatchFilter, MetadataFilters
from llama_index.retrievers.bm25 import BM25Retriever

from rag.embeddings import embed_query
from rag.errors import IndexEmptyError, RagError
from rag.store import PaperStore

MODES = ("hybrid", "dense", "bm25")
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]*[A-Za-z0-9]|[A-Za-z0-9]")
# Name-like tokens: inner capitals or digits mixed with letters (AlphaFold, YOLOv8, GPT-4, LoRA)
# or acronyms (SGD). Ordinary capitalised words ("What", "How") are not names.
NAME_LIKE = re.compile(r"^(?:[A-Za-z][a-z]*[A-Z][\w\-]*|[A-Za-z]+[\-]?\d[\w\-]*|[A-Z]{2,}s?)$")


@dataclass(frozen=True)
class PaperHit:
    """A retrieved paper: its best chunk and the score of the mode that found it."""

    paper_id: str
    title: str
    source: str
    score: float
    text: str
    links: tuple[str, ...] = ()


@dataclass(frozen=True)
class Retrieval:
    query: str
    query_vector: np.ndarray
    hits: list[PaperHit]
    # Names in the query that no indexed text contains: a strong sign the corpus cannot answer.
    unknown_names: tuple[str, ...] = ()


def _chunk_body(node_text: str, title: str) -> str:
    """The chunk without the title line that ingest prepends for searchability."""
    prefix = f"{title}\n\n"
    return node_text[len(prefix) :] if node_text.startswith(prefix) else node_text


def _cosine_from_chroma(similarity: float | None) -> float:
    # ChromaVectorStore reports exp(-distance); with cosine space distance = 1 - cos.
    return 1.0 + math.log(similarity) if similarity and similarity > 0 else -1.0


def _filters(source: str | None) -> MetadataFilters | None:
    return MetadataFilters(filters=[ExactMatchFilter(key="source", value=source)]) if source else None


class HybridRetriever:
    """Built once per index; BM25 lives in memory (0.1 s to build for ~500 chunks)."""

    def __init__(self, store: PaperStore, embed_model, candidates: int) -> None:
        self.store = store
        self.embed_model = embed_model
        self.candidates = candidates
        self.nodes = store.all_nodes()
        if not self.nodes:
            raise IndexEmptyError(
                f"the index at {store.location} (collection {store.settings.collection!r}) is empty; "
                "run `rag ingest` first"
            )
        self.index = VectorStoreIndex.from_vector_store(store.vector_store, embed_model=embed_model)
        self.vocabulary = {word.lower() for node in self.nodes for word in WORD.findall(node.get_content())}
        self._lock = threading.Lock()
        self._bm25_cache = lru_cache(maxsize=16)(self._build_bm25)

    def _build_bm25(self, source: str | None, top_k: int) -> BM25Retriever:
        nodes = [n for n in self.nodes if source is None or n.metadata.get("source") == source]
        if not nodes:
            raise RagError(f"no indexed papers come from source {source!r}")
        return BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=min(top_k, len(nodes)))

    def _dense(self, source: str | None, top_k: int):
        return self.index.as_retriever(similarity_top_k=top_k, filters=_filters(source))

    def _retrieve_nodes(self, bundle: QueryBundle, mode: str, source: str | None, top_k: int) -> list[NodeWithScore]:
        if mode == "dense":
            results = self._dense(source, top_k).retrieve(bundle)
            return [NodeWithScore(node=r.node, score=_cosine_from_chroma(r.score)) for r in results]
        # The cached BM25 retrievers are shared across server threads; bm25s is not thread-safe.
        with self._lock:
            bm25 = self._bm25_cache(source, top_k)
            if mode == "bm25":
                return bm25.retrieve(bundle)
            fusion = QueryFusionRetriever(
                [self._dense(source, top_k), bm25],
                llm=MockLLM(),  # never called with num_queries=1; avoids resolving Settings.llm (OpenAI)
                mode="reciprocal_rerank",
                num_queries=1,
                use_async=False,
                similarity_top_k=top_k,
            )
            return fusion.retrieve(bundle)

    def retrieve(
        self, query: str, k: int, mode: str = "hybrid", source: str | None = None, candidates: int | None = None
    ) -> Retrieval:
        """The ``k`` best papers among ``candidates`` chunks per retriever (default: the configured number)."""
        if mode not in MODES:
            raise RagError(f"unknown retrieval mode {mode!r}; choose one of {', '.join(MODES)}")
        if not query.strip():
            raise RagError("the query is empty")
        if k < 1:
            raise RagError(f"k must be at least 1, got {k}")
        vector = embed_query(self.embed_model, query)
        bundle = QueryBundle(query_str=query, embedding=vector.tolist())
        top_k = max(candidates or self.candidates, k)
        hits = group_by_paper(self._retrieve_nodes(bundle, mode, source, top_k), k)
        return Retrieval(query, vector, hits, self.unknown_names(query))

    def unknown_names(self, query: str) -> tuple[str, ...]:
        """Name-like words of the query (e.g. 'AlphaFold') that appear nowhere in the index."""
        unknown = []
        for word in WORD.findall(query):
            if not NAME_LIKE.match(word):
                continue
            lowered = word.lower()
            if lowered not in self.vocabulary and lowered.removesuffix("s") not in self.vocabulary:
                unknown.append(word)
        return tuple(dict.fromkeys(unknown))


def group_by_paper(results: list[NodeWithScore], k: int) -> list[PaperHit]:
    """Keep each paper's best-scoring chunk; best papers first."""
    best: dict[str, PaperHit] = {}
    for result in sorted(results, key=lambda r: r.score or 0.0, reverse=True):
        metadata = result.node.metadata
        paper_id = metadata["paper_id"]
        if paper_id in best:
            continue
        best[paper_id] = PaperHit(
            paper_id=paper_id,
            title=metadata["title"],
            source=metadata.get("source", ""),
            score=float(result.score or 0.0),
            text=_chunk_body(result.node.get_content(), metadata["title"]),
            links=tuple(metadata.get("links", "").split()),
        )
        if len(best) == k:
            break
    return list(best.values())
