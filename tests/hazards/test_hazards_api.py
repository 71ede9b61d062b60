"""POST /inspections/{inspection_id}/hazards: create, rules, replay by id, who may add, and where it shows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from app.core.clock import frozen_clock
from tests import factories
from tests.conftest import OTHER_REGION, OWN_REGION, Actor, ActorFactory
from tests.hazards.helpers import (
    API,
    FOUND_ON,
    assert_problem,
    hazard_url,
    history,
    link_officer,
    move,
    new_inspection,
    read,
)

NEW = {
    "category": "electrical",
    "severity": "major",
    "description": "配电箱未上锁",
    "legal_basis": "《养老机构管理办法》第三十一条",
    "due_on": "2023-05-31",
}


def url(inspection_id: str) -> str:
    return f"{API}/inspections/{inspection_id}/hazards"


async def test_add_hazard_201_with_location_and_etag(client: httpx.AsyncClient, admin: Actor) -> None:
    inspection = await new_inspection(client, admin.headers)
    r = await client.post(url(inspection["id"]), json=NEW, headers=admin.headers)
    assert r.status_code == 201, r.text
    created = r.json()
    assert r.headers["location"] == f"/api/v1/hazards/{created['id']}"
    assert {k: created[k] for k in NEW} == NEW
    assert (created["status"], created["found_on"], created["inspection_id"]) == ("open", FOUND_ON, inspection["id"])
    assert created["institution_id"] == inspection["institution_id"]
    assert (created["rectified_on"], created["verified_on"], created["overdue"]) == (None, None, True)
    got, etag = await read(client, admin.headers, created["id"])
    assert r.headers["etag"] == etag
    assert got == created
    [entry] = await history(client, admin.headers, created["id"])
    assert (entry["action"], entry["from"], entry["to"], entry["on"]) == ("create", None, "open", FOUND_ON)
    assert (entry["actor_name"], entry["actor_role"]) == (admin.username, "admin")
    # the location answers, and the new hazard is listed last in its inspection
    assert (await client.get(r.headers["location"], headers=admin.headers)).status_code == 200
    stored = (await client.get(f"{API}/inspections/{inspection['id']}", headers=admin.headers)).json()
    assert [h["id"] for h in stored["hazards"]] == [*(h["id"] for h in inspection["hazards"]), created["id"]]


async def test_minimal_body_and_client_id(client: httpx.AsyncClient, admin: Actor) -> None:
    inspection = await new_inspection(client, admin.headers)
    chosen = str(uuid.uuid4())
    r = await client.post(
        url(inspection["id"]),
        headers=admin.headers,
        json={"id": chosen, "category": "other", "severity": "general", "description": " 其他 "},
    )
    assert r.status_code == 201, r.text
    assert (r.json()["id"], r.json()["description"], r.json()["due_on"], r.json()["legal_basis"]) == (
        chosen,
        "其他",
        None,
        None,
    )
    assert r.json()["overdue"] is False


async def test_due_on_before_the_inspection_date_is_422(client: httpx.AsyncClient, admin: Actor) -> None:
    inspection = await new_inspection(client, admin.headers)
    r = await client.post(url(inspection["id"]), json={**NEW, "due_on": "2023-05-03"}, headers=admin.headers)
    body = assert_problem(r, 422, ["body", "due_on"])
    assert "due_on" in body["detail"]
    r = await client.post(url(inspection["id"]), json={**NEW, "due_on": FOUND_ON}, headers=admin.headers)
    assert r.status_code == 201, r.text  # due the day it was found is fine
    stored = (await client.get(f"{API}/inspections/{inspection['id']}", headers=admin.headers)).json()
    assert len(stored["hazards"]) == 3


@pytest.mark.parametrize(
    ("patch", "loc"),
    [
        ({"category": "fire"}, ["body", "category"]),
        ({"severity": "minor"}, ["body", "severity"]),
        ({"description": "   "}, ["body", "description"]),
        ({"due_on": "2023-02-30"}, ["body", "due_on"]),
        ({"status": "verified"}, ["body", "status"]),
        ({"found_on": "2023-01-01"}, ["body", "found_on"]),
    ],
)
async def test_bad_body_is_422(client: httpx.AsyncClient, admin: Actor, patch: dict[str, Any], loc: list[str]) -> None:
    inspection = await new_inspection(client, admin.headers)
    assert_problem(await client.post(url(inspection["id"]), json={**NEW, **patch}, headers=admin.headers), 422, loc)


async def test_replay_by_id(client: httpx.AsyncClient, admin: Actor) -> None:
    inspection = await new_inspection(client, admin.headers)
    body = {**NEW, "id": str(uuid.uuid4())}
    first = await client.post(url(inspection["id"]), json=body, headers=admin.headers)
    assert first.status_code == 201, first.text
    assert (await move(client, admin.headers, body["id"], "start", "2023-05-05")).status_code == 200
    again = await client.post(url(inspection["id"]), json=body, headers=admin.headers)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == body["id"]
    assert again.json()["status"] == "rectifying"  # the record as it is now
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["etag"] == (await read(client, admin.headers, body["id"]))[1] != first.headers["etag"]
    changed = await client.post(
        url(inspection["id"]), json={**body, "description": "配电箱未上锁!"}, headers=admin.headers
    )
    assert_problem(changed, 409, ["body", "id"])
    # omitting legal_basis means null, which is other content than the first request's
    assert_problem(
        await client.post(
            url(inspection["id"]), json={k: v for k, v in body.items() if k != "legal_basis"}, headers=admin.headers
        ),
        409,
    )
    other = await new_inspection(client, admin.headers)
    assert_problem(await client.post(url(other["id"]), json=body, headers=admin.headers), 409)
    stored = (await client.get(f"{API}/inspections/{inspection['id']}", headers=admin.headers)).json()
    assert [h["id"] for h in stored["hazards"]].count(body["id"]) == 1 and len(stored["hazards"]) == 3
    assert len(await history(client, admin.headers, body["id"])) == 2


async def test_nested_hazard_reposted_here(client: httpx.AsyncClient, admin: Actor) -> None:
    inst = await factories.institution(client, admin.headers)
    officers = [(await factories.officer(client, admin.headers))["id"] for _ in range(2)]
    nested = {
        "id": str(uuid.uuid4()),
        "category": "fire_safety",
        "severity": "general",
        "description": "消防通道堆放杂物",
        "due_on": "2023-05-20",
    }
    r = await client.post(
        f"{API}/inspections",
        headers=admin.headers,
        json=factories.inspection_body(inst["id"], officers, hazards=[nested]),
    )
    assert r.status_code == 201, r.text
    inspection_id = r.json()["id"]
    same = await client.post(url(inspection_id), json=nested, headers=admin.headers)
    assert same.status_code == 200, same.text
    assert same.json()["id"] == nested["id"] and same.headers["etag"]
    # "the validated request, defaults filled in": an explicit null legal_basis is the same content
    assert (
        await client.post(url(inspection_id), json={**nested, "legal_basis": None}, headers=admin.headers)
    ).status_code == 200
    assert_problem(
        await client.post(url(inspection_id), json={**nested, "severity": "major"}, headers=admin.headers), 409
    )
    stored = (await client.get(f"{API}/inspections/{inspection_id}", headers=admin.headers)).json()
    assert [h["id"] for h in stored["hazards"]] == [nested["id"]]


async def test_inspector_must_take_part(client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory) -> None:
    o1, o2, o3 = [(await factories.officer(client, admin.headers))["id"] for _ in range(3)]
    inspection = await new_inspection(client, admin.headers, officer_ids=[o1, o2])
    outsider = await make_actor("inspector", OWN_REGION)
    await link_officer(client, admin.headers, str(outsider.user_id), o3)
    assert_problem(await client.post(url(inspection["id"]), json=NEW, headers=outsider.headers), 403)
    unlinked = await make_actor("inspector", OWN_REGION)
    assert_problem(await client.post(url(inspection["id"]), json=NEW, headers=unlinked.headers), 403)
    member = await make_actor("inspector", OWN_REGION)
    await link_officer(client, admin.headers, str(member.user_id), o2)
    r = await client.post(url(inspection["id"]), json=NEW, headers=member.headers)
    assert r.status_code == 201, r.text
    supervisor = await make_actor("supervisor", OWN_REGION)  # not an officer, may add anywhere in region
    assert (await client.post(url(inspection["id"]), json=NEW, headers=supervisor.headers)).status_code == 201
    stored = (await client.get(f"{API}/inspections/{inspection['id']}", headers=admin.headers)).json()
    assert len(stored["hazards"]) == 4


async def test_viewer_cannot_add(client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory) -> None:
    inspection = await new_inspection(client, admin.headers)
    viewer = await make_actor("viewer", OWN_REGION)
    assert_problem(await client.post(url(inspection["id"]), json=NEW, headers=viewer.headers), 403)
    assert_problem(await client.post(url(inspection["id"]), json=NEW), 401)
    stored = (await client.get(f"{API}/inspections/{inspection['id']}", headers=viewer.headers)).json()
    assert len(stored["hazards"]) == 2


async def test_other_region_inspection_is_404(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory
) -> None:
    inspection = await new_inspection(client, admin.headers, region_code=OTHER_REGION)
    supervisor = await make_actor("supervisor", OWN_REGION)
    body = {**NEW, "id": str(uuid.uuid4())}
    assert_problem(await client.post(url(inspection["id"]), json=body, headers=supervisor.headers), 404)
    assert_problem(await client.post(url(str(uuid.uuid4())), json=NEW, headers=admin.headers), 404)
    assert (await client.get(hazard_url(body["id"]), headers=admin.headers)).status_code == 404
    stored = (await client.get(f"{API}/inspections/{inspection['id']}", headers=admin.headers)).json()
    assert len(stored["hazards"]) == 2


async def test_overdue_field(client: httpx.AsyncClient, admin: Actor) -> None:
    inspection = await new_inspection(client, admin.headers)
    due, undated = (h["id"] for h in inspection["hazards"])  # due 2023-05-20, no due_on
    assert (await move(client, admin.headers, due, "start", "2023-05-05")).status_code == 200
    with frozen_clock(datetime(2023, 5, 20, 12, tzinfo=UTC)):  # due today: not yet overdue
        assert (await read(client, admin.headers, due))[0]["overdue"] is False
    with frozen_clock(datetime(2023, 5, 20, 16, 30, tzinfo=UTC)):  # 2023-05-21 00:30 in Shanghai
        assert (await read(client, admin.headers, due))[0]["overdue"] is True
        assert (await read(client, admin.headers, undated))[0]["overdue"] is False
        r = await move(client, admin.headers, due, "rectify", "2023-05-21")
        assert r.json()["overdue"] is False  # rectified: no longer overdue, even past due_on
        assert (await read(client, admin.headers, due))[0]["overdue"] is False
