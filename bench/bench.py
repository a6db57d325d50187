"""Benchmark: ingest time (cold and unchanged re-run), search/ask latency, peak RSS.

Prints a table. Latency targets are judged against the machine's own speed in the same
run: the baseline row is one query embedding (the irreducible part of every search), so
the ratios stay comparable on noisy or slower machines.

    .venv/bin/python bench/bench.py [--queries 200] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

import rag
from rag.embeddings import embed_query
from rag.engine import get_engine
from rag.eval_metrics import percentile

REPO = Path(__file__).resolve().parents[1]


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000, result


def queries(n: int) -> list[str]:
    questions = [json.loads(line)["question"] for line in (REPO / "eval" / "questions.jsonl").read_text().splitlines()]
    return [questions[i % len(questions)] + ("" if i < len(questions) else f" ({i})") for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--keep", help="index directory to reuse (skips the cold ingest if it is already built)")
    args = parser.parse_args()

    data_dir = args.keep or tempfile.mkdtemp(prefix="rag-bench-")
    settings = rag.load_settings(data_dir=data_dir, corpus_paths=(str(REPO / "data"),))
    rows: list[tuple[str, str, str]] = []

    cold_ms, cold = timed(lambda: rag.ingest(settings=settings))
    rows.append(
        (
            "ingest, cold" if cold.added else "ingest, first run (index reused)",
            f"{cold_ms / 1000:.1f} s",
            f"{cold.papers} papers, {cold.chunks} chunks, {cold.sentences} sentences embedded",
        )
    )
    rerun_ms, rerun = timed(lambda: rag.ingest(settings=settings))
    rows.append(("ingest, unchanged re-run", f"{rerun_ms / 1000:.2f} s", f"target < 3 s; {rerun.unchanged} unchanged"))

    engine = get_engine(settings)
    texts = queries(args.queries)
    for text in texts[:10]:  # warm-up: BM25 build, ONNX session, Chroma caches
        rag.ask(text, settings=settings)

    baseline = [timed(lambda t=t: embed_query(engine.embed_model, t))[0] for t in texts]
    search = [timed(lambda t=t: rag.search(t, k=10, settings=settings))[0] for t in texts]
    ask = [timed(lambda t=t: rag.ask(t, settings=settings))[0] for t in texts]
    base_p50 = statistics.median(baseline)
    for name, values, target in (
        ("query embedding (baseline)", baseline, ""),
        ("search k=10 hybrid", search, "target p50 < 30 ms"),
        ("ask (extractive) k=5", ask, "target p50 < 150 ms"),
    ):
        p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
        rows.append((name, f"p50 {p50:.1f} ms / p95 {p95:.1f} ms", f"{p50 / base_p50:.1f}x baseline; {target}"))

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows.append(("peak RSS", f"{peak_mb:.0f} MB", "whole process: models, index, BM25"))

    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    print(f"\n{'measure':{width}}  {'value':{value_width}}  notes")
    print(f"{'-' * width}  {'-' * value_width}  -----")
    for name, value, note in rows:
        print(f"{name:{width}}  {value:{value_width}}  {note}")
    print(f"\n{len(texts)} queries; index at {data_dir}")


if __name__ == "__main__":
    main()
