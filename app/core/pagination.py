"""Keyset (cursor) pagination.

A page position is the sort key of the last item served (base64url JSON). Pages are fetched with
`WHERE (k1, k2, …) > (position)` over an ordered index, so a deep page costs the same as the first.

Rules:
- A client sees positions only as signed cursors: `<position>.<HMAC-SHA256 tag>`, the tag keyed by a key derived
  from `SECRET_KEY` and bound to the list (the request path) the cursor was issued for.
- Any cursor the server did not issue for that list — bad base64, a bad or missing tag, another list's cursor,
  longer than `CURSOR_MAX_LENGTH` — is a 422 naming `cursor`, before anything reaches the database.
- Services see only positions (`PageCursor.position`); routes sign the next page's position (`PageCursor.issue`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Annotated, Any
from uuid import UUID

from fastapi import Query, Request
from sqlalchemy import ColumnElement, Integer, Select, bindparam, literal, tuple_
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


CURSOR_MAX_LENGTH = 2000
"""Longest `cursor` accepted (422 above, from the parameter's declared maxLength). An issued cursor stays well
below: the longest sort key is a 200-character name (≤ 800 bytes of UTF-8) and an id."""
NOT_ISSUED = "not a cursor this service issued"


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _b64decode(text: str) -> bytes:
    """Strict base64url without padding; binascii.Error on anything else."""
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def encode_cursor(values: Sequence[Any]) -> str:
    """A page position (unsigned): what services produce and take."""
    raw = json.dumps([_encode_value(v) for v in values], ensure_ascii=False, separators=(",", ":")).encode()
    return _b64encode(raw)


def decode_cursor(cursor: str, size: int) -> list[CursorValue]:
    """Decode a page position; one that is not one of ours is a 422 on `cursor`."""
    try:
        values = json.loads(_b64decode(cursor))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        values = None
    if not isinstance(values, list) or len(values) != size:
        raise ValidationFailed.field(["query", "cursor"], NOT_ISSUED)
    return values


@lru_cache(maxsize=8)
def cursor_key(secret: str) -> bytes:
    """The cursor signing key: derived from `SECRET_KEY` for this one purpose (HMAC-SHA256 of a fixed label), so
    a cursor tag says nothing about the key that signs tokens or draws."""
    return hmac.new(secret.encode(), b"inspection-tracker/list-cursor/v1", hashlib.sha256).digest()


def _tag(key: bytes, list_id: str, position: str) -> str:
    return _b64encode(hmac.new(key, f"{list_id}\n{position}".encode(), hashlib.sha256).digest())


def sign_cursor(key: bytes, list_id: str, position: str) -> str:
    return f"{position}.{_tag(key, list_id, position)}"


def open_cursor(key: bytes, list_id: str, cursor: str) -> str:
    """The position inside a cursor issued for `list_id`; anything else is a 422 on `cursor`."""
    # Issued cursors are base64url text: anything else (non-ASCII, lone surrogates) is refused before hashing.
    position, dot, tag = cursor.rpartition(".")
    if (
        not dot
        or len(cursor) > CURSOR_MAX_LENGTH
        or not cursor.isascii()
        or not hmac.compare_digest(tag, _tag(key, list_id, position))
    ):
        raise ValidationFailed.field(["query", "cursor"], NOT_ISSUED)
    return position


@dataclass(frozen=True)
class PageCursor:
    """The checked `cursor` of one list request. `position` is None on the first page."""

    position: str | None
    key: bytes
    list_id: str

    def issue(self, position: str | None) -> str | None:
        """The `next_cursor` to hand out for the next page's position (signed for this list)."""
        return None if position is None else sign_cursor(self.key, self.list_id, position)


async def page_cursor(
    request: Request, cursor: Annotated[str | None, Query(max_length=CURSOR_MAX_LENGTH)] = None
) -> PageCursor:
    """FastAPI dependency: the request's `cursor`, checked against the list it is used on (the request path)."""
    key = cursor_key(request.app.state.settings.secret_key)
    list_id = request.url.path
    return PageCursor(None if cursor is None else open_cursor(key, list_id, cursor), key, list_id)


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
        values = position_values(cursor, len(keys), parse)
        bound = [literal(v, type_=k.type) for k, v in zip(keys, values, strict=True)]
        stmt = stmt.where(_after(keys, bound, descending))
    return stmt.order_by(*_order(keys, descending)).limit(limit + 1)


def keyset(stmt: AnySelect, keys: Sequence[ColumnLike], after: bool, descending: bool = False) -> AnySelect:
    """`paginate`'s statement with its values as bind parameters, so it can be built once and executed with
    `keyset_params`: the position `after_0`, `after_1`, … (when `after`) and the row count `page_rows`."""
    if after:
        bound = [bindparam(f"after_{i}", type_=k.type) for i, k in enumerate(keys)]
        stmt = stmt.where(_after(keys, bound, descending))
    return stmt.order_by(*_order(keys, descending)).limit(PAGE_ROWS)


PAGE_ROWS = bindparam("page_rows", type_=Integer())
"""The rows a `keyset` statement fetches: the page's limit + 1 (see `paginate`)."""


def keyset_params(cursor: str | None, size: int, limit: int, parse: Sequence[type] | None = None) -> dict[str, Any]:
    """The values of a `keyset` statement of `size` keys for this cursor and limit."""
    params: dict[str, Any] = {"page_rows": limit + 1}
    if cursor is not None:
        params |= {f"after_{i}": v for i, v in enumerate(position_values(cursor, size, parse))}
    return params


def position_values(cursor: str, size: int, parse: Sequence[type] | None) -> list[Any]:
    """The key values of a page position; one that is not one of ours is a 422 on `cursor`."""
    values: list[Any] = decode_cursor(cursor, size)
    if parse:
        try:
            values = [_parse_value(t, v) for t, v in zip(parse, values, strict=True)]
        except (TypeError, ValueError) as exc:
            raise ValidationFailed.field(["query", "cursor"], NOT_ISSUED) from exc
    return values


def _after(keys: Sequence[ColumnLike], bound: Sequence[Any], descending: bool) -> ColumnElement[bool]:
    return tuple_(*keys) < tuple_(*bound) if descending else tuple_(*keys) > tuple_(*bound)


def _order(keys: Sequence[ColumnLike], descending: bool) -> list[Any]:
    return [k.desc() for k in keys] if descending else list(keys)


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
