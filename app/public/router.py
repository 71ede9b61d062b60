"""Public routes (no credentials): /public/draws/{draw_id}, /public/inspections. Rate limited per client IP.

Only what the law says is published (一公开): institution, date, officers' names and certificate numbers,
result summary, hazard count and rectification state. No notes, evidence, contact details or user data.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from app.core.errors import TooManyRequests, problem_responses
from app.core.ratelimit import RateLimiter
from app.core.schemas import Cursor, Limit, Page
from app.db.deps import ReadSession, ReplicaSession
from app.public import queries
from app.public.schemas import PublicDraw, PublicInspection


def limiter_for(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.public_limiter
    return limiter


async def rate_limited(request: Request) -> None:
    """429 with Retry-After once a client IP passes PUBLIC_RATE_LIMIT_PER_MINUTE."""
    client = request.client.host if request.client else "unknown"
    wait = await limiter_for(request).hit(client)
    if wait is not None:
        raise TooManyRequests(
            f"too many requests to the public endpoints; retry in {wait} s", headers={"Retry-After": str(wait)}
        )


router = APIRouter(prefix="/public", tags=["public (一公开)"], dependencies=[Depends(rate_limited)])


@router.get(
    "/draws/{draw_id}",
    response_model=PublicDraw,
    summary="A published random draw (public)",
    responses=problem_responses(404, 422, 429),
)
async def public_draw(draw_id: uuid.UUID, session: ReadSession) -> PublicDraw:
    return await queries.public_draw(session, draw_id)


@router.get(
    "/inspections",
    response_model=Page[PublicInspection],
    summary="Published inspections of a region and year (public)",
    responses=problem_responses(422, 429),
)
async def public_inspections(
    session: ReplicaSession,
    cursor: Cursor,
    year: Annotated[int, Query(ge=2000, le=2100)],
    region_code: Annotated[str, Query(pattern=r"^\d{2,12}$", description="region prefix (GB/T 2260)")],
    limit: Annotated[Limit, Query()] = 50,
) -> Page[PublicInspection]:
    items, next_cursor = await queries.public_inspections(session, region_code, year, cursor.position, limit)
    return Page(items=items, next_cursor=cursor.issue(next_cursor))
