"""The store and engine over a tiny embedded Chroma index built with the fake embedder (no MiniLM, no network)."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

import rag
import rag.engine
from rag.config import Settings
from rag.errors import EmbeddingMismatchError, NotFoundError, RagError
from rag.store import AbstractRecord, PaperStore
from rag.text import CITATION
from tests.fakes import CORPUS, EXTRA, GALORE, GROKKING, LORA, FakeEmbedding, make_paper, write_jsonl


def fake_settings(data_dir) -> Settings:
    """Settings for an index under ``data_dir`` embedded by FakeEmbedding; independent of RAG_* variables."""
    settings = Settings().replace(
        data_dir=str(data_dir), embed_backend="openai", embed_model="fake-bow", embed_base_url="fake://", llm_model=""
    )
    rag.engine.register_embedder(settings.embedding.name, FakeEmbedding())
    return settings


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    root = tmp_path_factory.mktemp("fake-index")
    settings = fake_settings(root / "index")
    corpus = write_jsonl(root / "corpus" / "papers.jsonl", CORPUS)
    report = rag.ingest([corpus], settings=settings)
    assert (report.added, report.papers) == (len(CORPUS), len(CORPUS))
    return settings, corpus


def cited_numbers(text: str) -> set[int]:
    return {int(n) for group in CITATION.findall(text) for n in re.split(r"\s*[,;]\s*", group)}


def test_second_ingest_writes_nothing_and_keeps_the_generation(index):
    settings, corpus = index
    before = rag.status(settings=settings)
    assert before.papers == len(CORPUS) and before.generation >= 1 and before.embedding_dim == 64
    report = rag.ingest([corpus], settings=settings)
    assert (report.added, report.updated, report.unchanged) == (0, 0, len(CORPUS))
    assert report.chunks == report.sentences == 0
    after = rag.status(settings=settings)
    assert (after.generation, after.chunks, after.sentences) == (before.generation, before.chunks, before.sentences)
    assert after.last_ingest == before.last_ingest


def test_ask_cites_only_what_it_quotes_and_abstains_on_unknown_names(index):
    settings, _ = index
    answer = rag.ask("How does GaLore reduce optimizer memory?", answer_mode="extractive", settings=settings)
    assert not answer.abstained and answer.citations
    assert answer.citations[0].paper_id == GALORE.paper_id
    numbers = cited_numbers(answer.answer)
    assert numbers and numbers <= {c.n for c in answer.citations}
    by_n = {s.n: s for s in answer.sources}
    assert all(s.text in by_n[s.citations[0]].sentences for s in answer.sentences)
    assert set(answer.to_dict()) >= {"answer", "abstained", "citations", "sources", "timings_ms"}

    unknown = rag.ask("What does AlphaFold predict?", answer_mode="extractive", settings=settings)
    assert unknown.abstained and unknown.citations == [] and not cited_numbers(unknown.answer)
    assert "AlphaFold" in unknown.answer and unknown.sources


def test_search_gives_one_hit_per_paper_best_first(index):
    settings, _ = index
    for mode in ("bm25", "dense", "hybrid"):
        hits = rag.search("grokking weight decay modular arithmetic", k=4, mode=mode, settings=settings)
        ids = [h.paper_id for h in hits]
        assert len(ids) == len(set(ids)) <= 4, mode
        assert ids[0] == GROKKING.paper_id, mode
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True), mode
    filtered = rag.search("low-rank", mode="bm25", source="papers.jsonl", settings=settings)
    assert filtered and all(h.source == "papers.jsonl" for h in filtered)
    with pytest.raises(RagError, match="nowhere"):
        rag.search("low-rank", mode="bm25", source="nowhere.jsonl", settings=settings)


def test_papers_are_listed_by_title_and_unknown_ids_are_not_found(index):
    settings, _ = index
    papers = rag.list_papers(settings=settings)
    assert [p.title for p in papers] == sorted((p.title for p in CORPUS), key=str.casefold)
    stored = rag.get_paper(LORA.paper_id, settings=settings)
    assert stored.abstract == LORA.abstract and stored.title == LORA.title
    with pytest.raises(NotFoundError):
        rag.get_paper("no-such-paper", settings=settings)


def test_summary_is_cited_on_topic_and_not_covered_off_topic(index):
    settings, _ = index
    summary = rag.summarize("grokking", answer_mode="extractive", settings=settings)
    assert summary.covered and summary.themes and GROKKING.paper_id in {p.paper_id for p in summary.papers}
    numbers = {p.n for p in summary.papers}
    for theme in summary.themes:
        assert cited_numbers(theme.text) and cited_numbers(theme.text) <= numbers
    assert all("grok" in (p.title + p.contribution).lower() for p in summary.papers)
    off = rag.summarize("protein folding", answer_mode="extractive", settings=settings)
    assert not off.covered and off.themes == [] and off.papers == [] and "do not cover" in off.scope


def test_another_model_cannot_reuse_the_collection(index):
    settings, _ = index
    with pytest.raises(EmbeddingMismatchError, match="fake-bow"):
        PaperStore(settings, "openai:another-model@fake://")


def test_ingest_elsewhere_moves_the_generation_and_the_running_engine_follows(tmp_path):
    settings = fake_settings(tmp_path / "index")
    first = write_jsonl(tmp_path / "a.jsonl", [GALORE, GROKKING])
    assert rag.status(settings=settings).generation == 0  # nothing ingested yet
    rag.ingest([first], settings=settings)
    engine = rag.get_engine(settings)
    generation = engine.snapshot.generation
    assert generation == rag.status(settings=settings).generation > 0

    rag.ingest([first], settings=settings)  # a no-op
    assert engine.snapshot.generation == generation

    # Another process (a second Engine on the same store) adds a paper and edits one.
    from rag.ingestion import ingest_corpus

    other = rag.engine.Engine(settings)
    edited = make_paper(GROKKING.title, GROKKING.abstract + " Grokking also appears in sparse parity tasks.")
    report = ingest_corpus(
        [write_jsonl(tmp_path / "b.jsonl", [EXTRA, edited])], other.store, lambda: other.embed_model, settings
    )
    assert (report.added, report.updated) == (1, 1)

    assert rag.get_engine(settings) is engine  # no new engine ...
    assert engine.snapshot.generation > generation  # ... but a new snapshot
    hits = rag.search("sparse gating mixture of experts", k=3, mode="bm25", settings=settings)
    assert hits[0].paper_id == EXTRA.paper_id
    stored = rag.get_paper(GROKKING.paper_id, settings=settings)
    assert stored.abstract == edited.abstract  # the old version's sentences are gone
    assert rag.status(settings=settings).papers == 3


def _to_legacy_layout(store: PaperStore) -> int:
    """Rewrite an index in the layout of earlier versions: one vector record per sentence in
    "<collection>_sentences", no abstracts records. Returns the number of sentences moved."""
    legacy = store.client.get_or_create_collection(
        store.settings.legacy_sentence_collection, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
    )
    records = store.read_abstracts(list(store.stored_hashes()))
    ids, texts, metadatas, vectors = [], [], [], []
    for record in records:
        for position, (text, vector) in enumerate(zip(record.sentences, record.vectors, strict=True)):
            ids.append(f"{record.paper_id}:{record.content_hash}:s{position}")
            texts.append(text)
            metadatas.append({"paper_id": record.paper_id, "content_hash": record.content_hash, "position": position})
            vectors.append(vector.tolist())
    legacy.add(ids=ids, documents=texts, metadatas=metadatas, embeddings=vectors)
    store.abstracts.delete(ids=store.abstracts.get(include=[])["ids"])
    return len(ids)


def test_sentences_read_by_version_id_are_the_committed_ones_as_read_by_paper(tmp_path):
    """Searches read 40 papers' sentences by record id (from the manifest's sentence counts);
    that must give exactly what the paper_id filter gives, ignoring a stray uncommitted version
    (what a crash between writing a paper and committing it leaves until the next repair)."""
    settings = fake_settings(tmp_path / "ids")
    rag.ingest([write_jsonl(tmp_path / "corpus.jsonl", CORPUS)], settings=settings)
    store = PaperStore(settings, settings.embedding.name)
    committed = store.committed()
    stray_of = next(iter(committed))
    dimension = len(store.read_abstracts([stray_of])[0].vectors[0])
    store.add_abstracts([AbstractRecord(stray_of, "0" * 16, ["A stray sentence."], np.ones((1, dimension)))])
    ids = [*committed, "no-such-paper"]
    by_filter = store.sentences_for(ids, hashes=store.stored_hashes())
    by_id = store.sentences_for(ids, committed=committed)
    assert list(by_id) == ids and by_id["no-such-paper"] == []
    for pid in ids:
        assert [(s.position, s.text) for s in by_id[pid]] == [(s.position, s.text) for s in by_filter[pid]]
        assert all(np.allclose(a.vector, b.vector) for a, b in zip(by_id[pid], by_filter[pid], strict=True))
    assert "A stray sentence." not in {s.text for s in by_id[stray_of]}
    assert sum(len(v) for v in by_id.values()) == sum(c.sentences for c in committed.values())


def test_chunk_text_lives_in_the_node_record_and_older_document_chunks_still_read(tmp_path):
    """Chunks are written without a Chroma document (whose full-text index nothing uses); their
    text comes back from the node record. Chunks an earlier version wrote as documents (through
    llama-index's ChromaVectorStore.add) read back the same, in listing and in search."""
    settings = fake_settings(tmp_path / "docs")
    rag.ingest([write_jsonl(tmp_path / "corpus.jsonl", [GALORE, LORA])], settings=settings)
    store = rag.engine.get_engine(settings).store
    assert set(store.chunks.get(include=["documents"])["documents"]) == {None}
    new_texts = {n.metadata["paper_id"]: n.get_content() for n in store.all_nodes()}
    assert GALORE.title in new_texts[GALORE.paper_id] and "low-rank" in new_texts[GALORE.paper_id].lower()

    # Rewrite LoRA's chunks the old way, as documents, under the same ids.
    old_nodes = store.nodes_of([LORA.paper_id])
    for node in old_nodes:
        node.embedding = store.chunks.get(ids=[node.node_id], include=["embeddings"])["embeddings"][0].tolist()
    store.chunks.delete(ids=[n.node_id for n in old_nodes])
    store.vector_store.add(old_nodes)
    documents = store.chunks.get(ids=[n.node_id for n in old_nodes], include=["documents"])["documents"]
    assert all(documents)
    assert {n.metadata["paper_id"]: n.get_content() for n in store.all_nodes()} == new_texts
    hits = rag.search("low-rank adaptation of large language models", k=2, mode="dense", settings=settings)
    assert {h.paper_id for h in hits} == {GALORE.paper_id, LORA.paper_id}
    assert all(h.text for h in hits)


def test_an_index_of_the_per_sentence_layout_is_read_then_migrated_without_re_embedding(tmp_path):
    settings = fake_settings(tmp_path / "legacy")
    corpus = write_jsonl(tmp_path / "corpus.jsonl", CORPUS)
    rag.ingest([corpus], settings=settings)
    store = PaperStore(settings, settings.embedding.name)
    before = {
        pid: [(s.text, s.vector.round(2).tolist()) for s in sentences]
        for pid, sentences in store.sentences_for(list(store.stored_hashes())).items()
    }
    moved = _to_legacy_layout(store)
    assert moved == sum(len(v) for v in before.values())

    # Readers of the old layout see every sentence, with its vector.
    old = PaperStore(settings, settings.embedding.name, fresh=True)
    assert old.legacy_sentences is not None and not old.abstracts.count()
    read = {
        pid: [(s.text, s.vector.round(2).tolist()) for s in sentences]
        for pid, sentences in old.sentences_for(list(old.stored_hashes())).items()
    }
    assert read == before
    # A snapshot reads records by version id; the old layout has none, so it falls back the same way.
    by_version = old.sentences_for(list(old.stored_hashes()), committed=old.committed())
    assert {pid: [(s.text, s.vector.round(2).tolist()) for s in ss] for pid, ss in by_version.items()} == before
    report = rag.check(settings=settings)
    assert not report.consistent and report.legacy_sentences

    # The repair copies the sentences into the abstracts store and drops the old collection.
    repaired = rag.check(repair=True, settings=settings)
    assert repaired.migrated == len(CORPUS) and repaired.repaired
    fresh = PaperStore(settings, settings.embedding.name, fresh=True)
    assert fresh.legacy_sentences is None
    after = {
        pid: [(s.text, s.vector.round(2).tolist()) for s in sentences]
        for pid, sentences in fresh.sentences_for(list(fresh.stored_hashes())).items()
    }
    assert after == before
    assert rag.check(settings=settings).consistent
    # Nothing needs embedding again.
    report = rag.ingest([corpus], settings=settings)
    assert (report.unchanged, report.chunks, report.sentences) == (len(CORPUS), 0, 0)


def test_the_lexical_index_is_saved_once_and_loaded_for_the_same_committed_state(tmp_path):
    from rag.snapshot import IndexSnapshot

    settings = fake_settings(tmp_path / "lexical")
    corpus = write_jsonl(tmp_path / "corpus.jsonl", CORPUS)
    rag.ingest([corpus], settings=settings)
    # Ingest saves the entry for the state it leaves; without it the next snapshot builds one.
    assert len(list(settings.lexical_path.iterdir())) == 1
    shutil.rmtree(settings.lexical_path)
    store = PaperStore(settings, settings.embedding.name)
    built = IndexSnapshot(store, store.generation(), settings.lexical_path)
    assert not built.from_cache
    with built.bm25_lock:
        expected = [r.node.node_id for r in built.bm25(None, 5).retrieve("gradient low-rank projection memory")]
    entries = list(settings.lexical_path.iterdir())
    assert len(entries) == 1

    loaded = IndexSnapshot(store, store.generation(), settings.lexical_path)
    assert loaded.from_cache
    assert sorted(n.node_id for n in loaded.nodes) == sorted(n.node_id for n in built.nodes)
    assert loaded.document_frequency == built.document_frequency and loaded.vocabulary == built.vocabulary
    with loaded.bm25_lock:
        assert [
            r.node.node_id for r in loaded.bm25(None, 5).retrieve("gradient low-rank projection memory")
        ] == expected

    # Any committed change is another state, with its own entry: the old one is never served for it.
    write_jsonl(corpus, [*CORPUS, EXTRA])
    rag.ingest([corpus], settings=settings)
    entries = sorted(settings.lexical_path.iterdir(), key=lambda p: p.stat().st_mtime)
    assert len(entries) == 2  # the newest two are kept
    # Without the new state's entry, it is built from the previous one plus the changed paper...
    shutil.rmtree(entries[-1])
    changed = IndexSnapshot(store, store.generation(), settings.lexical_path)
    assert changed.built_from == "previous"
    assert EXTRA.paper_id in {n.metadata["paper_id"] for n in changed.nodes}
    # ...and equals a full rebuild from Chroma.
    scratch = IndexSnapshot(PaperStore(settings, settings.embedding.name, fresh=True), store.generation())
    assert scratch.built_from == "store"
    assert sorted(n.node_id for n in changed.nodes) == sorted(n.node_id for n in scratch.nodes)
    assert changed.vocabulary == scratch.vocabulary and changed.document_frequency == scratch.document_frequency
    query = "grokking delayed generalization"
    with changed.bm25_lock, scratch.bm25_lock:
        ranked = [r.node.node_id for r in changed.bm25(None, 5).retrieve(query)]
        assert ranked == [r.node.node_id for r in scratch.bm25(None, 5).retrieve(query)]


def test_a_saved_lexical_index_that_disagrees_with_chroma_is_found_and_dropped(tmp_path):
    import json

    settings = fake_settings(tmp_path / "damaged")
    rag.ingest([write_jsonl(tmp_path / "corpus.jsonl", CORPUS)], settings=settings)
    (entry,) = settings.lexical_path.iterdir()
    # Damage the saved BM25 corpus: drop one chunk.
    corpus_file = entry / "corpus.jsonl"
    lines = corpus_file.read_text().splitlines()
    corpus_file.write_text("\n".join(lines[:-1]) + "\n")
    rag.engine._engines.clear()
    report = rag.check(settings=settings)
    assert not report.consistent and report.bm25_mismatch == 1
    repaired = rag.check(repair=True, settings=settings)
    assert repaired.repaired and not list(settings.lexical_path.iterdir())
    rag.engine._engines.clear()
    assert rag.check(settings=settings).consistent
    assert json.loads(json.dumps(rag.status(settings=settings).to_dict()))["papers"] == len(CORPUS)


def test_papers_by_id_in_one_read_and_the_corpus_files(index):
    settings, _ = index
    found = rag.get_papers([GALORE.paper_id, LORA.paper_id, "no-such-paper"], settings=settings)
    assert set(found) == {GALORE.paper_id, LORA.paper_id}
    assert found[GALORE.paper_id].abstract == GALORE.abstract
    assert rag.list_sources(settings=settings) == ["papers.jsonl"]


def test_a_snapshot_keeps_sentences_it_has_read_and_returns_them_as_the_store_does(index, monkeypatch):
    settings, _ = index
    from rag.snapshot import IndexSnapshot

    shared, _ = rag.engine.get_engine(settings).view()
    snapshot = IndexSnapshot(shared.store, shared.generation)  # nothing read yet
    ids = [p.paper_id for p in (GALORE, GROKKING, LORA)]
    from_store = snapshot.store.sentences_for(ids, hashes=snapshot.hashes)
    first = snapshot.sentences_for(ids[:2])
    reads: list[list[str]] = []
    real = snapshot.store.sentences_for

    def counted(pids, **kwargs):
        reads.append(list(pids))
        return real(pids, **kwargs)

    monkeypatch.setattr(snapshot.store, "sentences_for", counted)
    second = snapshot.sentences_for(ids)
    # Only the paper not read before goes to Chroma; every paper's sentences are the store's, in order.
    assert reads == [[LORA.paper_id]]
    for pid in ids:
        got = (first if pid in first else second)[pid]
        assert [(s.position, s.text) for s in got] == [(s.position, s.text) for s in from_store[pid]]
        assert [(s.position, s.text) for s in second[pid]] == [(s.position, s.text) for s in from_store[pid]]
    assert list(second) == ids
