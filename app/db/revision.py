"""Stale-edit detection for records without a version column (机构, 执法人员): the revision a form was loaded with.

Rules:
- A record's revision is a digest of all its stored columns (`updated_at` included): any change by anyone gives
  a new revision, even under a frozen test clock.
- An edit sent with the revision it was read at applies only while the record is still at that revision; the row
  is locked first (SELECT … FOR UPDATE on PostgreSQL; SQLite serializes writers), so of two racing edits made
  from the same page the second is refused (412) and changes nothing.
- An edit without a revision (the API's PATCH) is not checked.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import PreconditionFailed
from app.db.base import Base


def revision(record: Base) -> str:
    """A short digest of the record's stored state (32 hex characters)."""
    mapper = inspect(record).mapper
    state = {attr.key: getattr(record, attr.key) for attr in mapper.column_attrs}
    text = json.dumps(state, default=str, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


async def ensure_revision(session: AsyncSession, record: Base, expected: str | None, kind: str) -> None:
    """412 when `expected` is given and the (locked, re-read) record is no longer at that revision."""
    if expected is None:
        return
    await session.refresh(record, with_for_update=True)
    if revision(record) != expected:
        raise PreconditionFailed(f"the {kind} was changed since revision {expected} was read; reload it and try again")
