"""Routes: /escalations, /hazards/{hazard_id}/escalations, /follow-ups (every role, in its region). Thin."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.conditional import Conditional
from app.auth.deps import CurrentPrincipal
from app.core.conditional import NOT_MODIFIED_RESPONSES
from app.core.errors import problem_responses
from app.core.schemas import Cursor, Limit, Page
from app.db.deps import ReadSession, ReplicaSession
from app.deadlines import queries
from app.deadlines.models import EscalationStatus, FollowUpStatus
from app.deadlines.schemas import EscalationRead, FollowUpRead
from app.hazards.models import EscalationLevel

router = APIRouter(tags=["deadlines"])

RegionFilter = Annotated[str | None, Query(pattern=r"^\d{1,12}$", description="region prefix, inside your own")]


@router.get(
    "/escalations",
    response_model=Page[EscalationRead],
    summary="Escalations of overdue hazards (催办 / 督办 / 约谈 / 挂牌督办), newest first",
    responses={**problem_responses(401, 403, 422), **NOT_MODIFIED_RESPONSES},
)
async def list_escalations(
    conditional_read: Conditional,
    principal: CurrentPrincipal,
    session: ReplicaSession,
    cursor: Cursor,
    status_: Annotated[EscalationStatus | None, Query(alias="status")] = None,
    level: EscalationLevel | None = None,
    region_code: RegionFilter = None,
    institution_id: uuid.UUID | None = None,
    limit: Annotated[Limit, Query()] = 50,
) -> Page[EscalationRead]:
    conditional_read.check()
    filters = queries.EscalationFilters(status_, level, region_code, institution_id)
    items, next_cursor = await queries.list_escalations(session, principal, filters, cursor.position, limit)
    return Page(items=items, next_cursor=cursor.issue(next_cursor))


@router.get(
    "/hazards/{hazard_id}/escalations",
    response_model=Page[EscalationRead],
    summary="The escalations raised for one hazard, oldest first",
    responses=problem_responses(401, 404, 422),
)
async def hazard_escalations(
    hazard_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: ReadSession,
    cursor: Cursor,
    limit: Annotated[Limit, Query()] = 50,
) -> Page[EscalationRead]:
    items, next_cursor = await queries.hazard_escalations(session, hazard_id, principal, cursor.position, limit)
    return Page(items=items, next_cursor=cursor.issue(next_cursor))


@router.get(
    "/follow-ups",
    response_model=Page[FollowUpRead],
    summary="Follow-up checks (回头看) of verified major hazards, by due date",
    responses={**problem_responses(401, 403, 422), **NOT_MODIFIED_RESPONSES},
)
async def list_follow_ups(
    conditional_read: Conditional,
    principal: CurrentPrincipal,
    session: ReplicaSession,
    cursor: Cursor,
    status_: Annotated[FollowUpStatus | None, Query(alias="status")] = None,
    region_code: RegionFilter = None,
    limit: Annotated[Limit, Query()] = 50,
) -> Page[FollowUpRead]:
    conditional_read.check()
    items, next_cursor = await queries.list_follow_ups(session, principal, status_, region_code, cursor.position, limit)
    return Page(items=items, next_cursor=cursor.issue(next_cursor))
