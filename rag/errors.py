"""Named errors that the CLI, API and UI turn into clear messages."""


class RagError(Exception):
    """Base class: anything the user can act on. The message says what and where."""


class ConfigError(RagError):
    """A setting or the config file is invalid."""


class CorpusError(RagError):
    """A corpus file cannot be read at all (the rest of the corpus still ingests)."""


class EmbeddingError(RagError):
    """The embedding model cannot be loaded or called."""


class EmbeddingMismatchError(RagError):
    """The collection was built with a different embedding model or dimension."""


class StoreError(RagError):
    """The Chroma store cannot be opened or reached."""


class IndexEmptyError(RagError):
    """Nothing is indexed yet; the user should run `rag ingest`."""


class LLMError(RagError):
    """The configured LLM server failed, timed out, or answered something unusable."""


class NotFoundError(RagError):
    """A paper id (or other named thing) that the index does not hold."""
