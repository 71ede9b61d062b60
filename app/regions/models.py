"""The regions register: one row per division code (行政区划代码) with its name and the code one level up."""

from __future__ import annotations

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, TimestampMixin


class Region(TimestampMixin, Base):
    """Rule: `code` is the short form (app.regions.codes); sibling names are unique (two 南宾街道 under one
    county would make every label ambiguous). `parent_code` is a reference, not a foreign key: a county's
    register may be loaded without its province."""

    __tablename__ = "regions"
    __table_args__ = (
        UniqueConstraint("parent_code", "name", name="uq_regions_parent_code_name"),
        Index("ix_regions_parent_code_code", "parent_code", "code"),
    )

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_code: Mapped[str | None] = mapped_column(String(12))
