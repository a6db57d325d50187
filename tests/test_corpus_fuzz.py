"""Fuzzing the corpus parser with a seeded generator (no extra dependency; parse only, no embedding).

Hundreds of files: random bytes, and valid JSONL / CSV / listing files mutated byte by byte and
record by record (lone surrogates, wrong types, NULs, huge numbers, deep nesting, cut lines).
For every file: parse_corpus never raises, the problems reported stay bounded, every record it
gives is plausible and storable, and binary input gives no record.
"""

from __future__ import annotations

import csv
import io
import json
import random
import time
from collections import defaultdict
from pathlib import Path

import pytest

from rag.corpus import MAX_ISSUES_PER_FILE, implausibility, parse_corpus

SEEDS = range(6)
# Kinds of problem the parser names; the summary lines ("... and N more: KIND") are one per kind.
MAX_KINDS = 16

WORDS = (
    "we study sparse attention for long documents and show that routing tokens to experts cuts the "
    "memory of training while keeping accuracy on retrieval benchmarks with quantized adapters"
).split()
TITLE_WORDS = "Sparse Efficient Scaling Attention Experts Low-Rank Training Models Vision Language Memory".split()
HOSTILE_VALUES = [
    True,
    None,
    42,
    1e308,
    -0.0,
    [],
    ["a", 1],
    {},
    {"nested": {"deeper": [1, 2]}},
    "",
    "   ",
    "\ud800",
    "x\udfffy",
    "\x00\x01\x02",
    "\u2028\u2029\x85",
    "\ufeff",
    "é" * 5000,
    "深度学习" * 20,
    "<script>alert(1)</script>",
    "??!!..",
]
RAW_INSERTS = [
    b"\x00",
    b"\xff\xfe",
    b"\xed\xa0\x80",  # a surrogate encoded as UTF-8 (invalid)
    b"\r",
    b"\n",
    b"\x1b[31m",
    b'"',
    b",",
    b"{",
    b"}",
    b"\\ud800",
    b"[" * 5000,
    b"9" * 5000,
    b"\xc3",
    "\u2028".encode(),
]


def _title(rng: random.Random) -> str:
    return " ".join(rng.choice(TITLE_WORDS) for _ in range(rng.randint(1, 8)))


def _abstract(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 60))) + "."


def _records(rng: random.Random, count: int) -> list[dict]:
    records = []
    for _ in range(count):
        record = {"title": _title(rng), "abstract": _abstract(rng)}
        if rng.random() < 0.5:
            record.update(year=rng.choice([2023, "2024"]), authors=["A. Author", "B. Author"], url="https://x.org/p")
        if rng.random() < 0.3:
            record[rng.choice(["title", "abstract", "year", "authors", "url", "id"])] = rng.choice(HOSTILE_VALUES)
        records.append(record)
    return records


def _jsonl(rng: random.Random) -> bytes:
    lines = [json.dumps(r, ensure_ascii=rng.random() < 0.5) for r in _records(rng, rng.randint(1, 60))]
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")


def _csv(rng: random.Random) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(rng.choice([["title", "abstract", "url"], ["Abstract", "Title"], ["title"], ["name", "x"]]))
    for record in _records(rng, rng.randint(1, 60)):
        writer.writerow([str(record.get("title")), str(record.get("abstract")), str(record.get("url"))])
    return out.getvalue().encode("utf-8", "surrogatepass")


def _listing(rng: random.Random) -> bytes:
    parts = []
    for _ in range(rng.randint(1, 40)):
        parts.append(rng.choice(["", "new", "Subscribe", "Mar 13", ""]))
        parts.append(_title(rng))
        parts.append(_abstract(rng) * rng.randint(1, 6))
    return "\n".join(parts).encode("utf-8")


def _mutate(rng: random.Random, data: bytes) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        if not data:
            data.extend(rng.randbytes(10))
        at = rng.randrange(len(data))
        action = rng.randrange(6)
        if action == 0:  # flip a byte
            data[at] = rng.randrange(256)
        elif action == 1:  # insert something hostile
            data[at:at] = rng.choice(RAW_INSERTS)
        elif action == 2:  # delete a range
            del data[at : at + rng.randint(1, 200)]
        elif action == 3:  # duplicate a range (repeated and joined lines)
            data[at:at] = data[at : at + rng.randint(1, 400)]
        elif action == 4:  # cut the file
            del data[at:]
        else:  # random bytes in the middle
            data[at:at] = rng.randbytes(rng.randint(1, 50))
    return bytes(data)


def _binary(rng: random.Random) -> bytes:
    size = rng.choice([1, 7, 100, 1000, 20_000, 100_000])
    data = rng.randbytes(size)
    if rng.random() < 0.5:
        data = data.replace(b"\x00", b"")  # no NUL: control bytes and encoding must tell
    return data


def _files(tmp_path: Path, seed: int) -> tuple[list[Path], set[Path]]:
    """About 120 files per seed; returns them and the ones that are random bytes."""
    rng = random.Random(seed)
    files, binary = [], set()
    for n in range(120):
        kind = n % 6
        suffix = rng.choice([".jsonl", ".csv", ".txt", ".md"])
        if kind == 0:
            data = _binary(rng)
        elif kind == 1:
            data = _jsonl(rng)
            suffix = ".jsonl"
        elif kind == 2:
            data = _mutate(rng, _jsonl(rng))
            suffix = ".jsonl"
        elif kind == 3:
            data = _mutate(rng, _csv(rng))
            suffix = ".csv"
        elif kind == 4:
            data = _mutate(rng, _listing(rng))
            suffix = rng.choice([".txt", ".md"])
        else:  # garbage appended; many copies of a bad line; a good file with 30-45 % bad lines
            data = rng.choice([_jsonl(rng) + rng.randbytes(300), b'{"title": 1, "abstract": []}\n' * 500, b""])
            if not data:
                lines = [json.dumps({"title": _title(rng), "abstract": _abstract(rng) * 3}) for _ in range(100)]
                for at in rng.sample(range(100), rng.randint(30, 45)):
                    lines[at] = rng.choice(['{"title": "T", "abstract": true}', "{oops", '{"title": "x"}', "[1]"])
                data = ("\n".join(lines) + "\n").encode()
        path = tmp_path / f"s{seed}-{n:03d}{suffix}"
        path.write_bytes(data)
        files.append(path)
        if kind == 0:
            binary.add(path)
    return files, binary


def _check_file(path: Path, is_binary: bool) -> None:
    result = parse_corpus([path])  # must not raise
    issues = [issue for issue in result.issues if issue.path != "(corpus)"]
    assert {issue.path for issue in issues} <= {str(path)}
    full = [issue for issue in issues if not issue.message.startswith("... and ")]
    summaries = [issue.message.split(" more: ", 1)[1] for issue in issues if issue.message.startswith("... and ")]
    assert len(full) <= MAX_ISSUES_PER_FILE, path
    assert len(summaries) == len(set(summaries)) <= MAX_KINDS, path
    assert len(issues) <= MAX_ISSUES_PER_FILE + MAX_KINDS
    if summaries:
        assert len(full) == MAX_ISSUES_PER_FILE
    rejected = any(issue.severity == "error" and issue.line == 0 for issue in issues)
    if is_binary or rejected:
        assert result.papers == [], (path, result.papers[:1])
    ids = [paper.paper_id for paper in result.papers]
    assert len(ids) == len(set(ids))
    for paper in result.papers:
        assert implausibility(paper.title, paper.abstract) == ""
        for value in (paper.paper_id, paper.title, paper.abstract, paper.url, paper.year, paper.authors):
            assert isinstance(value, str)
            value.encode("utf-8")  # storable: no lone surrogate
            assert not any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in value), repr(value)
    if not result.papers:
        assert any(issue.severity == "error" for issue in result.issues)


@pytest.mark.parametrize("seed", SEEDS)
def test_parser_survives_random_and_mutated_files(tmp_path, seed):
    started = time.perf_counter()
    files, binary = _files(tmp_path, seed)
    for path in files:
        _check_file(path, path in binary)
    # The whole directory at once: merging across files never raises either.
    result = parse_corpus([tmp_path])
    per_file = defaultdict(int)
    for issue in result.issues:
        per_file[issue.path] += 1
    assert max(per_file.values()) <= MAX_ISSUES_PER_FILE + MAX_KINDS
    assert len({paper.paper_id for paper in result.papers}) == len(result.papers)
    assert not {paper.source for paper in result.papers} & {str(path) for path in binary}
    assert time.perf_counter() - started < 20


def test_random_bytes_never_give_a_record(tmp_path):
    rng = random.Random(99)
    for n in range(200):
        path = tmp_path / f"r{n}{rng.choice(['.txt', '.jsonl', '.csv', '.md'])}"
        data = _binary(rng)
        path.write_bytes(data)
        _check_file(path, is_binary=True)
        if len(data) >= 1000:  # long enough to tell: rejected whole, with one error
            [issue] = parse_corpus([path]).issues
            assert issue.severity == "error" and "binary" in issue.message, (len(data), issue)
