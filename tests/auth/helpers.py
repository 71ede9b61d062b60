"""Shared assertions and shortcuts for the auth, users and API key tests."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select

from app.auth.models import ApiKey, User
from app.db.session import Database
from tests.problems import error_locs, problem_of

TOKEN_URL = "/api/v1/auth/token"
USERS_URL = "/api/v1/users"
ME_URL = "/api/v1/users/me"
KEYS_URL = "/api/v1/api-keys"
INSTITUTIONS_URL = "/api/v1/institutions"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(r: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    """An RFC 9457 problem with `status`; for 401 the Bearer challenge; `field` named in `errors[].loc`."""
    body = problem_of(r, status)
    if field is not None:
        locs = error_locs(body)
        assert any(field in loc for loc in locs), f"{field!r} not in {locs}"
        assert field in body["detail"], body["detail"]
    return body


async def login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post(TOKEN_URL, data={"username": username, "password": password})


async def token_for(client: httpx.AsyncClient, username: str, password: str) -> str:
    r = await login(client, username, password)
    assert r.status_code == 200, r.text
    token: str = r.json()["access_token"]
    return token


async def user_row(db: Database, user_id: uuid.UUID | str) -> User | None:
    """The stored user, read in a fresh session (no stale snapshot)."""
    async with db.sessionmaker() as s:
        return await s.get(User, uuid.UUID(str(user_id)))


async def user_rows(db: Database, username: str) -> list[User]:
    async with db.sessionmaker() as s:
        return list((await s.execute(select(User).where(User.username == username))).scalars())


async def key_row(db: Database, key_id: uuid.UUID | str) -> ApiKey | None:
    async with db.sessionmaker() as s:
        return await s.get(ApiKey, uuid.UUID(str(key_id)))


def new_user_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "username": f"user-{uuid.uuid4().hex[:8]}",
        "password": "a long enough password",
        "role": "inspector",
        "region_code": "500240",
    }
    body.update(overrides)
    return body


def institution_body(region_code: str, name: str = "石柱县南宾街道敬老院") -> dict[str, Any]:
    return {"name": name, "kind": "elderly_care", "category": "敬老院", "region_code": region_code}
