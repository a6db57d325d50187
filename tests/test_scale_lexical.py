"""The lexical index at scale: BM25 built from saved tokens is the index a full rebuild gives,
score for score, and the faster corpus statistics count what the regexes count."""

from __future__ import annotations

import json
import random
from dataclasses import replace

import numpy as np
import pytest

from rag import lexical_cache
from rag.corpus_text import BAD_CHAR, LETTER, _stats
from tests.fakes import CORPUS, EXTRA

QUERIES = [
    "gradient low-rank projection memory",
    "grokking delayed generalization",
    "the of and",  # stopwords only
    "zzzunknown qqqword",  # words no chunk holds
    "Sparse gating experts routes tokens",
    "quantization 4-bit weights LoRA adapters",
]


def _node(paper, chunk: int, text: str):
    from llama_index.core.schema import TextNode

    metadata = {"paper_id": paper.paper_id, "title": paper.title, "content_hash": paper.content_hash, "chunk": chunk}
    return TextNode(
        id_=f"{paper.paper_id}:{paper.content_hash}:c{chunk}",
        text=text,
        metadata=metadata,
        excluded_embed_metadata_keys=list(metadata),
        excluded_llm_metadata_keys=list(metadata),
    )


def _nodes(papers) -> list:
    nodes = []
    for paper in papers:
        sentences = paper.abstract.split(". ")
        half = max(1, len(sentences) // 2)
        nodes.append(_node(paper, 0, f"{paper.title}. {'. '.join(sentences[:half])}"))
        nodes.append(_node(paper, 1, f"{paper.title}. {'. '.join(sentences[half:])}"))
    return nodes


def _reference(nodes):
    from llama_index.retrievers.bm25 import BM25Retriever

    return BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=len(nodes))


def _assert_same_index(built, reference) -> None:
    """Every query scores every chunk the same to the bit, and retrieval returns the same chunks."""
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    assert built.corpus == reference.corpus
    assert set(built.bm25.vocab_dict) == set(reference.bm25.vocab_dict)
    for token in reference.bm25.vocab_dict:
        if token:
            assert np.array_equal(built.bm25.get_scores([token]), reference.bm25.get_scores([token])), token
    for query in QUERIES:
        tokens = bm25s.tokenize(query, stemmer=stemmer, show_progress=False, return_ids=False)[0]
        known = [t for t in tokens if t in reference.bm25.vocab_dict]
        if known:
            assert np.array_equal(built.bm25.get_scores(known), reference.bm25.get_scores(known)), query
        built.similarity_top_k = reference.similarity_top_k = 5
        assert [(r.node.node_id, r.score) for r in built.retrieve(query)] == [
            (r.node.node_id, r.score) for r in reference.retrieve(query)
        ]


def _index(bm25, nodes, path=None) -> lexical_cache.LexicalIndex:
    from collections import Counter

    return lexical_cache.LexicalIndex(bm25, nodes, Counter(), Counter(), {}, "loc", path)


def _count_tokenized(monkeypatch) -> list[int]:
    counts: list[int] = []
    original = lexical_cache._tokenize

    def counting(texts):
        counts.append(len(texts))
        return original(texts)

    monkeypatch.setattr(lexical_cache, "_tokenize", counting)
    return counts


def test_bm25_built_from_tokens_equals_llama_index_full_build():
    nodes = _nodes(CORPUS)
    _assert_same_index(lexical_cache.build_bm25(nodes), _reference(nodes))


def test_a_new_state_tokenizes_only_its_new_chunks_and_equals_a_full_rebuild(tmp_path, monkeypatch):
    nodes = _nodes(CORPUS)
    lexical_cache.save(
        tmp_path, "papers", "a" * lexical_cache.KEY_LENGTH, _index(lexical_cache.build_bm25(nodes), nodes)
    )
    previous = lexical_cache.load(tmp_path, "papers", "a" * lexical_cache.KEY_LENGTH)
    assert previous is not None and previous.tokens() is not None

    # One paper changed (new version, new ids), one removed, one added; order as the snapshot builds it.
    changed = replace(CORPUS[1], abstract=CORPUS[1].abstract + " Weight decay matters.")
    gone = {CORPUS[1].paper_id, CORPUS[2].paper_id}
    new_nodes = _nodes([changed, EXTRA])
    state = [n for n in previous.nodes if n.metadata["paper_id"] not in gone] + new_nodes
    tokenized = _count_tokenized(monkeypatch)
    built = lexical_cache.build_bm25(state, previous)
    assert tokenized == [len(new_nodes)]
    _assert_same_index(built, _reference(state))

    # Saved again and loaded, the next state builds from it in the same way.
    lexical_cache.save(tmp_path, "papers", "b" * lexical_cache.KEY_LENGTH, _index(built, state))
    loaded = lexical_cache.load(tmp_path, "papers", "b" * lexical_cache.KEY_LENGTH)
    _assert_same_index(loaded.bm25, _reference(state))
    smaller = loaded.nodes[2:]
    tokenized.clear()
    _assert_same_index(lexical_cache.build_bm25(smaller, loaded), _reference(smaller))
    assert tokenized == [0]


@pytest.mark.parametrize("damage", ["tokenizer", "tokens", "offsets", "missing"])
def test_saved_tokens_that_do_not_fit_are_ignored_and_every_chunk_is_tokenized(tmp_path, monkeypatch, damage):
    nodes = _nodes(CORPUS)
    key = "c" * lexical_cache.KEY_LENGTH
    lexical_cache.save(tmp_path, "papers", key, _index(lexical_cache.build_bm25(nodes), nodes))
    entry = lexical_cache.entry_dir(tmp_path, "papers", key)
    if damage == "tokenizer":
        derived = json.loads((entry / lexical_cache.DERIVED_FILE).read_text())
        derived["tokenizer"] = "another tokenizer"
        (entry / lexical_cache.DERIVED_FILE).write_text(json.dumps(derived))
    elif damage == "tokens":
        np.save(entry / lexical_cache.TOKENS_FILE, np.full(3, 10**6, dtype=np.int32))
    elif damage == "offsets":
        np.save(entry / lexical_cache.TOKEN_OFFSETS_FILE, np.zeros(2, dtype=np.int64))
    else:
        (entry / lexical_cache.TOKENS_FILE).unlink()
    previous = lexical_cache.load(tmp_path, "papers", key)
    assert previous is not None and previous.tokens() is None
    tokenized = _count_tokenized(monkeypatch)
    state = [*previous.nodes[1:], *_nodes([EXTRA])]
    _assert_same_index(lexical_cache.build_bm25(state, previous), _reference(state))
    assert tokenized == [len(state)]


def test_scores_from_token_ids_equal_bm25s_own_build_on_a_random_corpus():
    import bm25s
    from bm25s.tokenization import Tokenized

    rng = random.Random(7)
    words = [f"w{i}" for i in range(300)]
    documents = [
        [rng.choice(words[: rng.randint(5, 300)]) for _ in range(rng.choice([0, 1, 3, 40, 200]))] for _ in range(400)
    ]
    vocabulary = sorted({w for doc in documents for w in doc})
    ids = {w: i for i, w in enumerate(vocabulary)}
    flat = np.array([ids[w] for doc in documents for w in doc], dtype=np.int32)
    offsets = np.zeros(len(documents) + 1, dtype=np.int64)
    np.cumsum([len(doc) for doc in documents], out=offsets[1:])
    built = lexical_cache._bm25_from_tokens(lexical_cache.DocTokens(flat, offsets, vocabulary))
    reference = bm25s.BM25()
    reference.index(Tokenized(ids=[[ids[w] for w in doc] for doc in documents], vocab=dict(ids)), show_progress=False)
    for name in ("data", "indices", "indptr"):
        assert built.scores[name].dtype == reference.scores[name].dtype
        assert np.array_equal(built.scores[name], reference.scores[name]), name
    assert built.scores["num_docs"] == reference.scores["num_docs"]
    assert built.vocab_dict == reference.vocab_dict


def test_the_previous_state_is_taken_from_memory_only_while_its_files_are_unchanged(tmp_path):
    nodes = _nodes(CORPUS)
    key = "d" * lexical_cache.KEY_LENGTH
    lexical_cache.save(tmp_path, "papers", key, _index(lexical_cache.build_bm25(nodes), nodes))
    first = lexical_cache.load_latest(tmp_path, "papers", "loc")
    assert first is not None and first is lexical_cache.load_latest(tmp_path, "papers", "loc")
    # load() always reads the files: two snapshots never share one BM25 object.
    assert lexical_cache.load(tmp_path, "papers", key).bm25 is not first.bm25
    corpus = lexical_cache.entry_dir(tmp_path, "papers", key) / "corpus.jsonl"
    corpus.write_text("\n".join(corpus.read_text().splitlines()[:-1]) + "\n")
    reread = lexical_cache.load_latest(tmp_path, "papers", "loc")
    assert reread is not None and reread is not first and len(reread.nodes) == len(nodes) - 1
    lexical_cache.clear(tmp_path, "papers")
    assert lexical_cache.load_latest(tmp_path, "papers", "loc") is None


@pytest.mark.parametrize(
    "text",
    [
        "Plain ASCII text with digits 123, under_scores and punctuation!",
        "",
        "12345 _ -- !!",
        "Naïve Bayes über café — 量子 learning",
        "bad \ufffd and private \ue000\uf8ff chars é",
        "Ελληνικά κείμενα 3 και ₂ subscripts ǅ",
    ],
)
def test_corpus_statistics_count_what_the_regexes_count(text):
    assert _stats(text) == (len(LETTER.findall(text)), len(BAD_CHAR.findall(text)), len(text) - text.count(" "))


def _snapshot_builds_from_tokens() -> bool:
    import inspect

    from rag.snapshot import IndexSnapshot

    return "lexical_cache.build_bm25" in inspect.getsource(IndexSnapshot._build_bm25)


@pytest.mark.skipif(not _snapshot_builds_from_tokens(), reason="rag/snapshot.py builds BM25 with from_defaults")
def test_after_a_re_ingest_the_snapshot_tokenizes_only_the_changed_papers(tmp_path, monkeypatch):
    import rag
    import rag.engine
    from rag.config import Settings
    from rag.snapshot import IndexSnapshot
    from rag.store import PaperStore
    from tests.fakes import FakeEmbedding, write_jsonl

    settings = Settings().replace(
        data_dir=str(tmp_path / "index"), embed_backend="openai", embed_model="fake-bow", embed_base_url="fake://"
    )
    rag.engine.register_embedder(settings.embedding.name, FakeEmbedding())
    corpus = write_jsonl(tmp_path / "corpus.jsonl", CORPUS)
    rag.ingest([corpus], settings=settings)
    changed = replace(CORPUS[0], abstract=CORPUS[0].abstract + " Weight decay matters.")
    write_jsonl(corpus, [changed, *CORPUS[1:], EXTRA])
    tokenized = _count_tokenized(monkeypatch)
    rag.ingest([corpus], settings=settings)
    # The new state was built from the saved one: only the changed and the new paper's chunks.
    store = PaperStore(settings, settings.embedding.name, fresh=True)
    new_chunks = [n for n in store.all_nodes() if n.metadata["paper_id"] in {changed.paper_id, EXTRA.paper_id}]
    assert sum(tokenized) == len([n for n in new_chunks if n.metadata["content_hash"] != CORPUS[0].content_hash])
    served = rag.engine.get_engine(settings).snapshot
    scratch = IndexSnapshot(store, store.generation())  # no saved state: every chunk from Chroma
    with served.bm25_lock, scratch.bm25_lock:
        _assert_same_index(served.bm25(None, 5), _reference(scratch.nodes))


def test_an_empty_or_truncated_tokens_file_is_ignored(tmp_path):
    nodes = _nodes(CORPUS)
    key = "e" * lexical_cache.KEY_LENGTH
    lexical_cache.save(tmp_path, "papers", key, _index(lexical_cache.build_bm25(nodes), nodes))
    tokens = lexical_cache.entry_dir(tmp_path, "papers", key) / lexical_cache.TOKENS_FILE
    for damaged in (b"", tokens.read_bytes()[:-7]):
        tokens.write_bytes(damaged)
        previous = lexical_cache.load(tmp_path, "papers", key)
        assert previous is not None and previous.tokens() is None
