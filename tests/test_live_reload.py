"""A running `rag serve` serves what another process ingests, without a restart."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest

from tests.conftest import free_port, running_server, write_jsonl


def _ingest(env: dict[str, str], path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "rag.cli", "ingest", str(path)], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture
def served(tmp_path, seed_papers):
    """`rag serve` over six real papers, ingested by the CLI before the server starts."""
    first = write_jsonl(tmp_path / "first.jsonl", seed_papers[:6])
    env = {**os.environ, "RAG_DATA_DIR": str(tmp_path / "index"), "RAG_LLM_MODEL": "", "RAG_LLM_BASE_URL": ""}
    _ingest(env, first)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "rag.cli", "serve", "--port", str(port)]
    with running_server("rag serve", command, f"{url}/api/health", tmp_path / "serve.log", 120, env=env):
        yield url, env


def test_ingest_by_another_process_is_served_without_restart(served, seed_papers, tmp_path):
    url, env = served
    new = seed_papers[10]
    changed = seed_papers[0]
    query = {"q": new.title, "k": 3}
    before = httpx.get(f"{url}/api/search", params={**query, "mode": "bm25"}, timeout=60).json()
    assert new.title not in [hit["title"] for hit in before]
    generation = httpx.get(f"{url}/api/health", timeout=60).json()["index"]["generation"]

    # Another process adds a paper and rewrites an existing one while the server runs.
    extra = tmp_path / "extra.jsonl"
    rows = [
        {"title": new.title, "abstract": new.abstract},
        {"title": changed.title, "abstract": changed.abstract + " Zyxwvut regularisation is our new finding."},
    ]
    extra.write_text("".join(json.dumps(row) + "\n" for row in rows))
    _ingest(env, extra)

    health = httpx.get(f"{url}/api/health", timeout=60).json()["index"]
    assert health["papers"] == 7 and health["generation"] > generation
    for mode in ("bm25", "dense", "hybrid"):
        hits = httpx.get(f"{url}/api/search", params={**query, "mode": mode}, timeout=60)
        assert hits.status_code == 200, hits.text
        assert hits.json()[0]["title"] == new.title, mode
    updated = httpx.get(f"{url}/api/search", params={"q": "zyxwvut regularisation", "k": 1, "mode": "bm25"}, timeout=60)
    assert updated.json()[0]["title"] == changed.title and "Zyxwvut" in updated.json()[0]["text"]
    answer = httpx.post(f"{url}/api/ask", json={"question": f"What does {new.title} propose?"}, timeout=60)
    assert answer.status_code == 200
    assert new.title in [c["title"] for c in answer.json()["citations"]]
