"""Concurrent `/api/ask` against a running `rag serve`: latency and throughput, sequential vs parallel.

    .venv/bin/rag serve &                     # or make run
    .venv/bin/python bench/api_load.py [--url http://127.0.0.1:7860] [--concurrency 10] [--rounds 3]

The same questions are sent one at a time (the baseline) and then `--concurrency` at a
time; the table gives p50/p95 latency per request and requests per second for both.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

QUESTIONS = [
    "What explains grokking?",
    "How does GaLore reduce memory?",
    "Which methods quantize large language models after training?",
    "How can distributed training of large models be made efficient and robust?",
    "Does weight averaging improve generalization?",
]


def timed_ask(client: httpx.Client, url: str, question: str) -> float:
    started = time.perf_counter()
    response = client.post(f"{url}/api/ask", json={"question": question}, timeout=120)
    response.raise_for_status()
    return (time.perf_counter() - started) * 1000


def run(url: str, workers: int, jobs: list[str]) -> tuple[list[float], float]:
    with httpx.Client() as client, ThreadPoolExecutor(max_workers=workers) as pool:
        started = time.perf_counter()
        latencies = list(pool.map(lambda q: timed_ask(client, url, q), jobs))
        return latencies, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:7860")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    jobs = [QUESTIONS[i % len(QUESTIONS)] for i in range(args.concurrency * args.rounds)]
    run(args.url, 1, QUESTIONS)  # warm-up
    print("| run | requests | p50 ms | p95 ms | requests/s |")
    print("| --- | --- | --- | --- | --- |")
    rates = {}
    for name, workers in (("sequential", 1), (f"{args.concurrency} concurrent", args.concurrency)):
        latencies, seconds = run(args.url, workers, jobs)
        latencies.sort()
        rates[name] = len(jobs) / seconds
        p95 = latencies[int(0.95 * (len(latencies) - 1))]
        print(f"| {name} | {len(jobs)} | {statistics.median(latencies):.0f} | {p95:.0f} | {rates[name]:.1f} |")
    sequential, concurrent = rates.values()
    print(f"\nthroughput ratio concurrent/sequential: {concurrent / sequential:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
