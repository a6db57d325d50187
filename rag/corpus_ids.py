"""Paper identity: title normalisation, stable ids, and telling duplicates from collisions.

A paper's id is a slug plus a hash of its normalised title, so the same paper gets the same
id in every file and every run (ids stored by earlier versions must not change). Two records
under one id are the same paper when their abstracts are the same or nearly so; otherwise
the later one is a different paper whose title merely normalises alike, and gets an id
suffixed with a hash of its abstract.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

from rag.types import Paper

# --- titles and ids ----------------------------------------------------------------------


def _ascii_form(title: str) -> str:
    """The historical normal form (ids stored by earlier versions are hashes of it)."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def _unicode_form(title: str) -> str:
    """NFKC + casefold, keeping letters, marks and digits of every script."""
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", title).casefold())
    kept = (ch if unicodedata.category(ch)[0] in "LMN" else " " for ch in text)
    return " ".join("".join(kept).split())


@lru_cache(maxsize=4096)
def _is_latin(ch: str) -> bool:
    if ch.isascii():
        return True
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    if base and base.isascii():
        return True  # é, ﬁ, fullwidth and mathematical letters
    return "LATIN" in unicodedata.name(ch, "")  # ø, ł, æ, ß ...


def _written_in_another_script(title: str) -> bool:
    """True when the ASCII form would lose words: a run of 3+ non-Latin letters, or at least
    half of the letters. A Greek symbol in a Latin title ("PixArt-α") is not enough."""
    latin = other = run = longest = 0
    for ch in unicodedata.normalize("NFKC", title):
        if ch.isalpha():
            if _is_latin(ch):
                latin += 1
                run = 0
            else:
                other += 1
                run += 1
                longest = max(longest, run)
        elif not unicodedata.category(ch).startswith("M"):  # marks do not break a word
            run = 0
    return other > 0 and (longest >= 3 or 2 * other >= latin + other)


def normalize_title(title: str) -> str:
    """Case-, accent- and punctuation-insensitive form used to match the same paper across files.

    Titles in Latin script keep the historical ASCII form (so stored ids do not change); a
    title written in another script is normalised with NFKC + casefold, keeping its letters
    and digits; a title of only punctuation or symbols keeps those (whitespace collapsed).
    """
    legacy = _ascii_form(title)
    if legacy and not _written_in_another_script(title):
        return legacy
    return _unicode_form(title) or " ".join(unicodedata.normalize("NFKC", title).casefold().split())


def paper_id_for(title: str) -> str:
    """Stable, readable id: a slug of the normalized title plus a short hash of it."""
    normalized = normalize_title(title)
    words = [word for word in normalized.split() if any(ch.isalnum() for ch in word)]
    slug = "-".join(words)[:48].rstrip("-") or "paper"
    digest = hashlib.sha1(normalized.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{slug}-{digest}"


# --- merging -------------------------------------------------------------------------------


def _abstract_words(abstract: str) -> list[str]:
    return re.findall(r"\w+", unicodedata.normalize("NFKC", abstract).casefold())


def same_abstract(first: str, second: str) -> bool:
    """The same or near-same abstract: equal words, one a truncation of the other, or at
    least 80 % of the distinct words shared (a corrected typo, a reworded sentence)."""
    a, b = _abstract_words(first), _abstract_words(second)
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    if len(short) >= 20 and long[: len(short)] == short:
        return True
    union = set(a) | set(b)
    return bool(union) and len(set(a) & set(b)) >= 0.8 * len(union)


def colliding_id(paper: Paper, taken: set[str]) -> str:
    digest = hashlib.sha1(" ".join(_abstract_words(paper.abstract)).encode("utf-8", "surrogatepass")).hexdigest()
    for size in range(6, len(digest) + 1):
        candidate = f"{paper.paper_id}-{digest[:size]}"
        if candidate not in taken:
            return candidate
    return f"{paper.paper_id}-{digest}-{len(taken)}"
