"""Every change records its event in its own transaction, with exactly API.md's `data` — and nothing for a
replay, a PATCH that changes nothing, or a refused transition (both databases)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from app.db.session import Database
from tests import factories
from tests.conftest import OTHER_REGION, Actor
from tests.events.helpers import stored
from tests.hazards.helpers import API, hazard_url
from tests.plans.conftest import PLANS, County, county, plan_body
from tests.plans.test_draws import DRAW

__all__ = ["county"]  # the fixture, used by the draw test


async def _inspection(client: httpx.AsyncClient, admin: Actor, **overrides: Any) -> dict[str, Any]:
    inst = await factories.institution(client, admin.headers, region_code=OTHER_REGION)
    officers = [(await factories.officer(client, admin.headers))["id"] for _ in range(2)]
    body = factories.inspection_body(inst["id"], officers, **overrides)
    r = await client.post(f"{API}/inspections", json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    return {"body": body, "read": r.json(), "institution": inst}


async def test_an_inspection_records_itself_and_each_nested_hazard(
    client: httpx.AsyncClient, clean_db: Database, admin: Actor
) -> None:
    made = await _inspection(client, admin, id=str(uuid.uuid4()))
    read = made["read"]
    h1, h2 = read["hazards"]
    assert await stored(clean_db) == [
        (
            "inspection.created",
            OTHER_REGION,
            {
                "inspection_id": read["id"],
                "institution_id": made["institution"]["id"],
                "inspected_on": "2023-05-04",
                "hazard_ids": [h1["id"], h2["id"]],
            },
        ),
        (
            "hazard.created",
            OTHER_REGION,
            {"hazard_id": h1["id"], "inspection_id": read["id"], "severity": "general", "due_on": "2023-05-20"},
        ),
        (
            "hazard.created",
            OTHER_REGION,
            {"hazard_id": h2["id"], "inspection_id": read["id"], "severity": "major", "due_on": None},
        ),
    ]
    replay = await client.post(f"{API}/inspections", json=made["body"], headers=admin.headers)
    assert replay.status_code == 200, replay.text
    assert len(await stored(clean_db)) == 3, "a replay records nothing"


async def test_an_inspection_without_hazards_records_one_event(
    client: httpx.AsyncClient, clean_db: Database, admin: Actor
) -> None:
    read = (await _inspection(client, admin, hazards=[]))["read"]
    assert [(t, d["hazard_ids"]) for t, _, d in await stored(clean_db)] == [("inspection.created", [])]
    assert read["hazards"] == []


async def test_a_hazard_added_later_records_hazard_created_once(
    client: httpx.AsyncClient, clean_db: Database, admin: Actor
) -> None:
    read = (await _inspection(client, admin))["read"]
    body = {"id": str(uuid.uuid4()), "category": "fire_safety", "severity": "major", "description": "灭火器过期"}
    for expected in (201, 200):
        r = await client.post(f"{API}/inspections/{read['id']}/hazards", json=body, headers=admin.headers)
        assert r.status_code == expected, r.text
    events = await stored(clean_db)
    assert events[3:] == [
        (
            "hazard.created",
            OTHER_REGION,
            {"hazard_id": body["id"], "inspection_id": read["id"], "severity": "major", "due_on": None},
        )
    ]


async def test_a_patch_records_the_fields_it_changed_and_nothing_when_none(
    client: httpx.AsyncClient, clean_db: Database, admin: Actor
) -> None:
    read = (await _inspection(client, admin))["read"]
    url = f"{API}/inspections/{read['id']}"
    same = await client.patch(url, json={"summary": read["summary"], "type": read["type"]}, headers=admin.headers)
    assert same.status_code == 200, same.text
    assert len(await stored(clean_db)) == 3, "a PATCH that changes nothing records nothing"
    r = await client.patch(url, json={"summary": "复查消防", "type": read["type"]}, headers=admin.headers)
    assert r.status_code == 200, r.text
    r = await client.patch(url, json={"type": "special", "campaign": "safety_month"}, headers=admin.headers)
    assert r.status_code == 200, r.text
    assert (await stored(clean_db))[3:] == [
        ("inspection.updated", OTHER_REGION, {"inspection_id": read["id"], "fields": ["summary"]}),
        ("inspection.updated", OTHER_REGION, {"inspection_id": read["id"], "fields": ["type", "campaign"]}),
    ]


async def test_an_accepted_transition_records_it_and_a_refused_one_nothing(
    client: httpx.AsyncClient, clean_db: Database, admin: Actor
) -> None:
    hazard_id = (await _inspection(client, admin))["read"]["hazards"][0]["id"]
    refused = await client.post(
        hazard_url(hazard_id, "/transitions"), json={"action": "verify", "on": "2023-05-06"}, headers=admin.headers
    )
    assert refused.status_code == 409, refused.text
    stale = await client.post(
        hazard_url(hazard_id, "/transitions"),
        json={"action": "start", "on": "2023-05-06"},
        headers={**admin.headers, "If-Match": '"stale"'},
    )
    assert stale.status_code == 412, stale.text
    assert len(await stored(clean_db)) == 3
    for action, on in (("start", "2023-05-05"), ("rectify", "2023-05-06")):
        r = await client.post(
            hazard_url(hazard_id, "/transitions"), json={"action": action, "on": on}, headers=admin.headers
        )
        assert r.status_code == 200, r.text
    assert (await stored(clean_db))[3:] == [
        (
            "hazard.transitioned",
            OTHER_REGION,
            {"hazard_id": hazard_id, "action": "start", "from": "open", "to": "rectifying", "on": "2023-05-05"},
        ),
        (
            "hazard.transitioned",
            OTHER_REGION,
            {"hazard_id": hazard_id, "action": "rectify", "from": "rectifying", "to": "rectified", "on": "2023-05-06"},
        ),
    ]


async def test_a_draw_records_draw_created(client: httpx.AsyncClient, clean_db: Database, county: County) -> None:
    before = len(await stored(clean_db))
    r = await client.post(f"{PLANS}/{county.plan['id']}/draws", json=DRAW, headers=county.admin.headers)
    assert r.status_code == 201, r.text
    refused = await client.post(f"{PLANS}/{county.plan['id']}/draws", json=DRAW, headers=county.admin.headers)
    assert refused.status_code == 422, "a redraw without a reason is refused"
    events = await stored(clean_db)
    assert events[before:] == [
        ("draw.created", county.plan["region_code"], {"plan_id": county.plan["id"], "draw_id": r.json()["id"]})
    ]


@pytest.mark.parametrize("kind", ["institution", "officer", "plan"])
async def test_register_changes_record_no_event(
    client: httpx.AsyncClient, clean_db: Database, admin: Actor, kind: str
) -> None:
    """Only the types API.md lists are recorded: creating registers records nothing."""
    if kind == "institution":
        await factories.institution(client, admin.headers)
    elif kind == "officer":
        await factories.officer(client, admin.headers)
    else:
        assert (await client.post(PLANS, json=plan_body(), headers=admin.headers)).status_code == 201
    assert await stored(clean_db) == []
