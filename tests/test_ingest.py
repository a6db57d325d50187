"""Ingest into a real Chroma (embedded and `chroma run` server): idempotent and incremental."""

from __future__ import annotations

import json

import pytest

import rag
from rag.engine import get_engine
from rag.errors import EmbeddingMismatchError


def _ids(settings):
    engine = get_engine(settings)
    return sorted(engine.store.chunks.get()["ids"]), sorted(engine.store.abstracts.get(include=[])["ids"])


def test_ingest_stores_every_paper_and_a_second_run_changes_nothing(small_settings):
    first = rag.ingest(settings=small_settings)
    assert (first.papers, first.added, first.unchanged) == (12, 12, 0)
    assert first.chunks >= 12 and first.sentences > 50
    before = _ids(small_settings)
    stamp = rag.status(small_settings).last_ingest

    second = rag.ingest(settings=small_settings)
    assert (second.added, second.updated, second.unchanged, second.chunks, second.sentences) == (0, 0, 12, 0, 0)
    assert _ids(small_settings) == before
    assert rag.status(small_settings).last_ingest == stamp


def test_changed_abstract_is_replaced_and_nothing_else_is_reembedded(small_settings, small_corpus):
    rag.ingest(settings=small_settings)
    rows = [json.loads(line) for line in small_corpus.read_text().splitlines()]
    rows[0]["abstract"] = "Zyxwvut regularisation makes grokking vanish entirely in our experiments. " * 3
    small_corpus.write_text("".join(json.dumps(row) + "\n" for row in rows))

    report = rag.ingest(settings=small_settings)
    assert (report.updated, report.added, report.unchanged) == (1, 0, 11)
    status = rag.status(small_settings)
    assert status.papers == 12
    hits = rag.search("zyxwvut regularisation", k=1, mode="bm25", settings=small_settings)
    assert hits[0].title == rows[0]["title"] and "Zyxwvut" in hits[0].text
    stored = get_engine(small_settings).store.sentences_for([hits[0].paper_id])[hits[0].paper_id]
    assert all("Zyxwvut" in s.text for s in stored)  # the old version's sentences are gone


def test_bad_file_next_to_the_corpus_loses_nothing(small_settings, small_corpus):
    rag.ingest(settings=small_settings)
    (small_corpus.parent / "broken.txt").write_bytes(b"\x00\x00garbage")
    report = rag.ingest([small_corpus.parent], settings=small_settings, prune=True)
    assert any("binary" in str(issue) for issue in report.issues)
    assert report.removed == 0
    assert rag.status(small_settings).papers == 12


def test_prune_removes_papers_no_longer_in_the_corpus(small_settings, small_corpus):
    rag.ingest(settings=small_settings)
    lines = small_corpus.read_text().splitlines()
    small_corpus.write_text("\n".join(lines[:10]) + "\n")
    report = rag.ingest(settings=small_settings, prune=True)
    assert report.removed == 2
    assert rag.status(small_settings).papers == 10


def test_collection_refuses_a_different_embedding_model(small_settings):
    rag.ingest(settings=small_settings)
    other = small_settings.replace(embed_backend="openai", embed_base_url="http://127.0.0.1:9/v1")
    with pytest.raises(EmbeddingMismatchError, match="built with embedding model"):
        get_engine(other)


def test_ingest_and_search_through_a_chroma_server(chroma_server, small_corpus, tmp_path):
    settings = rag.load_settings(
        data_dir=str(tmp_path / "unused"), chroma_url=chroma_server, corpus_paths=(str(small_corpus),)
    )
    assert rag.ingest(settings=settings).added == 12
    assert rag.ingest(settings=settings).unchanged == 12
    hits = rag.search("softmax collapse floating point errors", k=3, settings=settings)
    assert hits[0].title == "Grokking at the Edge of Numerical Stability"
    assert rag.status(settings).store == chroma_server
    assert not (tmp_path / "unused" / "chroma").exists()


def test_openai_compatible_embedding_endpoint(embeddings_server, small_settings):
    url, seen = embeddings_server
    settings = small_settings.replace(
        embed_backend="openai", embed_base_url=url, embed_model="bow-64", embed_api_key="sk-test"
    )
    assert rag.ingest(settings=settings).added == 12
    status = rag.status(settings)
    assert status.embedding_model == f"openai:bow-64@{url}" and status.embedding_dim == 64
    assert seen["requests"] > 0 and seen["auth"] == {"Bearer sk-test"}
    # Bulk vectors come as base64 (read with np.frombuffer), the query through llama-index.
    assert "base64" in seen["formats"]
    target = rag.search("softmax collapse", k=1, mode="bm25", settings=settings)[0]
    requests = seen["requests"]
    # The query embeds to exactly the stored chunk vector, so dense search must rank it first.
    hits = rag.search(f"{target.title}\n\n{target.text}", k=3, mode="dense", settings=settings)
    assert hits[0].paper_id == target.paper_id and hits[0].score == pytest.approx(1.0, abs=1e-4)
    assert seen["requests"] > requests


def test_writes_run_in_order_beside_embedding_and_a_failed_write_stops_the_ingest(small_settings, monkeypatch):
    """Batch N is written on a background thread while batch N+1 is embedded; a write that fails
    surfaces as the ingest's error, keeps what earlier writes stored, and a re-run completes."""
    import threading

    from rag import ingestion

    settings = small_settings.replace(write_batch_papers=4)
    monkeypatch.setattr(ingestion, "PAPERS_PER_BATCH", 2)
    real_write, written, threads = ingestion._write, [], set()

    def failing_second_write(store, embedded, previously_stored):
        threads.add(threading.current_thread().name)
        if len(written) == 1:
            raise RuntimeError("disk full")
        real_write(store, embedded, previously_stored)
        written.append([p.paper_id for p in embedded.papers])

    monkeypatch.setattr(ingestion, "_write", failing_second_write)
    with pytest.raises(RuntimeError, match="disk full"):
        rag.ingest(settings=settings)
    assert threads and all(name.startswith("rag-ingest-write") for name in threads)
    assert len(written) == 1 and len(written[0]) == 4
    assert rag.status(settings).papers == 4

    monkeypatch.setattr(ingestion, "_write", real_write)
    report = rag.ingest(settings=settings)
    assert (report.added, report.unchanged) == (8, 4)
    chunk_ids, abstract_ids = _ids(settings)
    assert rag.status(settings).papers == 12 and len(abstract_ids) == 2 * 12 and len(set(chunk_ids)) == len(chunk_ids)


def test_progress_reaches_the_end_only_after_the_last_write(small_settings, monkeypatch):
    from rag import ingestion

    settings = small_settings.replace(write_batch_papers=4)
    monkeypatch.setattr(ingestion, "PAPERS_PER_BATCH", 2)
    real_write, writes, seen = ingestion._write, [], []

    def counted_write(store, embedded, previously_stored):
        real_write(store, embedded, previously_stored)
        writes.append(len(embedded.papers))

    monkeypatch.setattr(ingestion, "_write", counted_write)
    rag.ingest(settings=settings, progress=lambda done, total: seen.append((done, total, len(writes))))
    assert seen[0] == (0, 12, 0) and seen[-1] == (12, 12, 3)
    assert [done for done, _, _ in seen] == sorted(done for done, _, _ in seen)
