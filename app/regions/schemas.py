"""Region bodies. Codes are the short form of app.regions.codes; the rules are checked here so a bad code is a
422 naming the field."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from app.core.schemas import ReadModel, StrictInput

RegionName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    Field(description="the division's name (名称), e.g. 石柱土家族自治县, 南宾街道", examples=["南宾街道"]),
]
CodeText = Annotated[str, StringConstraints(pattern=r"^\d{2,12}$")]


class RegionWrite(StrictInput):
    """PUT /regions/{region_code}: the name, and optionally the parent (default: the code one level up)."""

    name: RegionName
    parent_code: CodeText | None = Field(
        default=None, description="the code one level up; default derived from the code (500240001 → 500240)"
    )

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "南宾街道"}]})


class RegionRead(ReadModel):
    code: str = Field(description="行政区划代码, short form (50, 500240, 500240001)")
    name: str
    parent_code: str | None = Field(description="the code one level up; null for a province")
    created_at: datetime
    updated_at: datetime


class RegionImportResult(ReadModel):
    """What an import did (all rows or none)."""

    rows: int = Field(description="data rows read from the file")
    created: int
    renamed: int = Field(description="existing codes whose name or parent changed")
    unchanged: int
