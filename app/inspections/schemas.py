"""Inspection bodies.

"Same content" for replays compares the validated request (defaults filled in) — see app.db.replay.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from app.core.schemas import ReadModel, StrictInput, refuse_null
from app.hazards.schemas import HazardCreate, HazardRead
from app.inspections.models import InspectionType
from app.institutions.models import InstitutionKind

Campaign = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    Field(description="专项检查 campaign name", examples=["养老院反诈专项行动"]),
]
Summary = Annotated[str, StringConstraints(max_length=10_000), Field(examples=["检查消防设施、食品安全台账"])]


class InspectionCreate(StrictInput):
    id: uuid.UUID | None = Field(default=None, description="client-chosen id for offline sync; replays are 200")
    institution_id: uuid.UUID
    inspected_on: date = Field(description="not in the future (Asia/Shanghai)")
    type: InspectionType
    campaign: Campaign | None = None
    officer_ids: list[uuid.UUID] = Field(
        min_length=2,
        max_length=20,
        description="at least two distinct officers, each certified on inspected_on (行政处罚法 第42条)",
    )
    summary: Summary | None = None
    plan_id: uuid.UUID | None = Field(default=None, description="the inspection plan it carries out (年度计划)")
    hazards: list[HazardCreate] = Field(
        default_factory=list, max_length=200, description="findings, created in the same transaction, in this order"
    )
    # Repeated officer or hazard ids are refused by the service, which names the repeated index in `loc`.


class InspectionUpdate(StrictInput):
    """Partial update of the descriptive fields; who, where and when are fixed once recorded."""

    type: InspectionType | None = None
    campaign: Campaign | None = None
    summary: Summary | None = None

    _not_null = field_validator("type", mode="before")(refuse_null)


class OfficerBrief(ReadModel):
    id: uuid.UUID
    name: str
    unit: str
    certificate_no: str | None


class InspectionSummary(ReadModel):
    """An inspection as listed (without its hazards)."""

    id: uuid.UUID
    institution_id: uuid.UUID
    institution_name: str
    kind: InstitutionKind
    region_code: str
    township: str | None
    inspected_on: date
    type: InspectionType
    campaign: str | None
    summary: str | None
    plan_id: uuid.UUID | None
    officer_ids: list[uuid.UUID]
    hazards_count: int
    created_by: str = Field(description="user or API key that recorded it")
    created_at: datetime
    updated_at: datetime


class InspectionRead(InspectionSummary):
    """An inspection with its officers and hazards (in the order they were submitted)."""

    officers: list[OfficerBrief]
    hazards: list[HazardRead]
