"""The transactional outbox (API.md "Events"): the events table and `record`, which adds one event to the
caller's transaction. It lives in `db` (a transaction helper, like the replay helper) so that every domain's
service can write its events without importing the `events` package above it, which reads them (feed, webhooks).

Rules:
- Call `record` from the service function of the use case, after the change is written and before that
  function's one commit: the event then commits or rolls back with the change (no event for a rolled-back
  change, no committed change without its event). A replay writes nothing, so it records nothing.
- `data` is what API.md lists for the type; ids and dates are turned into strings.
- Recording an event touches its region's data version (app.db.versions): the change it records is one of
  that region's, so conditional reads see it.
- A row is only ever inserted and, past `EVENT_RETENTION_DAYS`, deleted by the worker's pruning.
- `seq` orders the events of one transaction; `txid` orders transactions. On PostgreSQL `txid` is the writing
  transaction's id (`pg_current_xact_id()`), so the feed can hand out only what every in-flight writer is
  already behind (see `app.events.queries`). On SQLite writes are serial and `txid` is 0.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, Select, String, Text, cast, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.db.base import Base, UTCDateTime
from app.db.bulk import Rows, insert_rows
from app.db.sqlgen import new_uuid
from app.db.versions import touch


class EventType(StrEnum):
    inspection_created = "inspection.created"
    inspection_updated = "inspection.updated"
    hazard_created = "hazard.created"
    hazard_transitioned = "hazard.transitioned"
    hazard_due_soon = "hazard.due_soon"
    hazard_overdue = "hazard.overdue"
    escalation_raised = "escalation.raised"
    follow_up_due = "follow_up.due"
    officer_certificate_expiring = "officer.certificate_expiring"
    draw_created = "draw.created"
    webhook_test = "webhook.test"  # delivered to one subscription only, never stored in the feed


# SQLite only makes an INTEGER PRIMARY KEY an alias of its rowid (autoincrement); BIGINT on PostgreSQL.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_txid_seq", "txid", "seq"),
        Index("ix_events_region_code_txid_seq", "region_code", "txid", "seq"),
        Index("ix_events_occurred_at", "occurred_at"),
    )

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(unique=True, default=uuid.uuid4)
    txid: Mapped[int] = mapped_column(BigInteger, default=0)
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime]
    region_code: Mapped[str] = mapped_column(String(12))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


def _json_ready(value: Any) -> Any:
    if isinstance(value, uuid.UUID | date | datetime):
        return value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    return value


def _row(session: AsyncSession, type_: EventType, region_code: str, data: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "type": type_.value,
        "occurred_at": clock.now(),
        "region_code": region_code,
        "data": _json_ready(data),
    }
    if session.get_bind().dialect.name == "postgresql":
        # The writing transaction's id: the feed's order between transactions (app.events.queries).
        values["txid"] = cast(cast(func.pg_current_xact_id(), Text), BigInteger)
    else:
        values["txid"] = 0
    return values


async def record(session: AsyncSession, type_: EventType, region_code: str, data: dict[str, Any]) -> uuid.UUID:
    """Insert one event into the current transaction and return its id (one INSERT statement, no ORM flush)."""
    values = _row(session, type_, region_code, data)
    await session.execute(insert(Event).values(**values))
    touch(session, region_code)
    event_id: uuid.UUID = values["id"]
    return event_id


EventSpec = tuple[EventType, str, dict[str, Any]]
"""(type, region_code, data) of one event to record."""


async def record_select(session: AsyncSession, type_: EventType, rows: Select[Any, Any]) -> int:
    """Insert one event of `type_` per row of `rows` — a SELECT of (region_code, data) with `data` a JSON object
    built in SQL (app.db.sqlgen.json_object) — in one INSERT … SELECT, for set-wise jobs (the deadline tick) whose
    rows never pass through Python. Returns the number of events written. Only their region codes come back
    (RETURNING), so the distinct regions are touched once each."""
    dialect = session.get_bind().dialect.name
    sub = rows.subquery()
    region, data = sub.c[0], sub.c[1]
    txid = cast(cast(func.pg_current_xact_id(), Text), BigInteger) if dialect == "postgresql" else literal(0)
    source = select(
        new_uuid(dialect),
        txid,
        literal(type_.value, String()),
        literal(clock.now(), UTCDateTime()),
        region,
        data,
    ).select_from(sub)
    columns = ["id", "txid", "type", "occurred_at", "region_code", "data"]
    result = await session.execute(insert(Event).from_select(columns, source).returning(Event.region_code))
    regions = result.scalars().all()
    touch(session, *regions)
    return len(regions)


PG_TXID = cast(cast(func.pg_current_xact_id(), Text), BigInteger)
"""The writing transaction's id on PostgreSQL (one object: statements built with it are cached by shape)."""


def event_rows(session: AsyncSession, events: Sequence[EventSpec]) -> Rows:
    """The rows of several events of one change, in the given order (`seq` follows it), for
    `app.db.bulk.insert_rows` — which lets a use case write them in the statement of its own rows. Calling
    this inserts nothing: the caller inserts the rows in its transaction (the rules above apply). It does mark
    the events' regions as changed (`touch`): their data versions move when that transaction commits."""
    postgres = session.get_bind().dialect.name == "postgresql"
    touch(session, *(region for _, region, _ in events))
    rows = []
    for type_, region_code, data in events:
        row: dict[str, Any] = {
            "id": uuid.uuid4(),
            "type": type_.value,
            "occurred_at": clock.now(),
            "region_code": region_code,
            "data": _json_ready(data),
        }
        if not postgres:
            row["txid"] = 0
        rows.append(row)
    return Rows(Event.__table__, rows, (("txid", PG_TXID),) if postgres else ())  # type: ignore[arg-type]


async def record_many(session: AsyncSession, events: Sequence[EventSpec]) -> list[uuid.UUID]:
    """Insert several events of one change in one multi-row INSERT (in the given order: `seq` follows it) and
    return their ids. Nothing is written for an empty list."""
    if not events:
        return []
    rows = event_rows(session, events)
    await insert_rows(session, [rows])
    return [row["id"] for row in rows.rows]
