"""Plans: create, read, change, roles and regions; and coverage (全覆盖) on a crafted county."""

from __future__ import annotations

import uuid

import httpx
import pytest

from app.auth.models import Role
from tests import factories
from tests.conftest import OTHER_REGION, OWN_REGION, Actor, ActorFactory
from tests.plans.conftest import PLANS, County, plan_body


async def test_create_read_replay(client: httpx.AsyncClient, admin: Actor) -> None:
    body = plan_body(id=str(uuid.uuid4()), kinds=["funeral", "elderly_care"])
    r = await client.post(PLANS, json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"/api/v1/plans/{body['id']}"
    assert r.json()["kinds"] == ["elderly_care", "funeral"]
    assert (await client.post(PLANS, json=body, headers=admin.headers)).status_code == 200
    assert (await client.post(PLANS, json={**body, "name": "x"}, headers=admin.headers)).status_code == 409
    got = await client.get(f"{PLANS}/{body['id']}", headers=admin.headers)
    assert got.json()["required_inspections"] == 2
    listing = await client.get(PLANS, params={"year": 2023}, headers=admin.headers)
    assert [p["id"] for p in listing.json()["items"]] == [body["id"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"period_to": "2022-12-31"}, "period_to"),
        ({"kinds": []}, "kinds"),
        ({"kinds": ["zoo"]}, "kinds"),
        ({"required_inspections": 0}, "required_inspections"),
        ({"region_code": "5"}, "region_code"),
        ({"type": "weekly"}, "type"),
        ({"owner": "me"}, "owner"),
        ({"year": 1999}, "year"),
    ],
)
async def test_bad_plans_are_422_naming_the_field(
    client: httpx.AsyncClient, admin: Actor, change: dict[str, object], field: str
) -> None:
    r = await client.post(PLANS, json=plan_body(**change), headers=admin.headers)
    assert r.status_code == 422, r.text
    assert any(field in e["loc"] for e in r.json()["errors"])


async def test_roles_and_regions(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    assert (await client.post(PLANS, json=plan_body())).status_code == 401
    for role in (Role.viewer, Role.inspector):
        actor = await make_actor(role)
        assert (await client.post(PLANS, json=plan_body(), headers=actor.headers)).status_code == 403
    supervisor = await make_actor(Role.supervisor)
    r = await client.post(PLANS, json=plan_body(region_code=OTHER_REGION), headers=supervisor.headers)
    assert r.status_code == 403
    r = await client.post(PLANS, json=plan_body(), headers=supervisor.headers)
    assert r.status_code == 201
    stranger = await make_actor(Role.admin, OTHER_REGION)
    assert (await client.get(f"{PLANS}/{r.json()['id']}", headers=stranger.headers)).status_code == 404
    assert (await client.get(PLANS, params={"region_code": OWN_REGION}, headers=stranger.headers)).status_code == 403
    r2 = await client.patch(f"{PLANS}/{r.json()['id']}", json={"name": "改"}, headers=stranger.headers)
    assert r2.status_code == 404


async def test_patch(client: httpx.AsyncClient, county: County) -> None:
    url = f"{PLANS}/{county.plan['id']}"
    r = await client.patch(url, json={"required_inspections": 1, "name": "改名"}, headers=county.admin.headers)
    assert r.status_code == 200 and r.json()["required_inspections"] == 1 and r.json()["name"] == "改名"
    r = await client.patch(url, json={"period_to": "2022-06-30"}, headers=county.admin.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "period_to"]
    r = await client.patch(url, json={"name": None}, headers=county.admin.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "name"]
    r = await client.patch(url, json={"kinds": ["funeral"]}, headers=county.admin.headers)
    assert r.status_code == 422


async def test_coverage(client: httpx.AsyncClient, county: County) -> None:
    h, o = county.admin.headers, county.officers
    inst = county.institutions
    plan_id = county.plan["id"]
    # A: twice (once naming the plan) → covered; B: once → partly; C, D: never; the closed, funeral and
    # other-region institutions are out of scope; a special inspection of C does not count for a routine plan.
    await factories.inspect(client, h, inst["A"], [o[0], o[1]], "2023-03-01", [])
    body = factories.inspection_body(inst["A"], [o[0], o[1]], inspected_on="2023-09-01", hazards=[], plan_id=plan_id)
    assert (await client.post("/api/v1/inspections", json=body, headers=h)).status_code == 201
    await factories.inspect(client, h, inst["B"], [o[0], o[1]], "2023-04-01", [])
    special = factories.inspection_body(inst["C"], [o[0], o[1]], type="special", campaign="反诈", hazards=[])
    assert (await client.post("/api/v1/inspections", json=special, headers=h)).status_code == 201
    await factories.inspect(client, h, inst["D"], [o[0], o[1]], "2022-12-01", [])  # before the period

    r = await client.get(f"{PLANS}/{plan_id}/coverage", headers=h)
    assert r.status_code == 200, r.text
    c = r.json()
    assert (c["in_scope"], c["covered"], c["partly_covered"], c["not_visited"]) == (4, 1, 1, 2)
    assert c["coverage_rate"] == 0.25
    assert sorted(i["name"] for i in c["not_visited_institutions"]) == ["C敬老院", "D敬老院"]
    assert [(i["name"], i["inspections"]) for i in c["partly_covered_institutions"]] == [("B敬老院", 1)]
    towns = {t["township"]: t for t in c["by_township"]}
    assert (towns["南宾街道"]["covered"], towns["南宾街道"]["partly_covered"], towns["南宾街道"]["coverage_rate"]) == (
        1,
        1,
        0.5,
    )
    assert (towns["西沱镇"]["not_visited"], towns["西沱镇"]["coverage_rate"]) == (2, 0.0)


async def test_an_inspection_may_only_name_a_plan_that_covers_it(client: httpx.AsyncClient, county: County) -> None:
    h, o = county.admin.headers, county.officers
    for institution, plan_id in (
        (county.institutions["funeral"], county.plan["id"]),
        (county.institutions["A"], str(uuid.uuid4())),
    ):
        body = factories.inspection_body(institution, [o[0], o[1]], plan_id=plan_id)
        r = await client.post("/api/v1/inspections", json=body, headers=h)
        assert r.status_code == 422, r.text
        assert ["body", "plan_id"] in [e["loc"] for e in r.json()["errors"]]


async def test_summary_reports_coverage_per_kind(client: httpx.AsyncClient, county: County) -> None:
    h, o = county.admin.headers, county.officers
    await factories.inspect(client, h, county.institutions["A"], [o[0], o[1]], "2023-03-01", [])
    r = await client.get(
        "/api/v1/reports/summary",
        params={"from": "2023-01-01", "to": "2023-12-31", "region_code": OWN_REGION},
        headers=h,
    )
    elderly = next(k for k in r.json()["kinds"] if k["kind"] == "elderly_care")
    assert elderly["coverage_rate"] == 0.25  # A of A, B, C, D (the closed one is not in the register)
