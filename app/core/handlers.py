"""Exception handlers: every error leaves the service as problem+json, never as a traceback.

Covers AppError, FastAPI's request validation (including malformed JSON, which is 422, never 400),
Starlette's HTTP errors (unknown route 404, wrong method 405), integrity violations that slipped past
a service's own checks (409 naming the constraint's field), an exhausted connection pool (503 with
`Retry-After: 1`), and anything unexpected (500, logged; it
leaves past the app's middleware, so it carries the security headers and request id itself). Not an error but
raised the same way: a conditional read answered 304 (app.core.conditional.NotModified).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.core.conditional import NotModified, not_modified_response
from app.core.errors import (
    PROBLEM_BASE,
    PROBLEM_JSON,
    AppError,
    Conflict,
    FieldError,
    Problem,
    ServiceUnavailable,
    ValidationFailed,
)
from app.core.headers import security_headers

log = logging.getLogger("app.errors")

_HTTP_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    413: "Payload too large",
    415: "Unsupported media type",
    429: "Too many requests",
}


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _loc(raw: Any) -> list[str | int]:
    return [p if isinstance(p, int) else str(p) for p in raw]


def _validation_message(err: dict[str, Any]) -> str:
    if err.get("type") == "json_invalid":
        ctx = err.get("ctx") or {}
        return f"body is not valid JSON ({ctx.get('error', 'parse error')})"
    if err.get("type") == "extra_forbidden":
        return "unknown field (not part of this resource)"
    return str(err.get("msg", "invalid value"))


async def _on_app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    if exc.status >= 500:
        log.error("service error on %s %s: %s", request.method, request.url.path, exc.detail)
    return problem_response(exc.to_problem(request.url.path), exc.headers)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldError(loc=_loc(e.get("loc", ())), msg=_validation_message(e), type=e.get("type")) for e in exc.errors()
    ]
    detail = "; ".join(f"{'.'.join(str(p) for p in e.loc)}: {e.msg}" for e in errors[:5])
    if len(errors) > 5:
        detail += f"; and {len(errors) - 5} more"
    problem = ValidationFailed(detail or "invalid request", errors=errors).to_problem(request.url.path)
    return problem_response(problem)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # FastAPI answers 400 "There was an error parsing the body" for a body it cannot decode (e.g. JSON
        # that is not UTF-8, a broken form); the contract makes every undecodable body a 422, never a 400.
        return problem_response(_undecodable_body(exc).to_problem(request.url.path))
    title = _HTTP_TITLES.get(exc.status_code, "HTTP error")
    detail = exc.detail if isinstance(exc.detail, str) else title
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no route matches {request.url.path}"
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        detail = f"method {request.method} is not allowed on {request.url.path}"
        # Starlette's Allow names only the first route that matched the path; RFC 9110 wants all of them.
        headers["Allow"] = ", ".join(_allowed_methods(request)) or headers.get("Allow", "")
    problem = Problem(
        type=PROBLEM_BASE + title.lower().replace(" ", "-"),
        title=title,
        status=exc.status_code,
        detail=detail,
        instance=request.url.path,
    )
    return problem_response(problem, headers)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> list[str]:
    """The methods some route answers on this path (asked through `matches`, which nested routers support)."""
    routes = request.app.router.routes
    return [
        m for m in _METHODS if any(route.matches({**request.scope, "method": m})[0] == Match.FULL for route in routes)
    ]


def _undecodable_body(exc: StarletteHTTPException) -> ValidationFailed:
    cause = exc.__cause__
    if isinstance(cause, UnicodeDecodeError):
        msg = f"body is not valid JSON (not UTF-8 text: byte {cause.start} cannot be decoded)"
    else:
        msg = f"body could not be decoded ({exc.detail})"
    return ValidationFailed(f"body: {msg}", errors=[FieldError(loc=["body"], msg=msg, type="json_invalid")])


# PostgreSQL: 'Key (credit_code)=(…) already exists'; SQLite: 'UNIQUE constraint failed: institutions.credit_code'
_PG_KEY = re.compile(r"Key \(([^)]+)\)=")
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: ([\w.]+)")


def integrity_field(exc: IntegrityError) -> str | None:
    """The column an integrity violation is about, when the driver says."""
    # asyncpg keeps 'Key (col)=(…) already exists.' in the driver exception's `detail`, not in its message
    cause = exc.orig.__cause__ if exc.orig is not None else None
    text = f"{exc.orig} {getattr(cause, 'detail', None) or ''}"
    if m := _PG_KEY.search(text):
        return m.group(1).split(",")[0].strip()
    if m := _SQLITE_UNIQUE.search(text):
        return m.group(1).split(",")[0].split(".")[-1]
    return None


async def _on_integrity(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, IntegrityError)
    field = integrity_field(exc)
    log.warning("integrity violation on %s %s (field %s)", request.method, request.url.path, field)
    if field:
        err = Conflict(
            f"{field}: value is already taken or conflicts with a stored record",
            errors=[FieldError(loc=["body", field], msg="already taken")],
        )
    else:
        err = Conflict("the request conflicts with a stored record")
    return problem_response(err.to_problem(request.url.path))


async def _on_pool_timeout(request: Request, exc: Exception) -> JSONResponse:
    """No pooled connection came free within DB_POOL_TIMEOUT_SECONDS: the service is saturated right now, which
    the client is told at once (503, retry in a second) instead of after a long wait."""
    log.warning("no database connection free for %s %s: %s", request.method, request.url.path, exc)
    err = ServiceUnavailable("the service is busy (every database connection is in use); retry in 1 s")
    return problem_response(err.to_problem(request.url.path), {"Retry-After": "1"})


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    problem = Problem(
        type=PROBLEM_BASE + "internal",
        title="Internal server error",
        status=500,
        detail="The server failed to handle this request; it has been logged.",
        instance=request.url.path,
    )
    # Sent by Starlette's outermost ServerErrorMiddleware, past the app's own middleware: add what they would.
    settings = getattr(request.app.state, "settings", None)
    headers = security_headers(request.url.path, https_only=bool(getattr(settings, "HTTPS_ONLY", False)))
    if request_id := request.scope.get("state", {}).get("request_id"):
        headers["X-Request-ID"] = request_id
    return problem_response(problem, headers)


async def _on_not_modified(request: Request, exc: Exception) -> Response:
    """A conditional read whose tag the client holds (app.core.conditional): 304, no body."""
    assert isinstance(exc, NotModified)
    return not_modified_response(exc)


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(NotModified, _on_not_modified)
    app.add_exception_handler(AppError, _on_app_error)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(IntegrityError, _on_integrity)
    app.add_exception_handler(PoolTimeout, _on_pool_timeout)
    app.add_exception_handler(Exception, _on_unexpected)
