"""Institutions: the list envelope, filters, stable order and cursor pagination."""

from __future__ import annotations

import base64
import itertools
import json
from typing import Any

import httpx
import pytest

from app.auth.models import Role
from tests.conftest import OWN_REGION, Actor, ActorFactory
from tests.institutions.helpers import URL, assert_problem, create

TOWN = f"{OWN_REGION}100"
OTHER_TOWN = f"{OWN_REGION}200"


@pytest.fixture
async def register(client: httpx.AsyncClient, admin: Actor) -> dict[str, dict[str, Any]]:
    """A small register; keys are short handles for the assertions."""
    rows: dict[str, dict[str, Any]] = {
        "funeral_home": dict(
            name="石柱县殡仪馆", kind="funeral", category="殡仪馆", region_code=TOWN, township="南宾街道"
        ),
        "cemetery": dict(
            name="石柱县万寿山公墓",
            kind="funeral",
            category="公墓",
            region_code=OTHER_TOWN,
            township="西沱镇",
            status="suspended",
        ),
        "welfare": dict(
            name="石柱县社会福利院", kind="elderly_care", category="养老院", region_code=TOWN, township="南宾街道"
        ),
        "nursing": dict(
            name="西沱镇敬老院",
            kind="elderly_care",
            category="敬老院",
            region_code=OTHER_TOWN,
            township="西沱镇",
            status="closed",
        ),
        "percent": dict(name="100%养老中心_A", kind="elderly_care", region_code=OWN_REGION),
    }
    return {handle: await create(client, admin.headers, **fields) for handle, fields in rows.items()}


async def _ids(client: httpx.AsyncClient, actor: Actor, **params: Any) -> list[str]:
    r = await client.get(URL, params=params, headers=actor.headers)
    assert r.status_code == 200, r.text
    page = r.json()
    assert set(page) == {"items", "next_cursor"}
    return [i["id"] for i in page["items"]]


def _handles(register: dict[str, dict[str, Any]], *handles: str) -> set[str]:
    return {register[h]["id"] for h in handles}


async def test_envelope_and_order(client: httpx.AsyncClient, admin: Actor, register: dict[str, dict[str, Any]]) -> None:
    r = await client.get(URL, headers=admin.headers)
    assert r.status_code == 200
    page = r.json()
    assert page["next_cursor"] is None
    assert len(page["items"]) == len(register)
    assert {i["id"] for i in page["items"]} == _handles(register, *register)
    keys = [(i["name"], i["id"]) for i in page["items"]]
    # Stable: the same query answers the same order, every time.
    assert [(i["name"], i["id"]) for i in (await client.get(URL, headers=admin.headers)).json()["items"]] == keys
    by_id = {i["id"]: i for i in page["items"]}
    for record in register.values():
        assert by_id[record["id"]] == record


async def test_empty_list(client: httpx.AsyncClient, admin: Actor) -> None:
    r = await client.get(URL, headers=admin.headers)
    assert r.json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "funeral"}, ("funeral_home", "cemetery")),
        ({"kind": "elderly_care"}, ("welfare", "nursing", "percent")),
        ({"region_code": TOWN}, ("funeral_home", "welfare")),
        ({"region_code": OWN_REGION}, ("funeral_home", "cemetery", "welfare", "nursing", "percent")),
        ({"region_code": "50"}, ("funeral_home", "cemetery", "welfare", "nursing", "percent")),
        ({"region_code": "500101"}, ()),
        ({"township": "西沱镇"}, ("cemetery", "nursing")),
        ({"township": "西沱"}, ()),  # township is matched exactly, not as a prefix
        ({"status": "active"}, ("funeral_home", "welfare", "percent")),
        ({"status": "suspended"}, ("cemetery",)),
        ({"status": "closed"}, ("nursing",)),
        ({"q": "敬老院"}, ("nursing",)),
        ({"q": "石柱县"}, ("funeral_home", "cemetery", "welfare")),
        ({"q": "殡仪"}, ("funeral_home",)),
        ({"q": "%"}, ("percent",)),  # LIKE wildcards are literal text
        ({"q": "_"}, ("percent",)),
        ({"q": "_A"}, ("percent",)),
        ({"q": "不存在"}, ()),
        ({"kind": "elderly_care", "township": "南宾街道"}, ("welfare",)),
        ({"kind": "funeral", "status": "active", "region_code": TOWN, "q": "殡"}, ("funeral_home",)),
        ({"kind": "funeral", "status": "closed"}, ()),
    ],
)
async def test_filters(
    client: httpx.AsyncClient,
    admin: Actor,
    register: dict[str, dict[str, Any]],
    params: dict[str, str],
    expected: tuple[str, ...],
) -> None:
    ids = await _ids(client, admin, **params)
    assert len(ids) == len(set(ids))
    assert set(ids) == _handles(register, *expected)


async def test_filters_apply_within_the_callers_region(
    client: httpx.AsyncClient, make_actor: ActorFactory, register: dict[str, dict[str, Any]]
) -> None:
    town_viewer = await make_actor(Role.viewer, TOWN)
    assert set(await _ids(client, town_viewer)) == _handles(register, "funeral_home", "welfare")
    assert set(await _ids(client, town_viewer, kind="funeral")) == _handles(register, "funeral_home")
    assert await _ids(client, town_viewer, township="西沱镇") == []
    assert_problem(await client.get(URL, params={"region_code": OWN_REGION}, headers=town_viewer.headers), 403)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "hospital"}, "kind"),
        ({"status": "open"}, "status"),
        ({"region_code": "abc"}, "region_code"),
        ({"region_code": "5002401234567"}, "region_code"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"q": "养" * 201}, "q"),
    ],
)
async def test_bad_query_is_422(client: httpx.AsyncClient, admin: Actor, params: dict[str, str], field: str) -> None:
    r = await client.get(URL, params=params, headers=admin.headers)
    problem = assert_problem(r, 422, field)
    assert problem["errors"][0]["loc"][0] == "query"


async def test_limit_bounds(client: httpx.AsyncClient, admin: Actor, register: dict[str, dict[str, Any]]) -> None:
    assert len(await _ids(client, admin, limit=1)) == 1
    assert len(await _ids(client, admin, limit=500)) == len(register)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!!",
        "not-a-cursor",
        _b64(b"\xff\xfe\xfd"),
        _b64(b'{"name": "x"}'),
        _b64(json.dumps(["only one"]).encode()),
        _b64(json.dumps(["a", "b", "c"]).encode()),
        _b64(json.dumps(["石柱", "not-a-uuid"]).encode()),
        _b64(json.dumps(["石柱", None]).encode()),
        _b64(json.dumps([None, "b443c8af-b8ed-4365-8dc1-4e9d3bb65182"]).encode()),
        "A" * 2001,
    ],
)
async def test_garbage_cursor_is_422(
    client: httpx.AsyncClient, admin: Actor, register: dict[str, dict[str, Any]], cursor: str
) -> None:
    r = await client.get(URL, params={"cursor": cursor}, headers=admin.headers)
    assert_problem(r, 422, "cursor")


async def _walk(client: httpx.AsyncClient, actor: Actor, limit: int, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(100):
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor is not None else {})}
        r = await client.get(URL, params=query, headers=actor.headers)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= limit
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items
        assert page["items"], "a page with a next cursor is never empty"
    raise AssertionError("pagination did not end")


async def test_cursor_walk_visits_every_item_once(client: httpx.AsyncClient, admin: Actor) -> None:
    # Duplicate names make the id the tie-breaker; odd count leaves a short last page.
    names = ["乙敬老院", "甲殡仪馆", "乙敬老院", "Alpha", "alpha", "乙敬老院", "丙公墓", "甲殡仪馆", "Zeta"]
    created = [await create(client, admin.headers, name=n) for n in names]
    everything = (await client.get(URL, params={"limit": 500}, headers=admin.headers)).json()["items"]
    walked = await _walk(client, admin, limit=2)
    assert [i["id"] for i in walked] == [i["id"] for i in everything]
    assert len(walked) == len(created)
    assert {i["id"] for i in walked} == {c["id"] for c in created}
    # Equal names are ordered by id.
    for a, b in itertools.pairwise(walked):
        if a["name"] == b["name"]:
            assert a["id"] < b["id"]


async def test_exact_multiple_of_limit_ends_with_null_cursor(client: httpx.AsyncClient, admin: Actor) -> None:
    for n in ("一", "二", "三", "四"):
        await create(client, admin.headers, name=f"{n}号敬老院")
    r = await client.get(URL, params={"limit": 4}, headers=admin.headers)
    assert len(r.json()["items"]) == 4
    assert r.json()["next_cursor"] is None
    walked = await _walk(client, admin, limit=2)
    assert len(walked) == 4


async def test_cursor_walk_keeps_filters(
    client: httpx.AsyncClient, admin: Actor, register: dict[str, dict[str, Any]]
) -> None:
    walked = await _walk(client, admin, limit=2, kind="elderly_care")
    assert {i["id"] for i in walked} == _handles(register, "welfare", "nursing", "percent")
    assert len(walked) == 3


async def test_cursor_survives_inserts_before_it(client: httpx.AsyncClient, admin: Actor) -> None:
    for n in ("B", "C", "D", "E"):
        await create(client, admin.headers, name=n)
    first = (await client.get(URL, params={"limit": 2}, headers=admin.headers)).json()
    assert [i["name"] for i in first["items"]] == ["B", "C"]
    await create(client, admin.headers, name="A")  # sorts before the cursor: not seen on later pages
    rest = (await client.get(URL, params={"limit": 2, "cursor": first["next_cursor"]}, headers=admin.headers)).json()
    assert [i["name"] for i in rest["items"]] == ["D", "E"]
    assert rest["next_cursor"] is None


async def test_unknown_query_params_are_ignored(
    client: httpx.AsyncClient, admin: Actor, register: dict[str, dict[str, Any]]
) -> None:
    plain = await _ids(client, admin)
    assert await _ids(client, admin, foo="bar", sort="-name", page="2", region="500101") == plain
    assert await _ids(client, admin, kind="funeral", Kind="elderly_care") == await _ids(client, admin, kind="funeral")
    r = await client.get(f"{URL}/{register['welfare']['id']}", params={"expand": "all"}, headers=admin.headers)
    assert r.status_code == 200
