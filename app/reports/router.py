"""Routes: /reports/summary, /reports/breakdown, /reports/annual. Thin: parse, call, return."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated
from urllib.parse import quote

import anyio
from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import PlainTextResponse

from app.auth.deps import CurrentPrincipal
from app.core.errors import problem_responses
from app.core.schemas import IsoDate
from app.db.deps import DatabaseDep, ReadSession
from app.reports import annual, service
from app.reports.schemas import BreakdownRead, GroupBy, SummaryRead

router = APIRouter(prefix="/reports", tags=["reports"])

DateFrom = Annotated[IsoDate | None, Query(alias="from", description="period start (inclusive); default 1 January")]
DateTo = Annotated[IsoDate | None, Query(alias="to", description="period end (inclusive); default today")]
AsOf = Annotated[IsoDate | None, Query(description="count rectifications up to this date; default `to`")]
Region = Annotated[str | None, Query(pattern=r"^\d{1,12}$", description="region prefix inside your own")]


class AnnualFormat(StrEnum):
    text = "text"
    docx = "docx"


@router.get(
    "/summary",
    response_model=SummaryRead,
    response_model_by_alias=True,
    summary="Figures per institution kind, and certified officers (持证执法人员)",
    responses=problem_responses(401, 403, 422),
)
async def summary(
    principal: CurrentPrincipal,
    session: ReadSession,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    as_of: AsOf = None,
    region_code: Region = None,
) -> SummaryRead:
    period = service.resolve_period(principal, date_from, date_to, as_of, region_code)
    return await service.summary(session, period)


@router.get(
    "/breakdown",
    response_model=BreakdownRead,
    response_model_by_alias=True,
    summary="The same counters per kind, region, township, category, severity, month or institution",
    responses=problem_responses(401, 403, 422),
)
async def breakdown(
    principal: CurrentPrincipal,
    session: ReadSession,
    group_by: GroupBy,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    as_of: AsOf = None,
    region_code: Region = None,
) -> BreakdownRead:
    period = service.resolve_period(principal, date_from, date_to, as_of, region_code)
    return await service.breakdown(session, group_by, period)


@router.get(
    "/annual",
    summary="The annual report's enforcement-inspection paragraph (text or DOCX)",
    response_class=PlainTextResponse,
    responses={
        200: {
            "content": {"text/plain": {"example": "殡葬事务中心集中排查全县殡葬机构8家,…"}, annual.DOCX_MEDIA_TYPE: {}},
            "description": "text/plain by default; DOCX with format=docx or Accept",
        },
        **problem_responses(401, 403, 422),
    },
)
async def annual_report(
    principal: CurrentPrincipal,
    session: ReadSession,
    db: DatabaseDep,
    year: Annotated[int, Query(ge=2000, le=2100, description="the report year")],
    region_code: Region = None,
    format_: Annotated[AnnualFormat | None, Query(alias="format")] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """From 1 January to 31 December of `year`, as of 31 December, over the caller's region."""
    period = service.resolve_period(principal, date(year, 1, 1), date(year, 12, 31), None, region_code)
    figures = await service.summary(session, period)
    wording = annual.Wording.from_settings(db.settings)
    wants_docx = format_ == AnnualFormat.docx or (format_ is None and annual.DOCX_MEDIA_TYPE in (accept or ""))
    if not wants_docx:
        return PlainTextResponse(annual.annual_text(figures, wording), media_type="text/plain; charset=utf-8")
    content = await anyio.to_thread.run_sync(annual.annual_docx, figures, wording, year)
    filename = quote(f"{year}年民政执法检查情况.docx")
    return Response(
        content,
        media_type=annual.DOCX_MEDIA_TYPE,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{filename}"},
    )
