"""Schema building blocks shared by every domain: strict request models, region codes, list envelopes."""

from __future__ import annotations

import re
import types
from datetime import date, datetime
from functools import cache
from typing import Annotated, Any, Generic, TypeVar, Union, get_args, get_origin

from fastapi import Depends
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from app.core.pagination import PageCursor, page_cursor

T = TypeVar("T")

RegionCode = Annotated[
    str,
    StringConstraints(pattern=r"^\d{2,12}$"),
    Field(description="行政区划代码 (GB/T 2260), 2–12 digits; prefixes nest", examples=["500240"]),
]
ScopeRegionCode = Annotated[
    str,
    StringConstraints(pattern=r"^(\d{2,12})?$"),
    Field(description="Region scope of a user or key: a GB/T 2260 prefix, or '' for everything", examples=["500240"]),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


def refuse_null(cls: type, value: Any, info: ValidationInfo) -> Any:
    """Partial updates (PATCH): a required field may be left out, but not sent as null. Use it as
    `_not_null = field_validator("a", "b", mode="before")(refuse_null)`: a field validator runs only for fields
    that were sent, and its 422 names the field in `errors[].loc`."""
    if value is None:
        raise ValueError(f"{info.field_name} may not be null")
    return value


Limit = Annotated[int, Field(ge=1, le=500, description="page size (at most 500)")]
# The `cursor` query parameter of every list (the opaque, signed `next_cursor` of the previous page), checked.
Cursor = Annotated[PageCursor, Depends(page_cursor)]

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def iso_date_only(value: Any) -> Any:
    """A date travels as `YYYY-MM-DD` and nothing else: left alone, Pydantic's lax mode also turns `0`,
    `"0.0"`, a Unix timestamp at midnight or `"2023-05-04T00:00:00"` into dates. The range of the parts
    (month 13, 30 February) is still Pydantic's to check."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise PydanticCustomError("date_format", "Input should be a date as YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(iso_date_only)]
"""A date query parameter (request bodies get the same rule from `StrictInput`)."""


class StrictInput(BaseModel):
    """Request bodies: unknown fields are refused (a typo must not pass silently), text holding NUL is refused,
    and every `date` field takes `YYYY-MM-DD` only (see `iso_date_only`)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    @field_validator("*", mode="before")
    @classmethod
    def _wire_rules(cls, value: Any, info: ValidationInfo) -> Any:
        # Only the field's own text: nested models check theirs and name the nested field.
        if (
            isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
        ) and holds_nul(value):
            raise PydanticCustomError("string_nul", "Input should not contain the NUL character (U+0000)")
        if value is not None and info.field_name in _date_fields(cls):
            return iso_date_only(value)
        return value


def holds_nul(value: Any) -> bool:
    """NUL (U+0000) is valid JSON text but no text column can hold it (PostgreSQL refuses it outright).
    Looks into strings, and into lists, tuples and dicts of them (request values, statement parameters)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(holds_nul(v) for v in value)
    return False


@cache
def _date_fields(model: type[BaseModel]) -> frozenset[str]:
    """The fields of `model` typed `date` or `date | None`."""

    def is_date(annotation: Any) -> bool:
        if get_origin(annotation) in (Union, types.UnionType):
            return any(is_date(arg) for arg in get_args(annotation))
        return annotation is date

    return frozenset(name for name, f in model.model_fields.items() if is_date(f.annotation))


class ReadModel(BaseModel):
    """Response bodies, built from ORM rows or Core row mappings."""

    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    """The list envelope every list endpoint answers."""

    items: list[T]
    next_cursor: str | None = Field(description="pass back as `cursor` for the next page; null at the end")
