"""GET /officers, GET /officers/{officer_id} and PATCH /officers/{officer_id}: region scoping, order,
pagination, partial updates and the certificate rules on change."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import Role
from app.officers.models import Officer
from tests.conftest import OTHER_REGION, OWN_REGION, Actor, ActorFactory
from tests.officers.helpers import OFFICERS_URL, assert_problem, create_officer, fetch_all


@pytest.fixture
async def two_regions(client: httpx.AsyncClient, admin: Actor) -> dict[str, dict[str, Any]]:
    return {
        "own": await create_officer(client, admin.headers, name="谭明", region_code=OWN_REGION),
        "own_town": await create_officer(client, admin.headers, name="冉华", region_code=f"{OWN_REGION}001"),
        "other": await create_officer(client, admin.headers, name="马芳", region_code=OTHER_REGION),
    }


async def _list(client: httpx.AsyncClient, actor: Actor, **params: Any) -> httpx.Response:
    return await client.get(OFFICERS_URL, params=params, headers=actor.headers)


async def test_get_requires_credentials(client: httpx.AsyncClient, two_regions: dict[str, dict[str, Any]]) -> None:
    assert_problem(await client.get(OFFICERS_URL), 401)
    assert_problem(await client.get(f"{OFFICERS_URL}/{two_regions['own']['id']}"), 401)
    assert_problem(await client.patch(f"{OFFICERS_URL}/{two_regions['own']['id']}", json={"name": "x"}), 401)


@pytest.mark.parametrize("role", [Role.viewer, Role.inspector, Role.supervisor])
async def test_regional_caller_sees_only_its_region(
    client: httpx.AsyncClient, make_actor: ActorFactory, two_regions: dict[str, dict[str, Any]], role: Role
) -> None:
    actor = await make_actor(role, OWN_REGION)
    r = await _list(client, actor)
    assert r.status_code == 200
    assert {o["id"] for o in r.json()["items"]} == {two_regions["own"]["id"], two_regions["own_town"]["id"]}
    narrowed = await _list(client, actor, region_code=f"{OWN_REGION}001")
    assert [o["id"] for o in narrowed.json()["items"]] == [two_regions["own_town"]["id"]]
    got = await client.get(f"{OFFICERS_URL}/{two_regions['own']['id']}", headers=actor.headers)
    assert got.status_code == 200 and got.json() == two_regions["own"]


@pytest.mark.parametrize("region_code", [OTHER_REGION, "50"])
async def test_region_filter_outside_the_callers_region_is_403(
    client: httpx.AsyncClient, make_actor: ActorFactory, two_regions: dict[str, dict[str, Any]], region_code: str
) -> None:
    supervisor = await make_actor(Role.supervisor, OWN_REGION)
    assert_problem(await _list(client, supervisor, region_code=region_code), 403)


async def test_officer_of_another_region_is_404(
    client: httpx.AsyncClient, make_actor: ActorFactory, two_regions: dict[str, dict[str, Any]]
) -> None:
    supervisor = await make_actor(Role.supervisor, OWN_REGION)
    other_id = two_regions["other"]["id"]
    assert_problem(await client.get(f"{OFFICERS_URL}/{other_id}", headers=supervisor.headers), 404)
    assert_problem(await client.get(f"{OFFICERS_URL}/{uuid.uuid4()}", headers=supervisor.headers), 404)
    r = await client.patch(f"{OFFICERS_URL}/{other_id}", json={"name": "改名"}, headers=supervisor.headers)
    assert_problem(r, 404)
    national = await client.get(f"{OFFICERS_URL}/{other_id}", headers=(await make_actor(Role.viewer, "")).headers)
    assert national.json()["name"] == "马芳"


async def test_malformed_officer_id_is_422(client: httpx.AsyncClient, admin: Actor) -> None:
    assert_problem(await client.get(f"{OFFICERS_URL}/not-a-uuid", headers=admin.headers), 422, ["path", "officer_id"])


async def test_list_is_ordered_by_name_and_pages_without_duplicates(client: httpx.AsyncClient, admin: Actor) -> None:
    names = ["张三", "李四", "王五", "赵六", "张三"]
    created = [await create_officer(client, admin.headers, name=n) for n in names]
    full = (await _list(client, admin, limit=500)).json()["items"]
    assert [(o["name"], o["id"]) for o in full] == sorted((o["name"], o["id"]) for o in created)
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(len(names) + 1):
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await _list(client, admin, **params)).json()
        seen.extend(o["id"] for o in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [o["id"] for o in full]
    assert_problem(await _list(client, admin, limit=501), 422, ["query", "limit"])
    assert_problem(await _list(client, admin, cursor="bm9wZQ"), 422)


async def test_list_filters_unit_and_name(client: httpx.AsyncClient, admin: Actor) -> None:
    a = await create_officer(client, admin.headers, name="谭明", unit="殡葬事务中心")
    b = await create_officer(client, admin.headers, name="谭小明", unit="社会福利中心")
    await create_officer(client, admin.headers, name="冉华", unit="社会福利中心")
    assert [o["id"] for o in (await _list(client, admin, unit="殡葬事务中心")).json()["items"]] == [a["id"]]
    assert {o["id"] for o in (await _list(client, admin, q="明")).json()["items"]} == {a["id"], b["id"]}
    assert (await _list(client, admin, q="%")).json()["items"] == []


async def test_patch_changes_only_the_fields_sent(
    client: httpx.AsyncClient, admin: Actor, session: AsyncSession
) -> None:
    officer = await create_officer(client, admin.headers, name="谭明", unit="社会福利中心")
    url = f"{OFFICERS_URL}/{officer['id']}"
    r = await client.patch(url, json={"unit": "殡葬事务中心", "certificate_status": "suspended"}, headers=admin.headers)
    assert r.status_code == 200, r.text
    changed = r.json()
    assert changed["unit"] == "殡葬事务中心" and changed["certificate_status"] == "suspended"
    assert {k: v for k, v in changed.items() if k not in ("unit", "certificate_status", "certified", "updated_at")} == {
        k: v for k, v in officer.items() if k not in ("unit", "certificate_status", "certified", "updated_at")
    }
    assert (await client.get(url, headers=admin.headers)).json() == changed
    rows = await fetch_all(
        session, select(Officer.unit, Officer.certificate_status).where(Officer.id == uuid.UUID(officer["id"]))
    )
    assert [tuple(row) for row in rows] == [("殡葬事务中心", "suspended")]


@pytest.mark.parametrize("role", [Role.viewer, Role.inspector])
async def test_viewer_and_inspector_may_not_patch(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory, role: Role
) -> None:
    officer = await create_officer(client, admin.headers)
    actor = await make_actor(role, OWN_REGION)
    r = await client.patch(f"{OFFICERS_URL}/{officer['id']}", json={"name": "改名"}, headers=actor.headers)
    assert_problem(r, 403)
    assert (await client.get(f"{OFFICERS_URL}/{officer['id']}", headers=admin.headers)).json()["name"] == "谭明"


async def test_supervisor_may_not_move_an_officer_out_of_its_region(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory
) -> None:
    officer = await create_officer(client, admin.headers)
    supervisor = await make_actor(Role.supervisor, OWN_REGION)
    url = f"{OFFICERS_URL}/{officer['id']}"
    assert_problem(await client.patch(url, json={"region_code": OTHER_REGION}, headers=supervisor.headers), 403)
    assert (await client.get(url, headers=admin.headers)).json()["region_code"] == OWN_REGION
    moved = await client.patch(url, json={"region_code": f"{OWN_REGION}002"}, headers=supervisor.headers)
    assert moved.status_code == 200 and moved.json()["region_code"] == f"{OWN_REGION}002"


@pytest.mark.parametrize("field", ["name", "unit", "region_code", "certificate_status"])
async def test_patch_null_for_a_required_field_is_422(client: httpx.AsyncClient, admin: Actor, field: str) -> None:
    officer = await create_officer(client, admin.headers)
    r = await client.patch(f"{OFFICERS_URL}/{officer['id']}", json={field: None}, headers=admin.headers)
    assert_problem(r, 422, ["body", field])


async def test_patch_unknown_field_is_422(client: httpx.AsyncClient, admin: Actor) -> None:
    officer = await create_officer(client, admin.headers)
    r = await client.patch(f"{OFFICERS_URL}/{officer['id']}", json={"certified": False}, headers=admin.headers)
    assert_problem(r, 422, ["body", "certified"])
    assert_problem(await client.patch(f"{OFFICERS_URL}/{uuid.uuid4()}", json={"name": "x"}, headers=admin.headers), 404)


@pytest.mark.parametrize(
    "change",
    [
        {"certificate_issued_on": "2024-03-01", "certificate_expires_on": "2024-02-29"},  # both in the body
        {"certificate_expires_on": "2019-12-31"},  # against the stored issue date 2020-01-01
        {"certificate_issued_on": "2031-01-01"},  # against the stored expiry 2030-12-31
        {"certificate_issued_on": "2031-01-01", "name": "改名"},  # nothing of a refused change is kept
    ],
)
async def test_patch_expiry_before_issue_is_422(
    client: httpx.AsyncClient, admin: Actor, change: dict[str, Any]
) -> None:
    officer = await create_officer(
        client, admin.headers, certificate_issued_on="2020-01-01", certificate_expires_on="2030-12-31"
    )
    url = f"{OFFICERS_URL}/{officer['id']}"
    assert_problem(await client.patch(url, json=change, headers=admin.headers), 422, ["body", "certificate_expires_on"])
    assert (await client.get(url, headers=admin.headers)).json() == officer


async def test_patch_dates_that_stay_ordered_are_accepted(client: httpx.AsyncClient, admin: Actor) -> None:
    officer = await create_officer(
        client, admin.headers, certificate_issued_on="2020-01-01", certificate_expires_on="2030-12-31"
    )
    url = f"{OFFICERS_URL}/{officer['id']}"
    r = await client.patch(url, json={"certificate_issued_on": "2030-12-31"}, headers=admin.headers)
    assert r.status_code == 200, r.text
    r = await client.patch(
        url, json={"certificate_expires_on": None, "certificate_issued_on": "2035-01-01"}, headers=admin.headers
    )
    assert r.status_code == 200, r.text
    assert (r.json()["certificate_issued_on"], r.json()["certificate_expires_on"]) == ("2035-01-01", None)


async def test_patch_to_a_taken_certificate_no_is_409(client: httpx.AsyncClient, admin: Actor) -> None:
    holder = await create_officer(client, admin.headers, certificate_no="渝执法500240001")
    other = await create_officer(client, admin.headers, name="冉华")
    url = f"{OFFICERS_URL}/{other['id']}"
    problem = assert_problem(
        await client.patch(url, json={"certificate_no": "渝执法500240001"}, headers=admin.headers),
        409,
        ["body", "certificate_no"],
    )
    assert "渝执法500240001" in problem["detail"]
    assert (await client.get(url, headers=admin.headers)).json()["certificate_no"] == other["certificate_no"]
    # Re-sending an officer's own number is not a conflict.
    own = await client.patch(
        f"{OFFICERS_URL}/{holder['id']}", json={"certificate_no": "渝执法500240001"}, headers=admin.headers
    )
    assert own.status_code == 200, own.text
