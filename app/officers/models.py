"""Officers, their enforcement certificates and trainings; `certified_on()` is the one definition of
"certified on a date" used by validation, lists and reports.

An officer is certified on date D when it has a `certificate_no`, `certificate_status` is `valid`, and
`issued_on <= D <= expires_on` (a missing bound does not limit).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ColumnElement, Float, ForeignKey, Index, String, and_, or_
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, TimestampMixin, str_enum


class CertificateStatus(StrEnum):
    valid = "valid"
    suspended = "suspended"  # 暂扣
    revoked = "revoked"  # 吊销/注销


class Officer(IdMixin, TimestampMixin, Base):
    __tablename__ = "officers"
    __table_args__ = (
        CheckConstraint(
            "certificate_expires_on IS NULL OR certificate_issued_on IS NULL "
            "OR certificate_expires_on >= certificate_issued_on",
            name="certificate_dates_ordered",
        ),
        Index("ix_officers_region_code", "region_code"),
        Index("ix_officers_name_id", "name", "id"),
    )

    name: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(100))
    region_code: Mapped[str] = mapped_column(String(12))
    certificate_no: Mapped[str | None] = mapped_column(String(50), unique=True)
    certificate_issued_on: Mapped[date | None]
    certificate_expires_on: Mapped[date | None]
    certificate_status: Mapped[CertificateStatus] = mapped_column(
        str_enum(CertificateStatus, "certificate_status"), default=CertificateStatus.valid
    )
    create_fingerprint: Mapped[str] = mapped_column(String(64))

    def certified_on(self, day: date) -> bool:
        return self.uncertified_reason(day) is None

    def uncertified_reason(self, day: date) -> str | None:
        """Why the officer is not certified on `day` (None when certified)."""
        if not self.certificate_no:
            return "has no enforcement certificate (执法证)"
        if self.certificate_status != CertificateStatus.valid:
            return f"certificate {self.certificate_no} is {self.certificate_status.value}"
        if self.certificate_issued_on is not None and day < self.certificate_issued_on:
            return f"certificate {self.certificate_no} is valid only from {self.certificate_issued_on.isoformat()}"
        if self.certificate_expires_on is not None and day > self.certificate_expires_on:
            return f"certificate {self.certificate_no} expired on {self.certificate_expires_on.isoformat()}"
        return None


def certified_on(day: date | ColumnElement[date]) -> ColumnElement[bool]:
    """SQL: the officer row is certified on `day` (a date or a date column)."""
    return and_(
        Officer.certificate_no.is_not(None),
        Officer.certificate_status == CertificateStatus.valid,
        or_(Officer.certificate_issued_on.is_(None), Officer.certificate_issued_on <= day),
        or_(Officer.certificate_expires_on.is_(None), Officer.certificate_expires_on >= day),
    )


class Training(IdMixin, Base):
    """A training session an officer attended (执法培训)."""

    __tablename__ = "officer_trainings"
    __table_args__ = (
        CheckConstraint("hours > 0", name="hours_positive"),
        Index("ix_officer_trainings_officer_held", "officer_id", "held_on", "id"),
    )

    officer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("officers.id", ondelete="CASCADE"))
    held_on: Mapped[date]
    hours: Mapped[float] = mapped_column(Float)
    topic: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class OfficerConflict(Base):
    """A declared conflict of interest (回避): the officer is never drawn to inspect that institution."""

    __tablename__ = "officer_conflicts"

    officer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("officers.id", ondelete="CASCADE"), primary_key=True)
    institution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), primary_key=True
    )
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime]
