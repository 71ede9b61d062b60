"""Escalations, follow-ups and once-only notices.

Rules:
- An escalation is raised once per hazard and level (UNIQUE(hazard_id, level)): the database, not the tick's
  reading, guarantees it, however many ticks run and for whatever date.
- A notice (`hazard.due_soon`, `hazard.overdue`, `officer.certificate_expiring`) is sent once per subject and date
  (UNIQUE(kind, subject_id, on_date)): the due date for hazards, the expiry date for certificates.
- `tick_id` stamps the rows one tick inserted, so that tick records events for exactly those rows.
- A follow-up exists once per hazard (UNIQUE(hazard_id)); its status is computed when read.
- `region_code` is the institution's (the officer's for certificate notices), copied so lists filter by region
  without joins.
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, str_enum
from app.hazards.models import EscalationLevel


class EscalationStatus(StrEnum):
    open = "open"
    resolved = "resolved"


class NoticeKind(StrEnum):
    """The once-only notices; the values are their event types."""

    due_soon = "hazard.due_soon"
    overdue = "hazard.overdue"
    certificate_expiring = "officer.certificate_expiring"


class FollowUpStatus(StrEnum):
    due = "due"
    done = "done"
    overdue = "overdue"


class Escalation(IdMixin, Base):
    __tablename__ = "escalations"
    __table_args__ = (
        UniqueConstraint("hazard_id", "level", name="uq_escalations_hazard_id_level"),
        Index("ix_escalations_region_code_raised", "region_code", "raised_on", "id"),
        Index("ix_escalations_tick_id", "tick_id"),
    )

    hazard_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hazards.id", ondelete="CASCADE"))
    institution_id: Mapped[uuid.UUID]
    region_code: Mapped[str] = mapped_column(String(12))
    level: Mapped[EscalationLevel] = mapped_column(str_enum(EscalationLevel, "escalation_level"))
    raised_on: Mapped[date]
    status: Mapped[EscalationStatus] = mapped_column(str_enum(EscalationStatus, "escalation_status"))
    resolved_on: Mapped[date | None]
    tick_id: Mapped[uuid.UUID | None]


class Notice(IdMixin, Base):
    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("kind", "subject_id", "on_date", name="uq_notices_kind_subject_id_on_date"),
        Index("ix_notices_tick_id", "tick_id"),
    )

    kind: Mapped[NoticeKind] = mapped_column(
        Enum(
            NoticeKind,
            native_enum=False,
            length=40,  # longer than str_enum's 16: the values are event types
            create_constraint=True,
            name="notice_kind",
            values_callable=lambda e: [m.value for m in e],
        )
    )
    subject_id: Mapped[uuid.UUID]
    on_date: Mapped[date]
    region_code: Mapped[str] = mapped_column(String(12))
    raised_on: Mapped[date]
    tick_id: Mapped[uuid.UUID]


class FollowUp(IdMixin, Base):
    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_region_code_due", "region_code", "due_on", "id"),)

    hazard_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hazards.id", ondelete="CASCADE"), unique=True)
    institution_id: Mapped[uuid.UUID]
    region_code: Mapped[str] = mapped_column(String(12))
    verified_on: Mapped[date]
    due_on: Mapped[date]
