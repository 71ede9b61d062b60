"""Plan reads other packages are handed (they may not import plans: it sits above them)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.inspections.service import PlanTerms
from app.plans.models import Plan


async def plan_terms(session: AsyncSession, plan_id: uuid.UUID) -> PlanTerms | None:
    """The terms an inspection recorded under the plan must meet (inspections' `PlanLookup`); None if no plan."""
    plan = await session.get(Plan, plan_id)
    if plan is None:
        return None
    return PlanTerms(name=plan.name, region_code=plan.region_code, kinds=frozenset(plan.kinds))
