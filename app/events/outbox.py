"""Writing events: `record` adds the outbox row to the caller's transaction; it never commits.

Rules:
- Call it from the service function of the use case, after the change is written and before that function's
  one commit: the event then commits or rolls back with the change (no event for a rolled-back change, no
  committed change without its event). A replay writes nothing, so it records nothing.
- `data` is what API.md lists for the type, JSON-ready (ids and dates as strings).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Text, cast, func, insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.events.models import Event, EventType


def _json_ready(value: Any) -> Any:
    if isinstance(value, uuid.UUID | date | datetime):
        return value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    return value


async def record(session: AsyncSession, type_: EventType, region_code: str, data: dict[str, Any]) -> uuid.UUID:
    """Insert one event into the current transaction and return its id (one INSERT statement, no ORM flush)."""
    event_id = uuid.uuid4()
    values: dict[str, Any] = {
        "id": event_id,
        "type": type_.value,
        "occurred_at": clock.now(),
        "region_code": region_code,
        "data": _json_ready(data),
    }
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        # The writing transaction's id: the feed's order between transactions (app.events.queries).
        values["txid"] = cast(cast(func.pg_current_xact_id(), Text), BigInteger)
    else:
        values["txid"] = 0
    await session.execute(insert(Event).values(**values))
    return event_id
