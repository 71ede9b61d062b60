"""SQL aggregates behind every report. One statement computes all hazard/inspection/institution counters
for any grouping; one more counts officers. Nothing loops over rows in Python.

Definitions (API.md), for a period [from, to] on inspected_on / found_on, an `as_of` date, a region prefix:
- institutions_total: institutions not closed;  institutions_inspected: distinct institutions inspected;
- coverage_rate (全覆盖): institutions not closed that were inspected / institutions_total;
- inspections: inspections in the period;  hazards_found: hazards found in the period, voided excluded;
- hazards_rectified: of those, status rectified/verified with rectified_on <= as_of;
- hazards_overdue: of those, not rectified by as_of and due_on < as_of;  major_hazards: severity major;
- escalations_open: escalations (催办/督办/约谈/挂牌督办) of those hazards open on as_of (raised by it, not resolved
  by it);  follow_ups_due: of those hazards, follow-ups (回头看) due and not done on as_of (app.deadlines.queries);
- officers certified on as_of: see app.officers.models.certified_on.
A period may also narrow every counter to one institution kind and one township (the console's filters; the
officers statement knows neither: officers belong to a region, not to a kind or a township).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scoping import region_bounds, rendered_region_clause
from app.core.pagination import AnySelect, ColumnLike
from app.deadlines import queries as deadline_queries
from app.hazards.models import Hazard, HazardStatus, Severity
from app.inspections.models import Inspection
from app.institutions.models import Institution, InstitutionStatus
from app.officers.models import Officer, certified_on
from app.reports.schemas import GroupBy

COUNTERS = (
    "institutions_total",
    "institutions_inspected",
    "inspections",
    "institutions_covered",
    "hazards_found",
    "hazards_rectified",
    "hazards_overdue",
    "major_hazards",
    "escalations_open",
    "follow_ups_due",
)
# Groupings that say nothing about institutions or inspections (their counters are null, not 0).
HAZARD_ONLY = frozenset({GroupBy.category, GroupBy.severity})
NO_INSTITUTION_TOTAL = HAZARD_ONLY | {GroupBy.month}


@dataclass(frozen=True, slots=True)
class Period:
    date_from: date
    date_to: date
    as_of: date
    region_prefix: str
    kind: str | None = None
    township: str | None = None

    def params(self) -> dict[str, Any]:
        """Values of the statements' bind parameters (an open region bound has none)."""
        lower, upper = region_bounds(self.region_prefix)
        values = {
            "date_from": self.date_from,
            "date_to": self.date_to,
            "as_of": self.as_of,
            "region_lower": lower,
            "region_upper": upper,
            "kind": self.kind,
            "township": self.township,
        }
        return {k: v for k, v in values.items() if v is not None}

    def narrowing(self) -> tuple[bool, bool]:
        """Whether the counters are narrowed to a kind and to a township (part of their cache key)."""
        return self.kind is not None, self.township is not None

    def shape(self) -> tuple[bool, bool]:
        """Which region bounds the statements need (part of their cache key)."""
        lower, upper = region_bounds(self.region_prefix)
        return lower is not None, upper is not None


# Statements are built once per (grouping, dialect, region shape) and reused: building a statement of this size
# costs more Python time than PostgreSQL needs to answer a county. Every value is rendered into the SQL text at
# execution (`literal_execute`), never sent as a parameter: with parameters PostgreSQL switches a prepared
# statement to a generic plan after five runs, and the generic plan of these aggregates (no date or region
# estimates) was 2× slower nationally (bench/README.md). With literal text each distinct report is planned
# once with its real values and the plan is reused by the connection's prepared-statement cache.
_FROM, _TO, _AS_OF = (bindparam(name, type_=Date(), literal_execute=True) for name in ("date_from", "date_to", "as_of"))


def _const(value: str) -> ColumnElement[str]:
    """A constant rendered into the SQL text (see above)."""
    return literal(str(value), String(), literal_execute=True)


def _month(column: Any, dialect: str) -> ColumnElement[str]:
    if dialect == "sqlite":
        return func.strftime(_const("%Y-%m"), column)
    return func.to_char(column, _const("YYYY-MM"))


def _keys(group_by: GroupBy, source: str, dialect: str) -> tuple[ColumnLike, ColumnLike] | None:
    """(key, label) expressions of `group_by` for one source table set, or None when it does not apply."""
    if group_by == GroupBy.kind:
        return Institution.kind, Institution.kind
    if group_by == GroupBy.region_code:
        return Institution.region_code, Institution.region_code
    if group_by == GroupBy.township:
        return Institution.township, Institution.township
    if group_by == GroupBy.institution:
        return cast(Institution.id, String), Institution.name
    if group_by == GroupBy.month:
        if source == "institutions":
            return None
        month = _month(Inspection.inspected_on if source == "inspections" else Hazard.found_on, dialect)
        return month, month
    if source != "hazards":
        return None
    column = Hazard.category if group_by == GroupBy.category else Hazard.severity
    return column, column


def _zeros(*names: str) -> list[ColumnElement[Any]]:
    return [literal_column("0", Integer).label(n) for n in names]


def counters_statement(group_by: GroupBy, period: Period, dialect: str) -> tuple[AnySelect, dict[str, Any]]:
    """The counters statement for `period` and its parameter values."""
    return _counters_template(group_by, dialect, period.shape(), period.narrowing()), period.params()


# The kind is an enum constant, rendered like the dates; the township is free text and stays a bound parameter.
_KIND = bindparam("kind", type_=String(), literal_execute=True)
_TOWNSHIP = bindparam("township", type_=String())


@lru_cache(maxsize=128)
def _counters_template(
    group_by: GroupBy, dialect: str, shape: tuple[bool, bool], narrowing: tuple[bool, bool] = (False, False)
) -> AnySelect:
    """All counters per group in one statement: three grouped SELECTs, UNION ALL, summed per key."""
    in_region = rendered_region_clause(Institution.region_code, *shape)
    by_kind, by_township = narrowing
    if by_kind:
        in_region = and_(in_region, Institution.kind == _KIND)
    if by_township:
        in_region = and_(in_region, Institution.township == _TOWNSHIP)
    not_closed = Institution.status != _const(InstitutionStatus.closed)
    parts: list[AnySelect] = []
    if (keys := _keys(group_by, "institutions", dialect)) is not None:
        key, label = keys
        parts.append(
            select(
                key.label("key"),
                label.label("label"),
                func.count().filter(not_closed).label("institutions_total"),
                *_zeros(*COUNTERS[1:]),
            )
            .where(in_region)
            .group_by(key, label)
        )
    if (keys := _keys(group_by, "inspections", dialect)) is not None:
        key, label = keys
        parts.append(
            select(
                key.label("key"),
                label.label("label"),
                *_zeros("institutions_total"),
                func.count(Inspection.institution_id.distinct()).label("institutions_inspected"),
                func.count().label("inspections"),
                func.count(case((not_closed, Inspection.institution_id)).distinct()).label("institutions_covered"),
                *_zeros(*COUNTERS[4:]),
            )
            .join(Institution, Institution.id == Inspection.institution_id)
            .where(in_region, Inspection.inspected_on.between(_FROM, _TO))
            .group_by(key, label)
        )
    hazard_keys = _keys(group_by, "hazards", dialect)
    assert hazard_keys is not None  # every grouping applies to hazards
    key, label = hazard_keys
    rectified = and_(
        Hazard.status.in_([_const(HazardStatus.rectified), _const(HazardStatus.verified)]),
        Hazard.rectified_on <= _AS_OF,
    )
    not_rectified = or_(Hazard.rectified_on.is_(None), not_(rectified))

    def copied_region(column: Any) -> ColumnElement[bool]:
        return rendered_region_clause(column, *shape)

    escalations = deadline_queries.open_escalations_per_hazard(_AS_OF, copied_region)
    pending = deadline_queries.follow_ups_pending(_AS_OF, copied_region)
    parts.append(
        select(
            key.label("key"),
            label.label("label"),
            *_zeros(*COUNTERS[:4]),
            func.count().label("hazards_found"),
            func.count().filter(rectified).label("hazards_rectified"),
            func.count().filter(and_(not_rectified, Hazard.due_on < _AS_OF)).label("hazards_overdue"),
            func.count().filter(Hazard.severity == _const(Severity.major)).label("major_hazards"),
            func.coalesce(func.sum(escalations.c.escalations), 0).label("escalations_open"),
            func.count(pending.c.hazard_id).label("follow_ups_due"),
        )
        .join(Inspection, Inspection.id == Hazard.inspection_id)
        .join(Institution, Institution.id == Inspection.institution_id)
        .outerjoin(escalations, escalations.c.hazard_id == Hazard.id)
        .outerjoin(pending, pending.c.hazard_id == Hazard.id)
        .where(in_region, Hazard.found_on.between(_FROM, _TO), Hazard.status != _const(HazardStatus.voided))
        .group_by(key, label)
    )
    u = union_all(*parts).subquery("parts")
    return (
        select(u.c.key, func.max(u.c.label).label("label"), *[func.sum(u.c[name]).label(name) for name in COUNTERS])
        .group_by(u.c.key)
        .order_by(u.c.key)
    )


async def counters(session: AsyncSession, group_by: GroupBy, period: Period) -> list[dict[str, Any]]:
    """Rows of {key, label, counters…} ordered by key; counters that do not apply are None."""
    dialect = session.get_bind().dialect.name
    statement, params = counters_statement(group_by, period, dialect)
    rows = (await session.execute(statement, params)).mappings().all()
    out = []
    for row in rows:
        item: dict[str, Any] = {name: int(row[name] or 0) for name in COUNTERS}
        if group_by in NO_INSTITUTION_TOTAL:
            item["institutions_total"] = None
        if group_by in HAZARD_ONLY:
            item["institutions_inspected"] = item["inspections"] = None
        found, rectified = item["hazards_found"], item["hazards_rectified"]
        item["rectification_rate"] = rectified / found if found else None
        covered, total = item.pop("institutions_covered"), item["institutions_total"]
        item["coverage_rate"] = covered / total if total else None
        key = None if row["key"] is None else str(row["key"])
        if key is not None and group_by == GroupBy.institution:
            key = str(uuid.UUID(key))  # SQLite stores UUIDs as 32 hex digits: answer the canonical form
        out.append({"key": key, "label": row["label"], **item})
    return out


def officers_statement(period: Period) -> tuple[AnySelect, dict[str, Any]]:
    """The officers statement for `period` and its parameter values."""
    params = period.params()
    unused = ("date_from", "date_to", "kind", "township")
    return _officers_template(period.shape()), {k: v for k, v in params.items() if k not in unused}


@lru_cache(maxsize=8)
def _officers_template(shape: tuple[bool, bool]) -> AnySelect:
    """Per unit: officers on the roster and those certified on as_of."""
    return (
        select(Officer.unit, func.count().label("total"), func.count().filter(certified_on(_AS_OF)).label("certified"))
        .where(rendered_region_clause(Officer.region_code, *shape))
        .group_by(Officer.unit)
        .order_by(Officer.unit)
    )


async def officers_by_unit(session: AsyncSession, period: Period) -> list[dict[str, Any]]:
    statement, params = officers_statement(period)
    return [dict(r) for r in (await session.execute(statement, params)).mappings().all()]
