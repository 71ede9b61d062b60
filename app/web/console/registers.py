"""The registers: 机构 (`/console/institutions`, `/console/institutions/{id}`) and 执法人员 (`/console/officers`,
`/console/officers/{id}`). Thin: check the session, read the query, call the API's own service
functions with the session's principal (same region scope), render.

Rules:
- Lists take the API's filters with the API's names — institutions: `kind`, `region_code`, `township`, `status`,
  `q` (名称包含); officers: `region_code`, `unit`, `certified_on`, `q` (姓名包含) — ordered by name, 50 a page,
  `下一页` carrying the signed cursor (app.web.console.queryform).
- An institution's page shows its record and its latest inspections; an officer's page its certificate (status,
  dates, certified today as the API computes it), trainings, declared conflicts (回避) and latest inspections.
- A record outside the caller's region, unknown, or not a UUID is the Chinese 404 page.
- To admins and supervisors (app.web.console.register_forms.may_write) the lists offer `新建机构` /
  `新增执法人员`, the records `编辑`, and an officer's page its 证件变更, 执法培训 and 回避 forms
  (app.web.console.register_edits, app.web.console.officer_records).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principals import Principal
from app.core.config import Settings
from app.core.deps import SettingsDep
from app.db.deps import DatabaseDep
from app.db.revision import revision
from app.inspections import queries as inspection_queries
from app.institutions import queries as institutions
from app.institutions.models import InstitutionKind, InstitutionStatus
from app.officers import service as officers
from app.officers.schemas import OfficerRead
from app.reports.labels import KIND
from app.web.console import sessions
from app.web.console.pages import page, to_login
from app.web.console.queryform import PAGE_SIZE, QueryForm, list_page, not_found
from app.web.console.register_forms import may_write, stored_values, visible
from app.web.console.register_labels import CERTIFICATE_STATUS, INSPECTION_TYPE, INSTITUTION_STATUS, OPERATOR_TYPE

router = APIRouter(include_in_schema=False)
INSTITUTIONS = "/console/institutions"
OFFICERS = "/console/officers"
RECENT = 20  # inspections shown on a detail page (the rest through the filtered list)
DETAIL_ROWS = 200  # trainings and conflicts shown on an officer's page
CERTIFICATE_FIELDS = ("certificate_no", "certificate_issued_on", "certificate_expires_on", "certificate_status")
CONFLICT_CHOICES = 1000  # institutions offered by the 回避 form (by name)
LABELS = {
    "kind": KIND,
    "status": INSTITUTION_STATUS,
    "operator": OPERATOR_TYPE,
    "certificate": CERTIFICATE_STATUS,
    "type": INSPECTION_TYPE,
}


@router.get(INSTITUTIONS)
async def institution_list(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    async with db.query_session() as session:
        principal = await sessions.session_principal(session, request, settings.secret_key)
        if principal is None:
            return to_login(request)
        form = QueryForm(request.query_params)
        filters = institutions.InstitutionFilters(
            kind=form.choice("kind", InstitutionKind, KIND),
            region_code=form.region(),
            township=form.text("township", 100, "乡镇/街道"),
            status=form.choice("status", InstitutionStatus, INSTITUTION_STATUS),
            q=form.text("q", 200, "机构名称"),
        )

        async def fetch(position: str | None) -> tuple[Sequence[Any], str | None]:
            return await institutions.list_institutions(session, principal, filters, position, PAGE_SIZE)

        return await list_page(
            request,
            settings,
            principal,
            form,
            "registers/institutions.html",
            fetch,
            labels=LABELS,
            may_write=may_write(principal),
        )


@router.get(INSTITUTIONS + "/{institution_id}")
async def institution_detail(institution_id: str, request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    async with db.query_session() as session:
        principal = await sessions.session_principal(session, request, settings.secret_key)
        if principal is None:
            return to_login(request)
        record = await visible(session, institutions.get_institution, institution_id, principal)
        if record is None:
            return not_found(request, settings, principal, "机构", INSTITUTIONS, "返回机构名录")
        recent, more = await inspection_queries.list_inspections(
            session, principal, inspection_queries.InspectionFilters(institution_id=record.id), None, RECENT
        )
    return page(
        request,
        settings,
        principal,
        "registers/institution.html",
        record=record,
        inspections=recent,
        more=more is not None,
        labels=LABELS,
        may_write=may_write(principal),
    )


@router.get(OFFICERS)
async def officer_list(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    async with db.query_session() as session:
        principal = await sessions.session_principal(session, request, settings.secret_key)
        if principal is None:
            return to_login(request)
        form = QueryForm(request.query_params)
        filters = officers.OfficerFilters(
            region_code=form.region(),
            unit=form.text("unit", 100, "所在单位"),
            certified_on=form.day("certified_on", "持证日期"),
            q=form.text("q", 100, "姓名"),
        )

        async def fetch(position: str | None) -> tuple[Sequence[Any], str | None]:
            found, next_cursor = await officers.list_officers(session, principal, filters, position, PAGE_SIZE)
            return [OfficerRead.of(o) for o in found], next_cursor

        return await list_page(
            request,
            settings,
            principal,
            form,
            "registers/officers.html",
            fetch,
            labels=LABELS,
            may_write=may_write(principal),
        )


@router.get(OFFICERS + "/{officer_id}")
async def officer_detail(officer_id: str, request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    async with db.query_session() as session:
        principal = await sessions.session_principal(session, request, settings.secret_key)
        if principal is None:
            return to_login(request)
        return await officer_page(request, settings, principal, session, officer_id)


async def officer_page(
    request: Request,
    settings: Settings,
    principal: Principal,
    session: AsyncSession,
    officer_id: str,
    status_code: int = 200,
    **forms: Any,
) -> Response:
    """The officer's page; `forms` are the values and errors of its forms (a refused training, conflict)."""
    officer = await visible(session, officers.get_officer, officer_id, principal)
    if officer is None:
        return not_found(request, settings, principal, "执法人员", OFFICERS, "返回执法人员名录")
    trainings, more_trainings = await officers.list_trainings(session, officer.id, principal, None, DETAIL_ROWS)
    conflicts, more_conflicts = await officers.list_conflicts(session, officer.id, principal, None, DETAIL_ROWS)
    recent, more = await inspection_queries.list_inspections(
        session, principal, inspection_queries.InspectionFilters(officer_id=officer.id), None, RECENT
    )
    writable = may_write(principal)
    choices: dict[str, str] = {}
    if writable:
        found, _ = await institutions.list_institutions(
            session, principal, institutions.InstitutionFilters(), None, CONFLICT_CHOICES
        )
        choices = {str(i.id): i.name for i in found}
    return page(
        request,
        settings,
        principal,
        "registers/officer.html",
        status_code,
        record=OfficerRead.of(officer),
        revision=revision(officer),
        trainings=trainings,
        more_trainings=more_trainings is not None,
        conflicts=conflicts,
        more_conflicts=more_conflicts is not None,
        inspections=recent,
        more=more is not None,
        labels=LABELS,
        may_write=writable,
        institution_choices=choices,
        certificate=stored_values(officer, CERTIFICATE_FIELDS),
        forms={"training": {}, "conflict": {}, "certificate": {}, **forms},
    )
