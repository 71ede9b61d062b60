"""Request-level dependencies of the hazard reads: the list filters, shared by GET /hazards and the ledger
exports (a router never imports another router)."""

from __future__ import annotations

import uuid
from typing import Annotated, cast

from fastapi import Depends, Query, Request

from app.core.schemas import IsoDate
from app.hazards import queries
from app.hazards.models import HazardCategory, HazardStatus, Severity
from app.hazards.service import TransitionEffects
from app.institutions.models import InstitutionKind


def hazard_filters(
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
) -> queries.HazardFilters:
    """The hazard list filters (also taken by the ledger exports)."""
    return queries.HazardFilters(
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


def _transition_effects(request: Request) -> TransitionEffects:
    """The deadline effects of transitions, handed over by the composition root (app.main)."""
    return cast("TransitionEffects", request.app.state.transition_effects)


Effects = Annotated[TransitionEffects, Depends(_transition_effects)]
