"""Officer reads other packages are handed (they may not import officers: it sits above them)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.officers.models import Officer


async def officer_region(session: AsyncSession, officer_id: uuid.UUID) -> str | None:
    """The officer's region code, None if there is no such officer (auth's `OfficerRegion`)."""
    region: str | None = await session.scalar(select(Officer.region_code).where(Officer.id == officer_id))
    return region
