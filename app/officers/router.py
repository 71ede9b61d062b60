"""Routes: /officers and their trainings. Thin: parse, call one service function, return."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth.conditional import Conditional
from app.auth.deps import CurrentPrincipal, ManagerPrincipal
from app.core.conditional import NOT_MODIFIED_RESPONSES
from app.core.errors import problem_responses
from app.core.schemas import Cursor, IsoDate, Limit, Page
from app.db.deps import ReadSession, ReplicaSession, WriteSession
from app.officers import service
from app.officers.schemas import (
    ConflictCreate,
    ConflictRead,
    OfficerCreate,
    OfficerRead,
    OfficerUpdate,
    TrainingCreate,
    TrainingRead,
)

router = APIRouter(prefix="/officers", tags=["officers"])


@router.post(
    "",
    response_model=OfficerRead,
    status_code=status.HTTP_201_CREATED,
    summary="Register an enforcement officer (执法人员)",
    responses={
        200: {"model": OfficerRead, "description": "replay of an earlier create"},
        **problem_responses(401, 403, 409, 413, 422),
    },
)
async def create_officer(
    data: OfficerCreate, principal: ManagerPrincipal, session: WriteSession, response: Response
) -> OfficerRead:
    """Admins and supervisors, inside their region."""
    officer, created = await service.create_officer(session, data, principal)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    response.headers["Location"] = f"/api/v1/officers/{officer.id}"
    return OfficerRead.of(officer)


@router.get(
    "",
    response_model=Page[OfficerRead],
    summary="List officers",
    responses={**problem_responses(401, 403, 422), **NOT_MODIFIED_RESPONSES},
)
async def list_officers(
    conditional_read: Conditional,
    principal: CurrentPrincipal,
    session: ReplicaSession,
    cursor: Cursor,
    region_code: Annotated[str | None, Query(pattern=r"^\d{1,12}$", description="region prefix")] = None,
    unit: Annotated[str | None, Query(max_length=100)] = None,
    certified_on: Annotated[IsoDate | None, Query(description="only officers certified on this date")] = None,
    q: Annotated[str | None, Query(max_length=100, description="name contains")] = None,
    limit: Annotated[Limit, Query()] = 50,
) -> Page[OfficerRead]:
    """Ordered by name."""
    conditional_read.check()
    filters = service.OfficerFilters(region_code=region_code, unit=unit, certified_on=certified_on, q=q)
    items, next_cursor = await service.list_officers(session, principal, filters, cursor.position, limit)
    return Page(items=[OfficerRead.of(o) for o in items], next_cursor=cursor.issue(next_cursor))


@router.get(
    "/{officer_id}", response_model=OfficerRead, summary="One officer", responses=problem_responses(401, 404, 422)
)
async def get_officer(officer_id: uuid.UUID, principal: CurrentPrincipal, session: ReadSession) -> OfficerRead:
    return OfficerRead.of(await service.get_officer(session, officer_id, principal))


@router.patch(
    "/{officer_id}",
    response_model=OfficerRead,
    summary="Change an officer or its certificate",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def update_officer(
    officer_id: uuid.UUID, data: OfficerUpdate, principal: ManagerPrincipal, session: WriteSession
) -> OfficerRead:
    return OfficerRead.of(await service.update_officer(session, officer_id, data, principal))


@router.post(
    "/{officer_id}/trainings",
    response_model=TrainingRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record a training (执法培训)",
    responses=problem_responses(401, 403, 404, 422),
)
async def add_training(
    officer_id: uuid.UUID, data: TrainingCreate, principal: ManagerPrincipal, session: WriteSession, response: Response
) -> TrainingRead:
    training = await service.add_training(session, officer_id, data, principal)
    response.headers["Location"] = f"/api/v1/officers/{officer_id}/trainings"
    return TrainingRead.model_validate(training)


@router.get(
    "/{officer_id}/trainings",
    response_model=Page[TrainingRead],
    summary="An officer's trainings",
    responses=problem_responses(401, 404, 422),
)
async def list_trainings(
    officer_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: ReplicaSession,
    cursor: Cursor,
    limit: Annotated[Limit, Query()] = 50,
) -> Page[TrainingRead]:
    items, next_cursor = await service.list_trainings(session, officer_id, principal, cursor.position, limit)
    return Page(items=[TrainingRead.model_validate(t) for t in items], next_cursor=cursor.issue(next_cursor))


@router.post(
    "/{officer_id}/conflicts",
    response_model=ConflictRead,
    status_code=status.HTTP_201_CREATED,
    summary="Declare a conflict of interest (回避): never drawn to inspect that institution",
    responses={
        200: {"model": ConflictRead, "description": "already declared"},
        **problem_responses(401, 403, 404, 422),
    },
)
async def add_conflict(
    officer_id: uuid.UUID, data: ConflictCreate, principal: ManagerPrincipal, session: WriteSession, response: Response
) -> ConflictRead:
    conflict, created = await service.add_conflict(session, officer_id, data, principal)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    response.headers["Location"] = f"/api/v1/officers/{officer_id}/conflicts"
    return conflict


@router.get(
    "/{officer_id}/conflicts",
    response_model=Page[ConflictRead],
    summary="An officer's declared conflicts",
    responses=problem_responses(401, 404, 422),
)
async def list_conflicts(
    officer_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: ReplicaSession,
    cursor: Cursor,
    limit: Annotated[Limit, Query()] = 50,
) -> Page[ConflictRead]:
    items, next_cursor = await service.list_conflicts(session, officer_id, principal, cursor.position, limit)
    return Page(items=items, next_cursor=cursor.issue(next_cursor))
