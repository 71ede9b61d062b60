"""Report bodies. Counter definitions are API.md's, stated once in `Counters`."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field

from app.institutions.models import InstitutionKind


class GroupBy(StrEnum):
    kind = "kind"
    region_code = "region_code"
    township = "township"
    category = "category"
    severity = "severity"
    month = "month"
    institution = "institution"


class Counters(BaseModel):
    """For the period [from, to] (on inspected_on / found_on), as of `as_of`. Counters that do not apply to a
    grouping (e.g. institutions per hazard category) are null."""

    institutions_total: int | None = Field(description="institutions of this group that are not closed")
    institutions_inspected: int | None = Field(description="distinct institutions inspected in the period (家)")
    inspections: int | None = Field(description="inspections in the period (检查次数)")
    coverage_rate: float | None = Field(
        default=None,
        description="institutions not closed that were inspected in "
        "the period / institutions_total (全覆盖); null when it does not apply",
    )
    hazards_found: int = Field(description="hazards found in the period, voided ones excluded (排查)")
    hazards_rectified: int = Field(description="of those, rectified by as_of (整改)")
    rectification_rate: float | None = Field(
        description="hazards_rectified / hazards_found in [0, 1], unrounded; null when nothing was found (整改率)"
    )
    hazards_overdue: int = Field(description="of those found, not rectified by as_of and due before as_of")
    major_hazards: int = Field(description="of those found, severity major (重大隐患)")
    escalations_open: int = Field(
        description="escalations of those found (催办, 督办, 约谈, 挂牌督办) open on as_of: raised by it, "
        "not resolved by it"
    )
    follow_ups_due: int = Field(
        description="of those found, follow-ups (回头看) due and not done on as_of (no inspection of the institution "
        "after the verification, up to as_of)"
    )


class KindCounters(Counters):
    kind: InstitutionKind


class UnitOfficers(BaseModel):
    unit: str
    certified: int = Field(description="officers of this unit certified on as_of")
    total: int = Field(description="officers of this unit on the roster")


class ReportPeriod(BaseModel):
    from_: date = Field(serialization_alias="from")
    to: date
    as_of: date
    region_code: str = Field(description="the region prefix the figures cover ('' = everything)")


class SummaryRead(ReportPeriod):
    kinds: list[KindCounters] = Field(description="both kinds, always listed")
    officers_certified: int = Field(description="officers certified on as_of (持证执法人员)")
    officers_total: int = Field(description="officers on the roster")
    certification_rate: float | None = Field(
        description="officers_certified / officers_total (持证率); null when there are no officers"
    )
    officers_by_unit: list[UnitOfficers]
    follow_ups_due: int = Field(description="follow-ups (回头看) due and not done on as_of, both kinds (see kinds)")


class Group(Counters):
    key: str | None = Field(
        description="the group's value (kind, code, township, category, severity, YYYY-MM, "
        "institution id); null for records without one"
    )
    label: str | None = Field(description="human label (Chinese) of the group")


class BreakdownRead(ReportPeriod):
    group_by: GroupBy
    groups: list[Group]
