"""Offline evaluation: retrieval, answer and citation quality per configuration, side by side.

Question files (format and validation in :mod:`rag.eval_questions`) are JSON Lines, one
question a line: ``{"id", "kind", "shape", "split", "question", "gold_titles", "must_include",
"history"?}``. Gold titles are matched to indexed papers by normalized title.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rag.config import Settings
from rag.corpus import normalize_title
from rag.engine import get_engine
from rag.eval_metrics import (
    citation_precision,
    citation_recall,
    dangling_openers,
    gold_first,
    mean,
    must_include_rate,
    ndcg_at,
    off_topic_share,
    percentile,
    rare_terms,
    recall_at,
    reciprocal_rank,
)
from rag.eval_questions import KINDS, SHAPES, SPLITS, Question, load_questions
from rag.pipeline import ask, search
from rag.text import content_terms, topic_terms
from rag.types import IndexStatus

__all__ = [
    "KINDS",
    "SHAPES",
    "SPLITS",
    "EvalConfig",
    "EvalResult",
    "EvalRun",
    "Question",
    "QuestionResult",
    "citation_precision",
    "citation_recall",
    "load_questions",
    "must_include_rate",
    "ndcg_at",
    "recall_at",
    "reciprocal_rank",
    "run_eval",
    "summarize",
]

RETRIEVAL_DEPTH = 20
# Shapes whose answer should name every relevant paper: scored by list_recall.
LIST_SHAPES = ("list", "compare")


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
        data = {
            "id": self.question.id,
            "kind": self.question.kind,
            "shape": self.question.shape,
            "split": self.question.split,
            "question": self.question.question,
            "retrieved": self.retrieved_titles[:10],
            "answer": self.answer["answer"],
            "abstained": self.answer["abstained"],
            "cited": [c["title"] for c in self.answer["citations"]],
            "sentences": self.answer["sentences"],
            "metrics": self.metrics,
            "failures": self.failures,
        }
        if self.question.history:
            data["history"] = list(self.question.history)
        if self.answer.get("standalone_question"):
            data["standalone_question"] = self.answer["standalone_question"]
        return data


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


def key_terms(question: Question, idf: tuple[dict[str, float], float]) -> set[str]:
    """The question's rare content words (a follow-up's include its earlier user turns)."""
    earlier = [turn["content"] for turn in question.history if turn["role"] == "user"]
    return rare_terms(topic_terms(" ".join([*earlier, question.question])), *idf)


def _cited_papers(answer: dict) -> dict[str, str]:
    """Cited paper id -> its title and abstract, in citation order."""
    texts = {s["n"]: f"{s['title']} {s['text']}" for s in answer["sources"]}
    return {c["paper_id"]: texts.get(c["n"], c["title"]) for c in answer["citations"]}


def evaluate_question(
    question: Question,
    config: EvalConfig,
    settings: Settings,
    known: dict[str, str],
    idf: tuple[dict[str, float], float] | None = None,
) -> QuestionResult:
    gold, unknown = _gold_ids(question, known)
    history = [dict(turn) for turn in question.history] or None
    result = ask(
        question.question,
        k=config.k,
        mode=config.mode,
        history=history,
        answer_mode=config.answer_mode,
        settings=settings,
    )
    answer = result.to_dict()
    # Retrieval is scored on what the answer searched: a follow-up's rewrite when there is one.
    searched = answer.get("standalone_question") or question.question
    hits = search(searched, k=RETRIEVAL_DEPTH, mode=config.mode, settings=settings)
    ranked = [h.paper_id for h in hits]
    cited = [c["paper_id"] for c in answer["citations"]]
    papers = _cited_papers(answer)
    terms = key_terms(question, idf or get_engine(settings).snapshot.idf)
    off_topic = [pid for pid, text in papers.items() if not content_terms(text) & terms]
    abstained = answer["abstained"]
    answerable = question.answerable
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
        "gold_first": gold_first(cited, gold, abstained),
        "list_recall": citation_recall(cited, gold) if question.shape in LIST_SHAPES else None,
        "off_topic_citations": off_topic_share([content_terms(t) for t in papers.values()], terms),
        "dangling_openers": None if abstained else float(dangling_openers(s["text"] for s in answer["sentences"])),
        "supported": mean([1.0 if s["supported"] else 0.0 for s in answer["sentences"]]),
        # Share of the citations the answerer wrote that name a real source (LLM answers can invent [9]).
        "citation_validity": _validity(answer),
        "llm_fallback": 1.0 if result.fallback else 0.0,
        "abstained": 1.0 if abstained else 0.0,
        "abstention_correct": 1.0 if abstained == (not answerable) else 0.0,
        "latency_ms": answer["timings_ms"].get("total"),
    }
    failures = [f"gold title not in the index: {title!r}" for title in unknown]
    if metrics["abstention_correct"] == 0.0:
        failures.append("abstained on an answerable question" if answerable else "answered an unanswerable question")
    if gold and metrics["recall@10"] == 0.0:
        failures.append("no gold paper in the top 10")
    elif question.kind == "factoid" and gold and metrics["mrr"] is not None and metrics["mrr"] < 1.0:
        failures.append(f"gold paper ranked {round(1 / metrics['mrr']) if metrics['mrr'] else '>20'}, not first")
    if metrics["must_include"] is not None and metrics["must_include"] < 1.0 and not abstained:
        missing = [s for s in question.must_include if s.lower() not in answer["answer"].lower()]
        failures.append(f"answer lacks {missing}")
    if metrics["citation_precision"] is not None and metrics["citation_precision"] < 1.0:
        failures.append("cites a non-gold paper")
    if metrics["gold_first"] == 0.0:
        failures.append("first citation is not a gold paper")
    if off_topic:
        titles = {c["paper_id"]: c["title"] for c in answer["citations"]}
        failures.append(f"cites off-topic papers (none of {sorted(terms)}): {[titles[p] for p in off_topic]}")
    if metrics["dangling_openers"]:
        failures.append(f"{int(metrics['dangling_openers'])} sentence(s) open with an unresolved reference")
    return QuestionResult(question, ranked, [h.title for h in hits], answer, cited, metrics, failures)


# Per-question figures that are not averaged into a block (``abstained`` is reported split in two).
_NOT_AVERAGED = ("latency_ms", "abstained")


def summary_block(rows: list[QuestionResult]) -> dict:
    """Mean of every metric over ``rows`` (None where not applicable), plus the abstention split
    (``abstained_unanswerable``, ``false_abstention``) and ``dangling_openers_total``."""
    keys = [key for key in (rows[0].metrics if rows else {}) if key not in _NOT_AVERAGED]
    block: dict[str, Any] = {key: mean([r.metrics[key] for r in rows]) for key in keys}
    block["abstained_unanswerable"] = mean([r.metrics["abstained"] for r in rows if not r.question.answerable])
    block["false_abstention"] = mean([r.metrics["abstained"] for r in rows if r.question.answerable])
    counts = [r.metrics["dangling_openers"] for r in rows if r.metrics.get("dangling_openers") is not None]
    block["dangling_openers_total"] = int(sum(counts)) if counts else None
    block["n"] = len(rows)
    return {k: v for k, v in block.items() if v is not None}


def _blocks(results: list[QuestionResult]) -> dict:
    return {
        "n": len(results),
        "by_kind": {kind: summary_block([r for r in results if r.question.kind == kind]) for kind in KINDS},
        "by_shape": {shape: summary_block([r for r in results if r.question.shape == shape]) for shape in SHAPES},
        "overall": summary_block(results),
    }


def summarize(results: list[QuestionResult]) -> dict:
    """Blocks by kind, by shape and overall; the same per split present (``by_split``)."""
    latencies = [r.metrics["latency_ms"] for r in results if r.metrics["latency_ms"] is not None]
    splits = {split: [r for r in results if r.question.split == split] for split in SPLITS}
    return {
        **_blocks(results),
        "by_split": {split: _blocks(rows) for split, rows in splits.items() if rows},
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
    known, idf = engine.snapshot.titles, engine.snapshot.idf
    total, done = len(questions) * len(configs), 0
    by_mode = len({(c.k, c.answer_mode) for c in configs}) == 1
    runs = {}
    for config in configs:
        results = []
        for question in questions:
            results.append(evaluate_question(question, config, settings, known, idf))
            done += 1
            if progress:
                progress(done, total)
        name = config.mode if by_mode else config.name
        runs[name] = EvalRun(config, summarize(results), [r.to_dict() for r in results])
    return EvalResult(engine.store.stats(), runs)
