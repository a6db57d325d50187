"""Baseline: how long plain LlamaIndex takes to index the seed corpus, the way a naive user would.

One ``Document`` per parsed paper (title and abstract), ``VectorStoreIndex.from_documents`` with
its default transformations (``SentenceSplitter``, 1024 tokens), the same embedding class the
project uses (``rag.embeddings.LocalMiniLMEmbedding``, int8 MiniLM on onnxruntime) and the
default in-memory vector store (``--store chroma``: an ephemeral Chroma collection instead).
The corpus is parsed before the clock starts, and the embedding model is loaded before it too,
so the figure is chunking + embedding + storing.

``--rag`` also times ``rag.ingest`` of the same files into a temporary index with the same
model, so both numbers come from one run on one machine (the project embeds every abstract
sentence too, for the extractive answerer, so it embeds several times more texts).

    .venv/bin/python bench/llamaindex_baseline.py [PATH ...] [--store memory|chroma] [--rag] [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def log(message: str) -> None:
    print(f"[baseline {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def llamaindex_seconds(paths: list[Path], store: str) -> tuple[float, int, int]:
    """(seconds, documents, nodes) for a naive VectorStoreIndex build."""
    from llama_index.core import Document, StorageContext, VectorStoreIndex

    from rag.corpus import parse_corpus
    from rag.embeddings import LocalMiniLMEmbedding

    papers = parse_corpus(paths).papers
    documents = [Document(text=f"{p.title}\n\n{p.abstract}", metadata={"title": p.title}) for p in papers]
    embed_model = LocalMiniLMEmbedding()
    storage_context = None
    if store == "chroma":
        import chromadb
        from llama_index.vector_stores.chroma import ChromaVectorStore

        collection = chromadb.EphemeralClient().get_or_create_collection("baseline")
        storage_context = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
    started = time.perf_counter()
    index = VectorStoreIndex.from_documents(documents, embed_model=embed_model, storage_context=storage_context)
    seconds = time.perf_counter() - started
    nodes = len(index.index_struct.nodes_dict) if hasattr(index.index_struct, "nodes_dict") else 0
    return seconds, len(documents), nodes


def rag_ingest_seconds(paths: list[Path]) -> tuple[float, int]:
    import rag

    data_dir = tempfile.mkdtemp(prefix="rag-baseline-")
    try:
        settings = rag.load_settings(data_dir=data_dir, chroma_url="", embed_backend="local")
        rag.get_engine(settings).embed_model  # noqa: B018 - load the model before the clock starts, as above
        started = time.perf_counter()
        report = rag.ingest(paths, settings=settings)
        return time.perf_counter() - started, report.chunks + report.sentences
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", help="corpus files or directories (default: data/)")
    parser.add_argument("--store", choices=("memory", "chroma"), default="memory")
    parser.add_argument("--rag", action="store_true", help="also time rag.ingest of the same files")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    paths = [Path(p) for p in args.paths] or [REPO / "data"]

    log(f"LlamaIndex VectorStoreIndex.from_documents, {args.store} store, LocalMiniLMEmbedding")
    seconds, documents, nodes = llamaindex_seconds(paths, args.store)
    log(f"LlamaIndex: {seconds:.1f} s for {documents} documents ({nodes} nodes)")
    result = {"papers": documents, "llamaindex_s": round(seconds, 3), "llamaindex_nodes": nodes}
    if args.rag:
        log("rag.ingest of the same files, local MiniLM, fresh temporary index")
        rag_seconds, texts = rag_ingest_seconds(paths)
        log(f"rag.ingest: {rag_seconds:.1f} s ({texts} chunks and sentences embedded)")
        result.update(rag_ingest_s=round(rag_seconds, 3), rag_texts_embedded=texts)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
