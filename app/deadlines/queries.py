"""Reads of escalations and follow-ups (Core, selected columns, keyset pages), and the SQL other packages are
handed: the hazard list's `escalation_level` filter, the ledger's highest open level, the report counters.

Rules:
- Every role reads in its region (app.auth.scoping); a hazard's escalations are 404 when the hazard is not
  visible.
- Escalations list newest first (raised_on, id descending); a hazard's escalations oldest first; follow-ups by
  due date (due_on, id).
- A follow-up's status is computed when read, as of today: `done` when an inspection of the same institution
  dated after `verified_on` exists (the earliest is `done_by_inspection_id`), else `overdue` when due_on < today,
  else `due`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import scoping
from app.auth.principals import Principal
from app.core import clock
from app.core.pagination import page_of, paginate
from app.deadlines.models import Escalation, EscalationStatus, FollowUp, FollowUpStatus
from app.deadlines.schemas import EscalationRead, FollowUpRead
from app.hazards import queries as hazard_queries
from app.hazards.models import EscalationLevel, Hazard
from app.inspections.models import Inspection

ESCALATION_COLUMNS = [getattr(Escalation, name) for name in EscalationRead.model_fields]
LEVEL_ORDER = list(EscalationLevel)
"""Lowest to highest: 催办 < 督办 < 约谈 < 挂牌督办."""


@dataclass(frozen=True, slots=True)
class EscalationFilters:
    status: EscalationStatus | None = None
    level: EscalationLevel | None = None
    region_code: str | None = None
    institution_id: uuid.UUID | None = None


async def list_escalations(
    session: AsyncSession, actor: Principal, filters: EscalationFilters, cursor: str | None, limit: int
) -> tuple[list[EscalationRead], str | None]:
    stmt = scoping.scoped(select(*ESCALATION_COLUMNS), Escalation.region_code, actor, filters.region_code)
    if filters.status is not None:
        stmt = stmt.where(Escalation.status == filters.status)
    if filters.level is not None:
        stmt = stmt.where(Escalation.level == filters.level)
    if filters.institution_id is not None:
        stmt = stmt.where(Escalation.institution_id == filters.institution_id)
    keys = [Escalation.raised_on, Escalation.id]
    rows = (await session.execute(paginate(stmt, keys, cursor, limit, [date, uuid.UUID], descending=True))).all()
    page, next_cursor = page_of(rows, limit, lambda r: [r.raised_on, r.id])
    return [EscalationRead.model_validate(r._mapping) for r in page], next_cursor


async def hazard_escalations(
    session: AsyncSession, hazard_id: uuid.UUID, actor: Principal, cursor: str | None, limit: int
) -> tuple[list[EscalationRead], str | None]:
    await hazard_queries.hazard_context(session, hazard_id, actor)  # 404 unless visible
    stmt = select(*ESCALATION_COLUMNS).where(Escalation.hazard_id == hazard_id)
    keys = [Escalation.raised_on, Escalation.id]
    rows = (await session.execute(paginate(stmt, keys, cursor, limit, [date, uuid.UUID]))).all()
    page, next_cursor = page_of(rows, limit, lambda r: [r.raised_on, r.id])
    return [EscalationRead.model_validate(r._mapping) for r in page], next_cursor


def done_by() -> Any:
    """The earliest inspection of the follow-up's institution dated after its `verified_on` (a scalar subquery)."""
    return (
        select(Inspection.id)
        .where(Inspection.institution_id == FollowUp.institution_id, Inspection.inspected_on > FollowUp.verified_on)
        .order_by(Inspection.inspected_on, Inspection.id)
        .limit(1)
        .correlate(FollowUp)
        .scalar_subquery()
    )


def follow_up_status(today: date) -> ColumnElement[str]:
    done = exists().where(
        Inspection.institution_id == FollowUp.institution_id, Inspection.inspected_on > FollowUp.verified_on
    )
    return case(
        (done, FollowUpStatus.done.value),
        (FollowUp.due_on < today, FollowUpStatus.overdue.value),
        else_=FollowUpStatus.due.value,
    )


async def list_follow_ups(
    session: AsyncSession,
    actor: Principal,
    status: FollowUpStatus | None,
    region_code: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[FollowUpRead], str | None]:
    state = follow_up_status(clock.today())
    stmt = select(
        FollowUp.id,
        FollowUp.hazard_id,
        FollowUp.institution_id,
        FollowUp.region_code,
        FollowUp.due_on,
        state.label("status"),
        done_by().label("done_by_inspection_id"),
    )
    stmt = scoping.scoped(stmt, FollowUp.region_code, actor, region_code)
    if status is not None:
        stmt = stmt.where(state == status.value)
    keys = [FollowUp.due_on, FollowUp.id]
    rows = (await session.execute(paginate(stmt, keys, cursor, limit, [date, uuid.UUID]))).all()
    page, next_cursor = page_of(rows, limit, lambda r: [r.due_on, r.id])
    return [FollowUpRead.model_validate(r._mapping) for r in page], next_cursor


def at_level(level: EscalationLevel) -> ColumnElement[bool]:
    """Hazards with an open escalation of `level` (the hazard list's `escalation_level`, app.hazards.deps)."""
    return exists().where(
        Escalation.hazard_id == Hazard.id, Escalation.level == level, Escalation.status == EscalationStatus.open
    )


def highest_open_level() -> Any:
    """The hazard's highest open escalation level (None without one): a scalar subquery for the ledger."""
    rank = case({level.value: i for i, level in enumerate(LEVEL_ORDER)}, value=Escalation.level)
    return (
        select(Escalation.level)
        .where(Escalation.hazard_id == Hazard.id, Escalation.status == EscalationStatus.open)
        .order_by(rank.desc())
        .limit(1)
        .correlate(Hazard)
        .scalar_subquery()
    )


RegionFilter = Callable[[Any], ColumnElement[bool]]
"""Builds the caller's region clause over a `region_code` column (the reports' rendered bounds)."""


def open_escalations_per_hazard(as_of: ColumnElement[date], in_region: RegionFilter) -> Any:
    """(hazard_id, escalations) open on `as_of`: raised on or before it and not resolved by it (the report's
    `escalations_open`; a subquery joined once to the hazards, so the counters stay one statement). Narrowed
    by the escalation's own region_code, so a county's report reads its county's escalations only."""
    open_on = and_(Escalation.raised_on <= as_of, or_(Escalation.resolved_on.is_(None), Escalation.resolved_on > as_of))
    return (
        select(Escalation.hazard_id, func.count().label("escalations"))
        .where(in_region(Escalation.region_code), open_on)
        .group_by(Escalation.hazard_id)
        .subquery("open_escalations")
    )


def follow_ups_pending(as_of: ColumnElement[date], in_region: RegionFilter) -> Any:
    """(hazard_id) of the follow-ups (回头看) due and not done on `as_of`: created by a verify on or before it, and
    no inspection of the institution dated after the verify and on or before `as_of` (the report's
    `follow_ups_due`; at most one per hazard)."""
    done = exists().where(
        Inspection.institution_id == FollowUp.institution_id,
        Inspection.inspected_on > FollowUp.verified_on,
        Inspection.inspected_on <= as_of,
    )
    pending = and_(in_region(FollowUp.region_code), FollowUp.verified_on <= as_of, not_(done))
    return select(FollowUp.hazard_id).where(pending).subquery("pending_follow_ups")
