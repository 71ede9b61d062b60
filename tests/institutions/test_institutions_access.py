"""Institutions: authentication, the role matrix and region scoping."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from app.auth.models import Role
from tests.conftest import OTHER_REGION, OWN_REGION, Actor, ActorFactory
from tests.institutions.helpers import URL, assert_problem, body, create

BAD_CREDENTIALS: list[dict[str, str]] = [
    {},
    {"Authorization": "Bearer not-a-token"},
    {"Authorization": "Bearer "},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": f"Bearer itk_{uuid.uuid4().hex}_forged-secret"},
]


def _assert_401(r: httpx.Response) -> None:
    assert_problem(r, 401)
    assert r.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("headers", BAD_CREDENTIALS, ids=["none", "garbage", "empty", "basic", "forged-key"])
async def test_every_operation_needs_credentials(
    client: httpx.AsyncClient, admin: Actor, headers: dict[str, str]
) -> None:
    stored = await create(client, admin.headers)
    item = f"{URL}/{stored['id']}"
    _assert_401(await client.post(URL, json=body(name="另一家"), headers=headers))
    _assert_401(await client.get(URL, headers=headers))
    _assert_401(await client.get(item, headers=headers))
    _assert_401(await client.patch(item, json={"name": "改名"}, headers=headers))
    # Nothing was written by the refused calls.
    r = await client.get(URL, headers=admin.headers)
    assert [i["name"] for i in r.json()["items"]] == [stored["name"]]


async def test_token_of_disabled_user_is_401(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    disabled = await make_actor(Role.admin, "", is_active=False)
    _assert_401(await client.get(URL, headers=disabled.headers))


@pytest.mark.parametrize("role", [Role.viewer, Role.inspector])
async def test_readers_may_not_write(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory, role: Role
) -> None:
    stored = await create(client, admin.headers)
    reader = await make_actor(role, OWN_REGION)
    assert_problem(await client.post(URL, json=body(name="新机构"), headers=reader.headers), 403)
    assert_problem(await client.post(URL, json=body(id=str(uuid.uuid4())), headers=reader.headers), 403)
    r = await client.patch(f"{URL}/{stored['id']}", json={"name": "改名"}, headers=reader.headers)
    assert_problem(r, 403)
    after = (await client.get(f"{URL}/{stored['id']}", headers=admin.headers)).json()
    assert after["name"] == stored["name"]
    listed = (await client.get(URL, headers=admin.headers)).json()["items"]
    assert len(listed) == 1


@pytest.mark.parametrize("role", list(Role))
async def test_every_role_reads_in_its_region(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory, role: Role
) -> None:
    stored = await create(client, admin.headers)
    actor = await make_actor(role, OWN_REGION)
    r = await client.get(URL, headers=actor.headers)
    assert r.status_code == 200, r.text
    assert [i["id"] for i in r.json()["items"]] == [stored["id"]]
    r = await client.get(f"{URL}/{stored['id']}", headers=actor.headers)
    assert r.status_code == 200, r.text
    assert r.json() == stored


@pytest.mark.parametrize(
    ("role", "region"),
    [(Role.admin, ""), (Role.admin, OWN_REGION), (Role.supervisor, OWN_REGION), (Role.supervisor, "50")],
)
async def test_managers_write_in_their_region(
    client: httpx.AsyncClient, make_actor: ActorFactory, role: Role, region: str
) -> None:
    actor = await make_actor(role, region)
    stored = await create(client, actor.headers, region_code=f"{OWN_REGION}001")
    r = await client.patch(f"{URL}/{stored['id']}", json={"beds": 40}, headers=actor.headers)
    assert r.status_code == 200, r.text
    assert r.json()["beds"] == 40


@pytest.fixture
async def other_institution(client: httpx.AsyncClient, admin: Actor) -> dict[str, Any]:
    return await create(client, admin.headers, name="万州区社会福利院", region_code=OTHER_REGION)


@pytest.fixture
async def supervisor(make_actor: ActorFactory) -> Actor:
    return await make_actor(Role.supervisor, OWN_REGION)


async def test_create_in_other_region_is_403(client: httpx.AsyncClient, supervisor: Actor, admin: Actor) -> None:
    r = await client.post(URL, json=body(region_code=OTHER_REGION), headers=supervisor.headers)
    problem = assert_problem(r, 403)
    assert OTHER_REGION in problem["detail"]
    # Wider than the caller's own scope is outside it too.
    assert_problem(await client.post(URL, json=body(region_code="50"), headers=supervisor.headers), 403)
    assert (await client.get(URL, headers=admin.headers)).json()["items"] == []


async def test_read_by_id_in_other_region_is_404(
    client: httpx.AsyncClient, supervisor: Actor, other_institution: dict[str, Any]
) -> None:
    r = await client.get(f"{URL}/{other_institution['id']}", headers=supervisor.headers)
    problem = assert_problem(r, 404)
    # Same answer as for an id that does not exist: existence is not revealed.
    missing = assert_problem(await client.get(f"{URL}/{uuid.uuid4()}", headers=supervisor.headers), 404)
    assert problem["title"] == missing["title"]


async def test_patch_in_other_region_is_404(
    client: httpx.AsyncClient, supervisor: Actor, admin: Actor, other_institution: dict[str, Any]
) -> None:
    r = await client.patch(f"{URL}/{other_institution['id']}", json={"name": "改名"}, headers=supervisor.headers)
    assert_problem(r, 404)
    after = (await client.get(f"{URL}/{other_institution['id']}", headers=admin.headers)).json()
    assert after["name"] == "万州区社会福利院"


async def test_patch_moving_record_out_of_region_is_403(
    client: httpx.AsyncClient, supervisor: Actor, admin: Actor
) -> None:
    stored = await create(client, supervisor.headers)
    r = await client.patch(f"{URL}/{stored['id']}", json={"region_code": OTHER_REGION}, headers=supervisor.headers)
    assert_problem(r, 403)
    after = (await client.get(f"{URL}/{stored['id']}", headers=admin.headers)).json()
    assert after["region_code"] == OWN_REGION


async def test_list_hides_other_regions(
    client: httpx.AsyncClient, supervisor: Actor, admin: Actor, other_institution: dict[str, Any]
) -> None:
    own = await create(client, admin.headers, name="石柱县社会福利院")
    r = await client.get(URL, headers=supervisor.headers)
    assert r.status_code == 200
    assert [i["id"] for i in r.json()["items"]] == [own["id"]]
    r = await client.get(URL, headers=admin.headers)
    assert {i["id"] for i in r.json()["items"]} == {own["id"], other_institution["id"]}


@pytest.mark.parametrize("region_filter", [OTHER_REGION, "50", "5", "5002", f"{OTHER_REGION}001"])
async def test_list_filter_outside_or_wider_is_403(
    client: httpx.AsyncClient, supervisor: Actor, other_institution: dict[str, Any], region_filter: str
) -> None:
    r = await client.get(URL, params={"region_code": region_filter}, headers=supervisor.headers)
    problem = assert_problem(r, 403)
    assert region_filter in problem["detail"]


async def test_list_filter_inside_region_is_200(
    client: httpx.AsyncClient, supervisor: Actor, admin: Actor, other_institution: dict[str, Any]
) -> None:
    county = await create(client, admin.headers, name="石柱县社会福利院", region_code=OWN_REGION)
    town = await create(client, admin.headers, name="南宾街道敬老院", region_code=f"{OWN_REGION}001")
    r = await client.get(URL, params={"region_code": f"{OWN_REGION}001"}, headers=supervisor.headers)
    assert r.status_code == 200, r.text
    assert [i["id"] for i in r.json()["items"]] == [town["id"]]
    r = await client.get(URL, params={"region_code": OWN_REGION}, headers=supervisor.headers)
    assert r.status_code == 200, r.text
    assert {i["id"] for i in r.json()["items"]} == {county["id"], town["id"]}
    r = await client.get(URL, params={"region_code": f"{OWN_REGION}002"}, headers=supervisor.headers)
    assert r.status_code == 200, r.text
    assert r.json()["items"] == []


async def _api_key(client: httpx.AsyncClient, admin: Actor, role: Role, region: str) -> dict[str, str]:
    r = await client.post(
        "/api/v1/api-keys", json={"name": f"{role} key", "role": role, "region_code": region}, headers=admin.headers
    )
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['key']}"}


async def test_api_keys_follow_the_same_rules(client: httpx.AsyncClient, admin: Actor) -> None:
    supervisor_key = await _api_key(client, admin, Role.supervisor, OTHER_REGION)
    viewer_key = await _api_key(client, admin, Role.viewer, OTHER_REGION)
    r = await client.post(
        URL, json=body(region_code=OTHER_REGION, name="万州区殡仪馆", kind="funeral"), headers=supervisor_key
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert_problem(await client.post(URL, json=body(), headers=supervisor_key), 403)
    assert_problem(await client.post(URL, json=body(region_code=OTHER_REGION), headers=viewer_key), 403)
    r = await client.get(URL, headers=viewer_key)
    assert [i["id"] for i in r.json()["items"]] == [created["id"]]
    assert_problem(await client.get(URL, params={"region_code": OWN_REGION}, headers=viewer_key), 403)
