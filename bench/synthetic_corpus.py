"""A synthetic corpus of any size, recombined from the seed abstracts in data/, with gold answers.

Each synthetic paper gets an invented, unique method name (``Zorvanet-17``) that is in its
title (``Zorvanet-17: <a seed title's words>``) and in one abstract sentence (``We propose
Zorvanet-17, a method for ...``); the rest of its abstract is 4 to 7 sentences taken from as
many different seed abstracts. The seeds are parsed with the project's own parser and split
with its own sentence splitter, so the sentences come back intact when the corpus is ingested.

Two kinds of gold queries, each naming exactly one paper:

* named: ``What is Zorvanet-17?`` (the name's word part appears in no other paper or seed);
* content: excerpts (about ten words each) of two sentences of the paper; every seed sentence is
  reused by a few synthetic papers, so two are taken, and only pairs that no other paper holds.

Everything is deterministic given the seed.

    .venv/bin/python bench/synthetic_corpus.py --papers 500 --out /tmp/corpus.jsonl [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ONSETS = "b d f g k l m n p r s t v z br dr kr pl st tr th".split()
VOWELS = ["a", "e", "i", "o", "u", "a", "o", "ai", "ei"]
CODAS = ["", "", "", "n", "r", "l", "s", "x", "m"]
NOUNS = ["method", "framework", "approach", "model", "technique", "algorithm", "system"]
MIN_SENTENCE_WORDS = 6
EXCERPT_WORDS = 10


@dataclass
class SyntheticPaper:
    title: str
    abstract: str
    name: str
    sentence_ids: list[int] = field(default_factory=list)  # indexes into the seed sentence pool


@dataclass
class SyntheticCorpus:
    papers: list[SyntheticPaper]
    named_queries: list[tuple[str, int]]  # (query, index of the gold paper)
    content_queries: list[tuple[str, int]]
    seed_papers: int
    seed_sentences: int

    def write_jsonl(self, path: Path) -> None:
        with path.open("w", encoding="utf-8") as out:
            for paper in self.papers:
                out.write(json.dumps({"title": paper.title, "abstract": paper.abstract}, ensure_ascii=False) + "\n")


def seed_files(data_dir: Path = REPO / "data") -> list[Path]:
    return sorted(p for p in data_dir.iterdir() if p.suffix in {".txt", ".md", ".jsonl", ".csv"})


def load_seeds(paths: Iterable[Path]) -> list[tuple[str, list[str]]]:
    """(title, sentences) per seed paper, with the project's parser and sentence splitter."""
    from rag.chunking import split_sentences
    from rag.corpus import parse_corpus

    seeds = []
    for paper in parse_corpus(list(paths)).papers:
        sentences = [s.strip() for s in split_sentences(paper.abstract)]
        sentences = [s for s in sentences if len(s.split()) >= MIN_SENTENCE_WORDS and s[-1:] in ".!"]
        if len(sentences) >= 2:
            seeds.append((paper.title, sentences))
    return seeds


def _syllable(rng: random.Random) -> str:
    return rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS)


def _name_word(rng: random.Random, syllables: int) -> str:
    return "".join(_syllable(rng) for _ in range(syllables))


def invent_name(rng: random.Random, taken: set[str], vocabulary: set[str]) -> str:
    """A pronounceable name; its word part (lower-cased) is unique and no word of the seeds."""
    while True:
        word = _name_word(rng, rng.randint(2, 3)).capitalize()
        if rng.random() < 0.3:  # CamelCase: "ZorVanet"
            word += _name_word(rng, 1).capitalize()
        key = word.lower()
        stem = re.sub(r"(ing|ed|es|s|e|y|i)$", "", key)  # two names must not stem alike
        if stem in taken or key in vocabulary or stem in vocabulary or len(stem) < 5:
            continue
        taken.add(stem)
        return f"{word}-{rng.randint(2, 99)}"


def _title_words(title: str) -> str:
    """The descriptive part of a seed title: after its colon when it has one ("GaLore: ...")."""
    _, sep, tail = title.partition(": ")
    return tail.strip() if sep and len(tail.split()) >= 3 else title.strip()


def _excerpt(sentence: str, rng: random.Random) -> str:
    words = sentence.rstrip(".!").split()
    if len(words) <= EXCERPT_WORDS:
        return " ".join(words)
    start = rng.randint(0, len(words) - EXCERPT_WORDS)
    return " ".join(words[start : start + EXCERPT_WORDS])


def build(papers: int, seed: int = 0, queries: int = 100, data_dir: Path = REPO / "data") -> SyntheticCorpus:
    """``papers`` synthetic papers and up to ``queries`` named and ``queries`` content queries."""
    seeds = load_seeds(seed_files(data_dir))
    if len(seeds) < 8:
        raise SystemExit(f"need at least 8 seed abstracts in {data_dir}, found {len(seeds)}")
    pool: list[str] = []
    by_seed: list[list[int]] = []
    for _, sentences in seeds:
        by_seed.append(list(range(len(pool), len(pool) + len(sentences))))
        pool.extend(sentences)
    seed_text = " ".join(title + " " + " ".join(sentences) for title, sentences in seeds)
    vocabulary = {w.lower() for w in re.findall(r"[A-Za-z]+", seed_text)}

    rng = random.Random(seed)
    taken: set[str] = set()
    result: list[SyntheticPaper] = []
    for _ in range(papers):
        name = invent_name(rng, taken, vocabulary)
        picked = rng.sample(range(len(seeds)), rng.randint(4, 7))
        topic = _title_words(seeds[picked[0]][0])
        ids = [rng.choice(by_seed[s]) for s in picked]
        noun = rng.choice(NOUNS)
        article = "an" if noun[0] in "aeiou" else "a"
        proposal = f"We propose {name}, {article} {noun} for {topic}."
        position = rng.randint(1, min(2, len(ids)))
        sentences = [pool[i] for i in ids]
        sentences.insert(position, proposal)
        result.append(SyntheticPaper(f"{name}: {topic}", " ".join(sentences), name, ids))

    order = rng.sample(range(papers), min(queries, papers))
    named = [(f"What is {result[i].name}?", i) for i in order]

    holders: dict[int, set[int]] = {}
    for index, paper in enumerate(result):
        for sentence in paper.sentence_ids:
            holders.setdefault(sentence, set()).add(index)
    content = []
    for i in rng.sample(range(papers), papers):
        if len(content) >= queries:
            break
        ids = result[i].sentence_ids
        pairs = [(a, b) for a in ids for b in ids if a < b and len(holders[a] & holders[b]) == 1]
        if pairs:
            a, b = rng.choice(pairs)
            content.append((f"{_excerpt(pool[a], rng)} {_excerpt(pool[b], rng)}", i))
    return SyntheticCorpus(result, named, content, len(seeds), len(pool))


def modify(corpus: SyntheticCorpus, count: int, seed: int = 0) -> list[int]:
    """Change ``count`` papers' abstracts (one sentence appended) in place; gold queries stay valid."""
    rng = random.Random(seed + 1)
    changed = rng.sample(range(len(corpus.papers)), min(count, len(corpus.papers)))
    for i in changed:
        paper = corpus.papers[i]
        paper.abstract += f" In addition, {paper.name} was evaluated on {rng.randint(3, 40)} further benchmarks."
    return changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, help="JSONL file to write")
    parser.add_argument("--gold", help="also write the gold queries here (JSON)")
    args = parser.parse_args()
    corpus = build(args.papers, args.seed)
    corpus.write_jsonl(Path(args.out))
    if args.gold:
        gold = {
            "named": [{"query": q, "title": corpus.papers[i].title} for q, i in corpus.named_queries],
            "content": [{"query": q, "title": corpus.papers[i].title} for q, i in corpus.content_queries],
        }
        Path(args.gold).write_text(json.dumps(gold, indent=1, ensure_ascii=False))
    seeds = f"{corpus.seed_papers} seeds ({corpus.seed_sentences} sentences)"
    print(f"{len(corpus.papers)} papers from {seeds} -> {args.out}")


if __name__ == "__main__":
    main()
