"""Region scoping — the ONLY place region filters and region checks are built.

A principal with region scope `S` sees and touches only records whose `region_code` starts with `S`
(GB/T 2260 codes nest by prefix); `S = ''` means everything.

Rules:
- Reading by id outside the scope answers 404 (existence is not revealed).
- A `region_code` filter must lie inside the scope (it may narrow it); wider or elsewhere is 403.
- Writing a record whose region lies outside the scope is 403.
- A unique value held by another record (409) names that record only when the caller can see it; otherwise the
  answer says only that the value is taken (`value_taken`).
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, String, and_, bindparam, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principals import Principal
from app.core.errors import Conflict, FieldError, Forbidden, NotFound
from app.core.pagination import AnySelect, ColumnLike
from app.db.outbox import Event


def within(scope: str, region_code: str) -> bool:
    return region_code.startswith(scope)


def successor(prefix: str) -> str | None:
    """The smallest digit string greater than every code starting with `prefix` ("5002" → "5003",
    "5009" → "501", "99" → None: nothing is greater)."""
    stem = prefix.rstrip("9")
    if not stem:
        return None
    return stem[:-1] + str(int(stem[-1]) + 1)


def region_bounds(prefix: str) -> tuple[str | None, str | None]:
    """(lower, upper) such that a code lies under the digit `prefix` iff lower <= code < upper; None is unbounded
    ('' → everything)."""
    if not prefix:
        return None, None
    if not prefix.isdigit():
        raise ValueError(f"region prefix {prefix!r} is not a digit string")
    return prefix, successor(prefix)


def bounded(column: ColumnLike, lower: Any, upper: Any) -> ColumnElement[bool]:
    """lower <= column < upper; a None side is left open. Bounds may be values or bind parameters."""
    parts = [column >= lower] if lower is not None else []
    if upper is not None:
        parts.append(column < upper)
    return and_(true(), *parts) if parts else true()


def rendered_region_clause(column: ColumnLike, has_lower: bool, has_upper: bool) -> ColumnElement[bool]:
    """`column` lies between the bind parameters `region_lower` / `region_upper` (their values from
    `region_bounds`), rendered into the SQL text at execution (`literal_execute`): for statements built once and
    reused, whose plan must see the real region (the reports; see reports/queries.py)."""
    return bounded(
        column,
        bindparam("region_lower", type_=String(), literal_execute=True) if has_lower else None,
        bindparam("region_upper", type_=String(), literal_execute=True) if has_upper else None,
    )


def region_clause(column: ColumnLike, prefix: str) -> ColumnElement[bool]:
    """`column` lies in the subtree `prefix`.

    Rule: region codes are digit strings (RegionCode), so "starts with `prefix`" is the range
    `prefix <= code < successor(prefix)`. A range uses the btree index on `region_code` under every collation,
    and with bound parameters, where `LIKE 'prefix%'` needs a C collation or a `text_pattern_ops` index and a
    literal pattern. Any other prefix falls back to LIKE.
    """
    if prefix and not prefix.isdigit():
        return column.startswith(prefix, autoescape=True)
    return bounded(column, *region_bounds(prefix))


def region_parts(column: ColumnLike, prefix: str) -> list[ColumnElement[bool]]:
    """The subtree `prefix` as disjoint parts whose union is `region_clause(column, prefix)`: the code itself
    (`column = prefix`) and the codes below it (`prefix < column < successor(prefix)`); one part (the clause
    itself) for '' or a prefix that is not a digit string.

    Why: under an equality an index on (column, k1, k2, …) returns a region's rows already ordered by the keys,
    where a range over several codes must read and sort all of them. A keyset page over the parts is one
    ordered walk per part, merged (app.hazards.queries.list_hazards)."""
    if not prefix or not prefix.isdigit():
        return [region_clause(column, prefix)]
    upper = successor(prefix)
    below = column > prefix if upper is None else and_(column > prefix, column < upper)
    return [column == prefix, below]


def effective_prefix(principal: Principal, requested: str | None, field: str = "region_code") -> str:
    """The region prefix a query runs over: the caller's scope, narrowed by a requested filter."""
    if requested is None or requested == "":
        return principal.region_code
    if not within(principal.region_code, requested):
        raise Forbidden(f"{field} '{requested}' lies outside your region '{principal.region_code}'")
    return requested


def scoped(stmt: AnySelect, column: ColumnLike, principal: Principal, requested: str | None = None) -> AnySelect:
    """Restrict a SELECT to the caller's region (and the requested sub-region)."""
    prefix = effective_prefix(principal, requested)
    return stmt.where(region_clause(column, prefix)) if prefix else stmt


def can_see(principal: Principal, region_code: str) -> bool:
    return within(principal.region_code, region_code)


class RegionBound(Protocol):
    region_code: str


R = TypeVar("R", bound=RegionBound)


async def get_visible(
    session: AsyncSession, model: type[R], record_id: uuid.UUID, principal: Principal, kind: str
) -> R:
    """The record by id, or 404 when it does not exist or lies outside the caller's region."""
    record = await session.get(model, record_id)
    if record is None or not can_see(principal, record.region_code):
        raise NotFound(f"{kind} {record_id} not found")
    return record


def ensure_writable(principal: Principal, region_code: str, field: str = "region_code") -> None:
    if not within(principal.region_code, region_code):
        raise Forbidden(f"{field} '{region_code}' lies outside your region '{principal.region_code}'")


def value_taken(
    principal: Principal | None, field: str, value: str, kind: str, holder_id: uuid.UUID, holder_region: str
) -> Conflict:
    """409 on `body.<field>`: `value` is held by another `kind` record. Its id is named only when the caller can
    see it (None: the command line, which sees everything); a record outside the caller's region stays as
    unrevealed as a read of it by id (404)."""
    visible = principal is None or can_see(principal, holder_region)
    holder = f" by {kind} {holder_id}" if visible else ""
    return Conflict(
        f"{field} '{value}' is already taken{holder}", errors=[FieldError(loc=["body", field], msg="already taken")]
    )


def event_scope(principal: Principal) -> list[ColumnElement[bool]]:
    """The filters of the events a principal may read (API.md "Events"): those of its region subtree, by the
    event's `region_code` (the institution's, the plan's, or the officer's)."""
    prefix = principal.region_code
    return [region_clause(Event.region_code, prefix)] if prefix else []
