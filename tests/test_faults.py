"""Crash safety of ingest, by injecting the fault: SIGKILL at every write boundary and at
random moments, concurrent conflicting ingests, and prune on empty or invalid input.

Each case runs the real `rag` CLI against a real embedded Chroma, with a stand-in embedding
server (tests/conftest.py) so a run costs seconds. After every fault the index must show
each paper exactly once, in one whole version (old or new), and the next ingest must leave
it consistent (`rag check`) with nothing lost.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

STATE = """
import json, sys, rag
settings = rag.load_settings()
papers = rag.list_papers(settings)
check = rag.check(settings=settings, lexical=sys.argv[1] == "lexical").to_dict()
print(json.dumps({"papers": [[p.paper_id, p.title, p.abstract] for p in papers], "check": check}))
"""


def _rag(
    env: dict[str, str], *args: str, fault: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    env = {**env, **({"RAG_FAULT_AT": fault} if fault else {})}
    command = [sys.executable, "-m", "rag.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def _state(env: dict[str, str], lexical: bool = False) -> dict:
    """What a reader sees; ``lexical`` also checks BM25 against Chroma (slower: loads llama-index)."""
    mode = "lexical" if lexical else "plain"
    command = [sys.executable, "-c", STATE, mode]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


class Corpus:
    """Version 1 (8 papers) and version 2: 3 abstracts changed, 2 papers added, 2 gone (pruned)."""

    def __init__(self, seed_papers, root: Path) -> None:
        base = [(p.title, p.abstract) for p in seed_papers[:8]]
        changed = [(t, a + f" Zyxwvut finding number {i}.") if i < 3 else (t, a) for i, (t, a) in enumerate(base[:6])]
        added = [(p.title, p.abstract) for p in seed_papers[8:10]]
        self.v1 = dict(base)
        self.v2 = dict(changed + added)
        self.v1_path = self._write(root / "v1" / "papers.jsonl", base)
        self.v2_path = self._write(root / "v2" / "papers.jsonl", changed + added)

    @staticmethod
    def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps({"title": t, "abstract": a}) + "\n" for t, a in rows))
        return path


@pytest.fixture
def corpus(seed_papers, tmp_path) -> Corpus:
    return Corpus(seed_papers, tmp_path / "corpus")


@pytest.fixture
def env_for(embeddings_server, tmp_path):
    url, _ = embeddings_server

    def make(name: str) -> dict[str, str]:
        return {
            **os.environ,
            "RAG_DATA_DIR": str(tmp_path / name),
            "RAG_EMBED_BACKEND": "openai",
            "RAG_EMBED_BASE_URL": url,
            "RAG_EMBED_MODEL": "bow-64",
            "RAG_EMBED_API_KEY": "sk-test",
            "RAG_LLM_MODEL": "",
        }

    return make


@pytest.fixture
def baseline(corpus, env_for, tmp_path) -> Path:
    """An index holding version 1, committed."""
    env = env_for("baseline")
    done = _rag(env, "ingest", str(corpus.v1_path))
    assert done.returncode == 0, done.stderr
    return Path(env["RAG_DATA_DIR"])


def _copy(baseline: Path, env: dict[str, str]) -> None:
    shutil.copytree(baseline, env["RAG_DATA_DIR"])


def _assert_whole_versions(state: dict, corpus: Corpus) -> None:
    """Every paper once, in exactly one of its versions; nothing of version 1 that version 2 keeps is lost."""
    titles = [title for _, title, _ in state["papers"]]
    assert len(titles) == len(set(titles)), "a paper is listed twice"
    for _, title, abstract in state["papers"]:
        versions = {corpus.v1.get(title), corpus.v2.get(title)} - {None}
        assert abstract in versions, f"{title!r} shows a mix or a part of its versions"
    kept = set(corpus.v1) & set(corpus.v2)
    assert kept <= set(titles), f"lost: {kept - set(titles)}"


def _assert_final(state: dict, corpus: Corpus) -> None:
    assert state["check"]["consistent"], state["check"]
    assert {title: abstract for _, title, abstract in state["papers"]} == corpus.v2


def _boundaries(corpus: Corpus, env: dict[str, str], log: Path) -> list[str]:
    done = _rag({**env, "RAG_FAULT_LOG": str(log)}, "ingest", "--prune", str(corpus.v2_path))
    assert done.returncode == 0, done.stderr
    return [line.split(" ", 1)[1] for line in log.read_text().splitlines()]


def test_kill_at_every_write_boundary_loses_nothing(corpus, baseline, env_for, tmp_path):
    names = _boundaries(corpus, _fresh(baseline, env_for("enumerate")), tmp_path / "boundaries.log")
    assert {"add-chunks", "add-sentences", "commit", "delete-other-versions", "prune-manifest"} <= set(names)

    def kill_then_recover(step: int) -> None:
        env = _fresh(baseline, env_for(f"fault-{step}"))
        killed = _rag(env, "ingest", "--prune", str(corpus.v2_path), fault=str(step))
        assert killed.returncode == -signal.SIGKILL, (step, names[step - 1], killed.stderr[-500:])
        _assert_whole_versions(_state(env), corpus)
        again = _rag(env, "ingest", "--prune", str(corpus.v2_path))
        assert again.returncode == 0, (step, again.stderr)
        _assert_final(_state(env, lexical=True), corpus)

    # Each step has its own index copy, so two run at once: the steps are mostly process start-up,
    # and this is the suite's longest test.
    with ThreadPoolExecutor(max_workers=2) as pool:
        for finished in [pool.submit(kill_then_recover, step) for step in range(1, len(names) + 1)]:
            finished.result()


def _fresh(baseline: Path, env: dict[str, str]) -> dict[str, str]:
    _copy(baseline, env)
    return env


def test_random_kills_then_repair(corpus, baseline, env_for):
    rng = random.Random(12)
    for trial in range(2):
        env = _fresh(baseline, env_for(f"random-{trial}"))
        process = subprocess.Popen(
            [sys.executable, "-m", "rag.cli", "ingest", "--prune", str(corpus.v2_path)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(1.0, 4.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        _assert_whole_versions(_state(env), corpus)
        assert _rag(env, "check", "--repair").returncode in (0, 1)
        assert _rag(env, "ingest", "--prune", str(corpus.v2_path)).returncode == 0
        _assert_final(_state(env, lexical=True), corpus)


def test_concurrent_conflicting_ingests_both_complete_and_agree(corpus, env_for):
    env = env_for("concurrent")
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "rag.cli", "ingest", str(path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in (corpus.v1_path, corpus.v2_path)
    ]
    for run in runs:
        _, err = run.communicate(timeout=180)
        assert run.returncode == 0, err
    state = _state(env)
    assert state["check"]["consistent"], state["check"]
    titles = [title for _, title, _ in state["papers"]]
    assert sorted(titles) == sorted(set(corpus.v1) | set(corpus.v2))  # nothing lost, nothing twice
    _assert_whole_versions(state, corpus)


def test_a_first_ingest_waits_while_another_process_is_creating_the_store(corpus, env_for):
    """Chroma's first open creates its SQLite schema unguarded: two fresh ingests started together
    failed one time in four with "table collections already exists". Opening is serialised."""
    from rag.config import Settings
    from rag.locking import store_open_lock

    env = env_for("creating")
    settings = Settings().replace(data_dir=env["RAG_DATA_DIR"])
    with store_open_lock(settings, may_create=True):
        run = subprocess.Popen(
            [sys.executable, "-m", "rag.cli", "ingest", str(corpus.v1_path)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        first_line = run.stderr.readline()
        assert "waiting for another process opening the store" in first_line, first_line
        assert not (Path(env["RAG_DATA_DIR"]) / "chroma" / "chroma.sqlite3").exists()
    _, err = run.communicate(timeout=180)
    assert run.returncode == 0, err
    assert sorted(title for _, title, _ in _state(env)["papers"]) == sorted(corpus.v1)


@pytest.mark.parametrize(
    "content",
    ["", "title,abstract\n", '{"title": "x", "abstract": "' + "y" * 10 + '"}\n', "not json at all\n" * 5],
    ids=["empty", "header-only-csv", "implausible-record", "invalid-lines"],
)
def test_prune_refuses_input_that_would_empty_the_index(corpus, baseline, env_for, tmp_path, content):
    env = _fresh(baseline, env_for("prune"))
    suffix = ".csv" if content.startswith("title,") else ".jsonl"
    bad = tmp_path / f"bad{suffix}"
    bad.write_text(content)
    done = _rag(env, "ingest", "--prune", str(bad))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "not pruning" in done.stderr or "error" in done.stderr
    state = _state(env)
    assert sorted(title for _, title, _ in state["papers"]) == sorted(corpus.v1)


def test_a_damaged_index_file_gets_one_error_line_not_a_traceback(baseline, env_for):
    env = _fresh(baseline, env_for("damaged"))
    (Path(env["RAG_DATA_DIR"]) / "chroma" / "chroma.sqlite3").write_bytes(b"not a database" * 100)
    for args in (("status",), ("check",), ("ask", "What is grokking?")):
        done = _rag(env, *args)
        assert done.returncode == 2, (args, done.stderr[-500:])
        assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
