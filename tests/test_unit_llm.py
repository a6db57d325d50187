"""Unit tests for the chat client (rag.llm): error mapping without leaking secrets, and the disk cache."""

from __future__ import annotations

import json
import socket
from types import SimpleNamespace

import httpx
import openai
import pytest

from rag.config import LLMSettings, Settings
from rag.errors import ConfigError, LLMError
from rag.llm import ChatClient, describe_llm, llm_configured, resolve_base_url

API_KEY = "sk-test-SECRET-0123456789"
MESSAGES = [{"role": "user", "content": "What is GaLore?"}]
REQUEST = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def client(tmp_path, base_url: str | None = None, **changes) -> ChatClient:
    settings = LLMSettings(
        llm_model="tiny",
        llm_base_url=base_url or f"http://127.0.0.1:{closed_port()}/v1",
        llm_api_key=API_KEY,
        llm_retries=0,
        llm_timeout=1,
        **changes,
    )
    return ChatClient(settings, str(tmp_path))


def status_error(cls, code: int) -> openai.APIStatusError:
    return cls(f"error with key {API_KEY}", response=httpx.Response(code, request=REQUEST), body=None)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (openai.APITimeoutError(request=REQUEST), "timeout"),
        (openai.APIConnectionError(message=f"refused {API_KEY}", request=REQUEST), "cannot reach"),
        (status_error(openai.AuthenticationError, 401), "rejected the API key"),
        (status_error(openai.RateLimitError, 429), "HTTP 429"),
        (status_error(openai.InternalServerError, 503), "HTTP 503"),
        (ValueError(f"bad payload {API_KEY}"), "not a valid chat completion"),
    ],
    ids=["timeout", "connection", "auth", "rate-limit", "server-error", "bad-response"],
)
def test_errors_map_to_llm_errors_without_the_key(tmp_path, exc, expected):
    chat = client(tmp_path)
    error = chat._error(exc)
    assert isinstance(error, LLMError)
    assert expected in str(error)
    assert chat.base_url in str(error) and "tiny" in str(error)  # says which server and model
    assert API_KEY not in str(error)


class FakeCompletions:
    """Stands in for ``openai.OpenAI().chat.completions``: raises ``error`` or returns ``text``."""

    def __init__(self, text: str | None = None, error: Exception | None = None) -> None:
        self.text, self.error, self.calls = text, error, 0

    def create(self, **kwargs):
        self.calls += 1
        if self.error is not None:
            raise self.error
        if kwargs.get("stream"):
            pieces = [chunk(piece) for piece in (self.text or "").split(" ")]
            # A complete stream ends with a finish_reason (a cut one does not, and is an error).
            done = SimpleNamespace(choices=[SimpleNamespace(delta=SimpleNamespace(content=None), finish_reason="stop")])
            return iter([SimpleNamespace(choices=[]), *pieces, done])
        message = SimpleNamespace(content=self.text)
        return SimpleNamespace(choices=[SimpleNamespace(message=message)] if self.text is not None else [])


def chunk(piece: str):
    return SimpleNamespace(choices=[SimpleNamespace(delta=SimpleNamespace(content=piece + " "))])


def with_fake_server(chat: ChatClient, completions: FakeCompletions) -> FakeCompletions:
    chat._client = SimpleNamespace(chat=SimpleNamespace(completions=completions))
    return completions


@pytest.mark.parametrize(
    ("completions", "expected"),
    [
        (FakeCompletions(error=openai.APIConnectionError(message=f"refused {API_KEY}", request=REQUEST)), "reach"),
        (FakeCompletions(error=status_error(openai.AuthenticationError, 401)), "rejected the API key"),
        (FakeCompletions(text="   "), "empty answer"),
        (FakeCompletions(text=None), "not a valid chat completion"),  # no choices at all
    ],
    ids=["connection", "auth", "blank", "no-choices"],
)
def test_failed_calls_raise_llm_errors_and_cache_nothing(tmp_path, completions, expected):
    chat = client(tmp_path)
    with_fake_server(chat, completions)
    with pytest.raises(LLMError, match=expected) as info:
        chat.complete(MESSAGES)
    assert API_KEY not in str(info.value)
    assert info.value.__cause__ is None  # raised "from None": no chained exception carrying the request
    assert chat._cached(MESSAGES) is None


def test_answers_are_cached_and_streamed_answers_too(tmp_path):
    chat = client(tmp_path)
    completions = with_fake_server(chat, FakeCompletions(text="GaLore saves memory [1]."))
    assert chat.complete(MESSAGES) == "GaLore saves memory [1]."
    assert chat.complete(MESSAGES) == "GaLore saves memory [1]." and completions.calls == 1
    other = [{"role": "user", "content": "And LoRA?"}]
    pieces = list(chat.stream(other))
    assert len(pieces) > 1 and "".join(pieces).strip() == "GaLore saves memory [1]."
    assert list(chat.stream(other)) == ["".join(pieces)] and completions.calls == 2


def test_cached_reply_is_returned_without_calling_the_server(tmp_path):
    chat = client(tmp_path)  # nothing listens on its port: only the cache can answer
    path = chat._cache_path(MESSAGES)
    assert path is not None and path.parent == tmp_path / "llm_cache"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"model": "tiny", "text": "GaLore projects gradients [1]."}))
    assert chat.complete(MESSAGES) == "GaLore projects gradients [1]."
    assert list(chat.stream(MESSAGES)) == ["GaLore projects gradients [1]."]
    # The key depends on the messages and the model: another question misses the cache.
    assert chat._cache_path([{"role": "user", "content": "Other?"}]) != path
    assert client(tmp_path, base_url=chat.base_url, llm_max_tokens=99)._cache_path(MESSAGES) != path


def test_store_then_read_round_trip_and_damaged_entries_are_misses(tmp_path):
    chat = client(tmp_path)
    chat._store(MESSAGES, "an answer")
    assert chat._cached(MESSAGES) == "an answer"
    assert not list((tmp_path / "llm_cache").glob("*.tmp"))  # written atomically
    chat._cache_path(MESSAGES).write_text("{not json")
    assert chat._cached(MESSAGES) is None
    assert client(tmp_path, llm_cache=False)._cache_path(MESSAGES) is None


def test_describe_llm_never_shows_the_key_or_url_credentials():
    settings = Settings().replace(
        llm_model="tiny", llm_base_url="https://user:tok3n@llm.example/v1", llm_api_key=API_KEY
    )
    text = describe_llm(settings)
    assert "tiny" in text and "llm.example" in text
    assert "tok3n" not in text and API_KEY not in text
    assert not llm_configured(Settings()) and "none configured" in describe_llm(Settings())
    assert resolve_base_url(LLMSettings(llm_api_key=API_KEY)) == "https://api.openai.com/v1"
    with pytest.raises(ConfigError):
        resolve_base_url(LLMSettings(llm_model="tiny"))


def test_llm_errors_do_not_show_url_credentials(tmp_path):
    chat = client(tmp_path, base_url=f"http://user:tok3n@127.0.0.1:{closed_port()}/v1")
    assert "tok3n" not in str(chat._error(openai.APIConnectionError(request=REQUEST)))
