"""Token-budgeted chunks and sentence splits, counted with tiktoken (cl100k_base, offline).

Chunks feed retrieval; sentences feed the extractive answerer, the citation checker and the
UI's evidence highlighting. Both come from llama-index's splitters so that sentence
boundaries are the same everywhere.
"""

from __future__ import annotations

import re
from functools import lru_cache

from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.node_parser.text.utils import split_by_sentence_tokenizer

from rag.types import Paper

ENCODING = "cl100k_base"
# Below this, a split chunk is mostly overlap and title; not worth a separate vector.
MIN_BODY_TOKENS = 64
# Two sentences glued by the listing-page dump ("...instruction-following assistant.Based on
# MT-Bench, ..."): punkt needs a space, so a word ending in three letters ("Phi", "assistant"),
# a full stop and a capitalised word mark a boundary. 7 of the 460 seed abstracts have one;
# "e.g.", "al." and domain names ("pytorch.org") do not match.
GLUED_SENTENCES = re.compile(r"(?<=[A-Za-z][a-z]{2}[.!?])(?=[A-Z][a-z])")


@lru_cache(maxsize=1)
def _encoding():
    import tiktoken

    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=()))


def _encode(text: str) -> list[int]:
    return _encoding().encode(text, disallowed_special=())


@lru_cache(maxsize=8)
def _splitter(chunk_size: int, chunk_overlap: int) -> SentenceSplitter:
    return SentenceSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap, tokenizer=_encode)


def chunk_texts(paper: Paper, chunk_tokens: int, chunk_overlap: int) -> list[str]:
    """The paper's abstract in token-budgeted pieces, each prefixed with the title.

    The title rides along in every chunk so its words are searchable (BM25 and dense)
    wherever the abstract was cut.
    """
    header = f"{paper.title}\n\n"
    budget = max(chunk_tokens - count_tokens(header), MIN_BODY_TOKENS)
    overlap = min(chunk_overlap, budget // 4)
    pieces = _splitter(budget, overlap).split_text(paper.abstract) or [paper.abstract]
    return [header + piece for piece in pieces]


@lru_cache(maxsize=1)
def _sentence_tokenizer():
    return split_by_sentence_tokenizer()


def split_sentences(text: str) -> list[str]:
    """Sentences of an abstract, whitespace-trimmed, in order; each is a substring of the abstract."""
    return [
        piece for sentence in _sentence_tokenizer()(text) for piece in GLUED_SENTENCES.split(sentence.strip()) if piece
    ]
