"""Report use cases: resolve the period and the caller's region, run the aggregates, shape the answer.

Rules:
- `from` after `to` is 422; `as_of` defaults to `to`; a period may reach into the future.
- Region-scoped callers get their region; a `region_code` outside it is 403 (app.auth.scoping).
- Both institution kinds are always listed in the summary, with zeros.
- Breakdown labels are Chinese: kinds, categories and severities by their labels, regions by their name in the
  regions register (a code it does not know shows as the code).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import scoping
from app.auth.principals import Principal
from app.core import clock
from app.core.errors import ValidationFailed
from app.institutions.models import InstitutionKind
from app.regions import queries as region_queries
from app.reports import labels, queries
from app.reports.schemas import BreakdownRead, Group, GroupBy, KindCounters, SummaryRead, UnitOfficers


def resolve_period(
    actor: Principal,
    date_from: date | None,
    date_to: date | None,
    as_of: date | None,
    region_code: str | None,
    *,
    kind: InstitutionKind | None = None,
    township: str | None = None,
) -> queries.Period:
    """Defaults: from = 1 January of this year, to = today (Asia/Shanghai), as_of = to. `kind` and `township`
    narrow the counters (not the officers) to one institution kind and one township."""
    today = clock.today()
    start = date_from or date(today.year, 1, 1)
    end = date_to or max(today, start)
    if start > end:
        raise ValidationFailed.field(["query", "from"], f"from ({start}) is after to ({end})")
    prefix = scoping.effective_prefix(actor, region_code)
    return queries.Period(start, end, as_of or end, prefix, kind.value if kind else None, township or None)


def _label(group_by: GroupBy, key: str | None, label: str | None, region_names: dict[str, str]) -> str | None:
    if key is None:
        return None
    if group_by == GroupBy.region_code:
        return region_names.get(key, key)  # a code the register does not know shows as the code
    if group_by == GroupBy.kind:
        return labels.KIND.get(key, key)
    if group_by == GroupBy.category:
        return labels.CATEGORY.get(key, key)
    if group_by == GroupBy.severity:
        return labels.SEVERITY.get(key, key)
    return label


async def summary(session: AsyncSession, period: queries.Period) -> SummaryRead:
    by_kind = {row["key"]: row for row in await queries.counters(session, GroupBy.kind, period)}
    kinds = []
    for kind in InstitutionKind:
        row = by_kind.get(kind.value)
        if row is None:
            row = {name: 0 for name in queries.COUNTERS} | {"rectification_rate": None, "coverage_rate": None}
        kinds.append(KindCounters.model_validate({**row, "kind": kind}))
    units = [UnitOfficers.model_validate(u) for u in await queries.officers_by_unit(session, period)]
    certified = sum(u.certified for u in units)
    total = sum(u.total for u in units)
    return SummaryRead(
        from_=period.date_from,
        to=period.date_to,
        as_of=period.as_of,
        region_code=period.region_prefix,
        kinds=kinds,
        officers_certified=certified,
        officers_total=total,
        certification_rate=certified / total if total else None,
        officers_by_unit=units,
        follow_ups_due=sum(k.follow_ups_due for k in kinds),
    )


async def breakdown(session: AsyncSession, group_by: GroupBy, period: queries.Period) -> BreakdownRead:
    rows = await queries.counters(session, group_by, period)
    region_names: dict[str, str] = {}
    if group_by == GroupBy.region_code:
        region_names = await region_queries.names(session, (r["key"] for r in rows if r["key"] is not None))
    groups = [Group.model_validate({**r, "label": _label(group_by, r["key"], r["label"], region_names)}) for r in rows]
    return BreakdownRead(
        from_=period.date_from,
        to=period.date_to,
        as_of=period.as_of,
        region_code=period.region_prefix,
        group_by=group_by,
        groups=groups,
    )
