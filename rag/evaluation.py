"""Offline evaluation: retrieval, answer and citation quality per configuration, side by side.

Question files are JSON Lines, one question a line:
``{"id", "kind": "factoid"|"synthesis"|"unanswerable", "question", "gold_titles": [...], "must_include": [...]}``.
Gold titles are matched to indexed papers by normalized title.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.config import Settings
from rag.corpus import normalize_title
from rag.engine import get_engine
from rag.errors import RagError
from rag.eval_metrics import (
    citation_precision,
    citation_recall,
    mean,
    must_include_rate,
    ndcg_at,
    percentile,
    recall_at,
    reciprocal_rank,
)
from rag.pipeline import ask, search
from rag.types import IndexStatus

KINDS = ("factoid", "synthesis", "unanswerable")
RETRIEVAL_DEPTH = 20


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    question: str
    gold_titles: tuple[str, ...] = ()
    must_include: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvalConfig:
    """One column of the report: a retrieval mode and the number of papers given to the answerer."""

    mode: str = "hybrid"
    k: int = 5
    answer_mode: str = "auto"

    @property
    def name(self) -> str:
        suffix = "" if self.answer_mode == "auto" else f"-{self.answer_mode}"
        return f"{self.mode}-k{self.k}{suffix}"


# --- question files -------------------------------------------------------------------------
def load_questions(path: str | Path) -> list[Question]:
    """Read a question file; any bad line raises with the file and line named."""
    questions, seen = [], set()
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RagError(f"{where}: invalid JSON ({exc.msg})") from None
        if not isinstance(row, dict) or not isinstance(row.get("question"), str) or not row["question"].strip():
            raise RagError(f"{where}: field 'question' is missing or empty")
        if row.get("kind") not in KINDS:
            raise RagError(f"{where}: field 'kind' must be one of {', '.join(KINDS)}")
        for name in ("gold_titles", "must_include"):
            if not isinstance(row.get(name, []), list):
                raise RagError(f"{where}: field {name!r} must be a list of strings")
        qid = str(row.get("id") or f"line{number}")
        if qid in seen:
            raise RagError(f"{where}: duplicate id {qid!r}")
        seen.add(qid)
        questions.append(
            Question(
                qid, row["kind"], row["question"], tuple(row.get("gold_titles", [])), tuple(row.get("must_include", []))
            )
        )
    if not questions:
        raise RagError(f"{path}: no questions")
    return questions


# --- running ---------------------------------------------------------------------------------
@dataclass
class QuestionResult:
    question: Question
    retrieved: list[str]
    retrieved_titles: list[str]
    answer: dict
    cited: list[str]
    metrics: dict[str, float | None]
    failures: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "id": self.question.id,
            "kind": self.question.kind,
            "question": self.question.question,
            "retrieved": self.retrieved_titles[:10],
            "answer": self.answer["answer"],
            "abstained": self.answer["abstained"],
            "cited": [c["title"] for c in self.answer["citations"]],
            "sentences": self.answer["sentences"],
            "metrics": self.metrics,
            "failures": self.failures,
        }


def _validity(answer: dict) -> float | None:
    valid = sum(len(s["citations"]) for s in answer["sentences"])
    invalid = len(answer.get("invalid_citations", []))
    return valid / (valid + invalid) if valid + invalid else None


def _gold_ids(question: Question, known: dict[str, str]) -> tuple[set[str], list[str]]:
    ids, unknown = set(), []
    for title in question.gold_titles:
        paper_id = known.get(normalize_title(title))
        if paper_id:
            ids.add(paper_id)
        else:
            unknown.append(title)
    return ids, unknown


def evaluate_question(
    question: Question, config: EvalConfig, settings: Settings, known: dict[str, str]
) -> QuestionResult:
    gold, unknown = _gold_ids(question, known)
    hits = search(question.question, k=RETRIEVAL_DEPTH, mode=config.mode, settings=settings)
    ranked = [h.paper_id for h in hits]
    result = ask(question.question, k=config.k, mode=config.mode, answer_mode=config.answer_mode, settings=settings)
    answer = result.to_dict()
    cited = [c["paper_id"] for c in answer["citations"]]
    answerable = question.kind != "unanswerable"
    metrics: dict[str, float | None] = {
        "recall@1": recall_at(ranked, gold, 1),
        "recall@5": recall_at(ranked, gold, 5),
        "recall@10": recall_at(ranked, gold, 10),
        "recall@20": recall_at(ranked, gold, 20),
        "mrr": reciprocal_rank(ranked, gold),
        "ndcg@10": ndcg_at(ranked, gold, 10),
        "must_include": must_include_rate(answer["answer"], question.must_include) if answerable else None,
        "citation_precision": citation_precision(cited, gold),
        "citation_recall": citation_recall(cited, gold),
        "supported": mean([1.0 if s["supported"] else 0.0 for s in answer["sentences"]]),
        # Share of the citations the answerer wrote that name a real source (LLM answers can invent [9]).
        "citation_validity": _validity(answer),
        "llm_fallback": 1.0 if result.fallback else 0.0,
        "abstention_correct": 1.0 if answer["abstained"] == (not answerable) else 0.0,
        "latency_ms": answer["timings_ms"].get("total"),
    }
    failures = [f"gold title not in the index: {title!r}" for title in unknown]
    if metrics["abstention_correct"] == 0.0:
        failures.append("abstained on an answerable question" if answerable else "answered an unanswerable question")
    if gold and metrics["recall@10"] == 0.0:
        failures.append("no gold paper in the top 10")
    elif question.kind == "factoid" and gold and metrics["mrr"] is not None and metrics["mrr"] < 1.0:
        failures.append(f"gold paper ranked {round(1 / metrics['mrr']) if metrics['mrr'] else '>20'}, not first")
    if metrics["must_include"] is not None and metrics["must_include"] < 1.0 and not answer["abstained"]:
        missing = [s for s in question.must_include if s.lower() not in answer["answer"].lower()]
        failures.append(f"answer lacks {missing}")
    if metrics["citation_precision"] is not None and metrics["citation_precision"] < 1.0:
        failures.append("cites a non-gold paper")
    return QuestionResult(question, ranked, [h.title for h in hits], answer, cited, metrics, failures)


def summarize(results: list[QuestionResult]) -> dict:
    def block(rows: list[QuestionResult]) -> dict:
        keys = rows[0].metrics.keys() if rows else []
        summary = {key: mean([r.metrics[key] for r in rows]) for key in keys if key != "latency_ms"}
        summary["n"] = len(rows)
        return {k: v for k, v in summary.items() if v is not None}

    latencies = [r.metrics["latency_ms"] for r in results if r.metrics["latency_ms"] is not None]
    return {
        "n": len(results),
        "by_kind": {kind: block([r for r in results if r.question.kind == kind]) for kind in KINDS},
        "overall": block(results),
        "abstention_accuracy": mean([r.metrics["abstention_correct"] for r in results]),
        "latency_ms": {"p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95)},
    }


@dataclass(frozen=True)
class EvalRun:
    """One configuration of ``rag eval``: its settings, summary metrics and per-question rows."""

    config: EvalConfig
    summary: dict[str, Any]
    questions: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"config": self.config.__dict__, "summary": self.summary, "questions": self.questions}


@dataclass
class EvalResult:
    index: IndexStatus
    runs: dict[str, EvalRun]

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index.to_dict(), "runs": {name: run.to_dict() for name, run in self.runs.items()}}


def run_eval(
    questions: list[Question],
    configs: list[EvalConfig],
    settings: Settings,
    progress: Callable[[int, int], None] | None = None,
) -> EvalResult:
    """Score every question under every configuration. Deterministic for a fixed index.

    Runs are named by retrieval mode alone when nothing else (k, answer mode) varies."""
    engine = get_engine(settings)
    known = engine.snapshot.titles
    total, done = len(questions) * len(configs), 0
    by_mode = len({(c.k, c.answer_mode) for c in configs}) == 1
    runs = {}
    for config in configs:
        results = []
        for question in questions:
            results.append(evaluate_question(question, config, settings, known))
            done += 1
            if progress:
                progress(done, total)
        name = config.mode if by_mode else config.name
        runs[name] = EvalRun(config, summarize(results), [r.to_dict() for r in results])
    return EvalResult(engine.store.stats(), runs)
