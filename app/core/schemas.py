"""Schema building blocks shared by every domain: strict request models, region codes, list envelopes."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

T = TypeVar("T")

RegionCode = Annotated[
    str,
    StringConstraints(pattern=r"^\d{2,12}$"),
    Field(description="行政区划代码 (GB/T 2260), 2–12 digits; prefixes nest", examples=["500240"]),
]
ScopeRegionCode = Annotated[
    str,
    StringConstraints(pattern=r"^(\d{2,12})?$"),
    Field(description="Region scope of a user or key: a GB/T 2260 prefix, or '' for everything",
          examples=["500240"]),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=10_000)]

Limit = Annotated[int, Field(ge=1, le=500, description="page size (at most 500)")]


class StrictInput(BaseModel):
    """Request bodies: unknown fields are refused (a typo must not pass silently)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class ReadModel(BaseModel):
    """Response bodies, built from ORM rows or Core row mappings."""

    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    """The list envelope every list endpoint answers."""

    items: list[T]
    next_cursor: str | None = Field(description="pass back as `cursor` for the next page; null at the end")
