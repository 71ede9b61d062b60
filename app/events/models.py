"""The outbox: one row per event, written in the transaction of the change it records (API.md "Events").

Rules:
- A row is only ever inserted (by `app.events.outbox.record`) and, past `EVENT_RETENTION_DAYS`, deleted by the
  worker's pruning; nothing updates one.
- `seq` orders the events of one transaction; `txid` orders transactions. On PostgreSQL `txid` is the writing
  transaction's id (`pg_current_xact_id()`), so the feed can hand out only what every in-flight writer is
  already behind (see `app.events.queries`). On SQLite writes are serial and `txid` is 0.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


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
