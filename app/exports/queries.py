"""The ledger's single SELECT: one row per hazard (voided included), filtered like GET /hazards, in the
order of the paper ledger (by found date, inspection, then submitted order)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.sql import ColumnElement

from app.auth.principals import Principal
from app.core import clock
from app.core.pagination import AnySelect
from app.deadlines.queries import highest_open_level
from app.hazards.models import Hazard
from app.hazards.queries import HazardFilters, hazard_scope, overdue_clause
from app.inspections.models import InspectionOfficer
from app.institutions.models import Institution
from app.officers.models import Officer
from app.regions.models import Region

OFFICER_SEPARATOR = "、"


def _officer_names(dialect: str) -> ColumnElement[Any]:
    """The inspection's officers, in submitted order, as one string."""
    if dialect == "postgresql":
        agg = func.string_agg(Officer.name, OFFICER_SEPARATOR).aggregate_order_by(InspectionOfficer.position)
        names = (
            select(agg)
            .select_from(Officer)
            .join(InspectionOfficer, InspectionOfficer.officer_id == Officer.id)
            .where(InspectionOfficer.inspection_id == Hazard.inspection_id)
        )
        return names.scalar_subquery()
    # SQLite before 3.44 has no ORDER BY inside aggregates: aggregate an ordered subquery.
    ordered = (
        select(Officer.name)
        .join(InspectionOfficer, InspectionOfficer.officer_id == Officer.id)
        .where(InspectionOfficer.inspection_id == Hazard.inspection_id)
        .order_by(InspectionOfficer.position)
        .correlate(Hazard)
        .subquery()
    )
    return select(func.group_concat(ordered.c.name, OFFICER_SEPARATOR)).scalar_subquery()


def ledger_statement(actor: Principal, filters: HazardFilters, dialect: str) -> AnySelect:
    stmt = (
        select(
            Institution.name.label("institution_name"),
            Institution.kind,
            Institution.township,
            Hazard.found_on,
            _officer_names(dialect).label("officers"),
            Hazard.category,
            Hazard.severity,
            Hazard.description,
            Hazard.due_on,
            Hazard.status,
            Hazard.rectified_on,
            Hazard.verified_on,
            overdue_clause(clock.today()).label("overdue"),
            func.coalesce(Region.name, Institution.region_code).label("region"),  # a code the register lacks: itself
            highest_open_level().label("escalation"),
        )
        .join(Institution, Institution.id == Hazard.institution_id)
        .outerjoin(Region, Region.code == Institution.region_code)  # a join, not a lookup per row (big exports)
    )
    return hazard_scope(stmt, actor, filters).order_by(Hazard.found_on, Hazard.inspection_id, Hazard.position)
