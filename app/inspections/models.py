"""Inspections and the officers who took part (in the order submitted)."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, TimestampMixin, str_enum


class InspectionType(StrEnum):
    routine = "routine"  # 常规检查
    special = "special"  # 专项检查


class Inspection(IdMixin, TimestampMixin, Base):
    __tablename__ = "inspections"
    __table_args__ = (
        # Covering (INCLUDE id): a region's reports walk institution → inspections → hazards by index only.
        Index("ix_inspections_institution_on", "institution_id", "inspected_on", postgresql_include=["id"]),
        Index("ix_inspections_on_id", "inspected_on", "id"),
    )

    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"))
    inspected_on: Mapped[date]
    type: Mapped[InspectionType] = mapped_column(str_enum(InspectionType, "inspection_type"))
    campaign: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plans.id"), index=True)
    created_by_id: Mapped[uuid.UUID]
    created_by_name: Mapped[str] = mapped_column(String(200))
    create_fingerprint: Mapped[str] = mapped_column(String(64))


class InspectionOfficer(Base):
    """An officer's part in an inspection; `position` keeps the submitted order."""

    __tablename__ = "inspection_officers"
    __table_args__ = (Index("ix_inspection_officers_officer", "officer_id", "inspection_id"),)

    inspection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True)
    officer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("officers.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
