"""总览 (the console's overview): its filters and what it shows, gathered from the services the API uses.

Rules:
- Filters (query parameters, all optional): `year` (four digits, 2000–2100; default this year) or a period
  `from`/`to` (YYYY-MM-DD; either one replaces the year: a missing `from` is 1 January of the year of `to`, a
  missing `to` is 31 December of the year of `from`), `region_code` (digits, inside the caller's region), `township`
  (one of the townships of the region's figures) and `kind` (funeral / elderly_care).
- A bad value is 422 with a message beside its control and no figures; a region outside the caller's is 403 the
  same way. Nothing a filter holds reaches SQL other than through the services.
- Figures and charts: `reports.service.summary` and `breakdown` (month, township, category, severity) over the
  chosen period, region, kind and township. The township chart shows every township of the region (the township
  filter does not narrow it: it is where the township is chosen from).
- Lists: hazards overdue today (region and kind; the newest first, at most `LIST_LIMIT`), certificates that expire
  within `EXPIRY_DAYS` days (region), the coverage of the year's plans (region).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principals import Principal
from app.core.errors import Forbidden, ValidationFailed
from app.deadlines import queries as deadline_queries
from app.deadlines.models import EscalationStatus, FollowUpStatus
from app.deadlines.schemas import EscalationRead, FollowUpRead
from app.hazards import queries as hazard_queries
from app.hazards.schemas import HazardListItem
from app.institutions.models import InstitutionKind
from app.officers import service as officer_service
from app.officers.models import Officer
from app.plans import service as plan_service
from app.reports import service as report_service
from app.reports.labels import CATEGORY, KIND, SEVERITY
from app.reports.schemas import BreakdownRead, GroupBy, SummaryRead
from app.web.console.pages import rate

MIN_YEAR, MAX_YEAR = 2000, 2100
EXPIRY_DAYS = 60
LIST_LIMIT = 20
PLAN_LIMIT = 20
CHARTS = (GroupBy.month, GroupBy.township, GroupBy.category, GroupBy.severity)


@dataclass
class Filters:
    """The parsed filters; `errors` maps a control's name to the message shown beside it."""

    year: int
    date_from: date
    date_to: date
    region_code: str | None = None
    township: str | None = None
    kind: InstitutionKind | None = None
    raw: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    status_code: int = 200


def _parse_date(raw: str) -> date | None:
    text = raw.strip()
    if len(text) != 10 or not text.isascii():
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_filters(params: dict[str, str], today: date) -> Filters:
    """The overview's filters from the query string; never raises."""
    raw = {k: params.get(k, "") for k in ("year", "from", "to", "region_code", "township", "kind")}
    errors: dict[str, str] = {}
    year = today.year
    text = raw["year"].strip()
    if text:
        if len(text) == 4 and text.isascii() and text.isdigit() and MIN_YEAR <= int(text) <= MAX_YEAR:
            year = int(text)
        else:
            errors["year"] = f"年度应为 {MIN_YEAR}—{MAX_YEAR} 之间的四位数字,例如 {today.year}"
    start = end = None
    for name, label in (("from", "起始日期"), ("to", "截止日期")):
        if raw[name].strip():
            value = _parse_date(raw[name])
            if value is None or not (MIN_YEAR <= value.year <= MAX_YEAR):
                errors[name] = f"{label}应为 YYYY-MM-DD 格式的日期,例如 {today.isoformat()}"
            elif name == "from":
                start = value
            else:
                end = value
    if start is None and end is None:
        start, end = date(year, 1, 1), date(year, 12, 31)
    elif start is None and end is not None:
        start = date(end.year, 1, 1)
    elif end is None and start is not None:
        end = date(start.year, 12, 31)
    assert start is not None and end is not None
    if start > end and "from" not in errors and "to" not in errors:
        errors["to"] = f"截止日期({end.isoformat()})不能早于起始日期({start.isoformat()})"
    region = raw["region_code"].strip()
    if region and not (region.isascii() and region.isdigit() and len(region) <= 12):
        errors["region_code"] = "行政区划代码应为 1—12 位数字,例如 500240"
    kind = None
    if raw["kind"]:
        try:
            kind = InstitutionKind(raw["kind"])
        except ValueError:
            errors["kind"] = "请选择机构类型:全部、殡葬机构或养老机构"
    township = raw["township"].strip() or None
    if township is not None and len(township) > 100:
        errors["township"] = "乡镇/街道名称不能超过 100 个字"
    return Filters(year, start, end, region or None, township, kind, raw, errors, 422 if errors else 200)


@dataclass
class Overview:
    summary: SummaryRead
    charts: dict[str, BreakdownRead]
    townships: list[str]
    overdue: list[HazardListItem]
    expiring: list[Officer]
    plans: list[dict[str, Any]]
    escalations: list[EscalationRead]
    follow_ups: list[FollowUpRead]


async def load(session: AsyncSession, principal: Principal, filters: Filters, today: date) -> Overview | None:
    """Everything the page shows, or None with `filters.errors` set when a filter does not fit the caller's data
    (a region outside the caller's: 403; a township the region does not have: 422)."""
    as_of = min(filters.date_to, today) if filters.date_from <= today else filters.date_to
    try:
        whole = report_service.resolve_period(
            principal, filters.date_from, filters.date_to, as_of, filters.region_code, kind=filters.kind
        )
    except Forbidden:
        filters.errors["region_code"] = (
            f"行政区划代码 {filters.region_code} 不在您的辖区({principal.region_code or '全国'})内"
        )
        filters.status_code = 403
        return None
    except ValidationFailed:  # from after to: already reported by parse_filters
        filters.status_code = 422
        return None
    by_township = await report_service.breakdown(session, GroupBy.township, whole)
    townships = [g.key for g in by_township.groups if g.key is not None]
    if filters.township is not None and filters.township not in townships:
        filters.errors["township"] = f"所选期间本辖区没有名为“{filters.township}”的乡镇/街道的记录"
        filters.status_code = 422
        return None
    period = report_service.resolve_period(
        principal,
        filters.date_from,
        filters.date_to,
        as_of,
        filters.region_code,
        kind=filters.kind,
        township=filters.township,
    )
    summary = await report_service.summary(session, period)
    charts = {GroupBy.township.value: by_township}
    for group_by in (GroupBy.month, GroupBy.category, GroupBy.severity):
        charts[group_by.value] = await report_service.breakdown(session, group_by, period)
    hazard_filters = hazard_queries.HazardFilters(overdue=True, kind=filters.kind, region_code=filters.region_code)
    overdue, _ = await hazard_queries.list_hazards(session, principal, hazard_filters, None, LIST_LIMIT)
    expiring = await officer_service.expiring_certificates(
        session, principal, filters.region_code, today, EXPIRY_DAYS, LIST_LIMIT
    )
    plans = []
    found, _ = await plan_service.list_plans(session, principal, filters.year, filters.region_code, None, PLAN_LIMIT)
    for plan in found:
        coverage = await plan_service.coverage(session, plan.id, principal)
        plans.append({"plan": plan, "coverage": coverage})
    open_escalations = deadline_queries.EscalationFilters(status=EscalationStatus.open, region_code=filters.region_code)
    escalations, _ = await deadline_queries.list_escalations(session, principal, open_escalations, None, LIST_LIMIT)
    follow_ups: list[FollowUpRead] = []
    for state in (FollowUpStatus.overdue, FollowUpStatus.due):  # 回头看 not done yet, the late ones first
        found_ups, _ = await deadline_queries.list_follow_ups(
            session, principal, state, filters.region_code, None, LIST_LIMIT
        )
        follow_ups.extend(found_ups)
    return Overview(summary, charts, townships, overdue, expiring, plans, escalations, follow_ups[:LIST_LIMIT])


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def chart_data(overview: Overview) -> dict[str, Any]:
    """The JSON the page's script draws (static/overview.js): labels and values per chart."""
    month = overview.charts[GroupBy.month.value].groups
    township = overview.charts[GroupBy.township.value].groups
    category = overview.charts[GroupBy.category.value].groups
    severity = overview.charts[GroupBy.severity.value].groups
    return {
        "month": {
            "labels": [g.key or "—" for g in month],
            "rate": [_percent(g.rectification_rate) for g in month],
            "found": [g.hazards_found for g in month],
        },
        "township": {
            "labels": [g.label or "未填写" for g in township],
            "found": [g.hazards_found for g in township],
            "rectified": [g.hazards_rectified for g in township],
        },
        "category": {
            "labels": [CATEGORY.get(g.key or "", g.label or "—") for g in category],
            "found": [g.hazards_found for g in category],
        },
        "severity": {
            "labels": [SEVERITY.get(g.key or "", g.label or "—") for g in severity],
            "found": [g.hazards_found for g in severity],
        },
    }


def kinds(summary: SummaryRead, only: InstitutionKind | None) -> list[dict[str, Any]]:
    """The figures table's rows: one per kind (only the chosen one when the kind filter is set)."""
    return [
        {"kind": k.kind.value, "label": KIND[k.kind], "c": k, "rate": rate(k.hazards_rectified, k.hazards_found)}
        for k in summary.kinds
        if only is None or k.kind == only
    ]
