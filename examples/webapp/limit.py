"""A cap on request bodies, as ASGI middleware around the board.

A body longer than the cap is answered 413 (Content Too Large). A declared
``Content-Length`` over the cap is refused before anything is read; a body
that arrives in pieces (chunked, with no ``Content-Length``, or longer than
it declared) is counted as it streams in and refused as soon as it passes
the cap, so no handler ever holds more than the cap in memory. Starlette has
no such setting and uvicorn none for bodies, hence these few lines.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from favorledger.io.files import MAX_LINE_BYTES

MAX_BODY = MAX_LINE_BYTES
"""The longest body taken, in bytes: 1 MiB, the longest line favorledger
reads from a JSON Lines file (one entry). The largest favor the ledger takes
is 373 kB even written with ``\\u`` escapes (``tests/test_webapp_requests.py``)."""


class BodyTooLargeError(Exception):
    """A request body over the cap; the app answers it with :func:`too_large`."""

    def __init__(self, limit: int, declared: int | None = None) -> None:
        super().__init__(limit, declared)
        self.limit = limit
        self.declared = declared

    def __str__(self) -> str:
        got = "" if self.declared is None else f", got {self.declared:,}"
        return f"the request body must be at most {self.limit:,} bytes{got}"


async def too_large(request: Request, exc: Exception) -> Response:
    """413 with the reason: JSON for the API, text for the pages."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": str(exc)}, status_code=413)
    return PlainTextResponse(str(exc), status_code=413)


class BodyLimit:
    """Refuse request bodies longer than ``limit`` bytes (413).

    A too-long body is refused by raising :class:`BodyTooLargeError` from
    ``receive``: register :func:`too_large` as the app's handler for it.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:  # refused unread
            refused = BodyTooLargeError(self.limit, int(declared))
            response = await too_large(Request(scope), refused)
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise BodyTooLargeError(self.limit)
            return message

        await self.app(scope, counted, send)
