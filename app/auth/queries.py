"""Read paths for users and API keys.

Rules:
- A user or key outside the caller's region is 404; lists hold only the caller's region.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import scoping
from app.auth.models import ApiKey, User
from app.auth.principals import Principal
from app.core.errors import NotFound
from app.core.pagination import page_of, paginate


async def get_user(session: AsyncSession, user_id: uuid.UUID, actor: Principal) -> User:
    user = await session.get(User, user_id)
    if user is None or not scoping.can_see(actor, user.region_code):
        raise NotFound(f"user {user_id} not found")
    return user


async def list_users(
    session: AsyncSession, actor: Principal, cursor: str | None, limit: int
) -> tuple[list[User], str | None]:
    stmt = scoping.scoped(select(User), User.region_code, actor)
    rows = (await session.execute(paginate(stmt, [User.username], cursor, limit))).scalars().all()
    return page_of(rows, limit, lambda u: [u.username])


async def list_api_keys(
    session: AsyncSession, actor: Principal, cursor: str | None, limit: int
) -> tuple[list[ApiKey], str | None]:
    stmt = scoping.scoped(select(ApiKey), ApiKey.region_code, actor)
    rows = (
        (
            await session.execute(
                paginate(stmt, [ApiKey.created_at, ApiKey.id], cursor, limit, parse=[datetime, uuid.UUID])
            )
        )
        .scalars()
        .all()
    )
    return page_of(rows, limit, lambda k: [k.created_at, k.id])


async def get_api_key(session: AsyncSession, key_id: uuid.UUID, actor: Principal) -> ApiKey:
    row = await session.get(ApiKey, key_id)
    if row is None or not scoping.can_see(actor, row.region_code):
        raise NotFound(f"API key {key_id} not found")
    return row
