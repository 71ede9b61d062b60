"""年度报告: `/console/reports/annual?year=` shows the annual report's enforcement-inspection paragraph exactly as
`GET /api/v1/reports/annual` gives it, and `下载Word` (`/console/reports/annual.docx?year=`) answers the same
DOCX as the API's `format=docx`. Thin: check the session, read the year, call `reports.document.annual_report`
(the API route's own function) with the session's principal (its region scope), render.

Rules:
- `year`: four digits, 2000–2100 (the API's range); empty or absent is this year (Asia/Shanghai). A bad year
  is 422 with the message beside `年度`; for the Word download too (a page, not a file).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.core import clock
from app.core.deps import SettingsDep
from app.db.deps import DatabaseDep
from app.reports import document
from app.reports.document import AnnualFormat
from app.web.console import sessions
from app.web.console.pages import PAGE_HEADERS, page, to_login
from app.web.console.queryform import QueryForm

router = APIRouter(include_in_schema=False)
ANNUAL = "/console/reports/annual"
TEMPLATE = "reports/annual.html"


async def _annual(request: Request, db: DatabaseDep, settings: SettingsDep, format_: AnnualFormat) -> Response:
    async with db.query_session() as session:
        principal = await sessions.session_principal(session, request, settings.secret_key)
        if principal is None:
            return to_login(request)
        form = QueryForm(request.query_params)
        year = form.year("year", default=clock.today().year)
        if year is None:
            return page(request, settings, principal, TEMPLATE, 422, form=form.values(), errors=form.errors, text=None)
        rendered = await document.annual_report(session, principal, year, None, settings, format_, None)
    if format_ == AnnualFormat.docx:
        return Response(rendered.content, media_type=rendered.media_type, headers=PAGE_HEADERS | rendered.headers)
    return page(
        request,
        settings,
        principal,
        TEMPLATE,
        form={"year": str(year)},
        errors={},
        year=year,
        text=rendered.content.decode(),
    )


@router.get(ANNUAL)
async def annual_page(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    return await _annual(request, db, settings, AnnualFormat.text)


@router.get(ANNUAL + ".docx")
async def annual_docx(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    return await _annual(request, db, settings, AnnualFormat.docx)
