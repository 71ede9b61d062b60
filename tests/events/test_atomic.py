"""Outbox atomicity: a failure after the event's INSERT (inside the change's transaction) leaves neither the
change nor the event — for every use case that records one, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from types import ModuleType
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.outbox import Event
from app.db.session import Database
from app.hazards import service as hazard_service
from app.inspections import service as inspection_service
from app.plans import draws
from tests import factories
from tests.conftest import Actor
from tests.events.helpers import stored
from tests.hazards.helpers import API, hazard_url, new_inspection
from tests.plans.conftest import PLANS, County, county
from tests.plans.test_draws import DRAW

__all__ = ["county"]  # the fixture, used by the draw test

TABLES = ["inspections", "inspection_officers", "hazards", "hazard_history", "draws", "events"]


class Injected(RuntimeError):
    """The failure planted right after the event was inserted."""


@pytest.fixture
async def failing_client(app: FastAPI, clean_db: Database) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def _state(db: Database) -> dict[str, Any]:
    async with db.sessionmaker() as s:
        counts = {t: int((await s.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one()) for t in TABLES}  # noqa: S608
        hazards = await s.execute(text("SELECT id, status, version FROM hazards ORDER BY id"))
        status = [tuple(row) for row in hazards]
        inspections = await s.execute(text("SELECT id, summary FROM inspections ORDER BY id"))
        summaries = [tuple(row) for row in inspections]
    return {"counts": counts, "hazards": status, "inspections": summaries}


def _fail_after_record(monkeypatch: pytest.MonkeyPatch, module: ModuleType, name: str, inserted: list[int]) -> None:
    """`module.name` (record / record_many, or the step that writes the events with the change's rows) inserts its
    events, which the session then sees; then it fails."""
    real: Callable[..., Any] = getattr(module, name)

    async def record_then_fail(session: AsyncSession, *args: Any, **kwargs: Any) -> Any:
        await real(session, *args, **kwargs)
        inserted.append(int(await session.scalar(select(func.count()).select_from(Event)) or 0))
        raise Injected(f"after {name}")

    monkeypatch.setattr(module, name, record_then_fail)


async def _assert_rolled_back(db: Database, before: dict[str, Any], r: httpx.Response, inserted: list[int]) -> None:
    assert r.status_code == 500, r.text
    assert inserted and inserted[0] > before["counts"]["events"], "the event was inserted before the failure"
    assert await _state(db) == before


async def test_inspection_create(
    client: httpx.AsyncClient,
    failing_client: httpx.AsyncClient,
    clean_db: Database,
    admin: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inst = await factories.institution(client, admin.headers)
    officers = [(await factories.officer(client, admin.headers))["id"] for _ in range(2)]
    before = await _state(clean_db)
    inserted: list[int] = []
    # The create writes its events in the statement(s) of its rows, inside `create_replayable`.
    _fail_after_record(monkeypatch, inspection_service, "create_replayable", inserted)
    r = await failing_client.post(
        f"{API}/inspections", json=factories.inspection_body(inst["id"], officers), headers=admin.headers
    )
    monkeypatch.undo()
    await _assert_rolled_back(clean_db, before, r, inserted)
    assert inserted == [3]


async def test_inspection_update(
    client: httpx.AsyncClient,
    failing_client: httpx.AsyncClient,
    clean_db: Database,
    admin: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inspection = await new_inspection(client, admin.headers)
    before = await _state(clean_db)
    inserted: list[int] = []
    _fail_after_record(monkeypatch, inspection_service, "record", inserted)
    r = await failing_client.patch(
        f"{API}/inspections/{inspection['id']}", json={"summary": "改过的摘要"}, headers=admin.headers
    )
    monkeypatch.undo()
    await _assert_rolled_back(clean_db, before, r, inserted)


async def test_hazard_added(
    client: httpx.AsyncClient,
    failing_client: httpx.AsyncClient,
    clean_db: Database,
    admin: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inspection = await new_inspection(client, admin.headers)
    before = await _state(clean_db)
    inserted: list[int] = []
    _fail_after_record(monkeypatch, inspection_service, "record_many", inserted)
    body = {"category": "fire_safety", "severity": "general", "description": "灭火器过期"}
    r = await failing_client.post(f"{API}/inspections/{inspection['id']}/hazards", json=body, headers=admin.headers)
    monkeypatch.undo()
    await _assert_rolled_back(clean_db, before, r, inserted)


async def test_transition(
    client: httpx.AsyncClient,
    failing_client: httpx.AsyncClient,
    clean_db: Database,
    admin: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hazard_id = (await new_inspection(client, admin.headers))["hazards"][0]["id"]
    before = await _state(clean_db)
    inserted: list[int] = []
    _fail_after_record(monkeypatch, hazard_service, "record", inserted)
    r = await failing_client.post(
        hazard_url(hazard_id, "/transitions"), json={"action": "start", "on": "2023-05-05"}, headers=admin.headers
    )
    monkeypatch.undo()
    await _assert_rolled_back(clean_db, before, r, inserted)
    assert [t for t, _, _ in await stored(clean_db)].count("hazard.transitioned") == 0


async def test_draw(
    failing_client: httpx.AsyncClient, clean_db: Database, county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await _state(clean_db)
    inserted: list[int] = []
    _fail_after_record(monkeypatch, draws, "record", inserted)
    r = await failing_client.post(f"{PLANS}/{county.plan['id']}/draws", json=DRAW, headers=county.admin.headers)
    monkeypatch.undo()
    await _assert_rolled_back(clean_db, before, r, inserted)
