"""A deterministic stand-in for an embedding model, served as an OpenAI-compatible endpoint.

`bench/scale.py` ingests through it so that everything but the model is measured. Vectors
are a bag of hashed words through a fixed random projection: each lower-cased word (minus a
few stopwords) has its own seeded Gaussian direction in 384 dimensions, a text is the
sqrt-count-weighted sum of its words' directions, L2-normalised. Texts sharing words get
similar vectors, the same text always gets the same vector, on any machine.

    POST /v1/embeddings  {"input": str | [str, ...], "model": ..., "encoding_format"?: "float"|"base64"}
    GET  /stats          {"busy_s", "requests", "texts"}: time spent handling embedding requests

Run it on its own (it prints ``PORT <n>`` once listening):

    .venv/bin/python bench/standin_embedder.py [--host 127.0.0.1] [--port 0]

Only numpy and the standard library are imported, so it starts in well under a second.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
import threading
import time
import zlib
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

DIMENSION = 384
MODEL = "standin"
WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
STOPWORDS = frozenset(
    "a an and are as at be by for from has have in is it its of on or that the this to we with our "
    "which these their can into than also such using based while both been was were not more".split()
)


class StandinEmbedder:
    """Hashed-word random projection; word directions are cached once computed."""

    def __init__(self, dimension: int = DIMENSION) -> None:
        self.dimension = dimension
        self._words: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def _direction(self, word: str) -> np.ndarray:
        vector = self._words.get(word)
        if vector is None:
            seed = zlib.crc32(word.encode("utf-8")) ^ (len(word) << 32)
            vector = np.random.default_rng(seed).standard_normal(self.dimension).astype(np.float32)
            self._words[word] = vector
        return vector

    def embed(self, texts: list[str]) -> np.ndarray:
        result = np.zeros((len(texts), self.dimension), dtype=np.float32)
        with self._lock:
            for row, text in enumerate(texts):
                counts = Counter(w for w in WORD.findall(text.lower()) if w not in STOPWORDS)
                if not counts:  # empty or all stopwords: still a fixed, valid unit vector
                    counts = Counter({"\x00" + text.strip().lower(): 1})
                words = list(counts)
                weights = np.sqrt(np.fromiter((counts[w] for w in words), dtype=np.float32, count=len(words)))
                result[row] = weights @ np.stack([self._direction(w) for w in words])
        norms = np.linalg.norm(result, axis=1, keepdims=True)
        return result / np.maximum(norms, 1e-12)


class Stats:
    def __init__(self) -> None:
        self.busy_s = 0.0
        self.requests = 0
        self.texts = 0
        self.lock = threading.Lock()

    def add(self, seconds: float, texts: int) -> None:
        with self.lock:
            self.busy_s += seconds
            self.requests += 1
            self.texts += texts

    def to_dict(self) -> dict:
        with self.lock:
            return {"busy_s": self.busy_s, "requests": self.requests, "texts": self.texts}


def make_handler(embedder: StandinEmbedder, stats: Stats) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the openai client reuses its connection
        # Headers and body go out in two writes; with Nagle on, the body waits for the client's
        # delayed ACK (40 ms on Linux), which would be counted as search latency.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args) -> None:  # quiet
            pass

        def _send(self, status: int, payload: dict) -> None:
            body = json.dumps(payload, separators=(",", ":")).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path.rstrip("/") in {"/stats", "/v1/stats"}:
                self._send(200, stats.to_dict())
            elif self.path.rstrip("/") in {"/v1/models", "/models"}:
                self._send(200, {"object": "list", "data": [{"id": MODEL, "object": "model", "owned_by": "bench"}]})
            else:
                self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

        def do_POST(self) -> None:
            started = time.perf_counter()
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path.rstrip("/") not in {"/v1/embeddings", "/embeddings"}:
                self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
                return
            try:
                request = json.loads(raw)
                texts = request["input"]
                if isinstance(texts, str):
                    texts = [texts]
                if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
                    raise TypeError("input must be a string or a list of strings (token ids are not supported)")
            except (ValueError, KeyError, TypeError) as exc:
                self._send(400, {"error": {"message": str(exc), "type": "invalid_request_error"}})
                return
            vectors = embedder.embed(texts)
            as_base64 = request.get("encoding_format") == "base64"
            data = [
                {
                    "object": "embedding",
                    "index": i,
                    "embedding": base64.b64encode(v.astype("<f4").tobytes()).decode() if as_base64 else v.tolist(),
                }
                for i, v in enumerate(vectors)
            ]
            tokens = sum(len(t.split()) for t in texts)
            self._send(
                200,
                {
                    "object": "list",
                    "data": data,
                    "model": request.get("model") or MODEL,
                    "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
                },
            )
            stats.add(time.perf_counter() - started, len(texts))

    return Handler


def make_server(host: str = "127.0.0.1", port: int = 0) -> tuple[ThreadingHTTPServer, Stats]:
    stats = Stats()
    server = ThreadingHTTPServer((host, port), make_handler(StandinEmbedder(), stats))
    server.daemon_threads = True
    return server, stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args()
    server, _ = make_server(args.host, args.port)
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
