"""Subfield summaries against plain answers on the synthesis questions of the eval set.

For each synthesis question: the share of its gold papers that the summary cites
(coverage) and the share of cited papers that are gold (precision), next to the same
figures for `rag ask` (k=5); plus the time per summary. Prints a Markdown table.

    .venv/bin/python bench/summaries.py [--questions eval/questions.jsonl] [--data-dir .rag]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import rag  # noqa: E402
from rag.evaluation import load_questions  # noqa: E402


def shares(cited: set[str], gold: set[str]) -> tuple[float, float | None]:
    coverage = len(cited & gold) / len(gold)
    precision = len(cited & gold) / len(cited) if cited else None
    return coverage, precision


def mean(values: list[float | None]) -> str:
    present = [v for v in values if v is not None]
    return f"{statistics.mean(present):.3f}" if present else "n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", default=str(REPO / "eval" / "questions.jsonl"))
    parser.add_argument("--data-dir", default=None, help="index to use (default: the configured one)")
    args = parser.parse_args()
    settings = rag.load_settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    questions = [q for q in load_questions(args.questions) if q.kind == "synthesis"]
    rag.summarize(questions[0].question, settings=settings)  # warm-up: model, BM25 and IDF tables

    rows, timings = [], []
    for question in questions:
        gold = set(question.gold_titles)
        started = time.perf_counter()
        summary = rag.summarize(question.question, settings=settings)
        timings.append((time.perf_counter() - started) * 1000)
        answer = rag.ask(question.question, settings=settings)
        summary_titles, ask_titles = {p.title for p in summary.papers}, {c.title for c in answer.citations}
        rows.append(
            (
                question,
                summary,
                len(summary_titles),
                *shares(summary_titles, gold),
                len(ask_titles),
                *shares(ask_titles, gold),
            )
        )

    columns = ["id", "gold", "summary cites", "coverage", "precision", "ask cites", "coverage", "precision"]
    print("| " + " | ".join(columns) + " |")
    print("|" + " --- |" * len(columns))
    for question, _, *figures in rows:
        cells = [str(len(question.gold_titles))] + [
            "n/a" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value) for value in figures
        ]
        print(f"| {question.id} | " + " | ".join(cells) + " |")
    means = [mean([row[i] for row in rows]) for i in range(2, 8)]
    print(f"| **mean** ({len(rows)} questions) | | " + " | ".join(means) + " |")
    uncovered = [r[0].id for r in rows if not r[1].covered]
    print(f"\nnot covered: {', '.join(uncovered) or 'none'}")
    timings.sort()
    print(
        f"time per summary (extractive, warm): p50 {statistics.median(timings):.0f} ms, "
        f"max {timings[-1]:.0f} ms over {len(timings)} summaries"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
