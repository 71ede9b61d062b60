"""The AppError family and their rendering as RFC 9457 problem details (`application/problem+json`).

Rules:
- Services raise AppError subclasses, never HTTPException.
- Every error body has `type`, `title`, `status`, `detail`; validation errors add `errors: [{loc, msg}]`.
- Nothing from a traceback ever reaches a body.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://inspection-tracker.local/problems/"


class FieldError(BaseModel):
    """One failed rule on one input location."""

    loc: list[str | int] = Field(examples=[["body", "officer_ids", 1]])
    msg: str = Field(examples=["officer is not certified on 2023-05-04"])
    type: str | None = None


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(examples=[PROBLEM_BASE + "validation"])
    title: str = Field(examples=["Request validation failed"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["body.name: String should have at least 1 character"])
    instance: str | None = None
    errors: list[FieldError] | None = None


class AppError(Exception):
    """Base of every error a service raises on purpose."""

    status: int = 500
    slug: str = "internal"
    title: str = "Internal server error"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors) if errors else None
        self.headers = headers or {}

    def to_problem(self, instance: str | None = None) -> Problem:
        return Problem(
            type=PROBLEM_BASE + self.slug,
            title=self.title,
            status=self.status,
            detail=self.detail,
            instance=instance,
            errors=self.errors,
        )


class ValidationFailed(AppError):
    """422: the request is well-formed but breaks a rule (field range, business rule)."""

    status = 422
    slug = "validation"
    title = "Request validation failed"

    @classmethod
    def field(cls, loc: Sequence[str | int], msg: str) -> ValidationFailed:
        """One rule broken at one location; the detail names the field."""
        path = ".".join(str(p) for p in loc)
        return cls(f"{path}: {msg}", errors=[FieldError(loc=list(loc), msg=msg)])


class Unauthorized(AppError):
    status = 401
    slug = "unauthorized"
    title = "Authentication required"

    def __init__(self, detail: str = "Missing or invalid credentials") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status = 403
    slug = "forbidden"
    title = "Not allowed"


class NotFound(AppError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(AppError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class PreconditionFailed(AppError):
    status = 412
    slug = "precondition-failed"
    title = "Precondition failed"


class PayloadTooLarge(AppError):
    status = 413
    slug = "payload-too-large"
    title = "Payload too large"


class UnsupportedMediaType(AppError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


class TooManyRequests(AppError):
    status = 429
    slug = "too-many-requests"
    title = "Too many requests"


class ServiceUnavailable(AppError):
    status = 503
    slug = "unavailable"
    title = "Service unavailable"


_STATUS_ERRORS: dict[int, type[AppError]] = {
    e.status: e
    for e in (
        ValidationFailed,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        PreconditionFailed,
        PayloadTooLarge,
        UnsupportedMediaType,
        TooManyRequests,
        ServiceUnavailable,
    )
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting the problem responses an operation can give."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        err = _STATUS_ERRORS[status]
        out[status] = {
            "description": err.title,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    return out


def document_body_limit(openapi: dict[str, Any]) -> None:
    """Add the 413 to every operation that takes a body: the body limit (`MAX_BODY_BYTES`) is enforced by a
    middleware before any route runs, so no route declares it itself."""
    for path_item in openapi.get("paths", {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                operation.setdefault("responses", {}).setdefault("413", problem_responses(413)[413])
