"""GET /reports/summary: every counter against hand-computed figures (see conftest.py's table)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.auth.models import Role
from tests.conftest import OTHER_REGION, OWN_REGION, ActorFactory
from tests.reports.conftest import Crafted

URL = "/api/v1/reports/summary"
YEAR = {"from": "2023-01-01", "to": "2023-12-31"}


def kinds(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k["kind"]: {n: v for n, v in k.items() if n != "kind"} for k in body["kinds"]}


async def test_own_region_counters(client: httpx.AsyncClient, crafted: Crafted) -> None:
    r = await client.get(URL, params={**YEAR, "region_code": OWN_REGION}, headers=crafted.admin.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["from"], body["to"], body["as_of"], body["region_code"]) == (
        "2023-01-01",
        "2023-12-31",
        "2023-12-31",
        OWN_REGION,
    )
    assert kinds(body) == {
        # F2 was inspected but is closed now: it counts as inspected, not in the register nor the coverage.
        "funeral": {
            "institutions_total": 1,
            "institutions_inspected": 2,
            "inspections": 2,
            "coverage_rate": 1.0,
            "hazards_found": 2,
            "hazards_rectified": 1,
            "rectification_rate": 0.5,
            "hazards_overdue": 1,
            "major_hazards": 0,
            "escalations_open": 0,
            "follow_ups_due": 0,
        },
        "elderly_care": {
            "institutions_total": 3,
            "institutions_inspected": 1,
            "inspections": 2,
            "coverage_rate": pytest.approx(1 / 3),
            "hazards_found": 3,
            "hazards_rectified": 0,
            "rectification_rate": 0.0,
            "hazards_overdue": 1,
            "major_hazards": 1,
            "escalations_open": 0,
            "follow_ups_due": 0,
        },
    }
    assert body["officers_certified"] == 2
    assert body["officers_total"] == 5
    assert body["certification_rate"] == pytest.approx(0.4)
    assert body["officers_by_unit"] == [
        {"unit": "殡葬事务中心", "certified": 2, "total": 3},
        {"unit": "社会福利中心", "certified": 0, "total": 2},
    ]


async def test_national_scope_adds_the_other_region(client: httpx.AsyncClient, crafted: Crafted) -> None:
    body = (await client.get(URL, params=YEAR, headers=crafted.admin.headers)).json()
    assert body["region_code"] == ""
    assert kinds(body)["elderly_care"] == {
        "institutions_total": 4,
        "institutions_inspected": 2,
        "inspections": 3,
        "coverage_rate": 0.5,
        "hazards_found": 4,
        "hazards_rectified": 1,
        "rectification_rate": 0.25,
        "hazards_overdue": 1,
        "major_hazards": 1,
        "escalations_open": 0,
        "follow_ups_due": 0,
    }
    assert (body["officers_certified"], body["officers_total"]) == (4, 7)


async def test_as_of_after_the_period_counts_later_rectifications(client: httpx.AsyncClient, crafted: Crafted) -> None:
    r = await client.get(
        URL, params={**YEAR, "as_of": "2024-01-31", "region_code": OWN_REGION}, headers=crafted.admin.headers
    )
    elderly = kinds(r.json())["elderly_care"]
    # h4 was rectified on 2024-01-10; h6 is due 2024-02-01 (not yet overdue); h5 has no due date.
    assert (elderly["hazards_rectified"], elderly["hazards_overdue"]) == (1, 0)
    assert elderly["rectification_rate"] == pytest.approx(1 / 3)
    funeral = kinds(r.json())["funeral"]
    assert (funeral["hazards_rectified"], funeral["hazards_overdue"]) == (1, 1)


async def test_as_of_before_a_rectification_does_not_count_it(client: httpx.AsyncClient, crafted: Crafted) -> None:
    r = await client.get(
        URL, params={**YEAR, "as_of": "2023-03-11", "region_code": OWN_REGION}, headers=crafted.admin.headers
    )
    funeral = kinds(r.json())["funeral"]
    assert funeral["hazards_rectified"] == 1  # h1 rectified 03-10
    r = await client.get(
        URL, params={**YEAR, "as_of": "2023-03-09", "region_code": OWN_REGION}, headers=crafted.admin.headers
    )
    funeral = kinds(r.json())["funeral"]
    assert (funeral["hazards_rectified"], funeral["rectification_rate"]) == (0, 0.0)
    assert r.json()["officers_certified"] == 3  # O3's certificate was still valid on 2023-03-09


async def test_empty_period_lists_both_kinds_with_zeros(client: httpx.AsyncClient, crafted: Crafted) -> None:
    r = await client.get(
        URL, params={"from": "2020-01-01", "to": "2020-12-31", "region_code": OWN_REGION}, headers=crafted.admin.headers
    )
    got = kinds(r.json())
    for kind in ("funeral", "elderly_care"):
        assert got[kind]["inspections"] == got[kind]["hazards_found"] == got[kind]["hazards_rectified"] == 0
        assert got[kind]["rectification_rate"] is None
    assert got["funeral"]["institutions_total"] == 1  # the register does not depend on the period


async def test_regional_viewer_sees_only_its_region(
    client: httpx.AsyncClient, crafted: Crafted, make_actor: ActorFactory
) -> None:
    viewer = await make_actor(Role.viewer, OTHER_REGION)
    body = (await client.get(URL, params=YEAR, headers=viewer.headers)).json()
    assert body["region_code"] == OTHER_REGION
    assert kinds(body)["elderly_care"]["hazards_found"] == 1
    assert kinds(body)["funeral"]["inspections"] == 0
    outside = await client.get(URL, params={**YEAR, "region_code": OWN_REGION}, headers=viewer.headers)
    assert outside.status_code == 403
    assert outside.headers["content-type"] == "application/problem+json"
    wider = await client.get(URL, params={**YEAR, "region_code": "50"}, headers=viewer.headers)
    assert wider.status_code == 403


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2023-12-31", "to": "2023-01-01"}, "from"),
        ({"from": "2023-13-01", "to": "2023-12-31"}, "from"),
        ({"from": "2023-01-01", "to": "2023-12-31", "as_of": "soon"}, "as_of"),
        ({"from": "2023-01-01", "to": "2023-12-31", "region_code": "x1"}, "region_code"),
    ],
)
async def test_bad_parameters_are_422_naming_them(
    client: httpx.AsyncClient, make_actor: ActorFactory, params: dict[str, str], field: str
) -> None:
    viewer = await make_actor(Role.viewer)
    r = await client.get(URL, params=params, headers=viewer.headers)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert field in r.json()["detail"]


async def test_needs_credentials(client: httpx.AsyncClient) -> None:
    r = await client.get(URL, params=YEAR)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


async def test_every_role_may_read_reports(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    for role in Role:
        actor = await make_actor(role)
        assert (await client.get(URL, params=YEAR, headers=actor.headers)).status_code == 200
