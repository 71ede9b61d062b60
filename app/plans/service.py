"""Plan use cases and coverage. Each write commits once.

Rules:
- Plans are made and changed by admins and supervisors inside their region; everyone in region reads them.
- In scope: institutions of the plan's kinds whose region lies in the plan's, not closed.
- An inspection counts toward a plan when it names the plan (`plan_id`), or names none and matches the plan's
  type (and campaign, for a special plan) inside the plan's period.
- Covered (全覆盖): at least `required_inspections` counted; partly covered: fewer but some; not visited: none.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import scoping
from app.auth.principals import Principal
from app.core.errors import ValidationFailed
from app.core.pagination import AnySelect, page_of, paginate
from app.db.replay import create_replayable, existing_or_conflict, fingerprint
from app.db.versions import touch
from app.inspections.models import Inspection, InspectionType
from app.institutions.models import Institution, InstitutionStatus
from app.plans.models import Plan
from app.plans.schemas import (
    CoverageRead,
    InstitutionBrief,
    PlanCreate,
    PlanRead,
    PlanUpdate,
    TownshipCoverage,
)


async def create_plan(session: AsyncSession, data: PlanCreate, actor: Principal) -> tuple[Plan, bool]:
    scoping.ensure_writable(actor, data.region_code)
    record_id = data.id or uuid.uuid4()
    fp = fingerprint(data)
    if data.id is not None and (found := await existing_or_conflict(session, Plan, record_id, fp, "plan")):
        return await get_plan(session, found.id, actor), False
    plan = Plan(
        id=record_id,
        year=data.year,
        name=data.name,
        kinds=[k.value for k in data.kinds],
        region_code=data.region_code,
        type=data.type,
        campaign=data.campaign,
        period_from=data.period_from,
        period_to=data.period_to,
        required_inspections=data.required_inspections,
        created_by_name=actor.name,
        create_fingerprint=fp,
    )

    async def store() -> None:
        session.add(plan)

    if not await create_replayable(session, Plan, record_id, fp, "plan", store):
        return await get_plan(session, record_id, actor), False
    touch(session, plan.region_code)
    await session.commit()
    return plan, True


async def get_plan(session: AsyncSession, plan_id: uuid.UUID, actor: Principal) -> Plan:
    return await scoping.get_visible(session, Plan, plan_id, actor, "plan")


async def list_plans(
    session: AsyncSession, actor: Principal, year: int | None, region_code: str | None, cursor: str | None, limit: int
) -> tuple[list[PlanRead], str | None]:
    """In id order (stable)."""
    stmt = scoping.scoped(select(Plan), Plan.region_code, actor, region_code)
    if year is not None:
        stmt = stmt.where(Plan.year == year)
    stmt = paginate(stmt, [Plan.id], cursor, limit, parse=[uuid.UUID])
    rows = (await session.execute(stmt)).scalars().all()
    page, next_cursor = page_of(rows, limit, lambda p: [p.id])
    return [PlanRead.model_validate(p) for p in page], next_cursor


async def update_plan(session: AsyncSession, plan_id: uuid.UUID, data: PlanUpdate, actor: Principal) -> Plan:
    plan = await get_plan(session, plan_id, actor)
    changes = data.model_dump(exclude_unset=True)
    start = changes.get("period_from", plan.period_from)
    end = changes.get("period_to", plan.period_to)
    if end < start:
        raise ValidationFailed.field(["body", "period_to"], f"must not be before period_from ({start.isoformat()})")
    touch(session, plan.region_code, changes.get("region_code", plan.region_code))
    for name, value in changes.items():
        setattr(plan, name, value)
    await session.commit()
    return plan


def in_scope(plan: Plan) -> Any:
    """SQL: the institution is in the plan's scope."""
    return and_(
        Institution.kind.in_(plan.kinds),
        scoping.region_clause(Institution.region_code, plan.region_code),
        Institution.status != InstitutionStatus.closed,
    )


def counted(plan: Plan) -> Any:
    """SQL: the inspection counts toward the plan."""
    unplanned = and_(
        Inspection.plan_id.is_(None),
        Inspection.type == plan.type,
        Inspection.inspected_on.between(plan.period_from, plan.period_to),
    )
    if plan.type == InspectionType.special and plan.campaign:
        unplanned = and_(unplanned, Inspection.campaign == plan.campaign)
    return or_(Inspection.plan_id == plan.id, unplanned)


def _per_institution(plan: Plan) -> AnySelect:
    visits = (
        select(Inspection.institution_id, func.count().label("n"))
        .where(counted(plan))
        .group_by(Inspection.institution_id)
        .subquery("visits")
    )
    return (
        select(
            Institution.id, Institution.name, Institution.township, func.coalesce(visits.c.n, 0).label("inspections")
        )
        .outerjoin(visits, visits.c.institution_id == Institution.id)
        .where(in_scope(plan))
    )


async def coverage(session: AsyncSession, plan_id: uuid.UUID, actor: Principal) -> CoverageRead:
    plan = await get_plan(session, plan_id, actor)
    per = _per_institution(plan).subquery("per")
    need = plan.required_inspections
    status = case((per.c.inspections >= need, "covered"), (per.c.inspections > 0, "partly"), else_="none")
    by_township = (
        (
            await session.execute(
                select(
                    per.c.township,
                    func.count().label("in_scope"),
                    func.count().filter(status == "covered").label("covered"),
                    func.count().filter(status == "partly").label("partly_covered"),
                    func.count().filter(status == "none").label("not_visited"),
                )
                .group_by(per.c.township)
                .order_by(per.c.township)
            )
        )
        .mappings()
        .all()
    )
    short = (
        (
            await session.execute(
                select(per.c.id, per.c.name, per.c.township, per.c.inspections)
                .where(per.c.inspections < need)
                .order_by(per.c.inspections, per.c.name, per.c.id)
            )
        )
        .mappings()
        .all()
    )
    townships = [TownshipCoverage(**row, coverage_rate=row["covered"] / row["in_scope"]) for row in by_township]
    total = sum(t.in_scope for t in townships)
    covered = sum(t.covered for t in townships)
    return CoverageRead(
        plan_id=plan.id,
        required_inspections=need,
        in_scope=total,
        covered=covered,
        partly_covered=sum(t.partly_covered for t in townships),
        not_visited=sum(t.not_visited for t in townships),
        coverage_rate=covered / total if total else None,
        not_visited_institutions=[InstitutionBrief(**r) for r in short if r["inspections"] == 0],
        partly_covered_institutions=[InstitutionBrief(**r) for r in short if r["inspections"] > 0],
        by_township=townships,
    )
