"""HTML for the chat UI: answers with linked citations, the sources panel, paper cards.

Every piece of corpus or model text goes through ``html.escape`` here, because abstracts
and LLM output are untrusted: an abstract containing ``<script>`` must show as text.
Markdown, BibTeX and links come from the library (``rag.answer_markdown``,
``rag.answer_bibtex``, ``rag.paper_links``); this module only lays them out.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence

from rag import (
    CITATION,
    Answer,
    AnswerSentence,
    Hit,
    IndexStatus,
    Paper,
    Summary,
    SummaryPaper,
    answer_bibtex,
    answer_markdown,
    conversation_markdown,
    paper_links,
)

# A content hash that corpus dumps carry in their file names ("003_1b9d150aae47bac4.txt").
_HASH_SUFFIX = re.compile(r"[_-][0-9a-f]{8,}(?=\.[A-Za-z0-9]+$|$)")
# How many words of a neighbouring sentence an evidence excerpt shows for context.
CONTEXT_WORDS = 12
LINK_LABELS = {"url": "paper", "arxiv": "arXiv", "arxiv_search": "arXiv search", "hf_search": "Hugging Face"}


def escape(text: str) -> str:
    return html.escape(text, quote=True)


def friendly_source(name: str) -> str:
    """A corpus file's name without the content hash dumps put in it: ``003_1b9d….txt`` → ``003.txt``."""
    return _HASH_SUFFIX.sub("", name)


def citation_link(n: int, target: str = "source", title: str = "") -> str:
    """``[n]`` linking to card n; hovering it shows the paper's title."""
    tip = escape(title) if title else f"Source [{n}]"
    return f'<a class="cite" href="#{target}-{n}" title="{tip}">[{n}]</a>'


def link_citations(escaped: str, titles: Mapping[int, str] | None = None) -> str:
    """Turn ``[1]`` / ``[1, 2]`` in already-escaped text into links to the source cards."""
    titles = titles or {}

    def replace(match: re.Match) -> str:
        return "".join(citation_link(int(n), title=titles.get(int(n), "")) for n in re.findall(r"\d+", match.group(1)))

    return CITATION.sub(replace, escaped)


def render_sentence(sentence: AnswerSentence, target: str = "source", titles: Mapping[int, str] | None = None) -> str:
    titles = titles or {}
    text = escape(CITATION.sub("", sentence.text).strip())
    cites = "".join(citation_link(n, target, titles.get(n, "")) for n in sentence.citations)
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


def _slug(text: str, fallback: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or fallback


def export_block(kind: str, text: str, filename: str) -> str:
    """Text for the copy and download actions, kept in the page but not shown (ui/assets/actions.js
    reads its textContent, so the escaped text comes back exactly)."""
    return f'<pre class="export export-{kind}" title="{escape(filename)}">{escape(text)}</pre>'


def _action(kind: str, label: str, tip: str) -> str:
    return f'<a class="action {kind}" href="#{kind}" title="{escape(tip)}">{label}</a>'


def _cited_titles(answer: Answer, titles: Mapping[int, str]) -> str:
    """The cited papers in one compact list under the answer: [n] title (year)."""
    if not answer.citations:
        return ""
    years = {s.n: s.year for s in answer.sources}
    items = "".join(
        f"<li>{citation_link(c.n, title=titles.get(c.n, c.title))} "
        f'<span class="ct-title">{escape(c.title)}</span>'
        + (f' <span class="ct-year">({escape(years[c.n])})</span>' if years.get(c.n) else "")
        + "</li>"
        for c in sorted(answer.citations, key=lambda c: c.n)
    )
    return f'<ol class="cited-titles" aria-label="Cited papers">{items}</ol>'


def render_answer(answer: Answer, retrieval_mode: str = "", question: str = "") -> str:
    """The assistant's chat message: the answer, or a visibly different abstention, then the cited
    titles and the copy and export actions (Markdown and BibTeX from the library)."""
    titles = {s.n: s.title for s in answer.sources}
    if answer.abstained:
        body = (
            '<div class="abstain"><div class="abstain-title">Not in the indexed papers</div>'
            f"<p>{escape(answer.answer)}</p>"
            '<p class="hint">The closest papers are listed under Sources; none of them is cited.</p></div>'
        )
    elif answer.sentences and answer.layout == "list":
        framing = escape(answer.answer.split("\n", 1)[0])
        items = "".join(f"<li>{_lead(s)}{render_sentence(s, titles=titles)}</li>" for s in answer.sentences)
        body = f'<p>{framing}</p><ul class="paper-list">{items}</ul>'
    elif answer.sentences:
        paragraphs = _paragraphs(answer.sentences)
        body = "".join(
            f"<p>{_lead(group[0])}{' '.join(render_sentence(s, titles=titles) for s in group)}</p>"
            for group in paragraphs
        )
    else:
        body = f"<p>{link_citations(escape(answer.answer), titles)}</p>"
    unsupported = sum(not s.supported for s in answer.sentences)
    parts = [body, _cited_titles(answer, titles)]
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
    parts.append(render_answer_actions(answer, question))
    return f'<div class="answer">{"".join(parts)}</div>'


def render_answer_actions(answer: Answer, question: str = "") -> str:
    """Copy as Markdown, download Markdown, download BibTeX-like entries of the cited papers."""
    name = _slug(question, "answer")
    actions = [
        _action("copy-md", "Copy Markdown", "Copy the answer with [n] and its references, as Markdown"),
        _action("download-md", "Export .md", "Download the answer and its references as Markdown"),
    ]
    exports = [export_block("md", answer_markdown(answer, question), f"{name}.md")]
    bibtex = answer_bibtex(answer)
    if bibtex:
        actions.append(_action("download-bib", "Export .bib", "Download BibTeX-like entries for the cited papers"))
        exports.append(export_block("bib", bibtex, f"{name}.bib"))
    return f'<div class="answer-actions">{"".join(actions)}</div>{"".join(exports)}'


def render_conversation_actions(exchanges: Sequence[tuple[str, Answer]]) -> str:
    """Copy or download the whole conversation as Markdown (empty before the first answer)."""
    if not exchanges:
        return ""
    markdown = conversation_markdown(list(exchanges))
    return (
        '<div class="conversation-actions"><span class="meta">Conversation:</span>'
        + _action("copy-conversation", "Copy as Markdown", "Copy every question and answer, with references")
        + _action("download-conversation", "Export .md", "Download every question and answer as Markdown")
        + export_block("conversation", markdown, "conversation.md")
        + "</div>"
    )


def render_error(error: Exception) -> str:
    return f'<div class="notice error">{escape(str(error))}</div>'


STAGE_LABELS = {"loading the index": "Loading the index…", "retrieving": "Retrieving…", "answering": "Answering…"}


def render_stage(stage: str) -> str:
    """What a slow request is doing (``AskEvent`` stages): loading the index, retrieving, answering."""
    label = STAGE_LABELS.get(stage, stage[:1].upper() + stage[1:] + "…")
    return (
        '<div class="answer streaming"><p class="stage" role="status">'
        f'<span class="spinner" aria-hidden="true"></span>{escape(label)}</p></div>'
    )


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


def render_paper_links(item: Hit | Paper | SummaryPaper) -> str:
    """The paper's own page when known, arXiv and Hugging Face title searches, and code links."""
    parts = [
        f'<a class="link-{kind.replace("_", "-")}" href="{escape(url)}" target="_blank" '
        f'rel="noopener noreferrer">{LINK_LABELS.get(kind, kind)} ↗</a>'
        for kind, url in paper_links(item).items()
        if url.startswith(("http://", "https://"))
    ]
    code = render_links(getattr(item, "links", ()))
    return f'<div class="paper-links">{" ".join(parts)}{" " + code if code else ""}</div>'


def _bibliographic(item: Hit | Paper, extra: Sequence[str] = ()) -> str:
    """Authors, year and the source file's friendly name, when known."""
    parts = [f'<span class="authors">{escape(item.authors)}</span>'] if item.authors else []
    if item.year:
        parts.append(f'<span class="year">{escape(item.year)}</span>')
    if item.source:
        parts.append(f'<span class="file" title="corpus file">{escape(friendly_source(item.source))}</span>')
    parts.extend(extra)
    return f'<div class="source-meta">{" · ".join(parts)}</div>'


def _sentence(text: str, evidence: set[str]) -> str:
    return f"<mark>{escape(text)}</mark>" if text in evidence else escape(text)


def _abstract(sentences: Sequence[str], evidence: set[str]) -> str:
    return " ".join(_sentence(s, evidence) for s in sentences)


def _words(text: str, count: int, tail: bool) -> str:
    words = text.split()
    if len(words) <= count:
        return escape(text)
    return "…" + escape(" ".join(words[-count:])) if tail else escape(" ".join(words[:count])) + "…"


def render_excerpt(sentences: Sequence[str], evidence: set[str]) -> str:
    """The highlighted sentences with a few words of the sentences around them for context; gaps
    are marked "…". Without highlighted sentences: the abstract's opening sentence."""
    marked = [i for i, s in enumerate(sentences) if s in evidence]
    if not marked:
        return escape(sentences[0]) if sentences else ""
    shown: dict[int, str] = {}
    for i in marked:
        shown[i] = _sentence(sentences[i], evidence)
        if i - 1 >= 0 and i - 1 not in marked:
            shown.setdefault(i - 1, _words(sentences[i - 1], CONTEXT_WORDS, tail=True))
        if i + 1 < len(sentences) and i + 1 not in marked:
            shown.setdefault(i + 1, _words(sentences[i + 1], CONTEXT_WORDS, tail=False))
    out, previous = [], -1
    for i in sorted(shown):
        # Sentences left out between two shown ones: one "…", unless a shortened one already has it.
        if previous >= 0 and i > previous + 1 and not (out[-1].endswith("…") or shown[i].startswith("…")):
            out.append('<span class="gap">…</span>')
        out.append(shown[i])
        previous = i
    return " ".join(out)


def render_source(source: Hit, cited: bool, evidence: set[str]) -> str:
    """A source card: title, authors and year, links, the evidence in context; the whole abstract on demand."""
    sentences = source.sentences or (source.text,)
    state = "cited" if cited else "retrieved"
    label = f'<span class="state">{"cited" if cited else "not cited"}</span>'
    return (
        f'<div class="source {state}" id="source-{source.n}">'
        f'<div class="source-head"><span class="badge">[{source.n}]</span>'
        f'<span class="title">{escape(source.title)}</span></div>'
        f"{_bibliographic(source, [label])}"
        f"{render_paper_links(source)}"
        f'<p class="excerpt">{render_excerpt(sentences, evidence)}</p>'
        f'<details class="full-abstract"><summary>Full abstract</summary>'
        f'<p class="abstract">{_abstract(sentences, evidence)}</p></details></div>'
    )


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


def _snippet(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[:chars].rsplit(" ", 1)[0] + " …"


def render_paper_list(items: Sequence[Hit | Paper], abstracts: Mapping[str, Paper] | None = None) -> str:
    """Browse rows: title, year and a snippet; a row opens in place to the whole abstract and links.

    ``items`` are search hits (their best passage is the snippet) or papers; ``abstracts`` gives
    the stored paper of a hit, for its whole abstract."""
    abstracts = abstracts or {}
    rows = []
    for item in items:
        paper = item if isinstance(item, Paper) else abstracts.get(item.paper_id)
        text = item.text if isinstance(item, Hit) else item.abstract
        full = paper.abstract if paper else item.text
        year = f' <span class="year">{escape(item.year)}</span>' if item.year else ""
        rows.append(
            f'<li><details class="paper-row"><summary><span class="title">{escape(item.title)}</span>{year}'
            f'<span class="snippet">{escape(_snippet(text, 240))}</span></summary>'
            f'<div class="paper-body">{_bibliographic(paper or item)}{render_paper_links(paper or item)}'
            f'<p class="abstract">{escape(full)}</p></div></details></li>'
        )
    return f'<ol class="paper-rows">{"".join(rows)}</ol>'


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
    titles = {paper.n: paper.title for paper in summary.papers}
    parts = [f'<div class="summary"><p class="meta">{escape(summary.scope)} · {summary.mode} summary</p>']
    if summary.notice:
        parts.append(f'<div class="notice">{escape(summary.notice)}</div>')
    for theme in summary.themes:
        body = "; ".join(_lead(s) + render_sentence(s, target="ref", titles=titles) for s in theme.sentences)
        parts.append(f'<h3 class="theme">{escape(theme.name)}</h3><p>{body}</p>')
    parts.append('<h3>Papers</h3><ol class="papers">')
    for paper in summary.papers:
        link = render_paper_links(paper)
        parts.append(
            f'<li class="source" id="ref-{paper.n}"><div class="source-head"><span class="badge">[{paper.n}]</span>'
            f'<span class="title">{escape(paper.title)}</span></div>'
            f'<div class="source-meta">relevance {paper.relevance:.2f} {link}</div>'
            f'<p class="abstract">{escape(paper.contribution)}</p></li>'
        )
    parts.append("</ol></div>")
    return "".join(parts)
