"""Replay by client id (offline field apps): the same request answers 200 with the record as it is now,
different content is 409, and nested hazard ids count too. Sequential requests only; concurrent
duplicates are in test_inspections_concurrency.py."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Actor, ActorFactory
from tests.inspections.helpers import (
    URL,
    World,
    counts,
    create,
    hazard,
    history_rows,
    linked_inspector,
    make_world,
    post,
)
from tests.officers.helpers import assert_problem, create_officer


@pytest.fixture
async def world(client: httpx.AsyncClient, admin: Actor) -> World:
    return await make_world(client, admin)


def _with_ids(world: World, **overrides: Any) -> dict[str, Any]:
    """A body with a client id and client hazard ids."""
    body = world.body(id=str(uuid.uuid4()), **overrides)
    for h in body["hazards"]:
        h["id"] = str(uuid.uuid4())
    return body


async def test_replay_answers_200_with_the_same_record(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    body = _with_ids(world)
    first = await post(client, world.admin, body)
    assert first.status_code == 201, first.text
    assert first.json()["id"] == body["id"]
    assert first.headers["location"] == f"{URL}/{body['id']}"
    again = await post(client, world.admin, body)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert again.headers["location"] == f"{URL}/{body['id']}"
    assert await counts(session) == {"inspections": 1, "officers": 2, "hazards": 2, "history": 2}


async def test_replay_without_hazard_ids_does_not_duplicate_hazards(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    body = world.body(id=str(uuid.uuid4()))
    first = await create(client, world.admin, body)
    for _ in range(3):
        again = await post(client, world.admin, body)
        assert again.status_code == 200, again.text
        assert [h["id"] for h in again.json()["hazards"]] == [h["id"] for h in first["hazards"]]
    assert await counts(session) == {"inspections": 1, "officers": 2, "hazards": 2, "history": 2}


async def test_replay_answers_the_record_as_it_is_now(client: httpx.AsyncClient, world: World) -> None:
    body = _with_ids(world)
    await create(client, world.admin, body)
    patched = await client.patch(f"{URL}/{body['id']}", json={"summary": "复查后更正"}, headers=world.admin.headers)
    assert patched.status_code == 200, patched.text
    again = await post(client, world.admin, body)
    assert again.status_code == 200, again.text
    assert again.json()["summary"] == "复查后更正"
    assert again.json() == patched.json()
    # The original content is still the one that counts: the patched summary as a "replay" is a conflict.
    assert_problem(await post(client, world.admin, {**body, "summary": "复查后更正"}), 409, ["body", "id"], named=False)


@pytest.mark.parametrize(
    "change",
    [
        {"summary": "另一份记录"},
        {"type": "special"},
        {"inspected_on": "2023-05-05"},
        {"campaign": "安全生产月"},
        {"hazards": []},
    ],
)
async def test_different_content_is_409(
    client: httpx.AsyncClient, world: World, session: AsyncSession, change: dict[str, Any]
) -> None:
    body = _with_ids(world)
    first = await create(client, world.admin, body)
    problem = assert_problem(await post(client, world.admin, {**body, **change}), 409, ["body", "id"], named=False)
    assert body["id"] in problem["detail"]
    got = await client.get(f"{URL}/{body['id']}", headers=world.admin.headers)
    assert got.json() == first
    assert (await counts(session))["inspections"] == 1


async def test_different_officers_or_order_is_409(client: httpx.AsyncClient, world: World) -> None:
    body = _with_ids(world)
    await create(client, world.admin, body)
    swapped = {**body, "officer_ids": list(reversed(body["officer_ids"]))}
    assert_problem(await post(client, world.admin, swapped), 409, ["body", "id"], named=False)
    o3 = await create_officer(client, world.admin.headers, name="马芳")
    more = {**body, "officer_ids": [*body["officer_ids"], o3["id"]]}
    assert_problem(await post(client, world.admin, more), 409, ["body", "id"], named=False)


async def test_omitted_optional_fields_equal_their_defaults(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    hazards = [hazard("消防通道堆放杂物")]
    omitted = world.body(id=str(uuid.uuid4()), summary=..., hazards=hazards)
    assert "campaign" not in omitted and "summary" not in omitted
    await create(client, world.admin, omitted)
    explicit = {
        **omitted,
        "campaign": None,
        "summary": None,
        "hazards": [{**hazards[0], "id": None, "legal_basis": None, "due_on": None}],
    }
    again = await post(client, world.admin, explicit)
    assert again.status_code == 200, again.text
    # And the other way round: no hazards at all vs an empty list.
    bare = world.body(id=str(uuid.uuid4()), hazards=..., inspected_on="2023-05-05")
    await create(client, world.admin, bare)
    again = await post(client, world.admin, {**bare, "hazards": []})
    assert again.status_code == 200, again.text
    assert await counts(session) == {"inspections": 2, "officers": 4, "hazards": 1, "history": 1}


async def test_replay_by_an_inspector_taking_part(
    client: httpx.AsyncClient, world: World, make_actor: ActorFactory, session: AsyncSession
) -> None:
    inspector = await linked_inspector(client, make_actor, world.admin, world.o1["id"])
    body = _with_ids(world)
    first = await create(client, inspector, body)
    again = await post(client, inspector, body)
    assert again.status_code == 200 and again.json() == first
    assert (await counts(session))["inspections"] == 1


async def test_hazard_id_used_by_another_inspection_is_409(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    first = _with_ids(world)
    await create(client, world.admin, first)
    taken = first["hazards"][0]["id"]
    second = _with_ids(world, inspected_on="2023-05-06")
    second["hazards"][1]["id"] = taken
    problem = assert_problem(await post(client, world.admin, second), 409, ["body", "hazards", 1, "id"], named=False)
    assert taken in problem["detail"]
    assert await counts(session) == {"inspections": 1, "officers": 2, "hazards": 2, "history": 2}
    assert (await client.get(f"{URL}/{second['id']}", headers=world.admin.headers)).status_code == 404
    # With a fresh hazard id the same inspection goes through.
    second["hazards"][1]["id"] = str(uuid.uuid4())
    assert (await post(client, world.admin, second)).status_code == 201


async def test_same_hazard_id_twice_in_one_request_is_422(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    body = _with_ids(world)
    body["hazards"][1]["id"] = body["hazards"][0]["id"]
    assert_problem(await post(client, world.admin, body), 422, ["body", "hazards", 1, "id"])
    assert (await counts(session))["inspections"] == 0


async def test_same_id_with_a_hazard_added_is_409(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    body = _with_ids(world)
    first = await create(client, world.admin, body)
    grown = {**body, "hazards": [*body["hazards"], hazard("新增隐患", id=str(uuid.uuid4()))]}
    assert_problem(await post(client, world.admin, grown), 409, ["body", "id"], named=False)
    # A hazard changed in place is different content too.
    edited = {**body, "hazards": [{**body["hazards"][0], "severity": "major"}, body["hazards"][1]]}
    assert_problem(await post(client, world.admin, edited), 409, ["body", "id"], named=False)
    got = (await client.get(f"{URL}/{body['id']}", headers=world.admin.headers)).json()
    assert [h["id"] for h in got["hazards"]] == [h["id"] for h in first["hazards"]]
    assert await counts(session) == {"inspections": 1, "officers": 2, "hazards": 2, "history": 2}
    rows = await history_rows(session, body["id"])
    assert [r.action for r in rows] == ["create", "create"]
