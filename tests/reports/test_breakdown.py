"""GET /reports/breakdown: the same counters per group, on the crafted data set (see conftest.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import OWN_REGION, Actor
from tests.reports.conftest import Crafted

URL = "/api/v1/reports/breakdown"
OWN_2023 = {"from": "2023-01-01", "to": "2023-12-31", "region_code": OWN_REGION}
FOUND = ("hazards_found", "hazards_rectified", "hazards_overdue", "major_hazards")


async def groups(client: httpx.AsyncClient, admin: Actor, group_by: str, **extra: str) -> dict[str, dict[str, Any]]:
    r = await client.get(URL, params={**OWN_2023, "group_by": group_by, **extra}, headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.json()["group_by"] == group_by
    return {g["key"]: g for g in r.json()["groups"]}


def pick(group: dict[str, Any], *names: str) -> tuple[Any, ...]:
    return tuple(group[n] for n in names)


async def test_by_township(client: httpx.AsyncClient, crafted: Crafted) -> None:
    got = await groups(client, crafted.admin, "township")
    # F1, F2, E3 have the factory's township 南宾街道 too; E2 (西沱镇) was not inspected in 2023.
    assert pick(got["南宾街道"], "institutions_total", "institutions_inspected", "inspections", *FOUND) == (
        3,
        3,
        4,
        5,
        1,
        2,
        1,
    )
    assert pick(got["西沱镇"], "institutions_total", "inspections", "hazards_found") == (1, 0, 0)
    assert got["西沱镇"]["rectification_rate"] is None


async def test_by_severity_has_no_institution_counters(client: httpx.AsyncClient, crafted: Crafted) -> None:
    got = await groups(client, crafted.admin, "severity")
    assert set(got) == {"general", "major"}
    assert (got["general"]["label"], got["major"]["label"]) == ("一般", "重大")
    assert pick(got["general"], *FOUND) == (4, 1, 1, 0)  # h1 h3 h5 h6
    assert pick(got["major"], *FOUND) == (1, 0, 1, 1)  # h4 (h2 voided)
    assert got["major"]["institutions_total"] is None and got["major"]["inspections"] is None


async def test_by_category(client: httpx.AsyncClient, crafted: Crafted) -> None:
    got = await groups(client, crafted.admin, "category")
    assert {k: g["hazards_found"] for k, g in got.items()} == {"fire_safety": 3, "food": 1, "service": 1}
    assert got["food"]["label"] == "食品安全"


async def test_by_month(client: httpx.AsyncClient, crafted: Crafted) -> None:
    got = await groups(client, crafted.admin, "month")
    assert {k: (g["inspections"], g["hazards_found"]) for k, g in got.items()} == {
        "2023-03": (1, 1),
        "2023-04": (1, 1),
        "2023-05": (1, 2),
        "2023-11": (1, 1),
    }
    assert got["2023-05"]["institutions_total"] is None


async def test_by_kind_and_region(client: httpx.AsyncClient, crafted: Crafted) -> None:
    by_kind = await groups(client, crafted.admin, "kind")
    assert by_kind["funeral"]["label"] == "殡葬机构"
    assert pick(by_kind["funeral"], "institutions_inspected", "inspections", "hazards_found") == (2, 2, 2)
    r = await client.get(
        URL, params={"from": "2023-01-01", "to": "2023-12-31", "group_by": "region_code"}, headers=crafted.admin.headers
    )
    regions = {g["key"]: g["hazards_found"] for g in r.json()["groups"]}
    assert regions == {"500101": 1, OWN_REGION: 5}


async def test_by_institution_uses_ids_and_names(client: httpx.AsyncClient, crafted: Crafted) -> None:
    got = await groups(client, crafted.admin, "institution")
    e1 = got[crafted.institutions["E1"]]
    assert e1["label"] == "E1"
    assert pick(e1, "institutions_total", "inspections", "hazards_found", "major_hazards") == (1, 2, 3, 1)
    assert got[crafted.institutions["F2"]]["institutions_total"] == 0  # closed


@pytest.mark.parametrize("group_by", ["", "weekday", "KIND"])
async def test_unknown_grouping_is_422(client: httpx.AsyncClient, admin: Actor, group_by: str) -> None:
    r = await client.get(URL, params={**OWN_2023, "group_by": group_by}, headers=admin.headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["query", "group_by"]
