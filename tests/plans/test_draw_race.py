"""Draws of one plan arriving at the same moment are serialised (issue 13.3): of parallel first draws exactly
one is made and the rest are redraws without a reason (422 on `reason`); parallel redraws form one chain, each
replacing the draw before it — on both databases, with real concurrency (one session per request)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.plans.models import Draw
from tests.plans.conftest import PLANS, County
from tests.plans.test_draws import DRAW

pytestmark = pytest.mark.real_commits  # see tests/conftest.py

PARALLEL = 10


async def _storm(app: FastAPI, county: County, body: dict[str, Any]) -> list[httpx.Response]:
    """PARALLEL posts at once, each through its own client (and so its own request and database session)."""
    url = f"{PLANS}/{county.plan['id']}/draws"

    async def post() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
            return await c.post(url, json=body, headers=county.admin.headers)

    return list(await asyncio.gather(*(post() for _ in range(PARALLEL))))


async def _stored(session: AsyncSession, plan_id: str) -> list[Draw]:
    stmt = select(Draw).where(Draw.plan_id == uuid.UUID(plan_id)).order_by(Draw.created_at, Draw.id)
    return list((await session.execute(stmt)).scalars().all())


async def test_parallel_draws_are_serialised_per_plan(
    app: FastAPI, client: httpx.AsyncClient, county: County, session: AsyncSession
) -> None:
    first = await _storm(app, county, DRAW)
    assert sorted(r.status_code for r in first) == [201] + [422] * (PARALLEL - 1), [r.text for r in first]
    for r in first:
        if r.status_code == 422:
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["errors"][0]["loc"] == ["body", "reason"]
    stored = await _stored(session, county.plan["id"])
    assert len(stored) == 1 and stored[0].replaces_draw_id is None and stored[0].reason is None
    original = stored[0].id

    redraws = await _storm(app, county, {**DRAW, "reason": "抽取结果需复核"})
    assert [r.status_code for r in redraws] == [201] * PARALLEL, [r.text for r in redraws]
    session.expunge_all()
    stored = await _stored(session, county.plan["id"])
    assert len(stored) == PARALLEL + 1
    replaced = [d.replaces_draw_id for d in stored]
    assert replaced.count(None) == 1, "only the first draw replaces nothing"
    assert replaced.count(original) == 1, "exactly one redraw replaces the first draw"
    assert len(set(replaced)) == len(replaced), "no draw is replaced twice"
    assert replaced[1:] == [d.id for d in stored[:-1]], "each redraw replaces the draw made just before it"
    assert {r.json()["replaces_draw_id"] for r in redraws} == {str(d.id) for d in stored[:-1]}
