"""One transaction per write use case (issue 12.1): the service commits once, after every step of the request.
A failure injected after the main insert (and its flush) leaves no row of that request behind, and the client
gets a clean 500 problem+json — for every create, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.session import Database
from app.hazards import service as hazard_service
from app.inspections import service as inspection_service
from app.plans import draws
from tests import factories
from tests.conftest import OWN_REGION, Actor
from tests.hazards.helpers import hazard_url, new_inspection
from tests.hazards.test_evidence import png
from tests.plans.conftest import PLANS, County, county, plan_body
from tests.plans.test_draws import DRAW
from tests.problems import problem_of

__all__ = ["county"]  # the fixture, used by the draw test

API = "/api/v1"
TABLES = [
    "institutions",
    "officers",
    "plans",
    "inspections",
    "inspection_officers",
    "hazards",
    "hazard_history",
    "hazard_evidence",
    "draws",
    "events",
]


class Injected(RuntimeError):
    """The failure a test plants in a step after the main insert."""


@pytest.fixture
async def failing_client(app: FastAPI, clean_db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """A client that gets the 500 answer instead of the test seeing the server's exception."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def _counts(db: Database) -> dict[str, int]:
    async with db.sessionmaker() as s:
        return {t: int((await s.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one()) for t in TABLES}  # noqa: S608


def _fail_after_flush(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every flush of a write session writes its rows, then fails: the request's rows reached the database."""
    real = AsyncSession.flush

    async def flush_then_fail(self: AsyncSession, objects: Any = None) -> None:
        await real(self, objects)
        raise Injected("after the insert")

    monkeypatch.setattr(AsyncSession, "flush", flush_then_fail)


def _fail_after(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> None:
    """`owner.name` runs, then fails."""
    real: Callable[..., Any] = getattr(owner, name)

    async def run_then_fail(*args: Any, **kwargs: Any) -> Any:
        await real(*args, **kwargs)
        raise Injected(f"after {name}")

    monkeypatch.setattr(owner, name, run_then_fail)


async def _assert_nothing_stored(db: Database, before: dict[str, int], r: httpx.Response) -> None:
    assert r.status_code == 500, r.text
    problem_of(r, 500)
    assert "Injected" not in r.text
    assert await _counts(db) == before


async def test_institution(
    failing_client: httpx.AsyncClient, clean_db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await _counts(clean_db)
    body = {"name": "南宾敬老院", "kind": "elderly_care", "region_code": OWN_REGION}
    _fail_after_flush(monkeypatch)
    r = await failing_client.post(f"{API}/institutions", json=body, headers=admin.headers)
    monkeypatch.undo()
    await _assert_nothing_stored(clean_db, before, r)


async def test_officer(
    failing_client: httpx.AsyncClient, clean_db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await _counts(clean_db)
    body = {"name": "谭明", "unit": "社会福利中心", "region_code": OWN_REGION, "certificate_no": "渝执法0001"}
    _fail_after_flush(monkeypatch)
    r = await failing_client.post(f"{API}/officers", json=body, headers=admin.headers)
    monkeypatch.undo()
    await _assert_nothing_stored(clean_db, before, r)


async def test_plan(
    failing_client: httpx.AsyncClient, clean_db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await _counts(clean_db)
    _fail_after_flush(monkeypatch)
    r = await failing_client.post(PLANS, json=plan_body(), headers=admin.headers)
    monkeypatch.undo()
    await _assert_nothing_stored(clean_db, before, r)


async def test_inspection_with_hazards(
    client: httpx.AsyncClient,
    failing_client: httpx.AsyncClient,
    clean_db: Database,
    admin: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inst = await factories.institution(client, admin.headers)
    officers = [(await factories.officer(client, admin.headers))["id"] for _ in range(2)]
    body = factories.inspection_body(inst["id"], officers)
    assert body["hazards"], "the body nests hazards"
    before = await _counts(clean_db)
    # The inspection, its officers, hazards, their history and the events are inserted (one statement on
    # PostgreSQL, one per table on SQLite); then it fails.
    _fail_after(monkeypatch, inspection_service, "insert_rows")
    r = await failing_client.post(f"{API}/inspections", json=body, headers=admin.headers)
    monkeypatch.undo()
    await _assert_nothing_stored(clean_db, before, r)


async def test_hazard_added_to_an_inspection(
    client: httpx.AsyncClient,
    failing_client: httpx.AsyncClient,
    clean_db: Database,
    admin: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inspection = await new_inspection(client, admin.headers)
    before = await _counts(clean_db)
    body = {"category": "fire_safety", "severity": "general", "description": "灭火器过期", "due_on": "2023-05-20"}
    # The hazard and its history entry are inserted, the answer is read back, then it fails.
    _fail_after(monkeypatch, hazard_service, "get_hazard")
    r = await failing_client.post(f"{API}/inspections/{inspection['id']}/hazards", json=body, headers=admin.headers)
    monkeypatch.undo()
    await _assert_nothing_stored(clean_db, before, r)


async def test_evidence(
    client: httpx.AsyncClient,
    failing_client: httpx.AsyncClient,
    clean_db: Database,
    admin: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hazard_id = (await new_inspection(client, admin.headers))["hazards"][0]["id"]
    before = await _counts(clean_db)
    _fail_after_flush(monkeypatch)
    r = await failing_client.post(
        hazard_url(hazard_id, "/evidence"), headers=admin.headers, files={"file": ("a.png", png(), "image/png")}
    )
    monkeypatch.undo()
    await _assert_nothing_stored(clean_db, before, r)


async def test_draw(
    failing_client: httpx.AsyncClient, clean_db: Database, county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await _counts(clean_db)

    def read_then_fail(draw: Any) -> Any:
        raise Injected("after the draw was inserted")

    monkeypatch.setattr(draws, "draw_read", read_then_fail)
    r = await failing_client.post(f"{PLANS}/{county.plan['id']}/draws", json=DRAW, headers=county.admin.headers)
    monkeypatch.undo()
    await _assert_nothing_stored(clean_db, before, r)
