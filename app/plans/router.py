"""Routes: /plans, coverage, draws. Thin: parse, call one service function, return."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth.deps import CurrentPrincipal, ManagerPrincipal
from app.core.deps import SettingsDep
from app.core.errors import problem_responses
from app.core.schemas import Cursor, Limit, Page
from app.db.deps import ReadSession, ReplicaSession, WriteSession
from app.plans import draws, service
from app.plans.schemas import CoverageRead, DrawCreate, DrawRead, DrawVerification, PlanCreate, PlanRead, PlanUpdate

router = APIRouter(prefix="/plans", tags=["plans"])


@router.post(
    "",
    response_model=PlanRead,
    status_code=status.HTTP_201_CREATED,
    summary="Make an inspection plan (年度执法检查计划)",
    responses={
        200: {"model": PlanRead, "description": "replay of an earlier create"},
        **problem_responses(401, 403, 409, 422),
    },
)
async def create_plan(
    data: PlanCreate, principal: ManagerPrincipal, session: WriteSession, response: Response
) -> PlanRead:
    plan, created = await service.create_plan(session, data, principal)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    response.headers["Location"] = f"/api/v1/plans/{plan.id}"
    return PlanRead.model_validate(plan)


@router.get("", response_model=Page[PlanRead], summary="List plans", responses=problem_responses(401, 403, 422))
async def list_plans(
    principal: CurrentPrincipal,
    session: ReplicaSession,
    cursor: Cursor,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    region_code: Annotated[str | None, Query(pattern=r"^\d{1,12}$")] = None,
    limit: Annotated[Limit, Query()] = 50,
) -> Page[PlanRead]:
    items, next_cursor = await service.list_plans(session, principal, year, region_code, cursor.position, limit)
    return Page(items=items, next_cursor=cursor.issue(next_cursor))


@router.get("/{plan_id}", response_model=PlanRead, summary="One plan", responses=problem_responses(401, 404, 422))
async def get_plan(plan_id: uuid.UUID, principal: CurrentPrincipal, session: ReadSession) -> PlanRead:
    return PlanRead.model_validate(await service.get_plan(session, plan_id, principal))


@router.patch(
    "/{plan_id}",
    response_model=PlanRead,
    summary="Change a plan's name, period or required count",
    responses=problem_responses(401, 403, 404, 422),
)
async def update_plan(
    plan_id: uuid.UUID, data: PlanUpdate, principal: ManagerPrincipal, session: WriteSession
) -> PlanRead:
    return PlanRead.model_validate(await service.update_plan(session, plan_id, data, principal))


@router.get(
    "/{plan_id}/coverage",
    response_model=CoverageRead,
    summary="Coverage (全覆盖) of a plan so far",
    responses=problem_responses(401, 404, 422),
)
async def coverage(plan_id: uuid.UUID, principal: CurrentPrincipal, session: ReadSession) -> CoverageRead:
    """Institutions in scope, covered, partly covered and not yet visited (listed), overall and by township."""
    return await service.coverage(session, plan_id, principal)


@router.post(
    "/{plan_id}/draws",
    response_model=DrawRead,
    status_code=status.HTTP_201_CREATED,
    summary="Random draw (双随机): institutions and teams of certified officers",
    responses=problem_responses(401, 403, 404, 422),
)
async def make_draw(
    plan_id: uuid.UUID,
    data: DrawCreate,
    principal: ManagerPrincipal,
    session: WriteSession,
    settings: SettingsDep,
    response: Response,
) -> DrawRead:
    """Immutable once made; a redraw is a new draw with a `reason`. Verify it with …/verify."""
    drawn = await draws.make_draw(session, plan_id, data, principal, settings.draw_keys)
    response.headers["Location"] = f"/api/v1/plans/{plan_id}/draws/{drawn.id}"
    return drawn


@router.get(
    "/{plan_id}/draws",
    response_model=Page[DrawRead],
    summary="A plan's draws, oldest first",
    responses=problem_responses(401, 404, 422),
)
async def list_draws(
    plan_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: ReplicaSession,
    cursor: Cursor,
    limit: Annotated[Limit, Query()] = 50,
) -> Page[DrawRead]:
    items, next_cursor = await draws.list_draws(session, plan_id, principal, cursor.position, limit)
    return Page(items=items, next_cursor=cursor.issue(next_cursor))


@router.get(
    "/{plan_id}/draws/{draw_id}",
    response_model=DrawRead,
    summary="One draw",
    responses=problem_responses(401, 404, 422),
)
async def get_draw(
    plan_id: uuid.UUID, draw_id: uuid.UUID, principal: CurrentPrincipal, session: ReadSession
) -> DrawRead:
    return draws.draw_read(await draws.get_draw(session, plan_id, draw_id, principal))


@router.get(
    "/{plan_id}/draws/{draw_id}/verify",
    response_model=DrawVerification,
    summary="Recompute a draw from its stored seed and candidates, and check nothing was altered",
    responses=problem_responses(401, 404, 422),
)
async def verify_draw(
    plan_id: uuid.UUID,
    draw_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: ReadSession,
    settings: SettingsDep,
) -> DrawVerification:
    return draws.verify(await draws.get_draw(session, plan_id, draw_id, principal), settings.draw_keys)
