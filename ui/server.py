"""HTTP API (FastAPI) with the Gradio chat UI mounted at ``/``.

Both are thin layers over the public `rag` functions; bad input becomes a 4xx with a clear
message that never echoes the input back, a store that cannot be reached a 503, never a
500. Bodies over :data:`MAX_BODY_BYTES` get a 413 before they are read. `rag serve` finds
:func:`serve` through the ``rag.apps`` entry point.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from typing import Annotated, Literal
from urllib.parse import urlparse

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import AfterValidator, BaseModel, Field, StrictInt
from uvicorn.protocols.http.h11_impl import H11Protocol

import rag
from rag import (
    AnswerMode,
    AskOptions,
    IndexEmptyError,
    NotFoundError,
    RagError,
    RetrievalMode,
    Settings,
    StoreError,
    load_settings,
)

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
# The library's default; a configured max_question_chars is enforced by the library too.
MAX_QUESTION_CHARS = Settings().answer.max_question_chars
# The largest request body read; the biggest valid one (a question with full history) is ~100 KB.
MAX_BODY_BYTES = 1_000_000
# A body must arrive within this many seconds of the request's headers (a slow client is cut off).
BODY_TIMEOUT_S = 30.0
# Request headers must arrive within this many seconds of connecting (or of the previous response).
HEADER_TIMEOUT_S = 10.0
# uvicorn closes an idle keep-alive connection after this many seconds.
KEEP_ALIVE_TIMEOUT_S = 5
# Largest request head (request line and headers) h11 buffers; bigger gets a 400.
MAX_HEADER_BYTES = 16 * 1024


def valid_text(text: str) -> str:
    """Text that is valid Unicode: a lone surrogate ("\\ud800") cannot be encoded or embedded."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains a lone surrogate (invalid Unicode)") from None
    return text


Text = Annotated[str, AfterValidator(valid_text)]


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: Text = Field(max_length=AskOptions.MAX_TURN_CHARS)


class AskRequest(BaseModel):
    question: Text = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    # Strict: 3.5, "3", true and 1e400 (infinity) are not integers.
    k: StrictInt | None = Field(default=None, ge=AskOptions.K_MIN, le=AskOptions.K_MAX)
    mode: RetrievalMode | None = None
    source: Text | None = None
    answer_mode: AnswerMode | None = None
    history: list[Turn] = Field(default_factory=list, max_length=AskOptions.MAX_HISTORY_TURNS)


class SummarizeRequest(BaseModel):
    topic: Text = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    max_papers: StrictInt | None = Field(default=None, ge=1, le=100)
    answer_mode: AnswerMode | None = None


class BodyLimit:
    """ASGI middleware: a body over ``limit`` bytes gets a 413, one that stalls a 408.

    A declared Content-Length over the limit is refused before anything is read; a chunked
    body is counted as it arrives and refused as soon as it passes the limit. The app's own
    response, if it tries to send one after that, is replaced.
    """

    def __init__(self, app, limit: int, timeout: float) -> None:
        self.app = app
        self.limit = limit
        self.timeout = timeout

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = (413, f"the request body is larger than the limit of {self.limit:,} bytes")
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await _send_error(send, *too_large)
            return
        received, body_done = 0, False
        failure: tuple[int, str] | None = None
        started = False

        async def limited_receive():
            nonlocal received, body_done, failure
            if body_done:  # after the body: waiting for a disconnect, which may take the whole response
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.timeout)
            except TimeoutError:
                failure = (408, f"the request body did not arrive within {self.timeout:g} s")
                raise HTTPException(*failure) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_done = not message.get("more_body", False)
                if received > self.limit:
                    failure = too_large
                    raise HTTPException(*failure)
            return message

        async def guarded_send(message) -> None:
            nonlocal started
            if failure is None:
                started = started or message["type"] == "http.response.start"
                await send(message)
            elif not started and message["type"] == "http.response.start":
                started = True
                await _send_error(send, *failure)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if failure is None:
                raise
            # The app failed on the body it was refused: the refusal is the response.
        if failure is not None and not started:
            await _send_error(send, *failure)


async def _send_error(send, status: int, detail: str) -> None:
    """A JSON error that closes the connection: the rest of the body is never read."""
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": [*headers, (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def _printable(value: str | int) -> str | int:
    """A value that JSON can carry: a lone surrogate becomes U+FFFD."""
    return value if isinstance(value, int) else str(value).encode("utf-8", "replace").decode("utf-8")


def validation_errors(exc: RequestValidationError) -> list[dict]:
    """FastAPI's 422 details (where, what) without the input, which may be huge or not encodable."""
    return [
        {
            "type": error.get("type", ""),
            "loc": [_printable(part) for part in error.get("loc", ())],
            "msg": _printable(error.get("msg", "")),
        }
        for error in exc.errors()
    ]


def _connection_failure(exc: BaseException | None) -> BaseException | None:
    """The network error behind ``exc`` (itself, or what it was raised from or during), if any."""
    import httpx

    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, httpx.TransportError | ConnectionError | TimeoutError):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def public_url(url: str) -> str:
    """A URL without credentials (http://user:token@host): it goes into error messages."""
    return re.sub(r"//[^/@]*@", "//", url)


def _origin(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.hostname}:{parsed.port or (443 if parsed.scheme == 'https' else 80)}"


def unreachable_message(exc: BaseException, settings: Settings) -> str | None:
    """What to tell a client when ``exc`` means a server behind this one cannot be reached."""
    failure = _connection_failure(exc)
    if failure is None:
        return None
    reason = str(failure)[:200] or type(failure).__name__
    chroma = settings.store.chroma_url
    try:
        url = str(failure.request.url)  # httpx errors know where they were going
    except (AttributeError, RuntimeError):
        url = None
    if chroma and (url is None or _origin(url) == _origin(chroma)):
        return f"the Chroma server at {public_url(chroma)} is unreachable ({reason})"
    if url is not None:
        return f"the server at {public_url(url.split('?')[0])} is unreachable ({reason})"
    return f"a server this service depends on is unreachable ({reason})"


class HeaderTimeoutH11(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request head arrives too slowly.

    uvicorn bounds idle keep-alive connections but not a head trickled in byte by byte
    (each byte resets its keep-alive timer). This timer starts when the connection opens
    and again after each response, and stops once a whole request head has arrived.
    """

    header_timeout = HEADER_TIMEOUT_S
    _header_timer: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout, self._head_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _head_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._arm()

    def handle_events(self) -> None:
        cycle = self.cycle
        super().handle_events()
        # A whole head arrived: a request started, or the connection became a websocket.
        if self.cycle is not cycle or self.transport.get_protocol() is not self:
            self._disarm()

    def on_response_complete(self) -> None:
        self._arm()  # before: a pipelined request that super() starts disarms it again
        super().on_response_complete()

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)


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


def add_error_handlers(app: FastAPI, settings: Settings) -> None:
    """Every failure as JSON with a clear message: 4xx for the request, 503 for the store."""
    import chromadb.errors
    import httpx

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": validation_errors(exc)})

    @app.exception_handler(RagError)
    async def rag_error(_: Request, exc: RagError) -> JSONResponse:
        if isinstance(exc, StoreError):
            return JSONResponse(status_code=503, content={"detail": unreachable_message(exc, settings) or str(exc)})
        status = 503 if isinstance(exc, IndexEmptyError) else 404 if isinstance(exc, NotFoundError) else 400
        return JSONResponse(status_code=status, content={"detail": str(exc)})

    # Chroma errors the library does not wrap, raised while a request runs (a Chroma server
    # dying under load): the store is unavailable, not the request wrong.
    async def store_unavailable(_: Request, exc: Exception) -> JSONResponse:
        message = unreachable_message(exc, settings)
        if message is None:
            where = public_url(settings.store.chroma_url) if settings.store.chroma_url else str(settings.chroma_path)
            message = f"the Chroma store at {where} failed ({type(exc).__name__}: {str(exc)[:200]})"
        return JSONResponse(status_code=503, content={"detail": message})

    for kind in (httpx.TransportError, ConnectionError, TimeoutError, chromadb.errors.ChromaError):
        app.add_exception_handler(kind, store_unavailable)


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
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES, timeout=BODY_TIMEOUT_S)
    check = _auth_dependency(credentials)
    guards = [Depends(check)] if check else []
    add_error_handlers(app, settings)
    add_docs(app, guards)

    @app.get("/api/health", dependencies=guards)
    def health() -> dict:
        return {"status": "ok", "index": rag.status(settings).to_dict(), "llm": settings.llm.llm_model or None}

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
        q: Annotated[Text, Query(min_length=1, max_length=MAX_QUESTION_CHARS)],
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
    # Slow or idle clients cannot hold connections open:
    # - timeout_keep_alive: an idle keep-alive connection is closed after 5 s;
    # - h11_max_incomplete_event_size: a request head (line and headers) over 16 KiB gets a 400;
    # - uvicorn has no timeout for the head itself, so HeaderTimeoutH11 (below) closes a
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
