"""The local MiniLM's span pooling ("late chunking"), on the real model."""

from __future__ import annotations

import numpy as np

from rag.embeddings import LocalMiniLMEmbedding


def test_a_span_vector_comes_from_the_same_pass_and_truncated_spans_are_left_out():
    model = LocalMiniLMEmbedding()
    first = "GaLore projects gradients onto a low-rank subspace to save optimizer memory."
    second = "Grokking is generalization long after the training loss has converged."
    text = f"{first} {second}"
    spans = [[(0, len(first)), (len(first) + 1, len(text))]]
    (whole,), ((v_first, v_second),) = model.embed_with_spans([text], spans)
    assert np.allclose(whole, model.embed_array([text])[0], atol=1e-5)
    alone_first, alone_second = model.embed_array([first, second])
    # Each span's vector is nearer its own sentence embedded alone than the other sentence.
    assert float(v_first @ alone_first) > float(v_first @ alone_second)
    assert float(v_second @ alone_second) > float(v_second @ alone_first)
    assert abs(float(np.linalg.norm(v_first)) - 1.0) < 1e-5
    # A sentence past the 256-wordpiece limit is not pooled from a truncated pass.
    long_text = "word " * 400 + second
    (_,), ((cut,),) = model.embed_with_spans([long_text], [[(len(long_text) - len(second), len(long_text))]])
    assert cut is None


def test_late_chunked_ingest_vectors_cover_every_sentence_in_order():
    from rag.chunking import chunk_texts, split_sentences
    from rag.ingestion import _late_chunked
    from tests.fakes import GALORE, GROKKING

    model = LocalMiniLMEmbedding()
    papers = [GALORE, GROKKING]
    chunks = [chunk_texts(p, 384, 48) for p in papers]
    sentences = [split_sentences(p.abstract) for p in papers]
    chunk_vectors, sentence_vectors = _late_chunked(model, chunks, sentences)
    flat = [s for group in sentences for s in group]
    assert chunk_vectors.shape == (sum(map(len, chunks)), 384)
    assert sentence_vectors.shape == (len(flat), 384)
    alone = model.embed_array(flat)
    # Each pooled vector is closest to its own sentence embedded alone.
    assert (np.argmax(sentence_vectors @ alone.T, axis=1) == np.arange(len(flat))).all()
