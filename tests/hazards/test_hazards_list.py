"""GET /hazards: every filter, region scoping, order (most recently found first) and cursor paging."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from app.core.clock import frozen_clock
from tests import factories
from tests.conftest import OTHER_REGION, OWN_REGION, Actor, ActorFactory
from tests.hazards.helpers import API, assert_problem, inspect, move, moved, read

SUB_REGION = OWN_REGION + "101"  # a township inside the county


@dataclass(frozen=True)
class World:
    """Four institutions, five hazards:

    | hazard | institution (kind, region)     | found_on   | category    | severity | due_on     | status     |
    |--------|--------------------------------|------------|-------------|----------|------------|------------|
    | a1, a2 | A elderly_care, 500240         | 2023-03-01 | fire / food | gen/maj  | 03-10 / —  | rectified / open |
    | b      | B funeral, 500240101           | 2023-04-01 | gas         | major    | 2023-05-01 | rectifying |
    | d      | D elderly_care, 500240         | 2023-04-20 | building    | general  | 2023-04-25 | voided     |
    | c      | C elderly_care, 500101 (other) | 2023-05-01 | other       | general  | 2023-05-02 | open       |
    """

    ids: dict[str, str]
    institutions: dict[str, str]

    def names(self, items: list[dict[str, Any]]) -> list[str]:
        by_id = {v: k for k, v in self.ids.items()}
        return [by_id[i["id"]] for i in items]


def _hazard(category: str, severity: str, due_on: str | None = None) -> dict[str, Any]:
    return {"category": category, "severity": severity, "description": f"{category} 问题", "due_on": due_on}


@pytest.fixture
async def world(client: httpx.AsyncClient, admin: Actor) -> World:
    h = admin.headers
    inst = {
        "A": (await factories.institution(client, h))["id"],
        "B": (await factories.institution(client, h, kind="funeral", category="公墓", region_code=SUB_REGION))["id"],
        "C": (await factories.institution(client, h, region_code=OTHER_REGION))["id"],
        "D": (await factories.institution(client, h))["id"],
    }
    officers = [(await factories.officer(client, h))["id"] for _ in range(2)]
    a1, a2 = await inspect(
        client,
        h,
        inst["A"],
        officers,
        "2023-03-01",
        [_hazard("fire_safety", "general", "2023-03-10"), _hazard("food", "major")],
    )
    [b] = await inspect(client, h, inst["B"], officers, "2023-04-01", [_hazard("gas", "major", "2023-05-01")])
    [c] = await inspect(client, h, inst["C"], officers, "2023-05-01", [_hazard("other", "general", "2023-05-02")])
    [d] = await inspect(client, h, inst["D"], officers, "2023-04-20", [_hazard("building", "general", "2023-04-25")])
    await moved(client, h, a1, "rectify", "2023-03-05")
    await moved(client, h, b, "start", "2023-04-02")
    await moved(client, h, d, "void", "2023-04-21", note="重复登记")
    return World({"a1": a1, "a2": a2, "b": b, "c": c, "d": d}, inst)


async def _list(client: httpx.AsyncClient, headers: dict[str, str], **params: str) -> list[dict[str, Any]]:
    r = await client.get(f"{API}/hazards", params=params, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["next_cursor"] is None
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def _ordered(world: World, *names: str) -> list[str]:
    """`names` in the list's order: found_on descending, then id descending."""
    found = {"a1": "2023-03-01", "a2": "2023-03-01", "b": "2023-04-01", "c": "2023-05-01", "d": "2023-04-20"}
    return sorted(names, key=lambda n: (found[n], uuid.UUID(world.ids[n])), reverse=True)


async def test_newest_found_first_with_the_institution(client: httpx.AsyncClient, admin: Actor, world: World) -> None:
    items = await _list(client, admin.headers)
    assert world.names(items) == _ordered(world, "a1", "a2", "b", "c", "d")
    assert world.names(items)[:3] == ["c", "d", "b"]
    b = next(i for i in items if i["id"] == world.ids["b"])
    assert (b["institution_id"], b["kind"], b["region_code"], b["township"]) == (
        world.institutions["B"],
        "funeral",
        SUB_REGION,
        "南宾街道",
    )
    assert b["institution_name"].startswith("敬老院-")
    assert (b["status"], b["found_on"], b["category"], b["severity"]) == ("rectifying", "2023-04-01", "gas", "major")
    detail, _ = await read(client, admin.headers, world.ids["b"])
    assert {k: b[k] for k in detail} == detail


FILTERS = [
    ({"status": "open"}, ["a2", "c"]),
    ({"status": "rectified"}, ["a1"]),
    ({"status": "rectifying"}, ["b"]),
    ({"status": "voided"}, ["d"]),
    ({"status": "verified"}, []),
    ({"severity": "major"}, ["a2", "b"]),
    ({"severity": "general"}, ["a1", "c", "d"]),
    ({"category": "gas"}, ["b"]),
    ({"category": "license"}, []),
    ({"kind": "funeral"}, ["b"]),
    ({"kind": "elderly_care"}, ["a1", "a2", "c", "d"]),
    ({"region_code": "50"}, ["a1", "a2", "b", "c", "d"]),
    ({"region_code": OWN_REGION}, ["a1", "a2", "b", "d"]),
    ({"region_code": SUB_REGION}, ["b"]),
    ({"region_code": OTHER_REGION}, ["c"]),
    ({"region_code": "11"}, []),
    ({"found_from": "2023-04-01"}, ["b", "c", "d"]),
    ({"found_to": "2023-04-01"}, ["a1", "a2", "b"]),
    ({"found_from": "2023-04-01", "found_to": "2023-04-20"}, ["b", "d"]),
    ({"found_from": "2023-04-02", "found_to": "2023-04-19"}, []),
    ({"due_from": "2023-04-25"}, ["b", "c", "d"]),  # a2 has no due date: left out by either bound
    ({"due_to": "2023-04-25"}, ["a1", "d"]),
    ({"due_from": "2023-05-01", "due_to": "2023-05-01"}, ["b"]),
    ({"due_from": "2023-03-11", "due_to": "2023-04-24"}, []),
    ({"due_from": "2023-04-01", "status": "open"}, ["c"]),
    ({"status": "open", "severity": "major"}, ["a2"]),
    ({"kind": "elderly_care", "region_code": OWN_REGION, "found_from": "2023-03-02"}, ["d"]),
    ({"unknown_param": "ignored"}, ["a1", "a2", "b", "c", "d"]),
]


async def test_every_filter(client: httpx.AsyncClient, admin: Actor, world: World) -> None:
    for params, expected in FILTERS:
        items = await _list(client, admin.headers, **params)
        assert world.names(items) == _ordered(world, *expected), params
    for key in ("A", "B", "C"):
        items = await _list(client, admin.headers, institution_id=world.institutions[key])
        assert sorted(world.names(items)) == {"A": ["a1", "a2"], "B": ["b"], "C": ["c"]}[key]
    assert await _list(client, admin.headers, institution_id=str(uuid.uuid4())) == []


async def test_overdue_filter_and_field(client: httpx.AsyncClient, admin: Actor, world: World) -> None:
    # 2023-05-02 in Shanghai: b (rectifying, due 05-01) is overdue; c (open, due 05-02) is due today;
    # a1 (rectified) and d (voided) are past due but closed; a2 has no due date.
    with frozen_clock(datetime(2023, 5, 2, 8, 0, tzinfo=UTC)):
        assert world.names(await _list(client, admin.headers, overdue="true")) == ["b"]
        assert world.names(await _list(client, admin.headers, overdue="false")) == _ordered(world, "a1", "a2", "c", "d")
        flags = {world.names([i])[0]: i["overdue"] for i in await _list(client, admin.headers)}
        assert flags == {"a1": False, "a2": False, "b": True, "c": False, "d": False}
        assert world.names(await _list(client, admin.headers, overdue="true", kind="elderly_care")) == []
    with frozen_clock(datetime(2023, 5, 2, 16, 0, tzinfo=UTC)):  # already 2023-05-03 in Shanghai
        assert world.names(await _list(client, admin.headers, overdue="true")) == ["c", "b"]
        assert world.names(await _list(client, admin.headers, overdue="1", status="open")) == ["c"]
    with frozen_clock(datetime(2023, 3, 5, 8, 0, tzinfo=UTC)):  # before any due date passed
        assert await _list(client, admin.headers, overdue="true") == []


async def test_region_scoped_caller(client: httpx.AsyncClient, world: World, make_actor: ActorFactory) -> None:
    county = await make_actor("viewer", OWN_REGION)
    assert world.names(await _list(client, county.headers)) == _ordered(world, "a1", "a2", "b", "d")
    assert world.names(await _list(client, county.headers, region_code=SUB_REGION)) == ["b"]
    assert world.names(await _list(client, county.headers, region_code=OWN_REGION)) == _ordered(
        world, "a1", "a2", "b", "d"
    )
    assert await _list(client, county.headers, institution_id=world.institutions["C"]) == []
    assert world.names(await _list(client, county.headers, due_from="2023-05-01")) == ["b"]  # c is outside
    for outside in (OTHER_REGION, "50", "5002"):
        assert_problem(await client.get(f"{API}/hazards", params={"region_code": outside}, headers=county.headers), 403)
    township = await make_actor("inspector", SUB_REGION)
    assert world.names(await _list(client, township.headers)) == ["b"]
    assert_problem(
        await client.get(f"{API}/hazards", params={"region_code": OWN_REGION}, headers=township.headers), 403
    )


@pytest.mark.parametrize(
    "params",
    [
        {"status": "closed"},
        {"overdue": "maybe"},
        {"severity": "minor"},
        {"category": "fire"},
        {"kind": "school"},
        {"region_code": "50a"},
        {"institution_id": "x"},
        {"found_from": "2023-02-30"},
        {"found_to": "yesterday"},
        {"due_from": "2023-13-01"},
        {"due_to": "soon"},
        {"limit": "0"},
        {"limit": "501"},
        {"cursor": "not-a-cursor"},
    ],
)
async def test_bad_filter_is_422(client: httpx.AsyncClient, admin: Actor, params: dict[str, str]) -> None:
    r = await client.get(f"{API}/hazards", params=params, headers=admin.headers)
    body = assert_problem(r, 422)
    assert any(e["loc"][-1] == next(iter(params)) for e in body["errors"]), body


async def test_cursor_walk(client: httpx.AsyncClient, admin: Actor, world: World) -> None:
    everything = world.names(await _list(client, admin.headers))
    for limit in ("1", "2"):
        walked: list[str] = []
        cursor: str | None = None
        pages = 0
        while True:
            params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
            r = await client.get(f"{API}/hazards", params=params, headers=admin.headers)
            assert r.status_code == 200, r.text
            page = r.json()
            assert len(page["items"]) <= int(limit)
            walked += world.names(page["items"])
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert walked == everything
        assert pages == {"1": 5, "2": 3}[limit]
    # a cursor keeps the filters it is used with
    first = await client.get(f"{API}/hazards", params={"limit": "1", "severity": "general"}, headers=admin.headers)
    second = await client.get(
        f"{API}/hazards",
        headers=admin.headers,
        params={"limit": "5", "severity": "general", "cursor": first.json()["next_cursor"]},
    )
    assert world.names(first.json()["items"] + second.json()["items"]) == _ordered(world, "a1", "c", "d")


async def test_moves_show_in_the_list(client: httpx.AsyncClient, admin: Actor, world: World) -> None:
    r = await move(client, admin.headers, world.ids["a1"], "verify", "2023-03-06")
    assert r.status_code == 200, r.text
    [a1] = await _list(client, admin.headers, status="verified")
    assert (a1["id"], a1["rectified_on"], a1["verified_on"]) == (world.ids["a1"], "2023-03-05", "2023-03-06")
    assert world.names(await _list(client, admin.headers, status="rectified")) == []
