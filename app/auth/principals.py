"""Who is calling: a `Principal` resolved from a Bearer JWT (a user) or an API key.

Rules: a token of a disabled or deleted user, an expired or tampered token, a token issued before its user's
`sessions_valid_after` (a password change, a disable, a "sign out everywhere"), and a revoked key are all 401.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import ApiKey, Role, User
from app.core.security import AccessClaims, api_key_matches, decode_access_token, epoch_us, parse_api_key


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
    claims = decode_access_token(token, secret)
    if claims is None:
        return None
    return await _from_user(session, claims)


_USER = select(
    User.id,
    User.username,
    User.role,
    User.region_code,
    User.is_active,
    User.officer_id,
    User.sessions_valid_after,
).where(User.id == bindparam("user_id", type_=User.id.type))
"""The credential lookup of every request with an access token, built once (not per request)."""


async def _from_user(session: AsyncSession, claims: AccessClaims) -> Principal | None:
    row = (await session.execute(_USER, {"user_id": claims.user_id})).one_or_none()
    if row is None or not row.is_active:
        return None
    if row.sessions_valid_after is not None and claims.issued_at_us < epoch_us(row.sessions_valid_after):
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
