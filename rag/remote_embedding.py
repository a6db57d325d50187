"""An OpenAI-compatible embedding endpoint, read straight into numpy.

llama-index's ``OpenAILikeEmbedding`` (kept for its settings, client and query path) turns every
vector into a Python list, twice, through pydantic models. For bulk ingest that parsing, on our
side of the wire, cost 0.94 s per 1,000 papers against 0.17 s for asking for base64 and reading
the bytes with ``np.frombuffer`` (measured with bench/standin_embedder.py): about 75 s at 100k
papers of what ``bench/scale.py`` counts as ingest excluding embedding.
"""

from __future__ import annotations

import base64

import numpy as np
from llama_index.embeddings.openai_like import OpenAILikeEmbedding


class RemoteEmbedding(OpenAILikeEmbedding):
    @classmethod
    def class_name(cls) -> str:
        return "RemoteEmbedding"

    def embed_array(self, texts: list[str]) -> np.ndarray:
        """One row per text, ``embed_batch_size`` texts per request, in input order."""
        client = self._get_client()
        rows: list[np.ndarray] = []
        for start in range(0, len(texts), self.embed_batch_size):
            batch = [text.replace("\n", " ") for text in texts[start : start + self.embed_batch_size]]
            raw = client.embeddings.with_raw_response.create(
                input=batch, model=self._text_engine, encoding_format="base64", **self.additional_kwargs
            )
            data = sorted(raw.http_response.json()["data"], key=lambda item: item["index"])
            if len(data) != len(batch):
                raise ValueError(f"the endpoint returned {len(data)} vectors for {len(batch)} texts")
            rows.extend(_vector(item["embedding"]) for item in data)
        return np.stack(rows) if rows else np.zeros((0, 0), dtype=np.float32)


def _vector(embedding: str | list[float]) -> np.ndarray:
    # Servers that ignore encoding_format send floats.
    if isinstance(embedding, str):
        return np.frombuffer(base64.b64decode(embedding), dtype="<f4").astype(np.float32)
    return np.asarray(embedding, dtype=np.float32)
