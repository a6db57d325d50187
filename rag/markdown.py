"""Markdown for results people take away: subfield summaries."""

from __future__ import annotations

from rag.types import Summary


def summary_markdown(summary: Summary) -> str:
    lines = [f"# {summary.topic}: what the indexed papers say", "", f"_{summary.scope}_", ""]
    if not summary.covered:
        return "\n".join([*lines, "The indexed papers do not cover this topic; nothing is summarized."]) + "\n"
    if summary.notices:
        lines += [f"> {summary.notice}", ""]
    for theme in summary.themes:
        lines += [f"## {theme.name}", ""]
        if all(s.lead for s in theme.sentences):
            lines.append(theme.text)
        else:
            lines += [s.cited_text + ("" if s.supported else " ⚠ _unsupported_") for s in theme.sentences]
        lines.append("")
    lines += ["## Papers", "", *(f"- [{p.n}] **{p.title}**: {p.contribution}" for p in summary.papers)]
    lines += ["", "## References", ""]
    lines += [f"[{p.n}] {p.title}" + (f". <{p.url}>" if p.url else "") for p in summary.papers]
    return "\n".join(lines) + "\n"
