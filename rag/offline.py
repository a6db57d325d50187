"""Settings that make every library we use work without internet, applied before any is imported."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path


def apply_offline_defaults() -> None:
    """Make every library we use work without internet, before any of them is imported.

    Set in code (not only in the README) so a notebook or a test gets the same behaviour.
    """
    try:
        spec = importlib.util.find_spec("llama_index.core")
    except ModuleNotFoundError:  # llama-index not installed: nothing to point at
        spec = None
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
