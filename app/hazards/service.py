"""Hazard use cases and the helpers other domains use to create hazards (helpers flush, never commit).

Rules:
- A new hazard starts `open`, with `found_on` = the inspection date and `due_on` not before it.
- Its history starts with a `create` entry (from none to open), by whom and when.
- The replay fingerprint of a hazard covers its validated body and its inspection id, so the same nested
  hazard re-sent through either endpoint is recognised.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principals import Principal
from app.core import clock
from app.core.errors import FieldError
from app.db.replay import fingerprint
from app.hazards.models import Hazard, HazardHistory, HazardStatus, HistoryAction
from app.hazards.schemas import HazardCreate


class _HazardFingerprint(BaseModel):
    inspection_id: uuid.UUID
    hazard: HazardCreate


def hazard_fingerprint(inspection_id: uuid.UUID, data: HazardCreate) -> str:
    return fingerprint(_HazardFingerprint(inspection_id=inspection_id, hazard=data))


def due_on_errors(hazards: Sequence[HazardCreate], found_on: date, loc: Sequence[str | int]) -> list[FieldError]:
    return [
        FieldError(loc=[*loc, i, "due_on"],
                   msg=f"due_on {h.due_on.isoformat()} is before the inspection date {found_on.isoformat()}")
        for i, h in enumerate(hazards)
        if h.due_on is not None and h.due_on < found_on
    ]


async def taken_hazard_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Of `ids`, those already stored, with their fingerprints."""
    if not ids:
        return {}
    rows = await session.execute(select(Hazard.id, Hazard.create_fingerprint).where(Hazard.id.in_(ids)))
    return {row.id: row.create_fingerprint for row in rows}


def history_entry(hazard: Hazard, seq: int, action: HistoryAction, from_status: HazardStatus | None,
                  on: date | None, note: str | None, evidence_ids: Sequence[uuid.UUID],
                  actor: Principal) -> HazardHistory:
    return HazardHistory(
        hazard_id=hazard.id, seq=seq, action=action, from_status=from_status, to_status=hazard.status,
        on=on, note=note, evidence_ids=[str(e) for e in evidence_ids], actor_id=actor.id,
        actor_name=actor.name, actor_role=actor.role.value, at=clock.now(),
    )


async def add_hazards(session: AsyncSession, inspection_id: uuid.UUID, found_on: date,
                      items: Sequence[HazardCreate], first_position: int, actor: Principal) -> list[Hazard]:
    """Insert hazards (in order) with their `create` history entries; flushes, does not commit."""
    hazards = [
        Hazard(id=data.id or uuid.uuid4(), inspection_id=inspection_id, position=first_position + i,
               category=data.category, severity=data.severity, description=data.description,
               legal_basis=data.legal_basis, due_on=data.due_on, status=HazardStatus.open, found_on=found_on,
               version=1, create_fingerprint=hazard_fingerprint(inspection_id, data))
        for i, data in enumerate(items)
    ]
    session.add_all(hazards)
    await session.flush()
    session.add_all([history_entry(h, 1, HistoryAction.create, None, found_on, None, [], actor) for h in hazards])
    await session.flush()
    return hazards
