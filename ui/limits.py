"""Slow or oversized clients: the request-body limit and the request-head timeout.

:class:`BodyLimit` is ASGI middleware giving a 413 to a body over the limit (before it is
read, when it declares its length) and a 408 to one that stalls; :class:`HeaderTimeoutH11`
is uvicorn's h11 protocol closing a connection whose request head trickles in. The limits
are defined here; ``ui.server`` passes them on (``create_app`` and ``serve`` read them as
``ui.server`` names, so overriding ``ui.server.BODY_TIMEOUT_S`` still takes effect).
"""

from __future__ import annotations

import asyncio
import json

from fastapi import HTTPException
from uvicorn.protocols.http.h11_impl import H11Protocol

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
