"""The HTTP API against hostile or broken input: surrogates, huge numbers, huge or slow bodies,
slow headers, open docs pages, and a Chroma server that goes away. Never a 500, never an echo.

Over a small real index; the size and timeout tests talk raw HTTP to a real uvicorn server,
because a test client reads the whole body before the app sees any of it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

import rag
import ui.server
from tests.conftest import free_port, running_server
from ui.server import HeaderTimeoutH11, create_app

LIMIT = ui.server.MAX_BODY_BYTES


@pytest.fixture(scope="module")
def client(small_index):
    # raise_server_exceptions=False: a 500 must show up as a 500 here, not as an exception.
    return TestClient(create_app(small_index), raise_server_exceptions=False)


def post_raw(client, path: str, body: bytes):
    return client.post(path, content=body, headers={"content-type": "application/json"})


# --- bad input: 422 naming the field, never 500, never the input echoed -------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/ask", rb'{"question": "What is \ud800 grokking?"}', "question"),
        ("/api/ask", rb'{"question": "ok", "source": "\udfff"}', "source"),
        ("/api/ask", rb'{"question": "ok", "history": [{"role": "user", "content": "\ud800"}]}', "content"),
        ("/api/summarize", rb'{"topic": "\ud800"}', "topic"),
    ],
    ids=["question", "source", "history", "topic"],
)
def test_lone_surrogates_get_422_naming_the_field(client, path, body, field):
    response = post_raw(client, path, body)
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"][-1] == field and error["msg"]
    assert "input" not in error and "\\ud" not in response.text.lower()


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/ask", b'{"question": "What explains grokking?", "k": 1e400}', "k"),
        ("/api/ask", b'{"question": "What explains grokking?", "k": -1e400}', "k"),
        ("/api/ask", b'{"question": "What explains grokking?", "k": 3.5}', "k"),
        ("/api/ask", b'{"question": "What explains grokking?", "k": 3.0}', "k"),
        ("/api/ask", b'{"question": "What explains grokking?", "k": "3"}', "k"),
        ("/api/ask", b'{"question": "What explains grokking?", "k": true}', "k"),
        ("/api/summarize", b'{"topic": "grokking", "max_papers": 1e400}', "max_papers"),
    ],
    ids=["inf", "-inf", "fraction", "float", "string", "bool", "max-papers-inf"],
)
def test_numbers_that_are_not_small_integers_get_422(client, path, body, field):
    response = post_raw(client, path, body)
    assert response.status_code == 422, response.text
    assert [error["loc"][-1] for error in response.json()["detail"]] == [field]
    assert "input" not in response.text and "Infinity" not in response.text


def test_search_k_must_be_a_small_integer(client):
    for k in ("1e400", "3.5", "inf", "9" * 5000):
        response = client.get("/api/search", params={"q": "grokking", "k": k})
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "k"]


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe\x00",
        b"[1, 2]",
        b"null",
        b'"question"',
        b"{",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"question": {}}',
        b'{"question": "What explains grokking?", "k": 1' + b"0" * 5000 + b"}",
    ],
    ids=["bad-utf8", "list", "null", "string", "truncated", "deep-nesting", "object-question", "5000-digits"],
)
def test_malformed_bodies_get_a_4xx(client, body):
    response = post_raw(client, "/api/ask", body)
    assert 400 <= response.status_code < 500, response.text
    assert "Traceback" not in response.text


def test_validation_errors_do_not_echo_the_input(client):
    question = "secret-" + "x" * 20_000
    response = client.post("/api/ask", json={"question": question, "k": "many", "mode": "sparse"})
    assert response.status_code == 422
    assert "secret-" not in response.text and "xxxx" not in response.text and len(response.content) < 1000
    assert {e["loc"][-1] for e in response.json()["detail"]} == {"question", "k", "mode"}
    assert "at most 4000 characters" in response.text  # the message stays


# --- body size ------------------------------------------------------------------------------


def test_a_body_over_the_limit_gets_413_in_the_test_client(client):
    response = post_raw(client, "/api/ask", b'{"question": "' + b"x" * (LIMIT + 10) + b'"}')
    assert response.status_code == 413 and "limit" in response.json()["detail"]
    assert "xxxx" not in response.text

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(3):
            yield b"y" * (LIMIT // 2)

    response = client.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and "yyyy" not in response.text


@pytest.fixture(scope="module")
def live(small_index):
    """The app on a real uvicorn with serve()'s protocol, short body and header timeouts."""
    saved = ui.server.BODY_TIMEOUT_S
    ui.server.BODY_TIMEOUT_S = 1.5
    try:
        app = create_app(small_index)
    finally:
        ui.server.BODY_TIMEOUT_S = saved

    class QuickHeaders(HeaderTimeoutH11):
        header_timeout = 1.5

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", http=QuickHeaders))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not server.started:
        assert time.time() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield port
    server.should_exit = True
    thread.join(timeout=15)


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    return sock


def read_response(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_a_100_mb_body_gets_413_before_it_is_sent(live):
    with connect(live) as sock:
        sock.sendall(
            b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000000\r\n\r\n" + b'{"question": "' + b"z" * 1000
        )
        started = time.perf_counter()
        response = read_response(sock)  # the server answers and closes without waiting for the rest
    assert response.startswith(b"HTTP/1.1 413") and time.perf_counter() - started < 5
    assert b"zzzz" not in response and b"limit" in response


def test_a_chunked_body_is_cut_off_once_it_passes_the_limit(live):
    piece = b"q" * 65536
    chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
    sent = 0
    with connect(live) as sock:
        sock.sendall(
            b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        sock.settimeout(0.05)
        response = b""
        while sent < 100_000_000:
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
            try:
                response = sock.recv(65536)
            except TimeoutError:
                continue
            break
        sock.settimeout(10)
        try:
            response += read_response(sock)
        except ConnectionResetError:
            pass
    assert response.startswith(b"HTTP/1.1 413"), response[:200]
    assert sent < 10 * LIMIT and b"qqqq" not in response


def test_a_stalled_body_gets_408(live):
    with connect(live) as sock:
        sock.sendall(
            b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            b'{"question": '
        )
        started = time.perf_counter()
        response = read_response(sock)
    assert response.startswith(b"HTTP/1.1 408") and 1.0 < time.perf_counter() - started < 5
    assert b"question" not in response


def test_headers_trickled_in_byte_by_byte_are_cut_off(live):
    with connect(live) as sock:
        started = time.perf_counter()
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
        closed = False
        for _ in range(40):  # one header line every 0.25 s: forever, unless the server hangs up
            try:
                sock.sendall(b"X-Slow: 1\r\n")
                sock.settimeout(0.25)
                closed = sock.recv(1024) == b""
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed = True
            if closed:
                break
    assert closed and time.perf_counter() - started < 4


def test_a_normal_request_on_the_live_server_still_works(live):
    with connect(live) as sock:
        body = json.dumps({"question": "What explains grokking?", "k": 2}).encode()
        sock.sendall(
            b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        response = read_response(sock)
    assert response.startswith(b"HTTP/1.1 200") and b'"citations"' in response


def test_serve_sets_the_slow_client_limits(monkeypatch, small_index):
    captured = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: captured.update(options))
    monkeypatch.setenv("RAG_DATA_DIR", small_index.store.data_dir)
    monkeypatch.delenv("RAG_AUTH", raising=False)
    ui.server.serve(port=free_port())
    assert captured["http"] is HeaderTimeoutH11
    assert captured["timeout_keep_alive"] == ui.server.KEEP_ALIVE_TIMEOUT_S == 5
    assert captured["h11_max_incomplete_event_size"] == 16 * 1024


# --- auth covers the docs -------------------------------------------------------------------


def test_docs_and_schema_need_the_login_when_auth_is_configured(small_index):
    locked = TestClient(create_app(small_index, credentials=("u", "p")))
    for path in ("/docs", "/redoc", "/openapi.json", "/api/health"):
        assert locked.get(path).status_code == 401, path
        assert locked.get(path, auth=("u", "wrong")).status_code == 401, path
        assert locked.get(path, auth=("u", "p")).status_code == 200, path
    schema = locked.get("/openapi.json", auth=("u", "p")).json()
    assert {"/api/ask", "/api/search"} <= set(schema["paths"]) and "/docs" not in schema["paths"]


def test_docs_stay_open_without_auth(client):
    assert client.get("/docs").status_code == 200 and "/openapi.json" in client.get("/docs").text
    assert client.get("/redoc").status_code == 200
    assert "/api/ask" in client.get("/openapi.json").json()["paths"]


# --- Chroma server down -----------------------------------------------------------------------


def test_chroma_server_down_gives_503_with_a_clear_message(tmp_path, small_index):
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    assert chroma, "the `chroma` command (from chromadb) is not installed"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [chroma, "run", "--path", str(tmp_path / "db"), "--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    settings = small_index.replace(chroma_url=url, data_dir=str(tmp_path / "state"))
    requests = [
        ("get", "/api/health", {}),
        ("get", "/api/search", {"params": {"q": "grokking"}}),
        ("post", "/api/ask", {"json": {"question": "What explains grokking?"}}),
        ("post", "/api/summarize", {"json": {"topic": "grokking"}}),
        ("get", "/api/papers/some-paper", {}),
    ]
    api = TestClient(create_app(settings), raise_server_exceptions=False)
    with running_server("chroma server", command, f"{url}/api/v2/heartbeat", tmp_path / "chroma.log", 60, env=env):
        rag.ingest(settings=settings)
        assert api.get("/api/search", params={"q": "grokking"}).status_code == 200
    # The server is stopped now; the app still holds its client.
    for method, path, options in requests:
        response = getattr(api, method)(path, **options)
        assert response.status_code == 503, (path, response.text)
        assert response.json()["detail"].startswith(f"the Chroma server at {url} is unreachable"), response.text
        assert "Traceback" not in response.text

    # A server that was never up, from the first request on.
    never = settings.replace(chroma_url=f"http://127.0.0.1:{free_port()}")
    response = TestClient(create_app(never), raise_server_exceptions=False).get("/api/health")
    assert response.status_code == 503 and "is unreachable" in response.json()["detail"]
