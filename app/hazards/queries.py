"""Read paths for hazards: visibility, the list with every filter (Core, selected columns), the history."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, not_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import scoping
from app.auth.principals import Principal
from app.core import clock
from app.core.errors import NotFound
from app.core.pagination import AnySelect, page_of, paginate
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


def overdue_clause(today: date) -> ColumnElement[bool]:
    """SQL twin of `Hazard.is_overdue`: open or rectifying, and due before `today`."""
    return and_(Hazard.status.in_(OPEN_STATUSES), Hazard.due_on.is_not(None), Hazard.due_on < today)


def hazard_scope(stmt: AnySelect, actor: Principal, filters: HazardFilters) -> AnySelect:
    """Apply the caller's region and the list filters to a SELECT that joins hazards and institutions
    (the ledger exports; the list applies the same rows' rule in parts, `list_hazards`).

    The region is the hazard's own `region_code` (its institution's, app.hazards.models), not the
    institution's through the join (issue 21); the `kind` filter still needs the join."""
    return _filtered(scoping.scoped(stmt, Hazard.region_code, actor, filters.region_code), filters)


def _filtered(stmt: AnySelect, filters: HazardFilters) -> AnySelect:
    """The list filters other than the region."""
    if filters.status is not None:
        stmt = stmt.where(Hazard.status == filters.status)
    if filters.overdue is not None:
        overdue = overdue_clause(clock.today())
        stmt = stmt.where(overdue if filters.overdue else not_(overdue))
    if filters.severity is not None:
        stmt = stmt.where(Hazard.severity == filters.severity)
    if filters.category is not None:
        stmt = stmt.where(Hazard.category == filters.category)
    if filters.kind is not None:
        stmt = stmt.where(Institution.kind == filters.kind)
    if filters.institution_id is not None:
        stmt = stmt.where(Hazard.institution_id == filters.institution_id)
    if filters.found_from is not None:
        stmt = stmt.where(Hazard.found_on >= filters.found_from)
    if filters.found_to is not None:
        stmt = stmt.where(Hazard.found_on <= filters.found_to)
    if filters.due_from is not None:
        stmt = stmt.where(Hazard.due_on >= filters.due_from)
    if filters.due_to is not None:
        stmt = stmt.where(Hazard.due_on <= filters.due_to)
    if filters.escalation is not None:
        stmt = stmt.where(filters.escalation)
    return stmt


async def list_hazards(
    session: AsyncSession, actor: Principal, filters: HazardFilters, cursor: str | None, limit: int
) -> tuple[list[HazardListItem], str | None]:
    """Most recently found first (found_on descending, then id).

    Rule: the same rows as `hazard_scope` with that order. Shape: one keyset page per part of the region
    (`scoping.region_parts`: the code itself, the codes below it), merged; so a county whose hazards carry its
    own code walks its rows of ix_hazards_region_found_on from the cursor, 51 index rows at any depth, where
    a range over the county's codes read them all or walked the national order (issue 21)."""
    base = _filtered(
        select(
            *[getattr(Hazard, k) for k in HAZARD_COLUMNS],
            Hazard.institution_id,
            Institution.name.label("institution_name"),
            Institution.kind,
            Institution.region_code,
            Institution.township,
            overdue_clause(clock.today()).label("overdue"),
        ).join(Institution, Institution.id == Hazard.institution_id),
        filters,
    )
    prefix = scoping.effective_prefix(actor, filters.region_code)
    pages = [
        paginate(
            base.where(part), [Hazard.found_on, Hazard.id], cursor, limit, parse=[date, uuid.UUID], descending=True
        )
        for part in scoping.region_parts(Hazard.region_code, prefix)
    ]
    stmt = pages[0] if len(pages) == 1 else _merged(pages, limit)
    rows = (await session.execute(stmt)).all()
    page, next_cursor = page_of(rows, limit, lambda r: [r.found_on, r.id])
    return [HazardListItem.model_validate(r._mapping) for r in page], next_cursor


def _merged(pages: list[AnySelect], limit: int) -> AnySelect:
    """The first `limit + 1` rows of the union of keyset pages, in their order (found_on, id descending)."""
    merged = union_all(*(select(page.subquery()) for page in pages)).subquery("parts")
    return select(merged).order_by(merged.c.found_on.desc(), merged.c.id.desc()).limit(limit + 1)


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
