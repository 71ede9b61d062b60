"""End-to-end happy path of the field app's write path."""

from __future__ import annotations

import uuid

import httpx

from tests import factories
from tests.conftest import Actor


async def test_create_inspection_with_hazards(client: httpx.AsyncClient, admin: Actor) -> None:
    inst = await factories.institution(client, admin.headers)
    o1 = await factories.officer(client, admin.headers)
    o2 = await factories.officer(client, admin.headers, name="冉华")
    body = factories.inspection_body(inst["id"], [o1["id"], o2["id"]], id=str(uuid.uuid4()))
    r = await client.post("/api/v1/inspections", json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    created = r.json()
    assert [h["description"] for h in created["hazards"]] == ["消防通道堆放杂物", "食品留样记录缺失"]
    assert all(h["status"] == "open" and h["found_on"] == "2023-05-04" for h in created["hazards"])
    assert created["officer_ids"] == [o1["id"], o2["id"]]
    stored = await client.get(f"/api/v1/inspections/{created['id']}", headers=admin.headers)
    assert stored.status_code == 200
    assert created == stored.json()  # the create answers from memory: it must say exactly what was stored
    r2 = await client.post("/api/v1/inspections", json=body, headers=admin.headers)
    assert r2.status_code == 200, r2.text
    assert r2.json() == created
    r3 = await client.post("/api/v1/inspections", json={**body, "summary": "changed"}, headers=admin.headers)
    assert r3.status_code == 409, r3.text
    listing = await client.get("/api/v1/inspections", headers=admin.headers)
    assert listing.status_code == 200
    assert [i["hazards_count"] for i in listing.json()["items"]] == [2]
