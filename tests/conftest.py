"""Fixtures that start real components: embedded Chroma, a `chroma run` server, the full index."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

import rag
from rag.corpus import parse_corpus

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
QUESTIONS = REPO / "eval" / "questions.jsonl"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(name: str, command: list[str], health_url: str, log: Path, timeout: float, **popen):
    """Start a real server process, wait until ``health_url`` answers 200, stop it afterwards."""
    import httpx

    process = subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT, **popen)
    deadline = time.time() + timeout
    try:
        while True:
            try:
                if httpx.get(health_url, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.time() > deadline:
                pytest.fail(f"{name} did not start: {log.read_text()[-2000:]}")
            time.sleep(0.3)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def load_questions() -> list[dict]:
    return [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def seed_papers():
    return parse_corpus([DATA]).papers


@pytest.fixture(scope="session")
def full_settings(tmp_path_factory) -> rag.Settings:
    """The whole seed corpus ingested once per session into an embedded Chroma (about 100 s on 2 cores).

    RAG_TEST_INDEX_DIR reuses an index between runs while developing; ingest is idempotent,
    so a reused index is brought up to date, not trusted blindly.
    """
    data_dir = os.environ.get("RAG_TEST_INDEX_DIR") or str(tmp_path_factory.mktemp("full-index"))
    settings = rag.load_settings(data_dir=data_dir, corpus_paths=(str(DATA),))
    report = rag.ingest(settings=settings)
    assert report.papers == 460
    return settings


def write_jsonl(path: Path, papers) -> Path:
    with path.open("w") as handle:
        for paper in papers:
            handle.write(json.dumps({"title": paper.title, "abstract": paper.abstract}) + "\n")
    return path


@pytest.fixture
def small_corpus(tmp_path, seed_papers) -> Path:
    """Twelve real papers (grokking and GaLore among them) as a user-supplied JSONL file."""
    wanted = [p for p in seed_papers if "rokking" in p.title or "GaLore" in p.title]
    others = [p for p in seed_papers if p not in wanted][:7]
    (tmp_path / "corpus").mkdir()
    return write_jsonl(tmp_path / "corpus" / "papers.jsonl", wanted + others)


@pytest.fixture(scope="session")
def small_index(tmp_path_factory, seed_papers) -> rag.Settings:
    """Twelve real papers (grokking and GaLore among them), ingested once per session; tests only read
    it (and add LLM cache entries)."""
    wanted = [p for p in seed_papers if "rokking" in p.title or "GaLore" in p.title]
    others = [p for p in seed_papers if p not in wanted][:7]
    root = tmp_path_factory.mktemp("small-index")
    corpus = write_jsonl(root / "papers.jsonl", wanted + others)
    settings = rag.load_settings(data_dir=str(root / "index"), corpus_paths=(str(corpus),))
    rag.ingest(settings=settings)
    return settings


@pytest.fixture
def small_settings(tmp_path, small_corpus) -> rag.Settings:
    return rag.load_settings(data_dir=str(tmp_path / "index"), corpus_paths=(str(small_corpus),))


@pytest.fixture
def server():
    """A scripted OpenAI-compatible chat server on 127.0.0.1; tests set ``server.script``."""
    from tests.openai_server import ScriptedServer

    scripted = ScriptedServer()
    yield scripted
    scripted.close()


@pytest.fixture
def llm_settings(full_settings, server):
    """The full index, answering through the scripted server: no retries, no cache."""
    return full_settings.replace(
        llm_model="scripted-model", llm_base_url=server.url, llm_retries=0, llm_timeout=5.0, llm_cache=False
    )


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real `chroma run` server on 127.0.0.1, stopped at the end of the session."""
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if chroma is None:
        pytest.fail("the `chroma` command (from chromadb) is not installed")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    url = f"http://127.0.0.1:{port}"
    command = [chroma, "run", "--path", str(path / "db"), "--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    with running_server("chroma server", command, f"{url}/api/v2/heartbeat", path / "server.log", 60, env=env):
        yield url


@pytest.fixture
def embeddings_server():
    """A scripted OpenAI-compatible /v1/embeddings server on 127.0.0.1 (bag-of-words hashing, 64-d)."""
    import base64
    import hashlib
    import struct
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen = {"requests": 0, "auth": set()}

    def vector(text: str) -> list[float]:
        values = [0.0] * 64
        for word in text.lower().split():
            values[int(hashlib.md5(word.encode()).hexdigest(), 16) % 64] += 1.0
        return values

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen["requests"] += 1
            seen["auth"].add(self.headers.get("Authorization"))
            inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
            seen.setdefault("formats", set()).add(body.get("encoding_format", "float"))
            data = [{"object": "embedding", "index": i, "embedding": vector(t)} for i, t in enumerate(inputs)]
            if body.get("encoding_format") == "base64":
                for item in data:
                    packed = struct.pack(f"<{len(item['embedding'])}f", *item["embedding"])
                    item["embedding"] = base64.b64encode(packed).decode()
            payload = {
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            }
            raw = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", seen
    server.shutdown()
