"""PUT and GET /regions/{region_code}: naming a region, inside the admin's region only."""

from __future__ import annotations

import httpx
import pytest

from app.auth.models import Role
from tests.conftest import OTHER_REGION, OWN_REGION, Actor, ActorFactory
from tests.problems import error_locs, problem_of

URL = "/api/v1/regions"


async def test_put_creates_then_renames(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    county_admin = await make_actor(Role.admin, OWN_REGION)
    h = county_admin.headers
    r = await client.put(f"{URL}/500240001", json={"name": "南宾街道"}, headers=h)
    assert r.status_code == 201, r.text
    assert r.headers["location"] == "/api/v1/regions/500240001"
    created = r.json()
    assert (created["code"], created["name"], created["parent_code"]) == ("500240001", "南宾街道", "500240")

    r = await client.put(f"{URL}/500240001", json={"name": "南宾街道"}, headers=h)
    assert (r.status_code, r.json()["name"]) == (200, "南宾街道")  # idempotent
    r = await client.put(f"{URL}/500240001", json={"name": " 南宾街道办事处 "}, headers=h)
    assert (r.status_code, r.json()["name"]) == (200, "南宾街道办事处")  # renamed, trimmed

    r = await client.get(f"{URL}/500240001", headers=h)
    assert r.status_code == 200
    assert (r.json()["name"], r.json()["parent_code"]) == ("南宾街道办事处", "500240")
    # The admin may name its own region; its parent may lie outside (a reference, not a write there).
    r = await client.put(f"{URL}/{OWN_REGION}", json={"name": "石柱土家族自治县"}, headers=h)
    assert (r.status_code, r.json()["parent_code"]) == (201, "5002")
    listed = (await client.get(URL, headers=h)).json()["items"]
    assert [(i["code"], i["name"]) for i in listed] == [("500240", "石柱土家族自治县"), ("500240001", "南宾街道办事处")]


async def test_explicit_parent(client: httpx.AsyncClient, admin: Actor) -> None:
    r = await client.put(f"{URL}/500240", json={"name": "石柱土家族自治县", "parent_code": "50"}, headers=admin.headers)
    assert (r.status_code, r.json()["parent_code"]) == (201, "50")
    r = await client.put(f"{URL}/50", json={"name": "重庆市"}, headers=admin.headers)
    assert (r.status_code, r.json()["parent_code"]) == (201, None)  # a province has no parent


async def test_put_needs_an_admin_of_the_region(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    body = {"name": "南宾街道"}
    problem_of(await client.put(f"{URL}/500240001", json=body), 401)
    for role in (Role.viewer, Role.inspector, Role.supervisor):
        actor = await make_actor(role, OWN_REGION)
        problem_of(await client.put(f"{URL}/500240001", json=body, headers=actor.headers), 403)
    county_admin = await make_actor(Role.admin, OWN_REGION)
    for code in (f"{OTHER_REGION}001", "5002", "50"):  # another county, and the levels above its own
        problem = problem_of(await client.put(f"{URL}/{code}", json=body, headers=county_admin.headers), 403)
        assert code in problem["detail"]
    national = await make_actor(Role.admin, "")
    listed = (await client.get(URL, headers=national.headers)).json()["items"]
    assert listed == [], "nothing was written by the refused calls"


@pytest.mark.parametrize(
    ("code", "body", "loc", "says"),
    [
        ("5002401", {"name": "南宾街道"}, ["path", "region_code"], "2, 4, 6, 9 or 12 digits"),
        ("500000", {"name": "重庆市"}, ["path", "region_code"], "50"),
        ("500240001000", {"name": "南宾街道"}, ["path", "region_code"], "500240001"),
        ("5002a0", {"name": "南宾街道"}, ["path", "region_code"], ""),
        ("500240001", {"name": ""}, ["body", "name"], ""),
        ("500240001", {"name": "长" * 101}, ["body", "name"], ""),
        ("500240001", {}, ["body", "name"], ""),
        ("500240001", {"name": "南宾街道", "parent_code": "500101"}, ["body", "parent_code"], "starts with"),
        ("500240001", {"name": "南宾街道", "parent_code": "500240001"}, ["body", "parent_code"], "shorter"),
        ("500240001", {"name": "南宾街道", "parent_code": "5002400"}, ["body", "parent_code"], "digits"),
        ("500240001", {"name": "南宾街道", "level": "township"}, ["body", "level"], ""),
        ("500240001", {"name": "南宾\u0000街道"}, ["body", "name"], ""),
    ],
)
async def test_put_bad_input_is_422(
    client: httpx.AsyncClient, admin: Actor, code: str, body: dict[str, str], loc: list[str], says: str
) -> None:
    problem = problem_of(await client.put(f"{URL}/{code}", json=body, headers=admin.headers), 422)
    assert loc in error_locs(problem)
    assert says in problem["detail"]
    assert (await client.get(URL, headers=admin.headers)).json()["items"] == []


async def test_sibling_names_are_unique(client: httpx.AsyncClient, admin: Actor) -> None:
    h = admin.headers
    assert (await client.put(f"{URL}/500240001", json={"name": "南宾街道"}, headers=h)).status_code == 201
    problem = problem_of(await client.put(f"{URL}/500240099", json={"name": "南宾街道"}, headers=h), 409)
    assert error_locs(problem) == [["body", "name"]] and "500240001" in problem["detail"]
    problem_of(await client.get(f"{URL}/500240099", headers=h), 404)
    # The same name under another parent is another place.
    assert (await client.put(f"{URL}/500101001", json={"name": "南宾街道"}, headers=h)).status_code == 201
    # Renaming a region to its own name is no clash.
    assert (await client.put(f"{URL}/500240001", json={"name": "南宾街道"}, headers=h)).status_code == 200


async def test_other_region_reads_as_not_found(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory
) -> None:
    await client.put(f"{URL}/{OTHER_REGION}", json={"name": "万州区"}, headers=admin.headers)
    viewer = await make_actor(Role.viewer, OWN_REGION)
    problem_of(await client.get(f"{URL}/{OTHER_REGION}", headers=viewer.headers), 404)
    problem_of(await client.get(f"{URL}/500240", headers=viewer.headers), 404)  # not registered
    problem_of(await client.get(f"{URL}/{OTHER_REGION}"), 401)
    assert (await client.get(f"{URL}/{OTHER_REGION}", headers=admin.headers)).json()["name"] == "万州区"
    problem = problem_of(await client.get(f"{URL}/5002401234567", headers=admin.headers), 422)  # 13 digits
    assert error_locs(problem) == [["path", "region_code"]]
    for r in (
        await client.get(f"{URL}/5002x", headers=admin.headers),
        await client.put(f"{URL}/5002x", json={"name": "x"}, headers=admin.headers),
    ):
        assert error_locs(problem_of(r, 422)) == [["path", "region_code"]]
    r = await client.get(f"{URL}/import", headers=admin.headers)  # the import is POST only
    assert (r.status_code, r.headers.get("allow")) == (405, "POST")
