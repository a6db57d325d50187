"""The HTTP API over the real index: same JSON as the CLI, validation as 4xx, never 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

import rag
from rag.errors import RagError
from ui.server import create_app, parse_auth


@pytest.fixture(scope="module")
def client(full_settings):
    return TestClient(create_app(full_settings))


def test_health_reports_the_index(client):
    body = client.get("/api/health").json()
    assert body["index"]["papers"] == 460 and body["index"]["embedding_dim"] == 384


def test_ask_returns_the_library_answer(client, full_settings):
    body = client.post("/api/ask", json={"question": "What explains grokking?", "k": 3}).json()
    expected = rag.ask("What explains grokking?", k=3, settings=full_settings).to_dict()
    assert {**body, "timings_ms": None} == {**expected, "timings_ms": None}


@pytest.mark.parametrize(
    "payload",
    [
        {"question": ""},
        {"question": "   "},
        {"question": "x" * 20_000},
        {"question": "ok", "k": 0},
        {"question": "ok", "k": "many"},
        {},
    ],
)
def test_invalid_ask_requests_get_422(client, payload):
    response = client.post("/api/ask", json=payload)
    assert response.status_code == 422


def test_a_blank_question_topic_or_query_gets_422_naming_the_field(client):
    ask = client.post("/api/ask", json={"question": " \t "})
    assert ask.status_code == 422 and ask.json()["detail"][0]["loc"] == ["body", "question"]
    summary = client.post("/api/summarize", json={"topic": "  "})
    assert summary.status_code == 422 and summary.json()["detail"][0]["loc"] == ["body", "topic"]
    assert client.get("/api/search", params={"q": "  "}).status_code == 422


def test_search_and_page(client):
    assert client.get("/api/search", params={"q": "softmax collapse", "k": 2}).json()[0]["title"].startswith("Grokking")
    assert client.get("/api/search", params={"q": "x", "mode": "sparse"}).status_code == 422
    assert client.get("/").status_code == 200
    assert client.get("/openapi.json").status_code == 200


def test_auth_is_enforced_when_configured(full_settings):
    locked = TestClient(create_app(full_settings, credentials=("u", "p")))
    assert locked.get("/api/health").status_code == 401
    assert locked.get("/api/health", auth=("u", "p")).status_code == 200
    with pytest.raises(RagError):
        parse_auth("nopassword")


def test_serving_on_a_public_interface_requires_auth(monkeypatch):
    from ui.server import serve

    monkeypatch.delenv("RAG_AUTH", raising=False)
    with pytest.raises(RagError, match="--auth"):
        serve(host="0.0.0.0")


def test_ask_accepts_history_and_answer_mode_and_validates_them(client):
    history = [{"role": "user", "content": "What is GaLore?"}, {"role": "assistant", "content": "It saves memory."}]
    ok = client.post("/api/ask", json={"question": "How does GaLore save memory?", "history": history})
    assert ok.status_code == 200 and ok.json()["mode"] == "extractive"
    bad_role = client.post("/api/ask", json={"question": "ok", "history": [{"role": "system", "content": "x"}]})
    assert bad_role.status_code == 422
    no_llm = client.post("/api/ask", json={"question": "What explains grokking?", "answer_mode": "llm"})
    assert no_llm.status_code == 400 and "RAG_LLM_MODEL" in no_llm.json()["detail"]
