"""Read paths for institutions: one visible institution, the filtered list.

Rules:
- Reads outside the caller's region are 404; the list holds only the caller's region.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import scoping
from app.auth.principals import Principal
from app.core.pagination import page_of, paginate
from app.institutions.models import Institution, InstitutionKind, InstitutionStatus


@dataclass(frozen=True, slots=True)
class InstitutionFilters:
    kind: InstitutionKind | None = None
    region_code: str | None = None
    township: str | None = None
    status: InstitutionStatus | None = None
    q: str | None = None


async def get_institution(session: AsyncSession, institution_id: uuid.UUID, actor: Principal) -> Institution:
    return await scoping.get_visible(session, Institution, institution_id, actor, "institution")


async def list_institutions(
    session: AsyncSession, actor: Principal, filters: InstitutionFilters, cursor: str | None, limit: int
) -> tuple[list[Institution], str | None]:
    """Ordered by name, then id (stable under inserts)."""
    stmt = scoping.scoped(select(Institution), Institution.region_code, actor, filters.region_code)
    if filters.kind is not None:
        stmt = stmt.where(Institution.kind == filters.kind)
    if filters.township:
        stmt = stmt.where(Institution.township == filters.township)
    if filters.status is not None:
        stmt = stmt.where(Institution.status == filters.status)
    if filters.q:
        stmt = stmt.where(Institution.name.contains(filters.q, autoescape=True))
    stmt = paginate(stmt, [Institution.name, Institution.id], cursor, limit, parse=[str, uuid.UUID])
    rows = (await session.execute(stmt)).scalars().all()
    return page_of(rows, limit, lambda i: [i.name, i.id])
