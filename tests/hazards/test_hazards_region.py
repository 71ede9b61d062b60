"""hazards.region_code (issue 21): every create stores the institution's region, a change of the institution's
region takes its hazards along, and the region-scoped list pages through the region's hazards (its own code and
the codes below it) to exactly the rows and order the rule gives."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from app.auth.models import Role
from app.db.session import Database
from tests import factories
from tests.conftest import OTHER_REGION, OWN_REGION, Actor, ActorFactory
from tests.hazards.helpers import API, stored_regions

SUB_REGION = OWN_REGION + "101"  # a township inside the county


def _hazards(n: int) -> list[dict[str, Any]]:
    return [{"category": "fire_safety", "severity": "general", "description": f"问题{i}"} for i in range(n)]


async def _list_ids(client: httpx.AsyncClient, actor: Actor, **params: str) -> list[str]:
    r = await client.get(f"{API}/hazards", params={"limit": "100", **params}, headers=actor.headers)
    assert r.status_code == 200, r.text
    assert r.json()["next_cursor"] is None
    return [i["id"] for i in r.json()["items"]]


async def _walk(client: httpx.AsyncClient, actor: Actor, limit: int, **params: str) -> list[str]:
    """Every page of the list from the first, following next_cursor."""
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(100):
        query = {"limit": str(limit), **params, **({"cursor": cursor} if cursor else {})}
        r = await client.get(f"{API}/hazards", params=query, headers=actor.headers)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= limit
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("the walk did not end")


async def test_every_create_stores_the_institutions_region(
    client: httpx.AsyncClient, admin: Actor, db: Database
) -> None:
    h = admin.headers
    officers = [(await factories.officer(client, h))["id"] for _ in range(2)]
    expected: dict[str, str] = {}
    for region in (OWN_REGION, SUB_REGION, OTHER_REGION):
        inst = (await factories.institution(client, h, region_code=region))["id"]
        body = factories.inspection_body(inst, officers)
        r = await client.post(f"{API}/inspections", json=body, headers=h)  # POST /inspections, nested hazards
        assert r.status_code == 201, r.text
        expected |= {item["id"]: region for item in r.json()["hazards"]}
        added = await client.post(  # POST /inspections/{id}/hazards
            f"{API}/inspections/{r.json()['id']}/hazards", json=_hazards(1)[0], headers=h
        )
        assert added.status_code == 201, added.text
        expected[added.json()["id"]] = region
    assert await stored_regions(db) == expected


async def test_a_hazard_moves_with_its_institution(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory, db: Database
) -> None:
    h = admin.headers
    officers = [(await factories.officer(client, h))["id"] for _ in range(2)]
    moving = (await factories.institution(client, h))["id"]
    staying = (await factories.institution(client, h))["id"]
    moved = await factories.inspect(client, h, moving, officers, "2023-05-04", _hazards(2))
    stayed = await factories.inspect(client, h, staying, officers, "2023-05-04", _hazards(1))
    county = await make_actor(Role.viewer, OWN_REGION)
    elsewhere = await make_actor(Role.viewer, OTHER_REGION)
    assert sorted(await _list_ids(client, county)) == sorted(moved + stayed)
    assert await _list_ids(client, elsewhere) == []

    r = await client.patch(f"{API}/institutions/{moving}", json={"name": "改名敬老院"}, headers=h)
    assert r.status_code == 200, r.text  # a change that keeps the region moves nothing
    assert set((await stored_regions(db)).values()) == {OWN_REGION}

    before = (await client.get(f"{API}/hazards/{moved[0]}", headers=h)).json()
    r = await client.patch(f"{API}/institutions/{moving}", json={"region_code": OTHER_REGION}, headers=h)
    assert r.status_code == 200, r.text
    regions = await stored_regions(db)
    assert {k: regions[k] for k in moved} == dict.fromkeys(moved, OTHER_REGION)
    assert {k: regions[k] for k in stayed} == dict.fromkeys(stayed, OWN_REGION)
    assert await _list_ids(client, county) == stayed
    assert sorted(await _list_ids(client, elsewhere)) == sorted(moved)
    assert await _list_ids(client, admin, region_code=OWN_REGION) == stayed
    assert sorted(await _list_ids(client, admin, region_code=OTHER_REGION)) == sorted(moved)
    assert (await client.get(f"{API}/hazards/{moved[0]}", headers=county.headers)).status_code == 404
    after = await client.get(f"{API}/hazards/{moved[0]}", headers=elsewhere.headers)
    assert after.status_code == 200
    assert after.json()["updated_at"] == before["updated_at"]  # the hazard itself did not change


async def test_the_cursor_walk_through_a_region_gives_each_hazard_once_in_order(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory
) -> None:
    """Hazards of the county's own code and of a township below it interleave in the order (and share dates),
    with another county's in between: every page size walks to the same rows as the order rule."""
    h = admin.headers
    officers = [(await factories.officer(client, h))["id"] for _ in range(2)]
    inst = {
        region: (await factories.institution(client, h, region_code=region))["id"]
        for region in (OWN_REGION, SUB_REGION, OTHER_REGION)
    }
    found: dict[str, tuple[str, str]] = {}  # hazard id -> (found_on, region)
    plan = [OWN_REGION, SUB_REGION, OTHER_REGION, SUB_REGION, OWN_REGION, OWN_REGION, SUB_REGION, OTHER_REGION]
    for day, region in enumerate(plan):
        on = f"2023-05-{1 + day // 2:02d}"  # two inspections a day: ties on found_on, broken by id
        for hazard_id in await factories.inspect(client, h, inst[region], officers, on, _hazards(1 + day % 3)):
            found[hazard_id] = (on, region)

    def expected(prefix: str) -> list[str]:
        ids = [k for k, (_, region) in found.items() if region.startswith(prefix)]
        return sorted(ids, key=lambda k: (found[k][0], uuid.UUID(k)), reverse=True)

    county = await make_actor(Role.viewer, OWN_REGION)
    assert len(expected(OWN_REGION)) > len(expected(SUB_REGION)) > 0
    for limit in (1, 2, 3, 5, 50):
        assert await _walk(client, admin, limit, region_code=OWN_REGION) == expected(OWN_REGION)
        assert await _walk(client, county, limit) == expected(OWN_REGION)
        assert await _walk(client, county, limit, region_code=SUB_REGION) == expected(SUB_REGION)
        assert await _walk(client, admin, limit, region_code=OTHER_REGION) == expected(OTHER_REGION)
        assert await _walk(client, admin, limit) == expected("")
    assert await _walk(client, admin, 2, region_code="5002") == expected(OWN_REGION)  # a prefix of the county
