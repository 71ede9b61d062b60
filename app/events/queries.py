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
- The HTTP feed's position travels inside a signed cursor (app.core.pagination) and is never absent: the first
  page starts at `START` (before every event), and an empty page hands back the position it was asked for, so
  a client polling again skips nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, Text, and_, cast, func, or_, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import scoping
from app.auth.principals import Principal
from app.core.errors import ValidationFailed
from app.core.pagination import NOT_ISSUED, decode_cursor, encode_cursor
from app.db.outbox import Event, EventType

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


START: Position = (0, 0)
"""Before every event: `txid` >= 0 and `seq` >= 1 on both engines."""
FEED_TYPES = frozenset(t.value for t in EventType)


def parse_types(types: str | None) -> list[str]:
    """`types` as sent ("a,b"; blanks ignored; empty = every type); an unknown type is a 422 on `types`."""
    wanted = [t.strip() for t in (types or "").split(",") if t.strip()]
    unknown = [t for t in wanted if t not in FEED_TYPES]
    if unknown:
        raise ValidationFailed.field(
            ["query", "types"], f"unknown event type(s) {', '.join(unknown)}; known: {', '.join(sorted(FEED_TYPES))}"
        )
    return wanted


def _position(cursor: str | None) -> Position:
    if cursor is None:
        return START
    txid, seq = decode_cursor(cursor, 2)
    if not isinstance(txid, int) or not isinstance(seq, int) or txid < 0 or seq < 0:
        raise ValidationFailed.field(["query", "cursor"], NOT_ISSUED)
    return txid, seq


async def list_events(
    session: AsyncSession, principal: Principal, types: str | None, cursor: str | None, limit: int
) -> tuple[list[Event], str]:
    """The caller's region's events of `types` (comma-separated) after `cursor` (a position; None: from the
    start), oldest first, and the position to continue from (never None: the last event's, or `cursor`'s own
    when nothing is new)."""
    wanted = parse_types(types)
    after = _position(cursor)
    where = scoping.event_scope(principal)
    if wanted:
        where.append(Event.type.in_(wanted))
    page = await feed_page(session, after, limit, where)
    last = (page[-1].txid, page[-1].seq) if page else after
    return page, encode_cursor(list(last))
