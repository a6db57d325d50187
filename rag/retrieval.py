"""Hybrid retrieval: dense (Chroma) + BM25, fused by weighted normalised score, grouped per paper,
then reranked per paper (rag/rerank.py).

All three pieces are llama-index's own: VectorIndexRetriever over the ChromaVectorStore,
BM25Retriever (bm25s), and QueryFusionRetriever in ``relative_score`` mode (each retriever's
scores min-max normalised, then weighted: unlike reciprocal rank, it keeps how far ahead a hit is). What this
module adds is the per-paper grouping, so one paper split into two chunks cannot take
two result slots, metadata filters that work the same in every mode, and, for search only,
a match filter: a chunk is kept when it holds a query term (BM25 score > 0) or its dense
cosine similarity reaches a floor, so a search for a word no paper uses returns nothing
instead of the least bad papers. Answers (``rag ask``) never apply it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from llama_index.core import VectorStoreIndex
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.llms import MockLLM
from llama_index.core.retrievers import QueryFusionRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle
from llama_index.core.vector_stores import ExactMatchFilter, MetadataFilters

from rag.config import RetrievalSettings
from rag.embeddings import embed_query
from rag.errors import RagError
from rag.feedback import feedback_vector
from rag.rerank import rerank
from rag.snapshot import IndexSnapshot
from rag.text import content_terms, name_like_words, proper_words
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


def _chunk_key(metadata: dict) -> tuple:
    """One chunk version, the same whichever retriever returned it."""
    return metadata.get("paper_id"), metadata.get("content_hash"), metadata.get("chunk")


@dataclass
class _QueryMemo:
    """What a second retrieval pass for the same query (feedback) reuses from the first: the BM25
    results (same words, same hits) and the papers' rerank signals."""

    lexical: list[tuple] = field(default_factory=list)
    bonuses: dict[str, float] = field(default_factory=dict)


class _Recording(BaseRetriever):
    """Passes a retriever's results through unchanged, noting each chunk's own score first:
    fusion rewrites scores in place (min-max normalised), and the match filter needs the raw
    BM25 score and dense cosine. With ``memo``, the first results are kept and given again."""

    def __init__(
        self, inner: BaseRetriever, scores: dict[tuple, float], to_score=float, memo: list[tuple] | None = None
    ) -> None:
        super().__init__()
        self.inner = inner
        self.scores = scores
        self.to_score = to_score
        self.memo = memo

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        if self.memo:
            results = [NodeWithScore(node=node, score=score) for node, score in self.memo]
        else:
            results = self.inner.retrieve(query_bundle)
            if self.memo is not None:
                self.memo.extend((result.node, result.score) for result in results)
        for result in results:
            self.scores[_chunk_key(result.node.metadata)] = self.to_score(result.score or 0.0)
        return results


@dataclass
class _MatchScores:
    """Per chunk: its BM25 score and its dense cosine, where the retriever returned it."""

    lexical: dict[tuple, float] = field(default_factory=dict)
    dense: dict[tuple, float] = field(default_factory=dict)

    def matches(self, node, query_terms: set[str], min_dense_score: float) -> bool:
        """A query term in the chunk, or a cosine of at least ``min_dense_score``. A chunk that BM25 did
        not return (not among its top candidates) is checked for the query's terms directly, with
        BM25's stemmer and stopwords, so "low-rank adaptation" keeps a paper on adaptation that
        ranked 41st lexically."""
        key = _chunk_key(node.metadata)
        if key in self.lexical:
            lexical = self.lexical[key] > 0.0
        else:
            lexical = bool(query_terms & content_terms(node.get_content()))
        return lexical or self.dense.get(key, -1.0) >= min_dense_score


class HybridRetriever:
    """Retrieval over one index snapshot; built with it, so it never mixes two generations."""

    def __init__(self, snapshot: IndexSnapshot, embed_model, settings: RetrievalSettings) -> None:
        self.snapshot = snapshot
        self.embed_model = embed_model
        self.settings = settings
        self.index = VectorStoreIndex.from_vector_store(snapshot.store.vector_store, embed_model=embed_model)

    def _dense(self, source: str | None, top_k: int):
        return self.index.as_retriever(similarity_top_k=top_k, filters=_filters(source))

    def _retrieve_nodes(
        self,
        bundle: QueryBundle,
        mode: str,
        source: str | None,
        top_k: int,
        scores: _MatchScores,
        memo: _QueryMemo | None = None,
    ) -> list[NodeWithScore]:
        """The chunks, scored as ``mode`` ranks them; ``scores`` gets each one's BM25 score and cosine."""
        dense = _Recording(self._dense(source, top_k), scores.dense, _cosine_from_chroma)
        if mode == "dense":
            results = dense.retrieve(bundle)
            return [NodeWithScore(node=r.node, score=_cosine_from_chroma(r.score)) for r in results]
        with self.snapshot.bm25_lock:
            bm25 = _Recording(self.snapshot.bm25(source, top_k), scores.lexical, memo=memo.lexical if memo else None)
            if mode == "bm25":
                return bm25.retrieve(bundle)
            fusion = QueryFusionRetriever(
                [dense, bm25],
                llm=MockLLM(),  # never called with num_queries=1; avoids resolving Settings.llm (OpenAI)
                mode="relative_score",
                retriever_weights=[self.settings.dense_weight, 1.0 - self.settings.dense_weight],
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
        min_dense_score: float | None = None,
        feedback: bool = False,
    ) -> Retrieval:
        """The ``k`` best papers among ``candidates`` chunks per retriever (default: the configured number).

        With ``min_dense_score`` (search), only papers that match: a chunk holding a query term
        (BM25 score > 0) or whose dense cosine reaches ``min_dense_score``. The ranking is the
        same as without it; papers that do not match are dropped, so fewer than ``k`` may come back.
        With ``feedback`` (questions asking for many papers), hybrid retrieval runs a second pass with
        the query vector moved toward the first pass's best papers (rag/feedback.py).
        """
        if mode not in RETRIEVAL_MODES:
            raise RagError(f"unknown retrieval mode {mode!r}; choose one of {', '.join(RETRIEVAL_MODES)}")
        if not query.strip():
            raise RagError("the query is empty")
        if k < 1:
            raise RagError(f"k must be at least 1, got {k}")
        vector = embed_query(self.embed_model, query)
        top_k = max(candidates or self.settings.candidates, k)
        memo = _QueryMemo()
        hits = self._ranked_papers(query, vector, vector, mode, source, k, top_k, min_dense_score, memo)
        if feedback and mode == "hybrid" and self.settings.feedback_weight > 0.0:
            moved = feedback_vector(
                vector, hits, self.snapshot, self.settings.feedback_weight, self.settings.feedback_papers
            )
            hits = self._ranked_papers(query, moved, vector, mode, source, k, top_k, min_dense_score, memo)
        names = tuple(name_like_words(query))
        if mode == "hybrid":
            # "What is GaLore?": the paper titled "GaLore: ..." ahead of Q-GaLore and Natural GaLore,
            # which use the name more often. Dense and BM25 stay pure baselines.
            hits, _ = introducers_first(hits, self.snapshot, names, source, query)
        # A capitalised word no indexed paper uses ("the Perceiver") names something the corpus lacks too.
        unknown = self.snapshot.unknown_names([*names, *proper_words(query)])
        return Retrieval(query, vector, hits, unknown)

    def _ranked_papers(
        self,
        query: str,
        search_vector: np.ndarray,
        query_vector: np.ndarray,
        mode: str,
        source: str | None,
        k: int,
        top_k: int,
        min_dense_score: float | None,
        memo: _QueryMemo,
    ) -> list[Hit]:
        """One retrieval pass: chunks found with ``search_vector`` and the query's words, grouped per
        paper and (hybrid) reranked against the question's own vector (``memo``: what an earlier
        pass for the same query found)."""
        bundle = QueryBundle(query_str=query, embedding=search_vector.tolist())
        scores = _MatchScores()
        terms = content_terms(query) if min_dense_score is not None else set()
        results = [
            r
            for r in self._retrieve_nodes(bundle, mode, source, top_k, scores, memo)
            if self.snapshot.is_committed(r.node.metadata)
            and (min_dense_score is None or scores.matches(r.node, terms, min_dense_score))
        ]
        weights = self.settings.rerank_weights
        if mode == "hybrid" and weights.active:
            pool = group_by_paper(results, max(k, self.settings.rerank_pool))
            return rerank(pool, query, query_vector, self.snapshot, weights, memo.bonuses)[:k]
        return group_by_paper(results, k)


def introducers_first(
    hits: list[Hit], snapshot: IndexSnapshot, names: tuple[str, ...], source: str | None = None, query: str = ""
) -> tuple[list[Hit], frozenset[str]]:
    """The hits with the papers whose titles introduce one of ``names``, or a many-word name the
    ``query`` uses ("unit scaling"), first, fetched when they were not retrieved (within ``source``
    when one is given), and those papers' ids."""
    introduced = snapshot.introduced_names
    wanted = [introduced[name.casefold()] for name in names if name.casefold() in introduced]
    return fetched_first(hits, snapshot, wanted + snapshot.phrase_introducers(query), source)


def fetched_first(
    hits: list[Hit], snapshot: IndexSnapshot, wanted: list[str], source: str | None = None
) -> tuple[list[Hit], frozenset[str]]:
    """The hits with the ``wanted`` papers first, fetched when they were not retrieved (within
    ``source`` when one is given), and those papers' ids."""
    by_id = {hit.paper_id: hit for hit in hits}
    first = []
    for paper_id in dict.fromkeys(wanted):
        hit = by_id.get(paper_id)
        if hit is None:
            node = snapshot.first_nodes[paper_id]
            meta = node.metadata
            if source and meta.get("source") != source:
                continue
            hit = Hit.from_metadata(meta, 0.0, _chunk_body(node.get_content(), meta["title"]))
        first.append(hit)
    return papers_first(first, hits), frozenset(hit.paper_id for hit in first)


def papers_first(first: list[Hit], hits: list[Hit]) -> list[Hit]:
    """``first``, then the other hits in their order; as many as ``hits`` (or ``first``, if more)."""
    ids = {hit.paper_id for hit in first}
    rest = [hit for hit in hits if hit.paper_id not in ids]
    return (first + rest)[: max(len(hits), len(first))]


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
