"""POST/GET /officers/{officer_id}/trainings: validation, who may record, region scoping, order and paging."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import Role
from app.core.clock import frozen_clock
from app.officers.models import Training
from tests.conftest import OTHER_REGION, OWN_REGION, Actor, ActorFactory
from tests.officers.helpers import NOON, OFFICERS_URL, assert_problem, create_officer, fetch_all


def _url(officer_id: str) -> str:
    return f"{OFFICERS_URL}/{officer_id}/trainings"


def _body(**overrides: Any) -> dict[str, Any]:
    return {"held_on": "2024-03-12", "hours": 4, "topic": "《行政处罚法》专题培训", **overrides}


async def _stored(session: AsyncSession, officer_id: str) -> list[tuple[Any, ...]]:
    rows = await fetch_all(
        session,
        select(Training.held_on, Training.hours, Training.topic).where(Training.officer_id == uuid.UUID(officer_id)),
    )
    return [tuple(row) for row in rows]


@pytest.fixture
async def officer(client: httpx.AsyncClient, admin: Actor) -> dict[str, Any]:
    return await create_officer(client, admin.headers)


async def test_record_a_training(
    client: httpx.AsyncClient, admin: Actor, officer: dict[str, Any], session: AsyncSession
) -> None:
    with frozen_clock(NOON):
        r = await client.post(_url(officer["id"]), json=_body(hours=2.5, topic=" 殡葬管理条例 "), headers=admin.headers)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["officer_id"] == officer["id"]
    assert (created["held_on"], created["hours"], created["topic"]) == ("2024-03-12", 2.5, "殡葬管理条例")
    assert created["created_at"].startswith("2024-06-15T04:00:00")
    assert r.headers["location"] == _url(officer["id"])
    listed = await client.get(_url(officer["id"]), headers=admin.headers)
    assert listed.json() == {"items": [created], "next_cursor": None}
    assert await _stored(session, officer["id"]) == [(date(2024, 3, 12), 2.5, "殡葬管理条例")]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"hours": 0}, "hours"),
        ({"hours": -1}, "hours"),
        ({"hours": -0.5}, "hours"),
        ({"hours": "four"}, "hours"),
        ({"hours": 1001}, "hours"),
        ({"held_on": "2024-02-30"}, "held_on"),
        ({"topic": "  "}, "topic"),
        ({"trainer": "某某"}, "trainer"),
    ],
)
async def test_invalid_training_is_422(
    client: httpx.AsyncClient,
    admin: Actor,
    officer: dict[str, Any],
    session: AsyncSession,
    overrides: dict[str, Any],
    field: str,
) -> None:
    r = await client.post(_url(officer["id"]), json=_body(**overrides), headers=admin.headers)
    assert_problem(r, 422, ["body", field])
    assert await _stored(session, officer["id"]) == []


@pytest.mark.parametrize("missing", ["held_on", "hours", "topic"])
async def test_missing_training_field_is_422(
    client: httpx.AsyncClient, admin: Actor, officer: dict[str, Any], missing: str
) -> None:
    body = _body()
    del body[missing]
    assert_problem(await client.post(_url(officer["id"]), json=body, headers=admin.headers), 422, ["body", missing])


async def test_training_in_the_future_is_422(
    client: httpx.AsyncClient, admin: Actor, officer: dict[str, Any], session: AsyncSession
) -> None:
    with frozen_clock(NOON):
        tomorrow = await client.post(_url(officer["id"]), json=_body(held_on="2024-06-16"), headers=admin.headers)
        today = await client.post(_url(officer["id"]), json=_body(held_on="2024-06-15"), headers=admin.headers)
    assert_problem(tomorrow, 422, ["body", "held_on"])
    assert today.status_code == 201, today.text
    assert [row[0].isoformat() for row in await _stored(session, officer["id"])] == ["2024-06-15"]


async def test_list_is_oldest_first_with_pagination(
    client: httpx.AsyncClient, admin: Actor, officer: dict[str, Any]
) -> None:
    other = await create_officer(client, admin.headers, name="冉华")
    await client.post(_url(other["id"]), json=_body(held_on="2022-01-01"), headers=admin.headers)
    for day in ["2023-09-01", "2021-05-10", "2023-09-01", "2022-11-30", "2020-01-15"]:
        r = await client.post(_url(officer["id"]), json=_body(held_on=day), headers=admin.headers)
        assert r.status_code == 201, r.text
    full = (await client.get(_url(officer["id"]), headers=admin.headers)).json()
    assert full["next_cursor"] is None
    assert [t["held_on"] for t in full["items"]] == [
        "2020-01-15",
        "2021-05-10",
        "2022-11-30",
        "2023-09-01",
        "2023-09-01",
    ]
    assert {t["officer_id"] for t in full["items"]} == {officer["id"]}
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(_url(officer["id"]), params=params, headers=admin.headers)).json()
        pages += 1
        assert len(page["items"]) <= 2
        seen.extend(t["id"] for t in page["items"])
        cursor = page["next_cursor"]
        if cursor is None or pages > 5:
            break
    assert pages == 3
    assert seen == [t["id"] for t in full["items"]]


@pytest.mark.parametrize("role", [Role.viewer, Role.inspector])
async def test_viewer_and_inspector_read_but_may_not_record(
    client: httpx.AsyncClient,
    admin: Actor,
    make_actor: ActorFactory,
    officer: dict[str, Any],
    session: AsyncSession,
    role: Role,
) -> None:
    actor = await make_actor(role, OWN_REGION)
    assert_problem(await client.post(_url(officer["id"]), json=_body(), headers=actor.headers), 403)
    assert await _stored(session, officer["id"]) == []
    r = await client.get(_url(officer["id"]), headers=actor.headers)
    assert r.status_code == 200 and r.json() == {"items": [], "next_cursor": None}


async def test_trainings_need_credentials(client: httpx.AsyncClient, officer: dict[str, Any]) -> None:
    assert_problem(await client.post(_url(officer["id"]), json=_body()), 401)
    assert_problem(await client.get(_url(officer["id"])), 401)


async def test_officer_of_another_region_is_404(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory, session: AsyncSession
) -> None:
    other = await create_officer(client, admin.headers, region_code=OTHER_REGION)
    supervisor = await make_actor(Role.supervisor, OWN_REGION)
    assert_problem(await client.post(_url(other["id"]), json=_body(), headers=supervisor.headers), 404)
    assert_problem(await client.get(_url(other["id"]), headers=supervisor.headers), 404)
    assert await _stored(session, other["id"]) == []
    assert_problem(await client.post(_url(str(uuid.uuid4())), json=_body(), headers=admin.headers), 404)
    assert_problem(await client.get(_url(str(uuid.uuid4())), headers=admin.headers), 404)
    ok = await client.post(_url(other["id"]), json=_body(), headers=admin.headers)
    assert ok.status_code == 201, ok.text
