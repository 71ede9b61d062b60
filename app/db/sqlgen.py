"""Portable SQL expressions for set-wise writes (INSERT … SELECT) on both engines: new UUIDs, UUIDs as text, and
JSON objects built in the database.

On PostgreSQL a `Uuid` column is native; on SQLite SQLAlchemy stores it as 32 lower-case hex digits, so a new id
is 16 random bytes in hex (with the version-4 and variant bits set) and the canonical text form is cut from it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, String, Text, cast, func, literal


def new_uuid(dialect: str) -> ColumnElement[Any]:
    """A fresh random (version 4) UUID per row."""
    if dialect == "postgresql":
        return func.gen_random_uuid()
    hex2 = func.hex(func.randomblob(2))
    variant = func.substr(literal("89ab"), 1 + func.abs(func.random()) % 4, 1)
    return func.lower(
        func.hex(func.randomblob(6))
        .op("||")(literal("4"))
        .op("||")(func.substr(hex2, 2))
        .op("||")(variant)
        .op("||")(func.substr(func.hex(func.randomblob(2)), 2))
        .op("||")(func.hex(func.randomblob(6)))
    )


def uuid_text(column: Any, dialect: str) -> ColumnElement[Any]:
    """The canonical `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` text of a UUID column (what `str(uuid)` gives)."""
    if dialect == "postgresql":
        return cast(column, Text)
    parts = [func.substr(column, start, length) for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))]
    out: ColumnElement[Any] = parts[0]
    for part in parts[1:]:
        out = out.op("||")(literal("-")).op("||")(part)
    return out


def date_text(column: Any) -> ColumnElement[Any]:
    """A DATE column as `YYYY-MM-DD` text (SQLite stores it so; PostgreSQL's ISO DateStyle prints it so)."""
    return cast(column, String)


def json_object(dialect: str, pairs: dict[str, Any]) -> ColumnElement[Any]:
    """A JSON object built from (key, SQL value) pairs, for a JSON column."""
    args: list[Any] = []
    for key, value in pairs.items():
        args.extend((literal(key), value))
    return func.json_build_object(*args) if dialect == "postgresql" else func.json_object(*args)
