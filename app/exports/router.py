"""Routes: /exports/hazards.csv and /exports/hazards.xlsx (the ledger, 隐患台账). Thin: parse, call, return."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import FileResponse, StreamingResponse
from starlette.background import BackgroundTask

from app.auth import scoping
from app.auth.deps import CurrentPrincipal
from app.core import clock
from app.core.errors import problem_responses
from app.db.deps import DatabaseDep
from app.exports import service
from app.exports.queries import ledger_statement
from app.hazards.router import HazardFilterParams

router = APIRouter(prefix="/exports", tags=["exports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _disposition(extension: str) -> str:
    name = quote(f"隐患台账-{clock.today().isoformat()}.{extension}")
    return f"attachment; filename=\"hazards.{extension}\"; filename*=UTF-8''{name}"


@router.get(
    "/hazards.csv",
    summary="The hazard ledger (隐患台账) as CSV (UTF-8 with BOM), streamed",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}}, "description": "one row per hazard"},
        **problem_responses(401, 403, 422),
    },
)
async def hazards_csv(principal: CurrentPrincipal, db: DatabaseDep, filters: HazardFilterParams) -> StreamingResponse:
    """Takes the filters of GET /hazards; voided hazards are included and marked 已作废."""
    stmt = ledger_statement(principal, filters, db.engine.dialect.name)
    return StreamingResponse(
        service.csv_chunks(db, stmt),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": _disposition("csv")},
    )


@router.get(
    "/hazards.xlsx",
    summary="The hazard ledger (隐患台账) as an Excel workbook",
    response_class=FileResponse,
    responses={
        200: {"content": {XLSX: {}}, "description": "sheet 隐患台账, one row per hazard"},
        **problem_responses(401, 403, 422),
    },
)
async def hazards_xlsx(principal: CurrentPrincipal, db: DatabaseDep, filters: HazardFilterParams) -> FileResponse:
    stmt = ledger_statement(principal, filters, db.engine.dialect.name)
    title = await service.ledger_title(
        db, scoping.effective_prefix(principal, filters.region_code), filters.found_from, filters.found_to
    )
    path = await service.xlsx_file(db, stmt, title)
    return FileResponse(
        path,
        media_type=XLSX,
        headers={"Content-Disposition": _disposition("xlsx")},
        background=BackgroundTask(Path.unlink, path, missing_ok=True),
    )
