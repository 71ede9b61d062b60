"""Plans and draws. A draw is immutable once made: it keeps its seed, the candidate lists as they were,
the algorithm version and an HMAC signature over all of it (with the id of the key that made it), so it can be
recomputed and checked later."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, TimestampMixin, str_enum
from app.inspections.models import InspectionType


class Plan(IdMixin, TimestampMixin, Base):
    """An inspection plan: which institutions (kinds, region) must be inspected how often in a period."""

    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint("period_to >= period_from", name="period_ordered"),
        CheckConstraint("required_inspections >= 1", name="required_positive"),
        Index("ix_plans_region_year", "region_code", "year"),
    )

    year: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    kinds: Mapped[list[str]] = mapped_column(JSON)
    region_code: Mapped[str] = mapped_column(String(12))
    type: Mapped[InspectionType] = mapped_column(str_enum(InspectionType, "plan_type"))
    campaign: Mapped[str | None] = mapped_column(String(200))
    period_from: Mapped[date]
    period_to: Mapped[date]
    required_inspections: Mapped[int] = mapped_column(Integer, default=1)
    created_by_name: Mapped[str] = mapped_column(String(200))
    create_fingerprint: Mapped[str] = mapped_column(String(64))


class Draw(IdMixin, Base):
    """One random draw (双随机) for a plan. Never updated; a redraw is a new row with a reason."""

    __tablename__ = "draws"
    __table_args__ = (Index("ix_draws_plan_created", "plan_id", "created_at"),)

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    planned_on: Mapped[date]
    seed: Mapped[str] = mapped_column(String(64))
    algorithm: Mapped[str] = mapped_column(String(40))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    candidates: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[list[Any]] = mapped_column(JSON)
    signature: Mapped[str] = mapped_column(String(64))
    # Which DRAW_SIGNING_KEYS key signed it; draws from before key ids were signed with SECRET_KEY ('legacy').
    signing_key_id: Mapped[str] = mapped_column(String(40), server_default="legacy")
    reason: Mapped[str | None] = mapped_column(Text)
    replaces_draw_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("draws.id"))
    created_by_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
