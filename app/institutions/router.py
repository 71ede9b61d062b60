"""Routes: /institutions. Thin: parse, call one service function, return."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth.conditional import Conditional
from app.auth.deps import CurrentPrincipal, ManagerPrincipal
from app.core.conditional import NOT_MODIFIED_RESPONSES
from app.core.errors import problem_responses
from app.core.schemas import Cursor, Limit, Page
from app.db.deps import ReadSession, ReplicaSession, WriteSession
from app.institutions import queries, service
from app.institutions.models import InstitutionKind, InstitutionStatus
from app.institutions.schemas import InstitutionCreate, InstitutionRead, InstitutionUpdate

router = APIRouter(prefix="/institutions", tags=["institutions"])


@router.post(
    "",
    response_model=InstitutionRead,
    status_code=status.HTTP_201_CREATED,
    summary="Register an institution (机构)",
    responses={
        200: {"model": InstitutionRead, "description": "replay of an earlier create"},
        **problem_responses(401, 403, 409, 413, 422),
    },
)
async def create_institution(
    data: InstitutionCreate, principal: ManagerPrincipal, session: WriteSession, response: Response
) -> InstitutionRead:
    """Admins and supervisors, inside their region. A client-chosen `id` sent again with the same body
    answers 200 with the stored record; with a different body 409."""
    institution, created = await service.create_institution(session, data, principal)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    response.headers["Location"] = f"/api/v1/institutions/{institution.id}"
    return InstitutionRead.model_validate(institution)


@router.get(
    "",
    response_model=Page[InstitutionRead],
    summary="List institutions",
    responses={**problem_responses(401, 403, 422), **NOT_MODIFIED_RESPONSES},
)
async def list_institutions(
    conditional_read: Conditional,
    principal: CurrentPrincipal,
    session: ReplicaSession,
    cursor: Cursor,
    kind: InstitutionKind | None = None,
    region_code: Annotated[str | None, Query(pattern=r"^\d{1,12}$", description="region prefix")] = None,
    township: Annotated[str | None, Query(max_length=100)] = None,
    status_: Annotated[InstitutionStatus | None, Query(alias="status")] = None,
    q: Annotated[str | None, Query(max_length=200, description="name contains")] = None,
    limit: Annotated[Limit, Query()] = 50,
) -> Page[InstitutionRead]:
    """Ordered by name. Filters combine with AND; `region_code` narrows within the caller's region."""
    conditional_read.check()
    filters = queries.InstitutionFilters(kind=kind, region_code=region_code, township=township, status=status_, q=q)
    items, next_cursor = await queries.list_institutions(session, principal, filters, cursor.position, limit)
    return Page(items=[InstitutionRead.model_validate(i) for i in items], next_cursor=cursor.issue(next_cursor))


@router.get(
    "/{institution_id}",
    response_model=InstitutionRead,
    summary="One institution",
    responses=problem_responses(401, 404, 422),
)
async def get_institution(
    institution_id: uuid.UUID, principal: CurrentPrincipal, session: ReadSession
) -> InstitutionRead:
    return InstitutionRead.model_validate(await queries.get_institution(session, institution_id, principal))


@router.patch(
    "/{institution_id}",
    response_model=InstitutionRead,
    summary="Change an institution",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def update_institution(
    institution_id: uuid.UUID, data: InstitutionUpdate, principal: ManagerPrincipal, session: WriteSession
) -> InstitutionRead:
    """Only the fields sent change. Admins and supervisors, inside their region."""
    institution = await service.update_institution(session, institution_id, data, principal)
    return InstitutionRead.model_validate(institution)
