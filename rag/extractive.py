"""The embedded default answerer: grounded, extractive answers with [n] citations.

No generative model is involved. The answer is made only of sentences copied from the
retrieved abstracts, each followed by the number of the paper it came from. When the
evidence is weak the answer abstains instead of quoting loosely related text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from rag.evidence import Evidence, ScoredSentence
from rag.prompts import NOT_IN_CORPUS
from rag.types import Answer, AnswerSentence, AskEvent, Citation, Notice, Theme

if TYPE_CHECKING:
    from rag.summary_select import Candidate


def abstention(evidence: Evidence) -> Answer:
    """No answer, no citations; the closest papers still come back as sources for the reader."""
    message = NOT_IN_CORPUS
    if evidence.unknown_names:
        names = ", ".join(repr(name) for name in evidence.unknown_names)
        message += f" None of them mentions {names}."
    return Answer(answer=message, abstained=True, citations=[], sources=evidence.sources())


def select_sentences(evidence: Evidence) -> list[ScoredSentence]:
    """The best sentences within relative_floor of the best, at most a few per paper, no near-repeats."""
    settings = evidence.settings
    chosen: list[ScoredSentence] = []
    per_paper: dict[str, int] = {}
    floor = evidence.strength * settings.relative_floor
    for candidate in evidence.scored:
        if len(chosen) == settings.max_answer_sentences or candidate.score < floor:
            break
        paper_id = candidate.sentence.paper_id
        if per_paper.get(paper_id, 0) >= settings.max_sentences_per_paper:
            continue
        if any(float(candidate.sentence.vector @ c.sentence.vector) > settings.redundancy_cosine for c in chosen):
            continue
        chosen.append(candidate)
        per_paper[paper_id] = per_paper.get(paper_id, 0) + 1
    return chosen


def extractive_answer(evidence: Evidence) -> Answer:
    """Quote the best sentences of the retrieved abstracts, or abstain."""
    if not evidence.answerable:
        return abstention(evidence)
    chosen = select_sentences(evidence)
    cited_order = list(dict.fromkeys(c.sentence.paper_id for c in chosen))
    sources = evidence.sources(cited_order)
    number_of = {s.paper_id: s.n for s in sources}

    # Read like a passage: papers in citation order, each paper's sentences in abstract order.
    ordered = sorted(chosen, key=lambda c: (cited_order.index(c.sentence.paper_id), c.sentence.position))
    answer_sentences = [
        AnswerSentence(
            text=c.sentence.text,
            citations=(number_of[c.sentence.paper_id],),
            support=1.0,
            supported=True,
            evidence=(c.sentence.text,),
        )
        for c in ordered
    ]
    paragraphs = []
    for paper_id in cited_order:
        n = number_of[paper_id]
        paragraphs.append(" ".join(f"{s.text} [{n}]" for s in answer_sentences if s.citations == (n,)))
    citations = [
        Citation(n=number_of[pid], paper_id=pid, title=sources[number_of[pid] - 1].title) for pid in cited_order
    ]
    return Answer(
        answer="\n\n".join(paragraphs),
        abstained=False,
        citations=citations,
        sources=sources,
        mode="extractive",
        sentences=answer_sentences,
    )


class ExtractiveAnswerer:
    """Quotes the abstracts. Needs no model beyond the embedder, so it is also every fallback."""

    mode = "extractive"

    def standalone_question(self, question: str, history: list[dict[str, str]]) -> tuple[str, list[Notice]]:
        return question, []

    def answer(self, evidence: Evidence, history: list[dict[str, str]], stream: bool) -> Iterator[AskEvent]:
        yield AskEvent("answer", answer=extractive_answer(evidence))

    def write_theme(
        self, topic: str, theme: Theme, members: list[Candidate], number: dict[str, int]
    ) -> tuple[Theme, list[Notice]]:
        """The theme as quoted by the summary builder: one representative sentence per paper."""
        return theme, []
