"""Request and response bodies for auth, users and API keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, StringConstraints, field_validator

from app.auth.models import Role
from app.auth.usernames import check_username
from app.core.schemas import Name, ReadModel, ScopeRegionCode, StrictInput, refuse_null

Username = Annotated[
    str,
    StringConstraints(pattern=r"^[\w.@-]{3,64}$"),
    BeforeValidator(check_username),  # runs first: its Chinese message, not the pattern's, for look-alikes
    Field(
        description="3–64 characters: ASCII letters, digits, '_', '.', '@' or '-'; or Chinese characters with "
        "digits. Already in NFKC form (no full-width characters), one script, unique regardless of case "
        "(see app/auth/usernames.py)",
        examples=["zhang.san"],
    ),
]
Password = Annotated[
    str,
    StringConstraints(min_length=8, max_length=128),
    Field(description="8–128 characters", examples=["correct horse battery"]),
]


class TokenRead(ReadModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the OAuth2 token type, not a secret)
    expires_in: int = Field(description="seconds until the token expires", examples=[3600])


class UserCreate(StrictInput):
    username: Username
    password: Password
    role: Role
    region_code: ScopeRegionCode = ""
    officer_id: uuid.UUID | None = Field(default=None, description="link the user to an officer (执法人员)")


class UserUpdate(StrictInput):
    """Partial update; only the fields sent are changed."""

    password: Password | None = None
    role: Role | None = None
    region_code: ScopeRegionCode | None = None
    is_active: bool | None = Field(default=None, description="false disables the user: its tokens stop working")
    officer_id: uuid.UUID | None = Field(default=None, description="link to an officer; null unlinks")

    _not_null = field_validator("password", "role", "region_code", "is_active", mode="before")(refuse_null)


class UserRead(ReadModel):
    id: uuid.UUID
    username: str
    role: Role
    region_code: str
    is_active: bool
    officer_id: uuid.UUID | None
    created_at: datetime


class ApiKeyCreate(StrictInput):
    name: Name
    role: Role
    region_code: ScopeRegionCode = ""


class ApiKeyRead(ReadModel):
    id: uuid.UUID
    name: str
    role: Role
    region_code: str
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="the API key itself; shown only in this answer. Use as `Authorization: Bearer`")
