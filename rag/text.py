"""Words: tokenizing, stemming, the stopword list, and how well a sentence matches a query.

One stopword list (bm25s's English list, the same one the BM25 retriever drops, plus
words every paper uses) decides what a content word is everywhere: answer scoring,
citation checks and summaries. Two purpose-specific lists extend it: the words that make
a question a question, and the filler of paper titles that names no subject.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np

# A citation marker in answer text: [3] or [2, 5].
CITATION = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]*[A-Za-z0-9]|[A-Za-z0-9]")
ALPHA_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-]*[A-Za-z0-9]")
# Name-like tokens: inner capitals or digits mixed with letters (AlphaFold, YOLOv8, GPT-4, LoRA)
# acronyms (SGD), or hyphenated ones (T-JEPA, Q-GaLore). Ordinary capitalised words ("What",
# "Self-Attention") are not names.
NAME_LIKE = re.compile(
    r"^(?:[A-Za-z][a-z]*[A-Z][\w\-]*|[A-Za-z]+[\-]?\d[\w\-]*|[A-Z]{2,}s?|[A-Za-z]+-(?:[A-Z]{2,}|[A-Z][a-z]*[A-Z])[\w\-]*)$"
)
# "To overcome this limitation, ...": the verbs that open a reply to a problem stated before.
ADDRESSING = "(?:address|overcome|tackle|solve|mitigate|remedy|alleviate|bridge|close|fill|fix|handle)"
# "It is noteworthy that ...": an opening "it" that refers to nothing before it (a negative lookahead
# to follow "It" in the dangling-opener patterns).
EXPLETIVE_IT = (
    r"(?! (?:is|was) (?:noteworthy|notable|worth noting|important|interesting|clear|evident|well[- ]known|known|"
    r"shown|observed|possible|challenging|difficult|crucial|essential|common) (?:that|to)\b)"
)
PAPER_WORDS = "paper papers propose proposed method approach use used using work"
# Words that make a question a question, not a topic ("What approaches exist for ...").
QUESTION_WORDS = frozenset(
    "what which how why when who does do did is are can could should exist existing approach approaches "
    "method methods paper papers work works say says about summarize summarise overview explain explains "
    "one several made make used use such way ways various different kind kinds type types much many have has had "
    "compare comparison differ differences versus vs list study studies corpus indexed collection literature "
    # Chat fillers: "what is GPT? like what architecture is it actually built on"
    "like actually basically really exactly please i me my".split()
)
# The filler of paper titles and abstracts ("Towards ... via ..."): names no theme.
TITLE_FILLER_WORDS = (
    "towards via using based novel new simple efficient effective improving improved toward beyond approach "
    "framework method methods study analysis learning model models network networks neural deep large scale "
    "time application applications exploring show shows results result performance task tasks propose proposed "
    "achieve achieves significantly existing recent furthermore however also well first second able across"
)


class HasVector(Protocol):
    text: str
    vector: np.ndarray


def spoken_list(items: Sequence[str]) -> str:
    """ "A", "A and B", "A, B and C": how an answer names several things in a sentence."""
    items = list(items)
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN) | frozenset(PAPER_WORDS.split())


def content_terms(text: str) -> set[str]:
    """Stemmed words that carry meaning; same stemmer and stopword list as the BM25 retriever."""
    words = [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in stopwords() and len(w) > 1]
    return set(_stemmer().stemWords(words))


@lru_cache(maxsize=1)
def title_filler() -> frozenset[str]:
    """Stems that name no subject: the title filler plus NLTK's English stopwords (shipped in llama-index)."""
    from llama_index.core.utils import globals_helper

    return frozenset(content_terms(" ".join([TITLE_FILLER_WORDS, *globals_helper.stopwords])))


# How a sentence reporting a figure may word the change a question asks about: "How much does it
# speed up training?" is answered by "a 40% training time ... acceleration".
CHANGE_WORDS = (
    "speed speedup accelerate accelerates faster quicker",
    "reduce reduces lower cuts decrease decreases saves saving fewer less",
    "improve improves boost gain increase increases better higher outperform outperforms beat beats surpass",
)


@lru_cache(maxsize=1)
def _change_groups() -> tuple[frozenset[str], ...]:
    return tuple(frozenset(content_terms(words)) for words in CHANGE_WORDS)


def with_equivalents(terms: set[str]) -> set[str]:
    """The stems plus every word of the same kind of change ("acceler" brings "speed")."""
    return terms.union(*(group for group in _change_groups() if group & terms))


EVERYDAY_PREFIXES = ("re", "over", "under", "un", "non", "mis")


@lru_cache(maxsize=8192)
def general_zipf(word: str) -> float:
    """How common ``word`` is in general English on wordfreq's Zipf scale (3 = once per million
    words), taken over its inflections so that "quantizes" is as common as "quantize"."""
    from wordfreq import zipf_frequency

    lower = word.lower()
    stem = _stemmer().stemWord(lower)
    suffixes = ("s", "es", "ed", "d", "ing", "ly")
    forms = {lower, stem, stem + "e", stem + "ing", stem + "s", *(lower.removesuffix(end) for end in suffixes)}
    # An everyday prefix on an everyday word is no jargon: "retraining", "oversmooths", "recombine".
    forms |= {
        form.removeprefix(prefix) for form in forms for prefix in EVERYDAY_PREFIXES if len(form) - len(prefix) >= 4
    }
    return max(zipf_frequency(form, "en") for form in forms if form)


def jargon(question: str, terms: frozenset[str] | set[str], max_zipf: float) -> list[str]:
    """The question's lower-case key words that are rare in general English ("federated",
    "hypernetwork", "backscatter"): the technical terms a specific question turns on. Names
    (LoRA, GPT-4) and figures are left to the rules for names and figures."""
    found: list[str] = []
    for token in ALPHA_WORD.findall(question):
        if NAME_LIKE.match(token) or any(c.isdigit() for c in token):
            continue
        for word in token.split("-"):
            lower = word.lower()
            if len(lower) < 3 or lower in found or _stemmer().stemWord(lower) not in terms:
                continue
            if general_zipf(lower) < max_zipf:
                found.append(lower)
    return found


def uses_word(word: str, terms: set[str] | frozenset[str], text: str) -> bool:
    """Whether a text uses ``word``: its stem among the text's stems, or written as part of a compound
    ("oversmoothing" in "over-smoothing")."""
    stem = _stemmer().stemWord(word.lower())
    if stem in terms or word_root(stem) in {word_root(term) for term in terms}:
        return True
    # Written hyphenated or as two words: "over-smoothing", "speed up" for "speedups".
    if re.search(r"\b" + r"[\s-]?".join(map(re.escape, stem)), text.lower()) is not None:
        return True
    return clipped_compound(word).search(text) is not None


@lru_cache(maxsize=1024)
def clipped_compound(word: str) -> re.Pattern:
    """How a clipped compound is written out: "matmuls" as "matrix multiplications", "convnet" as
    "convolutional network": two words starting with its two parts of three or more letters."""
    bare = word.lower().removesuffix("s")
    splits = [
        rf"\b{re.escape(bare[:i])}[a-z]*[\s-]+{re.escape(bare[i:])}[a-z]*"
        for i in range(3, len(bare) - 2)
        if bare.isalpha()
    ]
    return re.compile("|".join(splits) or r"(?!x)x", re.I)


# Derivational endings left on a stem: "matcher" and "matching" share "match", "spatio" and
# "spatial" share "spati". Endings that change the meaning ("-ity": quantity/quantize) are not here.
DERIVATIONAL_ENDINGS = ("ation", "ition", "ment", "ness", "ize", "ise", "ive", "ion", "ic", "al", "er", "or", "iz", "o")


def word_root(stem: str) -> str:
    """A stem without its derivational ending, when at least four letters remain."""
    for ending in DERIVATIONAL_ENDINGS:
        if stem.endswith(ending) and len(stem) - len(ending) >= 4:
            return stem[: -len(ending)]
    return stem


# Function words a question uses and the BM25 stopword list (bm25s's 33 words) keeps: "from",
# "any", "before", "yet": never named as what an abstract is missing. (Left out of the key words
# altogether, they changed dev list answers both ways: s05 gained a gold paper, nl03 and b10-41
# lost one each.)
FUNCTION_WORDS = frozenset(
    "about after again all am an and any are as at be because been before being both but by can could did do "
    "does doing don doesn didn during each for from further had has have having he her here hers him his how "
    "i if in into is it its itself just me my myself now of on once or other our ours s she should so some "
    "such t than that the their them then there these they this those to too until very was we were what when "
    "where which while who whom why will with yet you your isn aren wasn weren hasn haven hadn won wouldn "
    "shouldn couldn".split()
)


def topic_terms(topic: str) -> set[str]:
    """The content words of a topic or question, without the words that only make it a question."""
    words = [w for w in re.findall(r"[A-Za-z0-9]+", topic) if w.lower() not in QUESTION_WORDS]
    return content_terms(" ".join(words)) or content_terms(topic)


def coverage(terms: set[str], paper_terms: set[str] | frozenset[str], idf: dict[str, float], unseen: float) -> float:
    """Share of the topic's words in the paper, each weighted by its rarity in the corpus."""
    weights = {t: idf.get(t, unseen) for t in terms}
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in paper_terms) / total if total else 0.0


def lexical_overlap(query_terms: set[str], text: str) -> float:
    if not query_terms:
        return 0.0
    return len(query_terms & content_terms(text)) / len(query_terms)


def sentence_score(
    sentence: HasVector, query_terms: set[str], query_vector: np.ndarray, lexical_weight: float, spelled: str = ""
) -> float:
    """How well a sentence answers a query: cosine + lexical_weight x share of the query's words it
    holds, ``spelled`` being what its acronyms stand for."""
    overlap = lexical_overlap(query_terms, f"{sentence.text} {spelled}")
    return float(sentence.vector @ query_vector) + lexical_weight * overlap


# "GNN-based recommenders", "GPT-4-generated data": the name is GNN, GPT-4; an abstract writes
# "GNN models", "Graph Neural Networks", never "GNN-based".
MODIFIERS = (
    r"(?:based|like|style|driven|free|aware|guided|specific|level|wise|only|augmented|powered|inspired|centric|"
    r"enhanced|dependent|agnostic|compatible|friendly|oriented|related|esque|"
    # "LLM-generated data", "the VoxCeleb-derived dataset": the name is LLM, VoxCeleb.
    r"generated|derived|produced|annotated|labeled|labelled|initialized|distilled)"
)
MODIFIER_SUFFIX = re.compile(rf"-{MODIFIERS}$", re.I)


# "all-MLP architectures", "non-IID data": the name is MLP, IID.
MODIFIER_PREFIX = re.compile(r"^(?:all|non|pure|plain|fully|vanilla)-(?=[A-Z])")


def name_like_words(text: str) -> list[str]:
    """Words that look like names of methods, models or datasets (LoRA, GPT-4, YOLOv8, SGD), without
    a modifier suffix or prefix ("GNN" of "GNN-based", "MLP" of "all-MLP")."""
    words = (MODIFIER_PREFIX.sub("", MODIFIER_SUFFIX.sub("", word)) for word in WORD.findall(text))
    return list(dict.fromkeys(word for word in words if NAME_LIKE.match(word)))


# "the latent array in the Perceiver": a capitalised word inside a sentence names something, even
# when it is an ordinary word (which is why it is not name-like); an opening word may be any word.
PROPER_WORD = re.compile(r"(?<=[a-z0-9,;)\"'] )[A-Z][a-z]+(?:-[A-Za-z]+)*\b")


def proper_words(text: str) -> list[str]:
    """Capitalised words inside a sentence of ``text`` ("Perceiver" in "... in the Perceiver")."""
    return list(dict.fromkeys(MODIFIER_SUFFIX.sub("", word) for word in PROPER_WORD.findall(text)))


PHRASE_WORD = re.compile(r"\w[\w.\-]*\w|\w")


def phrase_words(text: str) -> list[str]:
    """The casefolded words of ``text``, for matching a phrase as a whole ("Unit Scaling")."""
    return PHRASE_WORD.findall(text.casefold())


def word_grams(text: str, sizes: tuple[int, ...]) -> list[tuple[str, ...]]:
    """Every run of ``sizes`` consecutive words of ``text`` (see :func:`phrase_words`), in that size order."""
    words = phrase_words(text)
    return [tuple(words[i : i + n]) for n in sizes for i in range(len(words) - n + 1)]


def vocabulary(texts: list[str]) -> set[str]:
    """Every lower-cased word of ``texts``: what an unknown-name check looks names up in."""
    return {word.lower() for text in texts for word in WORD.findall(text)}


def stem_sequence(text: str) -> list[str]:
    """The text's words as stems, in order, stopwords kept as None-free gaps ("post-training" -> post, train)."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return [_stemmer().stemWord(w) if w not in stopwords() else "" for w in words]


def key_phrases(topic: str) -> list[tuple[str, ...]]:
    """Runs of two or more consecutive content words of a topic ("post training quantization")."""
    phrases, run = [], []
    for word in re.findall(r"[A-Za-z0-9]+", topic):
        stem = stem_sequence(word)[0] if word.lower() not in QUESTION_WORDS else ""
        if stem:
            run.append(stem)
            continue
        if len(run) >= 2:
            phrases.append(tuple(run))
        run = []
    if len(run) >= 2:
        phrases.append(tuple(run))
    return phrases


def contains_phrase(text: str, phrase: tuple[str, ...], gap: int = 1) -> bool:
    """Whether the stems of ``phrase`` occur in order in ``text``, at most ``gap`` words apart:
    "post-training quantized" and "post training neural quantization" match "post-training quantization"."""
    return stems_contain(stem_sequence(text), phrase, gap)


def stems_contain(stems: Sequence[str], phrase: tuple[str, ...], gap: int = 1) -> bool:
    """:func:`contains_phrase` on a text already stemmed with :func:`stem_sequence` (stem once, test many)."""
    for start, stem in enumerate(stems):
        if stem != phrase[0]:
            continue
        position = start
        for word in phrase[1:]:
            window = stems[position + 1 : position + 2 + gap]
            if word not in window:
                break
            position += 1 + window.index(word)
        else:
            return True
    return False
