"""POST /inspections by role: viewers never, inspectors only for inspections their linked officer takes
part in, supervisors and admins inside their region."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import Role
from tests.conftest import OTHER_REGION, OWN_REGION, Actor, ActorFactory
from tests.inspections.helpers import URL, World, counts, create, linked_inspector, make_world, post
from tests.officers.helpers import assert_problem, create_officer, link_officer

NOTHING = {"inspections": 0, "officers": 0, "hazards": 0, "history": 0}


@pytest.fixture
async def world(client: httpx.AsyncClient, admin: Actor) -> World:
    return await make_world(client, admin)


async def test_viewer_may_not_record(
    client: httpx.AsyncClient, world: World, make_actor: ActorFactory, session: AsyncSession
) -> None:
    viewer = await make_actor(Role.viewer, OWN_REGION)
    problem = assert_problem(await post(client, viewer, world.body()), 403)
    assert "viewer" in problem["detail"]
    assert await counts(session) == NOTHING


@pytest.mark.parametrize("position", [0, 1])
async def test_inspector_taking_part_records(
    client: httpx.AsyncClient, world: World, make_actor: ActorFactory, session: AsyncSession, position: int
) -> None:
    own = [world.o1, world.o2][position]
    inspector = await linked_inspector(client, make_actor, world.admin, own["id"])
    record = await create(client, inspector, world.body())
    assert record["created_by"] == inspector.username
    assert record["officer_ids"] == [world.o1["id"], world.o2["id"]]
    assert (await counts(session))["inspections"] == 1
    got = await client.get(f"{URL}/{record['id']}", headers=inspector.headers)
    assert got.status_code == 200 and got.json() == record


async def test_inspector_not_listed_is_403(
    client: httpx.AsyncClient, world: World, make_actor: ActorFactory, session: AsyncSession
) -> None:
    bystander = await create_officer(client, world.admin.headers, name="旁观者")
    inspector = await linked_inspector(client, make_actor, world.admin, bystander["id"])
    problem = assert_problem(await post(client, inspector, world.body()), 403)
    assert "part" in problem["detail"]
    assert await counts(session) == NOTHING


async def test_inspector_without_linked_officer_is_403(
    client: httpx.AsyncClient, world: World, make_actor: ActorFactory, session: AsyncSession
) -> None:
    inspector = await linked_inspector(client, make_actor, world.admin, None)
    problem = assert_problem(await post(client, inspector, world.body()), 403)
    assert "linked" in problem["detail"]
    assert await counts(session) == NOTHING


async def test_unlinking_an_inspector_takes_the_right_away(
    client: httpx.AsyncClient, world: World, make_actor: ActorFactory
) -> None:
    inspector = await linked_inspector(client, make_actor, world.admin, world.o1["id"])
    await create(client, inspector, world.body(hazards=[]))
    await link_officer(client, world.admin.headers, inspector.user_id, None)
    assert_problem(await post(client, inspector, world.body(inspected_on="2023-05-05", hazards=[])), 403)


async def test_inspector_listed_but_rules_still_apply(
    client: httpx.AsyncClient, world: World, make_actor: ActorFactory
) -> None:
    suspended = await create_officer(client, world.admin.headers, certificate_status="suspended")
    inspector = await linked_inspector(client, make_actor, world.admin, world.o1["id"])
    r = await post(client, inspector, world.body(officer_ids=[world.o1["id"], suspended["id"]]))
    assert_problem(r, 422, ["body", "officer_ids", 1])


@pytest.mark.parametrize(
    ("role", "region"),
    [
        (Role.supervisor, OWN_REGION),
        (Role.admin, OWN_REGION),
        (Role.supervisor, "50"),
        (Role.admin, ""),
    ],
)
async def test_supervisor_and_admin_record(
    client: httpx.AsyncClient, world: World, make_actor: ActorFactory, session: AsyncSession, role: Role, region: str
) -> None:
    actor = await make_actor(role, region)
    record = await create(client, actor, world.body())
    assert record["created_by"] == actor.username
    assert await counts(session) == {"inspections": 1, "officers": 2, "hazards": 2, "history": 2}


@pytest.mark.parametrize("role", [Role.supervisor, Role.admin])
async def test_manager_of_another_region_is_422_on_the_institution(
    client: httpx.AsyncClient, world: World, make_actor: ActorFactory, session: AsyncSession, role: Role
) -> None:
    wanzhou = await make_actor(role, OTHER_REGION)
    problem = assert_problem(await post(client, wanzhou, world.body()), 422, ["body", "institution_id"])
    # The officers of 500240 are outside its region too.
    assert ["body", "officer_ids", 0] in [e["loc"] for e in problem["errors"]]
    assert await counts(session) == NOTHING
    # Its own officers do not help: the institution stays out of reach.
    o3 = await create_officer(client, world.admin.headers, region_code=OTHER_REGION)
    o4 = await create_officer(client, world.admin.headers, region_code=OTHER_REGION, name="万州二")
    problem = assert_problem(
        await post(client, wanzhou, world.body(officer_ids=[o3["id"], o4["id"]])), 422, ["body", "institution_id"]
    )
    assert [e["loc"] for e in problem["errors"]] == [["body", "institution_id"]]
    assert await counts(session) == NOTHING


async def test_api_key_supervisor_records(client: httpx.AsyncClient, world: World) -> None:
    r = await client.post(
        "/api/v1/api-keys",
        json={"name": "外勤终端", "role": "supervisor", "region_code": OWN_REGION},
        headers=world.admin.headers,
    )
    assert r.status_code == 201, r.text
    key_headers = {"Authorization": f"Bearer {r.json()['key']}"}
    created = await client.post(URL, json=world.body(), headers=key_headers)
    assert created.status_code == 201, created.text
    assert created.json()["created_by"] == "外勤终端"
