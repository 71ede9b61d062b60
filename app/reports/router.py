"""Routes: /reports/summary, /reports/breakdown, /reports/annual. Thin: parse, call, return."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import PlainTextResponse

from app.auth.conditional import Conditional
from app.auth.deps import CurrentPrincipal
from app.core.conditional import ETAG_HEADERS, NOT_MODIFIED_RESPONSES
from app.core.deps import SettingsDep
from app.core.errors import problem_responses
from app.core.schemas import IsoDate
from app.db.deps import ReplicaSession
from app.reports import document, service
from app.reports.annual import DOCX_MEDIA_TYPE
from app.reports.document import AnnualFormat
from app.reports.schemas import BreakdownRead, GroupBy, SummaryRead

router = APIRouter(prefix="/reports", tags=["reports"])

DateFrom = Annotated[IsoDate | None, Query(alias="from", description="period start (inclusive); default 1 January")]
DateTo = Annotated[IsoDate | None, Query(alias="to", description="period end (inclusive); default today")]
AsOf = Annotated[IsoDate | None, Query(description="count rectifications up to this date; default `to`")]
Region = Annotated[str | None, Query(pattern=r"^\d{1,12}$", description="region prefix inside your own")]


@router.get(
    "/summary",
    response_model=SummaryRead,
    response_model_by_alias=True,
    summary="Figures per institution kind, and certified officers (持证执法人员)",
    responses={**problem_responses(401, 403, 422), **NOT_MODIFIED_RESPONSES},
)
async def summary(
    conditional_read: Conditional,
    principal: CurrentPrincipal,
    session: ReplicaSession,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    as_of: AsOf = None,
    region_code: Region = None,
) -> SummaryRead:
    period = service.resolve_period(principal, date_from, date_to, as_of, region_code)  # a 422 stays a 422
    conditional_read.check()
    return await service.summary(session, period)


@router.get(
    "/breakdown",
    response_model=BreakdownRead,
    response_model_by_alias=True,
    summary="The same counters per kind, region, township, category, severity, month or institution",
    responses={**problem_responses(401, 403, 422), **NOT_MODIFIED_RESPONSES},
)
async def breakdown(
    conditional_read: Conditional,
    principal: CurrentPrincipal,
    session: ReplicaSession,
    group_by: GroupBy,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    as_of: AsOf = None,
    region_code: Region = None,
) -> BreakdownRead:
    period = service.resolve_period(principal, date_from, date_to, as_of, region_code)  # a 422 stays a 422
    conditional_read.check()
    return await service.breakdown(session, group_by, period)


@router.get(
    "/annual",
    summary="The annual report's enforcement-inspection paragraph (text or DOCX)",
    response_class=PlainTextResponse,
    responses={
        200: {
            "content": {"text/plain": {"example": "殡葬事务中心集中排查全县殡葬机构8家,…"}, DOCX_MEDIA_TYPE: {}},
            "description": "text/plain by default; DOCX with format=docx or Accept",
            "headers": ETAG_HEADERS,
        },
        304: NOT_MODIFIED_RESPONSES[304],
        **problem_responses(401, 403, 422),
    },
)
async def annual_report(
    conditional_read: Conditional,
    principal: CurrentPrincipal,
    session: ReplicaSession,
    settings: SettingsDep,
    year: Annotated[int, Query(ge=2000, le=2100, description="the report year")],
    region_code: Region = None,
    format_: Annotated[AnnualFormat | None, Query(alias="format")] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """From 1 January to 31 December of `year`, as of 31 December, over the caller's region."""
    conditional_read.check()
    rendered = await document.annual_report(session, principal, year, region_code, settings, format_, accept)
    headers = {**rendered.headers, **conditional_read.headers}
    return Response(rendered.content, media_type=rendered.media_type, headers=headers)
