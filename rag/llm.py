"""A client for any OpenAI-compatible chat server (OpenAI, vLLM, Ollama, llama.cpp's server).

``llm_timeout`` is a deadline for a whole answer, not for each read: every call made for it
(retries with exponential backoff, the follow-up rewrite when the caller shares its
:class:`Deadline`) must end by then. The call runs on a worker thread, so the caller gives
up on time even while a read is blocked or a server drips one token at a time. A stream
that ends without a ``finish_reason`` was cut off and is an error. Failures become
:class:`LLMError` with a message a user can act on; the key is never part of any message.
Complete responses are cached on disk by (model, messages, options) so a re-run evaluation
does not pay twice.

The budget (:class:`Deadline`) and the retry pauses live in :mod:`rag.llm_deadline`; they are
re-exported here.
"""

from __future__ import annotations

import hashlib
import json
import queue
import re
import threading
from collections.abc import Iterator
from pathlib import Path

from rag.config import LLMSettings, Settings
from rag.errors import ConfigError, LLMError
from rag.llm_deadline import (
    INITIAL_RETRY_PAUSE,
    MAX_RETRY_AFTER,
    MAX_RETRY_PAUSE,
    Deadline,
    DeadlinePassed,
    retry_pause,
)

__all__ = [
    "INITIAL_RETRY_PAUSE",
    "MAX_RETRY_AFTER",
    "MAX_RETRY_PAUSE",
    "OPENAI_URL",
    "ChatClient",
    "Deadline",
    "DeadlinePassed",
    "describe_llm",
    "llm_configured",
    "public_url",
    "resolve_base_url",
]

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
        self.timeout = settings.llm_timeout
        self.retries = settings.llm_retries
        self.cache_dir = Path(data_dir) / "llm_cache" if settings.llm_cache else None
        self._client = openai.OpenAI(
            base_url=self.base_url,
            # Local servers need no key, but the client insists on one.
            api_key=settings.llm_api_key or "not-needed",
            timeout=settings.llm_timeout,
            # Retried here instead (ChatClient._create), within the answer's deadline.
            max_retries=0,
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
    def _error(self, exc: Exception, deadline: Deadline | None = None) -> LLMError:
        import httpx
        import openai

        where = f"the LLM server at {public_url(self.base_url)} (model {self.model!r})"
        if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException | DeadlinePassed):
            seconds = deadline.seconds if deadline is not None else self.timeout
            return LLMError(
                f"{where} did not answer within the timeout: the answer did not finish within {seconds:g} s"
            )
        if isinstance(exc, openai.APIConnectionError):
            return LLMError(f"cannot reach {where}: is it running?")
        if isinstance(exc, openai.AuthenticationError):
            return LLMError(f"{where} rejected the API key (HTTP 401)")
        if isinstance(exc, openai.APIStatusError):
            return LLMError(f"{where} answered HTTP {exc.status_code}")
        if isinstance(exc, httpx.HTTPError):  # the connection broke while the answer streamed in
            return LLMError(f"the LLM stream was cut off before the answer finished ({where}: {type(exc).__name__})")
        return LLMError(f"{where} sent a response that is not a valid chat completion ({type(exc).__name__})")

    def deadline(self) -> Deadline:
        """A fresh budget of ``llm_timeout`` seconds for one answer."""
        return Deadline(self.timeout)

    def _create(self, messages: list[dict[str, str]], deadline: Deadline, stream: bool, stop: threading.Event):
        """One request, retried on connection errors, 408/409/429 and 5xx with exponential backoff,
        each attempt's reads bounded by the time left, and no attempt started past the deadline."""
        import openai

        options = {"stream": True} if stream else {}
        attempt = 0
        while True:
            remaining = deadline.remaining()
            if remaining <= 0 or stop.is_set():
                raise DeadlinePassed
            try:
                return self._client.chat.completions.create(
                    model=self.model,
                    messages=messages,
                    max_tokens=self.max_tokens,
                    temperature=0,
                    timeout=min(remaining, self.timeout),
                    **options,
                )
            except (openai.APIConnectionError, openai.APIStatusError) as exc:
                pause = retry_pause(exc, attempt)
                if attempt >= self.retries or pause is None or pause >= deadline.remaining():
                    raise
                if stop.wait(pause):
                    raise DeadlinePassed from None
                attempt += 1

    def _worker(self, messages, deadline: Deadline, stream: bool, out: queue.Queue, stop: threading.Event) -> None:
        """Runs the call on its own thread and hands over what arrives, so the caller can give up
        at the deadline even while a read is blocked."""
        try:
            response = self._create(messages, deadline, stream, stop)
            if not stream:
                out.put(("reply", response))
                return
            try:
                for chunk in response:
                    if stop.is_set():
                        return
                    out.put(("chunk", chunk))
            finally:
                close = getattr(response, "close", None)
                if close is not None:
                    close()
            out.put(("end", None))
        except Exception as exc:  # every failure goes to the caller, who maps it
            out.put(("error", exc))

    def _call(self, messages: list[dict[str, str]], deadline: Deadline, stream: bool) -> Iterator[tuple[str, object]]:
        """What the worker hands over, until the deadline: then the worker is told to stop and
        left to finish on its own (its reads time out by then too)."""
        out: queue.Queue = queue.Queue()
        stop = threading.Event()
        worker = threading.Thread(
            target=self._worker, args=(messages, deadline, stream, out, stop), name="llm-call", daemon=True
        )
        worker.start()
        try:
            while True:
                try:
                    kind, value = out.get(timeout=max(deadline.remaining(), 0.0))
                except queue.Empty:
                    raise self._error(DeadlinePassed(), deadline) from None
                if kind == "error":
                    raise self._error(value, deadline) from None
                if kind == "chunk" and deadline.remaining() <= 0:
                    raise self._error(DeadlinePassed(), deadline) from None
                yield kind, value
                if kind in ("reply", "end"):
                    return
        finally:
            stop.set()

    def complete(self, messages: list[dict[str, str]], deadline: Deadline | None = None) -> str:
        """The whole answer, within ``deadline`` (default: ``llm_timeout`` from now), retries included."""
        cached = self._cached(messages)
        if cached is not None:
            return cached
        deadline = deadline or self.deadline()
        calls = self._call(messages, deadline, stream=False)
        try:
            response = next(value for kind, value in calls if kind == "reply")
        finally:
            calls.close()
        try:
            text = response.choices[0].message.content
        except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
            raise self._error(exc) from None
        if not isinstance(text, str) or not text.strip():
            raise LLMError(f"the LLM server at {public_url(self.base_url)} returned an empty answer")
        self._store(messages, text)
        return text

    def stream(self, messages: list[dict[str, str]], deadline: Deadline | None = None) -> Iterator[str]:
        """Yield text as it arrives; a cache hit arrives in one piece.

        The whole stream must end by ``deadline``. A stream that ends without a finish_reason
        was cut off: it raises LLMError and is not cached, though its text was already yielded.
        """
        cached = self._cached(messages)
        if cached is not None:
            yield cached
            return
        deadline = deadline or self.deadline()
        parts: list[str] = []
        finished = False
        calls = self._call(messages, deadline, stream=True)
        try:
            for kind, chunk in calls:
                if kind != "chunk":
                    continue
                try:
                    if not chunk.choices:
                        continue  # e.g. a final usage-only chunk
                    finished = finished or bool(getattr(chunk.choices[-1], "finish_reason", None))
                    delta = chunk.choices[0].delta.content
                except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
                    raise self._error(exc) from None
                if delta:
                    parts.append(delta)
                    yield delta
        finally:
            calls.close()  # tells the worker to stop now, not when the generator is collected
        if not finished:
            raise LLMError(
                f"the LLM stream was cut off before the answer finished (no finish_reason from the server at "
                f"{public_url(self.base_url)})"
            )
        text = "".join(parts)
        if not text.strip():
            raise LLMError(f"the LLM server at {public_url(self.base_url)} returned an empty answer")
        self._store(messages, text)
