"""检查记录: `/console/inspections` (the list) and `/console/inspections/{inspection_id}` (the record with its
officers and hazards). Read-only; thin: check the session, read the query, call the API's own read functions
with the session's principal (same region scope), render.

Rules:
- The list takes the API's filters with the API's names (`institution_id`, `kind`, `region_code`, `type`,
  `officer_id`, `from`, `to`), newest first, 50 a page, `下一页` carrying the signed cursor (app.web.console.queryform).
- A record outside the caller's region, unknown, or not a UUID is the Chinese 404 page.
- The list links `新建检查` (app.web.console.inspection_form) for the roles that may record (the API's FIELD_ROLES).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.auth.deps import FIELD_ROLES
from app.core.deps import SettingsDep
from app.core.errors import NotFound
from app.db.deps import DatabaseDep
from app.inspections import queries, service
from app.inspections.models import InspectionType
from app.institutions.models import InstitutionKind
from app.reports.labels import CATEGORY, KIND, SEVERITY, STATUS
from app.web.console import sessions
from app.web.console.pages import page, to_login
from app.web.console.queryform import PAGE_SIZE, QueryForm, list_page, not_found, parse_id
from app.web.console.register_labels import INSPECTION_TYPE

router = APIRouter(include_in_schema=False)
LIST = "/console/inspections"
LABELS = {"kind": KIND, "type": INSPECTION_TYPE, "category": CATEGORY, "severity": SEVERITY, "status": STATUS}


@router.get(LIST)
async def inspections(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    async with db.query_session() as session:
        principal = await sessions.session_principal(session, request, settings.secret_key)
        if principal is None:
            return to_login(request)
        form = QueryForm(request.query_params)
        filters = queries.InspectionFilters(
            institution_id=form.ident("institution_id", "机构"),
            kind=form.choice("kind", InstitutionKind, KIND),
            region_code=form.region(),
            type=form.choice("type", InspectionType, INSPECTION_TYPE),
            officer_id=form.ident("officer_id", "执法人员"),
            date_from=form.day("from", "检查日期(起)"),
            date_to=form.day("to", "检查日期(止)"),
        )

        async def fetch(position: str | None) -> tuple[Sequence[Any], str | None]:
            return await queries.list_inspections(session, principal, filters, position, PAGE_SIZE)

        return await list_page(
            request,
            settings,
            principal,
            form,
            "registers/inspections.html",
            fetch,
            labels=LABELS,
            can_record=principal.role in FIELD_ROLES,
        )


@router.get(LIST + "/{inspection_id}")
async def inspection(inspection_id: str, request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    async with db.query_session() as session:
        principal = await sessions.session_principal(session, request, settings.secret_key)
        if principal is None:
            return to_login(request)
        ident = parse_id(inspection_id)
        try:
            if ident is None:
                raise NotFound(inspection_id)
            record = await service.get_inspection(session, ident, principal)
        except NotFound:
            return not_found(request, settings, principal, "检查记录", LIST, "返回检查记录")
    return page(request, settings, principal, "registers/inspection.html", record=record, labels=LABELS)
