"""Inserting new rows without the ORM unit of work, for the hot write path (POST /inspections).

Why: a flush of new objects costs several times the Python time of one executemany INSERT (state tracking,
identity map, dependency sort); a post of an inspection with two hazards flushed four times (bench/README.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, insert, inspect
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.base import Base


def column_values(obj: Base) -> dict[str, Any]:
    """The column values of a new (transient) object, its class's column defaults filled in on the object first,
    so that what the caller reads from it afterwards is what was stored."""
    values: dict[str, Any] = {}
    for attr in inspect(type(obj)).column_attrs:
        column = attr.columns[0]
        value = getattr(obj, attr.key)
        default = column.default
        if value is None and default is not None:
            value = default.arg(None) if default.is_callable else default.arg
            setattr(obj, attr.key, value)
        values[column.key] = value
    return values


async def insert_new(session: AsyncSession, objects: Sequence[Base]) -> None:
    """INSERT `objects` (new, all of one mapped class) in one statement, in their order; does not commit.

    Rules: the objects stay outside the session (not flushed, not tracked; later changes to them are not
    saved); an IntegrityError propagates as from a flush.
    """
    if not objects:
        return
    table = cast(Table, type(objects[0]).__table__)
    await session.execute(insert(table), [column_values(obj) for obj in objects])
