"""Pure ASGI middleware: request id and access log, the request body size limit, security headers, CORS.

Body limit rule: a declared `Content-Length` above `MAX_BODY_BYTES` is refused before any byte is read;
a chunked body is counted while it streams and refused as soon as it passes the limit, so an oversized
body is never held in memory whole.

Access log rule: one line per request with method, path (never the query string), status, duration and
request id; never a header (Authorization) nor a body (the login form), so no secret reaches the log.

Security headers rule: every response gets `app.core.headers.security_headers`; a header the route
already set (e.g. its own `Cache-Control`) is kept.

CORS rule: closed unless `CORS_ORIGINS` lists origins; a refused preflight is a problem+json 403.

Send timeout rule: a response write that waits longer than `SEND_TIMEOUT_SECONDS` on the client (it stopped
reading and the socket's buffers are full) ends the response and cuts the connection; see SendTimeoutMiddleware.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import Forbidden, PayloadTooLarge
from app.core.handlers import problem_response
from app.core.headers import security_headers

access_log = logging.getLogger("app.access")

REQUEST_ID_HEADER = "x-request-id"


class _BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes the limit.

    An HTTPException on purpose: FastAPI turns any other exception raised while it reads the body into a
    400 ("There was an error parsing the body"); this one it re-raises, and the problem handler renders it
    as the 413. Raised outside FastAPI's body parsing, the middleware below catches it itself.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(413, detail=detail, headers={"Connection": "close"})


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self, scope: Scope) -> PayloadTooLarge:
        return PayloadTooLarge(f"request body exceeds the limit of {self.max_bytes} bytes (MAX_BODY_BYTES)")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await self._send_413(scope, send)
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge(self._too_large(scope).detail)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await self._send_413(scope, send)

    async def _send_413(self, scope: Scope, send: Send) -> None:
        path = scope.get("path", "")
        response = problem_response(self._too_large(scope).to_problem(path), {"Connection": "close"})
        await response({"type": "http", **scope}, _empty_receive, send)


async def _empty_receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


class RequestContextMiddleware:
    """Gives every request an id (kept from the client's `X-Request-ID` when sane) and logs one line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = ""
        for name, value in scope.get("headers", ()):
            if name == REQUEST_ID_HEADER.encode():
                candidate = value.decode("latin-1")
                if 0 < len(candidate) <= 64 and candidate.replace("-", "").isalnum():
                    request_id = candidate
        request_id = request_id or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            access_log.info(
                "%s %s %d %.1fms rid=%s",
                scope.get("method"),
                _loggable(scope.get("path", "")),
                status,
                (time.perf_counter() - start) * 1000,
                request_id,
            )


def _loggable(path: str) -> str:
    # The decoded path may hold CR, LF or other control characters (`%0D%0A`): written as is, they would
    # forge log lines. Escaped only then, so an ordinary path (Chinese included) reads as sent.
    return path if path.isprintable() else path.encode("unicode_escape").decode("ascii")


class SendTimeoutMiddleware:
    """Bounds each `send` of a response to `timeout` seconds. When one takes longer, the connection is aborted
    (under uvicorn, whose `send` is a method of the request's cycle holding the transport) and every later
    `send` of that response does nothing, as for a client that went away: the app ends its response normally
    and frees what it held (an export's file and slot). Where the server's transport cannot be reached, the
    server closes the connection itself on seeing the response unfinished.

    It must see the server's own `send`, so it wraps the whole application (outside Starlette's error
    middleware), not as one of `add_middleware`'s layers."""

    def __init__(self, app: ASGIApp, timeout: float) -> None:
        self.app = app
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cut = False

        async def timed_send(message: Message) -> None:
            nonlocal cut
            if cut:
                return
            try:
                async with asyncio.timeout(self.timeout):
                    await send(message)
            except TimeoutError:
                cut = True
                aborted = _abort_transport(send)
                access_log.warning(
                    "%s %s: client read nothing for %.0f s; response cut%s",
                    scope.get("method"),
                    _loggable(scope.get("path", "")),
                    self.timeout,
                    "" if aborted else " (connection left to the server to close)",
                )

        await self.app(scope, receive, timed_send)


def _abort_transport(send: Send) -> bool:
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    abort = getattr(transport, "abort", None)
    if abort is None:
        return False
    abort()
    return True


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, https_only: bool = False) -> None:
        self.app = app
        self.https_only = https_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in security_headers(scope.get("path", ""), https_only=self.https_only).items()
        ]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend((name, value) for name, value in extra if name not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


CORS_ALLOW_METHODS = ("GET", "HEAD", "POST", "PATCH", "DELETE")
CORS_ALLOW_HEADERS = ("Authorization", "Content-Type", "If-Match", "X-Request-ID", "X-Consistency-Token")
CORS_EXPOSE_HEADERS = ("ETag", "Location", "X-Request-ID", "Retry-After", "X-Consistency-Token", "X-Read-From")


class ProblemCORSMiddleware(CORSMiddleware):
    """Starlette's CORS for the configured origins; a refused preflight answers problem+json, not text."""

    def __init__(self, app: ASGIApp, origins: Iterable[str]) -> None:
        super().__init__(
            app,
            allow_origins=list(origins),
            allow_methods=CORS_ALLOW_METHODS,
            allow_headers=CORS_ALLOW_HEADERS,
            expose_headers=CORS_EXPOSE_HEADERS,
            allow_credentials=False,
        )

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code == 200:
            return response
        refused = bytes(response.body).decode().removeprefix("Disallowed CORS ")
        headers = {k: v for k, v in response.headers.items() if k.lower().startswith(("access-control-", "vary"))}
        problem = Forbidden(f"CORS preflight refused: {refused} not allowed").to_problem()
        return problem_response(problem, headers)
