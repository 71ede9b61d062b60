"""Routes: /inspections. Thin: parse, call one service function, return."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth.conditional import Conditional
from app.auth.deps import CurrentPrincipal, FieldPrincipal
from app.core.conditional import NOT_MODIFIED_RESPONSES
from app.core.errors import problem_responses
from app.core.schemas import Cursor, IsoDate, Limit, Page
from app.db.deps import ReadSession, ReplicaSession, WriteSession
from app.hazards.deps import Deadlines
from app.hazards.schemas import HazardCreate, HazardRead
from app.inspections import queries, service
from app.inspections.deps import Plans
from app.inspections.models import InspectionType
from app.inspections.schemas import InspectionCreate, InspectionRead, InspectionSummary, InspectionUpdate
from app.institutions.models import InstitutionKind

router = APIRouter(prefix="/inspections", tags=["inspections"])

REPLAY_NOTE = """
**Replay (offline sync).** Send a client-chosen `id`. If the request is retried, the same `id` with the
same content answers `200` with the stored record as it is now (the first answer was `201`); the same `id`
with different content is `409`. "Same content" compares the validated request with defaults filled in
(so an omitted optional field equals its default), including nested hazards and their ids; later
changes to the record (transitions, patches) do not matter. Simultaneous duplicates never create two records.
"""


@router.post(
    "",
    response_model=InspectionRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record an inspection (执法检查) with its hazards",
    description="At least two distinct officers certified on `inspected_on`; hazards are created in "
    "the same transaction, in order, each starting `open`.\n" + REPLAY_NOTE,
    responses={
        200: {"model": InspectionRead, "description": "replay of an earlier create"},
        **problem_responses(401, 403, 409, 413, 422),
    },
)
async def create_inspection(
    data: InspectionCreate,
    principal: FieldPrincipal,
    session: WriteSession,
    plans: Plans,
    deadlines: Deadlines,
    response: Response,
) -> InspectionRead:
    inspection, created = await service.create_inspection(session, data, principal, plans, deadlines)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    response.headers["Location"] = f"/api/v1/inspections/{inspection.id}"
    return inspection


@router.get(
    "",
    response_model=Page[InspectionSummary],
    summary="List inspections (newest first)",
    responses={**problem_responses(401, 403, 422), **NOT_MODIFIED_RESPONSES},
)
async def list_inspections(
    conditional_read: Conditional,
    principal: CurrentPrincipal,
    session: ReplicaSession,
    cursor: Cursor,
    institution_id: uuid.UUID | None = None,
    kind: InstitutionKind | None = None,
    region_code: Annotated[str | None, Query(pattern=r"^\d{1,12}$", description="region prefix")] = None,
    type_: Annotated[InspectionType | None, Query(alias="type")] = None,
    officer_id: uuid.UUID | None = None,
    date_from: Annotated[IsoDate | None, Query(alias="from", description="inspected_on on or after")] = None,
    date_to: Annotated[IsoDate | None, Query(alias="to", description="inspected_on on or before")] = None,
    limit: Annotated[Limit, Query()] = 50,
) -> Page[InspectionSummary]:
    conditional_read.check()
    filters = queries.InspectionFilters(
        institution_id=institution_id,
        kind=kind,
        region_code=region_code,
        type=type_,
        officer_id=officer_id,
        date_from=date_from,
        date_to=date_to,
    )
    items, next_cursor = await queries.list_inspections(session, principal, filters, cursor.position, limit)
    return Page(items=items, next_cursor=cursor.issue(next_cursor))


@router.get(
    "/{inspection_id}",
    response_model=InspectionRead,
    summary="One inspection with its hazards",
    responses=problem_responses(401, 404, 422),
)
async def get_inspection(inspection_id: uuid.UUID, principal: CurrentPrincipal, session: ReadSession) -> InspectionRead:
    return await service.get_inspection(session, inspection_id, principal)


@router.patch(
    "/{inspection_id}",
    response_model=InspectionRead,
    summary="Change type, campaign or summary",
    responses=problem_responses(401, 403, 404, 422),
)
async def update_inspection(
    inspection_id: uuid.UUID, data: InspectionUpdate, principal: FieldPrincipal, session: WriteSession
) -> InspectionRead:
    return await service.update_inspection(session, inspection_id, data, principal)


@router.post(
    "/{inspection_id}/hazards",
    response_model=HazardRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add a finding to an inspection",
    description="Same rules as hazards nested in the inspection; a client-chosen `id` replays (200).",
    responses={
        200: {"model": HazardRead, "description": "replay of an earlier create"},
        **problem_responses(401, 403, 404, 409, 422),
    },
)
async def add_hazard(
    inspection_id: uuid.UUID,
    data: HazardCreate,
    principal: FieldPrincipal,
    session: WriteSession,
    deadlines: Deadlines,
    response: Response,
) -> HazardRead:
    hazard, tag, created = await service.add_hazard(session, inspection_id, data, principal, deadlines)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    response.headers["Location"] = f"/api/v1/hazards/{hazard.id}"
    response.headers["ETag"] = tag
    return hazard
