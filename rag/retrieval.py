"""Hybrid retrieval: dense (Chroma) + BM25, fused by weighted normalised score, grouped per paper.

All three pieces are llama-index's own: VectorIndexRetriever over the ChromaVectorStore,
BM25Retriever (bm25s), and QueryFusionRetriever in ``relative_score`` mode (each retriever's
scores min-max normalised, then weighted: unlike reciprocal rank, it keeps how far ahead a hit is). What this
module adds is the per-paper grouping, so one paper split into two chunks cannot take
two result slots, and metadata filters that work the same in every mode.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from llama_index.core import VectorStoreIndex
from llama_index.core.llms import MockLLM
from llama_index.core.retrievers import QueryFusionRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle
from llama_index.core.vector_stores import ExactMatchFilter, MetadataFilters

from rag.embeddings import embed_query
from rag.errors import RagError
from rag.snapshot import IndexSnapshot
from rag.text import name_like_words
from rag.types import RETRIEVAL_MODES, Hit, RetrievalMode


@dataclass(frozen=True)
class Retrieval:
    query: str
    query_vector: np.ndarray
    hits: list[Hit]
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
    """Retrieval over one index snapshot; built with it, so it never mixes two generations."""

    def __init__(self, snapshot: IndexSnapshot, embed_model, candidates: int, dense_weight: float = 0.5) -> None:
        self.snapshot = snapshot
        self.embed_model = embed_model
        self.candidates = candidates
        self.dense_weight = dense_weight
        self.index = VectorStoreIndex.from_vector_store(snapshot.store.vector_store, embed_model=embed_model)

    def _dense(self, source: str | None, top_k: int):
        return self.index.as_retriever(similarity_top_k=top_k, filters=_filters(source))

    def _retrieve_nodes(self, bundle: QueryBundle, mode: str, source: str | None, top_k: int) -> list[NodeWithScore]:
        if mode == "dense":
            results = self._dense(source, top_k).retrieve(bundle)
            return [NodeWithScore(node=r.node, score=_cosine_from_chroma(r.score)) for r in results]
        with self.snapshot.bm25_lock:
            bm25 = self.snapshot.bm25(source, top_k)
            if mode == "bm25":
                return bm25.retrieve(bundle)
            fusion = QueryFusionRetriever(
                [self._dense(source, top_k), bm25],
                llm=MockLLM(),  # never called with num_queries=1; avoids resolving Settings.llm (OpenAI)
                mode="relative_score",
                retriever_weights=[self.dense_weight, 1.0 - self.dense_weight],
                num_queries=1,
                use_async=False,
                similarity_top_k=top_k,
            )
            return fusion.retrieve(bundle)

    def retrieve(
        self,
        query: str,
        k: int,
        mode: RetrievalMode = "hybrid",
        source: str | None = None,
        candidates: int | None = None,
    ) -> Retrieval:
        """The ``k`` best papers among ``candidates`` chunks per retriever (default: the configured number)."""
        if mode not in RETRIEVAL_MODES:
            raise RagError(f"unknown retrieval mode {mode!r}; choose one of {', '.join(RETRIEVAL_MODES)}")
        if not query.strip():
            raise RagError("the query is empty")
        if k < 1:
            raise RagError(f"k must be at least 1, got {k}")
        vector = embed_query(self.embed_model, query)
        bundle = QueryBundle(query_str=query, embedding=vector.tolist())
        top_k = max(candidates or self.candidates, k)
        results = [
            r for r in self._retrieve_nodes(bundle, mode, source, top_k) if self.snapshot.is_committed(r.node.metadata)
        ]
        hits = group_by_paper(results, k)
        return Retrieval(query, vector, hits, self.snapshot.unknown_names(name_like_words(query)))


def group_by_paper(results: list[NodeWithScore], k: int) -> list[Hit]:
    """Keep each paper's best-scoring chunk; best papers first."""
    best: dict[str, Hit] = {}
    for result in sorted(results, key=lambda r: r.score or 0.0, reverse=True):
        metadata = result.node.metadata
        paper_id = metadata["paper_id"]
        if paper_id in best:
            continue
        best[paper_id] = Hit.from_metadata(
            metadata, float(result.score or 0.0), _chunk_body(result.node.get_content(), metadata["title"])
        )
        if len(best) == k:
            break
    return list(best.values())
