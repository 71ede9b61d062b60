"""Public read paths (Core statements, published columns only)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scoping import region_clause
from app.core.errors import NotFound
from app.core.pagination import page_of, paginate
from app.hazards.models import Hazard, HazardStatus
from app.inspections.models import Inspection, InspectionOfficer
from app.institutions.models import Institution
from app.officers.models import Officer
from app.plans.models import Draw, Plan
from app.public.schemas import (
    PublicDraw,
    PublicInspection,
    PublicInstitution,
    PublicOfficer,
    PublicPlan,
    PublicTeam,
)


async def public_draw(session: AsyncSession, draw_id: uuid.UUID) -> PublicDraw:
    row = (
        await session.execute(select(Draw, Plan).join(Plan, Plan.id == Draw.plan_id).where(Draw.id == draw_id))
    ).one_or_none()
    if row is None:
        raise NotFound(f"draw {draw_id} not found")
    draw, plan = row.Draw, row.Plan
    unknown = {"name": "?", "township": None, "region_code": "", "certificate_no": None}
    institutions = {i["id"]: i for i in draw.candidates["institutions"]}
    officers = {o["id"]: o for o in draw.candidates["officers"]}
    kinds = {
        row.id: row.kind
        for row in await session.execute(
            select(Institution.id, Institution.kind).where(
                Institution.id.in_([uuid.UUID(a["institution_id"]) for a in draw.result])
            )
        )
    }
    teams = [
        PublicTeam(
            institution=PublicInstitution(
                name=inst["name"],
                kind=kinds[uuid.UUID(a["institution_id"])],
                township=inst["township"],
                region_code=inst["region_code"],
            ),
            officers=[
                PublicOfficer(
                    name=officers.get(o, unknown)["name"], certificate_no=officers.get(o, unknown)["certificate_no"]
                )
                for o in a["officer_ids"]
            ],
        )
        for a in draw.result
        if (inst := institutions.get(a["institution_id"], unknown)) and uuid.UUID(a["institution_id"]) in kinds
    ]
    return PublicDraw(
        id=draw.id,
        plan=PublicPlan(
            name=plan.name, year=plan.year, region_code=plan.region_code, type=plan.type, campaign=plan.campaign
        ),
        planned_on=draw.planned_on,
        drawn_at=draw.created_at,
        algorithm=draw.algorithm,
        seed=draw.seed,
        candidate_institutions=len(institutions),
        candidate_officers=len(officers),
        redraw_reason=draw.reason,
        teams=teams,
    )


async def public_inspections(
    session: AsyncSession, region_code: str, year: int, cursor: str | None, limit: int
) -> tuple[list[PublicInspection], str | None]:
    """A year's inspections in a region, newest first."""
    found = (
        select(func.count())
        .where(Hazard.inspection_id == Inspection.id, Hazard.status != HazardStatus.voided)
        .correlate(Inspection)
        .scalar_subquery()
    )
    rectified = (
        select(func.count())
        .where(
            Hazard.inspection_id == Inspection.id, Hazard.status.in_((HazardStatus.rectified, HazardStatus.verified))
        )
        .correlate(Inspection)
        .scalar_subquery()
    )
    stmt = (
        select(
            Inspection.id,
            Inspection.inspected_on,
            Inspection.type,
            Inspection.campaign,
            Inspection.summary,
            Institution.name,
            Institution.kind,
            Institution.township,
            Institution.region_code,
            found.label("found"),
            rectified.label("rectified"),
        )
        .join(Institution, Institution.id == Inspection.institution_id)
        .where(
            region_clause(Institution.region_code, region_code),
            Inspection.inspected_on.between(date(year, 1, 1), date(year, 12, 31)),
        )
    )
    stmt = paginate(
        stmt, [Inspection.inspected_on, Inspection.id], cursor, limit, parse=[date, uuid.UUID], descending=True
    )
    rows = (await session.execute(stmt)).all()
    page, next_cursor = page_of(rows, limit, lambda r: [r.inspected_on, r.id])
    teams: dict[uuid.UUID, list[PublicOfficer]] = defaultdict(list)
    if page:
        for t in await session.execute(
            select(InspectionOfficer.inspection_id, Officer.name, Officer.certificate_no)
            .join(Officer, Officer.id == InspectionOfficer.officer_id)
            .where(InspectionOfficer.inspection_id.in_([r.id for r in page]))
            .order_by(InspectionOfficer.inspection_id, InspectionOfficer.position)
        ):
            teams[t.inspection_id].append(PublicOfficer(name=t.name, certificate_no=t.certificate_no))
    items = [
        PublicInspection(
            id=r.id,
            institution=PublicInstitution(name=r.name, kind=r.kind, township=r.township, region_code=r.region_code),
            inspected_on=r.inspected_on,
            type=r.type,
            campaign=r.campaign,
            officers=teams[r.id],
            result=r.summary,
            hazards_found=r.found,
            hazards_rectified=r.rectified,
            rectification="无隐患" if r.found == 0 else "已全部整改" if r.rectified >= r.found else "整改中",
        )
        for r in page
    ]
    return items, next_cursor
