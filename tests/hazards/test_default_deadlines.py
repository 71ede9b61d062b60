"""Default deadlines by severity (DUE_WORKING_DAYS_GENERAL / _MAJOR) in working days, across the 2025 National Day
holiday; a sent `due_on` kept; replay by the request as sent; `hazard.created` with the filled-in date; the
due_from / due_to list filters (both databases)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from app.core.config import Settings
from app.db.session import Database
from app.hazards.deadlines import DefaultDeadlines
from app.hazards.deps import default_deadlines
from tests import factories
from tests.conftest import Actor
from tests.events.helpers import stored
from tests.hazards.helpers import API

FRIDAY_BEFORE_NATIONAL_DAY = "2025-09-26"


@pytest.fixture
def deadlines(app: FastAPI) -> Iterator[None]:
    """The app as configured with DUE_WORKING_DAYS_GENERAL=5, DUE_WORKING_DAYS_MAJOR=2."""
    app.dependency_overrides[default_deadlines] = lambda: DefaultDeadlines(general=5, major=2)
    yield
    app.dependency_overrides.pop(default_deadlines)


def _hazards() -> list[dict[str, Any]]:
    return [
        {"category": "fire_safety", "severity": "general", "description": "消防通道堆放杂物"},
        {"category": "food", "severity": "major", "description": "食品留样记录缺失"},
        {"category": "gas", "severity": "major", "description": "燃气报警器失效", "due_on": "2025-12-31"},
    ]


async def _post(client: httpx.AsyncClient, admin: Actor, body: dict[str, Any]) -> httpx.Response:
    return await client.post(f"{API}/inspections", json=body, headers=admin.headers)


async def _body(client: httpx.AsyncClient, admin: Actor) -> dict[str, Any]:
    inst = await factories.institution(client, admin.headers)
    officers = [(await factories.officer(client, admin.headers))["id"] for _ in range(2)]
    return factories.inspection_body(
        inst["id"], officers, id=str(uuid.uuid4()), inspected_on=FRIDAY_BEFORE_NATIONAL_DAY, hazards=_hazards()
    )


@pytest.mark.usefixtures("deadlines")
async def test_a_hazard_without_due_on_gets_its_severitys_working_days(
    client: httpx.AsyncClient, clean_db: Database, admin: Actor
) -> None:
    body = await _body(client, admin)
    r = await _post(client, admin, body)
    assert r.status_code == 201, r.text
    general, major, sent = r.json()["hazards"]
    # Friday 26 Sep 2025 + 5 working days: Sun 28 (调休), Mon 29, Tue 30, then 1–8 Oct off, Thu 9, Fri 10.
    assert general["due_on"] == "2025-10-10"
    assert major["due_on"] == "2025-09-29"  # Sun 28 (调休), Mon 29
    assert sent["due_on"] == "2025-12-31"  # as sent
    assert (await client.get(f"{API}/hazards/{general['id']}", headers=admin.headers)).json()["due_on"] == "2025-10-10"
    created = [data["due_on"] for kind, _, data in await stored(clean_db) if kind == "hazard.created"]
    assert created == ["2025-10-10", "2025-09-29", "2025-12-31"]

    # The same request again is a replay (compared as sent): 200, the same dates, no new event.
    again = await _post(client, admin, body)
    assert again.status_code == 200, again.text
    assert [h["due_on"] for h in again.json()["hazards"]] == ["2025-10-10", "2025-09-29", "2025-12-31"]
    assert len([e for e in await stored(clean_db) if e[0] == "hazard.created"]) == 3
    # Sending the filled-in date explicitly is another request under the same id: a conflict.
    body["hazards"][0]["due_on"] = "2025-10-10"
    assert (await _post(client, admin, body)).status_code == 409


@pytest.mark.usefixtures("deadlines")
async def test_a_hazard_added_to_an_inspection_gets_the_default_too(client: httpx.AsyncClient, admin: Actor) -> None:
    body = await _body(client, admin)
    inspection = (await _post(client, admin, body)).json()
    added = {"id": str(uuid.uuid4()), "category": "other", "severity": "general", "description": "台账不全"}
    r = await client.post(f"{API}/inspections/{inspection['id']}/hazards", json=added, headers=admin.headers)
    assert r.status_code == 201, r.text
    assert r.json()["due_on"] == "2025-10-10"
    replay = await client.post(f"{API}/inspections/{inspection['id']}/hazards", json=added, headers=admin.headers)
    assert replay.status_code == 200 and replay.json()["due_on"] == "2025-10-10"


async def test_without_the_settings_due_on_stays_empty(client: httpx.AsyncClient, admin: Actor) -> None:
    r = await _post(client, admin, await _body(client, admin))
    assert r.status_code == 201, r.text
    assert [h["due_on"] for h in r.json()["hazards"]] == [None, None, "2025-12-31"]


def test_settings_take_empty_as_none_and_refuse_what_does_not_parse() -> None:
    base: dict[str, Any] = {"SECRET_KEY": "x" * 40, "_env_file": None}
    assert Settings(**base, DUE_WORKING_DAYS_GENERAL="", DUE_WORKING_DAYS_MAJOR=" ").DUE_WORKING_DAYS_MAJOR is None
    assert Settings(**base, DUE_WORKING_DAYS_GENERAL="10").DUE_WORKING_DAYS_GENERAL == 10
    for bad in ("x", "0", "-3", "366"):
        with pytest.raises(ValidationError, match="DUE_WORKING_DAYS_MAJOR"):
            Settings(**base, DUE_WORKING_DAYS_MAJOR=bad)


async def test_the_list_filters_by_due_date(client: httpx.AsyncClient, admin: Actor) -> None:
    inst = await factories.institution(client, admin.headers)
    officers = [(await factories.officer(client, admin.headers))["id"] for _ in range(2)]
    hazards = [
        {"category": "other", "severity": "general", "description": f"问题{i}", "due_on": due}
        for i, due in enumerate(["2025-10-09", "2025-10-20", "2025-11-03"])
    ] + [{"category": "other", "severity": "general", "description": "无期限"}]
    body = factories.inspection_body(inst["id"], officers, inspected_on="2025-09-30", hazards=hazards)
    assert (await _post(client, admin, body)).status_code == 201

    async def dues(query: str) -> list[str | None]:
        r = await client.get(f"{API}/hazards?{query}", headers=admin.headers)
        assert r.status_code == 200, r.text
        return sorted(h["due_on"] for h in r.json()["items"])

    assert await dues("due_from=2025-10-20") == ["2025-10-20", "2025-11-03"]
    assert await dues("due_to=2025-10-20") == ["2025-10-09", "2025-10-20"]
    assert await dues("due_from=2025-10-10&due_to=2025-10-31") == ["2025-10-20"]
    r = await client.get(f"{API}/hazards?due_from=2025-13-01", headers=admin.headers)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["loc"] == ["query", "due_from"]
    csv = await client.get(f"{API}/exports/hazards.csv?due_from=2025-10-20", headers=admin.headers)
    assert csv.status_code == 200
    assert "2025-10-20" in csv.text and "2025-11-03" in csv.text and "2025-10-09" not in csv.text
