"""Event use cases: retention (the feed's writes are the domains' own, through app.db.outbox.record).

Rules:
- Events older than `EVENT_RETENTION_DAYS` (by `occurred_at`) are deleted in one set-wise statement, which
  commits once; the delivery worker calls it.
- The newest event is always kept, even when it is older: on SQLite `seq` is the table's rowid, which restarts
  after the highest one when that row is deleted, and the feed's positions must never be handed out twice.
  (PostgreSQL's sequence never goes back, so there it only keeps one row.)
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import get_settings
from app.db.outbox import Event


async def prune_events(session: AsyncSession, now: datetime, retention_days: int | None = None) -> int:
    """Delete the events older than `retention_days` (default: the `EVENT_RETENTION_DAYS` setting) before
    `now`, except the newest one; commit; return how many were deleted."""
    days = retention_days if retention_days is not None else get_settings().EVENT_RETENTION_DAYS
    cutoff = now - timedelta(days=days)
    newest = select(func.max(Event.seq)).scalar_subquery()
    result = await session.execute(delete(Event).where(Event.occurred_at < cutoff, Event.seq < newest))
    await session.commit()
    assert isinstance(result, CursorResult)
    return result.rowcount
