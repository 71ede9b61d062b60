"""GET /escalations, GET /hazards/{hazard_id}/escalations, GET /follow-ups: 401, region scoping (403 / other
region's rows absent / 404), 422 naming the parameter, filters, pagination."""

from __future__ import annotations

import httpx
import pytest

from app.auth.models import Role
from app.core.config import Settings
from app.db.session import Database
from tests.conftest import OTHER_REGION, OWN_REGION, Actor, ActorFactory
from tests.deadlines.helpers import API, World, run_tick, world
from tests.factories import move
from tests.problems import error_locs


async def _two_regions(
    client: httpx.AsyncClient, admin: Actor, db: Database, settings: Settings
) -> tuple[World, World]:
    own = await world(client, admin.headers)
    other = await world(client, admin.headers, region_code=OTHER_REGION)
    await run_tick(db, settings, "2025-10-09")
    await run_tick(db, settings, "2025-10-14")
    return own, other


@pytest.mark.parametrize("path", ["/escalations", "/follow-ups"])
async def test_lists_need_credentials(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(f"{API}{path}")
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("role", [Role.viewer, Role.inspector, Role.supervisor])
async def test_every_role_reads_only_its_region(
    client: httpx.AsyncClient,
    admin: Actor,
    make_actor: ActorFactory,
    clean_db: Database,
    settings: Settings,
    role: Role,
) -> None:
    own, other = await _two_regions(client, admin, clean_db, settings)
    me = await make_actor(role, OWN_REGION)
    r = await client.get(f"{API}/escalations", headers=me.headers)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert {e["hazard_id"] for e in items} == {own.general, own.major}
    assert {e["region_code"] for e in items} == {OWN_REGION}
    assert (await client.get(f"{API}/hazards/{other.general}/escalations", headers=me.headers)).status_code == 404
    r = await client.get(f"{API}/escalations", params={"region_code": OTHER_REGION}, headers=me.headers)
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    r = await client.get(f"{API}/follow-ups", params={"region_code": "50"}, headers=me.headers)
    assert r.status_code == 403


async def test_filters_and_newest_first(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, settings: Settings
) -> None:
    own, other = await _two_regions(client, admin, clean_db, settings)
    r = await client.get(f"{API}/escalations", params={"level": "supervision"}, headers=admin.headers)
    items = r.json()["items"]
    assert [(e["hazard_id"], e["raised_on"]) for e in items if e["hazard_id"] in (own.general, own.major)] == [
        (own.general, "2025-10-14"),
        (own.major, "2025-10-09"),
    ]
    assert {e["level"] for e in items} == {"supervision"} and len(items) == 4
    r = await client.get(f"{API}/escalations", params={"institution_id": own.institution_id}, headers=admin.headers)
    assert {e["institution_id"] for e in r.json()["items"]} == {own.institution_id}
    assert len(r.json()["items"]) == 4  # reminder, supervision (general); supervision, listed (major)
    r = await client.get(f"{API}/escalations", params={"region_code": OTHER_REGION}, headers=admin.headers)
    assert {e["hazard_id"] for e in r.json()["items"]} == {other.general, other.major}
    await move(client, admin.headers, own.general, "rectify", "2025-10-15")
    r = await client.get(f"{API}/escalations", params={"status": "resolved"}, headers=admin.headers)
    assert {(e["hazard_id"], e["resolved_on"]) for e in r.json()["items"]} == {(own.general, "2025-10-15")}


async def test_pages_follow_next_cursor(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, settings: Settings
) -> None:
    await _two_regions(client, admin, clean_db, settings)
    seen: list[str] = []
    params: dict[str, str] = {"limit": "3"}
    while True:
        r = await client.get(f"{API}/escalations", params=params, headers=admin.headers)
        assert r.status_code == 200, r.text
        body = r.json()
        seen += [e["id"] for e in body["items"]]
        if body["next_cursor"] is None:
            break
        params["cursor"] = body["next_cursor"]
    assert len(seen) == len(set(seen)) == 8


@pytest.mark.parametrize(
    ("path", "params", "loc"),
    [
        ("/escalations", {"level": "warning"}, "level"),
        ("/escalations", {"status": "closed"}, "status"),
        ("/escalations", {"region_code": "50x"}, "region_code"),
        ("/escalations", {"institution_id": "nope"}, "institution_id"),
        ("/escalations", {"limit": "501"}, "limit"),
        ("/escalations", {"cursor": "forged"}, "cursor"),
        ("/follow-ups", {"status": "late"}, "status"),
        ("/follow-ups", {"region_code": ""}, "region_code"),
    ],
)
async def test_bad_parameters_are_422_naming_them(
    client: httpx.AsyncClient, admin: Actor, path: str, params: dict[str, str], loc: str
) -> None:
    r = await client.get(f"{API}{path}", params=params, headers=admin.headers)
    assert r.status_code == 422, r.text
    assert ["query", loc] in error_locs(r.json())


async def test_unknown_or_malformed_hazard_id(client: httpx.AsyncClient, admin: Actor) -> None:
    r = await client.get(f"{API}/hazards/00000000-0000-4000-8000-000000000000/escalations", headers=admin.headers)
    assert r.status_code == 404
    r = await client.get(f"{API}/hazards/x/escalations", headers=admin.headers)
    assert r.status_code == 422
    assert ["path", "hazard_id"] in error_locs(r.json())


async def test_hazard_list_filters_by_open_escalation_level(
    client: httpx.AsyncClient, admin: Actor, clean_db: Database, settings: Settings
) -> None:
    own, other = await _two_regions(client, admin, clean_db, settings)
    r = await client.get(f"{API}/hazards", params={"escalation_level": "listed"}, headers=admin.headers)
    assert r.status_code == 200, r.text
    assert {h["id"] for h in r.json()["items"]} == {own.major, other.major}
    await move(client, admin.headers, own.major, "rectify", "2025-10-15")  # resolved: no longer listed
    r = await client.get(f"{API}/hazards", params={"escalation_level": "listed"}, headers=admin.headers)
    assert {h["id"] for h in r.json()["items"]} == {other.major}
    r = await client.get(f"{API}/hazards", params={"escalation_level": "warning"}, headers=admin.headers)
    assert r.status_code == 422
    assert ["query", "escalation_level"] in error_locs(r.json())
