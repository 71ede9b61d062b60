"""Institutions: PATCH (partial update), its validation, and the unique credit code."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.conftest import OWN_REGION, Actor
from tests.institutions.helpers import CREDIT_A, CREDIT_B, URL, assert_problem, create


@pytest.fixture
async def stored(client: httpx.AsyncClient, admin: Actor) -> dict[str, Any]:
    return await create(
        client,
        admin.headers,
        name="石柱县中益乡敬老院",
        category="敬老院",
        township="中益乡",
        credit_code=CREDIT_A,
        address="中益乡华溪村",
        contact_person="马培清",
        contact_phone="13800000000",
        operator_type="public",
        beds=60,
    )


async def _get(client: httpx.AsyncClient, admin: Actor, record_id: str) -> dict[str, Any]:
    r = await client.get(f"{URL}/{record_id}", headers=admin.headers)
    assert r.status_code == 200, r.text
    record: dict[str, Any] = r.json()
    return record


async def test_patch_changes_only_the_fields_sent(
    client: httpx.AsyncClient, admin: Actor, stored: dict[str, Any]
) -> None:
    r = await client.patch(f"{URL}/{stored['id']}", json={"beds": 75, "township": "南宾街道"}, headers=admin.headers)
    assert r.status_code == 200, r.text
    patched = r.json()
    expected = {**stored, "beds": 75, "township": "南宾街道"}
    for key in expected.keys() - {"updated_at"}:
        assert patched[key] == expected[key], key
    assert datetime.fromisoformat(patched["updated_at"]) >= datetime.fromisoformat(stored["updated_at"])
    assert await _get(client, admin, stored["id"]) == patched


async def test_patch_every_field(client: httpx.AsyncClient, admin: Actor, stored: dict[str, Any]) -> None:
    change = {
        "name": "石柱县殡仪馆",
        "kind": "funeral",
        "category": "殡仪馆",
        "region_code": f"{OWN_REGION}002",
        "township": "西沱镇",
        "credit_code": CREDIT_B,
        "address": "西沱镇",
        "contact_person": "冉",
        "contact_phone": "+86 23 7333",
        "operator_type": "private",
        "beds": 0,
        "status": "closed",
    }
    r = await client.patch(f"{URL}/{stored['id']}", json=change, headers=admin.headers)
    assert r.status_code == 200, r.text
    for key, value in change.items():
        assert r.json()[key] == value, key
    assert await _get(client, admin, stored["id"]) == r.json()


async def test_patch_optional_field_to_null_clears_it(
    client: httpx.AsyncClient, admin: Actor, stored: dict[str, Any]
) -> None:
    r = await client.patch(f"{URL}/{stored['id']}", json={"beds": None, "credit_code": None}, headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.json()["beds"] is None
    assert r.json()["credit_code"] is None
    assert r.json()["name"] == stored["name"]
    # The freed code can be taken by another institution.
    other = await create(client, admin.headers, name="另一家", credit_code=CREDIT_A)
    assert other["credit_code"] == CREDIT_A


async def test_empty_patch_changes_nothing(client: httpx.AsyncClient, admin: Actor, stored: dict[str, Any]) -> None:
    r = await client.patch(f"{URL}/{stored['id']}", json={}, headers=admin.headers)
    assert r.status_code == 200, r.text
    fetched = await _get(client, admin, stored["id"])
    assert {k: v for k, v in fetched.items() if k != "updated_at"} == {
        k: v for k, v in stored.items() if k != "updated_at"
    }


@pytest.mark.parametrize("field", ["name", "kind", "region_code", "status"])
async def test_patch_required_field_to_null_is_422(
    client: httpx.AsyncClient, admin: Actor, stored: dict[str, Any], field: str
) -> None:
    r = await client.patch(f"{URL}/{stored['id']}", json={field: None}, headers=admin.headers)
    assert_problem(r, 422, field)
    assert await _get(client, admin, stored["id"]) == stored


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "养" * 201}, "name"),
        ({"kind": "hospital"}, "kind"),
        ({"region_code": "5"}, "region_code"),
        ({"region_code": "abc"}, "region_code"),
        ({"beds": -1}, "beds"),
        ({"status": "deleted"}, "status"),
        ({"credit_code": CREDIT_A[:17] + "0"}, "credit_code"),
        ({"credit_code": "91350100I000100Y43"}, "credit_code"),
        ({"id": str(uuid.uuid4())}, "id"),
        ({"created_at": "2024-01-01T00:00:00+08:00"}, "created_at"),
        ({"nmae": "typo"}, "nmae"),
    ],
)
async def test_invalid_patch_is_422_and_changes_nothing(
    client: httpx.AsyncClient, admin: Actor, stored: dict[str, Any], change: dict[str, Any], field: str
) -> None:
    r = await client.patch(f"{URL}/{stored['id']}", json={"beds": 1, **change}, headers=admin.headers)
    assert_problem(r, 422, field)
    assert await _get(client, admin, stored["id"]) == stored


async def test_patch_credit_code_taken_is_409(client: httpx.AsyncClient, admin: Actor, stored: dict[str, Any]) -> None:
    other = await create(client, admin.headers, name="另一家", credit_code=CREDIT_B)
    r = await client.patch(
        f"{URL}/{other['id']}", json={"credit_code": CREDIT_A.lower(), "beds": 5}, headers=admin.headers
    )
    assert_problem(r, 409, "credit_code")
    assert await _get(client, admin, other["id"]) == other


@pytest.mark.real_commits
async def test_simultaneous_patches_to_one_credit_code(client: httpx.AsyncClient, admin: Actor) -> None:
    records = [await create(client, admin.headers, name=f"第{n}家") for n in range(4)]
    answers = await asyncio.gather(
        *(client.patch(f"{URL}/{r['id']}", json={"credit_code": CREDIT_B}, headers=admin.headers) for r in records)
    )
    assert sorted(r.status_code for r in answers) == [200, 409, 409, 409], [r.text for r in answers]
    for r in answers:
        if r.status_code == 409:
            assert_problem(r, 409, "credit_code")
    listed = (await client.get(URL, headers=admin.headers)).json()["items"]
    assert [i["credit_code"] for i in listed].count(CREDIT_B) == 1


async def test_patch_keeping_own_credit_code_is_fine(
    client: httpx.AsyncClient, admin: Actor, stored: dict[str, Any]
) -> None:
    r = await client.patch(f"{URL}/{stored['id']}", json={"credit_code": CREDIT_A, "beds": 61}, headers=admin.headers)
    assert r.status_code == 200, r.text
    assert r.json()["credit_code"] == CREDIT_A
    assert r.json()["beds"] == 61


async def test_patch_unknown_id_is_404(client: httpx.AsyncClient, admin: Actor) -> None:
    r = await client.patch(f"{URL}/{uuid.uuid4()}", json={"name": "x"}, headers=admin.headers)
    assert_problem(r, 404)


async def test_patch_bad_id_is_422(client: httpx.AsyncClient, admin: Actor) -> None:
    r = await client.patch(f"{URL}/not-a-uuid", json={"name": "x"}, headers=admin.headers)
    assert_problem(r, 422, "institution_id")


async def test_get_unknown_and_bad_ids(client: httpx.AsyncClient, admin: Actor) -> None:
    assert_problem(await client.get(f"{URL}/{uuid.uuid4()}", headers=admin.headers), 404)
    assert_problem(await client.get(f"{URL}/12345", headers=admin.headers), 422, "institution_id")
