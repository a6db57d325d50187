"""HTML for the chat UI: answers with linked citations, the sources panel, paper cards.

Every piece of corpus or model text goes through ``html.escape`` here, because abstracts
and LLM output are untrusted: an abstract containing ``<script>`` must show as text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from rag import CITATION, Answer, AnswerSentence, Hit, IndexStatus, Paper, Summary


def escape(text: str) -> str:
    return html.escape(text, quote=True)


def citation_link(n: int, target: str = "source") -> str:
    return f'<a class="cite" href="#{target}-{n}" title="Show source [{n}]">[{n}]</a>'


def link_citations(escaped: str) -> str:
    """Turn ``[1]`` / ``[1, 2]`` in already-escaped text into links to the source cards."""

    def replace(match: re.Match) -> str:
        return "".join(citation_link(int(n)) for n in re.findall(r"\d+", match.group(1)))

    return CITATION.sub(replace, escaped)


def render_sentence(sentence: AnswerSentence, target: str = "source") -> str:
    text = escape(CITATION.sub("", sentence.text).strip())
    cites = "".join(citation_link(n, target) for n in sentence.citations)
    if sentence.supported:
        return f"{text} {cites}"
    why = "not supported by the cited sources" if sentence.citations else "no citation"
    return (
        f'<span class="unsupported" title="Verification: {why} (support {sentence.support:.2f})">{text} {cites}'
        f'<span class="flag">⚠ unsupported</span></span>'
    )


def _lead(sentence: AnswerSentence) -> str:
    """The paper's short name before its quotes: connective text written by the code, not a claim."""
    return f'<strong class="lead">{escape(sentence.lead)}</strong>: ' if sentence.lead else ""


def _paragraphs(sentences: Sequence[AnswerSentence]) -> list[list[AnswerSentence]]:
    """Consecutive sentences citing the same papers read as one paragraph."""
    groups: list[list[AnswerSentence]] = []
    for sentence in sentences:
        if groups and groups[-1][-1].citations == sentence.citations:
            groups[-1].append(sentence)
        else:
            groups.append([sentence])
    return groups


def render_answer(answer: Answer, retrieval_mode: str = "") -> str:
    """The assistant's chat message: the answer, or a visibly different abstention."""
    if answer.abstained:
        body = (
            '<div class="abstain"><div class="abstain-title">Not in the indexed papers</div>'
            f"<p>{escape(answer.answer)}</p>"
            '<p class="hint">The closest papers are listed under Sources; none of them is cited.</p></div>'
        )
    elif answer.sentences and answer.layout == "list":
        framing = escape(answer.answer.split("\n", 1)[0])
        items = "".join(f"<li>{_lead(s)}{render_sentence(s)}</li>" for s in answer.sentences)
        body = f'<p>{framing}</p><ul class="paper-list">{items}</ul>'
    elif answer.sentences:
        paragraphs = _paragraphs(answer.sentences)
        body = "".join(f"<p>{_lead(group[0])}{' '.join(render_sentence(s) for s in group)}</p>" for group in paragraphs)
    else:
        body = f"<p>{link_citations(escape(answer.answer))}</p>"
    unsupported = sum(not s.supported for s in answer.sentences)
    parts = [body]
    if unsupported:
        parts.append(
            f'<div class="notice">{unsupported} sentence(s) could not be matched to the cited abstracts; '
            "they are marked ⚠. Check them against the sources.</div>"
        )
    if answer.notice:
        parts.append(f'<div class="notice">{escape(answer.notice)}</div>')
    total = answer.timings_ms.get("total")
    meta = f"{answer.mode} answer"
    meta += f" · {escape(retrieval_mode)} retrieval" if retrieval_mode else ""
    meta += f" · {total:.0f} ms" if total is not None else ""
    if answer.standalone_question:
        meta += f" · searched for: {escape(answer.standalone_question)}"
    parts.append(f'<div class="meta">{meta}</div>')
    return f'<div class="answer">{"".join(parts)}</div>'


def render_error(error: Exception) -> str:
    return f'<div class="notice error">{escape(str(error))}</div>'


def render_pending(text: str) -> str:
    """A streaming LLM answer before verification: escaped, citations linked, marked as unchecked."""
    return f'<div class="answer streaming"><p>{link_citations(escape(text))}</p><div class="meta">writing…</div></div>'


def render_links(links: Sequence[str], label: str = "code") -> str:
    """External links (http/https only: a javascript: URL in an abstract stays text)."""
    return " ".join(
        f'<a class="code" href="{escape(link)}" target="_blank" rel="noopener noreferrer">{label} ↗</a>'
        for link in links
        if link.startswith(("http://", "https://"))
    )


def _abstract(sentences: Sequence[str], evidence: set[str]) -> str:
    return " ".join(f"<mark>{escape(s)}</mark>" if s in evidence else escape(s) for s in sentences)


def render_source(source: Hit, cited: bool, evidence: set[str]) -> str:
    sentences = source.sentences or (source.text,)
    state = "cited" if cited else "retrieved"
    label = "cited" if cited else "not cited"
    return (
        f'<div class="source {state}" id="source-{source.n}">'
        f'<div class="source-head"><span class="badge">[{source.n}]</span>'
        f'<span class="title">{escape(source.title)}</span></div>'
        f'<div class="source-meta"><span class="file">{escape(source.source)}</span> · {label} '
        f"{render_links(source.links)}</div>"
        f"{_abstract_block(sentences, evidence, expanded=cited)}</div>"
    )


def _abstract_block(sentences: Sequence[str], evidence: set[str], expanded: bool) -> str:
    """Cited papers show the whole abstract; the others fold it away so the panel stays scannable."""
    text = f'<p class="abstract">{_abstract(sentences, evidence)}</p>'
    return text if expanded else f"<details><summary>Abstract</summary>{text}</details>"


def render_sources(answer: Answer | None) -> str:
    """Cited papers first with their evidence sentences highlighted, then the other retrieved ones."""
    if answer is None:
        return (
            '<div class="sources empty"><h3>Sources</h3><p>Ask a question: the papers behind the answer appear '
            "here, with the quoted sentences highlighted.</p></div>"
        )
    cited = {c.n for c in answer.citations}
    evidence = {text for sentence in answer.sentences for text in sentence.evidence}
    heading = "Closest papers (none answers the question)" if answer.abstained else "Sources"
    cards = "".join(render_source(s, s.n in cited, evidence) for s in answer.sources)
    return f'<div class="sources"><h3>{heading}</h3>{cards}</div>'


def render_paper(paper: Paper) -> str:
    """A paper from the browse tab, abstract in full."""
    url = render_links([paper.url], label="paper")
    return (
        f'<div class="source paper"><div class="source-head"><span class="title">{escape(paper.title)}</span></div>'
        f'<div class="source-meta"><span class="file">{escape(paper.source)}</span> {url} {render_links(paper.links)}'
        f'</div><p class="abstract">{escape(paper.abstract)}</p></div>'
    )


def paper_rows(items: Sequence[Hit] | Sequence[Paper], snippet_chars: int = 220) -> list[list[str]]:
    """Rows for the browse table. Dataframe cells are text, which Gradio displays escaped."""
    rows = []
    for item in items:
        text = item.text if isinstance(item, Hit) else item.abstract
        snippet = text if len(text) <= snippet_chars else text[:snippet_chars].rsplit(" ", 1)[0] + " …"
        rows.append([item.title, item.source, snippet])
    return rows


def render_status(stats: IndexStatus, llm: str) -> str:
    rows = [
        ("Papers", stats.papers),
        ("Chunks", stats.chunks),
        ("Abstract sentences", stats.sentences),
        ("Embedding model", f"{stats.embedding_model} ({stats.embedding_dim} dimensions)"),
        ("Store", f"{stats.store} (collection {stats.collection})"),
        ("Last ingest", stats.last_ingest or "never"),
        ("Answer LLM", llm),
    ]
    body = "".join(f"<tr><th>{escape(name)}</th><td>{escape(str(value))}</td></tr>" for name, value in rows)
    return f'<table class="status">{body}</table>'


def render_summary(summary: Summary) -> str:
    """A subfield summary: themes with cited paragraphs, then the papers, each [n] linked to its entry."""
    if not summary.covered:
        return (
            '<div class="summary"><div class="abstain"><div class="abstain-title">Not covered by the indexed papers'
            f"</div><p>{escape(summary.scope)}</p></div></div>"
        )
    parts = [f'<div class="summary"><p class="meta">{escape(summary.scope)} · {summary.mode} summary</p>']
    if summary.notice:
        parts.append(f'<div class="notice">{escape(summary.notice)}</div>')
    for theme in summary.themes:
        body = "; ".join(_lead(s) + render_sentence(s, target="ref") for s in theme.sentences)
        parts.append(f'<h3 class="theme">{escape(theme.name)}</h3><p>{body}</p>')
    parts.append('<h3>Papers</h3><ol class="papers">')
    for paper in summary.papers:
        link = render_links([paper.url], label="link")
        parts.append(
            f'<li class="source" id="ref-{paper.n}"><div class="source-head"><span class="badge">[{paper.n}]</span>'
            f'<span class="title">{escape(paper.title)}</span></div>'
            f'<div class="source-meta">relevance {paper.relevance:.2f} {link}</div>'
            f'<p class="abstract">{escape(paper.contribution)}</p></li>'
        )
    parts.append("</ol></div>")
    return "".join(parts)
