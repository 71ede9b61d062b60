"""Hazards and their append-only history (全过程记录).

Rules:
- A hazard belongs to one inspection; `found_on` is the inspection date.
- `institution_id` is the inspection's institution, copied when the hazard is stored (an inspection's
  institution is fixed once recorded), so hazard reads reach the institution and its region without joining
  inspections (the inspections package imports hazards, not the other way round).
- `region_code` is always the institution's `region_code`: set when the hazard is stored, and moved with its
  institution by one UPDATE in the flush that changes the institution's region (`_follow_institution_region`,
  below: the institutions package sits under hazards and cannot name them). Region-scoped reads filter and
  order by it alone, so a county's list walks the county's own rows of ix_hazards_region_found_on (issue 21)
  instead of the national order filtered by a join.
- `version` increases with every change; the ETag is built from it.
- History rows are only ever inserted: nothing updates or deletes one.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Connection, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event, text, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from app.db.base import Base, IdMixin, TimestampMixin, str_enum
from app.institutions.models import Institution


class HazardCategory(StrEnum):
    fire_safety = "fire_safety"  # 消防安全
    building = "building"  # 建筑安全
    electrical = "electrical"  # 用电安全
    gas = "gas"  # 燃气安全
    food = "food"  # 食品安全
    medical = "medical"  # 医疗卫生
    service = "service"  # 服务质量
    management = "management"  # 内部管理
    license = "license"  # 证照资质
    other = "other"  # 其他


class Severity(StrEnum):
    general = "general"  # 一般
    major = "major"  # 重大


class HazardStatus(StrEnum):
    open = "open"  # 待整改
    rectifying = "rectifying"  # 整改中
    rectified = "rectified"  # 已整改
    verified = "verified"  # 已销号
    voided = "voided"  # 已作废


OPEN_STATUSES = (HazardStatus.open, HazardStatus.rectifying)
OPEN_DUE_WHERE = "status IN ('open', 'rectifying') AND due_on IS NOT NULL"
"""The predicate of the tick's partial index (the hazards a tick judges: `_open_hazards` in app.deadlines)."""


class EscalationLevel(StrEnum):
    """Levels of the escalation ladder of an overdue hazard (API.md "Deadlines"); the rows live in
    app.deadlines, the enum here so the hazard list can filter by it. Declared lowest to highest."""

    reminder = "reminder"  # 催办
    supervision = "supervision"  # 督办
    interview = "interview"  # 约谈
    listed = "listed"  # 挂牌督办


ESCALATION_LABELS = {
    EscalationLevel.reminder: "催办",
    EscalationLevel.supervision: "督办",
    EscalationLevel.interview: "约谈",
    EscalationLevel.listed: "挂牌督办",
}


class Hazard(IdMixin, TimestampMixin, Base):
    __tablename__ = "hazards"
    __table_args__ = (
        # Covering: the report counters read these columns of a region's hazards without visiting the table.
        Index(
            "ix_hazards_inspection_position",
            "inspection_id",
            "position",
            postgresql_include=["found_on", "status", "severity", "due_on", "rectified_on"],
        ),
        Index("ix_hazards_found_on_id", "found_on", "id"),  # the list without a region filter
        Index("ix_hazards_region_found_on", "region_code", "found_on", "id"),  # the list of a region
        Index("ix_hazards_institution_found_on", "institution_id", "found_on", "id"),
        Index("ix_hazards_status_due_on", "status", "due_on"),
        # The deadline tick's reading: only the hazards it judges (open or rectifying), with every column it
        # needs, so each of its statements is an index-only scan of a small index, not a walk over the table.
        Index(
            "ix_hazards_open_due",
            "due_on",
            postgresql_include=["severity", "found_on", "institution_id", "id"],
            postgresql_where=text(OPEN_DUE_WHERE),
            sqlite_where=text(OPEN_DUE_WHERE),
        ),
    )

    inspection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"))
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"))
    region_code: Mapped[str] = mapped_column(String(12))  # the institution's (module docstring)
    position: Mapped[int] = mapped_column(Integer, default=0)
    category: Mapped[HazardCategory] = mapped_column(str_enum(HazardCategory, "hazard_category"))
    severity: Mapped[Severity] = mapped_column(str_enum(Severity, "severity"))
    description: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    due_on: Mapped[date | None]
    status: Mapped[HazardStatus] = mapped_column(str_enum(HazardStatus, "hazard_status"), default=HazardStatus.open)
    found_on: Mapped[date]
    rectified_on: Mapped[date | None]
    verified_on: Mapped[date | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    create_fingerprint: Mapped[str] = mapped_column(String(64))
    rectification_plan: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # 整改方案: the latest one

    def is_overdue(self, today: date) -> bool:
        return self.status in OPEN_STATUSES and self.due_on is not None and self.due_on < today


@event.listens_for(Institution, "after_update")
def _follow_institution_region(_mapper: Mapper[Institution], connection: Connection, target: Institution) -> None:
    """An institution whose `region_code` this flush changed takes its hazards along: one UPDATE, on the flush's
    connection, so in the transaction of the change (every writer of institutions goes through the ORM: the
    service's update, the console's and the import). The hazards' `updated_at` stays: the hazard did not change."""
    if not sa_inspect(target).attrs.region_code.history.has_changes():
        return
    connection.execute(
        update(Hazard)
        .where(Hazard.institution_id == target.id)
        .values(region_code=target.region_code, updated_at=Hazard.updated_at)
    )


class HistoryAction(StrEnum):
    create = "create"
    start = "start"
    rectify = "rectify"
    verify = "verify"
    reject = "reject"
    void = "void"
    plan = "plan"


HISTORY_SEQ_UNIQUE = "uq_hazard_history_hazard_id_seq"
"""The unique (hazard_id, seq) of the history: a new hazard's id that is taken violates it too."""


class HazardHistory(IdMixin, Base):
    """One entry of a hazard's history; `seq` orders entries within a hazard (1 = create)."""

    __tablename__ = "hazard_history"
    __table_args__ = (UniqueConstraint("hazard_id", "seq", name=HISTORY_SEQ_UNIQUE),)

    hazard_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hazards.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[HistoryAction] = mapped_column(str_enum(HistoryAction, "history_action"))
    from_status: Mapped[HazardStatus | None] = mapped_column(str_enum(HazardStatus, "history_from_status"))
    to_status: Mapped[HazardStatus] = mapped_column(str_enum(HazardStatus, "history_to_status"))
    on: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(Text)
    evidence_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    rectification_plan: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the plan this entry set, if any
    actor_id: Mapped[uuid.UUID]
    actor_name: Mapped[str] = mapped_column(String(200))
    actor_role: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]


class Evidence(IdMixin, Base):
    """A file attached to a hazard (photo before/after, scanned notice). The bytes live under
    `DATA_DIR/evidence/` named by SHA-256, so the same file is stored once however often it is attached."""

    __tablename__ = "hazard_evidence"
    __table_args__ = (
        UniqueConstraint("hazard_id", "sha256", name="uq_hazard_evidence_hazard_id_sha256"),
        Index("ix_hazard_evidence_hazard_created", "hazard_id", "created_at", "id"),
    )

    hazard_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hazards.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(50))
    filename: Mapped[str] = mapped_column(String(255))
    uploaded_by_id: Mapped[uuid.UUID]
    uploaded_by_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
