"""Plan, coverage and draw bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Self

from pydantic import Field, StringConstraints, field_validator, model_validator

from app.core.schemas import Name, ReadModel, RegionCode, StrictInput, refuse_null
from app.inspections.models import InspectionType
from app.institutions.models import InstitutionKind

Campaign = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class PlanCreate(StrictInput):
    id: uuid.UUID | None = Field(default=None, description="client-chosen id; replays are 200")
    year: int = Field(ge=2000, le=2100, examples=[2023])
    name: Name = Field(examples=["2023年民政执法检查计划"])
    kinds: list[InstitutionKind] = Field(min_length=1, max_length=2, description="institution kinds in scope")
    region_code: RegionCode
    type: InspectionType = Field(description="routine (常规, usually drawn at random) or special (专项)")
    campaign: Campaign | None = Field(default=None, description="the special campaign's name")
    period_from: date
    period_to: date
    required_inspections: int = Field(
        default=1, ge=1, le=52, description="inspections each institution needs in the period (4 = quarterly)"
    )

    @field_validator("kinds")
    @classmethod
    def _distinct_kinds(cls, kinds: list[InstitutionKind]) -> list[InstitutionKind]:
        if len(set(kinds)) != len(kinds):
            raise ValueError("kinds lists a kind twice")
        return sorted(kinds)

    @field_validator("period_to")
    @classmethod
    def _ordered(cls, period_to: date, info: Any) -> date:
        start = info.data.get("period_from")
        if start is not None and period_to < start:
            raise ValueError("period_to must not be before period_from")
        return period_to

    @model_validator(mode="after")
    def _within_year(self) -> Self:
        if self.period_from.year != self.year and self.period_to.year != self.year:
            raise ValueError("the period must overlap the plan's year")
        return self


class PlanUpdate(StrictInput):
    """Partial update of a plan's name, campaign, period and required count."""

    name: Name | None = None
    campaign: Campaign | None = None
    period_from: date | None = None
    period_to: date | None = None
    required_inspections: int | None = Field(default=None, ge=1, le=52)

    _not_null = field_validator("name", "period_from", "period_to", "required_inspections", mode="before")(refuse_null)


class PlanRead(ReadModel):
    id: uuid.UUID
    year: int
    name: str
    kinds: list[InstitutionKind]
    region_code: str
    type: InspectionType
    campaign: str | None
    period_from: date
    period_to: date
    required_inspections: int
    created_by_name: str
    created_at: datetime
    updated_at: datetime


class InstitutionBrief(ReadModel):
    id: uuid.UUID
    name: str
    township: str | None
    inspections: int = Field(description="inspections counted toward the plan so far")


class TownshipCoverage(ReadModel):
    township: str | None
    in_scope: int
    covered: int
    partly_covered: int
    not_visited: int
    coverage_rate: float | None


class CoverageRead(ReadModel):
    plan_id: uuid.UUID
    required_inspections: int
    in_scope: int = Field(description="institutions of the plan's kinds in its region, not closed")
    covered: int = Field(description="met the required number of inspections (全覆盖)")
    partly_covered: int = Field(description="inspected, but fewer times than required")
    not_visited: int
    coverage_rate: float | None = Field(description="covered / in_scope; null when nothing is in scope")
    not_visited_institutions: list[InstitutionBrief]
    partly_covered_institutions: list[InstitutionBrief]
    by_township: list[TownshipCoverage]


class DrawCreate(StrictInput):
    """Draw `count` institutions (or `ratio` of those in scope) and a team for each."""

    planned_on: date = Field(description="the date the teams will inspect; officers must be certified on it")
    count: int | None = Field(default=None, ge=1, le=10_000)
    ratio: float | None = Field(default=None, gt=0, le=1, description="share of the institutions in scope")
    team_size: int = Field(default=2, ge=2, le=5, description="officers per team (at least two, 行政处罚法 第42条)")
    max_teams_per_officer: int = Field(default=2, ge=1, le=100)
    seed: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16,64}$")] | None = Field(
        default=None, description="hex seed (e.g. drawn in public); the server picks 256 random bits if omitted"
    )
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)] | None = Field(
        default=None, description="required for a redraw (when the plan already has a draw)"
    )

    @model_validator(mode="after")
    def _count_or_ratio(self) -> Self:
        if (self.count is None) == (self.ratio is None):
            raise ValueError("give exactly one of count and ratio")
        return self


class TeamRead(ReadModel):
    institution_id: uuid.UUID
    institution_name: str
    officer_ids: list[uuid.UUID]
    officer_names: list[str]


class DrawRead(ReadModel):
    id: uuid.UUID
    plan_id: uuid.UUID
    planned_on: date
    seed: str
    algorithm: str
    parameters: dict[str, Any]
    candidate_institutions: int
    candidate_officers: int
    teams: list[TeamRead]
    reason: str | None
    replaces_draw_id: uuid.UUID | None
    signing_key_id: str = Field(description="id of the draw signing key that signed it ('legacy': SECRET_KEY)")
    created_by_name: str
    created_at: datetime


class DrawVerification(ReadModel):
    draw_id: uuid.UUID
    algorithm: str
    valid: bool = Field(description="the stored result is what the stored inputs give, and nothing was altered")
    result_matches: bool = Field(description="recomputing from the stored seed and candidates gives the stored teams")
    signature_matches: bool = Field(description="the HMAC over everything stored still matches")
