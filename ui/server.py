"""HTTP API (FastAPI) with the Gradio chat UI mounted at ``/``.

Both are thin layers over the public `rag` functions; bad input becomes a 4xx with a clear
message that never echoes the input back, a store that cannot be reached a 503, never a
500. Bodies over :data:`MAX_BODY_BYTES` get a 413 before they are read. `rag serve` finds
:func:`serve` through the ``rag.apps`` entry point.

The pieces it is built from live beside it and are re-exported here: the request models
(:mod:`ui.api_models`), the body-size and slow-client limits (:mod:`ui.limits`) and the
error handlers (:mod:`ui.errors`).
"""

from __future__ import annotations

import logging
import secrets
import threading
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.security import HTTPBasic, HTTPBasicCredentials

import rag
from rag import RagError, RetrievalMode, Settings, load_settings
from ui.api_models import MAX_QUESTION_CHARS, AskRequest, QueryText, SummarizeRequest, Text, Turn, valid_text
from ui.errors import add_error_handlers, public_url, unreachable_message, validation_errors
from ui.limits import (
    BODY_TIMEOUT_S,
    HEADER_TIMEOUT_S,
    KEEP_ALIVE_TIMEOUT_S,
    MAX_BODY_BYTES,
    MAX_HEADER_BYTES,
    BodyLimit,
    HeaderTimeoutH11,
)

__all__ = [
    "BODY_TIMEOUT_S",
    "HEADER_TIMEOUT_S",
    "KEEP_ALIVE_TIMEOUT_S",
    "LOCAL_HOSTS",
    "MAX_BODY_BYTES",
    "MAX_HEADER_BYTES",
    "MAX_QUESTION_CHARS",
    "AskRequest",
    "BodyLimit",
    "HeaderTimeoutH11",
    "SummarizeRequest",
    "Text",
    "Turn",
    "add_docs",
    "add_error_handlers",
    "create_app",
    "parse_auth",
    "public_url",
    "serve",
    "unreachable_message",
    "valid_text",
    "validation_errors",
    "warm_index",
]

logger = logging.getLogger(__name__)

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def _auth_dependency(credentials: tuple[str, str] | None):
    if credentials is None:
        return None
    basic = HTTPBasic()

    # A default argument, not Annotated[...]: with postponed annotations FastAPI could not
    # resolve the local `basic` and would read the credentials as a query parameter.
    def check(given: HTTPBasicCredentials = Depends(basic)) -> None:  # noqa: B008
        user_ok = secrets.compare_digest(given.username, credentials[0])
        pass_ok = secrets.compare_digest(given.password, credentials[1])
        if not (user_ok and pass_ok):
            raise HTTPException(status_code=401, detail="wrong user or password", headers={"WWW-Authenticate": "Basic"})

    return check


def add_docs(app: FastAPI, guards: list) -> None:
    """/openapi.json, /docs and /redoc, behind the same login as the API when there is one."""

    @app.get("/openapi.json", dependencies=guards, include_in_schema=False)
    def openapi() -> dict:
        return app.openapi()

    @app.get("/docs", dependencies=guards, include_in_schema=False)
    def docs():
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} API")

    @app.get("/redoc", dependencies=guards, include_in_schema=False)
    def redoc():
        return get_redoc_html(openapi_url="/openapi.json", title=f"{app.title} API")


def create_app(settings: Settings | None = None, credentials: tuple[str, str] | None = None) -> FastAPI:
    settings = settings or load_settings()
    # FastAPI's own docs routes would be open to anyone: add_docs serves them behind the guards.
    app = FastAPI(
        title="paper-rag",
        description="Cited answers from research-paper abstracts.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    # Read as this module's names, so a test may override ui.server.BODY_TIMEOUT_S.
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES, timeout=BODY_TIMEOUT_S)
    check = _auth_dependency(credentials)
    guards = [Depends(check)] if check else []
    add_error_handlers(app, settings)
    add_docs(app, guards)

    @app.get("/api/health", dependencies=guards)
    def health() -> dict:
        index = rag.status(settings).to_dict()
        return {
            "status": "ok",
            "index": index,
            # False until the index and the embedding model are loaded (see warm_index).
            "index_loaded": rag.get_engine(settings).warm,
            "llm": settings.llm.llm_model or None,
        }

    @app.get("/api/papers/{paper_id}", dependencies=guards)
    def paper(paper_id: Text) -> dict:
        found = rag.get_paper(paper_id, settings)
        return {
            "paper_id": found.paper_id,
            "title": found.title,
            "source": found.source,
            "abstract": found.abstract,
            "links": list(found.links),
            "url": found.url,
        }

    @app.get("/api/search", dependencies=guards)
    def search(
        q: Annotated[QueryText, Query(min_length=1, max_length=MAX_QUESTION_CHARS)],
        k: Annotated[int, Query(ge=1, le=100)] = 10,
        mode: RetrievalMode | None = None,
        source: Annotated[Text | None, Query()] = None,
    ) -> list[dict]:
        return rag.search(q, k=k, mode=mode, source=source, settings=settings).to_dict()

    @app.post("/api/ask", dependencies=guards)
    def ask(request: AskRequest) -> dict:
        return rag.ask(
            request.question,
            k=request.k,
            mode=request.mode,
            source=request.source,
            answer_mode=request.answer_mode,
            history=[turn.model_dump() for turn in request.history],
            settings=settings,
        ).to_dict()

    @app.post("/api/summarize", dependencies=guards)
    def summarize(request: SummarizeRequest) -> dict:
        return rag.summarize(
            request.topic, max_papers=request.max_papers, answer_mode=request.answer_mode, settings=settings
        ).to_dict()

    import gradio as gr

    from ui.app import CSS, HEAD, THEME, build_ui

    return gr.mount_gradio_app(
        app,
        build_ui(settings),
        path="/",
        auth=credentials,
        theme=THEME,
        css=CSS,
        head=HEAD,
        footer_links=["api"],
    )


def parse_auth(value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise RagError("--auth must look like user:pass")
    return user, password


def warm_index(settings: Settings) -> threading.Thread:
    """Load the index and the embedding model in a background thread, so that the first question
    does not wait for them (the UI shows "loading the index…" to one that arrives earlier)."""

    def warm() -> None:
        try:
            rag.search("warm up", k=1, settings=settings)  # loads the snapshot, BM25 and the model
        except Exception as exc:  # an empty or unreachable index: the first request reports it
            logger.info("the index was not loaded in the background: %s", exc)

    thread = threading.Thread(target=warm, name="rag-warm-index", daemon=True)
    thread.start()
    return thread


def serve(host: str | None = None, port: int | None = None, auth: str | None = None) -> None:
    import uvicorn

    settings = load_settings()
    host = host or settings.server.host
    credentials = parse_auth(auth or settings.server.auth)
    if host not in LOCAL_HOSTS and credentials is None:
        raise RagError(
            f"refusing to serve on {host} without authentication: anyone on the network could use it. "
            "Pass --auth user:pass (or set RAG_AUTH), or keep the default 127.0.0.1."
        )
    port = port or settings.server.port
    app = create_app(settings, credentials)
    warm_index(settings)
    print(f"serving the chat UI on http://{host}:{port}/ and the API on http://{host}:{port}/api (docs at /docs)")
    # Slow or idle clients cannot hold connections open:
    # - timeout_keep_alive: an idle keep-alive connection is closed after 5 s;
    # - h11_max_incomplete_event_size: a request head (line and headers) over 16 KiB gets a 400;
    # - uvicorn has no timeout for the head itself, so HeaderTimeoutH11 (ui/limits.py) closes a
    #   connection whose headers have not all arrived 10 s after it opened (or after the
    #   previous response), which stops a client trickling them in byte by byte;
    # - the body: BodyLimit gives a 408 when it stalls 30 s, and a 413 past 1 MB;
    # - timeout_graceful_shutdown: Ctrl-C waits at most 10 s for requests still running.
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        http=HeaderTimeoutH11,
        timeout_keep_alive=KEEP_ALIVE_TIMEOUT_S,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        timeout_graceful_shutdown=10,
    )
