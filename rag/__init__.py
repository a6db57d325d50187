"""Question answering over research-paper abstracts, with citations, offline by default.

>>> from rag import search, ask
>>> ask("What causes grokking?").to_dict()

The public names load on first use, so `import rag` (and `rag --help`) stays fast: the
embedding model, Chroma, llama-index and the OpenAI client are imported only by the
functions that need them.
"""

from importlib import import_module
from typing import TYPE_CHECKING

from rag.offline import apply_offline_defaults

# Before llama-index, tiktoken, Chroma or Gradio are imported anywhere.
apply_offline_defaults()

from rag.config import Settings, load_settings  # noqa: E402
from rag.errors import ConfigError, IndexEmptyError, LLMError, NotFoundError, RagError, StoreError  # noqa: E402

_LAZY = {
    "ask": "rag.pipeline",
    "check": "rag.pipeline",
    "ask_stream": "rag.pipeline",
    "get_paper": "rag.pipeline",
    "ingest": "rag.pipeline",
    "list_papers": "rag.pipeline",
    "search": "rag.pipeline",
    "status": "rag.pipeline",
    "summarize": "rag.pipeline",
    "check_question": "rag.pipeline",
    "get_engine": "rag.engine",
    "describe_llm": "rag.llm",
    "llm_configured": "rag.llm",
    "CITATION": "rag.text",
    "Answer": "rag.types",
    "AnswerSentence": "rag.types",
    "AskEvent": "rag.types",
    "AskOptions": "rag.types",
    "Citation": "rag.types",
    "Hit": "rag.types",
    "IndexStatus": "rag.types",
    "Notice": "rag.types",
    "Paper": "rag.types",
    "SearchResults": "rag.types",
    "Summary": "rag.types",
    "SummaryPaper": "rag.types",
    "Theme": "rag.types",
    "RETRIEVAL_MODES": "rag.types",
    "ANSWER_MODES": "rag.types",
    "AnswerMode": "rag.types",
    "RetrievalMode": "rag.types",
    "IngestReport": "rag.ingestion",
    "answer_markdown": "rag.export",
    "answer_bibtex": "rag.export",
    "conversation_markdown": "rag.export",
    "paper_links": "rag.export",
    "get_papers": "rag.pipeline",
    "list_sources": "rag.pipeline",
}

__all__ = [
    "ANSWER_MODES",
    "CITATION",
    "RETRIEVAL_MODES",
    "Answer",
    "AnswerMode",
    "AnswerSentence",
    "AskEvent",
    "AskOptions",
    "Citation",
    "ConfigError",
    "Hit",
    "IndexEmptyError",
    "IndexStatus",
    "IngestReport",
    "LLMError",
    "NotFoundError",
    "Notice",
    "Paper",
    "RagError",
    "RetrievalMode",
    "SearchResults",
    "Settings",
    "StoreError",
    "Summary",
    "SummaryPaper",
    "Theme",
    "answer_bibtex",
    "answer_markdown",
    "ask",
    "ask_stream",
    "check",
    "check_question",
    "conversation_markdown",
    "describe_llm",
    "get_engine",
    "get_paper",
    "get_papers",
    "ingest",
    "list_papers",
    "list_sources",
    "llm_configured",
    "load_settings",
    "paper_links",
    "search",
    "status",
    "summarize",
]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'rag' has no attribute {name!r}")


if TYPE_CHECKING:
    from rag.engine import get_engine
    from rag.export import answer_bibtex, answer_markdown, conversation_markdown, paper_links
    from rag.ingestion import IngestReport
    from rag.llm import describe_llm, llm_configured
    from rag.pipeline import (
        ask,
        ask_stream,
        check,
        check_question,
        get_paper,
        get_papers,
        ingest,
        list_papers,
        list_sources,
        search,
        status,
        summarize,
    )
    from rag.text import CITATION
    from rag.types import (
        ANSWER_MODES,
        RETRIEVAL_MODES,
        Answer,
        AnswerMode,
        AnswerSentence,
        AskEvent,
        AskOptions,
        Citation,
        Hit,
        IndexStatus,
        Notice,
        Paper,
        RetrievalMode,
        SearchResults,
        Summary,
        SummaryPaper,
        Theme,
    )
