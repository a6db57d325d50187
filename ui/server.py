"""HTTP API (FastAPI) with the Gradio chat UI mounted at ``/``.

Both are thin layers over the public `rag` functions; validation errors become 4xx with a
clear message, never a 500. `rag serve` finds :func:`serve` through the ``rag.apps`` entry point.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, Field

import rag
from rag import AnswerMode, AskOptions, IndexEmptyError, NotFoundError, RagError, RetrievalMode, Settings, load_settings

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
# The library's default; a configured max_question_chars is enforced by the library too.
MAX_QUESTION_CHARS = Settings().answer.max_question_chars


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=AskOptions.MAX_TURN_CHARS)


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    k: int | None = Field(default=None, ge=AskOptions.K_MIN, le=AskOptions.K_MAX)
    mode: RetrievalMode | None = None
    source: str | None = None
    answer_mode: AnswerMode | None = None
    history: list[Turn] = Field(default_factory=list, max_length=AskOptions.MAX_HISTORY_TURNS)


class SummarizeRequest(BaseModel):
    topic: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    max_papers: int | None = Field(default=None, ge=1, le=100)
    answer_mode: AnswerMode | None = None


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


def create_app(settings: Settings | None = None, credentials: tuple[str, str] | None = None) -> FastAPI:
    settings = settings or load_settings()
    app = FastAPI(title="paper-rag", description="Cited answers from research-paper abstracts.")
    check = _auth_dependency(credentials)
    guards = [Depends(check)] if check else []

    @app.exception_handler(RagError)
    async def rag_error(_: Request, exc: RagError) -> JSONResponse:
        status = 503 if isinstance(exc, IndexEmptyError) else 404 if isinstance(exc, NotFoundError) else 400
        return JSONResponse(status_code=status, content={"detail": str(exc)})

    @app.get("/api/health", dependencies=guards)
    def health() -> dict:
        return {"status": "ok", "index": rag.status(settings).to_dict(), "llm": settings.llm.llm_model or None}

    @app.get("/api/papers/{paper_id}", dependencies=guards)
    def paper(paper_id: str) -> dict:
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
        q: Annotated[str, Query(min_length=1, max_length=MAX_QUESTION_CHARS)],
        k: Annotated[int, Query(ge=1, le=100)] = 10,
        mode: RetrievalMode | None = None,
        source: str | None = None,
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
    print(f"serving the chat UI on http://{host}:{port}/ and the API on http://{host}:{port}/api (docs at /docs)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
