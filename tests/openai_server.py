"""A scripted OpenAI-compatible chat server on 127.0.0.1 for exact assertions.

It speaks the real protocol (``POST /v1/chat/completions``, JSON or server-sent events)
and answers whatever the test scripts: text, a delay, an HTTP status, garbage, a reply
dripped word by word, or a stream cut off before it finishes.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    text: str = ""
    delay: float = 0.0
    status: int = 200
    raw: bytes | None = None  # sent as-is instead of a completion (malformed responses)
    # Pause between streamed words, so a client can be seen streaming; a JSON (non-streamed)
    # reply is dripped in as many pieces, with the same pauses.
    word_delay: float = 0.0
    cut: bool = False  # a stream stops after the words: no finish_reason, no [DONE]


def _completion(text: str, model: str) -> dict:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _chunk(text: str | None, model: str, finish: str | None = None) -> bytes:
    delta = {"content": text} if text is not None else {}
    body = {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n".encode()


class ScriptedServer:
    def __init__(self, script: Callable[[dict], Reply] | None = None) -> None:
        self.script = script or (lambda request: Reply("The indexed papers do not answer this."))
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                reply = server.script(body)
                time.sleep(reply.delay)
                if reply.raw is not None or reply.status != 200:
                    payload = reply.raw if reply.raw is not None else json.dumps({"error": {"message": "x"}}).encode()
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                model = body.get("model", "test")
                try:
                    if body.get("stream"):
                        self._stream(reply, model)
                    else:
                        self._json(reply, model)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up (a deadline): fine

            def _stream(self, reply: Reply, model: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                words = reply.text.split(" ")
                for i, word in enumerate(words):
                    self.wfile.write(_chunk(word + (" " if i < len(words) - 1 else ""), model))
                    self.wfile.flush()
                    time.sleep(reply.word_delay)
                if not reply.cut:
                    self.wfile.write(_chunk(None, model, "stop"))
                    self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

            def _json(self, reply: Reply, model: str) -> None:
                payload = json.dumps(_completion(reply.text, model)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if not reply.word_delay:
                    self.wfile.write(payload)
                    return
                pieces = max(len(reply.text.split(" ")), 1)
                size = -(-len(payload) // pieces)
                for start in range(0, len(payload), size):
                    self.wfile.write(payload[start : start + size])
                    self.wfile.flush()
                    time.sleep(reply.word_delay)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A reply still dripping to a client that gave up must not hold up close().
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def source_number(request: dict, title_start: str) -> int:
    """The [n] the prompt of ``request`` gives the source whose title starts with ``title_start``."""
    prompt = request["messages"][-1]["content"]
    match = re.search(r'<source n="(\d+)">\nTitle: ' + re.escape(title_start), prompt)
    assert match, f"{title_start!r} not among the sources"
    return int(match.group(1))
