"""Idempotent creates with client-chosen ids (offline field apps retry, duplicate and lose answers).

Rules (API.md "Replay"):
- The validated request (defaults filled in) is fingerprinted (SHA-256 of canonical JSON) and stored with
  the record it created.
- A create whose id exists with the same fingerprint is a replay: 200 and the record as it is now.
  The same id with another fingerprint is 409. What happened to the record since does not matter.
- Duplicates arriving at the same moment are settled by the primary key: the loser's insert fails inside a
  SAVEPOINT, only the savepoint rolls back, and the request answers as a replay.
- Nothing here commits: the service function of the use case commits once, after everything of the request is
  written (a failure in any later step then leaves nothing behind).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

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


async def store_or_replay(
    session: AsyncSession,
    model: type[R],
    record_id: uuid.UUID,
    fp: str,
    kind: str,
    store: Callable[[], Awaitable[None]],
) -> bool:
    """Run `store` (adds the new rows) and flush, inside a SAVEPOINT. True if stored now (the caller commits),
    False if a concurrent twin won (a replay: nothing of this request is pending).

    On an integrity error only the savepoint is rolled back (the rows `store` added leave the session); if the id
    now exists the request is a replay (or a 409), otherwise the error is re-raised for the caller's own handling.
    Rows must be added inside `store`: `begin_nested()` flushes what is pending before its SAVEPOINT.
    """
    try:
        async with session.begin_nested():
            await store()
            await session.flush()
        return True
    except IntegrityError:
        if await existing_or_conflict(session, model, record_id, fp, kind) is None:
            raise
        return False
