"""Unit tests for the UI's HTML (ui/render.py): corpus and model text is escaped, citations link to cards."""

from __future__ import annotations

import re

from rag.prompts import NOT_IN_CORPUS
from rag.types import Answer, AnswerSentence, Citation, Hit, Notice, Summary, SummaryPaper, Theme
from ui.render import link_citations, render_answer, render_links, render_pending, render_sources, render_summary

SCRIPT = "<script>alert('x')</script>"
ESCAPED = "&lt;script&gt;"


def evil_hit(n: int) -> Hit:
    sentences = (f"First claim {SCRIPT}.", f'Second claim <img src=x onerror="alert({n})">.')
    return Hit(
        paper_id=f"paper-{n}",
        title=f"Paper {n} {SCRIPT}",
        score=0.5,
        text=" ".join(sentences),
        source=f"evil<b>{n}</b>.jsonl",
        links=("javascript:alert(1)", f"https://example.org/{n}?a=1&b=2"),
        n=n,
        sentences=sentences,
    )


def answer_citing(first: int = 1) -> Answer:
    sources = [evil_hit(1), evil_hit(2), evil_hit(3)]
    sentences = [
        AnswerSentence(f"First claim {SCRIPT}.", (first,), 1.0, True, (f"First claim {SCRIPT}.",)),
        AnswerSentence("An invented claim.", (2,), 0.2, False),
    ]
    return Answer(
        answer=" ".join(s.cited_text for s in sentences),
        abstained=False,
        citations=[
            Citation(first, f"paper-{first}", sources[first - 1].title),
            Citation(2, "paper-2", sources[1].title),
        ],
        sources=sources,
        mode="llm",
        sentences=sentences,
        notices=[Notice("invalid_citations", f"removed [9] {SCRIPT}")],
        standalone_question=f"what about {SCRIPT}?",
    )


def assert_no_live_markup(html: str) -> None:
    assert "<script" not in html.lower() and "<img" not in html.lower() and "<b>" not in html
    assert 'href="javascript:' not in html


def test_answer_escapes_model_text_and_links_each_citation_to_its_card():
    html = render_answer(answer_citing(), retrieval_mode="hybrid")
    assert_no_live_markup(html)
    assert ESCAPED in html
    links = re.findall(r'<a class="cite" href="#source-(\d+)"', html)
    assert sorted(set(map(int, links))) == [1, 2]
    assert "unsupported" in html  # the invented claim is flagged
    assert "searched for: what about &lt;script&gt;" in html


def test_sources_escape_titles_abstracts_and_files_and_mark_cited_cards():
    answer = answer_citing()
    html = render_sources(answer)
    assert_no_live_markup(html)
    assert html.count(f"Paper 1 {ESCAPED}") == 1 and "evil&lt;b&gt;1&lt;/b&gt;.jsonl" in html
    # Every [n] link of the answer has a card with that id.
    card_ids = set(re.findall(r'id="source-(\d+)"', html))
    assert card_ids == {"1", "2", "3"}
    assert {str(c.n) for c in answer.citations} <= card_ids
    cited_cards = re.findall(r'<div class="source (cited|retrieved)" id="source-(\d+)"', html)
    assert dict((n, state) for state, n in cited_cards) == {"1": "cited", "2": "cited", "3": "retrieved"}
    # The quoted evidence is highlighted, escaped.
    assert f"<mark>First claim {ESCAPED}" in html
    # Only http(s) links become anchors, with their query string escaped.
    assert 'href="https://example.org/1?a=1&amp;b=2"' in html


def test_abstention_renders_as_not_in_the_indexed_papers_without_citation_links():
    answer = Answer(
        answer=f"{NOT_IN_CORPUS} None of them mentions '<b>AlphaFold</b>'.",
        abstained=True,
        citations=[],
        sources=[evil_hit(1)],
    )
    html = render_answer(answer)
    assert "Not in the indexed papers" in html
    assert 'class="cite"' not in html and "&lt;b&gt;AlphaFold&lt;/b&gt;" in html
    sources = render_sources(answer)
    assert "none answers the question" in sources and 'class="source cited"' not in sources
    assert_no_live_markup(html + sources)


def test_plain_and_streaming_text_link_citation_lists():
    assert re.findall(r'href="#source-(\d+)"', link_citations("claim [1, 3] and [2]")) == ["1", "3", "2"]
    pending = render_pending(f"GaLore saves memory {SCRIPT} [2][4]")
    assert_no_live_markup(pending)
    assert re.findall(r'href="#source-(\d+)"', pending) == ["2", "4"]
    assert render_links(["javascript:alert(1)", "ftp://x"]) == ""


def test_summary_escapes_theme_names_and_links_to_the_paper_list():
    sentence = AnswerSentence(f"Low-rank {SCRIPT} training.", (1,), 1.0, True)
    summary = Summary(
        topic=f"low-rank {SCRIPT}",
        covered=True,
        papers_considered=3,
        themes=[Theme(name=f"Theme {SCRIPT}", papers=[1], sentences=[sentence])],
        papers=[SummaryPaper(1, "p1", f"Title {SCRIPT}", "javascript:alert(1)", f"Contribution {SCRIPT}", 0.9)],
    )
    html = render_summary(summary)
    assert_no_live_markup(html)
    assert f"Theme {ESCAPED}" in html and f"Title {ESCAPED}" in html
    assert re.findall(r'href="#ref-(\d+)"', html) == ["1"] and 'id="ref-1"' in html
    uncovered = render_summary(Summary(topic=f"protein {SCRIPT}", covered=False, papers_considered=4))
    assert "Not covered" in uncovered and 'class="cite"' not in uncovered
    assert_no_live_markup(uncovered)
