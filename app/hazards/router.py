"""Routes: /hazards — list, detail with ETag, transitions, history, evidence. Thin: parse, call, return."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Header, Query, Response, UploadFile, status
from fastapi.responses import FileResponse

from app.auth.conditional import Conditional
from app.auth.deps import CurrentPrincipal, FieldPrincipal
from app.core.conditional import NOT_MODIFIED_RESPONSES
from app.core.deps import SettingsDep
from app.core.errors import problem_responses
from app.core.schemas import Cursor, Limit, Page
from app.db.deps import ReadSession, ReplicaSession, WriteSession
from app.hazards import evidence, queries, service
from app.hazards.deps import Effects, HazardFilterParams
from app.hazards.schemas import EvidenceRead, HazardListItem, HazardRead, HistoryRead, TransitionCreate

router = APIRouter(prefix="/hazards", tags=["hazards"])


@router.get(
    "",
    response_model=Page[HazardListItem],
    summary="List hazards (most recently found first)",
    responses={**problem_responses(401, 403, 422), **NOT_MODIFIED_RESPONSES},
)
async def list_hazards(
    conditional_read: Conditional,
    principal: CurrentPrincipal,
    session: ReplicaSession,
    cursor: Cursor,
    filters: HazardFilterParams,
    limit: Annotated[Limit, Query()] = 50,
) -> Page[HazardListItem]:
    conditional_read.check()
    items, next_cursor = await queries.list_hazards(session, principal, filters, cursor.position, limit)
    return Page(items=items, next_cursor=cursor.issue(next_cursor))


@router.get(
    "/{hazard_id}",
    response_model=HazardRead,
    summary="One hazard (with an ETag)",
    responses=problem_responses(401, 404, 422),
)
async def get_hazard(
    hazard_id: uuid.UUID, principal: CurrentPrincipal, session: ReadSession, response: Response
) -> HazardRead:
    hazard, tag = await service.get_hazard(session, hazard_id, principal)
    response.headers["ETag"] = tag
    return hazard


@router.post(
    "/{hazard_id}/transitions",
    response_model=HazardRead,
    summary="Move a hazard through its workflow",
    description="start, rectify (整改), verify (验收/销号), reject, void. Send `If-Match` with the ETag "
    "you read to be sure nobody moved it meanwhile (412 otherwise). Illegal moves are 409.",
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
async def transition(
    hazard_id: uuid.UUID,
    data: TransitionCreate,
    principal: FieldPrincipal,
    session: WriteSession,
    response: Response,
    effects: Effects,
    if_match: Annotated[str | None, Header()] = None,
) -> HazardRead:
    hazard, tag = await service.transition(session, hazard_id, data, if_match, principal, effects=effects)
    response.headers["ETag"] = tag
    return hazard


@router.get(
    "/{hazard_id}/history",
    response_model=Page[HistoryRead],
    summary="The hazard's history, oldest first",
    responses=problem_responses(401, 404, 422),
)
async def history(
    hazard_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: ReadSession,
    cursor: Cursor,
    limit: Annotated[Limit, Query()] = 50,
) -> Page[HistoryRead]:
    items, next_cursor = await queries.list_history(session, hazard_id, principal, cursor.position, limit)
    return Page(items=items, next_cursor=cursor.issue(next_cursor))


@router.post(
    "/{hazard_id}/evidence",
    response_model=EvidenceRead,
    status_code=status.HTTP_201_CREATED,
    summary="Attach evidence (JPEG, PNG, WebP or PDF)",
    responses={
        200: {"model": EvidenceRead, "description": "the same file was already attached"},
        **problem_responses(401, 403, 404, 413, 415, 422),
    },
)
async def add_evidence(
    hazard_id: uuid.UUID,
    principal: FieldPrincipal,
    session: WriteSession,
    settings: SettingsDep,
    response: Response,
    file: Annotated[UploadFile, File(description="the file")],
) -> EvidenceRead:
    item, created = await service.add_evidence(
        session, hazard_id, file, file.filename, principal, settings.DATA_DIR, settings.EVIDENCE_MAX_BYTES
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    response.headers["Location"] = f"/api/v1/hazards/{hazard_id}/evidence/{item.id}"
    return item


@router.get(
    "/{hazard_id}/evidence",
    response_model=Page[EvidenceRead],
    summary="The hazard's evidence",
    responses=problem_responses(401, 404, 422),
)
async def list_evidence(
    hazard_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: ReadSession,
    cursor: Cursor,
    limit: Annotated[Limit, Query()] = 50,
) -> Page[EvidenceRead]:
    items, next_cursor = await evidence.list_evidence(session, hazard_id, principal, cursor.position, limit)
    return Page(items=items, next_cursor=cursor.issue(next_cursor))


@router.get(
    "/{hazard_id}/evidence/{evidence_id}",
    summary="Download an evidence file",
    response_class=FileResponse,
    responses={
        200: {
            "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in evidence.EVIDENCE_TYPES},
            "description": "the file as uploaded, served as the type sniffed on upload",
        },
        **problem_responses(401, 404, 422),
    },
)
async def download_evidence(
    hazard_id: uuid.UUID,
    evidence_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: ReadSession,
    settings: SettingsDep,
) -> FileResponse:
    item, path = await evidence.get_evidence_file(session, hazard_id, evidence_id, principal, settings.DATA_DIR)
    return FileResponse(
        path,
        media_type=item.content_type,
        filename=item.filename,
        headers={"ETag": f'"{item.sha256}"', "X-Content-Type-Options": "nosniff"},
    )
