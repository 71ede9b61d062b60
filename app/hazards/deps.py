"""Request-level dependencies of the hazard reads: the list filters, shared by GET /hazards and the ledger
exports (a router never imports another router)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, cast

from fastapi import Depends, Query, Request
from sqlalchemy import ColumnElement

from app.core.deps import SettingsDep
from app.core.schemas import IsoDate
from app.hazards import queries
from app.hazards.deadlines import DefaultDeadlines
from app.hazards.models import EscalationLevel, HazardCategory, HazardStatus, Severity
from app.hazards.service import TransitionEffects
from app.institutions.models import InstitutionKind

EscalationClause = Callable[[EscalationLevel], ColumnElement[bool]]
"""SQL "the hazard has an open escalation of this level" (app.deadlines.queries.at_level, via app.state)."""


async def hazard_filters(
    request: Request,
    status_: Annotated[HazardStatus | None, Query(alias="status")] = None,
    overdue: Annotated[bool | None, Query(description="open/rectifying and past due_on (today, Asia/Shanghai)")] = None,
    severity: Severity | None = None,
    category: HazardCategory | None = None,
    kind: InstitutionKind | None = None,
    region_code: Annotated[str | None, Query(pattern=r"^\d{1,12}$", description="region prefix")] = None,
    institution_id: uuid.UUID | None = None,
    found_from: Annotated[IsoDate | None, Query(description="found_on on or after")] = None,
    found_to: Annotated[IsoDate | None, Query(description="found_on on or before")] = None,
    due_from: Annotated[
        IsoDate | None, Query(description="due_on on or after (a hazard without due_on is left out)")
    ] = None,
    due_to: Annotated[
        IsoDate | None, Query(description="due_on on or before (a hazard without due_on is left out)")
    ] = None,
    escalation_level: Annotated[
        EscalationLevel | None, Query(description="has an open escalation of this level (催办/督办/约谈/挂牌督办)")
    ] = None,
) -> queries.HazardFilters:
    """Async on purpose (a plain `def` costs a thread-pool hop per request).

    The hazard list filters (also taken by the ledger exports)."""
    at_level = cast("EscalationClause", request.app.state.escalation_clause)
    return queries.HazardFilters(
        escalation=None if escalation_level is None else at_level(escalation_level),
        status=status_,
        overdue=overdue,
        severity=severity,
        category=category,
        kind=kind,
        region_code=region_code,
        institution_id=institution_id,
        found_from=found_from,
        found_to=found_to,
        due_from=due_from,
        due_to=due_to,
    )


HazardFilterParams = Annotated[queries.HazardFilters, Depends(hazard_filters)]


async def default_deadlines(settings: SettingsDep) -> DefaultDeadlines:
    """Async on purpose (a plain `def` costs a thread-pool hop per request).

    The default deadlines by severity of the app's settings (DUE_WORKING_DAYS_GENERAL / _MAJOR)."""
    return DefaultDeadlines.from_settings(settings)


Deadlines = Annotated[DefaultDeadlines, Depends(default_deadlines)]


async def _transition_effects(request: Request) -> TransitionEffects:
    """Async on purpose (a plain `def` costs a thread-pool hop per request).

    The deadline effects of transitions, handed over by the composition root (app.main)."""
    return cast("TransitionEffects", request.app.state.transition_effects)


Effects = Annotated[TransitionEffects, Depends(_transition_effects)]
