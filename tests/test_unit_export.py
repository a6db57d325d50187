"""Answers taken away: Markdown, BibTeX-like entries, a conversation, links to the paper."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import rag
from rag.types import Answer, Citation, Hit


def _answer() -> Answer:
    galore = Hit(
        "galore",
        "GaLore: Memory-Efficient LLM Training by Gradient Low-Rank Projection",
        1.0,
        "text",
        n=1,
        authors="Jiawei Zhao, Zhenyu Zhang",
        year="2024",
        arxiv_id="2403.03507",
    )
    grok = Hit("grok", "Grokking at the <Edge> of Numerical Stability", 0.5, "text", n=2)
    other = Hit("other", "Not cited", 0.1, "text", n=3)
    return Answer(
        answer="**GaLore** [1]: we propose GaLore.\n\n**Grokking** [2]: softmax collapse <b>.",
        abstained=False,
        citations=[Citation(1, "galore", galore.title), Citation(2, "grok", grok.title)],
        sources=[galore, grok, other],
    )


def test_links_are_title_searches_plus_what_the_corpus_gave():
    hit = _answer().sources[0]
    links = rag.paper_links(hit)
    assert links["arxiv"] == "https://arxiv.org/abs/2403.03507"
    search = urlparse(links["arxiv_search"])
    assert search.netloc == "arxiv.org" and parse_qs(search.query)["query"] == [hit.title]
    hf = urlparse(links["hf_search"])
    assert hf.netloc == "huggingface.co" and hf.path == "/papers" and parse_qs(hf.query)["q"] == [hit.title]
    bare = rag.paper_links(_answer().sources[1])
    assert set(bare) == {"arxiv_search", "hf_search"}


def test_markdown_has_the_markers_and_a_reference_list_of_cited_papers_only():
    text = rag.answer_markdown(_answer(), "What is GaLore?")
    assert text.startswith("## What is GaLore?\n")
    assert "[1]" in text and "[2]" in text
    references = text.split("**References**")[1]
    assert "[1] GaLore: Memory-Efficient" in references and "Jiawei Zhao, Zhenyu Zhang, 2024" in references
    assert "<https://arxiv.org/abs/2403.03507>" in references
    assert "Not cited" not in text
    # Corpus text is text: no tags are added, and none are interpreted.
    assert not re.search(r"<(div|a|p|span)\b", text)


def test_bibtex_entries_for_the_cited_papers():
    entries = rag.answer_bibtex(_answer())
    assert entries.count("@misc{") == 2
    assert "@misc{zhao2024," in entries and "eprint = {2403.03507}" in entries
    assert "author = {Jiawei Zhao and Zhenyu Zhang}" in entries
    assert "title = {Grokking at the <Edge> of Numerical Stability}" in entries
    assert "Not cited" not in entries


def test_a_conversation_exports_every_turn():
    answer = _answer()
    text = rag.conversation_markdown([("What is GaLore?", answer), ("And grokking?", answer)])
    assert text.startswith("# Conversation")
    assert text.count("## ") == 2 and text.count("**References**") == 2


def test_summary_papers_get_the_same_links():
    from rag.types import SummaryPaper

    paper = SummaryPaper(1, "p", "Grokking at the Edge of Numerical Stability", "", "contribution", 0.9, "2501.04697")
    links = rag.paper_links(paper)
    assert links["arxiv"] == "https://arxiv.org/abs/2501.04697" and "hf_search" in links and "url" not in links
