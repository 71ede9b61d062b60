"""Inserting new rows without the ORM unit of work, for the hot write path (POST /inspections).

Why: a flush of new objects costs several times the Python time of one executemany INSERT (state tracking,
identity map, dependency sort); a post of an inspection with two hazards flushed four times (bench/README.md).
`insert_rows` goes further: several tables' rows in one statement on PostgreSQL (issue 21: the create of an
inspection, its officers, hazards, history and events is one round trip).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, TextClause, bindparam, insert, inspect, text
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.base import Base


@cache
def _columns(cls: type[Base]) -> tuple[tuple[str, str, Any], ...]:
    """(attribute, column, column default) of a mapped class, looked up once per class."""
    return tuple((attr.key, attr.columns[0].key, attr.columns[0].default) for attr in inspect(cls).column_attrs)


def column_values(obj: Base) -> dict[str, Any]:
    """The column values of a new (transient) object, its class's column defaults filled in on the object first,
    so that what the caller reads from it afterwards is what was stored."""
    values: dict[str, Any] = {}
    for key, column_key, default in _columns(type(obj)):
        value = getattr(obj, key)
        if value is None and default is not None:
            value = default.arg(None) if default.is_callable else default.arg
            setattr(obj, key, value)
        values[column_key] = value
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


@dataclass(frozen=True)
class Rows:
    """New rows of one table, as `insert_rows` takes them: `rows` hold bound values (the same keys in each row,
    in column order); `fixed` are SQL expressions every row takes (e.g. the writing transaction's id)."""

    table: Table
    rows: Sequence[dict[str, Any]]
    fixed: tuple[tuple[str, ColumnElement[Any]], ...] = ()


def rows_of(objects: Sequence[Base]) -> Rows:
    """The rows of new (transient) objects of one mapped class, defaults filled in on them (`column_values`)."""
    return Rows(cast(Table, type(objects[0]).__table__), [column_values(obj) for obj in objects])


Shape = tuple[tuple[Table, tuple[str, ...], int, tuple[tuple[str, ColumnElement[Any]], ...]], ...]


def _values(index: int, table: Table, keys: tuple[str, ...], count: int, fixed: Any) -> list[dict[str, Any]]:
    return [
        {**{k: bindparam(f"p{index}_{r}_{k}", type_=table.c[k].type) for k in keys}, **dict(fixed)}
        for r in range(count)
    ]


_NAMED_POSTGRES = PGDialect(paramstyle="named")  # type: ignore[no-untyped-call]
_NAMED_POSTGRES._bind_typing_render_casts = False  # the driver's dialect renders the casts of the text()


@lru_cache(maxsize=256)
def _one_statement(shape: Shape) -> TextClause:
    """PostgreSQL: every group but the last a data-modifying CTE, the last the main INSERT (one statement, so one
    round trip and one pass through SQLAlchemy). Foreign keys between the groups hold: PostgreSQL checks them at
    the end of the statement, and a multi-row VALUES inserts its rows in order (`seq` of events follows it).

    Built once per shape. SQLAlchemy does not cache the compiled form of a multi-row VALUES, so the statement is
    compiled here once to SQL with named parameters and handed on as a `text()` with the columns' types (whose
    compiled form SQLAlchemy caches; the driver's dialect renders its placeholders and casts from the types)."""
    *first, last = shape
    ctes = [insert(t).values(_values(i, t, keys, n, fixed)).cte(f"w{i}") for i, (t, keys, n, fixed) in enumerate(first)]
    table, keys, count, fixed = last
    main = insert(table).values(_values(len(first), table, keys, count, fixed))
    statement = main.add_cte(*ctes) if ctes else main
    binds = [
        bindparam(f"p{i}_{r}_{k}", type_=t.c[k].type)
        for i, (t, ks, n, _f) in enumerate(shape)
        for r in range(n)
        for k in ks
    ]
    return text(str(statement.compile(dialect=_NAMED_POSTGRES))).bindparams(*binds)


async def insert_rows(session: AsyncSession, groups: Sequence[Rows]) -> None:
    """INSERT several tables' new rows, in the given order (a later group may refer to an earlier one's rows);
    does not commit. PostgreSQL: one statement (`_one_statement`); other databases (SQLite): one executemany
    INSERT per group. An IntegrityError propagates as from a flush. Empty groups are skipped."""
    groups = [g for g in groups if g.rows]
    if not groups:
        return
    if session.get_bind().dialect.name != "postgresql":
        for g in groups:
            stmt = insert(g.table).values(dict(g.fixed)) if g.fixed else insert(g.table)
            await session.execute(stmt, list(g.rows))
        return
    shape: Shape = tuple((g.table, tuple(g.rows[0]), len(g.rows), g.fixed) for g in groups)
    params = {f"p{i}_{r}_{k}": v for i, g in enumerate(groups) for r, row in enumerate(g.rows) for k, v in row.items()}
    await session.execute(_one_statement(shape), params)
