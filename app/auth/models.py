"""Users and API keys. Roles and region scopes are the whole authorization model (see scoping.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, TimestampMixin, str_enum


class Role(StrEnum):
    """admin: everything; supervisor: everything in region but users/keys, verifies and voids hazards;
    inspector: reads in region, creates inspections it takes part in, records rectification;
    viewer: read-only."""

    admin = "admin"
    supervisor = "supervisor"
    inspector = "inspector"
    viewer = "viewer"


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    region_code: Mapped[str] = mapped_column(String(12), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    # The officer this user is: an inspector posts only inspections its officer takes part in.
    officer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("officers.id", ondelete="SET NULL"), unique=True)
    # Tokens issued before this instant are refused: set by a password change, a disable and "sign out
    # everywhere" (null: every unexpired token of the user is good).
    sessions_valid_after: Mapped[datetime | None]


# Usernames are unique regardless of ASCII case (`Admin` beside `admin` is refused: app/auth/usernames.py).
Index("uq_users_username_lower", func.lower(User.username), unique=True)


class ApiKey(IdMixin, Base):
    __tablename__ = "api_keys"

    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    region_code: Mapped[str] = mapped_column(String(12), default="")
    key_hash: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
