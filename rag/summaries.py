"""Cited summaries of a subfield: a small literature review built from the indexed abstracts.

1. Retrieve broadly (tens of papers) with the hybrid retriever.
2. Keep the papers that are on topic (:mod:`rag.summary_select`).
3. Group them into themes and name each (:mod:`rag.summary_themes`).
4. Per theme, quote each paper's most representative sentence (:mod:`rag.summary_write`);
   the answerer may then rewrite the theme (an LLM), with every citation checked.
"""

from __future__ import annotations

import time

import numpy as np

from rag.answerers import Answerer
from rag.config import Settings
from rag.engine import Engine
from rag.summary_select import is_covered, on_topic, score_candidates, topic_phrase
from rag.summary_themes import cluster, name_theme, paper_vector, theme_count
from rag.summary_write import contribution, representative_sentences
from rag.text import topic_terms
from rag.types import Paper, Summary, SummaryPaper, Theme


def build_summary(engine: Engine, topic: str, answerer: Answerer, settings: Settings) -> Summary:
    """A cited, themed summary of what the indexed papers say about ``topic``.

    ``settings`` may differ from the engine's in summary limits (a request's max_papers)."""
    started = time.perf_counter()
    snapshot, retriever = engine.view()
    candidates_k = settings.summary.summary_candidates
    retrieval = retriever.retrieve(topic, k=candidates_k, mode="hybrid", candidates=candidates_k)
    terms = topic_terms(topic)
    lexical_weight = settings.answer.lexical_weight
    evidence = snapshot.sentences_for([h.paper_id for h in retrieval.hits])
    candidates = score_candidates(retrieval.hits, evidence, terms, retrieval.query_vector, snapshot.idf, lexical_weight)
    kept = on_topic(candidates, settings, topic_phrase(topic, *snapshot.idf))
    summary = Summary(topic=topic, covered=is_covered(kept, settings), papers_considered=len(candidates))
    if not summary.covered:
        summary.timings_ms = {"total": (time.perf_counter() - started) * 1000}
        return summary
    selected = time.perf_counter()

    vectors = np.array([paper_vector(c) for c in kept])
    groups = cluster(vectors, theme_count(len(kept), settings.summary.max_themes))
    # Themes and papers in order of relevance: the theme holding the best paper comes first.
    groups = [sorted(g) for g in sorted(groups, key=min)]
    order = [kept[i] for group in groups for i in group]
    number = {c.paper_id: n for n, c in enumerate(order, start=1)}
    idf, unseen = snapshot.idf

    for group in groups:
        members = [kept[i] for i in group]
        others = [c for c in kept if c not in members]
        quoted = Theme(
            name=name_theme(members, others, terms, idf, unseen),
            papers=[number[c.paper_id] for c in members],
            sentences=representative_sentences(
                members, number, terms, retrieval.query_vector, settings.summary, lexical_weight
            ),
        )
        theme, notices = answerer.write_theme(topic, quoted, members, number)
        summary.themes.append(theme)
        summary.notices.extend(notices)

    stored = {p.paper_id: p for p in snapshot.store.papers([c.paper_id for c in order])}
    summary.papers = [
        SummaryPaper(
            n=number[c.paper_id],
            paper_id=c.paper_id,
            title=c.title,
            url=_url(stored.get(c.paper_id)),
            contribution=contribution(c, terms, retrieval.query_vector, settings.summary, lexical_weight),
            relevance=c.relevance,
            arxiv_id=stored[c.paper_id].arxiv_id if c.paper_id in stored else "",
        )
        for c in order
    ]
    fell_back = sum(1 for n in summary.notices if n.fallback)
    summary.mode = answerer.mode if fell_back < len(summary.themes) else "extractive"
    done = time.perf_counter()
    summary.timings_ms = {
        "select": (selected - started) * 1000,
        "write": (done - selected) * 1000,
        "total": (done - started) * 1000,
    }
    return summary


def _url(paper: Paper | None) -> str:
    if paper is None:
        return ""
    return paper.url or next(iter(paper.links), "")
