"""Duplicates arriving at the same moment (a field app retrying on a flaky network): exactly one 201,
the rest 200 with the same record, nothing stored twice, never a 5xx — on both databases."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.hazards.models import Hazard
from app.inspections.models import Inspection
from tests.conftest import Actor, ActorFactory
from tests.inspections.helpers import URL, World, counts, hazard, history_rows, linked_inspector, make_world
from tests.officers.helpers import fetch_all

pytestmark = pytest.mark.real_commits  # see tests/conftest.py

DUPLICATES = 20


@pytest.fixture
async def world(client: httpx.AsyncClient, admin: Actor) -> World:
    return await make_world(client, admin)


async def _storm(client: httpx.AsyncClient, actor: Actor, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    return list(await asyncio.gather(*(client.post(URL, json=b, headers=actor.headers) for b in bodies)))


def _body(world: World, hazard_ids: bool) -> dict[str, Any]:
    hazards = [hazard(f"隐患{i}", **({"id": str(uuid.uuid4())} if hazard_ids else {})) for i in range(3)]
    return world.body(id=str(uuid.uuid4()), hazards=hazards)


async def _assert_stored_once(
    session: AsyncSession, body: dict[str, Any], responses: list[httpx.Response], actor: Actor
) -> None:
    assert all(r.status_code < 500 for r in responses), [r.text for r in responses if r.status_code >= 500]
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * (len(responses) - 1) + [201], [r.text for r in responses if r.status_code > 201]
    records = [r.json() for r in responses]
    assert {r["id"] for r in records} == {body["id"]}
    hazard_ids = [h["id"] for h in records[0]["hazards"]]
    assert len(hazard_ids) == len(body["hazards"])
    assert all([h["id"] for h in r["hazards"]] == hazard_ids for r in records)
    assert [h["description"] for h in records[0]["hazards"]] == [h["description"] for h in body["hazards"]]
    assert await counts(session) == {
        "inspections": 1,
        "officers": 2,
        "hazards": len(body["hazards"]),
        "history": len(body["hazards"]),
    }
    stored = await fetch_all(session, select(Inspection.id))
    assert [str(row.id) for row in stored] == [body["id"]]
    rows = await fetch_all(session, select(Hazard.id).order_by(Hazard.position))
    assert [str(row.id) for row in rows] == hazard_ids
    history = await history_rows(session, body["id"])
    assert [(str(h.hazard_id), h.action, h.from_status, h.to_status) for h in history] == [
        (hid, "create", None, "open") for hid in hazard_ids
    ]
    assert {h.actor_id for h in history} == {actor.user_id}


@pytest.mark.parametrize("hazard_ids", [True, False], ids=["client-hazard-ids", "server-hazard-ids"])
async def test_simultaneous_identical_posts_store_once(
    client: httpx.AsyncClient, world: World, session: AsyncSession, hazard_ids: bool
) -> None:
    body = _body(world, hazard_ids)
    responses = await _storm(client, world.admin, [body] * DUPLICATES)
    await _assert_stored_once(session, body, responses, world.admin)


async def test_simultaneous_posts_by_a_linked_inspector(
    client: httpx.AsyncClient, world: World, make_actor: ActorFactory, session: AsyncSession
) -> None:
    inspector = await linked_inspector(client, make_actor, world.admin, world.o1["id"])
    body = _body(world, hazard_ids=True)
    responses = await _storm(client, inspector, [body] * DUPLICATES)
    await _assert_stored_once(session, body, responses, inspector)


async def test_simultaneous_conflicting_posts(client: httpx.AsyncClient, world: World, session: AsyncSession) -> None:
    """Half the duplicates carry another summary: one version wins (201), its twins are 200, the others 409."""
    body = _body(world, hazard_ids=True)
    other = {**body, "summary": "另一版本"}
    bodies = [body if i % 2 == 0 else other for i in range(DUPLICATES)]
    responses = await _storm(client, world.admin, bodies)
    assert all(r.status_code in (200, 201, 409) for r in responses), [(r.status_code, r.text) for r in responses]
    assert [r.status_code for r in responses].count(201) == 1
    winner = next(b for b, r in zip(bodies, responses, strict=True) if r.status_code == 201)
    for b, r in zip(bodies, responses, strict=True):
        assert r.status_code in ((200, 201) if b is winner else (409,)), r.text
    assert await counts(session) == {"inspections": 1, "officers": 2, "hazards": 3, "history": 3}
    got = await client.get(f"{URL}/{body['id']}", headers=world.admin.headers)
    assert got.json()["summary"] == winner["summary"]


async def test_simultaneous_posts_of_different_inspections_all_succeed(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    bodies = [_body(world, hazard_ids=i % 2 == 0) for i in range(16)]
    responses = await _storm(client, world.admin, bodies)
    assert [r.status_code for r in responses] == [201] * 16, [r.text for r in responses if r.status_code != 201]
    assert await counts(session) == {"inspections": 16, "officers": 32, "hazards": 48, "history": 48}
