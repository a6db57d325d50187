"""Fakes for fast unit tests: a deterministic bag-of-words embedder, a tiny corpus, hand-made evidence.

Nothing here loads the MiniLM model, opens the network or needs the 460-paper index.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding

from rag.corpus import paper_id_for
from rag.store import StoredSentence
from rag.types import Hit, Paper

DIMENSIONS = 64
_WORD = re.compile(r"[a-z0-9]+")


def _bucket(word: str, dimensions: int) -> tuple[int, float]:
    """A stable bucket and sign for a word (Python's hash() is salted per process)."""
    digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % dimensions, 1.0 if (value >> 32) & 1 else -1.0


def bow_vector(text: str, dimensions: int = DIMENSIONS) -> np.ndarray:
    """Hashed bag of (lower-cased, crudely de-pluralised) words, L2-normalised; never all zeros."""
    vector = np.zeros(dimensions, dtype=np.float32)
    for raw in _WORD.findall(text.lower()):
        word = raw[:-1] if len(raw) > 3 and raw.endswith("s") else raw
        index, sign = _bucket(word, dimensions)
        vector[index] += sign
    norm = float(np.linalg.norm(vector))
    if norm == 0.0:
        vector[0] = 1.0
        return vector
    return vector / norm


class FakeEmbedding(BaseEmbedding):
    """A llama-index embedding model that hashes words into DIMENSIONS dimensions: deterministic, instant."""

    def __init__(self, **kwargs) -> None:
        super().__init__(model_name="fake-bow", embed_batch_size=64, **kwargs)

    @classmethod
    def class_name(cls) -> str:
        return "FakeEmbedding"

    def _get_text_embedding(self, text: str) -> list[float]:
        return bow_vector(text).tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return [bow_vector(text).tolist() for text in texts]

    def _get_query_embedding(self, query: str) -> list[float]:
        return bow_vector(query).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


def make_paper(title: str, abstract: str, source: str = "fake.jsonl") -> Paper:
    return Paper(paper_id=paper_id_for(title), title=title, abstract=abstract, source=source)


GALORE = make_paper(
    "GaLore: Memory-Efficient LLM Training by Gradient Low-Rank Projection",
    "Training large language models is memory hungry because optimizer states grow with the weights. "
    "We propose GaLore, a training strategy that projects gradients into a low-rank subspace. "
    "GaLore reduces optimizer state memory by up to 65.5% while keeping full-parameter learning. "
    "It pre-trains a 7B model on a single consumer GPU with 24GB memory.",
)
GROKKING = make_paper(
    "Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets",
    "Neural networks trained on small algorithmic datasets sometimes generalize long after they overfit. "
    "We call this delayed generalization grokking. "
    "Weight decay shortens the time until grokking happens on modular arithmetic tasks. "
    "Grokking shows that validation accuracy can jump from chance to perfect after many training steps.",
)
LORA = make_paper(
    "LoRA: Low-Rank Adaptation of Large Language Models",
    "Fine-tuning every parameter of large pretrained models is expensive to store and deploy. "
    "We propose LoRA, which freezes the pretrained weights and injects trainable low-rank matrices into each layer. "
    "LoRA reduces the number of trainable parameters by 10,000 times compared with full fine-tuning. "
    "It matches full fine-tuning quality on GPT-3 without adding inference latency.",
)
QUANTIZATION = make_paper(
    "Post-Training Quantization for Large Language Models with Outlier Smoothing",
    "Post-training quantization compresses model weights and activations to low precision without retraining. "
    "Activation outliers make 8-bit quantization of large language models inaccurate. "
    "We migrate the quantization difficulty from activations to weights with a per-channel smoothing factor. "
    "The method enables W8A8 quantization with negligible accuracy loss and 1.5x faster inference.",
)
DISTILLATION = make_paper(
    "Distilling the Knowledge in a Neural Network",
    "Ensembles of models are accurate but too slow to deploy. "
    "We distill the knowledge of a large teacher ensemble into a small student network using soft targets. "
    "The student trained on soft targets recovers most of the accuracy of the ensemble on speech recognition.",
)
VIT = make_paper(
    "An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale",
    "Convolutional networks dominate computer vision. "
    "We apply a pure transformer directly to sequences of image patches for image classification. "
    "The Vision Transformer attains excellent results on ImageNet when pre-trained on large datasets.",
)
CORPUS = [GALORE, GROKKING, LORA, QUANTIZATION, DISTILLATION, VIT]
# Added by a "second process" in the generation tests; not part of the initial index.
EXTRA = make_paper(
    "Mixture of Experts with Sparse Gating Networks",
    "A sparsely gated mixture of experts routes every token to a few expert feed-forward layers. "
    "Sparse gating grows model capacity a thousandfold at almost constant compute per token.",
)


def write_jsonl(path: Path, papers: list[Paper]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        for paper in papers:
            handle.write(json.dumps({"title": paper.title, "abstract": paper.abstract}) + "\n")
    return path


def stored_sentences(paper_id: str, texts: list[str]) -> list[StoredSentence]:
    """A paper's sentences with fake bag-of-words vectors, in order."""
    return [StoredSentence(paper_id, i, text, bow_vector(text)) for i, text in enumerate(texts)]


def sentence_with_vector(paper_id: str, position: int, text: str, vector) -> StoredSentence:
    """A sentence with a hand-made vector (normalised), for exact control of cosines."""
    array = np.asarray(vector, dtype=np.float32)
    return StoredSentence(paper_id, position, text, array / np.linalg.norm(array))


def hit_for(paper: Paper, n: int = 0, score: float = 1.0) -> Hit:
    return Hit(paper_id=paper.paper_id, title=paper.title, score=score, text=paper.abstract, source=paper.source, n=n)


def make_evidence(question: str, papers: list[Paper], settings=None, unknown_names: tuple[str, ...] = ()):
    """Evidence for ``question`` as if ``papers`` were retrieved in this order, scored with fake vectors
    (cosine + lexical_weight x query-word overlap, best first), with no question analysis."""
    from rag.chunking import split_sentences
    from rag.config import AnswerSettings
    from rag.evidence import Evidence, ScoredSentence, is_answerable
    from rag.text import content_terms, sentence_score

    settings = settings or AnswerSettings()
    hits = [hit_for(p, score=1.0 - i / 10) for i, p in enumerate(papers)]
    sentences = {p.paper_id: stored_sentences(p.paper_id, split_sentences(p.abstract)) for p in papers}
    query_vector, terms, weight = bow_vector(question), content_terms(question), settings.lexical_weight
    scored = [
        ScoredSentence(s, rank, float(s.vector @ query_vector), sentence_score(s, terms, query_vector, weight))
        for rank, hit in enumerate(hits)
        for s in sentences[hit.paper_id]
    ]
    scored.sort(key=lambda c: (-c.score, c.paper_rank, c.sentence.position))
    strength = scored[0].score if scored else 0.0
    return Evidence(
        question=question,
        query_vector=query_vector,
        hits=hits,
        sentences=sentences,
        scored=scored,
        focus_terms=terms,
        unknown_names=unknown_names,
        answerable=is_answerable(strength, unknown_names, settings),
        settings=settings,
    )
