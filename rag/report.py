"""Eval reports: a Markdown page, a JSON file with every figure, and PNG plots."""

from __future__ import annotations

import json
from pathlib import Path

from rag.evaluation import KINDS, SHAPES, SPLITS, EvalResult

SUMMARY_ROWS = [
    ("factoid", "recall@1"),
    ("factoid", "recall@5"),
    ("factoid", "recall@10"),
    ("factoid", "mrr"),
    ("factoid", "ndcg@10"),
    ("factoid", "must_include"),
    ("factoid", "citation_precision"),
    ("synthesis", "recall@10"),
    ("synthesis", "recall@20"),
    ("synthesis", "citation_recall"),
    ("synthesis", "citation_precision"),
    ("synthesis", "must_include"),
    ("overall", "gold_first"),
    ("overall", "list_recall"),
    ("overall", "off_topic_citations"),
    ("overall", "dangling_openers"),
    ("overall", "dangling_openers_total"),
    ("overall", "abstained_unanswerable"),
    ("overall", "false_abstention"),
    ("overall", "supported"),
    ("overall", "citation_validity"),
    ("overall", "llm_fallback"),
]
# The figures the issue-11 acceptance is stated in, per split.
SPLIT_ROWS = [
    ("factoid", "must_include"),
    ("overall", "gold_first"),
    ("overall", "abstained_unanswerable"),
    ("overall", "false_abstention"),
    ("factoid", "citation_precision"),
    ("synthesis", "citation_recall"),
    ("overall", "list_recall"),
    ("overall", "dangling_openers_total"),
    ("overall", "off_topic_citations"),
    ("factoid", "mrr"),
    ("synthesis", "recall@10"),
]


def _value(summary: dict, kind: str, metric: str) -> float | None:
    block = summary["overall"] if kind == "overall" else summary["by_kind"].get(kind, {})
    return block.get(metric)


def _fmt(value: float | None) -> str:
    if isinstance(value, int):
        return str(value)
    return "-" if value is None else f"{value:.3f}"


def _diff(value: float | None, base: float | None) -> str:
    if value is None or base is None:
        return "-"
    return f"{value - base:+d}" if isinstance(value, int) and isinstance(base, int) else f"{value - base:+.3f}"


def summary_table(result: EvalResult) -> str:
    names = list(result.runs)
    base = names[0]
    header = (
        "| kind | metric | "
        + " | ".join(names)
        + (" | " + " | ".join(f"{n} - {base}" for n in names[1:]) if len(names) > 1 else "")
    )
    lines = [header + " |", "|" + "---|" * (2 + len(names) + max(0, len(names) - 1))]
    rows = [*SUMMARY_ROWS, ("all", "abstention_accuracy"), ("all", "latency p50 ms"), ("all", "latency p95 ms")]
    for kind, metric in rows:
        values = []
        for name in names:
            summary = result.runs[name].summary
            if metric == "abstention_accuracy":
                values.append(summary["abstention_accuracy"])
            elif metric.startswith("latency"):
                values.append(summary["latency_ms"]["p50" if "p50" in metric else "p95"])
            else:
                values.append(_value(summary, kind, metric))
        diffs = [_diff(v, values[0]) for v in values[1:]]
        lines.append(
            f"| {kind} | {metric} | " + " | ".join(_fmt(v) for v in values) + "".join(f" | {d}" for d in diffs) + " |"
        )
    return "\n".join(lines)


def shape_table(result: EvalResult) -> str:
    """must_include per question shape, one column per run."""
    names = list(result.runs)
    first = result.runs[names[0]].summary["by_shape"]
    lines = [
        "| shape | n | " + " | ".join(f"{n} must_include" for n in names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    for shape in SHAPES:
        if not first.get(shape, {}).get("n"):
            continue
        values = [result.runs[n].summary["by_shape"][shape].get("must_include") for n in names]
        lines.append(f"| {shape} | {first[shape]['n']} | " + " | ".join(_fmt(v) for v in values) + " |")
    return "\n".join(lines)


def split_table(result: EvalResult) -> str:
    """The headline figures per split, one column per run and split."""
    columns = [(name, split) for name, run in result.runs.items() for split in run.summary.get("by_split", {})]
    if not columns:
        return "No question has a split."
    lines = [
        "| kind | metric | " + " | ".join(f"{name} {split}" for name, split in columns) + " |",
        "|---|---|" + "---|" * len(columns),
    ]
    for kind, metric in SPLIT_ROWS:
        values = [_value(result.runs[name].summary["by_split"][split], kind, metric) for name, split in columns]
        lines.append(f"| {kind} | {metric} | " + " | ".join(_fmt(v) for v in values) + " |")
    return "\n".join(lines)


def splits_covered(result: EvalResult) -> str:
    """One sentence naming the split(s) the questions come from."""
    questions = next(iter(result.runs.values())).questions
    counts = {split: sum(1 for q in questions if q.get("split") == split) for split in SPLITS}
    unsplit = sum(1 for q in questions if q.get("split") not in SPLITS)
    parts = [f"{split} ({n} questions)" for split, n in counts.items() if n]
    if unsplit:
        parts.append(f"no split ({unsplit} questions)")
    label = "Split" if len(parts) == 1 else "Splits"
    return f"{label}: {' and '.join(parts)}. Tune on dev only; test is reported, never tuned on."


def failures_section(result: EvalResult) -> str:
    parts = []
    for name, run in result.runs.items():
        failed = [q for q in run.questions if q["failures"]]
        parts.append(f"### {name}: {len(failed)} of {len(run.questions)} questions with a failed check\n")
        for q in failed:
            tag = f"{q['kind']}, {q.get('shape')}, {q.get('split') or 'no split'}"
            parts.append(f"- `{q['id']}` ({tag}) {q['question']}\n  - " + "; ".join(q["failures"]))
        parts.append("")
    return "\n".join(parts)


def write_plots(result: EvalResult, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")  # files only; no display on servers and CI
    import matplotlib.pyplot as plt

    files = []
    ks = [1, 5, 10, 20]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for axis, kind in zip(axes, ("factoid", "synthesis"), strict=True):
        for name, run in result.runs.items():
            block = run.summary["by_kind"].get(kind, {})
            axis.plot(ks, [block.get(f"recall@{k}") for k in ks], marker="o", label=name)
        axis.set(title=f"{kind}: recall of gold papers", xlabel="k", ylabel="recall@k", ylim=(0, 1.02), xticks=ks)
        axis.grid(alpha=0.3)
        axis.legend()
    fig.tight_layout()
    fig.savefig(out / "recall_at_k.png", dpi=110)
    plt.close(fig)
    files.append("recall_at_k.png")

    fig, axis = plt.subplots(figsize=(6, 4))
    for name, run in result.runs.items():
        latencies = [q["metrics"]["latency_ms"] for q in run.questions if q["metrics"]["latency_ms"] is not None]
        axis.hist(latencies, bins=30, alpha=0.5, label=name)
    axis.set(title="ask latency", xlabel="ms", ylabel="questions")
    axis.legend()
    fig.tight_layout()
    fig.savefig(out / "latency.png", dpi=110)
    plt.close(fig)
    files.append("latency.png")
    return files


def write_report(result: EvalResult, out_dir: str | Path, questions_file: str) -> Path:
    """Write report.md, results.json and plots into ``out_dir``; return the Markdown path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    plots = write_plots(result, out)
    counts = {kind: 0 for kind in KINDS}
    for q in next(iter(result.runs.values())).questions:
        counts[q["kind"]] += 1
    index = result.index
    lines = [
        "# Evaluation report",
        "",
        f"Questions: `{questions_file}` ({', '.join(f'{n} {k}' for k, n in counts.items())}). "
        f"Index: {index.papers} papers, {index.chunks} chunks, embeddings `{index.embedding_model}`.",
        "",
        splits_covered(result),
        "",
        "## Summary",
        "",
        summary_table(result),
        "",
        "## must_include per question shape",
        "",
        shape_table(result),
        "",
        "## By split",
        "",
        split_table(result),
        "",
        *[f"![{p}]({p})" for p in plots],
        "",
        "## Failed checks",
        "",
        failures_section(result),
    ]
    path = out / "report.md"
    path.write_text("\n".join(lines))
    return path
