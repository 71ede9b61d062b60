"""Reading the outbox in commit order: the feed never hands out an event behind a cursor already given.

Rules (API.md "Events"):
- Events are ordered by (`txid`, `seq`): transaction, then order within it. A cursor is the position of the
  last event handed out.
- On PostgreSQL writers commit out of order, so a page holds only events of transactions older than the oldest
  transaction still in flight (`txid < pg_snapshot_xmin(pg_current_snapshot())`): every transaction below
  that horizon has ended, so nothing can later appear before the last position handed out. An event becomes
  visible once every writer that started before it has finished (well within the 5 s of the contract while
  statements are bounded by `statement_timeout`).
- On SQLite writes are serial (one writer), `txid` is 0 and `seq` is commit order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, Text, and_, cast, func, or_, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.outbox import Event

Position = tuple[int, int]  # (txid, seq)


def _horizon(dialect: str) -> ColumnElement[bool]:
    if dialect != "postgresql":
        return true()
    xmin = cast(cast(func.pg_snapshot_xmin(func.pg_current_snapshot()), Text), BigInteger)
    return Event.txid < xmin


def _after(position: Position | None, dialect: str) -> ColumnElement[bool]:
    if position is None:
        return true()
    txid, seq = position
    if dialect == "sqlite":  # row-value comparison works there too, but this form uses the index on both
        return or_(Event.txid > txid, and_(Event.txid == txid, Event.seq > seq))
    return tuple_(Event.txid, Event.seq) > tuple_(txid, seq)


def feed_statement(
    dialect: str, after: Position | None, limit: int, where: Sequence[ColumnElement[bool]] = ()
) -> Select[Any]:
    """The events after `after` (oldest first, at most `limit`), below the commit horizon, matching `where`."""
    return (
        select(Event)
        .where(_horizon(dialect), _after(after, dialect), *where)
        .order_by(Event.txid, Event.seq)
        .limit(limit)
    )


async def feed_page(
    session: AsyncSession, after: Position | None, limit: int, where: Sequence[ColumnElement[bool]] = ()
) -> list[Event]:
    """One page of the feed; `(page[-1].txid, page[-1].seq)` is where the next page starts."""
    dialect = session.get_bind().dialect.name
    result = await session.execute(feed_statement(dialect, after, limit, where))
    return list(result.scalars())
