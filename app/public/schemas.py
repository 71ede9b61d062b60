"""Public bodies: exactly the published fields (no notes, evidence, contact details, user names or ids of
people)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from app.inspections.models import InspectionType
from app.institutions.models import InstitutionKind


class PublicOfficer(BaseModel):
    name: str
    certificate_no: str | None = Field(description="执法证号")


class PublicInstitution(BaseModel):
    name: str
    kind: InstitutionKind
    township: str | None
    region_code: str


class PublicTeam(BaseModel):
    institution: PublicInstitution
    officers: list[PublicOfficer]


class PublicPlan(BaseModel):
    name: str
    year: int
    region_code: str
    type: InspectionType
    campaign: str | None


class PublicDraw(BaseModel):
    id: uuid.UUID
    plan: PublicPlan
    planned_on: date
    drawn_at: datetime
    algorithm: str
    seed: str = Field(description="with the candidate lists, anyone holding them can recompute the draw")
    candidate_institutions: int
    candidate_officers: int
    redraw_reason: str | None
    teams: list[PublicTeam]


class PublicInspection(BaseModel):
    id: uuid.UUID
    institution: PublicInstitution
    inspected_on: date
    type: InspectionType
    campaign: str | None
    officers: list[PublicOfficer]
    result: str | None = Field(description="检查结果 (the inspection's summary)")
    hazards_found: int = Field(description="hazards found, voided ones excluded")
    hazards_rectified: int
    rectification: str = Field(description="无隐患 (none found), 整改中 (some open) or 已全部整改 (all rectified)")
