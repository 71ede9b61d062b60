"""Routes: /exports/hazards.csv and /exports/hazards.xlsx (the ledger, 隐患台账), spooled (`app.exports.spool`).
Thin: parse, call, return."""

from __future__ import annotations

from functools import partial
from urllib.parse import quote

from fastapi import APIRouter, Request

from app.auth import scoping
from app.auth.deps import CurrentPrincipal
from app.core import clock
from app.core.deps import SettingsDep
from app.core.errors import problem_responses
from app.db.deps import ReplicaDatabase
from app.exports import service
from app.exports.queries import ledger_statement
from app.exports.spool import ExportGate, SpooledResponse, spooled
from app.hazards.deps import HazardFilterParams

router = APIRouter(prefix="/exports", tags=["exports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _disposition(extension: str) -> str:
    name = quote(f"隐患台账-{clock.today().isoformat()}.{extension}")
    return f"attachment; filename=\"hazards.{extension}\"; filename*=UTF-8''{name}"


def _gate(request: Request) -> ExportGate:
    gate: ExportGate = request.app.state.export_gate
    return gate


@router.get(
    "/hazards.csv",
    summary="The hazard ledger (隐患台账) as CSV (UTF-8 with BOM), streamed",
    response_class=SpooledResponse,
    responses={
        200: {"content": {"text/csv": {}}, "description": "one row per hazard"},
        **problem_responses(401, 403, 422, 429),
    },
)
async def hazards_csv(
    request: Request,
    principal: CurrentPrincipal,
    db: ReplicaDatabase,
    settings: SettingsDep,
    filters: HazardFilterParams,
) -> SpooledResponse:
    """Takes the filters of GET /hazards; voided hazards are included and marked 已作废. At most
    EXPORTS_PER_CREDENTIAL exports per credential at once (429 beyond)."""
    stmt = ledger_statement(principal, filters, db.engine.dialect.name)
    return await spooled(
        _gate(request),
        principal,
        settings.DATA_DIR / "exports",
        partial(service.write_csv, db, stmt),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": _disposition("csv")},
    )


@router.get(
    "/hazards.xlsx",
    summary="The hazard ledger (隐患台账) as an Excel workbook",
    response_class=SpooledResponse,
    responses={
        200: {"content": {XLSX: {}}, "description": "sheet 隐患台账, one row per hazard"},
        **problem_responses(401, 403, 422, 429),
    },
)
async def hazards_xlsx(
    request: Request,
    principal: CurrentPrincipal,
    db: ReplicaDatabase,
    settings: SettingsDep,
    filters: HazardFilterParams,
) -> SpooledResponse:
    """At most EXPORTS_PER_CREDENTIAL exports per credential at once (429 beyond)."""
    stmt = ledger_statement(principal, filters, db.engine.dialect.name)
    title = await service.ledger_title(
        db, scoping.effective_prefix(principal, filters.region_code), filters.found_from, filters.found_to
    )
    return await spooled(
        _gate(request),
        principal,
        settings.DATA_DIR / "exports",
        partial(service.write_xlsx, db, stmt, title),
        media_type=XLSX,
        headers={"Content-Disposition": _disposition("xlsx")},
    )
