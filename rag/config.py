"""One settings object for the whole project.

Values come from, in rising priority: the defaults below, an optional TOML file
(``RAG_CONFIG`` or ``./rag.toml``), then environment variables named ``RAG_<FIELD>``
(e.g. ``RAG_CHROMA_URL``). Every layer (CLI, API, UI, eval) reads this object and
nothing else.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from rag.errors import ConfigError

ENV_PREFIX = "RAG_"
DEFAULT_CONFIG_FILE = "rag.toml"


@dataclass(frozen=True)
class Settings:
    """All tunable behaviour, with the defaults a fresh clone runs with."""

    # Where the corpus is read from when `rag ingest` gets no paths.
    corpus_paths: tuple[str, ...] = ("data",)
    # Local state (embedded Chroma, ingest manifest); git-ignored.
    data_dir: str = ".rag"
    # Chroma collection name; chunks go here, sentences into "<name>_sentences".
    collection: str = "papers"
    # When set (e.g. http://127.0.0.1:8000) a Chroma server is used instead of the embedded store.
    chroma_url: str = ""

    # "local": all-MiniLM-L6-v2 (int8 ONNX, runs offline). "openai": an OpenAI-compatible endpoint.
    embed_backend: str = "local"
    embed_model: str = "text-embedding-3-small"
    embed_base_url: str = ""
    embed_api_key: str = field(default="", repr=False)
    embed_batch_size: int = 32

    # Token budgets counted with tiktoken cl100k_base. Abstracts here are 207/296/359
    # tokens at p10/p50/p90 (title included), so 384 keeps about nine in ten in one chunk.
    chunk_tokens: int = 384
    chunk_overlap: int = 48

    retrieval_mode: str = "hybrid"
    search_k: int = 10
    ask_k: int = 5
    # Chunks fetched per retriever before fusion and per-paper grouping.
    candidates: int = 40

    # Abstain when the best sentence scores below this (cosine + 0.35 x query-term overlap).
    # On eval/questions.jsonl: answerable questions score >= 0.529, unanswerable ones <= 0.271
    # (<= 0.496 before the unknown-name rule). See README, "Abstention".
    abstain_threshold: float = 0.45
    max_answer_sentences: int = 5
    max_sentences_per_paper: int = 3

    # Subfield summaries: at most this many on-topic papers, chosen from summary_candidates
    # retrieved chunks per retriever.
    summary_max_papers: int = 30
    summary_candidates: int = 120

    # "auto": the LLM when llm_model is set, else extractive. "extractive" or "llm" force one.
    answer_mode: str = "auto"
    # OpenAI-compatible LLM; an empty llm_model means the extractive default.
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = field(default="", repr=False)
    # The model's context window; prompts are cut to fit it with room for llm_max_tokens.
    llm_context_tokens: int = 8192
    llm_max_tokens: int = 512
    llm_timeout: float = 60.0
    # Retries of connection errors, 429 and 5xx, with exponential backoff (the openai client's).
    llm_retries: int = 2
    llm_cache: bool = True
    # A generated sentence counts as supported by a cited paper at or above this score
    # (0.5 x best sentence cosine + 0.5 x content-word overlap). See README, "Citation checks".
    support_threshold: float = 0.55

    host: str = "127.0.0.1"
    port: int = 7860
    # Chat turns (and summaries) the UI runs at once; more wait in Gradio's queue.
    ui_concurrency: int = 4

    @property
    def chroma_path(self) -> Path:
        return Path(self.data_dir) / "chroma"

    @property
    def sentence_collection(self) -> str:
        return f"{self.collection}_sentences"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def public_dict(self) -> dict[str, Any]:
        """Settings safe to show or log: API keys are masked."""
        shown = dataclasses.asdict(self)
        for name in shown:
            if name.endswith("api_key") and shown[name]:
                shown[name] = "***"
        return shown


def _coerce(name: str, raw: Any, default: Any) -> Any:
    """Convert a TOML/env value to the type of the field's default, naming the field on error."""
    try:
        if isinstance(default, bool):
            if isinstance(raw, bool):
                return raw
            return str(raw).strip().lower() in {"1", "true", "yes", "on"}
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, tuple):
            if isinstance(raw, (list, tuple)):
                return tuple(str(item) for item in raw)
            return tuple(part for part in str(raw).split(os.pathsep) if part)
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name!r}: cannot use {raw!r} ({exc})") from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"config file {path}: {exc}") from None


def load_settings(config_file: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Build Settings from defaults, the TOML file, RAG_* env vars, then explicit overrides."""
    defaults = Settings()
    known = {f.name: getattr(defaults, f.name) for f in fields(Settings)}
    values: dict[str, Any] = {}

    path = config_file or os.environ.get(f"{ENV_PREFIX}CONFIG")
    if path is None and Path(DEFAULT_CONFIG_FILE).is_file():
        path = DEFAULT_CONFIG_FILE
    if path:
        for name, raw in _read_toml(Path(path)).items():
            if name not in known:
                raise ConfigError(f"config file {path}: unknown setting {name!r}")
            values[name] = _coerce(name, raw, known[name])

    for name, default in known.items():
        raw = os.environ.get(f"{ENV_PREFIX}{name.upper()}")
        if raw is not None:
            values[name] = _coerce(name, raw, default)

    # The standard OpenAI variables are honoured only when the RAG_ ones are absent.
    if "llm_api_key" not in values and os.environ.get("OPENAI_API_KEY"):
        values["llm_api_key"] = os.environ["OPENAI_API_KEY"]
    if "llm_base_url" not in values and os.environ.get("OPENAI_BASE_URL"):
        values["llm_base_url"] = os.environ["OPENAI_BASE_URL"]

    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = Settings(**values)
    _validate(settings)
    return settings


def _validate(settings: Settings) -> None:
    if settings.embed_backend not in {"local", "openai"}:
        raise ConfigError(f"setting 'embed_backend': expected 'local' or 'openai', got {settings.embed_backend!r}")
    if settings.retrieval_mode not in {"hybrid", "dense", "bm25"}:
        raise ConfigError(f"setting 'retrieval_mode': expected hybrid, dense or bm25, got {settings.retrieval_mode!r}")
    if settings.answer_mode not in {"auto", "extractive", "llm"}:
        raise ConfigError(f"setting 'answer_mode': expected auto, extractive or llm, got {settings.answer_mode!r}")
    if settings.llm_max_tokens >= settings.llm_context_tokens:
        raise ConfigError("settings 'llm_max_tokens'/'llm_context_tokens': the answer must fit in the context")
    if len(settings.collection) < 3:
        raise ConfigError("setting 'collection': Chroma needs a name of at least 3 characters")
    if not 0 <= settings.chunk_overlap < settings.chunk_tokens:
        raise ConfigError("settings 'chunk_overlap'/'chunk_tokens': need 0 <= overlap < tokens")


def apply_offline_defaults() -> None:
    """Make every library we use work without internet, before any of them is imported.

    Set in code (not only in the README) so a notebook or a test gets the same behaviour.
    """
    spec = importlib.util.find_spec("llama_index.core")
    if spec is not None and spec.submodule_search_locations:
        # llama-index-core ships cl100k_base/o200k_base under tiktoken's cache names.
        cache = Path(next(iter(spec.submodule_search_locations))) / "_static" / "tiktoken_cache"
        os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(cache))
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    # NLTK_DATA is deliberately left alone: llama-index finds its bundled NLTK data only
    # when it is unset.


__all__ = ["Settings", "apply_offline_defaults", "load_settings"]
