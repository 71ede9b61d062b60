"""Who is calling: a `Principal` resolved from a Bearer JWT (a user) or an API key.

Rules: a token of a disabled or deleted user, an expired or tampered token, and a revoked key are all 401.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import ApiKey, Role, User
from app.core.security import api_key_matches, decode_access_token, parse_api_key


class PrincipalKind(StrEnum):
    user = "user"
    api_key = "api_key"


@dataclass(frozen=True, slots=True)
class Principal:
    kind: PrincipalKind
    id: uuid.UUID
    name: str
    role: Role
    region_code: str
    officer_id: uuid.UUID | None = None


async def principal_from_token(session: AsyncSession, token: str, secret: str) -> Principal | None:
    key_id = parse_api_key(token)
    if key_id is not None:
        return await _from_api_key(session, key_id, token)
    user_id = decode_access_token(token, secret)
    if user_id is None:
        return None
    return await _from_user(session, user_id)


async def _from_user(session: AsyncSession, user_id: uuid.UUID) -> Principal | None:
    row = (
        await session.execute(
            select(User.id, User.username, User.role, User.region_code, User.is_active, User.officer_id).where(
                User.id == user_id
            )
        )
    ).one_or_none()
    if row is None or not row.is_active:
        return None
    return Principal(PrincipalKind.user, row.id, row.username, row.role, row.region_code, row.officer_id)


async def _from_api_key(session: AsyncSession, key_id: uuid.UUID, token: str) -> Principal | None:
    row = (
        await session.execute(
            select(ApiKey.id, ApiKey.name, ApiKey.role, ApiKey.region_code, ApiKey.key_hash, ApiKey.revoked_at).where(
                ApiKey.id == key_id
            )
        )
    ).one_or_none()
    if row is None or row.revoked_at is not None or not api_key_matches(token, row.key_hash):
        return None
    return Principal(PrincipalKind.api_key, row.id, row.name, row.role, row.region_code)
