"""A client for any OpenAI-compatible chat server (OpenAI, vLLM, Ollama, llama.cpp's server).

Timeouts and a bounded retry with exponential backoff come from the ``openai`` client
itself. Failures become :class:`LLMError` with a message a user can act on; the key is
never part of any message. Responses are cached on disk by (model, messages, options) so
a re-run evaluation does not pay twice.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

from rag.config import LLMSettings, Settings
from rag.errors import ConfigError, LLMError

OPENAI_URL = "https://api.openai.com/v1"


def llm_configured(settings: Settings) -> bool:
    """Whether an LLM answers questions when the answer mode is "auto"."""
    return bool(settings.llm.llm_model)


def resolve_base_url(settings: LLMSettings) -> str:
    """The server to talk to. OpenAI's own is used only when nothing else is configured and a key is."""
    if settings.llm_base_url:
        return settings.llm_base_url
    if settings.llm_api_key:
        return OPENAI_URL
    raise ConfigError(
        "llm_model is set but neither RAG_LLM_BASE_URL (or OPENAI_BASE_URL) nor an API key is; "
        "set the base URL of your OpenAI-compatible server"
    )


def describe_llm(settings: Settings) -> str:
    """Which LLM answers, for people to read (UI, health check). Never includes the key."""
    if not llm_configured(settings):
        return "none configured (extractive answers; set RAG_LLM_MODEL and RAG_LLM_BASE_URL)"
    try:
        where = resolve_base_url(settings.llm)
    except ConfigError as exc:
        return f"{settings.llm.llm_model} (misconfigured: {exc})"
    return f"{settings.llm.llm_model} at {public_url(where)}"


def public_url(url: str) -> str:
    """A URL without credentials: a base URL may carry them (https://user:token@host)."""
    return re.sub(r"//[^/@]*@", "//", url)


class ChatClient:
    def __init__(self, settings: LLMSettings, data_dir: str) -> None:
        import openai

        self.model = settings.llm_model
        self.base_url = resolve_base_url(settings)
        self.max_tokens = settings.llm_max_tokens
        self.cache_dir = Path(data_dir) / "llm_cache" if settings.llm_cache else None
        self._client = openai.OpenAI(
            base_url=self.base_url,
            # Local servers need no key, but the client insists on one.
            api_key=settings.llm_api_key or "not-needed",
            timeout=settings.llm_timeout,
            max_retries=settings.llm_retries,
        )

    # --- cache ---------------------------------------------------------------------------
    def _cache_path(self, messages: list[dict[str, str]]) -> Path | None:
        if self.cache_dir is None:
            return None
        key = json.dumps(
            {"base_url": self.base_url, "model": self.model, "max_tokens": self.max_tokens, "messages": messages},
            sort_keys=True,
        )
        return self.cache_dir / f"{hashlib.sha256(key.encode()).hexdigest()}.json"

    def _cached(self, messages: list[dict[str, str]]) -> str | None:
        path = self._cache_path(messages)
        if path is None or not path.is_file():
            return None
        try:
            return json.loads(path.read_text())["text"]
        except (OSError, ValueError, KeyError):
            return None  # a damaged cache entry is just a miss

    def _store(self, messages: list[dict[str, str]], text: str) -> None:
        path = self._cache_path(messages)
        if path is not None and text:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"model": self.model, "text": text}))
            tmp.replace(path)

    # --- calls ---------------------------------------------------------------------------
    def _error(self, exc: Exception) -> LLMError:
        import openai

        where = f"the LLM server at {public_url(self.base_url)} (model {self.model!r})"
        if isinstance(exc, openai.APITimeoutError):
            return LLMError(f"{where} did not answer within the timeout")
        if isinstance(exc, openai.APIConnectionError):
            return LLMError(f"cannot reach {where}: is it running?")
        if isinstance(exc, openai.AuthenticationError):
            return LLMError(f"{where} rejected the API key (HTTP 401)")
        if isinstance(exc, openai.APIStatusError):
            return LLMError(f"{where} answered HTTP {exc.status_code}")
        return LLMError(f"{where} sent a response that is not a valid chat completion ({type(exc).__name__})")

    def complete(self, messages: list[dict[str, str]]) -> str:
        import openai

        cached = self._cached(messages)
        if cached is not None:
            return cached
        try:
            response = self._client.chat.completions.create(
                model=self.model, messages=messages, max_tokens=self.max_tokens, temperature=0
            )
            text = response.choices[0].message.content
        except openai.OpenAIError as exc:
            raise self._error(exc) from None
        except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
            raise self._error(exc) from None
        if not isinstance(text, str) or not text.strip():
            raise LLMError(f"the LLM server at {public_url(self.base_url)} returned an empty answer")
        self._store(messages, text)
        return text

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        """Yield text as it arrives; a cache hit arrives in one piece."""
        import openai

        cached = self._cached(messages)
        if cached is not None:
            yield cached
            return
        parts: list[str] = []
        try:
            stream = self._client.chat.completions.create(
                model=self.model, messages=messages, max_tokens=self.max_tokens, temperature=0, stream=True
            )
            for chunk in stream:
                if not chunk.choices:
                    continue
                delta = chunk.choices[0].delta.content
                if delta:
                    parts.append(delta)
                    yield delta
        except openai.OpenAIError as exc:
            raise self._error(exc) from None
        except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
            raise self._error(exc) from None
        text = "".join(parts)
        if not text.strip():
            raise LLMError(f"the LLM server at {public_url(self.base_url)} returned an empty answer")
        self._store(messages, text)
