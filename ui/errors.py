"""How failures reach an API client: JSON errors with a clear message, never a 500.

Validation errors become a 422 that names the field without echoing the input; a `rag`
error its 4xx (or a 503 for the store); a store or server that cannot be reached a 503
naming it, with any credentials in its URL removed. Kept apart from the routes so every
route fails the same way.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from rag import IndexEmptyError, NotFoundError, RagError, Settings, StoreError


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
