"""Read paths for inspections: the detail view and the list (Core statements, selected columns only)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import scoping
from app.auth.principals import Principal
from app.core.pagination import AnySelect, page_of, paginate
from app.hazards.models import Hazard
from app.hazards.schemas import HazardRead
from app.inspections.models import Inspection, InspectionOfficer, InspectionType
from app.inspections.schemas import InspectionRead, InspectionSummary, OfficerBrief
from app.institutions.models import Institution, InstitutionKind
from app.officers.models import Officer


@dataclass(frozen=True, slots=True)
class InspectionFilters:
    institution_id: uuid.UUID | None = None
    kind: InstitutionKind | None = None
    region_code: str | None = None
    type: InspectionType | None = None
    officer_id: uuid.UUID | None = None
    date_from: date | None = None
    date_to: date | None = None


def _summary_columns() -> AnySelect:
    hazards_count = (
        select(func.count(Hazard.id))
        .where(Hazard.inspection_id == Inspection.id)
        .correlate(Inspection)
        .scalar_subquery()
    )
    return select(
        Inspection.id,
        Inspection.institution_id,
        Institution.name.label("institution_name"),
        Institution.kind,
        Institution.region_code,
        Institution.township,
        Inspection.inspected_on,
        Inspection.type,
        Inspection.campaign,
        Inspection.summary,
        Inspection.plan_id,
        hazards_count.label("hazards_count"),
        Inspection.created_by_name.label("created_by"),
        Inspection.created_at,
        Inspection.updated_at,
    ).join(Institution, Institution.id == Inspection.institution_id)


async def _officer_ids(session: AsyncSession, inspection_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    out: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    if inspection_ids:
        rows = await session.execute(
            select(InspectionOfficer.inspection_id, InspectionOfficer.officer_id)
            .where(InspectionOfficer.inspection_id.in_(inspection_ids))
            .order_by(InspectionOfficer.inspection_id, InspectionOfficer.position)
        )
        for row in rows:
            out[row.inspection_id].append(row.officer_id)
    return out


async def inspection_region(session: AsyncSession, inspection_id: uuid.UUID) -> str | None:
    """The region of the inspected institution (None when the inspection does not exist)."""
    return await session.scalar(
        select(Institution.region_code)
        .join(Inspection, Inspection.institution_id == Institution.id)
        .where(Inspection.id == inspection_id)
    )


async def inspection_read(session: AsyncSession, inspection_id: uuid.UUID) -> InspectionRead:
    row = (await session.execute(_summary_columns().where(Inspection.id == inspection_id))).one()
    officers = (
        await session.execute(
            select(Officer.id, Officer.name, Officer.unit, Officer.certificate_no)
            .join(InspectionOfficer, InspectionOfficer.officer_id == Officer.id)
            .where(InspectionOfficer.inspection_id == inspection_id)
            .order_by(InspectionOfficer.position)
        )
    ).all()
    hazard_rows = (
        (await session.execute(select(Hazard).where(Hazard.inspection_id == inspection_id).order_by(Hazard.position)))
        .scalars()
        .all()
    )
    return InspectionRead.model_validate(
        {
            **row._mapping,
            "officer_ids": [o.id for o in officers],
            "officers": [OfficerBrief.model_validate(o._mapping) for o in officers],
            "hazards": [HazardRead.of(h, row.institution_id) for h in hazard_rows],
        }
    )


async def list_inspections(
    session: AsyncSession, actor: Principal, filters: InspectionFilters, cursor: str | None, limit: int
) -> tuple[list[InspectionSummary], str | None]:
    """Newest first: by `inspected_on` descending, then id."""
    stmt = scoping.scoped(_summary_columns(), Institution.region_code, actor, filters.region_code)
    if filters.institution_id is not None:
        stmt = stmt.where(Inspection.institution_id == filters.institution_id)
    if filters.kind is not None:
        stmt = stmt.where(Institution.kind == filters.kind)
    if filters.type is not None:
        stmt = stmt.where(Inspection.type == filters.type)
    if filters.officer_id is not None:
        stmt = stmt.where(
            Inspection.id.in_(
                select(InspectionOfficer.inspection_id).where(InspectionOfficer.officer_id == filters.officer_id)
            )
        )
    if filters.date_from is not None:
        stmt = stmt.where(Inspection.inspected_on >= filters.date_from)
    if filters.date_to is not None:
        stmt = stmt.where(Inspection.inspected_on <= filters.date_to)
    stmt = paginate(
        stmt, [Inspection.inspected_on, Inspection.id], cursor, limit, parse=[date, uuid.UUID], descending=True
    )
    rows = (await session.execute(stmt)).all()
    page, next_cursor = page_of(rows, limit, lambda r: [r.inspected_on, r.id])
    officer_ids = await _officer_ids(session, [r.id for r in page])
    items = [InspectionSummary.model_validate({**r._mapping, "officer_ids": officer_ids[r.id]}) for r in page]
    return items, next_cursor
