"""GET /regions (scoped, filtered, paged) and POST /regions/import (the official CSV format, all rows or none)."""

from __future__ import annotations

import httpx
import pytest

from app.auth.models import Role
from tests.conftest import OTHER_REGION, OWN_REGION, Actor, ActorFactory
from tests.problems import error_locs, problem_of

URL = "/api/v1/regions"
IMPORT = f"{URL}/import"
# GB/T 2260 pads county-level and higher codes to 6 digits; the statistical codes pad townships to 12.
OFFICIAL = (
    "行政区划代码,名称\n"
    "500000,重庆市\n"
    "500100,市辖区\n"
    "500101,万州区\n"
    "500200,县\n"
    "500240,石柱土家族自治县\n"
    "500240001000,南宾街道\n"
    "500240002000,万安街道\n"
    "500240101000,西沱镇\n"
    "500101001000,高笋塘街道\n"
)
CSV = {"Content-Type": "text/csv; charset=utf-8"}


async def _import(client: httpx.AsyncClient, actor: Actor, text: str | bytes) -> httpx.Response:
    body = text.encode() if isinstance(text, str) else text
    return await client.post(IMPORT, content=body, headers={**actor.headers, **CSV})


async def _codes(client: httpx.AsyncClient, actor: Actor, **params: str) -> list[str]:
    r = await client.get(URL, params=params, headers=actor.headers)
    assert r.status_code == 200, r.text
    return [i["code"] for i in r.json()["items"]]


async def test_import_the_official_format(client: httpx.AsyncClient, admin: Actor) -> None:
    r = await _import(client, admin, OFFICIAL)
    assert r.status_code == 200, r.text
    assert r.json() == {"rows": 9, "created": 9, "renamed": 0, "unchanged": 0}
    regions = {i["code"]: i for i in (await client.get(URL, headers=admin.headers)).json()["items"]}
    assert list(regions) == [
        "50",
        "5001",
        "500101",
        "500101001",
        "5002",
        "500240",
        "500240001",
        "500240002",
        "500240101",
    ]
    assert (regions["50"]["name"], regions["50"]["parent_code"]) == ("重庆市", None)
    assert regions["500240"]["parent_code"] == "5002" and regions["500240001"]["parent_code"] == "500240"

    again = await _import(client, admin, OFFICIAL.replace("西沱镇", "西沱古镇"))
    assert again.json() == {"rows": 9, "created": 0, "renamed": 1, "unchanged": 8}
    assert (await client.get(f"{URL}/500240101", headers=admin.headers)).json()["name"] == "西沱古镇"


async def test_import_as_multipart_in_gbk_with_parents(client: httpx.AsyncClient, admin: Actor) -> None:
    text = (
        "code,name,parent_code\r\n500240,石柱土家族自治县,500000\r\n\r\n"  # a parent in GB/T 2260 form; a blank line
        "500240001,南宾街道,\r\n 500240002 , 万安街道\u3000\r\n"  # an empty parent cell; spaces, a full-width one
    )
    files = {"file": ("石柱.csv", text.encode("gbk"), "text/csv")}
    r = await client.post(IMPORT, files=files, headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 3
    items = (await client.get(URL, headers=admin.headers)).json()["items"]
    assert [(i["code"], i["name"], i["parent_code"]) for i in items] == [
        ("500240", "石柱土家族自治县", "50"),
        ("500240001", "南宾街道", "500240"),
        ("500240002", "万安街道", "500240"),
    ]


async def test_list_is_the_callers_subtree_filtered_and_paged(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory
) -> None:
    await _import(client, admin, OFFICIAL)
    viewer = await make_actor(Role.viewer, OWN_REGION)
    assert await _codes(client, viewer) == ["500240", "500240001", "500240002", "500240101"]
    assert await _codes(client, viewer, parent_code="500240") == ["500240001", "500240002", "500240101"]
    assert await _codes(client, viewer, parent_code="5002") == ["500240"]  # only what lies in its region
    assert await _codes(client, viewer, parent_code=OTHER_REGION) == []
    assert await _codes(client, viewer, q="街道") == ["500240001", "500240002"]
    assert await _codes(client, viewer, q="%") == []  # q is text, not a pattern
    assert await _codes(client, admin, q="街道") == ["500101001", "500240001", "500240002"]

    seen, cursor = [], None
    for _ in range(5):
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        page = (await client.get(URL, params=params, headers=viewer.headers)).json()
        seen += [i["code"] for i in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert seen == ["500240", "500240001", "500240002", "500240101"]

    problem_of(await client.get(URL), 401)
    for params, loc in (
        ({"limit": "501"}, ["query", "limit"]),
        ({"cursor": "nonsense"}, ["query", "cursor"]),
        ({"parent_code": "50x"}, ["query", "parent_code"]),
        ({"q": "长" * 101}, ["query", "q"]),
    ):
        assert error_locs(problem_of(await client.get(URL, params=params, headers=viewer.headers), 422)) == [loc]


async def test_a_wrong_row_imports_nothing(client: httpx.AsyncClient, admin: Actor) -> None:
    text = (
        "500240,石柱土家族自治县\n"
        "5002401,南宾街道\n"  # 7 digits
        "500240002,\n"  # no name
        "500240,石柱县\n"  # twice
        "500240003,下路街道,500101\n"  # a parent it does not start with
        "500240004\n"  # one cell
    )
    problem = problem_of(await _import(client, admin, text), 422)
    assert error_locs(problem) == [
        ["body", 2, "code"],
        ["body", 3, "name"],
        ["body", 4, "code"],
        ["body", 5, "parent_code"],
        ["body", 6],
    ]
    assert "nothing was imported" in problem["detail"]
    assert await _codes(client, admin) == []
    for body, says in ((b"", "no rows"), (b"code,name\n", "no rows"), (b"\xff\xfe\x00\x01", "")):
        problem = problem_of(await _import(client, admin, body), 422)
        assert says in problem["detail"]
    assert await _codes(client, admin) == []


async def test_import_outside_the_region_is_refused_whole(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    county_admin = await make_actor(Role.admin, OWN_REGION)
    problem = problem_of(await _import(client, county_admin, "500240001,南宾街道\n500101001,高笋塘街道\n"), 403)
    assert error_locs(problem) == [["body", 2, "code"]]
    national = await make_actor(Role.admin, "")
    assert await _codes(client, national) == []
    r = await _import(client, county_admin, "500240001000,南宾街道\n500240,石柱土家族自治县\n")
    assert (r.status_code, r.json()["created"]) == (200, 2)


async def test_import_needs_an_admin(client: httpx.AsyncClient, make_actor: ActorFactory) -> None:
    problem_of(await client.post(IMPORT, content="500240001,南宾街道\n".encode(), headers=CSV), 401)
    supervisor = await make_actor(Role.supervisor, OWN_REGION)
    problem_of(await _import(client, supervisor, "500240001,南宾街道\n"), 403)
    admin = await make_actor(Role.admin, OWN_REGION)
    r = await client.post(IMPORT, json={"code": "500240001"}, headers=admin.headers)
    problem_of(r, 415)
    r = await client.post(IMPORT, files={"upload": ("a.csv", b"500240001,x\n", "text/csv")}, headers=admin.headers)
    assert error_locs(problem_of(r, 422)) == [["body", "file"]]


@pytest.mark.parametrize(
    ("existing", "text", "lines"),
    [
        ("", "500240001,南宾街道\n500240002,南宾街道\n", [1, 2]),  # twice in the file
        ("500240001,南宾街道\n", "500240009,南宾街道\n", [1]),  # already in the register
    ],
)
async def test_sibling_name_clash_imports_nothing(
    client: httpx.AsyncClient, admin: Actor, existing: str, text: str, lines: list[int]
) -> None:
    if existing:
        assert (await _import(client, admin, existing)).status_code == 200
    before = await _codes(client, admin)
    problem = problem_of(await _import(client, admin, text + "500240003,下路街道\n"), 409)
    assert error_locs(problem) == [["body", line, "name"] for line in lines]
    assert await _codes(client, admin) == before
