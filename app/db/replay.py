"""Idempotent creates with client-chosen ids (offline field apps retry, duplicate and lose answers).

Rules (API.md "Replay"):
- The validated request (defaults filled in) is fingerprinted (SHA-256 of canonical JSON) and stored with
  the record it created.
- A create whose id exists with the same fingerprint is a replay: 200 and the record as it is now.
  The same id with another fingerprint is 409. What happened to the record since does not matter.
- Duplicates arriving at the same moment are settled by the primary key: the loser's insert fails inside a
  SAVEPOINT, only the savepoint rolls back, and the request answers as a replay.
- Another unique value of the request taken concurrently (after the service's own check) is a 409 naming the
  field of the violated constraint (`UniqueField`: PostgreSQL reports the constraint's name, which the naming
  convention of app.db.base makes predictable; SQLite reports "table.column"). A unique violation on a
  constraint the create did not declare is a 409 naming no field, never a wrong one.
- Nothing here commits: the service function of the use case commits once, after everything of the request is
  written (a failure in any later step then leaves nothing behind).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel
from sqlalchemy import Column, Index, PrimaryKeyConstraint, UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.core.errors import Conflict, FieldError


class Replayable(Protocol):
    id: uuid.UUID
    create_fingerprint: str


R = TypeVar("R", bound=Replayable)


def fingerprint(data: BaseModel, *, exclude: set[str] | None = None) -> str:
    """SHA-256 of the validated request as canonical JSON (sorted keys, defaults filled in).

    Null values are left out, so an optional field added to the contract later does not change the
    fingerprint of requests stored before it existed (and null equals omitted)."""
    payload = data.model_dump(mode="json", exclude=exclude, exclude_none=True)
    raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def replay_conflict(kind: str, record_id: uuid.UUID, loc: list[str | int] | None = None) -> Conflict:
    return Conflict(
        f"{kind} {record_id} already exists with different content; a replay must resend the same request",
        errors=[FieldError(loc=loc or ["body", "id"], msg="id already used for a different request")],
    )


async def existing_or_conflict(
    session: AsyncSession, model: type[R], record_id: uuid.UUID, fp: str, kind: str
) -> R | None:
    """The stored record when this create is a replay; 409 when the id holds something else."""
    found = await session.get(model, record_id)
    if found is None:
        return None
    if found.create_fingerprint != fp:
        raise replay_conflict(kind, record_id)
    return found


@dataclass(frozen=True)
class UniqueField:
    """A unique column a create can collide on, and the request field it comes from.

    `recheck` (optional) re-runs the service's own check, which raises its precise 409 (naming the holder only
    when the caller may see it, app.auth.scoping.value_taken); when it finds nothing (the holder is gone again)
    the 409 of `detail` on `loc` is raised.

    `follows` names the constraints of rows that hang off this value (e.g. a new hazard's first history entry)
    which a taken value violates too: when the create writes them in the same statement as the value
    (app.db.bulk.insert_rows on PostgreSQL), which violation PostgreSQL reports first is not fixed."""

    column: InstrumentedAttribute[Any]
    loc: tuple[str | int, ...]
    detail: str
    recheck: Callable[[], Awaitable[None]] | None = None
    follows: tuple[str, ...] = ()

    def names(self) -> set[str]:
        """How the engines name a violation of this column's unique constraint or index."""
        col = self.column.property.columns[0]
        assert isinstance(col, Column) and col.table is not None
        found = {f"{col.table.name}.{col.name}", *self.follows}  # SQLite: "UNIQUE constraint failed: table.column"
        unique = [col.table.primary_key, *col.table.constraints, *(i for i in col.table.indexes if i.unique)]
        for c in unique:
            if not isinstance(c, UniqueConstraint | Index | PrimaryKeyConstraint) or not isinstance(c.name, str):
                continue
            if [x.name for x in c.columns] == [col.name]:
                found.add(c.name)  # PostgreSQL: the constraint's or index's name
        return found

    def conflict(self) -> Conflict:
        return Conflict(self.detail, errors=[FieldError(loc=list(self.loc), msg="already taken")])


def violated_unique(exc: IntegrityError) -> str | None:
    """The violated unique constraint: its name (PostgreSQL) or "table.column" (SQLite); None when `exc` is not
    a unique violation (a foreign key, a CHECK, a NOT NULL)."""
    cause = getattr(exc.orig, "__cause__", None)
    if getattr(cause, "sqlstate", None) == "23505":  # asyncpg's UniqueViolationError
        name = getattr(cause, "constraint_name", None)
        return str(name) if name else ""
    message = str(exc.orig)
    prefix = "UNIQUE constraint failed: "
    if message.startswith(prefix):
        return message.removeprefix(prefix).strip()
    return None


async def create_replayable(
    session: AsyncSession,
    model: type[R],
    record_id: uuid.UUID,
    fp: str,
    kind: str,
    store: Callable[[], Awaitable[None]],
    unique: Sequence[UniqueField] = (),
    *,
    alone: bool = False,
) -> bool:
    """Run `store` (adds the new rows) and flush, inside a SAVEPOINT. True if stored now (the caller commits),
    False if a concurrent twin won (a replay: nothing of this request is pending).

    On an integrity error only the savepoint is rolled back (the rows `store` added leave the session). If the
    id now exists the request is a replay (or a 409 on `body.id`); else a unique violation is the 409 of the
    field in `unique` it belongs to, or a 409 naming no field; any other integrity error is re-raised.
    Rows must be added inside `store`: `begin_nested()` flushes what is pending before its SAVEPOINT.

    `alone=True`: the transaction holds nothing but reads before `store` (the caller's rule checks), so there is
    nothing to keep: no SAVEPOINT (two statements fewer), and on an integrity error the whole transaction is
    rolled back before the same outcome is decided. The caller must not use ORM objects it loaded before (the
    rollback expires them).
    """
    try:
        if alone:
            await store()
            await session.flush()
        else:
            async with session.begin_nested():
                await store()
                await session.flush()
        return True
    except IntegrityError as exc:
        if alone:
            await session.rollback()
        if await existing_or_conflict(session, model, record_id, fp, kind) is not None:
            return False
        violated = violated_unique(exc)
        if violated is None:
            raise
        for field in unique:
            if violated in field.names():
                if field.recheck is not None:
                    await field.recheck()
                raise field.conflict() from exc
        raise Conflict(f"a unique value of this {kind} is already taken by another record") from exc
