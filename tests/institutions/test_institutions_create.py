"""Institutions: creating, reading back, client-chosen id replay, and request validation."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.conftest import OWN_REGION, Actor
from tests.institutions.helpers import CREDIT_A, URL, assert_problem, body, create

FULL_BODY: dict[str, Any] = {
    "name": "石柱土家族自治县殡仪馆",
    "kind": "funeral",
    "category": "殡仪馆",
    "region_code": "500240100",
    "township": "南宾街道",
    "credit_code": CREDIT_A,
    "address": "重庆市石柱县南宾街道万寿山路 88 号",
    "contact_person": "谭德明",
    "contact_phone": "023-73331234",
    "operator_type": "public",
    "beds": 0,
    "status": "suspended",
}


async def test_create_returns_201_location_and_stored_record(client: httpx.AsyncClient, admin: Actor) -> None:
    r = await client.post(URL, json=FULL_BODY, headers=admin.headers)
    assert r.status_code == 201, r.text
    assert r.headers["content-type"].startswith("application/json")
    record = r.json()
    uuid.UUID(record["id"])
    for key, value in FULL_BODY.items():
        assert record[key] == value, key  # Chinese text comes back verbatim
    assert r.headers["location"] == f"{URL}/{record['id']}"
    created_at = datetime.fromisoformat(record["created_at"])
    assert created_at.utcoffset() is not None
    assert datetime.fromisoformat(record["updated_at"]) >= created_at

    again = await client.get(r.headers["location"], headers=admin.headers)
    assert again.status_code == 200
    assert again.json() == record
    assert "create_fingerprint" not in record


async def test_create_minimal_fills_defaults(client: httpx.AsyncClient, admin: Actor) -> None:
    record = await create(client, admin.headers)
    assert record["status"] == "active"
    for optional in (
        "category",
        "township",
        "credit_code",
        "address",
        "contact_person",
        "contact_phone",
        "operator_type",
        "beds",
    ):
        assert record[optional] is None, optional


async def test_name_whitespace_is_trimmed_and_200_chars_fit(client: httpx.AsyncClient, admin: Actor) -> None:
    record = await create(client, admin.headers, name="  南宾街道敬老院 ")
    assert record["name"] == "南宾街道敬老院"
    long_name = "养" * 200
    record = await create(client, admin.headers, name=long_name)
    assert record["name"] == long_name
    fetched = await client.get(f"{URL}/{record['id']}", headers=admin.headers)
    assert fetched.json()["name"] == long_name


async def test_client_chosen_id_is_kept(client: httpx.AsyncClient, admin: Actor) -> None:
    chosen = uuid.uuid4()
    record = await create(client, admin.headers, id=str(chosen))
    assert record["id"] == str(chosen)
    r = await client.get(f"{URL}/{chosen}", headers=admin.headers)
    assert r.status_code == 200


async def test_replay_same_body_is_200_with_stored_record(client: httpx.AsyncClient, admin: Actor) -> None:
    request = {**FULL_BODY, "id": str(uuid.uuid4())}
    first = await client.post(URL, json=request, headers=admin.headers)
    assert first.status_code == 201, first.text
    second = await client.post(URL, json=request, headers=admin.headers)
    assert second.status_code == 200, second.text
    assert second.json() == first.json()
    assert second.headers["location"] == first.headers["location"]
    listed = (await client.get(URL, headers=admin.headers)).json()["items"]
    assert len(listed) == 1


async def test_replay_compares_the_validated_request(client: httpx.AsyncClient, admin: Actor) -> None:
    chosen = str(uuid.uuid4())
    first = await create(client, admin.headers, id=chosen, credit_code=CREDIT_A)
    # Same request once validated: default spelled out, code in lower case with spaces, name untrimmed.
    r = await client.post(
        URL,
        json=body(id=chosen, status="active", credit_code=f" {CREDIT_A.lower()} ", name=f" {first['name']} "),
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json() == first


def _assert_replay_conflict(r: httpx.Response) -> None:
    problem = assert_problem(r, 409)
    assert problem["errors"] == [{"loc": ["body", "id"], "msg": "id already used for a different request"}]


async def test_replay_different_body_is_409(client: httpx.AsyncClient, admin: Actor) -> None:
    chosen = str(uuid.uuid4())
    first = await create(client, admin.headers, id=chosen)
    r = await client.post(URL, json=body(id=chosen, name="另一家敬老院"), headers=admin.headers)
    _assert_replay_conflict(r)
    r = await client.post(URL, json=body(id=chosen, beds=10), headers=admin.headers)
    _assert_replay_conflict(r)
    stored = (await client.get(f"{URL}/{chosen}", headers=admin.headers)).json()
    assert stored == first


async def test_replay_after_patch_answers_current_record(client: httpx.AsyncClient, admin: Actor) -> None:
    chosen = str(uuid.uuid4())
    request = body(id=chosen, beds=30)
    first = await client.post(URL, json=request, headers=admin.headers)
    assert first.status_code == 201
    patched = await client.patch(f"{URL}/{chosen}", json={"beds": 45, "status": "suspended"}, headers=admin.headers)
    assert patched.status_code == 200, patched.text
    replay = await client.post(URL, json=request, headers=admin.headers)
    assert replay.status_code == 200, replay.text
    assert replay.json() == patched.json()
    assert replay.json()["beds"] == 45
    # The patched content sent as a create is not the request first accepted.
    r = await client.post(URL, json=body(id=chosen, beds=45, status="suspended"), headers=admin.headers)
    _assert_replay_conflict(r)


@pytest.mark.parametrize("code", [CREDIT_A, "91110000802100433B"])
async def test_valid_credit_codes_accepted(client: httpx.AsyncClient, admin: Actor, code: str) -> None:
    record = await create(client, admin.headers, credit_code=code)
    assert record["credit_code"] == code


async def test_credit_code_is_normalised(client: httpx.AsyncClient, admin: Actor) -> None:
    record = await create(client, admin.headers, credit_code=f"  {CREDIT_A.lower()}\t")
    assert record["credit_code"] == CREDIT_A
    fetched = (await client.get(f"{URL}/{record['id']}", headers=admin.headers)).json()
    assert fetched["credit_code"] == CREDIT_A


@pytest.mark.parametrize(
    "code",
    [
        CREDIT_A[:17] + "4",  # check character off by one
        "91110000802100433C",
        CREDIT_A[:17],  # 17 characters
        CREDIT_A + "0",  # 19 characters
        "",
        "91350100I000100Y43",  # I, O, S, V, Z are not in the alphabet
        "91350100O000100Y43",
        "91350100S000100Y43",
        "91350100V000100Y43",
        "91350100Z000100Y43",
        "913501-0M000100Y43",
        "91A50100M000100Y43",  # characters 3-8 are a division code
        "９１３５０１００Ｍ０００１００Ｙ４３",  # full-width digits
    ],
)
async def test_bad_credit_code_is_422(client: httpx.AsyncClient, admin: Actor, code: str) -> None:
    r = await client.post(URL, json=body(credit_code=code), headers=admin.headers)
    assert_problem(r, 422, "credit_code")
    assert (await client.get(URL, headers=admin.headers)).json()["items"] == []


async def test_duplicate_credit_code_on_create_is_409(client: httpx.AsyncClient, admin: Actor) -> None:
    first = await create(client, admin.headers, credit_code=CREDIT_A)
    r = await client.post(URL, json=body(name="另一家", credit_code=CREDIT_A.lower()), headers=admin.headers)
    assert_problem(r, 409, "credit_code")
    # With a client id too (not a replay: the id is new).
    r = await client.post(
        URL, json=body(id=str(uuid.uuid4()), name="又一家", credit_code=CREDIT_A), headers=admin.headers
    )
    assert_problem(r, 409, "credit_code")
    items = (await client.get(URL, headers=admin.headers)).json()["items"]
    assert [i["id"] for i in items] == [first["id"]]


async def test_institutions_without_credit_code_do_not_collide(client: httpx.AsyncClient, admin: Actor) -> None:
    await create(client, admin.headers, name="甲")
    await create(client, admin.headers, name="乙", credit_code=None)
    items = (await client.get(URL, headers=admin.headers)).json()["items"]
    assert len(items) == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ...}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "养" * 201}, "name"),
        ({"name": None}, "name"),
        ({"name": 5}, "name"),
        ({"kind": ...}, "kind"),
        ({"kind": "hospital"}, "kind"),
        ({"kind": "Funeral"}, "kind"),
        ({"region_code": ...}, "region_code"),
        ({"region_code": "5"}, "region_code"),
        ({"region_code": "abc"}, "region_code"),
        ({"region_code": "5002401234567"}, "region_code"),
        ({"region_code": 500240}, "region_code"),
        ({"beds": -1}, "beds"),
        ({"beds": "many"}, "beds"),
        ({"beds": 1.5}, "beds"),
        ({"status": "open"}, "status"),
        ({"status": None}, "status"),
        ({"operator_type": "state"}, "operator_type"),
        ({"contact_phone": "call me"}, "contact_phone"),
        ({"township": "镇" * 101}, "township"),
        ({"id": "not-a-uuid"}, "id"),
        ({"nickname": "养老院"}, "nickname"),
        ({"creditCode": CREDIT_A}, "creditCode"),
    ],
)
async def test_invalid_body_is_422_naming_the_field(
    client: httpx.AsyncClient, admin: Actor, overrides: dict[str, Any], field: str
) -> None:
    r = await client.post(URL, json=body(**overrides), headers=admin.headers)
    problem = assert_problem(r, 422, field)
    assert problem["errors"], problem
    assert all(e["loc"][0] == "body" for e in problem["errors"])
    assert (await client.get(URL, headers=admin.headers)).json()["items"] == []


async def test_several_errors_are_all_reported(client: httpx.AsyncClient, admin: Actor) -> None:
    r = await client.post(URL, json={"kind": "hospital", "region_code": "x", "beds": -3}, headers=admin.headers)
    problem = assert_problem(r, 422)
    named = {e["loc"][-1] for e in problem["errors"]}
    assert {"name", "kind", "region_code", "beds"} <= named


@pytest.mark.parametrize("payload", [[], "institution", 42, None])
async def test_body_that_is_not_an_object_is_422(client: httpx.AsyncClient, admin: Actor, payload: Any) -> None:
    r = await client.post(URL, json=payload, headers=admin.headers)
    assert_problem(r, 422)


async def test_region_code_bounds(client: httpx.AsyncClient, admin: Actor) -> None:
    assert (await create(client, admin.headers, name="重庆", region_code="50"))["region_code"] == "50"
    twelve = f"{OWN_REGION}001001"
    assert (await create(client, admin.headers, name="村", region_code=twelve))["region_code"] == twelve


@pytest.mark.real_commits
async def test_simultaneous_replays_create_one_record(client: httpx.AsyncClient, admin: Actor) -> None:
    request = {**FULL_BODY, "id": str(uuid.uuid4())}
    answers = await asyncio.gather(*(client.post(URL, json=request, headers=admin.headers) for _ in range(10)))
    assert sorted(r.status_code for r in answers) == [200] * 9 + [201], [r.text for r in answers if r.is_error]
    assert len({json.dumps(r.json(), sort_keys=True) for r in answers}) == 1
    assert len((await client.get(URL, headers=admin.headers)).json()["items"]) == 1


@pytest.mark.real_commits
async def test_simultaneous_creates_with_one_credit_code(client: httpx.AsyncClient, admin: Actor) -> None:
    answers = await asyncio.gather(
        *(client.post(URL, json=body(name=f"第{n}家", credit_code=CREDIT_A), headers=admin.headers) for n in range(6))
    )
    assert sorted(r.status_code for r in answers) == [201] + [409] * 5, [r.text for r in answers]
    for r in answers:
        if r.status_code == 409:
            assert_problem(r, 409, "credit_code")
    assert len((await client.get(URL, headers=admin.headers)).json()["items"]) == 1
