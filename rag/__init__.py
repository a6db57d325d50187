"""Question answering over research-paper abstracts, with citations, offline by default.

>>> from rag import search, ask
>>> ask("What causes grokking?").to_dict()
"""

from rag.config import apply_offline_defaults

# Before llama-index, tiktoken, Chroma or Gradio are imported anywhere.
apply_offline_defaults()

from rag.config import Settings, load_settings  # noqa: E402
from rag.errors import RagError  # noqa: E402
from rag.pipeline import (  # noqa: E402
    AskEvent,
    ask,
    ask_stream,
    get_engine,
    get_paper,
    ingest,
    list_papers,
    search,
    status,
    summarize,
)
from rag.types import Answer, Citation, Paper, SearchHit, SearchResults, Source  # noqa: E402

__all__ = [
    "Answer",
    "AskEvent",
    "Citation",
    "Paper",
    "RagError",
    "SearchHit",
    "SearchResults",
    "Settings",
    "Source",
    "ask",
    "ask_stream",
    "get_engine",
    "get_paper",
    "ingest",
    "list_papers",
    "load_settings",
    "search",
    "status",
    "summarize",
]
