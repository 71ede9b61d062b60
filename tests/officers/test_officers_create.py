"""POST /officers: who may create, validation, certificate uniqueness and replay by client id."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import Role
from app.officers.models import Officer
from tests.conftest import OTHER_REGION, OWN_REGION, Actor, ActorFactory
from tests.officers.helpers import OFFICERS_URL, assert_problem, create_officer, fetch_all, officer_body


async def _count(session: AsyncSession) -> int:
    rows = await fetch_all(session, select(func.count()).select_from(Officer))
    return int(rows[0][0])


async def test_create_answers_201_with_location_and_stored_record(
    client: httpx.AsyncClient, admin: Actor, session: AsyncSession
) -> None:
    body = officer_body(name="  冉华 ", unit="殡葬事务中心", certificate_status="valid")
    r = await client.post(OFFICERS_URL, json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    created = r.json()
    assert r.headers["location"] == f"{OFFICERS_URL}/{created['id']}"
    assert created["name"] == "冉华"  # surrounding blanks are not part of a name
    assert created["unit"] == "殡葬事务中心"
    assert created["region_code"] == OWN_REGION
    assert created["certificate_no"] == body["certificate_no"]
    assert created["certificate_issued_on"] == "2020-01-01"
    assert created["certificate_expires_on"] == "2030-12-31"
    assert created["certificate_status"] == "valid"
    assert "create_fingerprint" not in created
    got = await client.get(r.headers["location"], headers=admin.headers)
    assert got.status_code == 200
    assert got.json() == created
    rows = await fetch_all(
        session,
        select(Officer.name, Officer.certificate_no, Officer.region_code).where(Officer.id == uuid.UUID(created["id"])),
    )
    assert [tuple(row) for row in rows] == [("冉华", body["certificate_no"], OWN_REGION)]


async def test_minimal_body_defaults(client: httpx.AsyncClient, admin: Actor) -> None:
    r = await client.post(
        OFFICERS_URL, json={"name": "马芳", "unit": "社会福利中心", "region_code": OWN_REGION}, headers=admin.headers
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["certificate_no"] is None
    assert created["certificate_issued_on"] is None and created["certificate_expires_on"] is None
    assert created["certificate_status"] == "valid"
    assert created["certified"] is False  # no certificate, no enforcement


async def test_without_credentials_is_401(client: httpx.AsyncClient, clean_db: object) -> None:
    assert_problem(await client.post(OFFICERS_URL, json=officer_body()), 401)
    bad = {"Authorization": "Bearer not-a-token"}
    assert_problem(await client.post(OFFICERS_URL, json=officer_body(), headers=bad), 401)


@pytest.mark.parametrize("role", [Role.viewer, Role.inspector])
async def test_viewer_and_inspector_may_not_create(
    client: httpx.AsyncClient, make_actor: ActorFactory, session: AsyncSession, role: Role
) -> None:
    actor = await make_actor(role, OWN_REGION)
    assert_problem(await client.post(OFFICERS_URL, json=officer_body(), headers=actor.headers), 403)
    assert await _count(session) == 0


@pytest.mark.parametrize("role", [Role.supervisor, Role.admin])
async def test_regional_manager_creates_inside_its_region(
    client: httpx.AsyncClient, make_actor: ActorFactory, role: Role
) -> None:
    actor = await make_actor(role, OWN_REGION)
    r = await client.post(OFFICERS_URL, json=officer_body(region_code=f"{OWN_REGION}001"), headers=actor.headers)
    assert r.status_code == 201, r.text
    assert r.json()["region_code"] == f"{OWN_REGION}001"


@pytest.mark.parametrize("region_code", [OTHER_REGION, "50"])
async def test_supervisor_may_not_create_outside_its_region(
    client: httpx.AsyncClient, make_actor: ActorFactory, session: AsyncSession, region_code: str
) -> None:
    supervisor = await make_actor(Role.supervisor, OWN_REGION)
    r = await client.post(OFFICERS_URL, json=officer_body(region_code=region_code), headers=supervisor.headers)
    problem = assert_problem(r, 403)
    assert region_code in problem["detail"]
    assert await _count(session) == 0


@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        ({"name": ...}, ["body", "name"]),
        ({"name": "   "}, ["body", "name"]),
        ({"unit": ...}, ["body", "unit"]),
        ({"region_code": ...}, ["body", "region_code"]),
        ({"region_code": "5002a0"}, ["body", "region_code"]),
        ({"certificate_status": "expired"}, ["body", "certificate_status"]),
        ({"certificate_issued_on": "2020-02-30"}, ["body", "certificate_issued_on"]),
        ({"certificate_no": ""}, ["body", "certificate_no"]),
        ({"rank": "科员"}, ["body", "rank"]),
    ],
)
async def test_invalid_body_is_422_naming_the_field(
    client: httpx.AsyncClient, admin: Actor, session: AsyncSession, overrides: dict[str, Any], loc: list[str | int]
) -> None:
    r = await client.post(OFFICERS_URL, json=officer_body(**overrides), headers=admin.headers)
    assert_problem(r, 422, loc)
    assert await _count(session) == 0


async def test_malformed_json_is_422(client: httpx.AsyncClient, admin: Actor) -> None:
    r = await client.post(
        OFFICERS_URL, content='{"name": "谭明",'.encode(), headers={**admin.headers, "Content-Type": "application/json"}
    )
    problem = assert_problem(r, 422)
    assert problem["errors"], problem


async def test_expiry_before_issue_is_422_on_create(
    client: httpx.AsyncClient, admin: Actor, session: AsyncSession
) -> None:
    body = officer_body(certificate_issued_on="2024-03-01", certificate_expires_on="2024-02-29")
    problem = assert_problem(
        await client.post(OFFICERS_URL, json=body, headers=admin.headers), 422, ["body", "certificate_expires_on"]
    )
    assert "certificate_issued_on" in problem["detail"]
    assert await _count(session) == 0
    same_day = officer_body(certificate_issued_on="2024-03-01", certificate_expires_on="2024-03-01")
    assert (await client.post(OFFICERS_URL, json=same_day, headers=admin.headers)).status_code == 201


async def test_duplicate_certificate_no_is_409_naming_it(
    client: httpx.AsyncClient, admin: Actor, session: AsyncSession
) -> None:
    first = await create_officer(client, admin.headers, certificate_no="渝执法500240001")
    r = await client.post(
        OFFICERS_URL, json=officer_body(name="冉华", certificate_no="  渝执法500240001 "), headers=admin.headers
    )
    problem = assert_problem(r, 409, ["body", "certificate_no"])
    assert "渝执法500240001" in problem["detail"]
    rows = await fetch_all(session, select(Officer.id).where(Officer.certificate_no == "渝执法500240001"))
    assert [str(row.id) for row in rows] == [first["id"]]


async def test_officers_without_certificate_do_not_collide(
    client: httpx.AsyncClient, admin: Actor, session: AsyncSession
) -> None:
    await create_officer(client, admin.headers, certificate_no=None)
    await create_officer(client, admin.headers, certificate_no=...)
    assert await _count(session) == 2


async def test_replay_with_client_id(client: httpx.AsyncClient, admin: Actor, session: AsyncSession) -> None:
    body = officer_body(id=str(uuid.uuid4()))
    first = await client.post(OFFICERS_URL, json=body, headers=admin.headers)
    assert first.status_code == 201, first.text
    assert first.json()["id"] == body["id"]
    again = await client.post(OFFICERS_URL, json=body, headers=admin.headers)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert again.headers["location"] == f"{OFFICERS_URL}/{body['id']}"
    # Omitting a defaulted field is the same request as sending its default.
    explicit = {**body, "certificate_status": "valid"}
    assert (await client.post(OFFICERS_URL, json=explicit, headers=admin.headers)).status_code == 200
    different = await client.post(OFFICERS_URL, json={**body, "unit": "殡葬事务中心"}, headers=admin.headers)
    problem = assert_problem(different, 409, ["body", "id"], named=False)
    assert body["id"] in problem["detail"]
    assert await _count(session) == 1
    stored = await client.get(f"{OFFICERS_URL}/{body['id']}", headers=admin.headers)
    assert stored.json()["unit"] == "社会福利中心"


async def test_replay_answers_the_record_as_it_is_now(client: httpx.AsyncClient, admin: Actor) -> None:
    body = officer_body(id=str(uuid.uuid4()))
    assert (await client.post(OFFICERS_URL, json=body, headers=admin.headers)).status_code == 201
    r = await client.patch(
        f"{OFFICERS_URL}/{body['id']}", json={"certificate_status": "suspended"}, headers=admin.headers
    )
    assert r.status_code == 200, r.text
    again = await client.post(OFFICERS_URL, json=body, headers=admin.headers)
    assert again.status_code == 200, again.text
    assert again.json()["certificate_status"] == "suspended"
    assert again.json()["certified"] is False
