"""POST /inspections: every rule of the write path is a 422 problem+json naming the field or index,
and nothing is stored when a rule is broken."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import frozen_clock
from tests import factories
from tests.conftest import OTHER_REGION, OWN_REGION, Actor, ActorFactory
from tests.inspections.helpers import URL, World, counts, create, hazard, make_world, post
from tests.officers.helpers import assert_problem, create_officer

NOTHING = {"inspections": 0, "officers": 0, "hazards": 0, "history": 0}


@pytest.fixture
async def world(client: httpx.AsyncClient, admin: Actor) -> World:
    return await make_world(client, admin)


async def test_valid_body_is_201(client: httpx.AsyncClient, world: World, session: AsyncSession) -> None:
    record = await create(client, world.admin, world.body())
    assert record["institution_id"] == world.institution["id"]
    assert await counts(session) == {"inspections": 1, "officers": 2, "hazards": 2, "history": 2}


@pytest.mark.parametrize("how_many", [0, 1])
async def test_fewer_than_two_officers_is_422(
    client: httpx.AsyncClient, world: World, session: AsyncSession, how_many: int
) -> None:
    officer_ids = [world.o1["id"], world.o2["id"]][:how_many]
    r = await post(client, world.admin, world.body(officer_ids=officer_ids))
    assert_problem(r, 422, ["body", "officer_ids"])
    assert await counts(session) == NOTHING


async def test_missing_officer_ids_is_422(client: httpx.AsyncClient, world: World) -> None:
    assert_problem(await post(client, world.admin, world.body(officer_ids=...)), 422, ["body", "officer_ids"])


async def test_the_same_officer_twice_is_422_at_the_repeat(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    r = await post(client, world.admin, world.body(officer_ids=[world.o1["id"], world.o1["id"]]))
    problem = assert_problem(r, 422, ["body", "officer_ids", 1])
    assert world.o1["id"] in problem["detail"]
    # Two distinct certified officers plus a repeat is still refused: the list must not repeat anyone.
    r = await post(client, world.admin, world.body(officer_ids=[world.o1["id"], world.o2["id"], world.o1["id"]]))
    assert_problem(r, 422, ["body", "officer_ids", 2])
    assert await counts(session) == NOTHING


# inspected_on is 2023-05-04 in the default body.
@pytest.mark.parametrize(
    ("certificate", "reason"),
    [
        ({"certificate_no": None}, "certificate"),
        ({"certificate_issued_on": "2018-01-01", "certificate_expires_on": "2023-05-03"}, "expired"),
        ({"certificate_issued_on": "2023-05-05", "certificate_expires_on": "2028-05-04"}, "2023-05-05"),
        ({"certificate_status": "suspended"}, "suspended"),
        ({"certificate_status": "revoked"}, "revoked"),
    ],
)
async def test_officer_not_certified_on_the_inspection_date_is_422(
    client: httpx.AsyncClient, world: World, session: AsyncSession, certificate: dict[str, Any], reason: str
) -> None:
    uncertified = await create_officer(client, world.admin.headers, name="马芳", **certificate)
    r = await post(client, world.admin, world.body(officer_ids=[world.o1["id"], uncertified["id"]]))
    problem = assert_problem(r, 422, ["body", "officer_ids", 1])
    assert reason in problem["detail"]
    assert "2023-05-04" in problem["detail"]
    assert [e["loc"] for e in problem["errors"]] == [["body", "officer_ids", 1]]
    assert await counts(session) == NOTHING


async def test_certified_on_a_past_date_counts_even_if_expired_today(
    client: httpx.AsyncClient, world: World, admin: Actor
) -> None:
    # Valid until the inspection day itself (inclusive), long expired now; issued on the day itself.
    ends = await create_officer(
        client, admin.headers, name="马芳", certificate_issued_on="2018-01-01", certificate_expires_on="2023-05-04"
    )
    starts = await create_officer(
        client, admin.headers, name="向东", certificate_issued_on="2023-05-04", certificate_expires_on="2023-12-31"
    )
    assert ends["certified"] is False and starts["certified"] is False  # today (the real clock)
    record = await create(client, admin, world.body(officer_ids=[ends["id"], starts["id"]]))
    assert record["officer_ids"] == [ends["id"], starts["id"]]


async def test_every_broken_officer_is_named(client: httpx.AsyncClient, world: World) -> None:
    suspended = await create_officer(client, world.admin.headers, certificate_status="suspended")
    unknown = str(uuid.uuid4())
    r = await post(client, world.admin, world.body(officer_ids=[suspended["id"], world.o1["id"], unknown]))
    problem = assert_problem(r, 422, ["body", "officer_ids", 0], ["body", "officer_ids", 2])
    assert ["body", "officer_ids", 1] not in [e["loc"] for e in problem["errors"]]


async def test_unknown_officer_is_422(client: httpx.AsyncClient, world: World, session: AsyncSession) -> None:
    unknown = str(uuid.uuid4())
    r = await post(client, world.admin, world.body(officer_ids=[unknown, world.o2["id"]]))
    problem = assert_problem(r, 422, ["body", "officer_ids", 0])
    assert unknown in problem["detail"]
    assert await counts(session) == NOTHING


async def test_officer_outside_the_callers_region_is_422(
    client: httpx.AsyncClient, world: World, make_actor: ActorFactory, session: AsyncSession
) -> None:
    outsider = await create_officer(client, world.admin.headers, name="外区", region_code=OTHER_REGION)
    supervisor = await make_actor("supervisor", OWN_REGION)
    r = await post(client, supervisor, world.body(officer_ids=[world.o1["id"], outsider["id"]]))
    assert_problem(r, 422, ["body", "officer_ids", 1])
    assert await counts(session) == NOTHING


async def test_officers_need_not_share_the_institutions_region(
    client: httpx.AsyncClient, world: World, make_actor: ActorFactory
) -> None:
    city_admin = await make_actor("admin", "50")
    wanzhou = await create_officer(client, world.admin.headers, name="万州", region_code=OTHER_REGION)
    record = await create(client, city_admin, world.body(officer_ids=[world.o1["id"], wanzhou["id"]]))
    assert record["region_code"] == OWN_REGION
    assert record["officer_ids"] == [world.o1["id"], wanzhou["id"]]


async def test_unknown_institution_is_422(client: httpx.AsyncClient, world: World, session: AsyncSession) -> None:
    r = await post(client, world.admin, world.body(institution_id=str(uuid.uuid4())))
    assert_problem(r, 422, ["body", "institution_id"])
    assert await counts(session) == NOTHING


async def test_institution_outside_the_callers_region_is_422(
    client: httpx.AsyncClient, world: World, make_actor: ActorFactory, session: AsyncSession
) -> None:
    elsewhere = await factories.institution(client, world.admin.headers, region_code=OTHER_REGION)
    supervisor = await make_actor("supervisor", OWN_REGION)
    problem = assert_problem(
        await post(client, supervisor, world.body(institution_id=elsewhere["id"])), 422, ["body", "institution_id"]
    )
    assert elsewhere["name"] not in problem["detail"]  # nothing about it is revealed
    assert await counts(session) == NOTHING


async def test_closed_institution_is_422(client: httpx.AsyncClient, world: World, session: AsyncSession) -> None:
    closed = await factories.institution(client, world.admin.headers, status="closed")
    r = await post(client, world.admin, world.body(institution_id=closed["id"]))
    problem = assert_problem(r, 422, ["body", "institution_id"])
    assert "closed" in problem["detail"]
    assert await counts(session) == NOTHING
    suspended = await factories.institution(client, world.admin.headers, status="suspended")
    assert (await post(client, world.admin, world.body(institution_id=suspended["id"]))).status_code == 201


@pytest.mark.parametrize(
    ("at", "inspected_on", "status"),
    [
        # 2024-01-01T17:00Z is 2024-01-02 01:00 in Shanghai: the 2nd is today, the 3rd the future.
        (datetime(2024, 1, 1, 17, 0, tzinfo=UTC), "2024-01-02", 201),
        (datetime(2024, 1, 1, 17, 0, tzinfo=UTC), "2024-01-03", 422),
        # 2024-01-01T15:59Z is 23:59 on 2024-01-01 in Shanghai: the 2nd is still the future.
        (datetime(2024, 1, 1, 15, 59, tzinfo=UTC), "2024-01-02", 422),
        (datetime(2024, 1, 1, 15, 59, tzinfo=UTC), "2024-01-01", 201),
    ],
)
async def test_inspected_on_in_the_future_is_422(
    client: httpx.AsyncClient, world: World, session: AsyncSession, at: datetime, inspected_on: str, status: int
) -> None:
    with frozen_clock(at):
        r = await post(client, world.admin, world.body(inspected_on=inspected_on, hazards=[]))
    if status == 422:
        problem = assert_problem(r, 422, ["body", "inspected_on"])
        assert inspected_on in problem["detail"]
        assert await counts(session) == NOTHING
    else:
        assert r.status_code == 201, r.text
        assert r.json()["inspected_on"] == inspected_on


async def test_hazard_due_before_the_inspection_is_422(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    hazards = [hazard("当天到期", due_on="2023-05-04"), hazard("早于检查日", due_on="2023-05-03"), hazard("无期限")]
    problem = assert_problem(
        await post(client, world.admin, world.body(hazards=hazards)), 422, ["body", "hazards", 1, "due_on"]
    )
    assert [e["loc"] for e in problem["errors"]] == [["body", "hazards", 1, "due_on"]]
    assert await counts(session) == NOTHING


@pytest.mark.parametrize(
    ("hazards", "loc"),
    [
        ([hazard("x"), hazard("未知类别", category="fire")], ["body", "hazards", 1, "category"]),
        ([hazard("未知等级", severity="critical")], ["body", "hazards", 0, "severity"]),
        ([hazard("   ")], ["body", "hazards", 0, "description"]),
        ([hazard("多余字段", status="verified")], ["body", "hazards", 0, "status"]),
        ([hazard("日期不对", due_on="2023-02-30")], ["body", "hazards", 0, "due_on"]),
        ([{"severity": "general", "description": "缺类别"}], ["body", "hazards", 0, "category"]),
    ],
)
async def test_invalid_hazard_is_422(
    client: httpx.AsyncClient, world: World, session: AsyncSession, hazards: list[dict[str, Any]], loc: list[str | int]
) -> None:
    assert_problem(await post(client, world.admin, world.body(hazards=hazards)), 422, loc)
    assert await counts(session) == NOTHING


@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        ({"inspector": "谭明"}, ["body", "inspector"]),
        ({"status": "closed"}, ["body", "status"]),
        ({"type": "surprise"}, ["body", "type"]),
        ({"type": ...}, ["body", "type"]),
        ({"institution_id": ...}, ["body", "institution_id"]),
        ({"institution_id": "not-a-uuid"}, ["body", "institution_id"]),
        ({"inspected_on": ...}, ["body", "inspected_on"]),
        ({"inspected_on": "2023-5-4"}, ["body", "inspected_on"]),
        ({"officer_ids": ["nope", "nope2"]}, ["body", "officer_ids", 0]),
        ({"campaign": "  "}, ["body", "campaign"]),
    ],
)
async def test_bad_field_is_422(
    client: httpx.AsyncClient, world: World, session: AsyncSession, overrides: dict[str, Any], loc: list[str | int]
) -> None:
    assert_problem(await post(client, world.admin, world.body(**overrides)), 422, loc)
    assert await counts(session) == NOTHING


@pytest.mark.parametrize("raw", [b'{"institution_id": ', b"not json", b"[1, 2]", b"\xff\xfe{}"])
async def test_malformed_json_is_422(
    client: httpx.AsyncClient, world: World, session: AsyncSession, raw: bytes
) -> None:
    r = await client.post(URL, content=raw, headers={**world.admin.headers, "Content-Type": "application/json"})
    problem = assert_problem(r, 422)
    assert problem["errors"]
    assert await counts(session) == NOTHING


async def test_without_credentials_is_401(client: httpx.AsyncClient, world: World, session: AsyncSession) -> None:
    assert_problem(await client.post(URL, json=world.body()), 401)
    assert_problem(await client.get(URL), 401)
    assert await counts(session) == NOTHING
