"""The annual report as a document: which form a request asked for (format=… wins over Accept) and the bytes,
media type and file name of that form. The wording is annual.py's; this module only chooses and renders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from urllib.parse import quote

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principals import Principal
from app.core.config import Settings
from app.reports import annual, service
from app.reports.schemas import SummaryRead

TEXT_MEDIA_TYPE = "text/plain; charset=utf-8"


class AnnualFormat(StrEnum):
    text = "text"
    docx = "docx"


@dataclass(frozen=True)
class Rendered:
    content: bytes
    media_type: str
    headers: dict[str, str]


def wants_docx(format_: AnnualFormat | None, accept: str | None) -> bool:
    """DOCX when `format=docx`, or when no format is given and the Accept header names the DOCX type."""
    return format_ == AnnualFormat.docx or (format_ is None and annual.DOCX_MEDIA_TYPE in (accept or ""))


async def render_annual(
    figures: SummaryRead, settings: Settings, year: int, format_: AnnualFormat | None, accept: str | None
) -> Rendered:
    """The paragraph as text/plain, or the Word document (built in a worker thread: python-docx is CPU-bound)."""
    wording = annual.Wording.from_settings(settings)
    if not wants_docx(format_, accept):
        return Rendered(annual.annual_text(figures, wording).encode(), TEXT_MEDIA_TYPE, {})
    content = await anyio.to_thread.run_sync(annual.annual_docx, figures, wording, year)
    filename = quote(f"{year}年民政执法检查情况.docx")
    return Rendered(
        content, annual.DOCX_MEDIA_TYPE, {"Content-Disposition": f"attachment; filename*=UTF-8''{filename}"}
    )


async def annual_report(
    session: AsyncSession,
    principal: Principal,
    year: int,
    region_code: str | None,
    settings: Settings,
    format_: AnnualFormat | None,
    accept: str | None,
) -> Rendered:
    """GET /reports/annual: 1 January to 31 December of `year`, as of 31 December, over the caller's region."""
    period = service.resolve_period(principal, date(year, 1, 1), date(year, 12, 31), None, region_code)
    return await render_annual(await service.summary(session, period), settings, year, format_, accept)
