"""Shared helpers for the officer and inspection tests: URLs, bodies, problem+json assertions, row reads."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import AnySelect
from tests import factories
from tests.conftest import OWN_REGION
from tests.problems import error_locs, problem_of

OFFICERS_URL = "/api/v1/officers"
USERS_URL = "/api/v1/users"

# A pinned "now": 12:00 in Asia/Shanghai on 2024-06-15 (04:00 UTC).
TODAY = date(2024, 6, 15)
NOON = datetime(2024, 6, 15, 4, 0, tzinfo=UTC)


def officer_body(**overrides: Any) -> dict[str, Any]:
    """A valid create body (certified 2020–2030); an override of `...` removes the field."""
    data: dict[str, Any] = {
        "name": "谭明",
        "unit": "社会福利中心",
        "region_code": OWN_REGION,
        "certificate_no": f"渝执法{uuid.uuid4().hex[:8]}",
        "certificate_issued_on": "2020-01-01",
        "certificate_expires_on": "2030-12-31",
    }
    return factories.overridden(data, overrides)


async def create_officer(client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    r = await client.post(OFFICERS_URL, json=officer_body(**overrides), headers=headers)
    assert r.status_code == 201, r.text
    record: dict[str, Any] = r.json()
    return record


def assert_problem(r: httpx.Response, status: int, *locs: list[str | int], named: bool = True) -> dict[str, Any]:
    """`r` is an RFC 9457 problem with `status`, without traceback leaks; each of `locs` is one of its
    `errors[].loc`, and (when `named`) the field it names appears in the human-readable `detail`."""
    problem = problem_of(r, status)
    for loc in locs:
        assert loc in error_locs(problem), f"{loc} not in {error_locs(problem)}"
        field = next(str(p) for p in reversed(loc) if isinstance(p, str))
        assert not named or field in problem["detail"], problem["detail"]
    return problem


async def link_officer(
    client: httpx.AsyncClient, admin_headers: dict[str, str], user_id: uuid.UUID, officer_id: str | None
) -> None:
    """Link (or unlink) a user to an officer through the users API."""
    r = await client.patch(f"{USERS_URL}/{user_id}", json={"officer_id": officer_id}, headers=admin_headers)
    assert r.status_code == 200, r.text
    assert r.json()["officer_id"] == officer_id


async def fetch_all(session: AsyncSession, stmt: AnySelect) -> list[Any]:
    """Rows as stored now: ends the session's transaction first, so no stale snapshot is read."""
    await session.rollback()
    rows = list((await session.execute(stmt)).all())
    await session.rollback()
    return rows
