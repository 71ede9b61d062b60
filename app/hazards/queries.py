"""Read paths for hazards: visibility, the list with every filter (Core, selected columns), the history."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Date, and_, bindparam, not_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import scoping
from app.auth.principals import Principal
from app.core import clock
from app.core.errors import NotFound
from app.core.pagination import PAGE_ROWS, AnySelect, keyset, keyset_params, page_of, paginate
from app.hazards.models import OPEN_STATUSES, Hazard, HazardCategory, HazardHistory, HazardStatus, Severity
from app.hazards.schemas import HAZARD_COLUMNS, HazardListItem, HistoryRead
from app.institutions.models import Institution, InstitutionKind


@dataclass(frozen=True, slots=True)
class HazardFilters:
    status: HazardStatus | None = None
    overdue: bool | None = None
    severity: Severity | None = None
    category: HazardCategory | None = None
    kind: InstitutionKind | None = None
    region_code: str | None = None
    institution_id: uuid.UUID | None = None
    found_from: date | None = None
    found_to: date | None = None
    due_from: date | None = None
    due_to: date | None = None
    escalation: ColumnElement[bool] | None = None  # the `escalation_level` filter, built by app.deadlines


@dataclass(frozen=True, slots=True)
class HazardContext:
    """Where a hazard sits: its inspection, institution and region."""

    inspection_id: uuid.UUID
    institution_id: uuid.UUID
    region_code: str


async def hazard_context(session: AsyncSession, hazard_id: uuid.UUID, actor: Principal) -> HazardContext:
    """The hazard's place, or 404 when it does not exist or lies outside the caller's region."""
    row = (
        await session.execute(
            select(Hazard.inspection_id, Hazard.institution_id, Hazard.region_code).where(Hazard.id == hazard_id)
        )
    ).one_or_none()
    if row is None or not scoping.can_see(actor, row.region_code):
        raise NotFound(f"hazard {hazard_id} not found")
    return HazardContext(row.inspection_id, row.institution_id, row.region_code)


def overdue_clause(today: date | BindParameter[date]) -> ColumnElement[bool]:
    """SQL twin of `Hazard.is_overdue`: open or rectifying, and due before `today`."""
    return and_(Hazard.status.in_(OPEN_STATUSES), Hazard.due_on.is_not(None), Hazard.due_on < today)


def hazard_scope(stmt: AnySelect, actor: Principal, filters: HazardFilters) -> AnySelect:
    """Apply the caller's region and the list filters to a SELECT that joins hazards and institutions
    (the ledger exports; the list applies the same rows' rule in parts, `list_hazards`).

    The region is the hazard's own `region_code` (its institution's, app.hazards.models), not the
    institution's through the join (issue 21); the `kind` filter still needs the join."""
    stmt = scoping.scoped(stmt, Hazard.region_code, actor, filters.region_code)
    stmt = stmt.where(*_conditions(_set(filters), filters.overdue, lambda name: getattr(filters, name), clock.today()))
    return stmt if filters.escalation is None else stmt.where(filters.escalation)


_FILTERS: dict[str, Callable[[Any], ColumnElement[bool]]] = {
    "status": lambda v: Hazard.status == v,
    "severity": lambda v: Hazard.severity == v,
    "category": lambda v: Hazard.category == v,
    "kind": lambda v: Institution.kind == v,
    "institution_id": lambda v: Hazard.institution_id == v,
    "found_from": lambda v: Hazard.found_on >= v,
    "found_to": lambda v: Hazard.found_on <= v,
    "due_from": lambda v: Hazard.due_on >= v,
    "due_to": lambda v: Hazard.due_on <= v,
}
"""The list filters other than the region, `overdue` and `escalation`: name → its condition on a value."""


def _set(filters: HazardFilters) -> tuple[str, ...]:
    """The names of the `_FILTERS` that are set."""
    return tuple(name for name in _FILTERS if getattr(filters, name) is not None)


def _conditions(
    names: tuple[str, ...], overdue: bool | None, value: Callable[[str], Any], today: date | BindParameter[date]
) -> list[ColumnElement[bool]]:
    """The conditions of the filters `names` (each on `value(name)`) and of `overdue`."""
    conditions = [_FILTERS[name](value(name)) for name in names]
    if overdue is not None:
        clause = overdue_clause(today)
        conditions.append(clause if overdue else not_(clause))
    return conditions


_KEYS = (Hazard.found_on, Hazard.id)
_TODAY = bindparam("today", type_=Date())


async def list_hazards(
    session: AsyncSession, actor: Principal, filters: HazardFilters, cursor: str | None, limit: int
) -> tuple[list[HazardListItem], str | None]:
    """Most recently found first (found_on descending, then id).

    Rule: the same rows as `hazard_scope` with that order. Shape: one keyset page per part of the region
    (`scoping.region_parts`: the code itself, the codes below it), merged; so a county whose hazards carry its
    own code walks its rows of ix_hazards_region_found_on from the cursor, 51 index rows at any depth, where
    a range over the county's codes read them all or walked the national order (issue 21).

    The statement is built once per shape (which filters are set, the region, first page or not) with its
    values as bind parameters: building this union cost more Python than PostgreSQL needs to run it."""
    names = _set(filters)
    prefix = scoping.effective_prefix(actor, filters.region_code)
    shape = (names, filters.overdue, prefix, cursor is not None)
    # An escalation filter is a clause of app.deadlines' with its own values: built for this request.
    stmt = _list_statement(*shape) if filters.escalation is None else _build_list(*shape, filters.escalation)
    params = {
        "today": clock.today(),
        **{f"filter_{name}": getattr(filters, name) for name in names},
        **keyset_params(cursor, len(_KEYS), limit, parse=[date, uuid.UUID]),
    }
    rows = (await session.execute(stmt, params)).all()
    page, next_cursor = page_of(rows, limit, lambda r: [r.found_on, r.id])
    return [HazardListItem.model_validate(r._mapping) for r in page], next_cursor


def _build_list(
    names: tuple[str, ...],
    overdue: bool | None,
    prefix: str,
    after: bool,
    escalation: ColumnElement[bool] | None = None,
) -> AnySelect:
    base = (
        select(
            *[getattr(Hazard, k) for k in HAZARD_COLUMNS],
            Hazard.institution_id,
            Institution.name.label("institution_name"),
            Institution.kind,
            Institution.region_code,
            Institution.township,
            overdue_clause(_TODAY).label("overdue"),
        )
        .join(Institution, Institution.id == Hazard.institution_id)
        .where(*_conditions(names, overdue, lambda name: bindparam(f"filter_{name}"), _TODAY))
    )
    if escalation is not None:
        base = base.where(escalation)
    pages = [
        keyset(base.where(part), _KEYS, after, descending=True)
        for part in scoping.region_parts(Hazard.region_code, prefix)
    ]
    return pages[0] if len(pages) == 1 else _merged(pages)


_list_statement = lru_cache(maxsize=512)(_build_list)
"""`_build_list` without an escalation clause, once per shape (bounded: the shapes a deployment's callers use)."""


def _merged(pages: list[AnySelect]) -> AnySelect:
    """The first `page_rows` rows of the union of keyset pages, in their order (found_on, id descending)."""
    merged = union_all(*(select(page.subquery()) for page in pages)).subquery("parts")
    return select(merged).order_by(merged.c.found_on.desc(), merged.c.id.desc()).limit(PAGE_ROWS)


async def list_history(
    session: AsyncSession, hazard_id: uuid.UUID, actor: Principal, cursor: str | None, limit: int
) -> tuple[list[HistoryRead], str | None]:
    """Oldest first."""
    await hazard_context(session, hazard_id, actor)
    stmt = paginate(
        select(HazardHistory).where(HazardHistory.hazard_id == hazard_id),
        [HazardHistory.seq],
        cursor,
        limit,
        parse=[int],
    )
    rows = (await session.execute(stmt)).scalars().all()
    page, next_cursor = page_of(rows, limit, lambda h: [h.seq])
    return [HistoryRead.model_validate(h) for h in page], next_cursor
