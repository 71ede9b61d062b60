"""Keyset (cursor) pagination.

A cursor is the sort key of the last item served, encoded opaquely (base64url JSON). Pages are fetched
with `WHERE (k1, k2, …) > (cursor)` over an ordered index, so a deep page costs the same as the first.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, literal, tuple_
from sqlalchemy.orm import QueryableAttribute

from app.core.errors import ValidationFailed

CursorValue = str | int | None
AnySelect = Select[*tuple[Any, ...]]
"""A SELECT of any columns."""
ColumnLike = ColumnElement[Any] | QueryableAttribute[Any]
"""A Core column or an ORM attribute: what filters and sort keys are built on."""


def _encode_value(value: Any) -> CursorValue:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, str | int):
        return value
    raise TypeError(f"unsupported cursor value {value!r}")


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([_encode_value(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[CursorValue]:
    """Decode; a cursor that is not one of ours is a 422 on `cursor`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != size:
        raise ValidationFailed.field(["query", "cursor"], "not a cursor this service issued")
    return values


def paginate(
    stmt: AnySelect,
    keys: Sequence[ColumnLike],
    cursor: str | None,
    limit: int,
    parse: Sequence[type] | None = None,
    descending: bool = False,
) -> AnySelect:
    """Order by `keys` (all ascending, or all descending), start after `cursor`, and fetch one extra row
    to know whether a next page exists.

    `parse` converts the cursor's JSON values back to the key types (e.g. UUID, datetime).
    """
    if cursor is not None:
        values: list[Any] = decode_cursor(cursor, len(keys))
        if parse:
            try:
                values = [_parse_value(t, v) for t, v in zip(parse, values, strict=True)]
            except (TypeError, ValueError) as exc:
                raise ValidationFailed.field(["query", "cursor"], "not a cursor this service issued") from exc
        bound = [literal(v, type_=k.type) for k, v in zip(keys, values, strict=True)]
        after = tuple_(*keys) < tuple_(*bound) if descending else tuple_(*keys) > tuple_(*bound)
        stmt = stmt.where(after)
    order = [k.desc() for k in keys] if descending else list(keys)
    return stmt.order_by(*order).limit(limit + 1)


def _parse_value(kind: type, value: CursorValue) -> Any:
    if value is None:
        raise ValueError("null key")
    if kind is UUID:
        return UUID(str(value))
    if kind is datetime:
        return datetime.fromisoformat(str(value))
    if kind is date:
        return date.fromisoformat(str(value))
    if kind is int:
        return int(value)
    return str(value)


def page_of(rows: Sequence[Any], limit: int, key: Any) -> tuple[list[Any], str | None]:
    """Split the `limit + 1` rows fetched into the page and the next cursor."""
    items = list(rows[:limit])
    next_cursor = encode_cursor(key(items[-1])) if len(rows) > limit and items else None
    return items, next_cursor
