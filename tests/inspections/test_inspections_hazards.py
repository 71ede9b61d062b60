"""Hazards created with an inspection: they start `open`, are found on the inspection date, compute
`overdue` against the Shanghai date, come back in the submitted order, and each starts its history with
exactly one `create` entry by the caller."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import Role
from app.core.clock import frozen_clock
from app.hazards.models import Hazard
from tests.conftest import Actor, ActorFactory
from tests.inspections.helpers import URL, World, create, hazard, history_rows, linked_inspector, make_world
from tests.officers.helpers import NOON, fetch_all


@pytest.fixture
async def world(client: httpx.AsyncClient, admin: Actor) -> World:
    return await make_world(client, admin)


def _descending_ids(n: int) -> list[str]:
    """Client ids that sort against the submitted order, so order by id cannot pass for submitted order."""
    return sorted((str(uuid.uuid4()) for _ in range(n)), reverse=True)


async def test_hazards_come_back_in_submitted_order(client: httpx.AsyncClient, world: World) -> None:
    descriptions = ["消防通道堆放杂物", "安全出口指示灯损坏", "厨房燃气无报警器", "护理记录不全", "营业执照过期"]
    ids = _descending_ids(len(descriptions))
    hazards = [
        hazard(d, id=i, category=c)
        for d, i, c in zip(descriptions, ids, ["fire_safety", "electrical", "gas", "service", "license"], strict=True)
    ]
    record = await create(client, world.admin, world.body(hazards=hazards))
    assert [h["description"] for h in record["hazards"]] == descriptions
    assert [h["id"] for h in record["hazards"]] == ids
    got = await client.get(f"{URL}/{record['id']}", headers=world.admin.headers)
    assert got.status_code == 200
    assert [h["id"] for h in got.json()["hazards"]] == ids
    assert [h["category"] for h in got.json()["hazards"]] == ["fire_safety", "electrical", "gas", "service", "license"]
    assert got.json()["hazards_count"] == 5


async def test_hazards_start_open_found_on_the_inspection_date(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    hazards = [
        hazard("消防通道堆放杂物", severity="major", legal_basis="《消防法》第二十八条", due_on="2023-05-20"),
        hazard("食品留样记录缺失", category="food"),
    ]
    record = await create(client, world.admin, world.body(inspected_on="2023-05-04", hazards=hazards))
    first, second = record["hazards"]
    for h in record["hazards"]:
        assert h["status"] == "open"
        assert h["found_on"] == "2023-05-04"
        assert h["inspection_id"] == record["id"]
        assert h["rectified_on"] is None and h["verified_on"] is None
    assert (first["severity"], first["legal_basis"], first["due_on"]) == ("major", "《消防法》第二十八条", "2023-05-20")
    assert (second["category"], second["legal_basis"], second["due_on"]) == ("food", None, None)
    rows = await fetch_all(
        session,
        select(Hazard.id, Hazard.status, Hazard.found_on, Hazard.position)
        .where(Hazard.inspection_id == uuid.UUID(record["id"]))
        .order_by(Hazard.position),
    )
    assert [(str(r.id), r.status, r.found_on, r.position) for r in rows] == [
        (first["id"], "open", date(2023, 5, 4), 0),
        (second["id"], "open", date(2023, 5, 4), 1),
    ]


async def test_overdue_is_computed_against_the_shanghai_date(client: httpx.AsyncClient, world: World) -> None:
    hazards = [
        hazard("已逾期", due_on="2024-06-14"),
        hazard("今日到期", due_on="2024-06-15"),
        hazard("未到期", due_on="2024-06-20"),
        hazard("无期限"),
    ]
    with frozen_clock(NOON):  # 2024-06-15 in Shanghai
        record = await create(client, world.admin, world.body(inspected_on="2024-06-01", hazards=hazards))
    assert [h["overdue"] for h in record["hazards"]] == [True, False, False, False]
    url = f"{URL}/{record['id']}"
    # 2024-06-15T16:00Z is already 2024-06-16 in Shanghai: the one due on the 15th is now overdue too.
    with frozen_clock(datetime(2024, 6, 15, 16, 0, tzinfo=UTC)):
        later = (await client.get(url, headers=world.admin.headers)).json()
    assert [h["overdue"] for h in later["hazards"]] == [True, True, False, False]
    with frozen_clock(datetime(2024, 6, 1, 4, 0, tzinfo=UTC)):
        early = (await client.get(url, headers=world.admin.headers)).json()
    assert [h["overdue"] for h in early["hazards"]] == [False, False, False, False]


async def test_each_hazard_has_exactly_one_create_history_entry(
    client: httpx.AsyncClient, world: World, make_actor: ActorFactory, session: AsyncSession
) -> None:
    supervisor = await make_actor(Role.supervisor, "500240")
    hazards = [hazard(f"问题{i}") for i in range(3)]
    record = await create(client, supervisor, world.body(hazards=hazards))
    rows = await history_rows(session, record["id"])
    assert [str(r.hazard_id) for r in rows] == [h["id"] for h in record["hazards"]]
    for r in rows:
        assert (r.seq, r.action, r.from_status, r.to_status) == (1, "create", None, "open")
        assert r.actor_id == supervisor.user_id
        assert r.actor_role == "supervisor"
        assert r.on == date(2023, 5, 4)


async def test_history_actor_is_the_inspector(
    client: httpx.AsyncClient, world: World, make_actor: ActorFactory, session: AsyncSession
) -> None:
    inspector = await linked_inspector(client, make_actor, world.admin, world.o2["id"])
    record = await create(client, inspector, world.body())
    rows = await history_rows(session, record["id"])
    assert len(rows) == 2
    assert {(r.actor_id, r.actor_role, r.action) for r in rows} == {(inspector.user_id, "inspector", "create")}


async def test_inspection_without_hazards(client: httpx.AsyncClient, world: World, session: AsyncSession) -> None:
    record = await create(client, world.admin, world.body(hazards=...))
    assert record["hazards"] == [] and record["hazards_count"] == 0
    record2 = await create(client, world.admin, world.body(hazards=[], inspected_on="2023-05-05"))
    assert record2["hazards"] == []
    assert await history_rows(session, record["id"]) == []


async def test_detail_names_the_officers_in_submitted_order(client: httpx.AsyncClient, world: World) -> None:
    record = await create(client, world.admin, world.body(officer_ids=[world.o2["id"], world.o1["id"]]))
    assert record["officer_ids"] == [world.o2["id"], world.o1["id"]]
    assert [(o["id"], o["name"], o["certificate_no"]) for o in record["officers"]] == [
        (world.o2["id"], "冉华", world.o2["certificate_no"]),
        (world.o1["id"], "谭明", world.o1["certificate_no"]),
    ]
    assert record["institution_name"] == world.institution["name"]
    assert record["kind"] == "elderly_care" and record["township"] == "南宾街道"
