"""Publication (一公开): public, read-only, exactly the published fields, rate limited."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from app.core.config import Settings
from app.main import create_app
from tests import factories
from tests.conftest import OTHER_REGION, OWN_REGION
from tests.plans.conftest import PLANS, County

PUBLIC = "/api/v1/public"
INSTITUTION_FIELDS = {"name", "kind", "township", "region_code"}
OFFICER_FIELDS = {"name", "certificate_no"}


def _keys_everywhere(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys_everywhere(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys_everywhere(v)}
    return set()


async def test_public_inspections_show_only_published_fields(client: httpx.AsyncClient, county: County) -> None:
    h, o = county.admin.headers, county.officers
    body = factories.inspection_body(county.institutions["A"], [o[0], o[1]], summary="消防设施完好,台账齐全")
    body["hazards"][0]["legal_basis"] = "《养老机构管理办法》"
    r = await client.post("/api/v1/inspections", json=body, headers=h)
    hazard = r.json()["hazards"][0]["id"]
    await factories.move(client, h, hazard, "rectify", "2023-05-10", note="内部备注:院长电话13800000000")
    await factories.inspect(client, h, county.institutions["other"], [o[0], o[1]], "2023-05-05", [])

    r = await client.get(f"{PUBLIC}/inspections", params={"region_code": OWN_REGION, "year": 2023})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert len(items) == 1
    item = items[0]
    assert set(item) == {
        "id",
        "institution",
        "inspected_on",
        "type",
        "campaign",
        "officers",
        "result",
        "hazards_found",
        "hazards_rectified",
        "rectification",
    }
    assert set(item["institution"]) == INSTITUTION_FIELDS
    assert all(set(officer) == OFFICER_FIELDS for officer in item["officers"])
    assert (item["hazards_found"], item["hazards_rectified"], item["rectification"]) == (2, 1, "整改中")
    assert item["result"] == "消防设施完好,台账齐全"
    text = r.text
    for secret in ("13800000000", "内部备注", "养老机构管理办法", "contact", "note", "evidence", "description"):
        assert secret not in text
    other = await client.get(f"{PUBLIC}/inspections", params={"region_code": OTHER_REGION, "year": 2023})
    assert [i["institution"]["name"] for i in other.json()["items"]] == ["外区敬老院"]
    empty = await client.get(f"{PUBLIC}/inspections", params={"region_code": OWN_REGION, "year": 2022})
    assert empty.json() == {"items": [], "next_cursor": None}


async def test_public_draw(client: httpx.AsyncClient, county: County) -> None:
    r = await client.post(
        f"{PLANS}/{county.plan['id']}/draws",
        headers=county.admin.headers,
        json={"planned_on": "2023-06-01", "count": 2},
    )
    draw = r.json()
    p = await client.get(f"{PUBLIC}/draws/{draw['id']}")
    assert p.status_code == 200, p.text
    body = p.json()
    assert _keys_everywhere(body) == {
        "id",
        "plan",
        "name",
        "year",
        "region_code",
        "type",
        "campaign",
        "planned_on",
        "drawn_at",
        "algorithm",
        "seed",
        "candidate_institutions",
        "candidate_officers",
        "redraw_reason",
        "teams",
        "institution",
        "kind",
        "township",
        "officers",
        "certificate_no",
    }
    assert [t["institution"]["name"] for t in body["teams"]] == [t["institution_name"] for t in draw["teams"]]
    assert [[o["name"] for o in t["officers"]] for t in body["teams"]] == [t["officer_names"] for t in draw["teams"]]
    assert (await client.get(f"{PUBLIC}/draws/00000000-0000-0000-0000-000000000000")).status_code == 404


async def test_public_endpoints_are_read_only_and_validated(client: httpx.AsyncClient) -> None:
    assert (await client.post(f"{PUBLIC}/inspections", json={})).status_code == 405
    r = await client.get(f"{PUBLIC}/inspections", params={"region_code": "x", "year": 2023})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["query", "region_code"]
    r = await client.get(f"{PUBLIC}/inspections", params={"region_code": OWN_REGION})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["query", "year"]


async def test_public_endpoints_are_rate_limited(settings: Settings, clean_db: object) -> None:
    app: FastAPI = create_app(settings.model_copy(update={"PUBLIC_RATE_LIMIT_PER_MINUTE": 3}))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            params: dict[str, str | int] = {"region_code": OWN_REGION, "year": 2023}
            statuses = [(await c.get(f"{PUBLIC}/inspections", params=params)).status_code for _ in range(4)]
            assert statuses == [200, 200, 200, 429]
            r = await c.get(f"{PUBLIC}/inspections", params=params)
            assert r.headers["content-type"] == "application/problem+json"
            assert int(r.headers["retry-after"]) >= 1
            assert (await c.get("/healthz")).status_code == 200  # only /public is limited
    finally:
        await app.state.db.dispose()
