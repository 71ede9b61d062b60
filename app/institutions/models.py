"""The institution register."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, TimestampMixin, str_enum


class InstitutionKind(StrEnum):
    funeral = "funeral"  # 殡葬机构: 殡仪馆, 公墓, 骨灰堂
    elderly_care = "elderly_care"  # 养老机构: 养老院, 敬老院


class OperatorType(StrEnum):
    public = "public"  # 公办
    private = "private"  # 民办


class InstitutionStatus(StrEnum):
    active = "active"
    suspended = "suspended"
    closed = "closed"


class Institution(IdMixin, TimestampMixin, Base):
    __tablename__ = "institutions"
    __table_args__ = (
        CheckConstraint("beds IS NULL OR beds >= 0", name="beds_non_negative"),
        Index("ix_institutions_region_kind", "region_code", "kind"),
        Index("ix_institutions_name_id", "name", "id"),
    )

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[InstitutionKind] = mapped_column(str_enum(InstitutionKind, "institution_kind"))
    category: Mapped[str | None] = mapped_column(String(50))
    region_code: Mapped[str] = mapped_column(String(12))
    township: Mapped[str | None] = mapped_column(String(100))
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    address: Mapped[str | None] = mapped_column(String(300))
    contact_person: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    operator_type: Mapped[OperatorType | None] = mapped_column(str_enum(OperatorType, "operator_type"))
    beds: Mapped[int | None]
    status: Mapped[InstitutionStatus] = mapped_column(
        str_enum(InstitutionStatus, "institution_status"), default=InstitutionStatus.active
    )
    create_fingerprint: Mapped[str] = mapped_column(String(64))
