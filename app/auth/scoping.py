"""Region scoping — the ONLY place region filters and region checks are built.

A principal with region scope `S` sees and touches only records whose `region_code` starts with `S`
(GB/T 2260 codes nest by prefix); `S = ''` means everything.

Rules:
- Reading by id outside the scope answers 404 (existence is not revealed).
- A `region_code` filter must lie inside the scope (it may narrow it); wider or elsewhere is 403.
- Writing a record whose region lies outside the scope is 403.
"""

from __future__ import annotations

import uuid
from typing import Protocol, TypeVar

from sqlalchemy import ColumnElement, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principals import Principal
from app.core.errors import Forbidden, NotFound
from app.core.pagination import AnySelect, ColumnLike


def within(scope: str, region_code: str) -> bool:
    return region_code.startswith(scope)


def region_clause(column: ColumnLike, prefix: str) -> ColumnElement[bool]:
    """`column` lies in the subtree `prefix`."""
    if not prefix:
        return true()
    return column.startswith(prefix, autoescape=True)


def effective_prefix(principal: Principal, requested: str | None, field: str = "region_code") -> str:
    """The region prefix a query runs over: the caller's scope, narrowed by a requested filter."""
    if requested is None or requested == "":
        return principal.region_code
    if not within(principal.region_code, requested):
        raise Forbidden(f"{field} '{requested}' lies outside your region '{principal.region_code}'")
    return requested


def scoped(stmt: AnySelect, column: ColumnLike, principal: Principal,
           requested: str | None = None) -> AnySelect:
    """Restrict a SELECT to the caller's region (and the requested sub-region)."""
    prefix = effective_prefix(principal, requested)
    return stmt.where(region_clause(column, prefix)) if prefix else stmt


def can_see(principal: Principal, region_code: str) -> bool:
    return within(principal.region_code, region_code)


class RegionBound(Protocol):
    region_code: str


R = TypeVar("R", bound=RegionBound)


async def get_visible(session: AsyncSession, model: type[R], record_id: uuid.UUID, principal: Principal,
                      kind: str) -> R:
    """The record by id, or 404 when it does not exist or lies outside the caller's region."""
    record = await session.get(model, record_id)
    if record is None or not can_see(principal, record.region_code):
        raise NotFound(f"{kind} {record_id} not found")
    return record


def ensure_writable(principal: Principal, region_code: str, field: str = "region_code") -> None:
    if not within(principal.region_code, region_code):
        raise Forbidden(f"{field} '{region_code}' lies outside your region '{principal.region_code}'")
