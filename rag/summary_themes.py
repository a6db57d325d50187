"""Themes of a subfield summary: cluster the on-topic papers and name each cluster.

Average-linkage agglomerative clustering on the papers' mean sentence embeddings, about
sqrt(n/2) clusters; each is named by the words its papers share and the others' do not.
Pure functions, unit-tested without an index.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from rag.summary_select import Candidate
from rag.text import ALPHA_WORD, content_terms, title_filler


def paper_vector(candidate: Candidate) -> np.ndarray:
    vector = np.mean([s.vector for s in candidate.sentences], axis=0)
    return vector / (np.linalg.norm(vector) or 1.0)


def theme_count(papers: int, most: int = 5) -> int:
    """sqrt(n/2) rounded: one theme up to 4 papers, two up to 12, three up to 24, at most ``most``."""
    return max(1, min(most, round(math.sqrt(papers / 2))))


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
        for word in ALPHA_WORD.findall(text):
            stems = content_terms(word)
            if len(stems) == 1:
                forms.setdefault(next(iter(stems)), Counter())[word] += 1
    return forms


def distinctive_words(
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
    words = distinctive_words(
        [c.title for c in members], [c.title for c in others], terms | title_filler(), idf, unseen
    )
    if len(words) < 3:
        abstracts = [" ".join(s.text for s in c.sentences) for c in members]
        other_abstracts = [" ".join(s.text for s in c.sentences) for c in others]
        excluded = terms | title_filler() | set().union(*(content_terms(w) for w in words))
        words += distinctive_words(abstracts, other_abstracts, excluded, idf, unseen)
    words = words[:3]
    if not words:
        return members[0].title
    name = ", ".join(w if any(ch.isupper() for ch in w) else w.lower() for w in words)
    return name[:1].upper() + name[1:]
