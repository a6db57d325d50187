"""Themes of a subfield summary: cluster the on-topic papers and name each cluster.

Average-linkage agglomerative clustering on the papers' mean sentence embeddings, about
sqrt(n/2) clusters; each is named by the words its papers share and the others' do not.
Pure functions, unit-tested without an index.
"""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

from rag.summary_select import Candidate
from rag.text import content_terms, stem_sequence, title_filler


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


# Words of abstracts' argument, not of their subject.
VAGUE_WORDS = frozenset(
    content_terms(
        "address challenge challenges problem problems issue issues limitation limitations propose proposed "
        "existing prior recent work works result results experiment experiments extensive demonstrate "
        "https http github com www org typically much aka often usually without within among"
    )
)


def _phrases(text: str) -> dict[tuple[str, ...], str]:
    """Two- and three-word phrases of a text (stems -> the spelling used), none starting or ending
    with a stopword: "low-rank adaptation", "post-training quantization methods"."""
    words = re.findall(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*", text)
    stems = [stem_sequence(w.replace("-", " ")) for w in words]
    found: dict[tuple[str, ...], str] = {}
    for n in (2, 3):
        for i in range(len(words) - n + 1):
            parts = stems[i : i + n]
            # No stopword inside ("address these challenges"), no debris ("e g").
            if not all(all(part) and part for part in parts) or any(len(w) < 3 for w in words[i : i + n]):
                continue
            key = tuple(stem for part in parts for stem in part if stem)
            found.setdefault(key, " ".join(words[i : i + n]))
    return found


def name_theme(
    members: list[Candidate], others: list[Candidate], terms: set[str], idf: dict[str, float], unseen: float
) -> str:
    """A phrase the theme's papers share and the other themes' papers use less: from titles and
    abstracts, never only the topic's own words. Two phrases when one does not set the theme apart."""
    texts = [c.title + ". " + " ".join(s.text for s in c.sentences) for c in members]
    other_texts = [c.title + ". " + " ".join(s.text for s in c.sentences) for c in others]
    inside: Counter = Counter()
    spelling: dict[tuple[str, ...], str] = {}
    for text in texts:
        for key, form in _phrases(text).items():
            inside[key] += 1
            spelling.setdefault(key, form)
    outside = Counter(key for text in other_texts for key in _phrases(text))
    needed = min(2, len(members))
    filler = title_filler()

    in_titles = {key for c in members for key in _phrases(c.title)}

    def score(key: tuple[str, ...]) -> float:
        share = inside[key] / len(members) - (outside[key] / len(other_texts) if other_texts else 0.0)
        # Titles name subjects; abstracts also argue.
        return share + 0.3 * (key in in_titles) + 0.01 * sum(idf.get(t, unseen) for t in key)

    ranked = sorted(
        (
            k
            for k in inside
            if inside[k] >= needed
            and not set(k) & (filler | VAGUE_WORDS)
            and not set(k) <= terms
            and not any(t.isdigit() for t in k)
        ),
        key=lambda k: (-score(k), k),
    )
    if not ranked:
        return members[0].title.partition(":")[0]
    name = spelling[ranked[0]]
    second = next((k for k in ranked[1:] if not set(k) & set(ranked[0])), None)
    if second is not None and len(members) > 2:
        name += f"; {spelling[second]}"
    return name[:1].upper() + name[1:]
