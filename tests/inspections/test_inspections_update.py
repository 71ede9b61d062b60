"""PATCH /inspections/{inspection_id}: only type, campaign and summary change; who, where and when are fixed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import Role
from app.core.clock import frozen_clock
from app.inspections.models import Inspection
from tests.conftest import OTHER_REGION, OWN_REGION, Actor, ActorFactory
from tests.inspections.helpers import URL, World, create, linked_inspector, make_world
from tests.officers.helpers import assert_problem, create_officer, fetch_all

CREATED_AT = datetime(2024, 6, 1, 2, 0, tzinfo=UTC)
PATCHED_AT = datetime(2024, 6, 3, 9, 30, tzinfo=UTC)


@pytest.fixture
async def world(client: httpx.AsyncClient, admin: Actor) -> World:
    return await make_world(client, admin)


@pytest.fixture
async def record(client: httpx.AsyncClient, world: World) -> dict[str, Any]:
    with frozen_clock(CREATED_AT):
        return await create(
            client,
            world.admin,
            world.body(
                inspected_on="2024-05-30",
                hazards=[
                    {"category": "gas", "severity": "major", "description": "燃气管道老化", "due_on": "2099-06-30"}
                ],
            ),
        )


async def _patch(client: httpx.AsyncClient, actor: Actor, inspection_id: str, body: Any) -> httpx.Response:
    return await client.patch(f"{URL}/{inspection_id}", json=body, headers=actor.headers)


async def _stored(session: AsyncSession, inspection_id: str) -> tuple[Any, ...]:
    rows = await fetch_all(
        session,
        select(Inspection.type, Inspection.campaign, Inspection.summary, Inspection.inspected_on).where(
            Inspection.id == uuid.UUID(inspection_id)
        ),
    )
    assert len(rows) == 1
    return tuple(rows[0])


async def test_patch_summary_campaign_and_type(
    client: httpx.AsyncClient, world: World, record: dict[str, Any], session: AsyncSession
) -> None:
    with frozen_clock(PATCHED_AT):
        r = await _patch(
            client,
            world.admin,
            record["id"],
            {"type": "special", "campaign": " 养老院反诈专项行动 ", "summary": "复查"},
        )
    assert r.status_code == 200, r.text
    patched = r.json()
    assert (patched["type"], patched["campaign"], patched["summary"]) == ("special", "养老院反诈专项行动", "复查")
    assert patched["updated_at"].startswith("2024-06-03T09:30:00")
    assert patched["created_at"] == record["created_at"]
    unchanged = ("institution_id", "inspected_on", "officer_ids", "officers", "created_by", "id")
    assert {k: patched[k] for k in unchanged} == {k: record[k] for k in unchanged}
    assert [h["id"] for h in patched["hazards"]] == [h["id"] for h in record["hazards"]]
    got = await client.get(f"{URL}/{record['id']}", headers=world.admin.headers)
    assert got.json() == patched
    assert (await _stored(session, record["id"]))[:3] == ("special", "养老院反诈专项行动", "复查")


async def test_patch_only_what_is_sent(client: httpx.AsyncClient, world: World, record: dict[str, Any]) -> None:
    r = await _patch(client, world.admin, record["id"], {"summary": "只改摘要"})
    assert r.status_code == 200, r.text
    assert (r.json()["type"], r.json()["campaign"], r.json()["summary"]) == ("routine", None, "只改摘要")
    r = await _patch(client, world.admin, record["id"], {"campaign": "安全生产月"})
    assert (r.json()["campaign"], r.json()["summary"]) == ("安全生产月", "只改摘要")
    r = await _patch(client, world.admin, record["id"], {"campaign": None, "summary": None})
    assert r.status_code == 200, r.text
    assert (r.json()["campaign"], r.json()["summary"]) == (None, None)
    r = await _patch(client, world.admin, record["id"], {})
    assert r.status_code == 200 and r.json()["type"] == "routine"


async def test_null_type_is_422(
    client: httpx.AsyncClient, world: World, record: dict[str, Any], session: AsyncSession
) -> None:
    r = await _patch(client, world.admin, record["id"], {"type": None, "summary": "不应保存"})
    assert_problem(r, 422, ["body", "type"])
    assert await _stored(session, record["id"]) == (
        "routine",
        None,
        "检查消防设施、食品安全台账",
        datetime(2024, 5, 30).date(),
    )


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"inspected_on": "2024-05-01"}, ["body", "inspected_on"]),
        ({"institution_id": str(uuid.uuid4())}, ["body", "institution_id"]),
        ({"officer_ids": []}, ["body", "officer_ids"]),
        ({"hazards": []}, ["body", "hazards"]),
        ({"type": "surprise"}, ["body", "type"]),
        ({"campaign": ""}, ["body", "campaign"]),
    ],
)
async def test_fixed_or_bad_fields_are_422(
    client: httpx.AsyncClient, world: World, record: dict[str, Any], body: dict[str, Any], loc: list[str | int]
) -> None:
    assert_problem(await _patch(client, world.admin, record["id"], body), 422, loc)
    got = (await client.get(f"{URL}/{record['id']}", headers=world.admin.headers)).json()
    assert got == record


async def test_malformed_json_is_422(client: httpx.AsyncClient, world: World, record: dict[str, Any]) -> None:
    r = await client.patch(
        f"{URL}/{record['id']}",
        content=b'{"summary": ',
        headers={**world.admin.headers, "Content-Type": "application/json"},
    )
    assert_problem(r, 422)


async def test_inspector_taking_part_may_patch(
    client: httpx.AsyncClient, world: World, make_actor: ActorFactory, record: dict[str, Any]
) -> None:
    inspector = await linked_inspector(client, make_actor, world.admin, world.o2["id"])
    r = await _patch(client, inspector, record["id"], {"summary": "补充记录"})
    assert r.status_code == 200, r.text
    assert r.json()["summary"] == "补充记录"


async def test_inspector_not_taking_part_is_403(
    client: httpx.AsyncClient, world: World, make_actor: ActorFactory, record: dict[str, Any], session: AsyncSession
) -> None:
    bystander = await create_officer(client, world.admin.headers, name="旁观者")
    inspector = await linked_inspector(client, make_actor, world.admin, bystander["id"])
    assert_problem(await _patch(client, inspector, record["id"], {"summary": "越权"}), 403)
    unlinked = await linked_inspector(client, make_actor, world.admin, None)
    assert_problem(await _patch(client, unlinked, record["id"], {"summary": "越权"}), 403)
    assert (await _stored(session, record["id"]))[2] == "检查消防设施、食品安全台账"


async def test_viewer_is_403(
    client: httpx.AsyncClient, make_actor: ActorFactory, record: dict[str, Any], session: AsyncSession
) -> None:
    viewer = await make_actor(Role.viewer, OWN_REGION)
    assert_problem(await _patch(client, viewer, record["id"], {"summary": "越权"}), 403)
    assert (await _stored(session, record["id"]))[2] == "检查消防设施、食品安全台账"


@pytest.mark.parametrize("role", [Role.supervisor, Role.admin, Role.inspector])
async def test_other_region_is_404(
    client: httpx.AsyncClient, make_actor: ActorFactory, record: dict[str, Any], session: AsyncSession, role: Role
) -> None:
    outsider = await make_actor(role, OTHER_REGION)
    assert_problem(await _patch(client, outsider, record["id"], {"summary": "越权"}), 404)
    assert (await _stored(session, record["id"]))[2] == "检查消防设施、食品安全台账"


async def test_unknown_inspection_and_no_credentials(
    client: httpx.AsyncClient, world: World, record: dict[str, Any]
) -> None:
    assert_problem(await _patch(client, world.admin, str(uuid.uuid4()), {"summary": "x"}), 404)
    assert_problem(await client.patch(f"{URL}/{record['id']}", json={"summary": "x"}), 401)
