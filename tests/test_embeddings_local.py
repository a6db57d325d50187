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


def test_grouping_by_length_gives_each_text_the_vector_it_gets_alone():
    model = LocalMiniLMEmbedding()
    texts = ["GaLore saves memory.", "word " * 300, "Grokking is delayed generalization after overfitting.", "a"]
    together = model.embed_array(texts)
    alone = np.stack([model.embed_array([text])[0] for text in texts])
    assert np.allclose(together, alone, atol=1e-5)


def test_length_batches_keep_each_batch_within_its_padded_budget():
    from rag.embeddings import LOCAL_MAX_WORDPIECES, _length_batches

    lengths = [256, 12, 30, 256, 40, 31, 7, 200] * 20
    batches = _length_batches(lengths, 4)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    for batch in batches:
        assert len(batch) * max(lengths[i] for i in batch) <= 4 * LOCAL_MAX_WORDPIECES
    # Short texts share a pass; a sentence is never padded to a chunk's length.
    assert max(len(batch) for batch in batches) > 4
    assert not any({7, 256} <= {lengths[i] for i in batch} for batch in batches)


def test_pooled_chunk_vectors_are_the_mean_of_title_and_their_sentences():
    from rag.chunking import chunk_texts, split_sentences
    from rag.ingestion import _pooled_chunks
    from tests.fakes import GALORE, GROKKING

    model = LocalMiniLMEmbedding()
    papers = [GALORE, GROKKING]
    chunks = [chunk_texts(p, 384, 48) for p in papers]
    sentences = [split_sentences(p.abstract) for p in papers]
    sentence_vectors = model.embed_array([s for group in sentences for s in group])
    titles = model.embed_array([p.title for p in papers])
    pooled = _pooled_chunks(titles, chunks, sentences, sentence_vectors)
    assert pooled.shape == (sum(map(len, chunks)), 384)
    expected = np.mean([titles[1], *sentence_vectors[len(sentences[0]) :]], axis=0)
    assert np.allclose(pooled[-1], expected / np.linalg.norm(expected), atol=1e-5)
    # Pooled vectors stay near the chunk's own embedding (same paper, same words).
    own = model.embed_array([c for group in chunks for c in group])
    assert (np.argmax(pooled @ own.T, axis=1) == np.arange(len(own))).all()
