"""Cited summaries of a subfield: a small literature review built from the indexed abstracts.

1. Retrieve broadly (tens of papers) with the hybrid retriever.
2. Keep the papers that are on topic: they contain a good share of the topic's words
   (weighted by how rare each word is in the corpus) and their best sentence matches the
   topic nearly as well as the best paper's does. If no paper contains most of the topic's
   words or matches it strongly, the topic is "not covered".
3. Group the kept papers into themes by agglomerative clustering of their mean sentence
   embeddings; name each theme by the words its papers share and other themes' do not.
4. Per theme, either quote each paper's most representative sentence (extractive, default)
   or let the LLM write a paragraph, then check every citation as chat answers are.
"""

from __future__ import annotations

import math
import re
import threading
import time
import weakref
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from rag.answering import content_terms, sentence_score
from rag.citations import check_answer
from rag.config import Settings
from rag.errors import LLMError
from rag.prompts import summary_messages
from rag.store import StoredSentence
from rag.types import AnswerSentence, Paper, Source

# A paper is on topic when it holds at least this share of the topic's words (IDF-weighted)...
MIN_COVERAGE = 0.35
# ...and its best sentence scores at least this fraction of the best paper's; or it holds
# (nearly) all of the topic's words, whatever its sentences score.
RELATIVE_SCORE = 0.75
FULL_COVERAGE = 0.9
# The topic is covered only if some paper contains most of its words, or matches it very
# well (questions have filler words no paper holds all of). "protein folding" retrieves a
# protein language-model paper (0.57, half the words): none mentions folding.
COVERED_MIN_COVERAGE = 0.7
COVERED_STRONG_MATCH = 0.75
# Sentences this similar to one already quoted add nothing.
REDUNDANT_COSINE = 0.9
MAX_SENTENCES_PER_THEME = 6
# Words that make a question a question, not a topic ("What approaches exist for ...").
QUESTION_WORDS = frozenset(
    "what which how why when who does do did is are can could should exist existing approach approaches "
    "method methods paper papers work works say says about summarize summarise overview explain explains "
    "one several made make used use such way ways various different kind kinds type types".split()
)
CONTRIBUTION = re.compile(
    r"\b(we (propose|introduce|present|develop|show|find|demonstrate)|this (paper|work)|in this (paper|work)|our)\b",
    re.IGNORECASE,
)
PROPOSAL = re.compile(r"\b(we|and) (propose|introduce|present|develop)\b", re.IGNORECASE)
# "we propose to address these limitations": a claim that needs the sentence before it,
# unless it goes on to say what ("..., we propose LoQT, a method for ...").
VAGUE = re.compile(r"\b(these|this|such) (two |three )?(limitations?|challenges?|problems?|issues?|gaps?)\b", re.I)
VAGUE_MIN_WORDS = 12
WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-]*[A-Za-z0-9]")
# Words that name no subject: NLTK's English stopwords (shipped inside llama-index, so no
# download) and the filler of paper titles and abstracts ("Towards ... via ...").
NAME_FILLER_WORDS = (
    "towards via using based novel new simple efficient effective improving improved toward beyond approach "
    "framework method methods study analysis learning model models network networks neural deep large scale "
    "time application applications exploring show shows results result performance task tasks propose proposed "
    "achieve achieves significantly existing recent furthermore however also well first second able across"
)


@lru_cache(maxsize=1)
def name_filler() -> frozenset[str]:
    from llama_index.core.utils import globals_helper

    return frozenset(content_terms(" ".join([NAME_FILLER_WORDS, *globals_helper.stopwords])))


# Sentences shorter than this are usually splitting debris ("Training in low rank, i.e.").
MIN_SENTENCE_WORDS = 8
# What a paper did, not the background it starts from, makes the better summary sentence.
CONTRIBUTION_BONUS = 0.2


@dataclass(frozen=True)
class SummaryPaper:
    n: int
    paper_id: str
    title: str
    url: str
    contribution: str
    relevance: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "paper_id": self.paper_id,
            "title": self.title,
            "url": self.url,
            "contribution": self.contribution,
            "relevance": round(self.relevance, 4),
        }


@dataclass
class Theme:
    name: str
    papers: list[int]
    sentences: list[AnswerSentence]

    @property
    def text(self) -> str:
        return " ".join(s.cited_text for s in self.sentences)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "text": self.text,
            "papers": self.papers,
            "sentences": [s.to_dict() for s in self.sentences],
        }


@dataclass
class Summary:
    topic: str
    covered: bool
    papers_considered: int
    themes: list[Theme] = field(default_factory=list)
    papers: list[SummaryPaper] = field(default_factory=list)
    mode: str = "extractive"
    notice: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def scope(self) -> str:
        if not self.covered:
            return f"The indexed papers do not cover “{self.topic}” ({self.papers_considered} papers considered)."
        return (
            f"{len(self.papers)} of {self.papers_considered} retrieved papers are on “{self.topic}”, "
            f"in {len(self.themes)} theme{'s' if len(self.themes) != 1 else ''}."
        )

    def bibliography(self) -> list[dict[str, Any]]:
        return [{"n": p.n, "paper_id": p.paper_id, "title": p.title, "url": p.url} for p in self.papers]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "topic": self.topic,
            "covered": self.covered,
            "scope": self.scope,
            "papers_considered": self.papers_considered,
            "papers_kept": len(self.papers),
            "mode": self.mode,
            "themes": [t.to_dict() for t in self.themes],
            "papers": [p.to_dict() for p in self.papers],
            "bibliography": self.bibliography(),
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }
        if self.notice:
            data["notice"] = self.notice
        return data

    def to_markdown(self) -> str:
        lines = [f"# {self.topic}: what the indexed papers say", "", f"_{self.scope}_", ""]
        if not self.covered:
            lines.append("The indexed papers do not cover this topic; nothing is summarized.")
            return "\n".join(lines) + "\n"
        if self.notice:
            lines += [f"> {self.notice}", ""]
        for theme in self.themes:
            lines += [f"## {theme.name}", ""]
            for sentence in theme.sentences:
                mark = "" if sentence.supported else " ⚠ _unsupported_"
                lines.append(sentence.cited_text + mark)
            lines.append("")
        lines += ["## Papers", ""]
        lines += [f"- [{p.n}] **{p.title}**: {p.contribution}" for p in self.papers]
        lines += ["", "## References", ""]
        lines += [f"[{p.n}] {p.title}" + (f". <{p.url}>" if p.url else "") for p in self.papers]
        return "\n".join(lines) + "\n"


# --- on-topic filter ----------------------------------------------------------------------------
# Per retriever object: ingest replaces the engine's retriever, so a new index gets new counts.
_idf_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_idf_lock = threading.Lock()


def corpus_idf(engine) -> tuple[dict[str, float], float]:
    """IDF of every stemmed word over the indexed papers (and the IDF of an unseen word)."""
    retriever = engine.retriever
    with _idf_lock:
        if retriever not in _idf_cache:
            papers = engine.store.papers()
            frequency = Counter(term for p in papers for term in content_terms(f"{p.title} {p.abstract}"))
            count = len(papers)
            idf = {term: math.log((count + 1) / (df + 1)) + 1 for term, df in frequency.items()}
            _idf_cache[retriever] = (idf, math.log(count + 1) + 1)
        return _idf_cache[retriever]


def topic_terms(topic: str) -> set[str]:
    words = [w for w in re.findall(r"[A-Za-z0-9]+", topic) if w.lower() not in QUESTION_WORDS]
    return content_terms(" ".join(words)) or content_terms(topic)


def coverage(terms: set[str], paper_terms: set[str], idf: dict[str, float], unseen: float) -> float:
    """Share of the topic's words in the paper, each weighted by its rarity in the corpus."""
    weights = {t: idf.get(t, unseen) for t in terms}
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in paper_terms) / total if total else 0.0


@dataclass
class Candidate:
    paper_id: str
    title: str
    sentences: list[StoredSentence]
    coverage: float
    relevance: float  # sentence_score of its best sentence
    best: StoredSentence


def score_candidates(engine, topic: str, hits, query_vector: np.ndarray) -> list[Candidate]:
    idf, unseen = corpus_idf(engine)
    terms = topic_terms(topic)
    evidence = engine.store.sentences_for([h.paper_id for h in hits])
    candidates = []
    for hit in hits:
        sentences = evidence.get(hit.paper_id, [])
        if not sentences:
            continue
        scores = [sentence_score(s, terms, query_vector) for s in sentences]
        paper_terms = content_terms(hit.title + " " + " ".join(s.text for s in sentences))
        best = int(np.argmax(scores))
        candidates.append(
            Candidate(
                hit.paper_id,
                hit.title,
                sentences,
                coverage(terms, paper_terms, idf, unseen),
                scores[best],
                sentences[best],
            )
        )
    return sorted(candidates, key=lambda c: -c.relevance)


def on_topic(candidates: list[Candidate], settings: Settings) -> list[Candidate]:
    if not candidates:
        return []
    top = candidates[0].relevance
    kept = [
        c
        for c in candidates
        if c.relevance >= settings.abstain_threshold
        and (c.coverage >= FULL_COVERAGE or (c.coverage >= MIN_COVERAGE and c.relevance >= RELATIVE_SCORE * top))
    ]
    return kept[: settings.summary_max_papers]


def is_covered(kept: list[Candidate], settings: Settings) -> bool:
    if not kept or kept[0].relevance < settings.abstain_threshold:
        return False
    return kept[0].relevance >= COVERED_STRONG_MATCH or max(c.coverage for c in kept) >= COVERED_MIN_COVERAGE


# --- themes -------------------------------------------------------------------------------------
def paper_vector(candidate: Candidate) -> np.ndarray:
    vector = np.mean([s.vector for s in candidate.sentences], axis=0)
    return vector / (np.linalg.norm(vector) or 1.0)


def theme_count(papers: int) -> int:
    """sqrt(n/2) rounded: one theme up to 4 papers, two up to 12, three up to 24, at most 5."""
    return max(1, min(5, round(math.sqrt(papers / 2))))


def cluster(vectors: np.ndarray, groups: int) -> list[list[int]]:
    """Average-linkage agglomerative clustering on cosine similarity, down to ``groups`` clusters."""
    clusters = [[i] for i in range(len(vectors))]
    similarity = vectors @ vectors.T
    while len(clusters) > groups:
        best, pair = -2.0, (0, 1)
        for a in range(len(clusters)):
            for b in range(a + 1, len(clusters)):
                linkage = float(similarity[np.ix_(clusters[a], clusters[b])].mean())
                if linkage > best:
                    best, pair = linkage, (a, b)
        a, b = pair
        clusters[a] = clusters[a] + clusters.pop(b)
    return clusters


def _surface_forms(texts: list[str]) -> dict[str, Counter]:
    """Stem -> how often each spelling occurs, so a theme is named in real words, not stems."""
    forms: dict[str, Counter] = {}
    for text in texts:
        for word in WORD.findall(text):
            stems = content_terms(word)
            if len(stems) == 1:
                forms.setdefault(next(iter(stems)), Counter())[word] += 1
    return forms


def _distinctive_words(
    member_texts: list[str], other_texts: list[str], exclude: set[str], idf: dict[str, float], unseen: float
) -> list[str]:
    """Words most of the theme's texts use and the other themes' do not, rare words first."""
    inside = Counter(t for text in member_texts for t in content_terms(text))
    outside = Counter(t for text in other_texts for t in content_terms(text))
    needed = min(2, len(member_texts))

    def distinctive(term: str) -> float:
        share = inside[term] / len(member_texts) - (outside[term] / len(other_texts) if other_texts else 0.0)
        return share * idf.get(term, unseen)

    ranked = sorted(
        (t for t in inside if t not in exclude and inside[t] >= needed and len(t) > 2 and not t.isdigit()),
        key=lambda t: (-distinctive(t), t),
    )
    forms = _surface_forms(member_texts)
    return [forms[t].most_common(1)[0][0] for t in ranked if t in forms and distinctive(t) > 0]


def name_theme(
    members: list[Candidate], others: list[Candidate], terms: set[str], idf: dict[str, float], unseen: float
) -> str:
    """Three words that set the theme apart: from its titles if they share enough, else its abstracts.

    Topic words are left out (every theme has them), as are words found in only one paper of a
    larger theme (they describe a paper, not a theme).
    """
    words = _distinctive_words(
        [c.title for c in members], [c.title for c in others], terms | name_filler(), idf, unseen
    )
    if len(words) < 3:
        abstracts = [" ".join(s.text for s in c.sentences) for c in members]
        other_abstracts = [" ".join(s.text for s in c.sentences) for c in others]
        excluded = terms | name_filler() | set().union(*(content_terms(w) for w in words))
        words += _distinctive_words(abstracts, other_abstracts, excluded, idf, unseen)
    words = words[:3]
    if not words:
        return members[0].title
    return ", ".join(w if any(ch.isupper() for ch in w) else w.lower() for w in words).capitalize()


# --- writing ------------------------------------------------------------------------------------
def contribution(candidate: Candidate, terms: set[str], query_vector: np.ndarray) -> str:
    """One line for the paper list: its most on-topic "we propose / this paper" sentence that
    says something on its own, else its most relevant sentence."""
    claims = [
        s
        for s in candidate.sentences
        if CONTRIBUTION.search(s.text)
        and len(s.text.split()) >= (VAGUE_MIN_WORDS if VAGUE.search(s.text) else MIN_SENTENCE_WORDS)
    ]
    if not claims:
        return candidate.best.text
    # What the paper proposes beats what it also shows.
    claims = [c for c in claims if PROPOSAL.search(c.text)] or claims
    return max(claims, key=lambda s: sentence_score(s, terms, query_vector)).text


def representative_sentences(
    members: list[Candidate], number: dict[str, int], terms: set[str], query_vector: np.ndarray
) -> list[AnswerSentence]:
    """Each paper's sentence that best says what it contributes to the topic, skipping near-repeats."""

    def score(sentence: StoredSentence) -> float:
        bonus = CONTRIBUTION_BONUS if CONTRIBUTION.search(sentence.text) else 0.0
        return sentence_score(sentence, terms, query_vector) + bonus

    chosen: list[tuple[StoredSentence, int]] = []
    for candidate in members[:MAX_SENTENCES_PER_THEME]:
        for sentence in sorted(candidate.sentences, key=score, reverse=True):
            if len(sentence.text.split()) < MIN_SENTENCE_WORDS:
                continue
            if all(float(sentence.vector @ other.vector) < REDUNDANT_COSINE for other, _ in chosen):
                chosen.append((sentence, number[candidate.paper_id]))
                break
    return [
        AnswerSentence(text=s.text, citations=(n,), support=1.0, supported=True, evidence=(s.text,)) for s, n in chosen
    ]


def generated_theme(engine, topic: str, theme: Theme, members: list[Candidate], number: dict[str, int]) -> Theme:
    """Ask the LLM for the theme's name and paragraph, then verify each cited sentence."""
    sources = [
        Source(
            n=number[c.paper_id],
            paper_id=c.paper_id,
            title=c.title,
            text=" ".join(s.text for s in c.sentences),
            sentences=tuple(s.text for s in c.sentences),
        )
        for c in members
    ]
    reply = engine.chat.complete(summary_messages(topic, sources)).strip()
    first, _, rest = reply.partition("\n")
    name = theme.name
    if first.lower().startswith("theme:"):
        name, reply = first.split(":", 1)[1].strip().strip("*#") or theme.name, rest.strip()
    evidence = {c.paper_id: c.sentences for c in members}
    checked = check_answer(reply, sources, evidence, engine.embed_model, engine.settings.support_threshold)
    if not checked.sentences:
        raise LLMError("the model wrote nothing for a theme")
    return Theme(name=name, papers=theme.papers, sentences=checked.sentences)


def build_summary(engine, topic: str, settings: Settings, use_llm: bool) -> Summary:
    """A cited, themed summary of what the indexed papers say about ``topic`` (see module docstring)."""
    started = time.perf_counter()

    retrieval = engine.retriever.retrieve(
        topic, k=settings.summary_candidates, mode="hybrid", candidates=settings.summary_candidates
    )
    candidates = score_candidates(engine, topic, retrieval.hits, retrieval.query_vector)
    kept = on_topic(candidates, settings)
    summary = Summary(topic=topic, covered=is_covered(kept, settings), papers_considered=len(candidates))
    if not summary.covered:
        summary.timings_ms = {"total": (time.perf_counter() - started) * 1000}
        return summary
    selected = time.perf_counter()

    vectors = np.array([paper_vector(c) for c in kept])
    groups = cluster(vectors, theme_count(len(kept)))
    # Themes and papers in order of relevance: the theme holding the best paper comes first.
    groups = [sorted(g) for g in sorted(groups, key=min)]
    order = [kept[i] for group in groups for i in group]
    number = {c.paper_id: n for n, c in enumerate(order, start=1)}
    terms = topic_terms(topic)
    idf, unseen = corpus_idf(engine)

    notices = []
    for group in groups:
        members = [kept[i] for i in group]
        others = [c for c in kept if c not in members]
        theme = Theme(
            name=name_theme(members, others, terms, idf, unseen),
            papers=[number[c.paper_id] for c in members],
            sentences=representative_sentences(members, number, terms, retrieval.query_vector),
        )
        if use_llm:
            try:
                theme = generated_theme(engine, topic, theme, members, number)
            except LLMError as exc:
                notices.append(f"LLM unavailable for theme “{theme.name}” ({exc}); quoted the abstracts instead")
        summary.themes.append(theme)

    stored = {p.paper_id: p for p in engine.store.papers([c.paper_id for c in order])}
    summary.papers = [
        SummaryPaper(
            n=number[c.paper_id],
            paper_id=c.paper_id,
            title=c.title,
            url=_url(stored.get(c.paper_id)),
            contribution=contribution(c, terms, retrieval.query_vector),
            relevance=c.relevance,
        )
        for c in order
    ]
    summary.mode = "llm" if use_llm and len(notices) < len(summary.themes) else "extractive"
    summary.notice = "; ".join(notices)
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
